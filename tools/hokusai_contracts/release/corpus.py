"""The self-test corpus (``fixtures/breaking_changes/``): load the pairs, diff each, score against snapshots.

A pair is a directory with ``old/`` and ``new/`` (each holding the package ``corpkg`` and optionally
``contracts/api``) and ``expected.yaml``. Only static ids (BC0xx) are scored here: behavioural pairs
(``behaviour-*``) are run through every static rule too, and their BC1xx expectations are left to the
behaviour checks.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from hokusai_contracts.diff.sides import resolve_sides
from hokusai_contracts.release.run import compare_sides

CORPUS = Path(__file__).resolve().parents[3] / "fixtures" / "breaking_changes"
PACKAGE = "corpkg"

Key = tuple[str, str]  # (rule id, object path)


def _static(keys: Iterable[Key]) -> frozenset[Key]:
    return frozenset(k for k in keys if k[0].startswith("BC0"))


@dataclass(frozen=True)
class CorpusPair:
    """One old/new package pair and the changes it must produce (its snapshot)."""

    name: str
    directory: Path
    description: str
    kind: str
    expected: frozenset[Key]
    disproved: frozenset[Key]


@dataclass(frozen=True)
class PairResult:
    """What the diff found for one pair: reported changes and changes the witness disproved."""

    pair: CorpusPair
    found: frozenset[Key]
    disproved: frozenset[Key]
    breaking: frozenset[Key]

    @property
    def matches(self) -> bool:
        """True when the findings equal the snapshot."""
        return self.found == self.pair.expected and self.disproved == self.pair.disproved


def _keys(data: dict, name: str) -> frozenset[Key]:
    return _static((item["rule"], item["object"]) for item in data.get(name) or [])


def load_corpus(root: Path = CORPUS) -> list[CorpusPair]:
    """Every pair under ``root``, sorted by name."""
    pairs = []
    for expected_file in sorted(Path(root).glob("*/expected.yaml")):
        data = yaml.safe_load(expected_file.read_text(encoding="utf-8")) or {}

        pairs.append(
            CorpusPair(
                name=expected_file.parent.name,
                directory=expected_file.parent,
                description=data.get("description", ""),
                kind=data.get("kind", "breaking"),
                expected=_keys(data, "expected"),
                disproved=_keys(data, "disproved"),
            )
        )
    return pairs


def run_pair(pair: CorpusPair, python: str | None = None) -> PairResult:
    """Diff the pair's old and new package with every static rule, witnesses included."""
    with contextlib.ExitStack() as stack:
        old, new = resolve_sides(
            str(pair.directory / "old"), str(pair.directory / "new"), stack, package=PACKAGE, python=python
        )
        judged, _ = compare_sides(old, new)
    keys = {j: (j.change.rule, j.change.subject) for j in judged}
    return PairResult(
        pair,
        found=_static(k for j, k in keys.items() if j.status != "disproved"),
        disproved=_static(k for j, k in keys.items() if j.status == "disproved"),
        breaking=_static(k for j, k in keys.items() if j.status in ("breaking", "allowed", "accepted")),
    )


@dataclass(frozen=True)
class Score:
    """Recall and precision of reported changes against the snapshots, over the whole corpus."""

    pairs: int
    true_positives: int
    false_positives: int
    false_negatives: int
    breaking_in_compatible: int

    @property
    def recall(self) -> float:
        """Share of expected changes that were reported."""
        expected = self.true_positives + self.false_negatives
        return self.true_positives / expected if expected else 1.0

    @property
    def precision(self) -> float:
        """Share of reported changes that were expected."""
        reported = self.true_positives + self.false_positives
        return self.true_positives / reported if reported else 1.0

    def describe(self, tool: str = "hokusai-contracts diff") -> str:
        """One line for logs."""
        return (
            f"{tool}: corpus of {self.pairs} pairs: recall {self.recall:.1%} "
            f"({self.true_positives}/{self.true_positives + self.false_negatives}), precision "
            f"{self.precision:.1%}, {self.false_positives} false positive(s), "
            f"{self.breaking_in_compatible} breaking finding(s) in compatible pairs"
        )


def score(results: Iterable[tuple[CorpusPair, frozenset[Key], frozenset[Key]]]) -> Score:
    """Score ``(pair, reported, reported-as-breaking)`` triples against each pair's snapshot."""
    tp = fp = fn = wrong = pairs = 0
    for pair, reported, breaking in results:
        pairs += 1
        tp += len(reported & pair.expected)
        fp += len(reported - pair.expected)
        fn += len(pair.expected - reported)
        if pair.kind == "compatible":
            wrong += len(breaking)
    return Score(pairs, tp, fp, fn, wrong)
