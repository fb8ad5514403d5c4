"""A side's packaging metadata, read without installing anything: what a plain install (no extras)
requires, what each extra adds, and the console scripts it declares.

Sources, by side: a wheel's ``*.dist-info`` (``METADATA`` ``Requires-Dist`` with ``extra == ...``
markers, ``entry_points.txt``); an sdist's ``PKG-INFO``; a source tree's ``pyproject.toml``
(``[project] dependencies`` / ``optional-dependencies`` / ``scripts``) or ``setup.cfg``
(``install_requires`` / ``extras_require`` / ``console_scripts``); an installed distribution's metadata
text, as the side's interpreter reads it (``diff/cli_worker.py``). Names are compared canonically
(PEP 503: lower case, runs of ``-_.`` as one ``-``).
"""

from __future__ import annotations

import configparser
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from email.parser import HeaderParser
from pathlib import Path

try:  # the standard library's TOML reader is 3.11+; on 3.10 source trees fall back to setup.cfg
    import tomllib
except ImportError:  # pragma: no cover - Python 3.10
    tomllib = None  # type: ignore[assignment]

try:  # PEP 508 markers (``extra == "ml" and python_version >= "3.9"``) are read best by packaging
    from packaging.markers import default_environment
    from packaging.requirements import InvalidRequirement, Requirement
except ImportError:  # pragma: no cover - packaging ships with pip/mlflow; a regex reads the common forms
    Requirement = None  # type: ignore[assignment,misc]

# Import names whose distribution is named otherwise (when the side's interpreter cannot say).
ALIASES: Mapping[str, str] = {
    "sklearn": "scikit-learn",
    "skimage": "scikit-image",
    "yaml": "pyyaml",
    "PIL": "pillow",
    "cv2": "opencv-python",
    "bs4": "beautifulsoup4",
    "dateutil": "python-dateutil",
    "dotenv": "python-dotenv",
    "jwt": "pyjwt",
    "jose": "python-jose",
    "git": "gitpython",
    "zmq": "pyzmq",
    "OpenSSL": "pyopenssl",
    "Crypto": "pycryptodome",
    "serial": "pyserial",
    "docx": "python-docx",
    "magic": "python-magic",
    "attr": "attrs",
    "google.protobuf": "protobuf",
    "pkg_resources": "setuptools",
    "mpl_toolkits": "matplotlib",
    "psycopg2": "psycopg2-binary",
    "multipart": "python-multipart",
    "slugify": "python-slugify",
    "lightning": "lightning",
    "win32api": "pywin32",
}


def canonical(name: str) -> str:
    """The PEP 503 form of a distribution or extra name."""
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class PackageMetadata:
    """What a side declares: distribution name, base requirements, extras, console scripts.

    ``base`` and the extras hold canonical distribution names; ``scripts`` maps a console script's
    name to its entry point (``module:attr``); ``source`` says where it was read (for messages).
    """

    name: str
    base: frozenset[str] = frozenset()
    extras: Mapping[str, frozenset[str]] = field(default_factory=dict)
    scripts: Mapping[str, str] = field(default_factory=dict)
    source: str = ""
    # False when the requirements are computed at build time (``dynamic``): unknown, not empty.
    requirements_known: bool = True

    def extras_with(self, distribution: str) -> list[str]:
        """The extras that install ``distribution``."""
        return sorted(e for e, names in self.extras.items() if distribution in names)


# ``name [extras] (version) ; marker`` when packaging is missing: the name and the marker's extras.
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_EXTRA_MARKER = re.compile(r"""extra\s*==\s*["']([^"']+)["']""")


def _parse(line: str) -> tuple[str, object] | None:
    """(canonical name, marker or its text) of one requirement line; None when it does not parse."""
    line = line.split("#", 1)[0].strip()
    if not line or line.startswith("-"):
        return None
    if Requirement is not None:
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            return None
        return canonical(requirement.name), requirement.marker
    match = _NAME.match(line)
    if match is None:
        return None
    return canonical(match.group(1)), line.partition(";")[2].strip() or None


