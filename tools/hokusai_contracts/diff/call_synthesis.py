"""Calls with arguments for the differential probes, synthesised from OLD's API and docstrings.

Three sources, all deterministic and bounded (``MAX_PER_OBJECT`` calls per object, ``MAX_CALLS`` in all):

- signatures: a public function or class whose required parameters all have a simple annotation (str,
  int, float, bool, bytes, Optional or a Union holding one) or, unannotated, a name that says "a string"
  (version, name, path, url, ...) is called with a few representative values of that type;
- methods and properties: on a fresh instance of a class constructible with no arguments or with
  synthesised ones (the worker tries the constructor variants in order and records which one worked:
  the sides are compared only when it is the same), public methods are called the same way and
  properties read; classmethods and staticmethods are called on the class;
- docstring examples: doctest ``>>>`` lines and python code blocks (fenced, ``.. code-block:: python``,
  or the indented block of an ``Example:`` section) in OLD's docstrings, read from OLD's source files;
  each example runs statement by statement in a copy of its module's globals (doctest's rule).

Names that suggest acting on the world (``synthesis._ACTING``) are never called, and examples that
touch files, processes or the interpreter (``open``, ``os``, ``subprocess``, ...) are left out.
Everything here is pure except :func:`package_sources`, which reads OLD's source files.
"""

from __future__ import annotations

import ast
import contextlib
import doctest
import itertools
import re
import textwrap
from collections.abc import Iterator, Mapping
from pathlib import Path

from hokusai_contracts.contract.model import Api, ApiObject, ObjectKind, Parameter
from hokusai_contracts.diff.pairs import is_public_path
from hokusai_contracts.diff.probe import CallProbe
from hokusai_contracts.diff.synthesis import acts, zero_argument_calls

MAX_PER_OBJECT = 6
MAX_PER_CLASS = 30
MAX_CALLS = 400
MAX_EXAMPLES = 120
MAX_STATEMENTS = 25
MAX_SOURCE_FILES = 400
MAX_SOURCE_BYTES = 2_000_000

# Representative values by simple type, as literal source: the first is the one held while another
# parameter varies.
VALUES: dict[str, tuple[str, ...]] = {
    "str": ("'x'", "''", "'1.0'", "'invalid'", "'a/b'", "'1.2.3'"),
    "int": ("1", "0", "-1"),
    "float": ("1.5", "0.0"),
    "bool": ("True", "False"),
    "bytes": ("b'x'", "b''"),
    "None": ("None",),
}
_ALIASES = {"builtins.str": "str", "NoneType": "None", "builtins.int": "int", "builtins.bytes": "bytes"}
# Unannotated parameter names that say "a string".
_STRING_NAMES = re.compile(
    r"(^|_)(version|name|text|path|spec|specifier|uri|url|key|value|string|str|label|tag|title|prefix|"
    r"suffix|pattern|query|message|msg|word|line|expr|expression|requirement|marker|alias|stage)$"
)
# Names an example may not use: files, processes, the interpreter, the network stack.
_UNSAFE_NAMES = frozenset(
    {
        "open", "exec", "eval", "compile", "__import__", "input", "breakpoint", "exit", "quit",
        "os", "sys", "shutil", "subprocess", "socket", "pathlib", "Path", "tempfile", "signal",
        "threading", "multiprocessing", "asyncio", "requests", "urllib", "http", "httpx", "ctypes",
        "importlib", "globals", "locals", "setattr", "delattr", "builtins", "pickle", "webbrowser",
    }
)  # fmt: skip
_CODE_BLOCK = re.compile(r"^\s*(```|~~~)\s*(python|py|python3|pycon)\s*$", re.IGNORECASE)
_RST_BLOCK = re.compile(r"^\s*\.\.\s+(code-block|code|sourcecode)::\s*(python|py|python3|pycon)\s*$")
_EXAMPLE_HEADING = re.compile(r"^\s*(Examples?|Usage|Example usage)\s*:{1,2}(\s*::)?\s*$", re.IGNORECASE)


