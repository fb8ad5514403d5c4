"""``${NAME}`` references in report variables, and their values at replay time.

A reference is filled from what the harness provisioned for the replay (its server's URL, the gateway
key it issued, the basic-auth user's password) and otherwise from the environment of the replay, so a
fixture replays in CI without any secret set by hand.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from hokusai_contracts.base.errors import HarnessUsageError

REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_ANY_REFERENCE_START = re.compile(r"\$\{")

TRACKING_URI = "TRACKING_URI"
API_KEY = "API_KEY"
MLFLOW_USERNAME = "MLFLOW_USERNAME"
MLFLOW_PASSWORD = "MLFLOW_PASSWORD"
PROVISIONED = (TRACKING_URI, API_KEY, MLFLOW_USERNAME, MLFLOW_PASSWORD)


def malformed_reference(value: str) -> str | None:
    """Why ``value`` has a broken ``${...}`` reference, None when every reference is well formed."""
    if len(_ANY_REFERENCE_START.findall(value)) != len(REFERENCE.findall(value)):
        return f"{value!r} has a malformed reference; expected ${{NAME}} with NAME of A-Z, 0-9 and _"
    return None


def names_in(value: str) -> list[str]:
    """The names ``value`` refers to, in order."""
    return REFERENCE.findall(value)


@dataclass(frozen=True)
class Unresolved:
    """A reference with no value: its name, the variable using it and that variable's line."""

    name: str
    variable: str
    line: int | None


def resolve(
    variables: Mapping[str, str],
    provided: Mapping[str, str],
    environ: Mapping[str, str],
    lines: Mapping[str, int] | None = None,
) -> tuple[dict[str, str], list[Unresolved]]:
    """``variables`` with every reference replaced (provided values first), and the ones left unresolved."""
    lines = lines or {}
    missing: list[Unresolved] = []

    def value_of(variable: str) -> str:
        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in provided:
                return provided[name]
            if name in environ:
                return environ[name]
            missing.append(Unresolved(name, variable, lines.get(variable)))
            return ""

        return REFERENCE.sub(replace, variables[variable])

    return {name: value_of(name) for name in variables}, missing


def unresolved_error(file: str, missing: list[Unresolved], provided: Mapping[str, str]) -> HarnessUsageError:
    """The error for references without a value: where each is used and how to give it one."""
    where = "; ".join(
        f"${{{m.name}}} in {m.variable} ({file}:{m.line})" if m.line else f"${{{m.name}}} in {m.variable}"
        for m in missing
    )
    offered = ", ".join(f"${{{name}}}" for name in provided) or "none for this server"
    return HarnessUsageError(
        f"unresolved reference(s): {where}. Set them in the environment of the replay "
        f"(export NAME=...), or use one the harness provisions here: {offered}"
    )
