"""The release diff's rules (``diff``): breaking changes between two releases of the SDK.

Static rules (BC0xx) compare two API models; each has its detector in ``diff/rules/bcNNN_<name>.py``.
Behavioural rules (BC1xx) run the old release's executable contracts against the new SDK. ``semver``
is the version verdict. ``severity`` is the change's :class:`Impact` on callers, ``bump`` the smallest
release that may ship it.
"""

from __future__ import annotations

from hokusai_contracts.findings import Severity
from hokusai_contracts.findings.rules import Bump, Impact, Rule

FAMILY = "diff"

OBJECT_REMOVED = Rule(
    "BC001",
    FAMILY,
    "object removed",
    "A public class, function, method, property or attribute of the old release is gone from every "
    "path it was importable from: code using it fails with ImportError or AttributeError. Removing an "
    "object the old contract marked deprecated (lifecycle.deprecated_since) is reported but accepted.",
    Impact.BREAKING,
    Bump.MAJOR,
    name="object-removed",
)
EXPORT_PATH_REMOVED = Rule(
    "BC002",
    FAMILY,
    "export path removed",
    "The object still exists, but `from <module> import <name>` no longer works for one of the paths "
    "the old release exported it from (e.g. dropped from a package's re-exports).",
    Impact.BREAKING,
    Bump.MAJOR,
    name="export-path-removed",
)
OBJECT_KIND_CHANGED = Rule(
    "BC003",
    FAMILY,
    "object kind changed",
    "The object is now another kind of thing: a method became a property (calls fail), an exception a "
    "plain class (`except` fails), a class a function (isinstance fails). A method becoming a "
    "classmethod or staticmethod keeps instance calls working and is not reported.",
    Impact.BREAKING,
    Bump.MAJOR,
    name="object-kind-changed",
)
PARAMETER_REMOVED = Rule(
    "BC004",
    FAMILY,
    "parameter removed",
    "A parameter of the old signature no longer exists (and was not renamed in place): calls that "
    "pass it fail with TypeError. Not reported when the new signature absorbs it: **kwargs for a "
    "keyword (and for an optional positional-or-keyword parameter), *args for a positional-only one.",
    Impact.BREAKING,
    Bump.MAJOR,
    name="parameter-removed",
)
PARAMETER_RENAMED = Rule(
    "BC005",
    FAMILY,
    "parameter renamed",
    "A parameter kept its place and kind but changed its name: calls passing it by keyword fail with "
    "TypeError (unless a decorator still accepts the old name, which the runtime witness shows).",
    Impact.BREAKING,
    Bump.MAJOR,
    name="parameter-renamed",
)
POSITIONAL_PARAMETER_MOVED = Rule(
    "BC006",
    FAMILY,
    "positional parameter moved",
    "Positional parameters were reordered, or one was inserted or removed before another: positional "
    "calls still bind, but their values now land in the wrong parameters. Keyword-only parameters can "
    "be reordered freely and are not reported.",
    Impact.BREAKING,
    Bump.MAJOR,
    name="positional-parameter-moved",
)
PARAMETER_KIND_CHANGED = Rule(
    "BC007",
    FAMILY,
    "parameter kind changed",
    "A parameter binds more narrowly: positional-or-keyword became keyword-only (positional calls "
    "fail) or positional-only (keyword calls fail). Widening (keyword-only to positional-or-keyword) "
    "keeps every call working and is not reported.",
    Impact.BREAKING,
    Bump.MAJOR,
    name="parameter-kind-changed",
)
PARAMETER_NOW_REQUIRED = Rule(
    "BC008",
    FAMILY,
    "parameter now required",
    "A parameter that had a default no longer has one: calls that left it out fail with TypeError.",
    Impact.BREAKING,
    Bump.MAJOR,
    name="parameter-now-required",
)
REQUIRED_PARAMETER_ADDED = Rule(
    "BC009",
    FAMILY,
    "required parameter added",
    "A new parameter without a default: every existing call that does not pass it fails with TypeError.",
    Impact.BREAKING,
    Bump.MAJOR,
    name="required-parameter-added",
)
DEFAULT_CHANGED = Rule(
    "BC010",
    FAMILY,
    "default changed",
    "A parameter's default value changed: calls still bind, but those relying on the default now "
    "behave differently (e.g. a default that newly points at a remote server).",
    Impact.POTENTIALLY_BREAKING,
    Bump.MINOR,
    name="default-changed",
)
VARIADIC_REMOVED = Rule(
    "BC011",
    FAMILY,
    "*args/**kwargs removed",
    "The old signature accepted any extra positional (*args) or keyword (**kwargs) arguments and the "
    "new one does not: calls passing extra arguments fail with TypeError.",
    Impact.BREAKING,
    Bump.MAJOR,
    name="variadic-removed",
)
RETURN_ANNOTATION_CHANGED = Rule(
    "BC012",
    FAMILY,
    "return annotation changed or removed",
    "The declared return type of a function or method (the type of a property) is different or gone: "
    "type-checked callers break, and the result may no longer support what they do with it. Spellings "
    "of the same type (Optional[str] and str | None) are the same.",
    Impact.POTENTIALLY_BREAKING,
    Bump.MINOR,
    name="return-annotation-changed",
)
PARAMETER_ANNOTATION_NARROWED = Rule(
    "BC013",
    FAMILY,
    "parameter annotation narrowed",
    "A parameter's declared type no longer includes a type it used to accept (str | None became str): "
    "type-checked callers passing that type break, and the SDK may reject such values. Widening (str "
    "became str | None) is compatible and not reported.",
    Impact.POTENTIALLY_BREAKING,
    Bump.MINOR,
    name="parameter-annotation-narrowed",
)
ATTRIBUTE_VALUE_CHANGED = Rule(
    "BC014",
    FAMILY,
    "attribute value changed",
    "A public module or class attribute (a constant, an enum member) has another value: code "
    "comparing with it, storing it or relying on it behaves differently. Version strings (names "
    "containing 'version') are expected to change and are not reported; a removed attribute is BC001. "
    "Needs both sides importable (a contract directory carries no values).",
    Impact.POTENTIALLY_BREAKING,
    Bump.MINOR,
    name="attribute-value-changed",
)
BASE_CLASS_REMOVED = Rule(
    "BC015",
    FAMILY,
    "base class removed",
    "A class lost a base class (directly or anywhere up its hierarchy): isinstance checks and `except "
    "Base:` clauses stop matching it, and inherited members may be gone. Moving a base to another "
    "module, or inserting a class between, is not a removal.",
    Impact.BREAKING,
    Bump.MAJOR,
    name="base-class-removed",
)
DOCUMENTED_EXCEPTION_CHANGED = Rule(
    "BC016",
    FAMILY,
    "documented exception type changed",
    "The docstring's Raises section names a new exception type in place of an old one that it does "
    "not derive from: `except OldError:` clauses written against the old documentation stop catching "
    "the failure. A subclass of the old type (a more precise error) is compatible.",
    Impact.BREAKING,
    Bump.MAJOR,
    name="documented-exception-changed",
)
ENUM_MEMBER_REMOVED = Rule(
    "BC017",
    FAMILY,
    "enum member removed",
    "A member of a public enum is gone: `Kind.MEMBER` fails with AttributeError and `Kind('value')` "
    "with ValueError for data stored with the old member.",
    Impact.BREAKING,
    Bump.MAJOR,
    name="enum-member-removed",
)
CALL_FORM_NO_LONGER_BINDS = Rule(
    "BC018",
    FAMILY,
    "call form no longer binds",
    "The old release's contract documents a call (call_forms) that raises TypeError against the new "
    "signature: code written from the old documentation breaks, whatever the individual parameter "
    "changes are.",
    Impact.BREAKING,
    Bump.MAJOR,
    name="call-form-no-longer-binds",
)
OPTIONAL_PARAMETER_ADDED = Rule(
    "BC019",
    FAMILY,
    "optional parameter added",
    "A new parameter with a default (or a new *args / **kwargs): old calls keep working and new code "
    "can use it. A new feature: a minor release.",
    Impact.COMPATIBLE,
    Bump.MINOR,
    name="optional-parameter-added",
)
OBJECT_ADDED = Rule(
    "BC020",
    FAMILY,
    "object added",
    "A new public class, function, method, property or attribute: a new feature, a minor release.",
    Impact.COMPATIBLE,
    Bump.MINOR,
    name="object-added",
)
DEPRECATION_ADDED = Rule(
    "BC021",
    FAMILY,
    "deprecation added",
    "The new contract marks the object deprecated (lifecycle.deprecated_since): it still works, and a "
    "later major release may remove it without failing the gate. A minor release.",
    Impact.COMPATIBLE,
    Bump.MINOR,
    name="deprecation-added",
)
SUBMODULE_NOT_BOUND = Rule(
    "BC022",
    FAMILY,
    "submodule no longer bound on import",
    "After `import <package>` the old release made the submodule reachable as an attribute "
    "(`package.sub.thing`); the new one does not (a lazy-export rewrite, a dropped `from . import sub`), "
    "so that code fails with AttributeError although the submodule still imports on its own. Seen by a "
    "structural probe in each side's interpreter.",
    Impact.BREAKING,
    Bump.MAJOR,
    name="submodule-not-bound",
)
CALL_OUTCOME_CHANGED = Rule(
    "BC023",
    FAMILY,
    "call outcome changed",
    "The same call, run twice in each release's sandboxed interpreter (fresh HOME, no HOKUSAI_*/MLFLOW_* "
    "variables, outbound connections refused, a time limit per call), behaves differently. The calls are "
    "OLD's: functions and classes callable with no arguments; calls synthesised from OLD's signatures "
    "(required parameters typed str, int, float, bool, bytes or Optional of those, or named like a string "
    "such as version/name/path/url, given a few representative values: parse('invalid')); public methods "
    "and properties of a fresh instance; and the examples in OLD's docstrings (doctest >>> lines, python "
    "code blocks), run statement by statement. A finding: it returned and now raises, raises an exception "
    "that is not a subclass of the old one, returns another kind of value (a mapping now a list), newly "
    "changes environment variables or MLflow's tracking URI, or newly tries to reach the network; both "
    "outcomes are the evidence. Not a finding: calls whose two runs differ on one side, a changed "
    "message, repr or value of the same kind, a call OLD rejected that NEW accepts, and for synthesised "
    "calls an input OLD rejected as misuse (TypeError, AttributeError, ...) or a value where OLD returned "
    "None. It also turns a default, return or parameter type change of that object into a breaking one.",
    Impact.BREAKING,
    Bump.MAJOR,
    name="call-outcome-changed",
)
CLI_SURFACE_BROKEN = Rule(
    "BC024",
    FAMILY,
    "CLI command or option removed or newly required",
    "A command line of the old release no longer parses: a console script is gone, a click/typer/argparse "
    "command or subcommand is gone, an option or flag name is gone, or an option or argument is newly "
    "required (introspected from the command objects in each side's interpreter: click and typer objects, "
    "argparse parsers captured when a console script runs with --help; scripts calling the CLI fail with "
    "a usage error).",
    Impact.BREAKING,
    Bump.MAJOR,
    name="cli-surface-broken",
)
CLI_DEFAULT_CHANGED = Rule(
    "BC025",
    FAMILY,
    "CLI option default changed",
    "A CLI option keeps its name but has another default: command lines that leave it out now behave "
    "differently.",
    Impact.POTENTIALLY_BREAKING,
    Bump.MINOR,
    name="cli-default-changed",
)
PLAIN_INSTALL_LOST = Rule(
    "BC026",
    FAMILY,
    "plain install loses a module (dependency moved to an extra)",
    "A public module that `pip install <package>` (no extras) could import no longer imports after a "
    "plain install of the new release: a dependency it imports at module level, unguarded, moved from "
    "the base requirements into an optional extra (read from both sides' metadata: pyproject.toml, "
    "setup.cfg, a wheel's or venv's Requires-Dist; the imports read from the source, without importing). "
    "Users who install without the extra get ModuleNotFoundError. Fix: document `pip install "
    "<package>[extra]`, keep the dependency in the base requirements, or import it lazily / guarded.",
    Impact.BREAKING,
    Bump.MAJOR,
    name="plain-install-lost",
)
CLI_EXIT_STATUS_CHANGED = Rule(
    "BC027",
    FAMILY,
    "CLI command newly exits non-zero",
    "A console script, `<command> --help`, or a subcommand run without arguments (one that needs none and "
    "whose name does not say it acts) exited 0 in the old release and exits non-zero in the new one, twice "
    "in a row (run in each side's sandboxed interpreter: fresh HOME and working directory, network "
    "refused, time limit); scripts and CI jobs calling it now fail.",
    Impact.BREAKING,
    Bump.MAJOR,
    name="cli-exit-status-changed",
)
DOCUMENTED_EXAMPLE_REGRESSED = Rule(
    "BC101",
    FAMILY,
    "documented example regressed",
    "An example of the old release's executable documentation (contracts/docs) that passed on the old "
    "SDK fails on the new one, even when no signature changed: a constructor that newly requires a "
    "credential, a default that newly points at a remote server, a method that newly raises.",
    Impact.BREAKING,
    Bump.MAJOR,
    name="documented-example-regressed",
)
AUTH_SCENARIO_REGRESSED = Rule(
    "BC102",
    FAMILY,
    "auth scenario regressed",
    "An auth scenario of the old release (contracts/auth) that passed on the old SDK fails on the new "
    "one: the same credentials and call no longer end as documented.",
    Impact.BREAKING,
    Bump.MAJOR,
    name="auth-scenario-regressed",
)
MODULE_NOT_COMPARED = Rule(
    "BC103",
    FAMILY,
    "module not compared",
    "A module of the package does not import on one side (a missing dependency, an import of a module "
    "the installed MLflow no longer has). When its source can be read, it is read statically there and "
    "compared anyway (breaking findings on it stay breaking only where the source is unambiguous: a "
    "removed object, parameter or enum member; others are warnings); when not, its objects are unknown, "
    "so the module is left out of BOTH sides instead of its objects being reported as removed or added. "
    "Either way it is listed with the missing dependency named. A warning: the gate does not fail on "
    "it, but the diff rests on less evidence.",
    Impact.POTENTIALLY_BREAKING,
    fix="install the missing dependency into that side's interpreter (--python ENV), then diff again",
    name="module-not-compared",
)
VERSION = Rule(
    "semver",
    FAMILY,
    "version bump does not cover the changes",
    "The changes found need a bigger semantic-version bump than the one from OLD to NEW (a breaking "
    "change without a major release, a new feature in a patch release). An error when a needed major "
    "bump is missing, a warning otherwise; a pass names the verdict.",
    Severity.ERROR,
    fix="release NEW as the version the changes require, or restore compatibility",
)

