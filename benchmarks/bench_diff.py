"""Benchmark (not a test): `hokusai-contracts diff` against `griffe check` on the breaking-change corpus.

Run: .venv/bin/python benchmarks/bench_diff.py   (needs griffe: pip install griffe, or the dev extra)

One run over every pair of fixtures/breaking_changes. Findings are scored against each pair's snapshot
on the changes griffe could report at all: breaking and potentially breaking ones (BC001-BC018; griffe
has no notion of compatible additions, so BC019-BC021 are left out for both tools). griffe's
breakage kinds are mapped to the catalogue's ids; its removed re-exports (aliases) count as BC002 and
removed enum members as BC017, so a tool is not penalised for naming a change differently.

Wall time, one run each:
- end to end: our diff reads each side in its own interpreter (introspection, values, runtime
  witness) and griffe loads both sides from source in this process (`griffe check` itself needs a git
  repository; its API does the same work without git);
- static diff: from files (our contract directories vs griffe parsing the sources), and comparing two
  already-loaded models (our engine vs griffe.find_breaking_changes; best of 5 per pair, as one
  sub-millisecond run is mostly timer noise).
Goal (issue 8): recall and precision far above griffe's, static diff time no worse than griffe's.

Then the speed pairs (issue 15; `--speed` runs only these): this repository's releases as git: sides
(1.1.0 bc8869b -> 1.2.0 c9c3eab -> HEAD) and packaging 21.3 -> 22.0 from the package index (two venvs built
with uv under the temp dir): `diff --static` (source only, no import), the full diff (one persistent worker
per side: structure probe, introspection, probes, witnesses), the differential probes alone, next to
`griffe check -a OLD -b NEW` (its CLI, git pairs) and griffe's API (load both trees + find_breaking_changes).
Goals: static no slower than griffe; probes <= 3 s per pair.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import griffe

from hokusai_contracts.contract.store import load_contracts, write_contracts
from hokusai_contracts.diff.catalogue import Impact
from hokusai_contracts.diff.engine import diff_apis
from hokusai_contracts.diff.records import git_archive
from hokusai_contracts.diff.rules import RULES
from hokusai_contracts.diff.sides import REPOSITORY, resolve_sides
from hokusai_contracts.introspection.static import static_api
from hokusai_contracts.release.corpus import PACKAGE, CorpusPair, Key, load_corpus, run_pair, score
from hokusai_contracts.release.run import compare_sides, diff_findings, probe_sides

REPEATS = 5
_GRIFFE_RULES = {
    "PARAMETER_MOVED": "BC006",
    "PARAMETER_REMOVED": "BC004",
    "PARAMETER_CHANGED_KIND": "BC007",
    "PARAMETER_CHANGED_DEFAULT": "BC010",
    "PARAMETER_CHANGED_REQUIRED": "BC008",
    "PARAMETER_ADDED_REQUIRED": "BC009",
    "RETURN_CHANGED_TYPE": "BC012",
    "OBJECT_REMOVED": "BC001",
    "OBJECT_CHANGED_KIND": "BC003",
    "ATTRIBUTE_CHANGED_TYPE": "BC014",
    "ATTRIBUTE_CHANGED_VALUE": "BC014",
    "CLASS_REMOVED_BASE": "BC015",
}


def _scored(keys) -> frozenset[Key]:
    return frozenset(k for k in keys if k[0] in RULES and RULES[k[0]].severity is not Impact.COMPATIBLE)


def _griffe_key(breakage) -> Key:
    rule = _GRIFFE_RULES[breakage.kind.name]
    obj = breakage.obj
    if rule == "BC001" and obj.is_alias:
        return "BC002", obj.target_path
    parent = obj.parent
    bases = [str(b) for b in getattr(parent, "bases", [])] if parent is not None else []
    if rule == "BC001" and any("Enum" in b for b in bases):
        return "BC017", obj.path
    return rule, obj.path


def _best(compare, repeats: int = REPEATS) -> float:
    """The best of ``repeats`` timings of ``compare()`` (sub-millisecond: one run is mostly noise)."""
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        compare()
        timings.append(time.perf_counter() - started)
    return min(timings)


def _griffe_load(directory: Path):
    return griffe.load(PACKAGE, search_paths=[str(directory)], try_relative_path=False)


def run_griffe(pair: CorpusPair) -> tuple[frozenset[Key], float, float]:
    """griffe's findings for a pair, its end-to-end time and its comparison-only time."""
    started = time.perf_counter()
    old, new = _griffe_load(pair.directory / "old"), _griffe_load(pair.directory / "new")
    breakages = list(griffe.find_breaking_changes(old, new))
    wall = time.perf_counter() - started
    return (
        frozenset(_griffe_key(b) for b in breakages),
        wall,
        _best(lambda: list(griffe.find_breaking_changes(old, new))),
    )