def _applies(marker: object, extra: str) -> bool:
    """Whether a requirement with ``marker`` is installed for ``extra`` ("" = a plain install)."""
    if marker is None:
        return True
    if Requirement is not None and not isinstance(marker, str):
        environment = dict(default_environment())
        environment["extra"] = extra
        try:
            return bool(marker.evaluate(environment))  # type: ignore[attr-defined]
        except Exception:
            return False
    named = {canonical(e) for e in _EXTRA_MARKER.findall(str(marker))}
    return canonical(extra) in named if named else not extra


def from_requires_dist(
    name: str,
    lines: Iterable[str],
    extras: Iterable[str] = (),
    scripts: Mapping[str, str] | None = None,
    source: str = "",
) -> PackageMetadata:
    """Metadata from ``Requires-Dist`` lines (markers say which extra each belongs to)."""
    parsed = [p for p in (_parse(line) for line in lines) if p is not None]
    own = canonical(name)
    base = frozenset(n for n, marker in parsed if n != own and _applies(marker, ""))
    named = {canonical(e) for e in extras}
    named |= {canonical(e) for _, m in parsed if m is not None for e in _EXTRA_MARKER.findall(str(m))}
    by_extra = {
        extra: frozenset(n for n, marker in parsed if n != own and _applies(marker, extra)) - base
        for extra in sorted(named)
    }
    return PackageMetadata(name, base, by_extra, dict(scripts or {}), source)


def from_metadata_text(text: str, entry_points: str = "", source: str = "") -> PackageMetadata:
    """Metadata from a ``METADATA`` / ``PKG-INFO`` file's text and its ``entry_points.txt``."""
    headers = HeaderParser().parsestr(text)
    return from_requires_dist(
        headers.get("Name", ""),
        headers.get_all("Requires-Dist") or [],
        headers.get_all("Provides-Extra") or [],
        console_scripts(entry_points),
        source,
    )


def console_scripts(entry_points: str) -> dict[str, str]:
    """The ``[console_scripts]`` section of an ``entry_points.txt`` (or setup.cfg's equivalent text)."""
    parser = configparser.ConfigParser(delimiters=("=",), interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    try:
        parser.read_string(entry_points)
    except configparser.Error:
        return {}
    if not parser.has_section("console_scripts"):
        return {}
    return {k.strip(): v.strip() for k, v in parser.items("console_scripts")}


def from_pyproject(path: Path) -> PackageMetadata | None:
    """Metadata from ``pyproject.toml``'s ``[project]`` table; None without one (or without tomllib)."""
    if tomllib is None:
        return None
    try:
        project = tomllib.loads(path.read_text(encoding="utf-8")).get("project")
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    if not isinstance(project, dict) or not project.get("name"):
        return None
    dynamic = set(project.get("dynamic") or [])
    lines = [str(r) for r in project.get("dependencies") or []]
    optional = project.get("optional-dependencies") or {}
    for extra, requirements in optional.items():
        lines += [_with_extra(str(r), extra) for r in requirements or []]
    metadata = from_requires_dist(
        str(project["name"]), lines, optional, project.get("scripts") or {}, source=str(path)
    )
    if "dependencies" in dynamic:
        return _unknown(metadata)
    return metadata


def _unknown(metadata: PackageMetadata) -> PackageMetadata:
    return PackageMetadata(
        metadata.name, scripts=metadata.scripts, source=metadata.source, requirements_known=False
    )


def _with_extra(requirement: str, extra: str) -> str:
    """``requirement`` as a ``Requires-Dist`` line of ``extra`` (its own marker kept)."""
    spec, _, marker = requirement.partition(";")
    extra_marker = f'extra == "{extra}"'
    return (
        f"{spec.strip()} ; ({marker.strip()}) and {extra_marker}"
        if marker.strip()
        else f"{spec} ; {extra_marker}"
    )


def from_setup_cfg(path: Path) -> PackageMetadata | None:
    """Metadata from ``setup.cfg`` (``[metadata] name``, ``[options] install_requires`` ...)."""
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError):
        return None
    name = parser.get("metadata", "name", fallback="")
    if not name:
        return None
    lines = _cfg_list(parser.get("options", "install_requires", fallback=""))
    extras: list[str] = []
    if parser.has_section("options.extras_require"):
        for extra, value in parser.items("options.extras_require"):
            extras.append(extra)
            lines += [_with_extra(r, extra) for r in _cfg_list(value)]
    scripts = {}
    if parser.has_section("options.entry_points"):
        text = parser.get("options.entry_points", "console_scripts", fallback="")
        scripts = console_scripts("[console_scripts]\n" + text)
    return from_requires_dist(name, lines, extras, scripts, source=str(path))


