"""Worker (runs in the SDK's interpreter, standard library + ``hokusai`` only): one process of the workload.

``handle(request)`` with ``{"mode": "setup", ...}`` registers the baseline model every registration points
at and answers its URI; with ``{"mode": "work", ...}`` it calls the SDK in rotation (tokenized
registration, version read, prediction, experiment tracking) until the harness's stop file appears (or
its hard deadline or call budget), and yields one record per call: what it was, when it started and
ended (wall clock), whether it succeeded, and the exception the SDK raised (class, whether it is one of
``hokusai.exceptions``). Every registration carries a ``chaos_call`` tag with a key unique to the call,
so the registry can be reconciled afterwards.
"""

from __future__ import annotations

import os
import time
import warnings

OPERATIONS = ("register", "read", "predict", "track")


def _credentials(request: dict) -> None:
    if request.get("username"):
        os.environ["MLFLOW_TRACKING_USERNAME"] = request["username"]
        os.environ["MLFLOW_TRACKING_PASSWORD"] = request["password"]


def _setup(request: dict) -> dict:
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    from hokusai import ModelRegistry

    registry = ModelRegistry(request["tracking_uri"], infer_pip_requirements=False)
    features = np.random.default_rng(7).normal(size=(200, 4))
    model = LogisticRegression().fit(features, (features[:, 0] > 0).astype(int))
    entry = registry.register_baseline(model=model, model_name=request["model_name"])
    return {"model_uri": entry.model_uri, "version": str(entry.version)}


def _error(exc: BaseException) -> dict:
    import hokusai.exceptions as documented

    return {
        "error": type(exc).__name__,
        "error_module": type(exc).__module__,
        "documented": isinstance(exc, documented.HokusaiException),
        "message": str(exc).splitlines()[0][:300] if str(exc) else "",
    }


def _work(request: dict):
    from hokusai import HokusaiInferencePipeline, ModelRegistry, PerformanceTracker
    from hokusai.core import CacheConfig

    registry = ModelRegistry(request["tracking_uri"], infer_pip_requirements=False)
    pipeline = HokusaiInferencePipeline(registry, None, None, cache_config=CacheConfig(enabled=False))
    tracker = PerformanceTracker(registry)
    worker = request["worker"]
    model_name = request["model_name"]
    acknowledged: list[str] = []
    # Every worker starts at the same moment (after importing everything), which the faults count from.
    time.sleep(max(0.0, request["start_at"] - time.time()))
    # The harness creates the stop file once the run's length has passed and every fault is over.
    deadline = request["start_at"] + request["max_duration_s"]
    for seq in range(request["max_calls"]):
        if time.time() >= deadline or os.path.exists(request["stop_file"]):
            break
        operation = OPERATIONS[seq % len(OPERATIONS)]
        if operation in ("read", "predict") and not acknowledged:
            operation = "register"
        key = f"{request['run']}-w{worker}-{seq}"
        record = {"worker": worker, "seq": seq, "op": operation, "key": key, "model_name": model_name}
        record["started"] = time.time()
        try:
            if operation == "register":
                answer = registry.register_tokenized_model(
                    request["model_uri"],
                    model_name,
                    "CHAOS",
                    "accuracy",
                    0.9,
                    additional_tags={"chaos_call": key},
                    notify_site=False,
                )
                record["version"] = str(answer["version"])
                acknowledged.append(record["version"])
            elif operation == "read":
                registry.get_tokenized_model(model_name, acknowledged[-1])
            elif operation == "predict":
                pipeline.predict_batch([[0.1, 0.2, 0.3, 0.4]], model_name, acknowledged[-1])
            else:
                tracker.track_inference(
                    {
                        "model_id": model_name,
                        "model_version": acknowledged[-1] if acknowledged else "0",
                        "latency_ms": 1.0,
                        "worker": str(worker),
                    }
                )
            record["ok"] = True
        except Exception as exc:
            record.update(ok=False, **_error(exc))
        record["ended"] = time.time()
        yield record
        time.sleep(max(0.0, record["started"] + request["interval_s"] - time.time()))


def handle(request: dict):
    """Set up the baseline (``mode: setup``) or run the workload (``mode: work``, one record per call)."""
    warnings.simplefilter("ignore")
    _credentials(request)
    if request["mode"] == "setup":
        return _setup(request)
    return _work(request)
