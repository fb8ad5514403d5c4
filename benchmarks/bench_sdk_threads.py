"""Benchmark (not a test): does the SDK's throughput grow with threads, like MLflow's own client?

Starts a real MLflow server and, in front of it, a loopback HTTP proxy that adds 30 ms to every
request (a server across a network). Seeds registered models, then measures model-version reads
(``ModelVersionManager(registry).get_latest_version``: one ``search_model_versions`` request) from 1
thread and from 8 threads, and prints both throughputs and their ratio, for the SDK and for MLflow's
``MlflowClient`` making the same request through the same proxy. Then 8 threads register tokenized
models (``register_tokenized_model``) concurrently and the registered versions are counted: nothing
may be lost or duplicated.

Run: .venv/bin/python benchmarks/bench_sdk_threads.py  (starts its own MLflow server; about 40 s)
"""

from __future__ import annotations

import http.client
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

PROXY_DELAY_S = 0.030
THREADS = 8
CALLS_PER_THREAD = 40
MODELS = 8
VERSIONS_PER_MODEL = 3
REGISTRATIONS_PER_THREAD = 3
_HOP_BY_HOP = {
    "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade",
}  # fmt: skip


class LatencyProxy:
    """A loopback HTTP/1.1 proxy to ``upstream`` that waits ``delay`` seconds before each request."""

    def __init__(self, upstream: str, delay: float) -> None:
        parts = urlsplit(upstream)
        host, port, local = parts.hostname or "127.0.0.1", parts.port or 80, threading.local()

        def connection() -> http.client.HTTPConnection:
            if getattr(local, "connection", None) is None:
                local.connection = http.client.HTTPConnection(host, port, timeout=60)
            return local.connection

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as between MLflow's client and a real server

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
                time.sleep(delay)
                for attempt in (1, 2):
                    try:
                        upstream = connection()
                        upstream.request(self.command, self.path, body=body, headers=headers)
                        response = upstream.getresponse()
                        payload = response.read()
                        break
                    except (OSError, http.client.HTTPException):
                        # The server closed an idle keep-alive connection: reconnect once.
                        local.connection = None
                        if attempt == 2:
                            self.send_error(502)
                            return
                self.send_response(response.status, response.reason)
                for key, value in response.getheaders():
                    if key.lower() not in _HOP_BY_HOP and key.lower() != "content-length":
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _forward

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        """Stop serving."""
        self._server.shutdown()
        self._server.server_close()


def throughput(call: Callable[[int], object], threads: int, calls_per_thread: int) -> float:
    """Calls per second of ``call(i)`` made ``calls_per_thread`` times from each of ``threads`` threads."""
    barrier = threading.Barrier(threads + 1)

    def worker(index: int) -> None:
        barrier.wait()
        for n in range(calls_per_thread):
            call(index * calls_per_thread + n)

    with ThreadPoolExecutor(threads) as pool:
        futures = [pool.submit(worker, i) for i in range(threads)]
        barrier.wait()
        started = time.perf_counter()
        for future in futures:
            future.result()
        elapsed = time.perf_counter() - started
    return threads * calls_per_thread / elapsed


def scaling(call: Callable[[int], object]) -> tuple[float, float]:
    """(calls/s from 1 thread, calls/s from THREADS threads), after a warm-up."""
    throughput(call, THREADS, 2)
    single = throughput(call, 1, CALLS_PER_THREAD)
    multi = throughput(call, THREADS, CALLS_PER_THREAD)
    return single, multi


def seed(server_url: str, names: list[str], source: str, run_id: str) -> None:
    """Registered models with a few versions each, all copies of one registered model version."""
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=server_url, registry_uri=server_url)
    for name in names:
        client.create_registered_model(name)
        for n in range(VERSIONS_PER_MODEL):
            client.create_model_version(name, source, run_id=run_id, tags={"seed": str(n)})


