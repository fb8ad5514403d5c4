"""Content keys of ``verify``'s results: everything a unit's findings depend on, hashed.

A key is the sha256 of a canonical JSON of its parts (the SDK's code and installed distributions, the
unit's own text, the shared contract files it reads, the server it runs against, the harness's code and
the options that change results). The functions that build and hash parts are pure; the readers (a
file tree, the checked interpreter's package and distributions) are small functions at the bottom.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hokusai_contracts
from hokusai_contracts.base.errors import InfrastructureError
from hokusai_contracts.base.workers import resolve_python

# Bump when the stored entry or the key parts change meaning: old entries then simply miss.
KEY_FORMAT = 1
# Never part of a tree's content: caches of the tools that read the files.
IGNORED_NAMES = frozenset({"__pycache__", ".git", ".pytest_cache", ".ruff_cache", ".mypy_cache"})
IGNORED_SUFFIXES = (".pyc", ".pyo")
# Files above a documentation page that configure ruff, which lints the page's blocks (DOC004).
RUFF_CONFIG_NAMES = ("pyproject.toml", "ruff.toml", ".ruff.toml")
PROBE_TIMEOUT_S = 60.0


def canonical(parts: Any) -> str:
    """``parts`` as canonical JSON: sorted keys, no spaces, so equal parts give equal text."""
    return json.dumps(parts, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def key_of(parts: Any) -> str:
    """The key of ``parts``: the sha256 (hex) of their canonical JSON."""
    return hashlib.sha256(canonical(parts).encode("utf-8")).hexdigest()


def digest_bytes(data: bytes) -> str:
    """The sha256 (hex) of ``data``."""
    return hashlib.sha256(data).hexdigest()


def digest_text(text: str) -> str:
    """The sha256 (hex) of ``text`` as UTF-8."""
    return digest_bytes(text.encode("utf-8", "surrogatepass"))


def digest_entries(entries: Iterable[tuple[str, str]]) -> str:
    """One digest of (name, digest) pairs, independent of their order."""
    return key_of(sorted(entries))


@dataclass(frozen=True)
class Interpreter:
    """What the checked interpreter contributes to a key: its SDK's files and installed distributions."""

    python: str  # sys.version of the interpreter
    sdk: str  # digest of every file of the SDK package ("missing" when it is not importable)
    distributions: tuple[str, ...]  # sorted name==version

    def parts(self) -> dict[str, Any]:
        """The key parts of this interpreter."""
        return {"python": self.python, "sdk": self.sdk, "distributions": list(self.distributions)}


def unit_parts(
    base: Mapping[str, Any], family: str, unit: str, text_digest: str, shared: Mapping[str, str]
) -> dict[str, Any]:
    """The parts of one unit's key: the run's ``base`` parts, the unit's name and text, what it shares."""
    return {**base, "family": family, "unit": unit, "text": text_digest, "shared": dict(shared)}


# -- readers ------------------------------------------------------------------------------------------


def file_digest(path: Path) -> str:
    """The digest of one file's bytes; ``missing`` / ``unreadable: why`` instead of raising."""
    try:
        return digest_bytes(path.read_bytes())
    except FileNotFoundError:
        return "missing"
    except OSError as exc:  # a directory, a broken link, no permission: the unit reports it when it runs
        return f"unreadable: {type(exc).__name__}"


def tree_digest(root: Path) -> str:
    """One digest of every file under ``root`` (names relative to it, contents), tool caches left out.

    A file is digested as a tree of one; a missing root is ``missing``.
    """
    if root.is_file():
        return digest_entries([(root.name, file_digest(root))])
    if not root.is_dir():
        return "missing"
    entries = []
    for directory, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in IGNORED_NAMES)
        for name in files:
            if name in IGNORED_NAMES or name.endswith(IGNORED_SUFFIXES):
                continue
            path = Path(directory) / name
            entries.append((path.relative_to(root).as_posix(), file_digest(path)))
    return digest_entries(entries)


def ruff_configs(page: Path) -> dict[str, str]:
    """Digests of the ruff configuration files above ``page`` (ruff finds its settings there)."""
    found = {}
    for directory in Path(os.path.abspath(page)).parents:
        for name in RUFF_CONFIG_NAMES:
            candidate = directory / name
            if candidate.is_file():
                found[str(candidate)] = file_digest(candidate)
    return found


@functools.cache
def harness_digest() -> str:
    """The digest of the harness's own source files (any change to the harness changes every key)."""
    return tree_digest(Path(hokusai_contracts.__file__).resolve().parent)


_PROBE = r"""
import importlib.metadata as metadata, importlib.util, json, sys
sys.path[:] = [p for p in sys.path if p]  # -c puts the working directory first; the SDK's runs do not
try:
    spec = importlib.util.find_spec(sys.argv[1])
except (ImportError, ValueError):
    spec = None
origin = [spec.origin] if spec is not None and spec.origin else []
where = [] if spec is None else list(spec.submodule_search_locations or origin)
names = set()
for dist in metadata.distributions():
    name = dist.metadata["Name"] if dist.metadata else None
    if name:
        names.add(f"{name.lower().replace('_', '-')}=={dist.version}")
print(json.dumps({"python": sys.version, "where": where, "distributions": sorted(names)}))
"""


def probe_interpreter(python: str | None, package: str, extra_paths: Iterable[str] = ()) -> Interpreter:
    """The :class:`Interpreter` of ``python`` (None: this one) with ``extra_paths`` first on its path.

    One short subprocess (the package is found, not imported); InfrastructureError when it fails.
    """
    executable = resolve_python(python)
    environ = dict(os.environ)
    extra = [str(p) for p in extra_paths]
    if extra:
        environ["PYTHONPATH"] = os.pathsep.join([*extra, environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    try:
        done = subprocess.run(
            [executable, "-c", _PROBE, package],
            capture_output=True,
            text=True,
            env=environ,
            timeout=PROBE_TIMEOUT_S,
            check=False,
        )
        facts = json.loads(done.stdout)
    except (OSError, subprocess.TimeoutExpired, ValueError) as exc:
        raise InfrastructureError(f"could not ask {executable} about its packages: {exc}") from exc
    where = [Path(p) for p in facts["where"]]
    sdk = digest_entries((str(p), tree_digest(p)) for p in where) if where else "missing"
    return Interpreter(facts["python"], sdk, tuple(facts["distributions"]))
