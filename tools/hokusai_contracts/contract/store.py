"""The contract store: one YAML file per public module under ``contracts/api/``.

Files are written with a fixed key order and sorted object lists so a change to the SDK shows up as
a small, reviewable diff. Reading validates every file against the JSON Schema and records where
each object stands (``source_file``/``source_line``) so findings can point at it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from hokusai_contracts.base.errors import ContractError
from hokusai_contracts.base.files import list_files, read_text_file
from hokusai_contracts.contract.callforms import parse_call_form, synthesize_signature
from hokusai_contracts.contract.model import (
    CALLABLE_KINDS,
    VERSION_AXES,
    Api,
    ApiModule,
    ApiObject,
    Change,
    Lifecycle,
    ObjectKind,
    Parameter,
    ParameterKind,
    VersionRange,
)
from hokusai_contracts.contract.schema import load_contract_file, schema_path
from hokusai_contracts.contract.yaml_lines import LoadedYaml, dump_yaml

SUFFIX = ".yaml"
EXPECTED = "an API contract file (YAML)"
HEADER = (
    "# API contract of module {module}: its public objects, one entry each.\n"
    "# Extraction rewrites this file from the SDK and keeps the hand-written parts:\n"
    "# call_forms, parameter descriptions and lifecycle.\n"
)
# Kinds whose call forms can be checked: callables, and classes through their constructor.
CALLABLE_FORM_KINDS = CALLABLE_KINDS | {ObjectKind.CLASS, ObjectKind.EXCEPTION}
# Plain string fields; ``changed`` is a list of version + note and is written and read on its own.
_LIFECYCLE_KEYS = tuple(f.name for f in dataclasses.fields(Lifecycle) if f.name != "changed")


# -- writing ---------------------------------------------------------------------------------------


def contract_filename(module: str) -> str:
    """``hokusai.tracking.experiments`` -> ``hokusai.tracking.experiments.yaml``."""
    return f"{module}{SUFFIX}"


def dump_module(module: ApiModule) -> str:
    """The YAML text of one module's contract."""
    data: dict[str, Any] = {"module": module.name}
    if module.summary:
        data["summary"] = module.summary
    objects = sorted(module.objects, key=lambda o: o.path)
    if objects:
        data["objects"] = [_object_data(o, module.name) for o in objects]
    return HEADER.format(module=module.name) + dump_yaml(data)


def render_contracts(api: Api) -> dict[str, str]:
    """File name -> YAML text for every module of ``api``."""
    return {contract_filename(m.name): dump_module(m) for m in sorted(api.modules, key=lambda m: m.name)}


