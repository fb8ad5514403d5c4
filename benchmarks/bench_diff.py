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

Then the SDK-sized pairs (issue 15): the recorded releases 1.1.0 -> 1.2.0 and 1.2.0 -> the working tree:
our static diff of the recorded contracts (no import), the introspection of both source trees (two
interpreters importing MLflow) and the differential probes, next to griffe loading and checking the same
two source trees.
"""

from __future__ import annotations

import contextlib
import tempfile
import time
from pathlib import Path

import griffe

from hokusai_contracts.contract.store import load_contracts, write_contracts
from hokusai_contracts.diff.catalogue import Impact
from hokusai_contracts.diff.engine import diff_apis
from hokusai_contracts.diff.records import RELEASES_DIR, find_record, git_archive
from hokusai_contracts.diff.rules import RULES
from hokusai_contracts.diff.sides import REPOSITORY, resolve_sides
from hokusai_contracts.release.corpus import PACKAGE, CorpusPair, Key, load_corpus, run_pair, score
from hokusai_contracts.release.run import probe_sides

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
    ours, theirs = [], []
    ours_time = theirs_time = theirs_compare = ours_compare = ours_files = theirs_files = 0.0
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

    ours_score, theirs_score = score(ours), score(theirs)
    print(
        f"corpus: {len(pairs)} pairs, {ours_score.true_positives + ours_score.false_negatives} expected "
        "breaking/potentially breaking changes (compatible additions not scored)"
    )
    for name, s in (("hokusai-contracts diff", ours_score), ("griffe (find_breaking_changes)", theirs_score)):
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
        f"  static diff from files (contract dirs vs sources)     ours {ours_files:6.3f} s  "
        f"griffe {theirs_files:6.3f} s  ratio ours/griffe {ours_files / theirs_files:5.2f}"
    )
    print(
        f"  static comparison of loaded models                    ours {ours_compare:6.4f} s  "
        f"griffe {theirs_compare:6.4f} s  ratio ours/griffe {ours_compare / theirs_compare:5.2f}"
    )


# SDK-sized pairs: the recorded releases and the working tree (contracts/releases/, this repository).
SDK_PAIRS = (("1.1.0", "1.2.0"), ("1.2.0", "working tree"))


def _sdk_tree(version: str, stack: contextlib.ExitStack) -> tuple[Path, Path]:
    """(source root holding hokusai/, API contract directory) of a recorded release or the tree."""
    if version == "working tree":
        return REPOSITORY, REPOSITORY / "contracts" / "api"
    record = find_record(REPOSITORY / RELEASES_DIR, version)
    root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-sdk-")))
    git_archive(REPOSITORY, record.commit, ["hokusai"], root)
    return root, record.directory / "api"


def sdk_main() -> None:
    """Our static diff (recorded contracts, no import), introspection and probes vs griffe, per pair."""
    print("SDK pairs (this repository's hokusai, about 440 objects):")
    for old_version, new_version in SDK_PAIRS:
        with contextlib.ExitStack() as stack:
            (old_root, old_api), (new_root, new_api) = (
                _sdk_tree(v, stack) for v in (old_version, new_version)
            )
            started = time.perf_counter()
            diff_apis(load_contracts(old_api), load_contracts(new_api))
            static = time.perf_counter() - started
            started = time.perf_counter()
            old, new = resolve_sides(str(old_root), str(new_root), stack)
            introspection = time.perf_counter() - started
            started = time.perf_counter()
            probe_sides(old, new)
            probes = time.perf_counter() - started
            started = time.perf_counter()
            loaded = [
                griffe.load("hokusai", search_paths=[str(r)], try_relative_path=False)
                for r in (old_root, new_root)
            ]
            breakages = list(griffe.find_breaking_changes(*loaded))
            griffe_time = time.perf_counter() - started
        print(
            f"  {old_version} -> {new_version}: ours static (contracts, no import) {static:6.3f} s, "
            f"introspection of both sides {introspection:5.2f} s, differential probes {probes:5.2f} s | "
            f"griffe load + check {griffe_time:6.3f} s ({len(breakages)} breakages) | "
            f"static ratio ours/griffe {static / griffe_time:5.2f}"
        )


if __name__ == "__main__":
    main()
    sdk_main()
