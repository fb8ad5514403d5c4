"""Refuse reports that contain a literal secret, naming the line and never the value.

A report is pasted into tickets and committed as a fixture: a key or password in it is leaked. Secrets
are written as ``${NAME}`` references instead, resolved when the report is replayed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from hokusai_contracts.base.errors import ContractError
from hokusai_contracts.base.masking import SECRET_ENVIRONMENT_VARIABLES, mask_secrets

# Every pattern starts at a fixed string ("hk_", "://", "bearer", a secret word) and scans one bounded
# stretch from there, so a scan is linear in the line's length (a report may hold a 1 MB line).
_API_KEY = re.compile(r"hk_(?:live|test)_[A-Za-z0-9_\-]{8,}")
# Applied to one whitespace-free token cut after its last "@" (see _url_passwords).
_URL_PASSWORD = re.compile(r"(?<=[A-Za-z0-9+.\-])://[^\s/:@]+:([^\s@]+)@")
_BEARER = re.compile(r"(?i)\bbearer\s+([^\s\"',;}]{8,})")
# A secret-named key given a quoted value in code: password="...", os.environ["X_TOKEN"] = '...'. The
# value has no space or comma, so prose such as print("password:", value) is not taken for one.
_ASSIGNED = re.compile(
    r"""(?ix)(?:password|passwd|pwd|secret|token|api[_\-]?key)["']?\]?\s*[:=]\s*(["'])([^"'\s,]*)\1"""
)
_SECRET_NAME = re.compile(r"(?i)(password|passwd|pwd|secret|token|api_?key|credential)")
_REFERENCE = re.compile(r"^\$\{[A-Za-z_][A-Za-z0-9_]*\}$")
# A <placeholder> anywhere in a value ("<" to the next ">" with no "<" between: one scan per "<").
_ANGLE_PLACEHOLDER = re.compile(r"<[^<>]*>")

HOW_TO_FIX = (
    "write secrets as ${NAME} references (e.g. MLFLOW_TRACKING_TOKEN: ${HOKUSAI_API_KEY}) and set NAME in "
    "the environment when replaying, or use the references the harness provisions (${API_KEY}, "
    "${MLFLOW_PASSWORD}); in code, read them from os.environ"
)


@dataclass(frozen=True)
class LiteralSecret:
    """Where a literal secret is (1-based line) and what kind it is; never the secret itself."""

    line: int
    kind: str


def _is_placeholder(value: str) -> bool:
    # Values that stand for a secret without being one: empty, a reference, "...", "***", <your key>.
    value = value.strip()
    return (
        not value
        or bool(_REFERENCE.match(value))
        or "..." in value
        or "***" in value
        or bool(_ANGLE_PLACEHOLDER.search(value))
    )


def _url_passwords(line: str) -> Iterator[str]:
    """The passwords of ``scheme://user:password@`` URLs in ``line``."""
    if "://" not in line:
        return
    for token in line.split():
        end = token.rfind("@") + 1
        if end and "://" in token:
            yield from (match.group(1) for match in _URL_PASSWORD.finditer(token, 0, end))


def scan_text(text: str) -> list[LiteralSecret]:
    """The literal secrets in the raw text of a report, line by line."""
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        if _API_KEY.search(line):
            found.append(LiteralSecret(number, "a literal Hokusai API key (hk_live_/hk_test_)"))
        elif any(not _is_placeholder(password) for password in _url_passwords(line)):
            found.append(LiteralSecret(number, "a password in a URL"))
        elif any(not _is_placeholder(m.group(1)) for m in _BEARER.finditer(line)):
            found.append(LiteralSecret(number, "a literal bearer token"))
        elif any(not _is_placeholder(m.group(2)) for m in _ASSIGNED.finditer(line)):
            found.append(LiteralSecret(number, "a literal password, token or key assigned in code"))
    return found


def is_secret_name(name: str) -> bool:
    """True for a variable whose value is a secret (a token, password, key...)."""
    return name in SECRET_ENVIRONMENT_VARIABLES or bool(_SECRET_NAME.search(name))


def scan_variables(variables: Mapping[str, str], lines: Mapping[str, int]) -> list[LiteralSecret]:
    """Secret-named variables whose value is not a ``${NAME}`` reference, and values that look secret."""
    found = []
    for name, value in variables.items():
        line = lines.get(name, 1)
        if is_secret_name(name) and not _REFERENCE.match(value.strip()):
            found.append(LiteralSecret(line, f"a literal value for the secret variable {name}"))
        elif mask_secrets(value) != value:
            found.append(LiteralSecret(line, f"a secret in the value of {name}"))
    return found


def refuse(file: str, found: Iterable[LiteralSecret]) -> None:
    """Raise :class:`ContractError` naming every line with a literal secret; return when there is none."""
    found = sorted(found, key=lambda s: s.line)
    if not found:
        return
    first, *others = found
    more = tuple(f"{file}:{s.line}: {s.kind} (not shown)" for s in others)
    raise ContractError(
        f"{first.kind} (not shown); a report must not contain secrets: {HOW_TO_FIX}",
        file=file,
        line=first.line,
        more=more,
    )