def run_static(pair: CorpusPair) -> tuple[frozenset[Key], frozenset[Key]]:
    """Our ``diff --static`` of a pair: (found, breaking) keys, nothing imported."""
    with contextlib.ExitStack() as stack:
        old, new = resolve_sides(
            str(pair.directory / "old"), str(pair.directory / "new"), stack, package=PACKAGE, static=True
        )
        judged, _ = compare_sides(old, new)
    keys = {j: (j.change.rule, j.change.subject) for j in judged}
    breaking = ("breaking", "allowed", "accepted")
    return (
        frozenset(k for j, k in keys.items() if j.status != "disproved"),
        frozenset(k for j, k in keys.items() if j.status in breaking),
    )


def contract_dirs(pair: CorpusPair, root: Path) -> tuple[Path, Path, float]:
    """Both sides of ``pair`` written as contract directories; and our model-only comparison time."""
    with contextlib.ExitStack() as stack:
        old, new = resolve_sides(
            str(pair.directory / "old"), str(pair.directory / "new"), stack, package=PACKAGE
        )
    compared = _best(lambda: diff_apis(old.api, new.api))
    dirs = []
    for name, side in (("old", old), ("new", new)):
        write_contracts(side.api, root / pair.name / name / "api")
        dirs.append(root / pair.name / name / "api")
    return dirs[0], dirs[1], compared


def main() -> None:
    """Diff every corpus pair with both tools once; print findings scores and wall-time ratios."""
    pairs = load_corpus()
    ours, theirs, static = [], [], []
    ours_time = theirs_time = theirs_compare = ours_compare = ours_files = theirs_files = 0.0
    static_time = 0.0
    with tempfile.TemporaryDirectory(prefix="bench-diff-") as tmp:
        # Warm-up (imports, caches) of both tools on the first pair, untimed.
        run_griffe(pairs[0])
        contract_dirs(pairs[0], Path(tmp) / "warm-up")
        for pair in pairs:
            expected = _scored(pair.expected)
            scored_pair = CorpusPair(
                pair.name, pair.directory, pair.description, pair.kind, expected, pair.disproved
            )
            started = time.perf_counter()
            result = run_pair(pair)
            ours_time += time.perf_counter() - started
            ours.append((scored_pair, _scored(result.found), _scored(result.breaking)))
            started = time.perf_counter()
            found_static, breaking_static = run_static(pair)
            static_time += time.perf_counter() - started
            static.append((scored_pair, _scored(found_static), _scored(breaking_static)))
            found, wall, compare = run_griffe(pair)
            theirs_time += wall
            theirs_compare += compare
            theirs.append((scored_pair, _scored(found), _scored(found)))
            old_dir, new_dir, compared = contract_dirs(pair, Path(tmp))
            ours_compare += compared
            started = time.perf_counter()
            diff_apis(load_contracts(old_dir), load_contracts(new_dir))
            ours_files += time.perf_counter() - started
            theirs_files += wall

    ours_score, theirs_score, static_score = score(ours), score(theirs), score(static)
    print(
        f"corpus: {len(pairs)} pairs, {ours_score.true_positives + ours_score.false_negatives} expected "
        "breaking/potentially breaking changes (compatible additions not scored)"
    )
    for name, s in (
        ("hokusai-contracts diff", ours_score),
        ("hokusai-contracts diff --static", static_score),
        ("griffe (find_breaking_changes)", theirs_score),
    ):
        print(
            f"  {name:32s} recall {s.recall:6.1%}  precision {s.precision:6.1%}  "
            f"tp {s.true_positives:2d}  fp {s.false_positives:2d}  fn {s.false_negatives:2d}  "
            f"breaking findings in compatible pairs {s.breaking_in_compatible}"
        )
    print("wall time, one run over the corpus:")
    print(
        f"  end to end (ours: 2 interpreters + witness per pair)  ours {ours_time:6.2f} s  "
        f"griffe {theirs_time:6.2f} s  ratio ours/griffe {ours_time / theirs_time:5.2f}"
    )
    print(
        f"  diff --static (ours: sources, no import) vs griffe    ours {static_time:6.2f} s  "
        f"griffe {theirs_time:6.2f} s  ratio ours/griffe {static_time / theirs_time:5.2f}"
    )
    print(
        f"  static diff from files (contract dirs vs sources)     ours {ours_files:6.3f} s  "
        f"griffe {theirs_files:6.3f} s  ratio ours/griffe {ours_files / theirs_files:5.2f}"
    )
    print(
        f"  static comparison of loaded models                    ours {ours_compare:6.4f} s  "
        f"griffe {theirs_compare:6.4f} s  ratio ours/griffe {ours_compare / theirs_compare:5.2f}"
    )


