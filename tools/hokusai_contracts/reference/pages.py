"""What the reference pages show, as plain data: the templates only lay it out.

Links name a page (without a file extension) and an anchor, so one page model renders as Markdown
(``page.md#anchor``) and as HTML (``page.html#anchor``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

INDEX, AUTH, COMPATIBILITY = "index", "authentication", "compatibility"


@dataclass(frozen=True)
class Link:
    """A target in the reference: ``page`` (no extension) and an optional ``anchor``."""

    text: str
    page: str
    anchor: str = ""


@dataclass(frozen=True)
class ParameterRow:
    """One row of a parameter table."""

    name: str  # with ``*`` / ``**`` for variadic parameters
    type: str
    default: str
    required: bool
    description: str
    kind: str


@dataclass(frozen=True)
class TypeRef:
    """A type or exception name, linked when it names a contracted class."""

    text: str
    link: Link | None = None


@dataclass(frozen=True)
class LifecycleView:
    """since / changed / deprecated / removal of an object, ready to print."""

    since: str | None = None
    changed: tuple[tuple[str, str], ...] = ()  # (version, note), oldest first
    deprecated_since: str | None = None
    removed_in: str | None = None
    replacement: TypeRef | None = None

    @property
    def any(self) -> bool:
        """True when there is something to show."""
        shown = (self.since, self.changed, self.deprecated_since, self.removed_in, self.replacement)
        return any(bool(value) for value in shown)

    @property
    def deprecated(self) -> bool:
        """True when the object is deprecated or scheduled for removal."""
        return bool(self.deprecated_since or self.removed_in)


@dataclass(frozen=True)
class ExampleView:
    """An example under an entry, with what the last run said about it."""

    page: str
    page_title: str
    heading: str
    line: int
    position: int
    blocks_under_heading: int
    code: str
    status: str  # verified | failed | skipped | not-run | unverified
    status_text: str


@dataclass
class ObjectEntry:
    """One contracted object as the reference shows it."""

    path: str
    name: str
    kind: str
    anchor: str
    level: int  # heading level: 2 for a module's objects, 3 for their members
    summary: str = ""
    signature: str | None = None
    parameters: list[ParameterRow] | None = None
    returns: TypeRef | None = None
    raises: list[TypeRef] = field(default_factory=list)
    export_paths: list[str] = field(default_factory=list)
    bases: list[TypeRef] = field(default_factory=list)
    call_forms: list[str] = field(default_factory=list)
    lifecycle: LifecycleView = field(default_factory=LifecycleView)
    examples: list[ExampleView] = field(default_factory=list)
    more_examples: list[ExampleView] = field(default_factory=list)
    members: list[ObjectEntry] = field(default_factory=list)


@dataclass
class ModulePage:
    """The page of one module: its objects, and the names it re-exports from elsewhere."""

    name: str
    summary: str
    entries: list[ObjectEntry] = field(default_factory=list)
    reexports: list[Link] = field(default_factory=list)

    @property
    def page(self) -> str:
        """The page name (file stem)."""
        return self.name


@dataclass(frozen=True)
class AuthRow:
    """One auth scenario: credentials on a server -> outcome, error, the fix the message gives."""

    name: str
    server: str
    credential_kind: str
    credentials: tuple[str, ...]
    call: str
    outcome: TypeRef
    status_code: int | None
    error: tuple[str, ...]
    fix: tuple[str, ...]
    description: str


@dataclass(frozen=True)
class AuthSection:
    """The scenarios of one server kind."""

    server: str
    rows: tuple[AuthRow, ...]


@dataclass(frozen=True)
class CompatibilityRow:
    """One server version of a matrix run: a status text per check family, and its failures."""

    sdk_version: str
    server_version: str
    cells: tuple[str, ...]
    exit_code: int
    provider: str
    failures: tuple[str, ...]
    client_version: str = ""  # empty for a servers-only matrix (the harness's own client and Python)
    python_version: str = ""

    @property
    def label(self) -> str:
        """``MLflow 2.9.0``, or ``client 2.9.0 x server 2.9.0 x Python 3.10`` for a cell."""
        if not self.client_version:
            return f"MLflow {self.server_version}"
        return f"client {self.client_version} x server {self.server_version} x Python {self.python_version}"

    @property
    def anchor(self) -> str:
        """An HTML id for the row's section."""
        return "-".join(
            v for v in ("mlflow", self.client_version, self.server_version, self.python_version) if v
        )


@dataclass(frozen=True)
class KnownDifferenceRow:
    """One known difference (or applicability) the contracts declare, with its version range."""

    family: str
    subject: str
    versions: str
    reason: str
    where: str


@dataclass(frozen=True)
class CompatibilityPage:
    """The version-matrix results, when the build was given some, and the declared known differences."""

    families: tuple[str, ...] = ()
    rows: tuple[CompatibilityRow, ...] = ()
    available: bool = False
    known: tuple[KnownDifferenceRow, ...] = ()

    @property
    def full_axes(self) -> bool:
        """True when the rows are cells of the full space (client and Python columns shown)."""
        return any(row.client_version for row in self.rows)


@dataclass(frozen=True)
class VerificationSummary:
    """What the index says about the run results this build used."""

    given: bool
    mlflow_version: str | None = None
    sdk_version: str | None = None
    verified: int = 0
    failed: int = 0
    not_run: int = 0
    skipped: int = 0


@dataclass
class Site:
    """Every page of the reference."""

    package: str
    modules: list[ModulePage]
    auth: list[AuthSection]
    compatibility: CompatibilityPage
    verification: VerificationSummary

    def pages(self) -> list[str]:
        """Every page name, index first."""
        return [INDEX, *(m.page for m in self.modules), AUTH, COMPATIBILITY]
