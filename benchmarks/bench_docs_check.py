"""Benchmark (not a test): docs-check's static mode on generated documentation.

Generates PAGES Markdown pages holding BLOCKS Python blocks in all (default 25 x 20 = 500), built from the
fixture set's blocks (imports, constructors, calls that bind and calls that do not, iteration, pseudo-code),
then times ``hokusai-contracts docs-check`` on them as a user runs it: discovery, reading, introspecting
the SDK in its own interpreter, analysis. Prints the seconds of each part and the total.
Goal: static mode on 500 blocks <= 5 s on 2 cores.

Run: .venv/bin/python benchmarks/bench_docs_check.py [--blocks N] [--pages P]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from hokusai_contracts.base.files import read_text_file
from hokusai_contracts.checks.docs_check.api_view import ApiView
from hokusai_contracts.checks.docs_check.blocks import page_of
from hokusai_contracts.checks.docs_check.check import DocsCheckRequest, check_page, docs_check, load_pages
from hokusai_contracts.checks.docs_check.discovery import discover
from hokusai_contracts.introspection import introspect

REPO = Path(__file__).resolve().parents[1]
SOURCES = [
    REPO / "fixtures" / "foreign_docs" / "hokusai_docs" / "docs" / "intro.md",
    REPO / "fixtures" / "foreign_docs" / "hokusai_docs" / "docs" / "guides" / "registering.mdx",
    *sorted((REPO / "contracts" / "docs").glob("*.md")),
]


def source_blocks() -> list[str]:
    """Every Python block of the source pages, as fenced Markdown."""
    blocks = []
    for path in SOURCES:
        page = page_of(path, read_text_file(path))
        blocks.extend(f"```python\n{block.code}\n```\n" for block in page.blocks if not block.skip)
    return blocks


def generate(directory: Path, total: int, pages: int) -> int:
    """Write ``pages`` pages with ``total`` blocks between them (the sources' blocks, cycled)."""
    blocks = source_blocks()
    per_page = -(-total // pages)
    written = 0
    for number in range(pages):
        chosen = [blocks[(number * per_page + i) % len(blocks)] for i in range(per_page)][: total - written]
        if not chosen:
            break
        text = f"---\ntitle: Generated page {number}\nsidebar_position: {number}\n---\n\n" + "\n".join(chosen)
        (directory / f"page-{number:03d}.md").write_text(text, encoding="utf-8")
        written += len(chosen)
    return written


def main() -> None:
    """Generate, then time each part and the whole command."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=500)
    parser.add_argument("--pages", type=int, default=25)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-docs-check-") as scratch:
        directory = Path(scratch)
        written = generate(directory, args.blocks, args.pages)

        started = time.perf_counter()
        result = docs_check(DocsCheckRequest((directory,), "hokusai"))
        total = time.perf_counter() - started

        started = time.perf_counter()
        loaded = load_pages(discover([directory]).files)
        reading = time.perf_counter() - started
        started = time.perf_counter()
        view = ApiView(introspect("hokusai"))
        introspection = time.perf_counter() - started
        started = time.perf_counter()
        for page in loaded.pages:
            check_page(page, view)
        analysis = time.perf_counter() - started

    blocks = sum(len(p.blocks) for p in loaded.pages)
    failed = len(result.failures)
    print(f"docs-check static mode: {written} blocks on {len(loaded.pages)} pages ({blocks} read back)")
    print(f"  discovery + reading + block extraction: {reading:6.2f} s")
    print(f"  introspection of hokusai (worker):      {introspection:6.2f} s")
    per_block = 1000 * analysis / max(blocks, 1)
    print(f"  analysis:                               {analysis:6.2f} s ({per_block:.2f} ms/block)")
    print(f"  whole command (one run):                {total:6.2f} s  [{failed} findings; goal <= 5 s]")


if __name__ == "__main__":
    main()
