"""Benchmark (not a test): HokusaiInferencePipeline.predict_batch against calling MLflow directly.

On 10,000 rows of a registered scikit-learn model: the cold first ``predict_batch`` (version lookup,
download, load, predict), then warm ``predict_batch`` against ``mlflow.pyfunc.load_model(uri).predict``
on the same data in the same process, timed alternately, median of many repetitions. The overhead
ratio is measured with the result cache disabled, so both sides do the real prediction work; it is
printed against the raw ``predict`` (a numpy array) and against ``predict(...).tolist()`` (the same
list ``predict_batch`` returns).

Run: .venv/bin/python benchmarks/bench_inference.py  (starts its own MLflow server; about 30 s)
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROWS = 10_000
FEATURES = 20
REPETITIONS = 101
WARMUP = 5


def _seconds(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def _alternating_medians(a: Callable[[], object], b: Callable[[], object]) -> tuple[float, float]:
    """Median seconds of ``a`` and ``b``, run alternately (order flipped each round) to share drift."""
    for _ in range(WARMUP):
        a(), b()
    samples_a, samples_b = [], []
    for index in range(REPETITIONS):
        if index % 2:
            samples_b.append(_seconds(b))
            samples_a.append(_seconds(a))
        else:
            samples_a.append(_seconds(a))
            samples_b.append(_seconds(b))
    return statistics.median(samples_a), statistics.median(samples_b)


def run(workdir: Path) -> dict[str, float | str]:
    """Register a model on a fresh server and time the pipeline against direct MLflow calls."""
    import mlflow.pyfunc
    import numpy as np
    import pandas as pd
    from sklearn.linear_model import LogisticRegression

    from hokusai.core.inference import CacheConfig, HokusaiInferencePipeline
    from hokusai.core.registry import ModelRegistry
    from hokusai.core.versioning import ModelVersionManager
    from hokusai_contracts.servers import start_mlflow_process

    rng = np.random.default_rng(0)
    columns = [f"f{i}" for i in range(FEATURES)]
    train = pd.DataFrame(rng.normal(size=(2_000, FEATURES)), columns=columns)
    model = LogisticRegression(max_iter=500).fit(train, (train["f0"] - train["f1"] > 0).astype(int))
    data = pd.DataFrame(rng.normal(size=(ROWS, FEATURES)), columns=columns)
    records = data.to_dict(orient="records")

    server = start_mlflow_process(workdir / "server")
    try:
        registry = ModelRegistry(tracking_uri=server.url, infer_pip_requirements=False)
        entry = registry.register_baseline(model=model, model_name="bench-inference")
        manager = ModelVersionManager(registry)

        cold_pipeline = HokusaiInferencePipeline(registry, manager, None)
        cold_s = _seconds(lambda: cold_pipeline.predict_batch(data, entry.model_name))

        with registry.session.scope():
            direct_model = mlflow.pyfunc.load_model(entry.model_uri)
        expected = direct_model.predict(data).tolist()

        pipeline = HokusaiInferencePipeline(registry, manager, None, cache_config=CacheConfig(enabled=False))
        assert pipeline.predict_batch(data, entry.model_name, entry.version) == expected

        direct_s, pinned_s = _alternating_medians(
            lambda: direct_model.predict(data),
            lambda: pipeline.predict_batch(data, entry.model_name, entry.version),
        )
        # Same output type on both sides: predict_batch returns a list, so the list conversion is real work.
        direct_list_s, pinned_list_s = _alternating_medians(
            lambda: direct_model.predict(data).tolist(),
            lambda: pipeline.predict_batch(data, entry.model_name, entry.version),
        )
        direct_latest_s, latest_s = _alternating_medians(
            lambda: direct_model.predict(data), lambda: pipeline.predict_batch(data, entry.model_name)
        )
        direct_records_s, records_s = _alternating_medians(
            lambda: direct_model.predict(data), lambda: pipeline.predict_batch(records, entry.model_name, 1)
        )
        cached = HokusaiInferencePipeline(registry, manager, None)
        cached.predict_batch(data, entry.model_name, entry.version)
        direct_cached_s, cache_hit_s = _alternating_medians(
            lambda: direct_model.predict(data),
            lambda: cached.predict_batch(data, entry.model_name, entry.version),
        )
        return {
            "rows": str(ROWS),
            "features": str(FEATURES),
            "server_start_s": server.startup_seconds,
            "cold_first_predict_batch_s": cold_s,
            "direct_pyfunc_predict_ms": direct_s * 1000,
            "warm_pinned_predict_batch_ms": pinned_s * 1000,
            "overhead_ratio_pinned": pinned_s / direct_s,
            "direct_predict_tolist_ms": direct_list_s * 1000,
            "overhead_ratio_pinned_vs_tolist": pinned_list_s / direct_list_s,
            "warm_latest_predict_batch_ms": latest_s * 1000,
            "overhead_ratio_latest": latest_s / direct_latest_s,
            "records_input_predict_batch_ms": records_s * 1000,
            "ratio_records_vs_direct_dataframe": records_s / direct_records_s,
            "result_cache_hit_ms": cache_hit_s * 1000,
            "ratio_cache_hit_vs_direct": cache_hit_s / direct_cached_s,
        }
    finally:
        server.stop()


def main() -> None:
    """Run the benchmark and print one line per figure."""
    with tempfile.TemporaryDirectory() as tmp:
        results = run(Path(tmp))
    for name, value in results.items():
        shown = f"{value:.3f}" if isinstance(value, float) else value
        print(f"inference  {name:34} {shown}")


if __name__ == "__main__":
    main()
