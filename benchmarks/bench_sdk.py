"""Benchmark (not a test): SDK import time, embedded ModelRegistry(), and a tokenized registration.

Run: .venv/bin/python benchmarks/bench_sdk.py  (starts its own MLflow server; about 30 s)
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _median_subprocess_seconds(code: str, runs: int) -> float:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def bench_import(runs: int = 7) -> dict[str, float]:
    """Median wall time of ``import hokusai`` in a fresh interpreter, minus a bare interpreter start."""
    bare = _median_subprocess_seconds("pass", runs)
    with_sdk = _median_subprocess_seconds("import hokusai", runs)
    mlflow_loaded = subprocess.run(
        [sys.executable, "-c", "import sys, hokusai; print('mlflow' in sys.modules)"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    return {"interpreter_s": bare, "import_hokusai_s": with_sdk - bare, "mlflow_imported": mlflow_loaded}


def bench_embedded_registry(home: Path) -> dict[str, float]:
    """``ModelRegistry()`` construction and first call on the embedded store (fresh home)."""
    code = f"""
import os, time, json
os.environ["HOKUSAI_HOME"] = {str(home)!r}
t0 = time.perf_counter()
from hokusai import ModelRegistry
t1 = time.perf_counter()
registry = ModelRegistry()
t2 = time.perf_counter()
registry.list_models_by_token("BENCH")
t3 = time.perf_counter()
print(json.dumps({{"import_s": t1 - t0, "construct_s": t2 - t1, "first_call_s": t3 - t2}}))
"""
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    import json

    return json.loads(out.stdout.strip().splitlines()[-1])


def bench_tokenized_round_trip(workdir: Path, rounds: int = 5) -> dict[str, float]:
    """``register_tokenized_model`` + ``get_tokenized_model`` against a live local MLflow server."""
    import mlflow
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    from hokusai import ModelRegistry
    from hokusai_contracts.servers import start_mlflow_process

    server = start_mlflow_process(workdir / "server")
    try:
        registry = ModelRegistry(tracking_uri=server.url)
        rng = np.random.default_rng(0)
        features = rng.normal(size=(200, 4))
        model = LogisticRegression().fit(features, features[:, 0] > 0)
        with registry.session.scope():
            mlflow.set_experiment("bench")
            with mlflow.start_run() as run:
                mlflow.sklearn.log_model(model, name="model")
        model_uri = f"runs:/{run.info.run_id}/model"
        samples = []
        for index in range(rounds):
            started = time.perf_counter()
            registry.register_tokenized_model(model_uri, f"bench-{index}", "BENCH", "accuracy", 0.9)
            registry.get_tokenized_model(f"bench-{index}")
            samples.append(time.perf_counter() - started)
        return {
            "server_start_s": server.startup_seconds,
            "round_trip_median_s": statistics.median(samples),
            "round_trip_max_s": max(samples),
        }
    finally:
        server.stop()


def main() -> None:
    """Run every benchmark and print one line per figure."""
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        results = {
            "import": bench_import(),
            "embedded_registry": bench_embedded_registry(tmp_path / "home"),
            "tokenized_round_trip": bench_tokenized_round_trip(tmp_path),
        }
    for group, figures in results.items():
        for name, value in figures.items():
            shown = f"{value:.3f}" if isinstance(value, float) else value
            print(f"{group:24} {name:24} {shown}")


if __name__ == "__main__":
    main()