def call_probes(api: Api, sources: Mapping[str, str] | None = None) -> list[str | CallProbe]:
    """Every probe of OLD: zero-argument calls (by path), then calls with synthesised arguments,
    methods on fresh instances, and docstring examples (``sources``: module name -> source text)."""
    probes: list[str | CallProbe] = list(zero_argument_calls(api))
    calls = signature_calls(api)[:MAX_CALLS]
    examples = docstring_examples(api, sources or {})[:MAX_EXAMPLES]
    # Methods last: a client's methods are the likeliest to be slow (a store created on first use),
    # and the worker stops at the first call cut off by its time limit.
    methods = method_calls(api)[: max(0, MAX_CALLS - len(calls))]
    return [*probes, *calls, *examples, *methods]


def argument_values(parameter: Parameter) -> tuple[str, ...]:
    """Representative values (literal source) for a parameter, or () when none fits it."""
    annotation = (parameter.annotation or "").strip()
    if not annotation or annotation in ("Any", "typing.Any"):
        return VALUES["str"] if _STRING_NAMES.search(parameter.name.lower()) else ()
    members = annotation_members(annotation)
    # Each simple type of a union in turn (str | int: 'x', 1, '', 0, ...): a bounded set keeps them all.
    lists = [VALUES[m] for m in dict.fromkeys(members) if m in VALUES and m != "None"]
    found = [v for group in itertools.zip_longest(*lists) for v in group if v is not None]
    if not found:
        return ()
    return (*found, "None") if "None" in members else tuple(found)


def annotation_members(annotation: str) -> list[str]:
    """The types an annotation's text admits: ``Optional[str]`` -> ``['str', 'None']``; unknown spelled
    as they are (``'Version'``)."""
    text = re.sub(r"\btyping\.", "", annotation.strip().strip("'\""))
    match = re.fullmatch(r"(Optional|Union)\[(.*)\]", text)
    if match:
        inner = _split_top(match.group(2))
        members = [m for part in inner for m in annotation_members(part)]
        return [*members, "None"] if match.group(1) == "Optional" else members
    parts = _split_top(text, "|")
    if len(parts) > 1:
        return [m for part in parts for m in annotation_members(part)]
    return [_ALIASES.get(text, text)]


def _split_top(text: str, separator: str = ",") -> list[str]:
    parts, depth, current = [], 0, ""
    for char in text:
        depth += char in "[("
        depth -= char in "])"
        if char == separator and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += char
    return [*parts, current.strip()] if current.strip() else parts


def argument_sets(parameters: list[Parameter] | None, limit: int = MAX_PER_OBJECT) -> list[tuple[str, ...]]:
    """Positional argument tuples for the required parameters: all at their first value, then each
    varied through its values in turn; [] when a required parameter has no representative value (or
    none is required: the zero-argument probe covers that call)."""
    if parameters is None:
        return []
    required = [
        p for p in parameters if p.required and p.kind.value in ("positional_only", "positional_or_keyword")
    ]
    if not required or any(p.required and p not in required for p in parameters):
        return []
    values = [argument_values(p) for p in required]
    if not all(values):
        return []
    base = tuple(v[0] for v in values)
    sets = [base]
    for index, options in enumerate(values):
        for option in options[1:]:
            sets.append((*base[:index], option, *base[index + 1 :]))
    return list(dict.fromkeys(sets))[:limit]


def guessed(parameters: list[Parameter] | None) -> bool:
    """True when a required parameter's values come from its name, not from an annotation."""
    return any(
        p.required and (p.annotation or "").strip() in ("", "Any", "typing.Any") for p in parameters or []
    )


def call_text(target: str, args: tuple[str, ...]) -> str:
    """How a call reads: ``packaging.version.parse('invalid')``."""
    return f"{target}({', '.join(args)})"


def _callable(obj: ApiObject) -> bool:
    return is_public_path(obj.path) and not obj.abstract and not acts(obj.name)


def signature_calls(api: Api) -> list[CallProbe]:
    """OLD's module-level functions and classes called with synthesised arguments."""
    probes = []
    for obj in _top_level(api):
        if obj.kind in (ObjectKind.FUNCTION, ObjectKind.CLASS) and _callable(obj):
            for args in argument_sets(obj.parameters):
                text = call_text(obj.path, args)
                probes.append(CallProbe(text, obj.path, obj.path, args, guessed=guessed(obj.parameters)))
    return probes


