"""Turn the worker's facts into the API model: pick each object's home module and path, sort."""

from __future__ import annotations

from collections import defaultdict

from hokusai_contracts.contract.model import Api, ApiModule, ApiObject, ObjectKind, Parameter, ParameterKind


def path_rank(path: str) -> tuple[int, int, str]:
    """Sort key of export paths: fewest components, then shortest, then alphabetical."""
    return (path.count("."), len(path), path)


def build_api(payload: dict) -> Api:
    """The :class:`Api` described by a worker payload (pure: no import, no I/O)."""
    modules = payload.get("modules", [])
    records: dict[str, dict] = payload.get("objects", {})
    exports: dict[str, list[str]] = defaultdict(list)
    for module in modules:
        for name, object_id in module["exports"].items():
            exports[object_id].append(f"{module['name']}.{name}")

    placed = {
        object_id: _place(record, sorted(exports[object_id], key=path_rank))
        for object_id, record in records.items()
        if exports[object_id]
    }
    # Bases are reported as module.qualname of the definition; contracts name them by contract path.
    contract_path_of = {
        f"{record['module']}.{record['qualname']}": placed[object_id][1]
        for object_id, record in records.items()
        if object_id in placed and record.get("module") and record.get("qualname")
    }

    by_module: dict[str, list[ApiObject]] = defaultdict(list)
    seen_paths: set[str] = set()
    for object_id in sorted(placed, key=lambda i: placed[i][1]):
        home, path = placed[object_id]
        if path in seen_paths:
            continue  # an alias that lands on a path already taken (e.g. a nested class exported too)
        obj = _object(path, records[object_id], contract_path_of)
        obj.export_paths = sorted(exports[object_id])
        seen_paths.update(o.path for o in obj.walk())
        by_module[home].append(obj)

    api_modules = [
        ApiModule(
            name=m["name"],
            summary=m.get("summary"),
            objects=by_module.get(m["name"], []),
            getattr_hook=bool(m.get("getattr_hook")),
            names=m.get("names"),
        )
        for m in sorted(modules, key=lambda m: m["name"])
    ]
    errors: dict[str, list[str]] = defaultdict(list)
    for error in payload.get("errors", []):
        errors[error["module"]].append(error["error"])
    return Api(
        package=payload["package"],
        version=payload.get("version"),
        modules=api_modules,
        import_errors={name: "\n".join(texts) for name, texts in sorted(errors.items())},
        package_file=payload.get("package_file"),
        unimportable={
            e["module"]: e.get("missing") for e in payload.get("errors", []) if e.get("import_failed")
        },
    )


def _place(record: dict, export_paths: list[str]) -> tuple[str, str]:
    """(home module, contract path): the defining module when public, else the shortest export path."""
    if record.get("at_definition"):
        return record["module"], f"{record['module']}.{record['qualname']}"
    home, _, name = export_paths[0].rpartition(".")
    return home, f"{home}.{name}"


def _object(path: str, record: dict, contract_path_of: dict[str, str]) -> ApiObject:
    parameters = record.get("parameters")
    return ApiObject(
        path=path,
        kind=ObjectKind(record["kind"]),
        parameters=None if parameters is None else [_parameter(p) for p in parameters],
        returns=record.get("returns"),
        raises=list(record.get("raises") or []),
        summary=record.get("summary"),
        bases=[contract_path_of.get(base, base) for base in record.get("bases") or []],
        abstract=bool(record.get("abstract")),
        protocols=record.get("protocols"),
        asynchronous=record.get("asynchronous"),
        names=record.get("names"),
        members=[
            _object(f"{path}.{member['name']}", member, contract_path_of)
            for member in sorted(record.get("members") or [], key=lambda m: m["name"])
        ],
    )


def _parameter(record: dict) -> Parameter:
    return Parameter(
        name=record["name"],
        kind=ParameterKind(record["kind"]),
        default=record.get("default"),
        annotation=record.get("annotation"),
    )
