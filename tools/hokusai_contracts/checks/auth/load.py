"""Read ``contracts/auth/*.yaml``: schema-validated, then checked for what a schema cannot say.

Every problem is a :class:`ContractError` naming FILE:LINE (rule AUTH005 when reported as a finding).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from hokusai_contracts.base.errors import ContractError
from hokusai_contracts.base.files import list_files
from hokusai_contracts.checks.auth.model import GATEWAY_KINDS, Expectation, Resilience, Scenario, Step
from hokusai_contracts.checks.auth.variables import (
    LITERAL_KEY,
    SECRET_ARGS,
    SECRET_ENV,
    available,
    is_secret,
    is_secret_reference,
    references,
)
from hokusai_contracts.contract.schema import load_contract_file, schema_path
from hokusai_contracts.contract.yaml_lines import LoadedYaml

SCHEMA_NAME = "auth-scenario.schema.json"
SUFFIXES = (".yaml", ".yml")
_NAME = re.compile(r"[a-z0-9][a-z0-9-]*")
# Expectations about an exception: meaningless without `exception`.
_EXCEPTION_KEYS = ("status_code", "error_code", "required_scope", "mlflow_registered", "message_contains")


def scenario_files(auth_dir: Path) -> list[Path]:
    """The scenario files of ``auth_dir``, sorted (a directory or broken link named ``*.yaml`` too:
    loading it reports it)."""
    return list_files(auth_dir, SUFFIXES)


@dataclass
class _Problems:
    """Problems of one file, reported together (first one as the error, the rest as ``more``)."""

    file: str
    found: list[tuple[int | None, str]] = field(default_factory=list)

    def add(self, line: int | None, message: str) -> None:
        self.found.append((line, message))

    def raise_if_any(self) -> None:
        if not self.found:
            return
        ordered = sorted(self.found, key=lambda p: p[0] or 0)
        (line, message), rest = ordered[0], ordered[1:]
        more = tuple(f"{self.file}:{line}: {text}" if line else f"{self.file}: {text}" for line, text in rest)
        raise ContractError(message, file=self.file, line=line, more=more)


def load_file(path: Path, schema: Path | None = None, *, root: Path | None = None) -> list[Scenario]:
    """The scenarios of one file; any problem raises :class:`ContractError` with FILE:LINE.

    ``root``: the directory the file must lie in once symlinks are resolved (default: anywhere).
    """
    file = str(path)
    schema = schema or schema_path(SCHEMA_NAME, Path(path).parent.parent)
    loaded = load_contract_file(path, schema, root=root, expected="an auth scenario file (YAML)")
    problems = _Problems(file)
    scenarios = []
    seen: dict[str, int | None] = {}
    for index, data in enumerate(loaded.data["scenarios"]):
        where = ["scenarios", index]
        name_line = loaded.line([*where, "name"])
        if not _NAME.fullmatch(data["name"]):
            problems.add(name_line, f"name {data['name']!r}: expected lower-case letters, digits and hyphens")
        if data["name"] in seen:
            problems.add(
                name_line, f"name {data['name']!r} is used twice (first on line {seen[data['name']]})"
            )
        seen.setdefault(data["name"], name_line)
        _check(loaded, data, where, problems)
        scenarios.append(_scenario(loaded, data, where))
    problems.raise_if_any()
    return scenarios


@dataclass
class Loaded:
    """Every scenario that loaded, and the files (or name clashes) that did not."""

    scenarios: list[Scenario] = field(default_factory=list)
    errors: list[ContractError] = field(default_factory=list)


def load_dir(auth_dir: Path) -> Loaded:
    """The scenarios of every file of ``auth_dir``; a malformed file does not stop the others."""
    result = Loaded()
    schema = None
    files = scenario_files(auth_dir)
    if files:
        schema = schema_path(SCHEMA_NAME, Path(auth_dir).parent)
    names: dict[str, Scenario] = {}
    for path in files:
        try:
            scenarios = load_file(path, schema, root=Path(auth_dir).parent)
        except ContractError as exc:
            result.errors.append(exc)
            continue
        for scenario in scenarios:
            first = names.get(scenario.name)
            if first is not None:
                result.errors.append(
                    ContractError(
                        f"scenario name {scenario.name!r} is already used at {first.file}:{first.line}; "
                        "expected names unique across contracts/auth",
                        file=scenario.file,
                        line=scenario.line,
                    )
                )
                continue
            names[scenario.name] = scenario
            result.scenarios.append(scenario)
    return result


# -- checks a schema cannot express ------------------------------------------------------------------


def _check(loaded: LoadedYaml, data: dict, where: list, problems: _Problems) -> None:
    kind = data["server"]
    credentials = data.get("credentials") or {}
    known = available(kind)
    for section in ("credentials", "files", "setup", "call_args"):
        for name in sorted(set(references(data.get(section)))):
            if name not in known:
                problems.add(
                    _line_of(loaded, [*where, section], f"${{{name}}}"),
                    f"${{{name}}} is not a variable of a {kind!r} server; expected one of: "
                    f"{', '.join(sorted(known))}",
                )
    _check_secrets(loaded, credentials, [*where, "credentials"], problems)
    literal = _find_literal_key(data, loaded, where)
    if literal is not None:
        problems.add(literal, "a literal API key: scenarios name secrets, e.g. ${KEY_WRITE}, never hold them")
    for step_index, step in enumerate(data.get("setup") or []):
        _check_step(step, kind, loaded.line([*where, "setup", step_index]), problems)
    _check_expect(data["expect"], loaded, [*where, "expect"], problems)


def _check_secrets(loaded: LoadedYaml, credentials: dict, where: list, problems: _Problems) -> None:
    fields = [("env", name) for name in SECRET_ENV] + [("args", name) for name in SECRET_ARGS]
    for section, name in fields:
        value = (credentials.get(section) or {}).get(name)
        if not is_secret_reference(value):
            problems.add(
                loaded.line([*where, section, name]),
                f"{section}.{name}: a literal secret; expected a secret variable such as ${{KEY_WRITE}} or "
                "${READER_PASSWORD} (or an empty string to leave it unset)",
            )
    for profile, values in (credentials.get("config_file") or {}).items():
        if not is_secret_reference(values.get("api_key")):
            problems.add(
                loaded.line([*where, "config_file", profile, "api_key"]),
                f"config_file.{profile}.api_key: a literal secret; expected a variable like ${{KEY_WRITE}}",
            )


def _find_literal_key(data: Any, loaded: LoadedYaml, where: list) -> int | None:
    if isinstance(data, str):
        return loaded.line(where) if LITERAL_KEY.search(data) else None
    items: Iterable = (
        data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    )
    for key, value in items:
        line = _find_literal_key(value, loaded, [*where, key])
        if line is not None:
            return line
    return None


def _check_step(step: dict, kind: str, line: int | None, problems: _Problems) -> None:
    ((action, argument),) = step.items()
    if action == "exhaust_rate_limit":
        if kind not in GATEWAY_KINDS or not is_secret(argument) or argument not in available(kind):
            problems.add(
                line,
                f"exhaust_rate_limit: expected a key variable of a gateway (KEY_WRITE...), got {argument!r}",
            )
    elif action == "grant" and kind != "basic-auth":
        problems.add(line, "grant: only a basic-auth server has per-user permissions")
    elif action in ("create_registered_model", "create_experiment") and kind == "gateway-dead-upstream":
        problems.add(line, f"{action}: the dead-upstream gateway has no MLflow to create it in")


def _check_expect(expect: dict, loaded: LoadedYaml, where: list, problems: _Problems) -> None:
    line = loaded.line(where)
    if bool(expect.get("success")) == bool(expect.get("exception")):
        problems.add(line, "expect: state exactly one of `success: true` or `exception: <class name>`")
    if expect.get("success"):
        stray = [key for key in _EXCEPTION_KEYS if key in expect]
        if stray:
            problems.add(line, f"expect: {', '.join(stray)} describe an exception, but success is expected")
    elif "notification" in expect:
        problems.add(line, "expect.notification: only a successful call returns a notification status")


def _line_of(loaded: LoadedYaml, where: list, needle: str) -> int | None:
    # The line of the first string under `where` that contains `needle` (for reference errors).
    node = loaded.root
    for step in where:
        node = _child(node, step)
        if node is None:
            return loaded.line(where)
    found = _search(node, needle)
    return found if found is not None else loaded.line(where)


def _child(node: Any, step: Any) -> Any:
    if isinstance(node, yaml.MappingNode):
        return next((v for k, v in node.value if k.value == step), None)
    if isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
        return node.value[step]
    return None


def _search(node: Any, needle: str) -> int | None:
    if isinstance(node, yaml.ScalarNode):
        return node.start_mark.line + 1 if needle in str(node.value) else None
    children = (
        [v for _, v in node.value] if isinstance(node, yaml.MappingNode) else list(getattr(node, "value", []))
    )
    for child in children:
        found = _search(child, needle)
        if found is not None:
            return found
    return None


# -- building the scenario ---------------------------------------------------------------------------


def _scenario(loaded: LoadedYaml, data: dict, where: list) -> Scenario:
    credentials = data.get("credentials") or {}
    expect = data["expect"]
    return Scenario(
        name=data["name"],
        description=data["description"],
        server=data["server"],
        operation=data["call"],
        expect=Expectation(
            success=bool(expect.get("success")),
            exception=expect.get("exception"),
            status_code=expect.get("status_code"),
            error_code=expect.get("error_code"),
            required_scope=expect.get("required_scope"),
            mlflow_registered=expect.get("mlflow_registered"),
            message_contains=tuple(expect.get("message_contains") or ()),
            retried=expect.get("retried"),
            requests=expect.get("requests"),
            circuit=expect.get("circuit"),
            notification=expect.get("notification"),
        ),
        env=dict(credentials.get("env") or {}),
        args=dict(credentials.get("args") or {}),
        config_file={k: dict(v) for k, v in (credentials.get("config_file") or {}).items()},
        files=dict(data.get("files") or {}),
        call_args=dict(data.get("call_args") or {}),
        setup=tuple(
            Step(*next(iter(step.items())), line=loaded.line([*where, "setup", i]))
            for i, step in enumerate(data.get("setup") or [])
        ),
        resilience=Resilience(**(data.get("resilience") or {})),
        file=loaded.file,
        line=loaded.line(where),
    )
