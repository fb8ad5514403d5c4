"""Benchmark (not a test): the reference gateway's added latency per proxied MLflow call.

The same MLflow server is called directly and through the gateway, interleaved in one run (so drift hits
both sides alike): ``experiments/search`` with httpx on a kept-alive connection, then the same search
through ``mlflow.MlflowClient``. Medians and 95th percentiles; ratio = gateway / direct.

Run: .venv/bin/python benchmarks/bench_gateway.py [CALLS]  (starts MLflow and the gateway; about 20 s)
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path


def _time(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def _interleaved(direct: Callable[[], object], gateway: Callable[[], object], calls: int) -> dict[str, float]:
    for _ in range(max(10, calls // 10)):  # warm-up: connections, caches, imports
        direct()
        gateway()
    pairs = [(_time(direct), _time(gateway)) for _ in range(calls)]
    direct_s = sorted(d for d, _ in pairs)
    gateway_s = sorted(g for _, g in pairs)
    p95 = int(0.95 * (calls - 1))
    direct_median, gateway_median = statistics.median(direct_s), statistics.median(gateway_s)
    return {
        "direct_median_ms": direct_median * 1e3,
        "gateway_median_ms": gateway_median * 1e3,
        "added_median_ms": (gateway_median - direct_median) * 1e3,
        "ratio_median": gateway_median / direct_median,
        "direct_p95_ms": direct_s[p95] * 1e3,
        "gateway_p95_ms": gateway_s[p95] * 1e3,
    }


def bench_httpx(mlflow_url: str, gateway_url: str, key: str, calls: int) -> dict[str, float]:
    """POST experiments/search with httpx, kept-alive connections, directly and through the gateway."""
    import httpx

    path = "/api/2.0/mlflow/experiments/search"
    body = {"max_results": 10}
    with httpx.Client(base_url=mlflow_url) as direct, httpx.Client(base_url=gateway_url) as through:
        headers = {"Authorization": f"Bearer {key}"}
        return _interleaved(
            lambda: direct.post(path, json=body).raise_for_status(),
            lambda: through.post(f"/api/mlflow{path}", json=body, headers=headers).raise_for_status(),
            calls,
        )


def bench_mlflow_client(mlflow_url: str, tracking_uri: str, key: str, calls: int) -> dict[str, float]:
    """``MlflowClient.search_experiments()`` directly and through the gateway (the SDK's own path)."""
    import mlflow

    os.environ["MLFLOW_TRACKING_TOKEN"] = key  # the direct server ignores it
    direct = mlflow.MlflowClient(tracking_uri=mlflow_url)
    through = mlflow.MlflowClient(tracking_uri=tracking_uri)
    return _interleaved(
        lambda: direct.search_experiments(max_results=10),
        lambda: through.search_experiments(max_results=10),
        calls,
    )


def main() -> None:
    """Start MLflow and the gateway (rate limit off), measure, print one line per figure."""
    from hokusai_contracts.servers import start_mlflow_process
    from hokusai_contracts.servers.gateway import start_gateway

    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    with tempfile.TemporaryDirectory() as tmp:
        server = start_mlflow_process(Path(tmp) / "mlflow")
        gateway = None
        try:
            gateway = start_gateway(server, Path(tmp) / "gateway", rate_limit=None)
            client = mlflow_client = None
            client = bench_httpx(server.url, gateway.url, gateway.keys.read, calls)
            mlflow_client = bench_mlflow_client(server.url, gateway.tracking_uri, gateway.keys.read, calls)
        finally:
            if gateway is not None:
                gateway.stop()
            server.stop()
    print(f"calls per side: {calls} (interleaved, after warm-up)")
    for group, figures in (("httpx", client), ("mlflow_client", mlflow_client)):
        for name, value in figures.items():
            print(f"{group:14} {name:18} {value:8.2f}")


if __name__ == "__main__":
    main()
