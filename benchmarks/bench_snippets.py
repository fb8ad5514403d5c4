"""Benchmark (not a test): the executable-documentation runner.

1. Total wall time of the ``snippets`` family over every page of contracts/docs with one MLflow server
   (server start reported apart), as ``hokusai-contracts verify --only snippets`` runs it.
2. Per-snippet overhead of the runner against running the same code as one plain script:
   a synthetic page of N small blocks (each prints, most check ``#>`` output), timed
   - in-process: PageSession over the blocks vs ``exec`` of the concatenated code;
   - in a worker process: the family's page process vs ``python script.py``;
   - static checks per block (DOC003 cross-check and DOC004 ruff), which the family adds.
   Goal: < 50 ms per snippet.

Run: .venv/bin/python benchmarks/bench_snippets.py [--blocks N] [--runs R] [--skip-pages]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from hokusai_contracts.checks import VerifyContext
from hokusai_contracts.checks.snippets.crosscheck import ApiIndex, uncontracted_names
from hokusai_contracts.checks.snippets.execute import PageSession, run_blocks
from hokusai_contracts.checks.snippets.family import discover, run_snippets
from hokusai_contracts.checks.snippets.lint import lint_page
from hokusai_contracts.checks.snippets.parse import parse_page
from hokusai_contracts.checks.snippets.run import PageRun, run_page_process
from hokusai_contracts.contract.store import load_contracts
from hokusai_contracts.servers import start_mlflow_process

REPO = Path(__file__).resolve().parents[1]


def synthetic_page(blocks: int) -> str:
    """A page of ``blocks`` small blocks sharing a namespace; every other one checks ``#>`` output."""
    parts = [f"---\nunique_names: [lead-scoring]\nexecutable_blocks: {blocks}\n---\n# Bench\n"]
    first = 'import json\n\ntotal = 0\nname = "lead-scoring"\nprint(name)\n#> lead-scoring\n'
    parts.append(f"```python\n{first}```\n")
    for index in range(1, blocks):
        check = f"#> {index} {sum(range(index + 1))}\n" if index % 2 else ""
        code = f"total += {index}\nprint({index}, total)\n{check}data = json.dumps({{'i': total}})\n"
        parts.append(f"```python\n{code}```\n")
    return "\n".join(parts)


def plain_script(page_path: Path) -> str:
    """The page's blocks concatenated, as a reader pasting them into one file would run them."""
    return "\n".join(block.code for block in parse_page(page_path).blocks)


def _median(samples: list[float]) -> float:
    return statistics.median(samples)


def bench_overhead(blocks: int, runs: int) -> dict[str, float]:
    """Per-snippet overhead of the runner, in-process and in a worker process, in milliseconds."""
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        page_path = tmp_path / "bench.md"
        page_path.write_text(synthetic_page(blocks))
        page = parse_page(page_path)
        script = plain_script(page_path)
        script_path = tmp_path / "bench.py"
        script_path.write_text(script)

        in_process, plain_in_process, worker, plain_process = [], [], [], []
        for run_number in range(runs):
            run = PageRun(page)
            specs = run.specs(lambda kind: None)
            workdir = tmp_path / f"w{run_number}"
            workdir.mkdir()
            started = time.perf_counter()
            outcomes = run_blocks(PageSession(run.filename, str(workdir)), specs)
            in_process.append(time.perf_counter() - started)
            assert all(o.status == "passed" for o in outcomes), [o.message for o in outcomes if o.failed]

            started = time.perf_counter()
            with contextlib.redirect_stdout(io.StringIO()):
                exec(compile(script, str(script_path), "exec"), {"__name__": "__main__"})
            plain_in_process.append(time.perf_counter() - started)

            started = time.perf_counter()
            outcomes = run_page_process(run, specs)
            worker.append(time.perf_counter() - started)
            assert all(o.status == "passed" for o in outcomes)

            started = time.perf_counter()
            subprocess.run([sys.executable, str(script_path)], check=True, capture_output=True)
            plain_process.append(time.perf_counter() - started)

        index = ApiIndex.from_api(load_contracts(REPO / "contracts" / "api"))
        started = time.perf_counter()
        uncontracted_names(page, index)
        crosscheck_s = time.perf_counter() - started
        started = time.perf_counter()
        lint_page(page, config=REPO / "pyproject.toml")
        lint_s = time.perf_counter() - started
        started = time.perf_counter()
        for _ in range(runs):
            parse_page(page_path)
        parse_s = (time.perf_counter() - started) / runs

    per_block_ms = 1000.0 / blocks
    return {
        "blocks": blocks,
        "in_process_runner_ms_per_block": _median(in_process) * per_block_ms,
        "in_process_plain_ms_per_block": _median(plain_in_process) * per_block_ms,
        "in_process_overhead_ms_per_block": (_median(in_process) - _median(plain_in_process)) * per_block_ms,
        "worker_page_s": _median(worker),
        "plain_script_s": _median(plain_process),
        "worker_overhead_ms_per_block": (_median(worker) - _median(plain_process)) * per_block_ms,
        "parse_ms_per_block": parse_s * per_block_ms,
        "crosscheck_ms_per_block": crosscheck_s * per_block_ms,
        "lint_ms_per_block": lint_s * per_block_ms,
    }


