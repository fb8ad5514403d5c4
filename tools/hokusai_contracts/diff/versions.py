"""A side's own version, read from its files without importing anything (never the harness's venv).

A source tree, an unpacked wheel or sdist says its version in ``<package>/__init__.py``
(``__version__ = "1.2.0"``), in a wheel's ``*.dist-info/METADATA`` or an sdist's ``PKG-INFO``, or in
``pyproject.toml`` (``[project] version``). Reading the installed distribution's metadata instead would
report whatever the harness's environment has installed under the same name.
"""

from __future__ import annotations

import ast
import re
from email.parser import HeaderParser
from pathlib import Path

# A static ``version = "..."`` in pyproject's ``[project]`` table (tomllib needs Python 3.11).
_PROJECT_VERSION = re.compile(
    r'^\[project\]\s*$(?:(?!^\[).)*?^version\s*=\s*["\']([^"\']+)["\']', re.MULTILINE | re.DOTALL
)


def source_version(package_dir: Path) -> str | None:
    """``__version__`` assigned a string literal in ``package_dir/__init__.py`` (or ``_version.py``)."""
    for name in ("__init__.py", "_version.py", "version.py", "__version__.py"):
        path = package_dir / name
        if not path.is_file():
            continue
        try:
            tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"))
        except SyntaxError:
            continue
        for node in tree.body:
            value = _assigned_string(node, ("__version__", "version", "VERSION"))
            if value:
                return value
    return None


def _assigned_string(node: ast.stmt, names: tuple[str, ...]) -> str | None:
    targets: list[ast.expr] = []
    if isinstance(node, ast.Assign):
        targets, value = node.targets, node.value
    elif isinstance(node, ast.AnnAssign) and node.value is not None:
        targets, value = [node.target], node.value
    else:
        return None
    named = any(isinstance(t, ast.Name) and t.id in names for t in targets)
    if named and isinstance(value, ast.Constant) and isinstance(value.value, str):
        return value.value
    return None


def metadata_version(root: Path) -> str | None:
    """``Version:`` of a wheel's ``*.dist-info/METADATA`` or an sdist's ``PKG-INFO`` under ``root``."""
    for path in [*sorted(root.glob("*.dist-info/METADATA")), root / "PKG-INFO"]:
        if path.is_file():
            headers = HeaderParser().parsestr(path.read_text(encoding="utf-8", errors="replace"))
            if headers.get("Version"):
                return headers["Version"].strip()
    return None


def pyproject_version(root: Path) -> str | None:
    """``[project] version`` of ``root/pyproject.toml`` when it is static."""
    path = root / "pyproject.toml"
    if not path.is_file():
        return None
    match = _PROJECT_VERSION.search(path.read_text(encoding="utf-8", errors="replace"))
    return match.group(1) if match else None


def side_version(root: Path, package_base: Path, package: str) -> str | None:
    """The version ``root`` (a tree, unpacked wheel or sdist) declares for ``package``, None if none."""
    return (
        metadata_version(root)
        or source_version(package_base / package)
        or pyproject_version(root)
        or (pyproject_version(package_base) if package_base != root else None)
    )
