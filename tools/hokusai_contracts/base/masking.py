"""Mask secrets in any text the harness writes: reports, annotations, terminal output.

Self-contained on purpose: the harness verifies *any* SDK, so it must not rely on the SDK's own
masking helpers. Masking is idempotent (masking masked text changes nothing).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping

MASK = "***"

# Hokusai keys keep their kind and last three characters (as the SDK prints them): hk_live_...QtN.
_API_KEY = re.compile(r"\b(hk_(?:live|test)_)([A-Za-z0-9_\-]+)")
_KEY_MIN_BODY = 8  # shorter bodies would give too much away with three characters shown

# Credentials embedded in a URL: scheme://user:password@host. Matched from "://" (after a scheme
# character) and only inside a whitespace-free token cut after its last "@": every password scan then
# ends at an "@", so no start position rescans the rest of the line (linear, however long the line).
_URL_CREDENTIALS = re.compile(r"(?<=[A-Za-z0-9+.\-])(://[^\s/:@]+):([^\s@]+)@")
_URL_TOKEN = re.compile(r"(?<!\S)\S*://\S*")

# An Authorization header in any notation (HTTP, dict repr, JSON), whatever its scheme.
_AUTH_HEADER = re.compile(
    r"""(?ix)
    (\bauthorization["']?\s*[:=]\s*["']?)
    (?:(bearer|basic|token|digest)\s+)?
    ([^\s"',;}]+)
    """
)

# A bare "Bearer <token>"; the token must look like one (a digit or symbol in it) so prose such as
# "Bearer authentication" is left alone.
_BEARER = re.compile(r"\b(Bearer\s+)(?=[^\s\"',;}]*[0-9_\-.~+/=])([^\s\"',;}]{8,})")

# A key starts where a run of key characters starts (not at every word boundary inside "a-b-c-...":
# that made a long hyphenated line quadratic).
_SECRET_KEY = r"(?<![A-Za-z0-9_\-])[A-Za-z0-9_\-]*(?:password|passwd|pwd|secret|token|api[_\-]?key)"

# key=value pairs (query strings, env assignments, kwargs): the value is masked unless it is an
# obvious non-secret such as None or a placeholder, so signature text like token=None stays readable.
_PAIR_EQUALS = re.compile(
    rf"""(?ix)
    ({_SECRET_KEY})
    (\s*=\s*)
    ("[^"\n]*"|'[^'\n]*'|<[^<>\n]*>|[^\s"'&,;)\]}}]+)
    """
)

# "key": "value" pairs (JSON, YAML, dict reprs): only quoted values, so prose after a colon survives.
_PAIR_COLON = re.compile(
    rf"""(?ix)
    (["']?)({_SECRET_KEY})\1
    (\s*:\s*)
    ("[^"\n]*"|'[^'\n]*')
    """
)

# Values that are no secret: empty, None-like, placeholders, ${NAME} references, or already masked.
# (A bare $NAME is masked: real tokens can start with '$'.)
_NOT_SECRET = re.compile(
    r"(?i)^(?:none|null|true|false|\.\.\.|\*+|<[^>]*>|\$\{[A-Za-z_][A-Za-z0-9_]*\}"
    r"|hk_(?:live|test)_(?:\.\.\.[A-Za-z0-9_\-]{3}|\*+))?$"
)

# Environment variables whose values are secrets wherever they turn up.
SECRET_ENVIRONMENT_VARIABLES = (
    "HOKUSAI_API_KEY",
    "MLFLOW_TRACKING_TOKEN",
    "MLFLOW_TRACKING_PASSWORD",
    "DATABRICKS_TOKEN",
)


def mask_api_key(key: str) -> str:
    """The masked form of one Hokusai API key, e.g. ``hk_live_...QtN``."""
    match = _API_KEY.fullmatch(key)
    if not match:
        return MASK
    prefix, body = match.groups()
    if len(body) < _KEY_MIN_BODY:
        return f"{prefix}{MASK}"
    return f"{prefix}...{body[-3:]}"


def _mask_value(value: str) -> str:
    quote = value[0] if value[:1] in ("'", '"') and value[-1:] == value[:1] and len(value) > 1 else ""
    inner = value[1:-1] if quote else value
    if _NOT_SECRET.match(inner):
        return value
    masked = mask_api_key(inner) if _API_KEY.fullmatch(inner) else MASK
    return f"{quote}{masked}{quote}"


def _mask_pair_equals(match: re.Match[str]) -> str:
    key, sep, value = match.groups()
    return f"{key}{sep}{_mask_value(value)}"


def _mask_pair_colon(match: re.Match[str]) -> str:
    quote, key, sep, value = match.groups()
    return f"{quote}{key}{quote}{sep}{_mask_value(value)}"


def _mask_auth_header(match: re.Match[str]) -> str:
    head, scheme, value = match.groups()
    scheme_text = f"{scheme} " if scheme else ""
    return f"{head}{scheme_text}{_mask_value(value)}"


def _mask_url_token(match: re.Match[str]) -> str:
    token = match.group(0)
    end = token.rfind("@") + 1
    if not end:
        return token
    return _URL_CREDENTIALS.sub(lambda m: f"{m.group(1)}:{MASK}@", token[:end]) + token[end:]


def mask_secrets(text: str, known: Iterable[str] = ()) -> str:
    """``text`` with API keys, tokens, passwords and URL credentials masked.

    ``known`` are literal secret values (e.g. from :func:`known_secrets`) masked wherever they appear.
    """
    if not text:
        return text
    for secret in sorted({s for s in known if s and len(s) >= 4}, key=len, reverse=True):
        # Word boundaries keep a short password such as "pass" from mangling "passed".
        literal = re.compile(rf"(?<![A-Za-z0-9]){re.escape(secret)}(?![A-Za-z0-9])")
        text = literal.sub(mask_api_key(secret) if _API_KEY.fullmatch(secret) else MASK, text)
    if "://" in text:
        text = _URL_TOKEN.sub(_mask_url_token, text)
    text = _AUTH_HEADER.sub(_mask_auth_header, text)
    text = _BEARER.sub(lambda m: f"{m.group(1)}{_mask_value(m.group(2))}", text)
    text = _PAIR_COLON.sub(_mask_pair_colon, text)
    text = _PAIR_EQUALS.sub(_mask_pair_equals, text)
    return _API_KEY.sub(lambda m: mask_api_key(m.group(0)), text)


def known_secrets(environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """The secret values set in the environment (API keys, tracking tokens and passwords)."""
    environ = os.environ if environ is None else environ
    return tuple(environ[name] for name in SECRET_ENVIRONMENT_VARIABLES if environ.get(name))