def bench_pages() -> dict[str, float]:
    """Wall time of the snippets family over the repository's pages, with one server."""
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        server = start_mlflow_process(Path(tmp) / "server")
        server_s = time.perf_counter() - started
        try:
            pages = discover(REPO / "contracts" / "docs")
            blocks = sum(len(parse_page(p).blocks) for p in pages)
            started = time.perf_counter()
            findings = run_snippets(VerifyContext(contracts_dir=REPO / "contracts", server=server))
            family_s = time.perf_counter() - started
        finally:
            server.stop()
    failed = [f for f in findings if f.failed]
    return {
        "pages": len(pages),
        "blocks": blocks,
        "server_start_s": server_s,
        "family_s": family_s,
        "total_s": server_s + family_s,
        "failed_findings": len(failed),
    }


def bench_quickstart_plain(runs: int = 2) -> dict[str, float]:
    """The quickstart's embedded blocks as one plain script vs the runner's worker (best of ``runs``).

    Both are dominated by the SDK's own work (a fresh embedded store, model logging): the difference is
    within run-to-run noise.
    """
    page = parse_page(REPO / "contracts" / "docs" / "quickstart.md")
    embedded = [b for b in page.blocks if not b.needs_server and not b.raises]
    plain, runner, passed = [], [], True
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            script = Path(tmp) / "quickstart.py"
            script.write_text("\n".join(b.code for b in embedded))
            # The environment the runner gives the page: ours, no MLflow target, a fresh HOKUSAI_HOME.
            env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "HOKUSAI_"))}
            env["HOKUSAI_HOME"] = str(Path(tmp) / "home")
            started = time.perf_counter()
            subprocess.run([sys.executable, str(script)], check=True, capture_output=True, env=env, cwd=tmp)
            plain.append(time.perf_counter() - started)
        run = PageRun(page)
        started = time.perf_counter()
        outcomes = run_page_process(run, [run.spec(b) for b in embedded])
        runner.append(time.perf_counter() - started)
        passed = passed and all(o.status == "passed" for o in outcomes)
    return {
        "blocks": len(embedded),
        "plain_script_s": min(plain),
        "runner_s": min(runner),
        "overhead_ms_per_block": (min(runner) - min(plain)) * 1000 / len(embedded),
        "all_passed": passed,
    }


def main() -> None:
    """Run the benchmarks and print one line per figure."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--blocks", type=int, default=100)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--skip-pages", action="store_true", help="skip the runs that start a server")
    arguments = parser.parse_args()
    results = {"overhead": bench_overhead(arguments.blocks, arguments.runs)}
    if not arguments.skip_pages:
        results["quickstart_embedded"] = bench_quickstart_plain()
        results["all_pages"] = bench_pages()
    for group, figures in results.items():
        for name, value in figures.items():
            shown = f"{value:.3f}" if isinstance(value, float) else value
            print(f"{group:20} {name:34} {shown}")


if __name__ == "__main__":
    main()