def write_contracts(api: Api, directory: Path) -> list[Path]:
    """Write ``api`` to ``directory``; only changed files are rewritten, stale ones removed."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    rendered = render_contracts(api)
    changed = []
    for name, text in rendered.items():
        path = directory / name
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            changed.append(path)
    for path in sorted(directory.glob(f"*{SUFFIX}")):
        if path.name not in rendered:
            path.unlink()
            changed.append(path)
    return sorted(changed)


def read_committed(directory: Path) -> dict[str, str]:
    """File name -> text of the contract files now in ``directory`` (empty when there is none)."""
    return {
        path.name: read_text_file(path, root=Path(directory).parent, expected=EXPECTED)
        for path in list_files(directory, (SUFFIX,))
    }


def _object_data(obj: ApiObject, parent: str) -> dict[str, Any]:
    prefix = parent + "."
    if not obj.path.startswith(prefix):
        raise ValueError(f"{obj.path} does not belong under {parent}")
    data: dict[str, Any] = {"name": obj.path[len(prefix) :], "kind": obj.kind.value}
    if obj.summary:
        data["summary"] = obj.summary
    if obj.export_paths:
        data["export_paths"] = sorted(obj.export_paths)
    if obj.bases:
        data["bases"] = list(obj.bases)
    if obj.parameters is not None:
        data["parameters"] = [_parameter_data(p) for p in obj.parameters]
    if obj.returns:
        data["returns"] = obj.returns
    if obj.raises:
        data["raises"] = list(obj.raises)
    if obj.call_forms:
        data["call_forms"] = [form.text for form in obj.call_forms]
    lifecycle = {key: getattr(obj.lifecycle, key) for key in _LIFECYCLE_KEYS if getattr(obj.lifecycle, key)}
    if obj.lifecycle.changed:
        lifecycle["changed"] = [dataclasses.asdict(change) for change in obj.lifecycle.changed]
    if lifecycle:
        data["lifecycle"] = lifecycle
    if obj.applies is not None:
        data["applies"] = dict(obj.applies.specifiers)
    if obj.members:
        data["members"] = [_object_data(m, obj.path) for m in sorted(obj.members, key=lambda m: m.path)]
    return data


def _parameter_data(parameter: Parameter) -> dict[str, Any]:
    data: dict[str, Any] = {"name": parameter.name, "kind": parameter.kind.value}
    if parameter.default is not None:
        data["default"] = parameter.default
    if parameter.annotation:
        data["annotation"] = parameter.annotation
    if parameter.description:
        data["description"] = parameter.description
    return data


# -- reading ---------------------------------------------------------------------------------------


def load_contracts(directory: Path) -> Api:
    """Read and validate every contract file of ``directory`` (one per module)."""
    directory = Path(directory)
    files = list_files(directory, (SUFFIX,))
    if not files:
        raise ContractError(
            f"no contract files in {directory}; expected one <module>{SUFFIX} per public module "
            "(create them with the extract command)"
        )
    schema = schema_path(contracts_root=directory.parent)
    modules = sorted(
        (load_module_file(path, schema, root=directory.parent) for path in files), key=lambda m: m.name
    )
    packages = sorted({m.name.split(".")[0] for m in modules})
    if len(packages) > 1:
        raise ContractError(f"contracts of several packages ({', '.join(packages)}) in {directory}")
    return Api(package=packages[0], modules=modules)


def load_module_file(path: Path, schema: Path | None = None, *, root: Path | None = None) -> ApiModule:
    """Read one contract file; any problem is a :class:`ContractError` naming FILE:LINE.

    ``root``: the directory the file must lie in once symlinks are resolved (default: anywhere).
    """
    file = str(path)
    schema = schema or schema_path(contracts_root=Path(path).parent.parent)
    loaded = load_contract_file(path, schema, root=root, expected=EXPECTED)
    data = loaded.data
    expected = Path(path).name[: -len(SUFFIX)]
    if data["module"] != expected:
        raise ContractError(
            f"module {data['module']!r} in a file named for {expected!r}; expected `module: {expected}`",
            file=file,
            line=loaded.line(["module"]),
        )
    objects = data.get("objects") or []
    _reject_duplicate_names(loaded, objects, ["objects"])
    return ApiModule(
        name=data["module"],
        summary=data.get("summary"),
        objects=[
            _object_from(loaded, item, data["module"], ["objects", i]) for i, item in enumerate(objects)
        ],
        source_file=file,
        source_line=loaded.line(["module"]),
    )


def _object_from(loaded: LoadedYaml, data: dict, parent: str, where: list) -> ApiObject:
    kind = ObjectKind(data["kind"])
    path = f"{parent}.{data['name']}"
    parameters = data.get("parameters")
    if parameters is not None:
        parameters = _parameters_from(loaded, parameters, [*where, "parameters"])
    forms = data.get("call_forms") or []
    if forms and kind not in CALLABLE_FORM_KINDS:
        raise ContractError(
            f"{path} is a {kind.value}, which cannot be called; expected call_forms only on classes, "
            "exceptions, functions and methods",
            file=loaded.file,
            line=loaded.line([*where, "call_forms"], key=True),
        )
    members = data.get("members") or []
    _reject_duplicate_names(loaded, members, [*where, "members"])
    lifecycle = data.get("lifecycle") or {}
    return ApiObject(
        path=path,
        kind=kind,
        parameters=parameters,
        returns=data.get("returns"),
        raises=list(data.get("raises") or []),
        export_paths=list(data.get("export_paths") or []),
        summary=data.get("summary"),
        bases=list(data.get("bases") or []),
        call_forms=[
            parse_call_form(
                text,
                file=loaded.file,
                line=loaded.line([*where, "call_forms", i]),
                expected_name=data["name"].rsplit(".", 1)[-1],
            )
            for i, text in enumerate(forms)
        ],
        lifecycle=Lifecycle(
            **{key: lifecycle.get(key) for key in _LIFECYCLE_KEYS},
            changed=tuple(Change(str(c["version"]), c["note"]) for c in lifecycle.get("changed") or ()),
        ),
        applies=_applies_from(loaded, data.get("applies"), [*where, "applies"]),
        members=[_object_from(loaded, m, path, [*where, "members", i]) for i, m in enumerate(members)],
        source_file=loaded.file,
        source_line=loaded.line(where),
    )


def _applies_from(loaded: LoadedYaml, data: dict | None, where: list) -> VersionRange | None:
    """``applies: {client: ">=2.22"}`` (the schema checked its keys) as a range; each a PEP 440 range."""
    if data is None:
        return None
    for axis, spec in data.items():
        try:
            SpecifierSet(spec)
        except InvalidSpecifier:
            raise ContractError(
                f'applies.{axis}: {spec!r} is not a version range (PEP 440, e.g. ">=2.22" or ">=2.9,<3")',
                file=loaded.file,
                line=loaded.line([*where, axis]),
            ) from None
    return VersionRange(tuple((axis, data[axis]) for axis in VERSION_AXES if axis in data))


def _parameters_from(loaded: LoadedYaml, items: list[dict], where: list) -> list[Parameter]:
    parameters = [
        Parameter(
            name=item["name"],
            kind=ParameterKind(item.get("kind", ParameterKind.POSITIONAL_OR_KEYWORD.value)),
            default=item.get("default"),
            annotation=item.get("annotation"),
            description=item.get("description"),
        )
        for item in items
    ]
    _reject_duplicate_names(loaded, items, where)
    try:
        synthesize_signature(parameters)
    except ValueError as exc:
        raise ContractError(
            f"these parameters cannot form a Python signature ({exc}); expected positional-only, then "
            "positional-or-keyword, *args, keyword-only, **kwargs, and no required positional "
            "parameter after one with a default",
            file=loaded.file,
            line=loaded.line(where, key=True),
        ) from None
    return parameters


def _reject_duplicate_names(loaded: LoadedYaml, items: Iterable[dict], where: list) -> None:
    seen: set[str] = set()
    for i, item in enumerate(items):
        if item["name"] in seen:
            raise ContractError(
                f"{item['name']!r} is listed twice; expected each name once",
                file=loaded.file,
                line=loaded.line([*where, i]),
            )
        seen.add(item["name"])


# -- merging ---------------------------------------------------------------------------------------


def merge_hand_written(extracted: Api, existing: Api) -> Api:
    """``extracted`` with the hand-written parts of ``existing`` kept.

    Kept per object: call forms, lifecycle, applies and parameter descriptions (by parameter name). Objects
    are matched by path, else (an object that moved to another module) by a shared export path.
    """
    by_path = {o.path: o for m in existing.modules for o in m.objects}
    by_export = {p: o for m in existing.modules for o in m.objects for p in o.export_paths}

    def previous(obj: ApiObject) -> ApiObject | None:
        found = by_path.get(obj.path)
        if found is None:
            found = next((by_export[p] for p in obj.export_paths if p in by_export), None)
        return found

    modules = [
        dataclasses.replace(m, objects=[_merge(o, previous(o)) for o in m.objects]) for m in extracted.modules
    ]
    return dataclasses.replace(extracted, modules=modules)


def _merge(obj: ApiObject, old: ApiObject | None) -> ApiObject:
    if old is None:
        return dataclasses.replace(obj, members=[_merge(m, None) for m in obj.members])
    old_members = {m.name: m for m in old.members}
    parameters = obj.parameters
    if parameters is not None and old.parameters:
        descriptions = {p.name: p.description for p in old.parameters if p.description}
        parameters = [
            dataclasses.replace(p, description=descriptions.get(p.name, p.description)) for p in parameters
        ]
    return dataclasses.replace(
        obj,
        parameters=parameters,
        call_forms=list(old.call_forms) or list(obj.call_forms),
        lifecycle=old.lifecycle if old.lifecycle != Lifecycle() else obj.lifecycle,
        applies=old.applies if old.applies is not None else obj.applies,
        members=[_merge(m, old_members.get(m.name)) for m in obj.members],
    )
