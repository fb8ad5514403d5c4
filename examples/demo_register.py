"""Demo: train a small model, register it on the embedded MLflow store, and read it back.

Uses only the documented SDK calls. No server is needed: ``ModelRegistry()`` with no argument uses a
local SQLite MLflow store under ``$HOKUSAI_HOME`` (the gate script points it at a fresh temp folder).
"""

from __future__ import annotations

import time

import numpy as np
from sklearn.linear_model import LogisticRegression

from hokusai import ModelRegistry, ModelVersionManager, PerformanceTracker


def train_model() -> tuple[LogisticRegression, float]:
    """A logistic regression on generated data, and its training accuracy."""
    rng = np.random.default_rng(7)
    features = rng.normal(size=(500, 4))
    labels = (features @ np.array([1.5, -2.0, 0.5, 0.0]) > 0).astype(int)
    model = LogisticRegression().fit(features, labels)
    return model, float(model.score(features, labels))


def main() -> None:
    """Register a baseline and a tokenized version, then print what the registry holds."""
    started = time.perf_counter()
    registry = ModelRegistry(infer_pip_requirements=False)
    print(f"registry:        {registry.tracking_uri}")

    model, accuracy = train_model()
    baseline = registry.register_baseline(model=model, model_name="demo-lead-scoring")
    print(f"baseline:        {baseline.model_id} (run {baseline.mlflow_run_id})")

    tokenized = registry.register_tokenized_model(
        model_uri=baseline.model_uri,
        model_name="demo-lead-scoring",
        token_id="lscor",
        metric_name="accuracy",
        baseline_value=accuracy,
    )
    print(
        f"tokenized:       {tokenized['model_name']} v{tokenized['version']} "
        f"token={tokenized['token_id']} accuracy={tokenized['baseline_value']:.3f}"
    )

    versions = ModelVersionManager(registry)
    print(f"versions:        {versions.list_versions('demo-lead-scoring')}")
    print(f"latest version:  {versions.get_latest_version('demo-lead-scoring')}")
    tokenized_models = registry.list_models_by_token("LSCOR")
    print(f"by token LSCOR:  {[m['model_name'] + '/' + m['version'] for m in tokenized_models]}")

    run_id = PerformanceTracker(registry).track_inference(
        {"model_id": baseline.model_id, "model_version": baseline.version, "latency_ms": 12.5}
    )
    print(f"inference run:   {run_id}")
    print(f"done in {time.perf_counter() - started:.1f}s")


if __name__ == "__main__":
    main()
