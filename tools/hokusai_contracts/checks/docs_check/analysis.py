"""Static analysis of a page's Python blocks against the API model: names resolve, calls bind, classes
instantiated are concrete, and what is iterated, awaited, subscripted or used in ``with`` supports it.

Values are followed through imports, constructors, return annotations and assignments, across the blocks
of a page (one namespace, unless the page is isolated). Whatever is not known for sure is unknown, and
unknown is never reported: valid dynamic code (``hasattr`` guards, ``try/except AttributeError``,
attributes set by the page itself, a lazy module ``__getattr__``) stays quiet.
"""

from __future__ import annotations

import ast

from hokusai_contracts.checks.docs_check.api_view import CLASS_KINDS, ApiView, Missing, Unchecked
from hokusai_contracts.checks.docs_check.blocks import CodeBlock, DocPage, parse_block
from hokusai_contracts.checks.docs_check.guards import Guards, exception_names, hasattr_names, stored_names
from hokusai_contracts.checks.docs_check.problems import (
    ABSTRACT,
    MISSING_ARGUMENT,
    MISSING_NAME,
    NOT_PYTHON,
    PROTOCOL,
    TOO_MANY_POSITIONAL,
    UNCHECKED,
    UNKNOWN_KEYWORD,
    Problem,
)
from hokusai_contracts.checks.docs_check.values import (
    NEEDS,
    BuiltinValue,
    InstanceValue,
    ModuleValue,
    ObjectValue,
    Value,
    builtin_has_attribute,
    builtin_protocols,
    describe,
)
from hokusai_contracts.contract.callforms import bind_error, render_signature
from hokusai_contracts.contract.model import (
    CALLABLE_KINDS,
    ApiObject,
    CallForm,
    ObjectKind,
    Parameter,
    ParameterKind,
)


