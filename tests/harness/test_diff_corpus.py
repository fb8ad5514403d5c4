"""The breaking-change corpus (fixtures/breaking_changes): every static rule on every pair, against snapshots.

Prints recall and precision over the corpus on the terminal (also from an xdist worker, so CI logs
show it). Behavioural pairs (``behaviour-*``) run through every static rule too; only their BC0xx
expectations are compared here.
"""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from hokusai_contracts.diff.rules import STATIC_RULES
from hokusai_contracts.release.corpus import PairResult, load_corpus, run_pair, score

PAIRS = load_corpus()


@pytest.fixture(scope="module")
def results() -> dict[str, PairResult]:
    """Every pair diffed once (two at a time: each side is read in its own interpreter)."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        return {r.pair.name: r for r in pool.map(run_pair, PAIRS)}


def _show(pytestconfig: pytest.Config, text: str) -> None:
    capture = pytestconfig.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        sys.stderr.write(f"\n{text}\n")
        sys.stderr.flush()


def test_corpus_has_a_pair_for_every_static_rule():
    triggered = {rule for pair in PAIRS for rule, _ in pair.expected}
    missing = [r.rule.id for r in STATIC_RULES if r.rule.id not in triggered]
    assert missing == []
    assert sum(p.kind == "compatible" and not p.name.startswith("bc") for p in PAIRS) >= 10


def test_every_pair_matches_its_snapshot(results):
    mismatches = [
        f"{r.pair.name}: found {sorted(r.found)}, expected {sorted(r.pair.expected)}; "
        f"disproved {sorted(r.disproved)}, expected {sorted(r.pair.disproved)}"
        for r in results.values()
        if not r.matches
    ]
    assert mismatches == []


def test_corpus_scores(results, pytestconfig):
    scores = score((r.pair, r.found, r.breaking) for r in results.values())
    _show(pytestconfig, scores.describe())
    assert (scores.recall, scores.precision) == (1.0, 1.0)
    assert scores.breaking_in_compatible == 0


def test_witness_disproves_decorator_and_lazy_export_traps(results):
    assert results["trap-decorator-keeps-keyword"].disproved == {("BC005", "corpkg.fetch")}
    assert results["trap-lazy-export-getattr-only"].disproved == {("BC002", "corpkg.heavy.Engine")}
    # The same rename without the decorator stays breaking: the witness confirms it.
    assert results["bc005-parameter-renamed"].breaking == {("BC005", "corpkg.fetch")}
