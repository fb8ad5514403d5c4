"""Load an OpenAPI document from a file and check that it is one, with FILE:LINE for every problem."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hokusai_contracts.base.errors import ContractError
from hokusai_contracts.contract.yaml_lines import LoadedYaml, read_yaml_file

METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
_VERSION = re.compile(r"^3\.[01]\.\d+$")
_STATUS = re.compile(r"^(?:[1-5][0-9][0-9]|[1-5]XX|default)$")
_TEMPLATE_VARIABLE = re.compile(r"\{([^{}/]+)\}")
# A path parameter whose value may contain slashes (MLflow's artifact paths): the one place the matcher
# departs from OpenAPI, where a template variable is one segment.
MULTI_SEGMENT = "x-multi-segment"


@dataclass(frozen=True)
class Operation:
    """One operation of the document: where it is written and whether it needs credentials."""

    method: str
    path: str
    line: int | None
    secured: bool
    multi_segment: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """``METHOD /path``, as Schemathesis names operations."""
        return f"{self.method.upper()} {self.path}"

    def path_pattern(self) -> re.Pattern[str]:
        """A regex matching concrete paths of this operation (template variables are one segment)."""
        parts, last = [], 0
        for match in _TEMPLATE_VARIABLE.finditer(self.path):
            parts.append(re.escape(self.path[last : match.start()]))
            parts.append(".+" if match.group(1) in self.multi_segment else "[^/]+")
            last = match.end()
        parts.append(re.escape(self.path[last:]))
        return re.compile("".join(parts) + "$")


@dataclass(frozen=True)
class OpenApiDocument:
    """A loaded OpenAPI 3.0/3.1 document, its node tree (for lines) and its operations."""

    file: str
    data: dict[str, Any]
    yaml: LoadedYaml
    operations: tuple[Operation, ...]

    @property
    def version(self) -> str:
        """The ``openapi`` version string."""
        return str(self.data["openapi"])

    def find(self, method: str, path: str) -> Operation | None:
        """The operation answering ``METHOD path`` (a concrete path), None when none does.

        Literal segments win over template variables, as in every router (``/a/search`` before ``/a/{id}``).
        """
        candidates = [
            op for op in self.operations if op.method == method.lower() and op.path_pattern().match(path)
        ]
        return min(candidates, key=lambda op: op.path.count("{"), default=None)

    def operation(self, label: str) -> Operation | None:
        """The operation named ``METHOD /template`` (a Schemathesis label)."""
        return next((op for op in self.operations if op.label == label), None)

    def resolve(self, node: Any) -> Any:
        """``node`` with a local ``$ref`` (``#/components/...``) followed, repeatedly."""
        seen = 0
        while isinstance(node, dict) and isinstance(node.get("$ref"), str) and seen < 32:
            node, seen = _pointer(self.data, node["$ref"]), seen + 1
        return node


def _pointer(data: Any, ref: Any) -> Any:
    if not isinstance(ref, str) or not ref.startswith("#/"):
        return None
    node = data
    for raw in ref[2:].split("/"):
        key = raw.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


@dataclass(frozen=True)
class Problem:
    """One reason the document is not a usable OpenAPI document."""

    path: tuple[str | int, ...]
    message: str


def _problems(data: Any) -> Iterator[Problem]:
    if not isinstance(data, dict):
        yield Problem((), "expected a mapping with `openapi`, `info` and `paths` at the top level")
        return
    version = data.get("openapi")
    if not isinstance(version, str) or not _VERSION.match(version):
        yield Problem(("openapi",), f"`openapi` must be a 3.0.x or 3.1.x version string, got {version!r}")
    info = data.get("info")
    if not isinstance(info, dict) or not info.get("title") or not info.get("version"):
        yield Problem(("info",), "`info` must be a mapping with `title` and `version`")
    if not isinstance(data.get("security", []), list):
        yield Problem(("security",), "`security` must be a list of security requirements")
    paths = data.get("paths")
    if not isinstance(paths, dict) or not paths:
        yield Problem(("paths",), "`paths` must be a non-empty mapping of `/path: {method: operation}`")
        return
    for path, item in paths.items():
        yield from _path_problems(data, str(path), item)
    yield from _ref_problems(data, data, ())


def _path_problems(root: dict, path: str, item: Any) -> Iterator[Problem]:
    where = ("paths", path)
    if not path.startswith("/"):
        yield Problem(where, f"path {path!r} must start with '/'")
    if not isinstance(item, dict):
        yield Problem(where, f"path {path!r} must map HTTP methods to operations")
        return
    shared = item.get("parameters") or []
    yield from _parameter_problems((*where, "parameters"), shared)
    for method, operation in item.items():
        method = str(method)
        if method in ("parameters", "summary", "description", "servers") or method.startswith("x-"):
            continue
        if method not in METHODS:
            yield Problem((*where, method), f"{method!r} is not an HTTP method (expected one of {METHODS})")
            continue
        yield from _operation_problems(root, (*where, method), path, operation, shared)


def _parameters(root: dict, *lists: Any) -> list[dict]:
    """Parameter objects of several ``parameters`` lists, local ``$ref`` s followed."""
    found = []
    for parameters in lists:
        if not isinstance(parameters, list):
            continue  # reported by _parameter_problems
        for parameter in parameters:
            if isinstance(parameter, dict) and "$ref" in parameter:
                parameter = _pointer(root, parameter["$ref"])
            if isinstance(parameter, dict):
                found.append(parameter)
    return found


def _operation_problems(
    root: dict, where: tuple, path: str, operation: Any, shared: list
) -> Iterator[Problem]:
    if not isinstance(operation, dict):
        yield Problem(where, "an operation must be a mapping with `responses`")
        return
    responses = operation.get("responses")
    if not isinstance(responses, dict) or not responses:
        yield Problem(where, "the operation needs a non-empty `responses` mapping (status code -> response)")
    else:
        for status in responses:
            if not _STATUS.match(str(status)):
                yield Problem(
                    (*where, "responses", status), f"{status!r} is not a status code, 2XX or default"
                )
    yield from _parameter_problems((*where, "parameters"), operation.get("parameters") or [])
    if not isinstance(operation.get("security", []), list):
        yield Problem((*where, "security"), "`security` must be a list of security requirements")
    parameters = _parameters(root, shared, operation.get("parameters"))
    declared = {p.get("name") for p in parameters if p.get("in") == "path"}
    for variable in _TEMPLATE_VARIABLE.findall(path):
        if variable not in declared:
            yield Problem(where, f"path variable {{{variable}}} is not declared as an `in: path` parameter")


def _parameter_problems(where: tuple, parameters: Any) -> Iterator[Problem]:
    if not isinstance(parameters, list):
        yield Problem(where, "`parameters` must be a list of parameter objects (`- name: ..., in: ...`)")
    elif not all(isinstance(p, dict) and ("$ref" in p or isinstance(p.get("name"), str)) for p in parameters):
        yield Problem(where, "every parameter must be a mapping with a `name` (or a `$ref`)")


def _ref_problems(root: dict, node: Any, where: tuple) -> Iterator[Problem]:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#") and _pointer(root, ref) is None:
            yield Problem(where, f"$ref {ref!r} points at nothing in this document")
        for key, value in node.items():
            yield from _ref_problems(root, value, (*where, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _ref_problems(root, value, (*where, index))


def _operations(data: dict, loaded: LoadedYaml) -> tuple[Operation, ...]:
    global_security = data.get("security") or []
    found = []
    for path, item in data["paths"].items():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            security = operation.get("security", global_security) or []
            params = _parameters(data, item.get("parameters"), operation.get("parameters"))
            found.append(
                Operation(
                    method=method,
                    path=path,
                    line=loaded.line(("paths", path, method), key=True),
                    # `{}` among the requirements means "or no credentials at all".
                    secured=bool(security) and all(requirement for requirement in security),
                    multi_segment=tuple(p["name"] for p in params if p.get(MULTI_SEGMENT)),
                )
            )
    return tuple(found)


def load_document(path: Path | str) -> OpenApiDocument:
    """Read and check the OpenAPI document at ``path``; :class:`ContractError` (FILE:LINE) if malformed."""
    file = str(path)
    loaded = read_yaml_file(path, expected="an OpenAPI document (YAML)")
    problems = list(_problems(loaded.data))
    if problems:
        located = [(loaded.line(p.path, key=True), p.message) for p in problems]
        line, message = located[0]
        more = tuple(f"{file}:{ln}: {msg}" if ln else f"{file}: {msg}" for ln, msg in located[1:])
        raise ContractError(f"not a valid OpenAPI document: {message}", file=file, line=line, more=more)
    return OpenApiDocument(
        file=file, data=loaded.data, yaml=loaded, operations=_operations(loaded.data, loaded)
    )