class PageAnalyzer(ast.NodeVisitor):
    """Walks one page's blocks in order, binding names to values and collecting problems."""

    def __init__(self, view: ApiView) -> None:
        self.view = view
        self.bindings: dict[str, Value] = {}
        self.problems: list[Problem] = []
        self.added: set[tuple[str, str]] = set()  # attributes the page sets on SDK objects itself
        self.suppressed = Guards()
        self.block = 0
        self.column_shift = 0

    # -- reporting -----------------------------------------------------------------------------------

    def report(self, kind: str, node: ast.AST, subject: str, message: str, fix: str | None = None) -> None:
        """Record a problem at ``node``."""
        column = getattr(node, "col_offset", 0) + self.column_shift
        self.problems.append(
            Problem(kind, getattr(node, "lineno", 0), column, subject, message, fix, self.block)
        )

    def _missing(self, node: ast.AST, missing: Missing, subject: str) -> None:
        if self.suppressed.catches("AttributeError") or self.suppressed.catches("ImportError"):
            return
        if self.suppressed.guarded(missing.name):
            return
        close = missing.closest()
        message = f"{missing.where} has no `{missing.name}`"
        fix = f"did you mean `{close}`?" if close else None
        if close is None and missing.choices:
            shown = ", ".join(f"`{c}`" for c in missing.choices[:12])
            fix = f"it has {shown}{', ...' if len(missing.choices) > 12 else ''}"
        self.report(MISSING_NAME, node, subject, message, fix)

    def _unchecked(self, node: ast.AST, unchecked: Unchecked, subject: str) -> None:
        error = unchecked.error.splitlines()[-1] if unchecked.error else "unknown error"
        self.report(
            UNCHECKED,
            node,
            subject,
            f"`{subject}` was not checked: SDK module `{unchecked.module}` did not import ({error})",
            "install the missing dependency into the interpreter given with --python, then run again",
        )

    # -- names and attributes --------------------------------------------------------------------------

    def _path(self, node: ast.AST, path: str) -> Value | None:
        found = self.view.resolve(path)
        if isinstance(found, Missing):
            self._missing(node, found, path)
            return None
        if isinstance(found, Unchecked):
            self._unchecked(node, found, path)
            return None
        return found

    def value(self, node: ast.expr | None) -> Value | None:
        """What ``node`` statically is (visiting it and reporting what is wrong inside)."""
        if node is None:
            return None
        if isinstance(node, ast.Name):
            return self.bindings.get(node.id) if isinstance(node.ctx, ast.Load) else None
        if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load):
            return self._attribute(node, self.value(node.value))
        if isinstance(node, ast.Call):
            return self._call(node)
        if isinstance(node, ast.Await):
            return self._await(node)
        if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load):
            return self._subscript(node)
        if isinstance(node, ast.NamedExpr):
            found = self.value(node.value)
            self._bind(node.target.id, found)
            return found
        self.generic_visit(node)
        return None

    def _attribute(self, node: ast.Attribute, base: Value | None) -> Value | None:
        name = node.attr
        if base is None:
            return None
        if isinstance(base, ModuleValue):
            return self._path(node, f"{base.path}.{name}")
        if isinstance(base, BuiltinValue):
            if base.name in ("NoneType", "coroutine") and builtin_has_attribute(base.name, name) is False:
                fix = (
                    "await it first"
                    if base.name == "coroutine"
                    else "the call returns None: use what it changed"
                )
                self._report_protocolish_fix(
                    node, f"{name} of {base.name}", f"{describe(base)} has no attribute `{name}`", fix
                )
            return None
        cls = base.obj if isinstance(base, ObjectValue) else base.cls
        if cls.kind not in CLASS_KINDS or (cls.path, name) in self.added:
            return None
        member = self.view.member(cls, name)
        if isinstance(member, Missing):
            self._missing(node, member, f"{cls.path}.{name}")
            return None
        if member is None:
            return None
        if member.kind in (ObjectKind.PROPERTY, ObjectKind.ATTRIBUTE):
            # On the class an attribute's value is its default; on an instance, its annotated type.
            return (
                self.view.value_of_annotation(member.returns, cls)
                if isinstance(base, InstanceValue)
                else None
            )
        if member.kind in CALLABLE_KINDS or member.kind in CLASS_KINDS:
            return ObjectValue(member, owner=cls, via_class=isinstance(base, ObjectValue))
        return None

    def _report_protocolish(self, node: ast.AST, subject: str, message: str) -> None:
        if not self.suppressed.catches("AttributeError") and not self.suppressed.catches("TypeError"):
            self.report(PROTOCOL, node, subject, message)

    # -- calls -----------------------------------------------------------------------------------------

    def _call(self, node: ast.Call) -> Value | None:
        callee = self.value(node.func)
        for argument in node.args:
            self.value(argument.value if isinstance(argument, ast.Starred) else argument)
        for keyword in node.keywords:
            self.value(keyword.value)
        if isinstance(callee, InstanceValue):
            call = next((m for m in callee.cls.members if m.name == "__call__"), None)
            if call is None:
                if callee.cls.protocols is not None and "__call__" not in callee.cls.protocols:
                    self._report_protocolish(node, callee.cls.path, f"{describe(callee)} is not callable")
                return None
            callee = ObjectValue(call, owner=callee.cls)
        if not isinstance(callee, ObjectValue):
            return None
        obj = callee.obj
        if obj.kind in CLASS_KINDS:
            self._bind_arguments(node, obj, obj.parameters)
            if obj.abstract:
                self.report(
                    ABSTRACT,
                    node,
                    obj.path,
                    f"`{obj.path}` is abstract and cannot be instantiated",
                    "instantiate a concrete subclass (or define one that implements the abstract methods)",
                )
                return None
            return InstanceValue(obj)
        if obj.kind not in CALLABLE_KINDS:
            return None
        unbound = callee.via_class and obj.kind is ObjectKind.METHOD
        if not unbound:  # Class.method(instance, ...) passes self explicitly: not checked
            self._bind_arguments(node, obj, obj.parameters)
        returned = self.view.value_of_annotation(obj.returns, callee.owner)
        if obj.asynchronous == "coroutine":
            return BuiltinValue("coroutine", returned)
        if obj.asynchronous == "asyncgen":
            return BuiltinValue("async-iterator", None)
        return returned

    def _bind_arguments(self, node: ast.Call, obj: ApiObject, parameters: list[Parameter] | None) -> None:
        if parameters is None or self.suppressed.catches("TypeError"):
            return
        starred = any(isinstance(a, ast.Starred) for a in node.args)
        double = any(k.arg is None for k in node.keywords)
        names = tuple(k.arg for k in node.keywords if k.arg is not None)
        takes_any_keyword = any(p.kind is ParameterKind.VAR_KEYWORD for p in parameters)
        named = [
            p.name
            for p in parameters
            if p.kind
            not in (ParameterKind.POSITIONAL_ONLY, ParameterKind.VAR_POSITIONAL, ParameterKind.VAR_KEYWORD)
        ]
        shown = f"it takes {render_signature(parameters, defaults=False)}"
        if starred or double:
            # The unpacked part is unknown: only a keyword written out can be checked.
            for keyword in node.keywords:
                if keyword.arg is not None and not takes_any_keyword and keyword.arg not in named:
                    self._keyword_problem(keyword, obj, keyword.arg, named, shown)
            return
        error = bind_error(
            CallForm(obj.path, tuple(f"a{i}" for i in range(len(node.args))), names), parameters
        )
        if error is None:
            return
        if "unexpected keyword argument" in error:
            wrong = error.split("'")[1] if "'" in error else "?"
            keyword = next((k for k in node.keywords if k.arg == wrong), node)
            self._keyword_problem(keyword, obj, wrong, named, shown)
        elif "missing a required" in error:
            missing = error.split("'")[1] if "'" in error else "?"
            self.report(
                MISSING_ARGUMENT,
                node,
                obj.path,
                f"`{_short(obj)}` is called without its required argument `{missing}`; {shown}",
                f"pass `{missing}`",
            )
        else:
            self.report(
                TOO_MANY_POSITIONAL,
                node,
                obj.path,
                f"`{_short(obj)}` cannot take these arguments ({error}); {shown}",
                "pass the arguments the signature names (keywords where it says `*`)",
            )

    def _keyword_problem(
        self, node: ast.AST, obj: ApiObject, keyword: str, named: list[str], shown: str
    ) -> None:
        missing = Missing(keyword, "", tuple(named))
        close = missing.closest()
        self.report(
            UNKNOWN_KEYWORD,
            node,
            f"{obj.path}({keyword}=...)",
            f"`{_short(obj)}` has no parameter `{keyword}`; {shown}",
            f"use `{close}`" if close else "remove the argument or use one of the parameters named",
        )

    # -- protocols -------------------------------------------------------------------------------------

    def _supports(self, value: Value | None, operation: str) -> bool | None:
        """Whether ``value`` supports ``operation``; None when that is not known."""
        if isinstance(value, InstanceValue):
            protocols = value.cls.protocols
            return None if protocols is None else any(m in protocols for m in NEEDS[operation])
        if isinstance(value, BuiltinValue):
            if value.name in ("iterator", "async-iterator") and "with" in operation:
                return None  # a generator function under @contextmanager is annotated Iterator[...]
            protocols = builtin_protocols(value.name)
            return None if protocols is None else any(m in protocols for m in NEEDS[operation])
        return None

    def _require(self, node: ast.AST, value: Value | None, operation: str) -> None:
        if self._supports(value, operation) is False:
            subject = value.cls.path if isinstance(value, InstanceValue) else value.name
            fix = None
            if isinstance(value, BuiltinValue) and value.name == "coroutine" and operation != "awaited":
                fix = "await it first: the call is a coroutine"
            elif operation == "awaited":
                fix = "call it without `await`: it is not a coroutine"
            elif (
                operation == "iterated" and isinstance(value, BuiltinValue) and value.name == "async-iterator"
            ):
                fix = "use `async for`"
            elif isinstance(value, InstanceValue):
                names = ", ".join(f"`{m.name}`" for m in value.cls.members[:8])
                fix = f"use what `{value.cls.name}` has ({names})" if names else None
            self._report_protocolish_fix(node, subject, f"{describe(value)} cannot be {operation}", fix)

    def _report_protocolish_fix(self, node: ast.AST, subject: str, message: str, fix: str | None) -> None:
        if not self.suppressed.catches("TypeError"):
            self.report(PROTOCOL, node, subject, message, fix)

    def _await(self, node: ast.Await) -> Value | None:
        value = self.value(node.value)
        self._require(node, value, "awaited")
        awaitable = isinstance(value, BuiltinValue) and value.name in ("awaitable", "coroutine")
        return value.element if awaitable else None

    def _subscript(self, node: ast.Subscript) -> Value | None:
        value = self.value(node.value)
        self.value(node.slice)
        self._require(node, value, "subscripted")
        if (
            isinstance(value, BuiltinValue)
            and value.name in ("list", "tuple")
            and not isinstance(node.slice, ast.Slice)
        ):
            return value.element
        return None

    def _element(self, value: Value | None) -> Value | None:
        return (
            value.element
            if isinstance(value, BuiltinValue)
            and value.name in ("list", "tuple", "set", "frozenset", "iterator", "async-iterator")
            else None
        )

    # -- binding ---------------------------------------------------------------------------------------

    def _bind(self, name: str, value: Value | None) -> None:
        if value is None:
            self.bindings.pop(name, None)
        else:
            self.bindings[name] = value

    def _bind_target(self, target: ast.expr, value: Value | None) -> None:
        if isinstance(target, ast.Name):
            self._bind(target.id, value)
            return
        if isinstance(target, ast.Attribute):
            owner = self.value(target.value)
            if isinstance(owner, ObjectValue | InstanceValue):
                cls = owner.obj if isinstance(owner, ObjectValue) else owner.cls
                self.added.add((cls.path, target.attr))
            return
        if isinstance(target, ast.Subscript):
            self.value(target.value)
            self.value(target.slice)
            return
        for name in stored_names(target):
            self.bindings.pop(name, None)

    # -- statements ------------------------------------------------------------------------------------

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            bound = alias.asname or alias.name.split(".")[0]
            if not self.view.in_package(alias.name):
                self.bindings.pop(bound, None)
                continue
            found = self._path(node, alias.name)
            if alias.asname:
                self._bind(alias.asname, found)
            else:
                self._bind(bound, ModuleValue(bound) if found is not None else None)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        if node.level or not self.view.in_package(module):
            for alias in node.names:
                self.bindings.pop(alias.asname or alias.name, None)
            return
        found = self._path(node, module)
        for alias in node.names:
            if alias.name == "*":
                if isinstance(found, ModuleValue):
                    for path, obj in self.view.index.objects.items():
                        if path.rpartition(".")[0] == module:
                            self.bindings[path.rpartition(".")[2]] = ObjectValue(obj)
                continue
            value = self._path(node, f"{module}.{alias.name}") if isinstance(found, ModuleValue) else None
            self._bind(alias.asname or alias.name, value)

    def visit_Assign(self, node: ast.Assign) -> None:
        value = self.value(node.value)
        for target in node.targets:
            self._bind_target(target, value)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        value = self.value(node.value) if node.value is not None else None
        if node.value is not None:
            self._bind_target(node.target, value)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self.value(node.value)
        if not isinstance(node.target, ast.Name):
            self.value(node.target)
        for name in stored_names(node.target):
            self.bindings.pop(name, None)

    def visit_Expr(self, node: ast.Expr) -> None:
        self.value(node.value)

    def visit_Return(self, node: ast.Return) -> None:
        self.value(node.value)

    def visit_Delete(self, node: ast.Delete) -> None:
        for target in node.targets:
            for name in stored_names(target):
                self.bindings.pop(name, None)

    def visit_For(self, node: ast.For | ast.AsyncFor) -> None:
        iterable = self.value(node.iter)
        asynchronous = isinstance(node, ast.AsyncFor)
        self._require(node.iter, iterable, "iterated with async for" if asynchronous else "iterated")
        self._bind_target(node.target, self._element(iterable))
        for statement in [*node.body, *node.orelse]:
            self.visit(statement)

    visit_AsyncFor = visit_For

    def visit_With(self, node: ast.With | ast.AsyncWith) -> None:
        asynchronous = isinstance(node, ast.AsyncWith)
        for item in node.items:
            manager = self.value(item.context_expr)
            self._require(
                item.context_expr,
                manager,
                "used in an async with statement" if asynchronous else "used in a with statement",
            )
            if item.optional_vars is not None:
                # What __enter__ returns is not in the model: the name is unknown from here.
                self._bind_target(item.optional_vars, None)
        for statement in node.body:
            self.visit(statement)

    visit_AsyncWith = visit_With

    def visit_comprehension(self, node: ast.comprehension) -> None:
        iterable = self.value(node.iter)
        self._require(node.iter, iterable, "iterated with async for" if node.is_async else "iterated")
        self._bind_target(node.target, self._element(iterable))
        for condition in node.ifs:
            self.value(condition)

    def _comprehension(self, node: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp) -> None:
        saved = dict(self.bindings)
        for generator in node.generators:
            self.visit_comprehension(generator)
        if isinstance(node, ast.DictComp):
            self.value(node.key)
            self.value(node.value)
        else:
            self.value(node.elt)
        self.bindings = saved

    visit_ListComp = visit_SetComp = visit_GeneratorExp = visit_DictComp = _comprehension

    def visit_If(self, node: ast.If | ast.While) -> None:
        self.value(node.test)
        guarded = hasattr_names(node.test)
        self.suppressed.attributes.append(guarded)
        for statement in node.body:
            self.visit(statement)
        self.suppressed.attributes.pop()
        for statement in node.orelse:
            self.visit(statement)

    visit_While = visit_If

    def visit_Try(self, node: ast.Try) -> None:
        caught: set[str] = set()
        for handler in node.handlers:
            caught |= exception_names(handler.type)
        self.suppressed.errors.append(caught)
        for statement in node.body:
            self.visit(statement)
        self.suppressed.errors.pop()
        for handler in node.handlers:
            if handler.name:
                self.bindings.pop(handler.name, None)
            for statement in handler.body:
                self.visit(statement)
        for statement in [*node.orelse, *node.finalbody]:
            self.visit(statement)

    visit_TryStar = visit_Try

    def _scoped(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> None:
        # Parameters shadow page names inside; what the body binds stays inside.
        saved = dict(self.bindings)
        arguments = node.args
        for argument in [
            *arguments.posonlyargs,
            *arguments.args,
            *arguments.kwonlyargs,
            arguments.vararg,
            arguments.kwarg,
        ]:
            if argument is not None:
                self.bindings.pop(argument.arg, None)
        for default in [*arguments.defaults, *(d for d in arguments.kw_defaults if d is not None)]:
            self.value(default)
        body = node.body if isinstance(node.body, list) else [ast.Expr(node.body)]
        for statement in body:
            self.visit(statement)
        self.bindings = saved

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for decorator in node.decorator_list:
            self.value(decorator)
        self._scoped(node)
        self.bindings.pop(node.name, None)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self._scoped(node)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for base in node.bases:
            self.value(base)
        saved = dict(self.bindings)
        for statement in node.body:
            self.visit(statement)
        self.bindings = saved
        self.bindings.pop(node.name, None)

    def visit_Global(self, node: ast.Global) -> None:
        return

    def visit_Match(self, node: ast.Match) -> None:
        self.value(node.subject)
        for case in node.cases:
            for name in stored_names(case.pattern):
                self.bindings.pop(name, None)
            for statement in case.body:
                self.visit(statement)

    def generic_visit(self, node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr):
                self.value(child)
            else:
                self.visit(child)


def _short(obj: ApiObject) -> str:
    parts = obj.path.split(".")
    return ".".join(parts[-2:]) if obj.kind in CALLABLE_KINDS and len(parts) > 1 else parts[-1]


def analyze_page(page: DocPage, view: ApiView) -> list[Problem]:
    """Every problem of ``page``'s blocks, in page order; a block that is not Python is its own problem."""
    analyzer = PageAnalyzer(view)
    for block in page.blocks:
        if block.skip:
            continue
        if page.isolated:
            analyzer.bindings = {}
        analyzer.block = block.index
        analyzer.column_shift = block.column + (4 if block.doctest else 0)
        tree = _tree(block)
        if isinstance(tree, SyntaxError):
            line = tree.lineno or block.line  # the code was parsed at its file lines
            analyzer.problems.append(
                Problem(
                    NOT_PYTHON,
                    line,
                    block.column + max((tree.offset or 1) - 1, 0),
                    f"block {block.index + 1}",
                    f"the block is not valid Python ({tree.msg}): not checked",
                    "if it is pseudo-code, mark it so (a `text` fence, or `docs-check: skip` just above it)",
                    block.index,
                )
            )
            continue
        for statement in tree.body:
            analyzer.visit(statement)
    return list(dict.fromkeys(analyzer.problems))


def _tree(block: CodeBlock) -> ast.Module | SyntaxError:
    try:
        return parse_block(block)
    except SyntaxError as exc:
        return exc
    except ValueError as exc:  # a NUL byte in the source
        return SyntaxError(str(exc))
