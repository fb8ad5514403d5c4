"""Which files are documentation: every ``.md``, ``.mdx``, ``.rst``, ``.ipynb`` and ``.py`` under the
paths given (recursively, ``README.md`` included), minus ``--exclude`` globs and build/VCS/venv folders,
with the ``[tool.hokusai-contracts]`` defaults of the nearest ``pyproject.toml``.
"""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass, field
from pathlib import Path

from hokusai_contracts.base.errors import HarnessUsageError
from hokusai_contracts.base.files import read_text_file

try:  # Python >= 3.11; on 3.10 the pyproject defaults are not read (options still work)
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - depends on the Python version
    tomllib = None

DOC_SUFFIXES = (".md", ".mdx", ".markdown", ".rst", ".ipynb", ".py")
# Never documentation, and often huge: version control, environments, build output, caches.
SKIPPED_DIRECTORIES = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".venv",
        "venv",
        "env",
        "node_modules",
        "__pycache__",
        ".tox",
        ".nox",
        "build",
        "_build",
        "dist",
        "site",
        ".docusaurus",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
        ".ipynb_checkpoints",
    }
)
# Python files that live among docs but are tooling, not examples (taken when named on the command line).
SKIPPED_FILES = frozenset({"conf.py", "conftest.py", "setup.py", "noxfile.py", "fabfile.py"})
CONFIG_SECTION = "hokusai-contracts"


@dataclass(frozen=True)
class DocsConfig:
    """docs-check's defaults from ``[tool.hokusai-contracts]`` (every key optional)."""

    paths: tuple[str, ...] = ()
    python: str | None = None
    package: str | None = None
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    env: tuple[str, ...] = ()
    page_timeout: float | None = None
    source: Path | None = None


def load_config(start: Path) -> DocsConfig:
    """The ``[tool.hokusai-contracts]`` section of the ``pyproject.toml`` at or above ``start``."""
    directory = start.resolve()
    if directory.is_file():
        directory = directory.parent
    if tomllib is None:
        return DocsConfig()
    for candidate in (directory, *directory.parents):
        path = candidate / "pyproject.toml"
        if path.is_file():
            return _config_from(path)
    return DocsConfig()


def _config_from(path: Path) -> DocsConfig:
    try:
        data = tomllib.loads(read_text_file(path, expected="a pyproject.toml"))
    except tomllib.TOMLDecodeError as exc:
        raise HarnessUsageError(f"{path}: not valid TOML ({exc})") from None
    section = data.get("tool", {}).get(CONFIG_SECTION, {})
    if not isinstance(section, dict):
        raise HarnessUsageError(f"{path}: [tool.{CONFIG_SECTION}] must be a table")
    docs = section.get("docs-check", section)
    known = {"paths", "python", "package", "include", "exclude", "env", "page-timeout", "docs-check"}
    unknown = sorted(set(docs) - known)
    if docs is not section and unknown:
        raise HarnessUsageError(
            f"{path}: [tool.{CONFIG_SECTION}.docs-check] has unknown key(s) {', '.join(unknown)}; "
            f"known: {', '.join(sorted(known - {'docs-check'}))}"
        )

    def strings(key: str) -> tuple[str, ...]:
        value = docs.get(key, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise HarnessUsageError(
                f"{path}: [tool.{CONFIG_SECTION}] {key} must be a string or a list of strings"
            )
        return tuple(value)

    timeout = docs.get("page-timeout")
    if timeout is not None and (not isinstance(timeout, int | float) or timeout <= 0):
        raise HarnessUsageError(f"{path}: [tool.{CONFIG_SECTION}] page-timeout must be a positive number")
    python = docs.get("python")
    return DocsConfig(
        paths=strings("paths"),
        python=str(path.parent / python) if isinstance(python, str) and "/" in python else python,
        package=docs.get("package") if isinstance(docs.get("package"), str) else None,
        include=strings("include"),
        exclude=strings("exclude"),
        env=strings("env"),
        page_timeout=float(timeout) if timeout is not None else None,
        source=path,
    )


@dataclass
class Discovery:
    """The files found, and the paths given that held none."""

    files: list[Path] = field(default_factory=list)
    empty: list[Path] = field(default_factory=list)


def _matches(path: Path, patterns: tuple[str, ...]) -> bool:
    text = path.as_posix()
    return any(
        fnmatch.fnmatch(text, pattern)
        or fnmatch.fnmatch(path.name, pattern)
        or fnmatch.fnmatch(text, f"*/{pattern}")
        for pattern in patterns
    )


def discover(paths: list[Path], include: tuple[str, ...] = (), exclude: tuple[str, ...] = ()) -> Discovery:
    """Documentation files under ``paths`` (a file given by name is taken whatever its suffix), sorted."""
    found = Discovery()
    seen: set[Path] = set()
    for root in paths:
        if not root.exists():
            raise HarnessUsageError(f"{root}: no such file or directory; pass documentation files or folders")
        before = len(found.files)
        candidates = [root] if root.is_file() else _walk(root)
        for path in candidates:
            if root.is_dir() and (
                path.suffix.lower() not in DOC_SUFFIXES
                or path.name in SKIPPED_FILES
                or (include and not _matches(path, include))
            ):
                continue
            if exclude and _matches(path, exclude):
                continue
            if path.resolve() not in seen:
                seen.add(path.resolve())
                found.files.append(path)
        if len(found.files) == before:
            found.empty.append(root)
    return found


def _walk(root: Path) -> list[Path]:
    files = []
    for directory, subdirectories, names in os.walk(root):
        subdirectories[:] = sorted(
            d for d in subdirectories if d not in SKIPPED_DIRECTORIES and not d.startswith(".")
        )
        files.extend(Path(directory) / name for name in sorted(names))
    return files
