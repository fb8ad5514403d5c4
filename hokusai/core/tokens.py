"""Hokusai token ids: validation and the canonical (upper-case) form stored in MLflow tags."""

from __future__ import annotations

import re

from hokusai.exceptions import InvalidParameterError

__all__ = ["TOKEN_ID_MAX_LENGTH", "is_valid_token_id", "normalize_token_id"]

TOKEN_ID_MAX_LENGTH = 64
# ASCII letters and digits with inner hyphens; written out because \w and str.isalnum accept Unicode.
_TOKEN_ID = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?")
_FIX = (
    "use 1 to 64 ASCII letters, digits and hyphens, starting and ending with a letter or digit "
    "(e.g. 'LSCOR' or 'LEAD-SCORE-2')"
)


def is_valid_token_id(token_id: object) -> bool:
    """True when ``token_id`` is a string following the token-id grammar (any letter case)."""
    return isinstance(token_id, str) and _TOKEN_ID.fullmatch(token_id) is not None


def normalize_token_id(token_id: object) -> str:
    """The canonical upper-case form of ``token_id``; raise :class:`InvalidParameterError` if invalid."""
    if not isinstance(token_id, str):
        raise InvalidParameterError(
            "token_id", f"token_id must be a string, got {type(token_id).__name__}", fix=_FIX
        )
    if not is_valid_token_id(token_id):
        raise InvalidParameterError(
            "token_id", f"Invalid token_id {token_id!r}: {_reason(token_id)}", fix=_FIX
        )
    return token_id.upper()


def _reason(token_id: str) -> str:
    if not token_id:
        return "it is empty"
    if len(token_id) > TOKEN_ID_MAX_LENGTH:
        return f"it has {len(token_id)} characters, at most {TOKEN_ID_MAX_LENGTH} are allowed"
    if token_id.startswith("-") or token_id.endswith("-"):
        return "it starts or ends with a hyphen"
    bad = sorted({ch for ch in token_id if not (ch.isascii() and (ch.isalnum() or ch == "-"))})
    return f"it contains {', '.join(repr(ch) for ch in bad)}"
