"""Validate a contract file against ``contracts/schema/api-contract.schema.json`` with FILE:LINE errors."""

from __future__ import annotations

import datetime
import functools
import json
from collections.abc import Sequence
from pathlib import Path

import jsonschema

from hokusai_contracts.base.errors import ContractError
from hokusai_contracts.base.files import read_text_file
from hokusai_contracts.contract.yaml_lines import LoadedYaml, read_yaml_file

SCHEMA_NAME = "api-contract.schema.json"
# contracts/schema/ of the repository this harness lives in (tools/hokusai_contracts/ -> repo root).
REPO_SCHEMAS = Path(__file__).resolve().parents[3] / "contracts" / "schema"
REPO_SCHEMA = REPO_SCHEMAS / SCHEMA_NAME


def schema_path(name: str = SCHEMA_NAME, contracts_root: Path | None = None) -> Path:
    """The schema ``name`` in ``contracts_root/schema/`` when it is there, else the repository's."""
    if contracts_root is not None:
        beside = Path(contracts_root) / "schema" / name
        if beside.is_file():
            return beside
    if (REPO_SCHEMAS / name).is_file():
        return REPO_SCHEMAS / name
    raise ContractError(f"the schema {name} was not found (looked in contracts/schema/)")


@functools.lru_cache(maxsize=4)
def _validator(path: Path) -> jsonschema.Draft202012Validator:
    text = read_text_file(path, expected="a JSON Schema")
    try:
        schema = json.loads(text)
        jsonschema.Draft202012Validator.check_schema(schema)
    except json.JSONDecodeError as exc:
        raise ContractError(f"not valid JSON: {exc.msg}", file=str(path), line=exc.lineno) from None
    except jsonschema.SchemaError as exc:
        raise ContractError(f"not a valid JSON Schema: {exc.message}", file=str(path)) from None
    return jsonschema.Draft202012Validator(schema)


def load_contract_file(
    path: Path,
    schema: Path,
    *,
    root: Path | None = None,
    given: bool = False,
    expected: str = "a YAML file",
) -> LoadedYaml:
    """Read one contract file, parse it with line numbers and check it against ``schema``.

    Any problem raises :class:`ContractError` naming FILE:LINE (``root``, ``given`` and ``expected`` as
    for :func:`~hokusai_contracts.base.files.read_text_file`).
    """
    loaded = read_yaml_file(path, root=root, given=given, expected=expected)
    validate(loaded, schema)
    return loaded


def validate(loaded: LoadedYaml, schema: Path) -> None:
    """Raise :class:`ContractError` listing every schema violation of ``loaded``, each as FILE:LINE."""
    errors = list(_validator(schema).iter_errors(loaded.data))
    if not errors:
        return
    problems = sorted((_describe(loaded, e) for e in errors), key=lambda p: (p[0] or 0, p[1]))
    first_line, first_message = problems[0]
    more = tuple(f"{loaded.file}:{line}: {message}" for line, message in problems[1:])
    raise ContractError(first_message, file=loaded.file, line=first_line, more=more)


# JSON Schema's type names, as a YAML author knows them.
_YAML_TYPES = {
    "object": "a mapping (key: value lines)",
    "array": "a list (- item lines)",
    "string": "a string",
    "null": "nothing",
}


def _describe(loaded: LoadedYaml, error: jsonschema.ValidationError) -> tuple[int | None, str]:
    path = list(error.absolute_path)
    where = _path_text(path) or "the document"
    validator = error.validator
    if validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = list(error.schema.get("properties", {}))
        extra = sorted(set(error.instance) - set(allowed))
        line = loaded.line([*path, extra[0]], key=True) if extra else loaded.line(path) or 1
        return line, (
            f"{where}: unknown key {', '.join(map(repr, extra))}; expected only: {', '.join(allowed)}"
        )
    line = loaded.line(path) or 1
    if validator == "required":
        return line, f"{where}: {error.message}; expected keys: {', '.join(error.validator_value)}"
    if validator == "enum":
        return line, (
            f"{where}: {error.instance!r} is not allowed; expected one of: "
            f"{', '.join(map(str, error.validator_value))}"
        )
    if validator == "type":
        expected = error.validator_value
        expected = " or ".join(
            _YAML_TYPES.get(name, name) for name in (expected if isinstance(expected, list) else [expected])
        )
        hint = ""
        if isinstance(error.instance, (int, float, bool, datetime.date)) and "string" in str(expected):
            read_as = (
                "a boolean"
                if isinstance(error.instance, bool)
                else ("a date" if isinstance(error.instance, datetime.date) else "a number")
            )
            hint = f" (YAML reads {error.instance!r} as {read_as}: quote it)"
        return line, f"{where}: expected {expected}{hint}"
    if validator == "pattern":
        return line, f"{where}: {error.instance!r} is not a Python name; expected a dotted identifier"
    return line, f"{where}: {error.message}"


def _path_text(path: Sequence[str | int]) -> str:
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else str(step))
    return text
