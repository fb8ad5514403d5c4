"""Serve predictions from registered MLflow models: version resolution, fallback, A/B routing, caching.

:meth:`HokusaiInferencePipeline.predict_batch` is synchronous (it works inside and outside a running
event loop); :meth:`~HokusaiInferencePipeline.predict` and
:meth:`~HokusaiInferencePipeline.batch_predict` are its async forms, run in worker threads. MLflow,
pandas and numpy are imported on first use, so importing this module stays cheap.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import math
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NoReturn

from hokusai._mlflow.session import MLflowSession
from hokusai.core._inference_data import fingerprint, to_model_input, to_python_list
from hokusai.core._model_cache import ModelLRU
from hokusai.core._result_cache import DisabledResultCache, MemoryResultCache, RedisResultCache, ResultCache
from hokusai.core._serving_versions import ServingPlan, VersionResolver
from hokusai.core._store import not_found_as, require_name
from hokusai.core.entries import format_model_id, parse_model_id
from hokusai.exceptions import HokusaiException, InferenceException, InvalidParameterError

if TYPE_CHECKING:
    from hokusai.core.ab_testing import RoutingDecision

__all__ = ["CacheConfig", "HokusaiInferencePipeline", "InferenceRequest", "InferenceResponse"]

logger = logging.getLogger("hokusai")


def _positive(value: object, name: str, *, allow_zero: bool = False) -> None:
    ok = not isinstance(value, bool) and isinstance(value, int | float) and math.isfinite(value)
    if not ok or value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise InvalidParameterError(name, f"{name} must be a finite number {bound}, got {value!r}")


@dataclass(frozen=True)
class CacheConfig:
    """How prediction results are cached (in memory by default; in Redis when ``redis_url`` is set).

    ``latest_version_ttl_seconds``: how long the version list behind "latest" is reused before the
    registry is asked again (0 asks on every request); a newly registered version serves after at
    most that long.
    """

    enabled: bool = True
    ttl_seconds: float = 300
    max_entries: int = 10_000
    redis_url: str | None = None
    latest_version_ttl_seconds: float = 5.0

    def __post_init__(self) -> None:
        if not isinstance(self.enabled, bool):
            raise InvalidParameterError("enabled", f"enabled must be True or False, got {self.enabled!r}")
        _positive(self.ttl_seconds, "ttl_seconds")
        _positive(self.latest_version_ttl_seconds, "latest_version_ttl_seconds", allow_zero=True)
        entries = self.max_entries
        if isinstance(entries, bool) or not isinstance(entries, int) or entries < 1:
            raise InvalidParameterError(
                "max_entries", f"max_entries must be a positive int, got {self.max_entries!r}"
            )
        if self.redis_url is not None and (not isinstance(self.redis_url, str) or not self.redis_url.strip()):
            raise InvalidParameterError(
                "redis_url",
                f"redis_url must be a URL like 'redis://localhost:6379/0' or None, got {self.redis_url!r}",
            )


def _new_request_id() -> str:
    return uuid.uuid4().hex


@dataclass
class InferenceRequest:
    """One prediction request: the model (version None = the current one), the data, and who asks."""

    model_name: str
    data: Any
    model_version: str | int | None = None
    user_id: str | None = None
    request_id: str = field(default_factory=_new_request_id)
    use_cache: bool = True


@dataclass
class InferenceResponse:
    """The predictions and how they were served (version, cache, A/B variant, fallback, error)."""

    request_id: str
    model_name: str
    model_version: str | None
    predictions: list
    latency_ms: float
    cached: bool = False
    ab_test_id: str | None = None
    variant: str | None = None
    fallback_from: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class _Served:
    version: str
    predictions: list
    cached: bool
    fallback_from: str | None


@dataclass(frozen=True)
class _Failure:
    version: str
    stage: str
    error: Exception


def _first_line(exc: BaseException, limit: int = 300) -> str:
    text = str(exc).strip()
    line = text.splitlines()[0] if text else type(exc).__name__
    return line if len(line) <= limit else line[: limit - 3] + "..."


def _failure_text(name: str, failure: _Failure) -> str:
    return (
        f"model '{name}' version {failure.version} failed to {failure.stage}: "
        f"{type(failure.error).__name__}: {_first_line(failure.error)}"
    )


def _fix(name: str, failure: _Failure) -> str:
    uri = f"models:/{name}/{failure.version}"
    if failure.stage == "load":
        return (
            f"check that mlflow.pyfunc.load_model('{uri}') works in this environment (the model's pip "
            "requirements and Python version), or pin another version with model_version="
        )
    return (
        "check that the data has the columns and types the model expects "
        f"(mlflow.models.get_model_info('{uri}').signature), or pin another version with model_version="
    )


def _make_result_cache(config: CacheConfig) -> ResultCache:
    if not config.enabled:
        return DisabledResultCache()
    if config.redis_url:
        return RedisResultCache(config.redis_url, config.ttl_seconds)
    return MemoryResultCache(config.ttl_seconds, config.max_entries)


class HokusaiInferencePipeline:
    """Predictions from registered models, with version fallback, A/B routing and caches.

    ``version_manager`` None builds a ModelVersionManager on ``registry``; ``traffic_router`` None
    turns A/B routing off. ``performance_tracker`` (a PerformanceTracker) receives every prediction.
    """

    def __init__(
        self,
        registry: Any,
        version_manager: Any,
        traffic_router: Any,
        cache_config: CacheConfig | None = None,
        max_models_in_memory: int = 10,
        performance_tracker: Any = None,
    ) -> None:
        if not isinstance(getattr(registry, "session", None), MLflowSession):
            raise InvalidParameterError(
                "registry",
                f"HokusaiInferencePipeline needs a ModelRegistry, got {type(registry).__name__}",
                fix="pass hokusai.core.ModelRegistry(...) as the first argument",
            )
        if version_manager is None:
            from hokusai.core.versioning import ModelVersionManager

            version_manager = ModelVersionManager(registry)
        elif not callable(getattr(version_manager, "get_version_history", None)):
            raise InvalidParameterError(
                "version_manager",
                f"version_manager must be a ModelVersionManager, got {type(version_manager).__name__}",
                fix="pass ModelVersionManager(registry) (or None to build one)",
            )
        managed = getattr(getattr(version_manager, "registry", None), "tracking_uri", registry.tracking_uri)
        if managed != registry.tracking_uri:
            raise InvalidParameterError(
                "version_manager",
                f"the version manager reads {managed} but the registry loads models from "
                f"{registry.tracking_uri}",
                fix="build both on the same registry: ModelVersionManager(registry)",
            )
        if cache_config is None:
            cache_config = CacheConfig()
        elif not isinstance(cache_config, CacheConfig):
            raise InvalidParameterError(
                "cache_config",
                f"cache_config must be a CacheConfig, got {type(cache_config).__name__}",
                fix="pass CacheConfig(ttl_seconds=300) or None for the defaults",
            )
        self.registry = registry
        self.version_manager = version_manager
        self.traffic_router = traffic_router
        self.cache_config = cache_config
        self.performance_tracker = performance_tracker
        self._models = ModelLRU(max_models_in_memory)
        self._results = _make_result_cache(cache_config)
        self._versions = VersionResolver(version_manager, cache_config.latest_version_ttl_seconds)

    # -- public API -------------------------------------------------------------------------------

    def predict_batch(self, data: Any, model_name: str, model_version: str | int | None = None) -> list:
        """Predictions of ``model_name`` for every row of ``data``, as a list.

        ``model_version`` None serves the version the ``production`` alias names, else the latest.
        """
        return self._serve(InferenceRequest(model_name, data, model_version)).predictions

    async def predict(self, request: InferenceRequest) -> InferenceResponse:
        """Serve one request in a worker thread; raises what :meth:`predict_batch` raises."""
        _check_request(request)
        return await asyncio.to_thread(self._serve, request)

    async def batch_predict(self, requests: Iterable[InferenceRequest]) -> list[InferenceResponse]:
        """Serve requests concurrently; a failed one yields a response with ``error`` set, in order."""
        requests = list(requests)
        for request in requests:
            _check_request(request)
        outcomes = await asyncio.gather(
            *(asyncio.to_thread(self._serve, request) for request in requests), return_exceptions=True
        )
        responses = []
        for request, outcome in zip(requests, outcomes, strict=True):
            if isinstance(outcome, InferenceResponse):
                responses.append(outcome)
            elif isinstance(outcome, Exception):
                responses.append(_error_response(request, outcome))
            else:
                raise outcome
        return responses

    def loaded_models(self) -> list[str]:
        """The ``name/version`` of the models in memory, least recently used first."""
        return [format_model_id(name, version) for name, version in self._models.loaded_keys()]

    def cache_stats(self) -> dict[str, Any]:
        """Result cache figures: ``backend``, ``hits``, ``misses``, ``entries``."""
        counters = self._results.counters
        return {
            "backend": self._results.backend,
            "hits": counters.hits,
            "misses": counters.misses,
            "entries": len(self._results),
        }

    # -- serving ----------------------------------------------------------------------------------

    def _serve(self, request: InferenceRequest) -> InferenceResponse:
        started = time.perf_counter()
        name = require_name(request.model_name, "model_name")
        model_input = to_model_input(request.data)
        route = self._route(name, request)
        if route is not None:
            target, version = parse_model_id(route.model_reference)
        else:
            target, version = name, request.model_version
        plan = self._versions.plan(target, version)
        data_key = fingerprint(model_input) if self.cache_config.enabled and request.use_cache else None
        served = self._run(plan, model_input, data_key)
        response = InferenceResponse(
            request_id=request.request_id,
            model_name=target,
            model_version=served.version,
            predictions=served.predictions,
            latency_ms=(time.perf_counter() - started) * 1000,
            cached=served.cached,
            ab_test_id=route.test_id if route else None,
            variant=route.variant if route else None,
            fallback_from=served.fallback_from,
        )
        self._report(response, request, rows=len(model_input))
        return response

    def _route(self, name: str, request: InferenceRequest) -> RoutingDecision | None:
        router = self.traffic_router
        # A pinned version is an explicit choice: it is not overridden by a test.
        if router is None or request.user_id is None or request.model_version is not None:
            return None
        test_id = router.active_test_for(name)
        if test_id is None:
            return None
        try:
            if callable(getattr(router, "route", None)):
                return router.route(test_id, request.user_id)
            from hokusai.core.ab_testing import RoutingDecision

            return RoutingDecision(test_id, None, router.route_request(test_id, request.user_id))
        except InvalidParameterError:
            if router.active_test_for(name) != test_id:
                return None  # the test stopped or expired since it was looked up
            raise

    def _run(self, plan: ServingPlan, model_input: Any, data_key: str | None) -> _Served:
        failures: list[_Failure] = []
        for version in plan.versions:
            fallback_from = failures[0].version if failures else None
            cache_key = self._cache_key(plan.model_name, version, data_key) if data_key else None
            if cache_key is not None:
                hit = self._results.get(cache_key)
                if hit is not None:
                    return _Served(version, hit, True, fallback_from)
            stage = "load"
            try:
                model = self._models.get_or_load(
                    (plan.model_name, version), lambda v=version: self._load(plan.model_name, v)
                )
                stage = "predict"
                predictions = to_python_list(model.predict(model_input))
            except Exception as exc:
                failure = _Failure(version, stage, exc)
                if plan.pinned:
                    _raise(_pinned_error(plan.model_name, failure), exc)
                failures.append(failure)
                logger.warning(
                    "Inference: %s; trying the previous version", _failure_text(plan.model_name, failure)
                )
                continue
            if cache_key is not None:
                self._results.set(cache_key, predictions)
            return _Served(version, predictions, False, fallback_from)
        _raise(_exhausted_error(plan.model_name, failures), failures[-1].error)

    def _load(self, name: str, version: str) -> Any:
        with not_found_as(name, version):
            # Resolved and downloaded by the session's own client: loads of different versions (and
            # other registries' reads) run in parallel.
            return self.registry.session.load_model(f"models:/{name}/{version}")

    def _cache_key(self, name: str, version: str, data_key: str) -> str:
        # The tracking URI keeps two servers' "model 3" apart in a shared (Redis) cache.
        text = json.dumps([self.registry.tracking_uri, name, version, data_key])
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def _report(self, response: InferenceResponse, request: InferenceRequest, rows: int) -> None:
        # Monitoring must not fail a prediction that was served: failures are logged, not raised.
        if response.ab_test_id and response.variant and not response.cached:
            try:
                self.traffic_router.record_metric(
                    response.ab_test_id, response.variant, "latency_ms", response.latency_ms
                )
            except HokusaiException as exc:
                logger.info("Inference: latency not recorded for A/B test %s: %s", response.ab_test_id, exc)
        if self.performance_tracker is None:
            return
        try:
            self.performance_tracker.track_inference(
                {
                    "model_id": format_model_id(response.model_name, response.model_version),
                    "model_version": response.model_version,
                    "latency_ms": response.latency_ms,
                    "batch_size": rows,
                    "user_id": request.user_id,
                    "request_id": response.request_id,
                    "cached": str(response.cached).lower(),
                    "ab_test_id": response.ab_test_id,
                    "variant": response.variant,
                    "fallback_from": response.fallback_from,
                }
            )
        except Exception as exc:
            logger.warning(
                "Inference: request %s was served but not reported to the PerformanceTracker: %s",
                response.request_id,
                exc,
            )


def _check_request(request: object) -> None:
    if not isinstance(request, InferenceRequest):
        raise InvalidParameterError(
            "request",
            f"expected an InferenceRequest, got {type(request).__name__}",
            fix="pass InferenceRequest(model_name='churn', data=[{...}], user_id='user-1')",
        )


def _error_response(request: InferenceRequest, exc: Exception) -> InferenceResponse:
    return InferenceResponse(
        request_id=request.request_id,
        model_name=str(request.model_name),
        model_version=None,
        predictions=[],
        latency_ms=0.0,
        error=f"{type(exc).__name__}: {exc}",
    )


def _raise(error: Exception, cause: Exception) -> NoReturn:
    if error is cause:
        raise error
    raise error from cause


def _pinned_error(name: str, failure: _Failure) -> Exception:
    if isinstance(failure.error, HokusaiException):
        # Already says what is wrong and how to fix it (ModelNotFoundError, MLflow errors).
        return failure.error
    text = _failure_text(name, failure)
    return InferenceException(text[0].upper() + text[1:], fix=_fix(name, failure))


def _exhausted_error(name: str, failures: list[_Failure]) -> Exception:
    if len(failures) == 1:
        return _pinned_error(name, failures[0])
    current, previous = failures[0], failures[-1]
    return InferenceException(
        f"Current {_failure_text(name, current)}; the fallback to version {previous.version} failed too: "
        f"{type(previous.error).__name__}: {_first_line(previous.error)}",
        fix=_fix(name, current),
    )