STATIC = (
    OBJECT_REMOVED,
    EXPORT_PATH_REMOVED,
    OBJECT_KIND_CHANGED,
    PARAMETER_REMOVED,
    PARAMETER_RENAMED,
    POSITIONAL_PARAMETER_MOVED,
    PARAMETER_KIND_CHANGED,
    PARAMETER_NOW_REQUIRED,
    REQUIRED_PARAMETER_ADDED,
    DEFAULT_CHANGED,
    VARIADIC_REMOVED,
    RETURN_ANNOTATION_CHANGED,
    PARAMETER_ANNOTATION_NARROWED,
    ATTRIBUTE_VALUE_CHANGED,
    BASE_CLASS_REMOVED,
    DOCUMENTED_EXCEPTION_CHANGED,
    ENUM_MEMBER_REMOVED,
    CALL_FORM_NO_LONGER_BINDS,
    OPTIONAL_PARAMETER_ADDED,
    OBJECT_ADDED,
    DEPRECATION_ADDED,
    SUBMODULE_NOT_BOUND,
    CALL_OUTCOME_CHANGED,
    CLI_SURFACE_BROKEN,
    CLI_DEFAULT_CHANGED,
    PLAIN_INSTALL_LOST,
    CLI_EXIT_STATUS_CHANGED,
)
BEHAVIOUR = (DOCUMENTED_EXAMPLE_REGRESSED, AUTH_SCENARIO_REGRESSED, MODULE_NOT_COMPARED)
RULES = (*STATIC, *BEHAVIOUR, VERSION)
