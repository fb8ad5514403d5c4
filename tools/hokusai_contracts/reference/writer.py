"""Rendered files -> a directory, and the comparison ``docs --check`` makes with a committed copy.

Writing replaces only what changed and deletes pages the build no longer makes, but only pages it made
itself (they carry :data:`~hokusai_contracts.reference.render.MARKER`): pointing ``--out`` at a folder
with other files never deletes them.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from hokusai_contracts.base.errors import HarnessUsageError
from hokusai_contracts.reference.render import MARKER

_DIFF_LINES_SHOWN = 40


@dataclass
class Comparison:
    """How a directory differs from a fresh build: files missing, different, or no longer made."""

    missing: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    diffs: dict[str, list[str]] = field(default_factory=dict)

    @property
    def stale(self) -> bool:
        """True when the directory is not what the build makes."""
        return bool(self.missing or self.changed or self.extra)

    def summary(self) -> list[str]:
        """One line per differing file, then the start of each changed file's diff."""
        lines = [f"missing: {name}" for name in self.missing]
        lines += [f"changed: {name}" for name in self.changed]
        lines += [f"no longer generated: {name}" for name in self.extra]
        for name in self.changed:
            diff = self.diffs.get(name, [])
            lines += diff[:_DIFF_LINES_SHOWN]
            if len(diff) > _DIFF_LINES_SHOWN:
                lines.append(f"... {len(diff) - _DIFF_LINES_SHOWN} more diff lines in {name}")
        return lines


def _generated_pages(directory: Path, suffixes: Iterable[str]) -> list[str]:
    """Pages of ``directory`` that a reference build wrote (they carry the marker)."""
    found = []
    for suffix in sorted(set(suffixes)):
        for path in sorted(directory.glob(f"*{suffix}")):
            try:
                head = path.read_text(encoding="utf-8")[:400]
            except (OSError, UnicodeDecodeError):
                continue
            if MARKER in head:
                found.append(path.name)
    return found


def _suffixes(files: Mapping[str, str]) -> set[str]:
    return {Path(name).suffix for name in files if "/" not in name and name.endswith((".md", ".html"))}


def write_files(files: Mapping[str, str], out: Path) -> list[str]:
    """Write ``files`` under ``out``; the names written or deleted (unchanged files are left alone)."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise HarnessUsageError(f"--out {out}: not a directory")
    touched = []
    try:
        for name in sorted(set(_generated_pages(out, _suffixes(files))) - set(files)) if out.is_dir() else []:
            (out / name).unlink()
            touched.append(name)
        for name, text in files.items():
            path = out / name
            if path.is_file() and path.read_text(encoding="utf-8") == text:
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            touched.append(name)
    except OSError as exc:
        raise HarnessUsageError(f"--out {out}: cannot write the reference ({exc.strerror or exc})") from None
    return sorted(touched)


def compare(files: Mapping[str, str], directory: Path) -> Comparison:
    """How ``directory`` differs from ``files`` (a fresh build)."""
    directory = Path(directory)
    comparison = Comparison()
    for name, text in files.items():
        path = directory / name
        if not path.is_file():
            comparison.missing.append(name)
            continue
        committed = path.read_text(encoding="utf-8")
        if committed != text:
            comparison.changed.append(name)
            comparison.diffs[name] = list(
                difflib.unified_diff(
                    committed.splitlines(),
                    text.splitlines(),
                    f"{directory / name} (committed)",
                    f"{name} (generated)",
                    lineterm="",
                    n=1,
                )
            )
    if directory.is_dir():
        comparison.extra = sorted(set(_generated_pages(directory, _suffixes(files))) - set(files))
    return comparison