# Speed pairs (issue 15): this repository's releases 1.1.0 (bc8869b) -> 1.2.0 (c9c3eab) -> HEAD as git: sides,
# and one real package from the package index (packaging 21.3 -> 22.0, installed into two venvs with uv).
GIT_PAIRS = (("bc8869b", "c9c3eab"), ("c9c3eab", "HEAD"))
INDEX_PAIR = ("packaging", "21.3", "22.0")
VENVS = Path(tempfile.gettempdir()) / "hokusai-bench-venvs"


@dataclass
class Timing:
    """One pair's wall times (seconds) and finding counts."""

    pair: str
    static: float
    full: float
    probes: float
    griffe_cli: float | None
    trees: float
    griffe_api: float
    ours_static_breaking: int
    ours_full_breaking: int
    griffe_breakages: int


def _breaking(report) -> int:
    return sum(1 for j in report.judged if RULES[j.change.rule].severity is Impact.BREAKING)


def time_ours(old: str, new: str, package: str) -> tuple[float, float, float, int, int]:
    """(static, full, probes) seconds and breaking counts: ``diff --static`` (no import), then the full
    diff (one worker per side: structure probe, introspection; probes; witnesses), probes timed apart."""
    started = time.perf_counter()
    with contextlib.ExitStack() as stack:
        sides = resolve_sides(old, new, stack, package=package, static=True)
        static_report = diff_findings(*sides, [])
    static = time.perf_counter() - started
    started = time.perf_counter()
    with contextlib.ExitStack() as stack:
        old_side, new_side = resolve_sides(old, new, stack, package=package)
        resolved = time.perf_counter()
        probe_sides(old_side, new_side)
        probed = time.perf_counter()
        full_report = diff_findings(old_side, new_side, [])
        finished = time.perf_counter()
    # The full run as the CLI does it: resolve + diff (which probes and witnesses); the probe pass
    # timed above is left out of it.
    full = (resolved - started) + (finished - probed)
    return static, full, probed - resolved, _breaking(static_report), _breaking(full_report)


def time_static_trees(old_root: Path, new_root: Path, package: str) -> float:
    """Our static pass on the same two trees griffe's API loads, and the comparison (no git, no sides)."""
    started = time.perf_counter()
    diff_apis(static_api(old_root, package), static_api(new_root, package))
    return time.perf_counter() - started


def time_griffe_api(old_root: Path, new_root: Path, package: str) -> tuple[float, int]:
    """griffe's Python API: load both trees from source and find the breaking changes."""
    started = time.perf_counter()
    loaded = [
        griffe.load(package, search_paths=[str(r)], try_relative_path=False) for r in (old_root, new_root)
    ]
    breakages = list(griffe.find_breaking_changes(*loaded))
    return time.perf_counter() - started, len(breakages)


def time_griffe_cli(old_ref: str, new_ref: str, package: str) -> float:
    """``griffe check -a OLD -b NEW PACKAGE`` in this repository (its CLI needs git refs)."""
    griffe_cli = Path(sys.executable).with_name("griffe")
    started = time.perf_counter()
    subprocess.run(
        [str(griffe_cli), "check", "-a", old_ref, "-b", new_ref, package],
        cwd=REPOSITORY,
        capture_output=True,
        check=False,
    )
    return time.perf_counter() - started


def index_venvs() -> tuple[Path, Path] | None:
    """Two venvs with the index pair's versions installed (uv; kept under the temp dir between runs)."""
    name, old, new = INDEX_PAIR
    uv = Path(sys.executable).with_name("uv")
    venvs = []
    for version in (old, new):
        venv = VENVS / f"{name}-{version}"
        if not (venv / "bin" / "python").exists():
            made = subprocess.run([str(uv), "venv", "-q", str(venv)], capture_output=True, check=False)
            pip = [str(uv), "pip", "install", "-q", "--python", str(venv / "bin" / "python")]
            installed = subprocess.run([*pip, f"{name}=={version}"], capture_output=True, check=False)
            if made.returncode or installed.returncode:
                print(f"  (cannot build {name} {version} with uv: {installed.stderr.decode()[-200:]})")
                return None
        venvs.append(venv)
    return venvs[0], venvs[1]