def concurrent_registrations(registry: object, model_uri: str, prefix: str) -> dict[str, object]:
    """THREADS threads register tokenized models at once; every one must exist exactly once after."""
    from mlflow import MlflowClient

    expected = [f"{prefix}-{t}-{n}" for t in range(THREADS) for n in range(REGISTRATIONS_PER_THREAD)]

    def register(thread: int) -> list[str]:
        done = []
        for n in range(REGISTRATIONS_PER_THREAD):
            name = f"{prefix}-{thread}-{n}"
            result = registry.register_tokenized_model(model_uri, name, f"T{thread}N{n}", "accuracy", 0.9)
            done.append(f"{result['model_name']}/{result['version']}")
        return done

    started = time.perf_counter()
    with ThreadPoolExecutor(THREADS) as pool:
        reported = [item for chunk in pool.map(register, range(THREADS)) for item in chunk]
    elapsed = time.perf_counter() - started
    client = MlflowClient(tracking_uri=registry.tracking_uri, registry_uri=registry.tracking_uri)
    found = Counter(v.name for v in client.search_model_versions(f"name LIKE '{prefix}-%'", max_results=1000))
    lost = sorted(name for name in expected if found[name] == 0)
    duplicated = sorted(name for name, count in found.items() if count > 1)
    return {
        "registrations": len(expected),
        "reported": len(reported),
        "versions_found": sum(found.values()),
        "lost": lost,
        "duplicated": duplicated,
        "seconds": elapsed,
    }


def run(workdir: Path) -> dict[str, object]:
    """Start the server and the proxy, seed, measure; the printed figures."""
    import numpy as np
    from mlflow import MlflowClient
    from sklearn.linear_model import LogisticRegression

    from hokusai.core.registry import ModelRegistry
    from hokusai.core.versioning import ModelVersionManager
    from hokusai_contracts.servers import start_mlflow_process

    server = start_mlflow_process(workdir / "server")
    proxy = LatencyProxy(server.url, PROXY_DELAY_S)
    try:
        features = np.random.default_rng(0).normal(size=(40, 3))
        model = LogisticRegression().fit(features, (features[:, 0] > 0).astype(int))
        direct = ModelRegistry(tracking_uri=server.url, infer_pip_requirements=False)
        baseline = direct.register_baseline(model=model, model_name="bench-threads-baseline")
        names = [f"bench-threads-{i}" for i in range(MODELS)]
        seed(server.url, names, baseline.model_uri, baseline.mlflow_run_id)

        registry = ModelRegistry(tracking_uri=proxy.url, infer_pip_requirements=False)
        manager = ModelVersionManager(registry)
        assert manager.get_latest_version(names[0]) == str(VERSIONS_PER_MODEL)
        sdk_single, sdk_multi = scaling(lambda i: manager.get_latest_version(names[i % MODELS]))

        client = MlflowClient(tracking_uri=proxy.url, registry_uri=proxy.url)
        mlflow_single, mlflow_multi = scaling(
            lambda i: client.search_model_versions(f"name = '{names[i % MODELS]}'")
        )

        registrations = concurrent_registrations(
            registry, f"runs:/{baseline.mlflow_run_id}/model", "bench-threads-tokenized"
        )
        return {
            "proxy_delay_ms": PROXY_DELAY_S * 1000,
            "threads": THREADS,
            "sdk_reads_per_s_1_thread": sdk_single,
            f"sdk_reads_per_s_{THREADS}_threads": sdk_multi,
            "sdk_ratio": sdk_multi / sdk_single,
            "mlflowclient_reads_per_s_1_thread": mlflow_single,
            f"mlflowclient_reads_per_s_{THREADS}_threads": mlflow_multi,
            "mlflowclient_ratio": mlflow_multi / mlflow_single,
            **{f"register_{key}": value for key, value in registrations.items()},
        }
    finally:
        proxy.stop()
        server.stop()


def main() -> None:
    """Run the benchmark and print one line per figure; fail when a registration was lost or doubled."""
    with tempfile.TemporaryDirectory() as tmp:
        results = run(Path(tmp))
    for name, value in results.items():
        shown = f"{value:.3f}" if isinstance(value, float) else value
        print(f"sdk_threads  {name:36} {shown}")
    if results["register_lost"] or results["register_duplicated"]:
        raise SystemExit("concurrent registrations were lost or duplicated")


if __name__ == "__main__":
    main()
