"""``${NAME}`` references in scenarios: which names exist per server, which are secrets, substitution."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from hokusai_contracts.checks.auth.model import GATEWAY_KINDS

REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
# A literal that looks like a Hokusai API key: never allowed in a scenario file.
LITERAL_KEY = re.compile(r"\bhk_(?:live|test)_[A-Za-z0-9_\-]{8,}")

COMMON = frozenset({"UNIQUE", "TMP", "TRACKING_URI", "KEY_UNKNOWN", "WRONG_PASSWORD"})
GATEWAY = frozenset({"KEY_WRITE", "KEY_READ", "KEY_EXPIRED", "KEY_ADMIN", "API_URL"})
BASIC_AUTH_USERS = ("admin", "reader", "editor", "denied")
BASIC_AUTH = frozenset(
    name for user in BASIC_AUTH_USERS for name in (f"{user.upper()}_USERNAME", f"{user.upper()}_PASSWORD")
)

# Where a secret goes; such a value must be empty or one secret reference.
SECRET_ENV = frozenset({"HOKUSAI_API_KEY", "MLFLOW_TRACKING_TOKEN", "MLFLOW_TRACKING_PASSWORD"})
SECRET_ARGS = frozenset({"api_key", "token", "password"})


def available(kind: str) -> frozenset[str]:
    """The variables a scenario on a ``kind`` server may reference."""
    if kind in GATEWAY_KINDS:
        return COMMON | GATEWAY
    if kind == "basic-auth":
        return COMMON | BASIC_AUTH
    return COMMON


def is_secret(name: str) -> bool:
    """True for variables that hold a key or a password."""
    return name.startswith("KEY_") or name.endswith("_PASSWORD")


def is_secret_reference(value: object) -> bool:
    """True when ``value`` is empty or exactly one ``${SECRET}`` reference."""
    if value in ("", None):
        return True
    match = REFERENCE.fullmatch(value) if isinstance(value, str) else None
    return bool(match) and is_secret(match.group(1))


def references(value: Any) -> Iterator[str]:
    """Every variable name referenced anywhere in ``value`` (strings, lists, mappings)."""
    if isinstance(value, str):
        yield from REFERENCE.findall(value)
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from references(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from references(item)


def substitute(value: Any, values: Mapping[str, str]) -> Any:
    """``value`` with every ``${NAME}`` in its strings replaced by ``values[NAME]``."""
    if isinstance(value, str):
        return REFERENCE.sub(lambda m: values[m.group(1)], value)
    if isinstance(value, Mapping):
        return {key: substitute(item, values) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [substitute(item, values) for item in value]
    return value