def _site_packages(venv: Path) -> Path:
    return next((venv / "lib").glob("python*/site-packages"))


def speed_main() -> None:
    """Static, full and probe times next to griffe's on the same pairs (one run each)."""
    timings: list[Timing] = []
    pairs: list[tuple[str, str, str, str, list[Path], str | None]] = []
    with contextlib.ExitStack() as stack:
        for old_ref, new_ref in GIT_PAIRS:
            roots = []
            for ref in (old_ref, new_ref):
                root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-git-")))
                git_archive(REPOSITORY, ref, ["hokusai"], root)
                roots.append(root)
            label = f"hokusai {old_ref}..{new_ref}"
            pairs.append(
                (label, "hokusai", f"git:{old_ref}", f"git:{new_ref}", roots, f"{old_ref} {new_ref}")
            )
        venvs = index_venvs()
        if venvs is not None:
            name, old, new = INDEX_PAIR
            sites = [_site_packages(v) for v in venvs]
            pairs.append((f"{name} {old}..{new}", name, str(venvs[0]), str(venvs[1]), sites, None))
        for label, package, old_spec, new_spec, roots, refs in pairs:
            # In-process loads: warmed up once, best of three (the machine is shared; one run is noisy).
            time_griffe_api(roots[0], roots[1], package)
            time_static_trees(roots[0], roots[1], package)
            griffe_runs = [time_griffe_api(roots[0], roots[1], package) for _ in range(3)]
            griffe_api, breakages = min(griffe_runs)
            trees = min(time_static_trees(roots[0], roots[1], package) for _ in range(3))
            griffe_cli = time_griffe_cli(*refs.split(), package) if refs else None
            static, full, probes, ours_static, ours_full = time_ours(old_spec, new_spec, package)
            timings.append(
                Timing(
                    label,
                    static,
                    full,
                    probes,
                    griffe_cli,
                    trees,
                    griffe_api,
                    ours_static,
                    ours_full,
                    breakages,
                )
            )
    print("speed (seconds; end-to-end columns one run each, in-process loads best of 3 after a warm-up):")
    print(
        "  --static: `diff --static` end to end (sides exported from git / located in the venv, read from "
        "source, compared, judged)\n  full: the diff as the CLI runs it (one worker per side: structure "
        "probe, introspection, probes, witnesses)\n  probes: the differential probes of both sides alone\n"
        "  trees: our static pass + comparison on the two trees griffe's API loads\n  griffe CLI: "
        "`griffe check -a OLD -b NEW` (git refs only: none for the index pair); griffe API: griffe.load x2 + "
        "find_breaking_changes"
    )
    print(
        f"  {'pair':28s} {'--static':>8s} {'full':>6s} {'probes':>6s} {'trees':>6s} {'griffe CLI':>10s} "
        f"{'griffe API':>10s} {'static/CLI':>10s} {'trees/API':>9s}  breaking static/full/griffe"
    )
    for t in timings:
        cli = f"{t.griffe_cli:10.2f}" if t.griffe_cli is not None else f"{'-':>10s}"
        ratio = f"{t.static / t.griffe_cli:10.2f}" if t.griffe_cli is not None else f"{'-':>10s}"
        print(
            f"  {t.pair:28s} {t.static:8.2f} {t.full:6.2f} {t.probes:6.2f} {t.trees:6.2f} {cli} "
            f"{t.griffe_api:10.2f} {ratio} {t.trees / t.griffe_api:9.2f}  "
            f"{t.ours_static_breaking}/{t.ours_full_breaking}/{t.griffe_breakages}"
        )
    static_ok = all(
        t.trees <= t.griffe_api and (t.griffe_cli is None or t.static <= t.griffe_cli) for t in timings
    )
    print(
        "  goals: static no slower than griffe (trees/API and static/CLI <= 1.00), probes <= 3 s per pair; "
        f"met: static {static_ok}, probes {all(t.probes <= 3.0 for t in timings)}"
    )


if __name__ == "__main__":
    if "--speed" not in sys.argv:
        main()
    speed_main()
