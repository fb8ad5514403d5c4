"""Make arbitrary user keys and values acceptable to MLflow (names, lengths, numbers)."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from numbers import Real
from typing import Any

# MLflow accepts alphanumerics, underscores, dashes, periods, spaces and slashes in names.
_INVALID_NAME_CHARS = re.compile(r"[^A-Za-z0-9_\-. /]+")
MAX_PARAM_VALUE = 500
MAX_TAG_VALUE = 5000


def mlflow_key(key: Any) -> str:
    """``key`` as a valid MLflow param/metric/tag name (invalid characters become ``_``)."""
    text = _INVALID_NAME_CHARS.sub("_", str(key)).strip()
    return text or "_"


def truncate(value: Any, limit: int) -> str:
    """``str(value)`` cut to ``limit`` characters (MLflow rejects longer values)."""
    text = str(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def is_number(value: Any) -> bool:
    """True for a finite real number (bools excluded: they are flags, not measurements)."""
    if isinstance(value, bool) or not isinstance(value, Real):
        return False
    return math.isfinite(float(value))


def is_scalar(value: Any) -> bool:
    """True for values that fit in one MLflow param: str, int, float, bool."""
    return isinstance(value, str | int | float | bool)


def prefixed_params(values: Mapping[str, Any], prefix: str) -> dict[str, str]:
    """``values`` as MLflow params named ``prefix + key`` (values stringified and truncated)."""
    return {
        mlflow_key(f"{prefix}{key}"): truncate(value, MAX_PARAM_VALUE)
        for key, value in values.items()
        if value is not None
    }
