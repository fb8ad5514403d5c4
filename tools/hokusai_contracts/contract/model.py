"""The one data model of a Python API that extraction, checks, diffing and rendering share.

Introspection fills it, the contract store reads and writes it (YAML), checks compare two of
them, the diff engine and the reference generator read it. Values are plain and hashable-ish so
the model is easy to serialise and to compare.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version


class ParameterKind(str, enum.Enum):
    """How a parameter binds (the names of :class:`inspect.Parameter` kinds, lower-cased)."""

    POSITIONAL_ONLY = "positional_only"
    POSITIONAL_OR_KEYWORD = "positional_or_keyword"
    VAR_POSITIONAL = "var_positional"
    KEYWORD_ONLY = "keyword_only"
    VAR_KEYWORD = "var_keyword"


class ObjectKind(str, enum.Enum):
    """What a contracted name is."""

    MODULE = "module"
    CLASS = "class"
    EXCEPTION = "exception"
    FUNCTION = "function"
    METHOD = "method"
    CLASSMETHOD = "classmethod"
    STATICMETHOD = "staticmethod"
    PROPERTY = "property"
    ATTRIBUTE = "attribute"


CALLABLE_KINDS = frozenset(
    {ObjectKind.FUNCTION, ObjectKind.METHOD, ObjectKind.CLASSMETHOD, ObjectKind.STATICMETHOD}
)


@dataclass(frozen=True)
class Parameter:
    """One parameter of a callable. ``default`` is the ``repr`` of the default, None when required."""

    name: str
    kind: ParameterKind = ParameterKind.POSITIONAL_OR_KEYWORD
    default: str | None = None
    annotation: str | None = None
    description: str | None = None

    @property
    def required(self) -> bool:
        """True when a call must supply this parameter."""
        return self.default is None and self.kind not in (
            ParameterKind.VAR_POSITIONAL,
            ParameterKind.VAR_KEYWORD,
        )


@dataclass(frozen=True)
class CallForm:
    """A documented way to call an object that must bind, e.g. ``ExperimentManager(registry)``.

    ``args`` are placeholders for positional arguments, ``kwargs`` the keyword names used.
    """

    text: str
    args: tuple[str, ...] = ()
    kwargs: tuple[str, ...] = ()
    line: int | None = None


@dataclass(frozen=True)
class Change:
    """A release that changed an object's behaviour without changing its signature."""

    version: str
    note: str


@dataclass(frozen=True)
class Lifecycle:
    """When an object appeared, changed, was deprecated, or will be removed (hand-written in contracts)."""

    since: str | None = None
    changed: tuple[Change, ...] = ()
    deprecated_since: str | None = None
    removed_in: str | None = None
    replacement: str | None = None


# The axes of the compatibility space a version range can name.
VERSION_AXES = ("client", "server", "python")


def version_in(version: str, spec: str) -> bool:
    """True when ``version`` is in the PEP 440 specifier set ``spec`` (``"<3"``, ``">=2.9,<3"``)."""
    try:
        return SpecifierSet(spec).contains(Version(version), prereleases=True)
    except (InvalidSpecifier, InvalidVersion):
        return False


@dataclass(frozen=True)
class VersionRange:
    """A version range per axis (``{"client": ">=2.22"}``); an axis not named matches every version."""

    specifiers: tuple[tuple[str, str], ...] = ()

    def matches(self, versions: Mapping[str, str]) -> bool:
        """True when every named axis's version of ``versions`` is in its specifier set."""
        return all(version_in(versions.get(axis, ""), spec) for axis, spec in self.specifiers)

    def __str__(self) -> str:
        return " ".join(f"{axis}{spec}" for axis, spec in self.specifiers) or "every version"


@dataclass
class ApiObject:
    """A class, function, method, property or attribute of the public API.

    ``path`` is the canonical dotted path where it is defined for the contract (e.g.
    ``hokusai.tracking.ExperimentManager.start_experiment``); ``export_paths`` lists every
    public import path where the name must be importable.
    """

    path: str
    kind: ObjectKind
    parameters: list[Parameter] | None = None
    returns: str | None = None
    raises: list[str] = field(default_factory=list)
    export_paths: list[str] = field(default_factory=list)
    summary: str | None = None
    bases: list[str] = field(default_factory=list)
    call_forms: list[CallForm] = field(default_factory=list)
    lifecycle: Lifecycle = field(default_factory=Lifecycle)
    # Hand-written: the MLflow client / server / Python versions the object exists with (None: every
    # one); a matrix cell outside the range does not check it.
    applies: VersionRange | None = None
    members: list[ApiObject] = field(default_factory=list)
    # Read from an installed SDK only (not written to contracts), for docs-check: a class that cannot be
    # instantiated, and the special methods a class supports (``__iter__``, ``__enter__``, ``__getattr__``,
    # ...; None when unknown, e.g. read from a contract file), and whether a callable is async.
    abstract: bool = False
    protocols: list[str] | None = None
    asynchronous: str | None = None  # "coroutine" (async def) or "asyncgen" (async def with yield)
    names: list[str] | None = None  # a class's every public attribute name (dir + self.x = anywhere)
    # Where the object stands in its contract file (set by the store when read).
    source_file: str | None = None
    source_line: int | None = None

    @property
    def name(self) -> str:
        """The last component of the path."""
        return self.path.rsplit(".", 1)[-1]

    @property
    def is_callable(self) -> bool:
        """True for functions and methods (classes are callable through their constructor)."""
        return self.kind in CALLABLE_KINDS

    def walk(self):
        """This object and all its members, depth first."""
        yield self
        for member in self.members:
            yield from member.walk()


@dataclass
class ApiModule:
    """A public module and the objects it contracts."""

    name: str
    summary: str | None = None
    objects: list[ApiObject] = field(default_factory=list)
    source_file: str | None = None
    source_line: int | None = None
    # True when the module defines ``__getattr__`` (PEP 562): names it binds lazily may not be listed.
    getattr_hook: bool = False
    names: list[str] | None = None  # every public attribute of the module (exported or not), when read

    def walk(self):
        """Every object of the module, depth first."""
        for obj in self.objects:
            yield from obj.walk()


@dataclass
class Api:
    """A whole package's public API."""

    package: str
    version: str | None = None
    modules: list[ApiModule] = field(default_factory=list)
    # Problems met while reading an installed SDK, by module: a submodule that failed to import, an
    # ``__all__`` naming something missing. Empty for contracts read from files.
    import_errors: dict[str, str] = field(default_factory=dict)
    # The submodules among them that did not import at all, each with the module the import could not
    # find ("pandas", "mlflow.gone": a missing dependency, or a module it no longer has) or None when
    # another error stopped it. Their objects are absent from ``modules``: unknown, not removed.
    unimportable: dict[str, str | None] = field(default_factory=dict)
    # The package's __init__ file the introspection imported (None for contracts read from files).
    package_file: str | None = None
    # Submodules that did not import but were read from their source instead (introspection/static.py),
    # each with the module the import could not find: compared, though with static evidence only.
    read_statically: dict[str, str | None] = field(default_factory=dict)

    def objects(self) -> dict[str, ApiObject]:
        """Every object by its path."""
        return {obj.path: obj for module in self.modules for obj in module.walk()}

    def module(self, name: str) -> ApiModule | None:
        """The module called ``name``, if contracted."""
        return next((m for m in self.modules if m.name == name), None)