def method_calls(api: Api) -> list[CallProbe]:
    """Public methods (synthesised arguments) and properties of OLD's classes, on fresh instances."""
    probes: list[CallProbe] = []
    for cls in _top_level(api):
        if cls.kind is not ObjectKind.CLASS or not _callable(cls) or cls.parameters is None:
            continue
        variants = receiver_variants(cls.parameters)
        if not variants:
            continue
        probes.extend(list(_class_probes(cls, tuple(variants)))[:MAX_PER_CLASS])
    return probes


def receiver_variants(parameters: list[Parameter]) -> list[tuple[str, ...]]:
    """Constructor calls to try, in order: synthesised arguments for the required parameters; with
    none required, no arguments first, then the first positional parameter given each value."""
    if any(p.required for p in parameters):
        return argument_sets(parameters)
    first = next(
        (p for p in parameters if p.kind.value in ("positional_only", "positional_or_keyword")), None
    )
    values = argument_values(first) if first is not None else ()
    return [(), *((v,) for v in values if v != "None")][:MAX_PER_OBJECT]


def _class_probes(cls: ApiObject, variants: tuple[tuple[str, ...], ...]) -> Iterator[CallProbe]:
    for member in sorted(cls.members, key=lambda m: m.name):
        if member.name.startswith("_") or acts(member.name):
            continue
        if member.kind is ObjectKind.PROPERTY:
            yield CallProbe(
                f"{cls.path}(...).{member.name}", member.path, member.path, (), cls.path, variants, True
            )
        elif member.kind in (ObjectKind.CLASSMETHOD, ObjectKind.STATICMETHOD):
            for args in argument_sets(member.parameters, 4):
                text = call_text(member.path, args)
                yield CallProbe(text, member.path, member.path, args, guessed=guessed(member.parameters))
        elif member.kind is ObjectKind.METHOD and member.parameters is not None:
            sets = (
                [()]
                if not any(p.required for p in member.parameters)
                else argument_sets(member.parameters, 4)
            )
            for args in sets:
                text = call_text(f"{cls.path}(...).{member.name}", args)
                yield CallProbe(
                    text,
                    member.path,
                    member.path,
                    args,
                    cls.path,
                    variants,
                    guessed=guessed(member.parameters),
                )


def _top_level(api: Api) -> list[ApiObject]:
    return sorted((o for m in api.modules for o in m.objects), key=lambda o: o.path)


# -- docstring examples -------------------------------------------------------------------------


def package_sources(api: Api) -> dict[str, str]:
    """OLD's source text by module name, read from the package directory it was imported from
    (empty for a side without code)."""
    if not api.package_file or not api.package_file.endswith(".py"):
        return {}
    if not api.package_file.endswith("__init__.py"):  # a single-module distribution (semver 2)
        with contextlib.suppress(OSError, UnicodeDecodeError):
            return {api.package: Path(api.package_file).read_text(encoding="utf-8")}
        return {}
    root = Path(api.package_file).parent
    sources: dict[str, str] = {}
    for file in sorted(root.rglob("*.py"))[:MAX_SOURCE_FILES]:
        relative = file.relative_to(root).with_suffix("")
        if any(part in ("tests", "test") or part.startswith("test_") for part in relative.parts):
            continue
        try:
            if file.stat().st_size > MAX_SOURCE_BYTES:
                continue
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        parts = [api.package, *relative.parts]
        if parts[-1] == "__init__":
            parts.pop()
        sources[".".join(parts)] = text
    return sources


def docstring_examples(api: Api, sources: Mapping[str, str]) -> list[CallProbe]:
    """Examples in OLD's docstrings of its public objects and modules, as probes (one per example)."""
    paths = {o.path for o in api.objects().values()} | {
        p for m in api.modules for o in m.walk() for p in (o.path, *o.export_paths)
    }
    modules = {m.name for m in api.modules}
    probes = []
    for module, text in sorted(sources.items()):
        for qualname, doc in documented(text):
            subject = _subject(module, qualname, paths, modules)
            if subject is None:
                continue
            for number, statements in enumerate(examples_in(doc)[:3], start=1):
                if safe_example(statements):
                    where = f"{subject} docstring example {number}"
                    probes.append(CallProbe(where, subject, subject, example=statements, namespace=module))
    return probes


