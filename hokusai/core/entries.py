"""What the registry returns: registry entries and lineages, and the MLflow tags they are read from."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from hokusai.exceptions import InvalidParameterError

if TYPE_CHECKING:
    from mlflow.entities.model_registry import ModelVersion

__all__ = [
    "PRODUCTION_ALIAS",
    "RESERVED_TAGS",
    "ModelLineage",
    "ModelRegistryEntry",
    "entry_from_version",
    "format_model_id",
    "metadata_tags",
    "numeric_mapping",
    "parse_model_id",
    "tag_value",
    "validate_tag_keys",
]

TAG_MODEL_TYPE = "model_type"
TAG_IS_BASELINE = "is_baseline"
TAG_METRICS = "metrics"
TAG_BASELINE_ID = "baseline_id"
TAG_CONTRIBUTOR = "contributor"
TAG_DELTA_METRICS = "delta_metrics"
TAG_TOKEN_ID = "hokusai_token_id"
TAG_BENCHMARK_METRIC = "benchmark_metric"
TAG_BENCHMARK_VALUE = "benchmark_value"
TAG_EVAL_SPEC = "eval_spec"
TAG_SCORER_REF = "scorer_ref"
TAG_PRIMARY_METRIC = "primary_metric"
TAG_BENCHMARK_SPEC_ID = "benchmark_spec_id"
TAG_SEMVER = "semver"
# On every version the SDK registers: the id (a UUID) of the registration call that created it, so a
# call retried after a lost response finds its version instead of creating a second one. It is the
# SDK's bookkeeping, not the user's data: the entries, records and tag listings it returns leave it out.
TAG_REGISTRATION_ID = "hokusai.registration_id"
INTERNAL_TAGS = frozenset({TAG_REGISTRATION_ID})
# The alias rollbacks point at; get_latest_model prefers the version it names.
PRODUCTION_ALIAS = "production"

# Tags the SDK writes itself: user metadata may not overwrite them.
RESERVED_TAGS = frozenset(
    {
        TAG_MODEL_TYPE,
        TAG_IS_BASELINE,
        TAG_METRICS,
        TAG_BASELINE_ID,
        TAG_CONTRIBUTOR,
        TAG_DELTA_METRICS,
        TAG_TOKEN_ID,
        TAG_BENCHMARK_METRIC,
        TAG_BENCHMARK_VALUE,
        TAG_EVAL_SPEC,
        TAG_SCORER_REF,
        TAG_PRIMARY_METRIC,
        TAG_BENCHMARK_SPEC_ID,
        TAG_SEMVER,
        TAG_REGISTRATION_ID,
    }
)
# MLflow's own rule for tag keys (mlflow.utils.validation), checked before any model is logged.
_TAG_KEY = re.compile(r"[/\w.\- :]{1,250}")


@dataclass(frozen=True)
class ModelRegistryEntry:
    """One registered model version as the Hokusai registry sees it."""

    model_id: str
    model_name: str
    model_type: str | None
    version: str
    metrics: dict[str, float] = field(default_factory=dict)
    metadata: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    mlflow_run_id: str | None = None
    created_at: datetime | None = None
    source: str | None = None
    aliases: tuple[str, ...] = ()
    is_baseline: bool = False
    baseline_id: str | None = None
    contributor: str | None = None
    delta_metrics: dict[str, float] = field(default_factory=dict)
    token_id: str | None = None
    semver: str | None = None

    @property
    def model_uri(self) -> str:
        """The MLflow URI that loads this version, e.g. ``models:/lead_scoring/3``."""
        return f"models:/{self.model_name}/{self.version}"

    def to_dict(self) -> dict[str, Any]:
        """A plain dict of every field (``created_at`` as an ISO-8601 string)."""
        data = asdict(self)
        data["aliases"] = list(self.aliases)
        data["created_at"] = self.created_at.isoformat() if self.created_at else None
        return data


@dataclass(frozen=True)
class ModelLineage:
    """The chain of registry entries leading to a model, oldest (the baseline) first."""

    model_id: str
    entries: tuple[ModelRegistryEntry, ...] = ()

    def __iter__(self) -> Iterator[ModelRegistryEntry]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def __getitem__(self, index: int) -> ModelRegistryEntry:
        return self.entries[index]

    @property
    def baseline(self) -> ModelRegistryEntry | None:
        """The first entry of the lineage, or None when it is empty."""
        return self.entries[0] if self.entries else None

    @property
    def latest(self) -> ModelRegistryEntry | None:
        """The last entry of the lineage, or None when it is empty."""
        return self.entries[-1] if self.entries else None

    @property
    def model_ids(self) -> list[str]:
        """The ``name/version`` ids of the entries, oldest first."""
        return [entry.model_id for entry in self.entries]


def format_model_id(model_name: str, version: str | int) -> str:
    """The ``name/version`` id of a registered model version."""
    return f"{model_name}/{version}"


def parse_model_id(model_id: object, parameter: str = "model_id") -> tuple[str, str | None]:
    """Split ``'name/version'`` (or a bare ``'name'``) into name and version."""
    if not isinstance(model_id, str) or not model_id.strip():
        raise InvalidParameterError(
            parameter,
            f"{parameter} must be a non-empty string like 'lead_scoring/3', got {model_id!r}",
            fix=f"pass {parameter}='<model name>/<version>' (ModelRegistryEntry.model_id has this form)",
        )
    name, sep, version = model_id.strip().rpartition("/")
    if sep and version.isdigit() and name:
        return name, str(int(version))
    return model_id.strip(), None


def tag_value(value: Any) -> str:
    """The string stored in an MLflow tag: strings as they are, anything else as JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, default=str)


