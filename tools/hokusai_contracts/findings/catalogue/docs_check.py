"""``docs-check``'s rules: anyone's documentation (no authoring syntax) checked against an installed SDK."""

from __future__ import annotations

from hokusai_contracts.findings import Severity
from hokusai_contracts.findings.rules import Rule

FAMILY = "docs-check"

PAGE_CHECKED = Rule(
    "DOCX000",
    FAMILY,
    "page checked",
    "Every Python block of the page was checked against the SDK's API (or ran, with --run) and nothing "
    "was wrong. Reported as a pass; a page without Python is reported as skipped.",
    Severity.INFO,
    name="docs-page-checked",
)
MISSING_NAME = Rule(
    "DOCX001",
    FAMILY,
    "name not in the SDK",
    "An import or attribute chain names a module, class, function or member the installed SDK does not "
    "have. Only reported where the SDK's namespace is fully known: never for a module with a lazy "
    "`__getattr__`, a class with a dynamic `__getattr__` or a base class from another package.",
    fix="Use the name the finding suggests (the closest one the SDK has), or add it to the SDK.",
    name="docs-name-missing",
)
UNKNOWN_KEYWORD = Rule(
    "DOCX002",
    FAMILY,
    "unknown keyword argument",
    "A call passes a keyword the called function or constructor has no parameter for (and it takes no "
    "`**kwargs`): the call raises TypeError. The finding prints the real signature.",
    fix="Use a parameter of the signature shown (the closest is suggested).",
    name="docs-unknown-keyword",
)
MISSING_ARGUMENT = Rule(
    "DOCX003",
    FAMILY,
    "missing required argument",
    "A call leaves out a parameter without a default: the call raises TypeError.",
    fix="Pass the argument named in the finding.",
    name="docs-missing-argument",
)
TOO_MANY_POSITIONAL = Rule(
    "DOCX004",
    FAMILY,
    "arguments do not bind",
    "A call passes more positional arguments than the signature takes, or one argument twice: the call "
    "raises TypeError.",
    fix="Pass the arguments the signature names, as keywords where it has `*`.",
    name="docs-too-many-positional",
)
ABSTRACT = Rule(
    "DOCX005",
    FAMILY,
    "abstract class instantiated",
    "A block instantiates a class with abstract methods: the call raises TypeError.",
    fix="Instantiate a concrete subclass, or show the subclass the reader must write.",
    name="docs-abstract-instantiated",
)
PROTOCOL = Rule(
    "DOCX006",
    FAMILY,
    "operation not supported by the value",
    "A value whose type is known (through constructors, return annotations and assignments across the "
    "page) is iterated, awaited, subscripted, called or used in `with` / `async with`, and its type does "
    "not support that (or an attribute of `None` is used).",
    fix="Use the value as its type allows (e.g. await a coroutine before iterating its result).",
    name="docs-unsupported-operation",
)
NOT_PYTHON = Rule(
    "DOCX007",
    FAMILY,
    "block is not Python",
    "A block marked as Python does not parse: it is pseudo-code or has a typo. It is not checked against "
    "the API (a warning, never an API problem).",
    Severity.WARNING,
    fix="Fence pseudo-code as `text`, or put `docs-check: skip` in a comment just above the block.",
    name="docs-not-python",
)
UNCHECKED = Rule(
    "DOCX008",
    FAMILY,
    "SDK module did not import",
    "A module of the SDK failed to import in the target interpreter (the missing dependency is named): the "
    "rest of the API was checked, but names from that module could not be. Each use of them says so.",
    Severity.WARNING,
    fix="Install the missing dependency into the interpreter given with --python and run again.",
    name="docs-module-not-imported",
)
BLOCK_FAILED = Rule(
    "DOCX009",
    FAMILY,
    "block failed when run",
    "With --run, a block raised an exception. Only the first failure a later block depends on is "
    "reported; blocks that fail only because of it are reported as not run (DOCX010).",
    fix="Fix the example (or the SDK); pass what it needs from the environment with --env NAME.",
    name="docs-block-failed",
)
NOT_RUN = Rule(
    "DOCX010",
    FAMILY,
    "block not run",
    "With --run, the block failed only because an earlier block it depends on failed, or the page stopped "
    "(timeout, crash) before it. Not a failure of its own.",
    Severity.INFO,
    name="docs-block-not-run",
)
PAGE_TIMEOUT = Rule(
    "DOCX011",
    FAMILY,
    "page timed out",
    "With --run, the page did not finish within --page-timeout; the block that was running is named.",
    fix="Make the example faster, or raise --page-timeout.",
    name="docs-page-timeout",
)
UNREADABLE = Rule(
    "DOCX012",
    FAMILY,
    "documentation file unreadable",
    "A documentation file could not be read: not UTF-8, binary, too big, or a notebook that is not valid "
    "JSON. The other files are checked.",
    fix="Fix the file at the place named.",
    name="docs-file-unreadable",
)

RULES = (
    PAGE_CHECKED,
    MISSING_NAME,
    UNKNOWN_KEYWORD,
    MISSING_ARGUMENT,
    TOO_MANY_POSITIONAL,
    ABSTRACT,
    PROTOCOL,
    NOT_PYTHON,
    UNCHECKED,
    BLOCK_FAILED,
    NOT_RUN,
    PAGE_TIMEOUT,
    UNREADABLE,
)
