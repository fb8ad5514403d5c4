"""The per-phase timing of a ``verify`` run: a table for the terminal and the ``--profile`` JSON.

Phases are recorded with :func:`base.timing.phase` (re-exported here): server starts, each family, the
pages and scenarios inside them, the release diff, report writing. A phase started in a worker thread
keeps its parent when the thread's function was wrapped with :func:`base.timing.carried`.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from hokusai_contracts.base.timing import Phase, Timeline, carried, current, phase, recording

__all__ = ["Phase", "Timeline", "carried", "current", "phase", "profile_json", "recording", "table_lines"]

PROFILE_VERSION = 1


def ordered(timeline: Timeline) -> list[tuple[int, Phase]]:
    """The phases by start time, each with its depth (0: a phase of the run itself)."""
    by_name = {p.name: p for p in timeline.phases}

    def depth(p: Phase) -> int:
        seen, level = {p.name}, 0
        while p.parent is not None and p.parent in by_name and p.parent not in seen:
            seen.add(p.parent)
            p, level = by_name[p.parent], level + 1
        return level

    # A parent starts with its child at the latest: at a tie, the longer (then the shallower) comes first.
    return sorted(((depth(p), p) for p in timeline.phases), key=lambda d: (d[1].start, -d[1].duration, d[0]))


def table_lines(timeline: Timeline, total: float | None = None, max_depth: int = 2) -> list[str]:
    """The table: one line per phase (indented by depth, up to ``max_depth``), start and duration in s."""
    total = timeline.total() if total is None else total
    rows = [(d, p) for d, p in ordered(timeline) if d <= max_depth]
    width = max([len("phase"), *(2 * d + len(p.name) for d, p in rows)])
    lines = [f"{'phase':{width}}  {'start s':>8}  {'took s':>7}"]
    for d, p in rows:
        lines.append(f"{'  ' * d + p.name:{width}}  {p.start:8.1f}  {p.duration:7.1f}")
    lines.append(f"{'total':{width}}  {0.0:8.1f}  {total:7.1f}")
    return lines


def profile_json(timeline: Timeline, total: float | None = None) -> str:
    """The ``--profile`` document: every phase (name, start, duration, parent) and the run's total."""
    document = {
        "version": PROFILE_VERSION,
        "total_s": round(timeline.total() if total is None else total, 3),
        "phases": [
            {**asdict(p), "start": round(p.start, 3), "duration": round(p.duration, 3), "depth": d}
            for d, p in ordered(timeline)
        ],
    }
    return json.dumps(document, indent=2) + "\n"


def write_profile(timeline: Timeline, path: Path, total: float | None = None) -> None:
    """Write :func:`profile_json` to ``path`` (its directory created)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(profile_json(timeline, total))
