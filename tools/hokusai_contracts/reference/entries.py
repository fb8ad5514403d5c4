"""API contract -> module pages: one entry per object, with links between entries."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from hokusai_contracts.contract.model import Api, ApiModule, ApiObject, ObjectKind, Parameter, ParameterKind
from hokusai_contracts.reference.examples import Example
from hokusai_contracts.reference.pages import (
    ExampleView,
    LifecycleView,
    Link,
    ModulePage,
    ObjectEntry,
    ParameterRow,
    TypeRef,
)

# Examples shown in full under an entry; the others are listed by page and heading.
EXAMPLES_SHOWN = 3
SIGNATURE_WIDTH = 88
_CLASS_KINDS = (ObjectKind.CLASS, ObjectKind.EXCEPTION)
_VARIADIC_PREFIX = {ParameterKind.VAR_POSITIONAL: "*", ParameterKind.VAR_KEYWORD: "**"}
_DOTTED_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")

ExampleStatus = Callable[[Example], tuple[str, str]]


class Linker:
    """Finds the entry a name refers to: a path, an export path, or an unambiguous class name."""

    def __init__(self, api: Api):
        self._pages: dict[str, str] = {}
        short: dict[str, set[str]] = {}
        for module in api.modules:
            for obj in module.walk():
                self._pages[obj.path] = module.name
                if obj.kind in _CLASS_KINDS:
                    short.setdefault(obj.name, set()).add(obj.path)
        self._aliases: dict[str, str] = {}
        for module in api.modules:
            for obj in module.objects:
                for export in obj.export_paths:
                    self._aliases.setdefault(export, obj.path)
        self._short = {name: next(iter(paths)) for name, paths in short.items() if len(paths) == 1}

    def link(self, name: str) -> Link | None:
        """The entry ``name`` names, if any."""
        path = name if name in self._pages else self._aliases.get(name) or self._short.get(name)
        if path is None:
            return None
        return Link(name, self._pages[path], path)

    def ref(self, text: str) -> TypeRef:
        """``text`` linked when the whole of it names an entry (``ModelRegistryEntry``, not ``list[...]``)."""
        stripped = text.strip()
        return TypeRef(text, self.link(stripped) if _DOTTED_NAME.fullmatch(stripped) else None)


def _parameter_row(parameter: Parameter) -> ParameterRow:
    return ParameterRow(
        name=_VARIADIC_PREFIX.get(parameter.kind, "") + parameter.name,
        type=parameter.annotation or "",
        default="" if parameter.default is None else parameter.default,
        required=parameter.required,
        description=parameter.description or "",
        kind=parameter.kind.value.replace("_", " "),
    )


def _parameter_text(parameter: Parameter) -> str:
    text = _VARIADIC_PREFIX.get(parameter.kind, "") + parameter.name
    if parameter.annotation:
        text += f": {parameter.annotation}"
    if parameter.default is not None:
        text += f" = {parameter.default}" if parameter.annotation else f"={parameter.default}"
    return text


def signature(obj: ApiObject) -> str | None:
    """The declaration a reader would write: ``def name(a: int, *, b: str = 'x') -> T``, ``class C(a)``."""
    if obj.kind in (ObjectKind.ATTRIBUTE, ObjectKind.PROPERTY):
        return f"{obj.name}: {obj.returns}" if obj.returns else obj.name
    if obj.parameters is None:
        return f"class {obj.name}" if obj.kind in _CLASS_KINDS else None
    parts: list[str] = []
    star = False
    for index, parameter in enumerate(obj.parameters):
        if parameter.kind is ParameterKind.KEYWORD_ONLY and not star:
            parts.append("*")
        star = star or parameter.kind in (ParameterKind.KEYWORD_ONLY, ParameterKind.VAR_POSITIONAL)
        parts.append(_parameter_text(parameter))
        following = obj.parameters[index + 1].kind if index + 1 < len(obj.parameters) else None
        if parameter.kind is ParameterKind.POSITIONAL_ONLY and following is not ParameterKind.POSITIONAL_ONLY:
            parts.append("/")
    if obj.kind in _CLASS_KINDS:
        head, tail = f"class {obj.name}", ""
    else:
        prefix = {ObjectKind.CLASSMETHOD: "@classmethod\n", ObjectKind.STATICMETHOD: "@staticmethod\n"}
        head = f"{prefix.get(obj.kind, '')}def {obj.name}"
        tail = f" -> {obj.returns}" if obj.returns else ""
    one_line = f"{head}({', '.join(parts)}){tail}"
    if len(one_line.rsplit("\n", 1)[-1]) <= SIGNATURE_WIDTH:
        return one_line
    # One parameter per line, as a formatter would write it: long signatures stay readable.
    return f"{head}(\n" + "".join(f"    {part},\n" for part in parts) + f"){tail}"


def _example_views(examples: Iterable[Example], status: ExampleStatus) -> list[ExampleView]:
    views = []
    for example in examples:
        kind, text = status(example)
        views.append(
            ExampleView(
                page=example.page,
                page_title=example.page_title,
                heading=example.heading,
                line=example.line,
                position=example.position,
                blocks_under_heading=example.blocks_under_heading,
                code=example.code,
                status=kind,
                status_text=text,
            )
        )
    return views


def object_entry(
    obj: ApiObject,
    linker: Linker,
    examples: dict[str, list[Example]],
    status: ExampleStatus,
    level: int = 2,
) -> ObjectEntry:
    """The entry of ``obj`` and of its members."""
    lifecycle = obj.lifecycle
    views = _example_views(examples.get(obj.path, ()), status)
    return ObjectEntry(
        path=obj.path,
        name=obj.name,
        kind=obj.kind.value,
        anchor=obj.path,
        level=level,
        summary=obj.summary or "",
        signature=signature(obj),
        parameters=None if obj.parameters is None else [_parameter_row(p) for p in obj.parameters],
        returns=linker.ref(obj.returns) if obj.returns and obj.is_callable else None,
        raises=[linker.ref(name) for name in obj.raises],
        export_paths=sorted(obj.export_paths),
        bases=[linker.ref(base) for base in obj.bases],
        call_forms=[form.text for form in obj.call_forms],
        lifecycle=LifecycleView(
            since=lifecycle.since,
            changed=tuple((change.version, change.note) for change in lifecycle.changed),
            deprecated_since=lifecycle.deprecated_since,
            removed_in=lifecycle.removed_in,
            replacement=linker.ref(lifecycle.replacement) if lifecycle.replacement else None,
        ),
        examples=views[:EXAMPLES_SHOWN],
        more_examples=views[EXAMPLES_SHOWN:],
        members=[
            object_entry(member, linker, examples, status, level=3)
            for member in sorted(obj.members, key=lambda m: m.path)
        ],
    )


def _reexports(module: ApiModule, api: Api) -> list[Link]:
    """Names importable from ``module`` that are defined (and documented) in another module."""
    prefix = module.name + "."
    links = [
        Link(export[len(prefix) :], other.name, obj.path)
        for other in api.modules
        if other.name != module.name
        for obj in other.objects
        for export in obj.export_paths
        if export.startswith(prefix) and "." not in export[len(prefix) :]
    ]
    return sorted(set(links), key=lambda link: (link.text, link.anchor))


def module_pages(api: Api, examples: dict[str, list[Example]], status: ExampleStatus) -> list[ModulePage]:
    """One page per contracted module, sorted by name."""
    linker = Linker(api)
    return [
        ModulePage(
            name=module.name,
            summary=module.summary or "",
            entries=[
                object_entry(obj, linker, examples, status)
                for obj in sorted(module.objects, key=lambda o: o.path)
            ],
            reexports=_reexports(module, api),
        )
        for module in sorted(api.modules, key=lambda m: m.name)
    ]