def documented(source: str) -> Iterator[tuple[str, str]]:
    """(qualname, docstring) of a module ('' for the module itself), its top-level functions and
    classes, and their methods."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return
    doc = ast.get_docstring(tree)
    if doc:
        yield "", doc
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            doc = ast.get_docstring(node)
            if doc:
                yield node.name, doc
            if isinstance(node, ast.ClassDef):
                for member in node.body:
                    if isinstance(member, (ast.FunctionDef, ast.AsyncFunctionDef)):
                        doc = ast.get_docstring(member)
                        if doc:
                            owner = node.name if member.name == "__init__" else f"{node.name}.{member.name}"
                            yield owner, doc


def _subject(module: str, qualname: str, paths: set[str], modules: set[str]) -> str | None:
    if not qualname:
        return module if module in modules and is_public_path(module) else None
    if not is_public_path(qualname):
        return None
    direct = f"{module}.{qualname}"
    if direct in paths:
        return direct
    # Defined in a private module, listed under a public one.
    candidates = sorted(p for p in paths if p.endswith("." + qualname) and is_public_path(p))
    return candidates[0] if len(candidates) == 1 else None


def examples_in(doc: str) -> list[tuple[str, ...]]:
    """The examples of a docstring, each as its statements (source): the doctest session (all
    ``>>>`` lines share one namespace, as in doctest), then each python code block."""
    found: list[tuple[str, ...]] = []
    try:
        session = tuple(e.source.rstrip("\n") for e in doctest.DocTestParser().get_examples(doc))
    except ValueError:
        session = ()
    if session:
        found.append(session)
    for block in code_blocks(doc):
        statements = statements_of(block)
        if statements:
            found.append(statements)
    return found


def code_blocks(doc: str) -> Iterator[str]:
    """Python code blocks (without ``>>>`` prompts) of a docstring: fenced, rST code-block, or the
    indented block under an ``Example:`` heading."""
    lines = doc.expandtabs().splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        fence = _CODE_BLOCK.match(line)
        if fence:
            end = next(
                (j for j in range(index + 1, len(lines)) if lines[j].strip().startswith(fence.group(1))), None
            )
            if end is None:
                return
            yield textwrap.dedent("\n".join(lines[index + 1 : end]))
            index = end + 1
            continue
        if _RST_BLOCK.match(line) or _EXAMPLE_HEADING.match(line):
            block, index = _indented_after(lines, index)
            if block:
                yield block
            continue
        index += 1


def _indented_after(lines: list[str], index: int) -> tuple[str, int]:
    indent = len(lines[index]) - len(lines[index].lstrip())
    body = []
    cursor = index + 1
    while cursor < len(lines) and (not lines[cursor].strip() or lines[cursor].startswith(" " * (indent + 1))):
        if lines[cursor].lstrip().startswith(":") and not body:  # rST options of the directive
            cursor += 1
            continue
        body.append(lines[cursor])
        cursor += 1
    return textwrap.dedent("\n".join(body)).strip("\n"), cursor


def statements_of(block: str) -> tuple[str, ...]:
    """The top-level statements of a code block, each as source; () when it is not python (or a
    doctest session, which :func:`examples_in` reads already)."""
    if ">>>" in block:
        return ()
    try:
        tree = ast.parse(block)
    except SyntaxError:
        return ()
    statements = tuple(ast.get_source_segment(block, node) or "" for node in tree.body)
    return statements if all(statements) else ()


def safe_example(statements: tuple[str, ...]) -> bool:
    """True when an example calls something and nothing in it acts on the world or the interpreter."""
    if not statements or len(statements) > MAX_STATEMENTS:
        return False
    calls = 0
    for statement in statements:
        try:
            tree = ast.parse(statement)
        except SyntaxError:
            return False
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                calls += 1
                name = _called_name(node.func)
                if name is None or acts(name) or name in _UNSAFE_NAMES:
                    return False
            elif _unsafe_reference(node):
                return False
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                modules = (
                    [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                )
                if any(m.split(".")[0] in _UNSAFE_NAMES for m in modules):
                    return False
            elif isinstance(
                node, (ast.While, ast.AsyncFunctionDef, ast.Await, ast.Global, ast.Nonlocal, ast.Delete)
            ):
                return False
    return calls > 0


def _unsafe_reference(node: ast.AST) -> bool:
    if isinstance(node, ast.Name):
        return node.id in _UNSAFE_NAMES
    return isinstance(node, ast.Attribute) and (node.attr in _UNSAFE_NAMES or node.attr.startswith("__"))


def _called_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Call):  # Client()(...): the inner call is checked on its own
        return "call"
    return None