def validate_tag_keys(tags: Mapping[str, Any], parameter: str, *, allow_reserved: bool = False) -> None:
    """Raise :class:`InvalidParameterError` for keys MLflow would reject or the SDK reserves."""
    for key in tags:
        if not isinstance(key, str) or not _TAG_KEY.fullmatch(key):
            raise InvalidParameterError(
                parameter,
                f"Invalid key {key!r} in {parameter}",
                fix="use keys of 1-250 letters, digits, '_', '-', '.', '/', ':' or spaces",
            )
        if not allow_reserved and key in RESERVED_TAGS:
            raise InvalidParameterError(
                parameter,
                f"Key {key!r} in {parameter} is reserved by the Hokusai registry",
                fix=f"rename it; reserved keys are {', '.join(sorted(RESERVED_TAGS))}",
            )


def metadata_tags(metadata: object, parameter: str = "metadata") -> dict[str, str]:
    """Validate user metadata and turn it into MLflow tag values."""
    if metadata is None:
        return {}
    if not isinstance(metadata, Mapping):
        raise InvalidParameterError(
            parameter,
            f"{parameter} must be a dict, got {type(metadata).__name__}",
            fix=f"pass {parameter}={{'key': 'value', ...}}",
        )
    validate_tag_keys(metadata, parameter)
    return {key: tag_value(value) for key, value in metadata.items()}


def numeric_mapping(values: object, parameter: str, *, allow_empty: bool = True) -> dict[str, float]:
    """Validate a ``{name: finite number}`` mapping (metrics) and return it with float values."""
    if values is None and allow_empty:
        return {}
    if not isinstance(values, Mapping) or (not values and not allow_empty):
        raise InvalidParameterError(
            parameter,
            f"{parameter} must be a non-empty dict of metric name to number, got {values!r}",
            fix=f"pass {parameter}={{'accuracy': 0.02}}",
        )
    result: dict[str, float] = {}
    for key, value in values.items():
        if not isinstance(key, str) or not _TAG_KEY.fullmatch(key):
            raise InvalidParameterError(
                parameter,
                f"Invalid metric name {key!r} in {parameter}",
                fix="use names of letters, digits, '_', '-', '.', '/', ':' or spaces",
            )
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise InvalidParameterError(
                parameter,
                f"{parameter}[{key!r}] must be a finite number, got {value!r}",
                fix="pass plain int or float values",
            )
        result[key] = float(value)
    return result


def version_tags(version: ModelVersion) -> dict[str, str]:
    """The tags of an MLflow model version, without the SDK's bookkeeping (``INTERNAL_TAGS``)."""
    return {key: value for key, value in (version.tags or {}).items() if key not in INTERNAL_TAGS}


def entry_from_version(
    version: ModelVersion, aliases: tuple[str, ...] = (), *, run_id: str | None = None
) -> ModelRegistryEntry:
    """Build a :class:`ModelRegistryEntry` from an MLflow ``ModelVersion`` and its aliases.

    ``run_id`` is used when MLflow did not record the producing run on the version itself.
    """
    tags = version_tags(version)
    created = version.creation_timestamp
    return ModelRegistryEntry(
        model_id=format_model_id(version.name, version.version),
        model_name=version.name,
        model_type=tags.get(TAG_MODEL_TYPE),
        version=str(version.version),
        metrics=_json_numbers(tags.get(TAG_METRICS)),
        metadata={k: v for k, v in tags.items() if k not in RESERVED_TAGS and not k.startswith("mlflow.")},
        tags=tags,
        mlflow_run_id=version.run_id or run_id or None,
        created_at=datetime.fromtimestamp(created / 1000, tz=timezone.utc) if created else None,
        source=version.source,
        aliases=tuple(sorted(aliases or getattr(version, "aliases", None) or ())),
        is_baseline=tags.get(TAG_IS_BASELINE, "").lower() == "true",
        baseline_id=tags.get(TAG_BASELINE_ID),
        contributor=tags.get(TAG_CONTRIBUTOR),
        delta_metrics=_json_numbers(tags.get(TAG_DELTA_METRICS)),
        token_id=tags.get(TAG_TOKEN_ID),
        semver=tags.get(TAG_SEMVER),
    )


def _json_numbers(raw: str | None) -> dict[str, float]:
    # Tags can be edited by hand in the MLflow UI: a malformed value must not break reading.
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        return {}
    if not isinstance(data, dict):
        return {}
    return {
        str(k): float(v) for k, v in data.items() if isinstance(v, int | float) and not isinstance(v, bool)
    }