def _cfg_list(value: str) -> list[str]:
    return [line.strip() for line in value.splitlines() if line.strip()]


def _dist_info_of(root: Path, package: str) -> Path | None:
    """The ``*.dist-info`` under ``root`` that ships ``package`` (the only one, when there is one)."""
    candidates = sorted(root.glob("*.dist-info"))
    for candidate in candidates:
        top_level = candidate / "top_level.txt"
        record = candidate / "RECORD"
        if top_level.is_file() and package in top_level.read_text(encoding="utf-8").split():
            return candidate
        if record.is_file() and f"{package}/__init__.py" in record.read_text(encoding="utf-8"):
            return candidate
    return candidates[0] if len(candidates) == 1 else None


def from_dist_info(directory: Path) -> PackageMetadata | None:
    """Metadata from a ``*.dist-info`` directory (a wheel's, or an installed distribution's)."""
    metadata = directory / "METADATA"
    if not metadata.is_file():
        return None
    entry_points = directory / "entry_points.txt"
    return from_metadata_text(
        metadata.read_text(encoding="utf-8", errors="replace"),
        entry_points.read_text(encoding="utf-8", errors="replace") if entry_points.is_file() else "",
        source=str(metadata),
    )


def find_metadata(paths: Sequence[str | Path], package: str) -> PackageMetadata | None:
    """The metadata of the side whose code sits on ``paths`` (a wheel's root, a tree's package base).

    Looked for in each path and, for a ``src/`` layout or a package base inside a tree, its parent:
    a ``dist-info`` shipping ``package``, then ``PKG-INFO`` with requirements, ``pyproject.toml``,
    ``setup.cfg``.
    """
    for entry in paths:
        base = Path(entry)
        for root in (base, base.parent) if base.name == "src" else (base,):
            dist_info = _dist_info_of(root, package)
            if dist_info is not None:
                found = from_dist_info(dist_info)
                if found is not None:
                    return found
            found = _tree_metadata(root)
            if found is not None:
                return found
    return None


def _tree_metadata(root: Path) -> PackageMetadata | None:
    pkg_info = root / "PKG-INFO"
    if pkg_info.is_file():
        text = pkg_info.read_text(encoding="utf-8", errors="replace")
        if "Requires-Dist:" in text:
            from_pyproject_scripts = (
                from_pyproject(root / "pyproject.toml") if (root / "pyproject.toml").is_file() else None
            )
            scripts = from_pyproject_scripts.scripts if from_pyproject_scripts else {}
            found = from_metadata_text(text, source=str(pkg_info))
            return PackageMetadata(
                found.name, found.base, found.extras, scripts or found.scripts, found.source
            )
    if (root / "pyproject.toml").is_file():
        found = from_pyproject(root / "pyproject.toml")
        if found is not None:
            return found
    if (root / "setup.cfg").is_file():
        return from_setup_cfg(root / "setup.cfg")
    return None


def distributions_of(import_name: str, installed: Mapping[str, Sequence[str]]) -> set[str]:
    """Canonical names of the distributions that may provide top-level module ``import_name``.

    ``installed`` is the side interpreter's ``packages_distributions()``; the alias table and the name
    itself stand in for what is not installed there.
    """
    found = {canonical(d) for d in installed.get(import_name, ())}
    if import_name in ALIASES:
        found.add(canonical(ALIASES[import_name]))
    found.add(canonical(import_name))
    return found
