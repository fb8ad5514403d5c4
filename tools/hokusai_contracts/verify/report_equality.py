"""Are two JSON reports of ``verify`` the same result? (CI: a run without the cache and one with it.)

Compared: the status, exit code, SDK version, infrastructure error, counts and every finding. Ignored:
what differs between equal runs (the duration, the server's URL, server events, cached flags).

``python -m hokusai_contracts.verify.report_equality A.json B.json``: exit 0 when equal, 1 with the
differing findings, 3 when a file cannot be read.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

RUN_FIELDS = ("status", "exit_code", "sdk_version", "infrastructure_error")
IGNORED_FINDING_FIELDS = frozenset({"cached", "duration_s"})


def _finding(data: Mapping[str, Any]) -> str:
    return json.dumps({k: v for k, v in data.items() if k not in IGNORED_FINDING_FIELDS}, sort_keys=True)


def differences(first: Mapping[str, Any], second: Mapping[str, Any]) -> list[str]:
    """What differs between two report documents, one line each ([] when they report the same run)."""
    lines = []
    run_a, run_b = first.get("run", {}), second.get("run", {})
    for name in RUN_FIELDS:
        if run_a.get(name) != run_b.get(name):
            lines.append(f"run.{name}: {run_a.get(name)!r} != {run_b.get(name)!r}")
    if first.get("counts") != second.get("counts"):
        lines.append(f"counts: {first.get('counts')} != {second.get('counts')}")
    found_a = Counter(_finding(f) for f in first.get("findings", []))
    found_b = Counter(_finding(f) for f in second.get("findings", []))
    lines += [f"only in the first:  {text}" for text in sorted((found_a - found_b).elements())]
    lines += [f"only in the second: {text}" for text in sorted((found_b - found_a).elements())]
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    """Compare the two report files named in ``argv``; print the differences; the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 2:
        print("usage: python -m hokusai_contracts.verify.report_equality A.json B.json", file=sys.stderr)
        return 3
    try:
        first, second = (json.loads(Path(name).read_text(encoding="utf-8")) for name in args)
    except (OSError, ValueError) as exc:
        print(f"error: cannot read a report: {exc}", file=sys.stderr)
        return 3
    lines = differences(first, second)
    if not lines:
        total = first.get("counts", {}).get("total", {}).get("total")
        print(f"reports equal: {args[0]} and {args[1]} ({total} findings)")
        return 0
    print(f"reports differ: {args[0]} and {args[1]}:", file=sys.stderr)
    for line in lines:
        print(f"  {line}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
