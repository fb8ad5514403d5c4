"""The SDK from many threads at once, against live MLflow servers.

Registrations from 8 threads each exist exactly once; two registries on two servers with different
credentials, used at the same time from two threads, each send only their own credentials (seen on
the wire by a recording proxy in front of each server) and never write them into ``os.environ``; reads
and model loads do not wait for the lock MLflow's fluent API needs.
"""

from __future__ import annotations

import base64
import os
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from hokusai.config import MLflowAuthConfig
from hokusai.core import ModelRegistry, ModelVersionManager
from hokusai.core.inference import HokusaiInferencePipeline
from hokusai_contracts.servers.proxy import recording_proxy

pytestmark = pytest.mark.server

THREADS = 8
_CREDENTIAL_VARS = (
    "MLFLOW_TRACKING_URI", "MLFLOW_TRACKING_TOKEN", "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD",
)  # fmt: skip


@pytest.fixture(scope="module")
def trained():
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(11)
    features = rng.normal(size=(40, 3))
    return LogisticRegression().fit(features, (features[:, 0] > 0).astype(int)), features


def _client(tracking_uri: str):
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)


def test_registrations_from_eight_threads_each_exist_exactly_once(mlflow_server, unique_name, trained):
    model, _ = trained
    registry = ModelRegistry(tracking_uri=mlflow_server.url, infer_pip_requirements=False)
    baseline = registry.register_baseline(model=model, model_type=unique_name("concurrent-base"))
    source = f"runs:/{baseline.mlflow_run_id}/model"
    prefix, shared = unique_name("concurrent-tok"), unique_name("concurrent-shared")
    start = threading.Barrier(THREADS)

    def register(thread: int) -> tuple[str, str]:
        start.wait()
        tokenized = registry.register_tokenized_model(source, f"{prefix}-{thread}", f"T{thread}", "auc", 0.8)
        version = registry.register_baseline(model=source, model_name=shared, metadata={"writer": thread})
        return f"{tokenized['model_name']}/{tokenized['version']}", version.version

    with ThreadPoolExecutor(THREADS) as pool:
        reported = list(pool.map(register, range(THREADS)))

    client = _client(mlflow_server.url)
    tokenized = client.search_model_versions(f"name LIKE '{prefix}-%'", max_results=1000)
    assert Counter(v.name for v in tokenized) == {f"{prefix}-{t}": 1 for t in range(THREADS)}
    assert all(v.tags["hokusai_token_id"] == f"T{v.name.rsplit('-', 1)[1]}" for v in tokenized)
    assert sorted(name for name, _ in reported) == sorted(f"{v.name}/{v.version}" for v in tokenized)

    versions = client.search_model_versions(f"name = '{shared}'", max_results=1000)
    assert sorted(int(v.version) for v in versions) == list(range(1, THREADS + 1))
    assert Counter(v.tags["writer"] for v in versions) == {str(t): 1 for t in range(THREADS)}
    assert sorted(int(number) for _, number in reported) == list(range(1, THREADS + 1))


def _authorization_values(proxy) -> Counter:
    return Counter(
        dict((k.lower(), v) for k, v in exchange.request_headers).get("authorization")
        for exchange in proxy.recording.snapshot()
    )


def test_two_registries_with_different_credentials_at_once_keep_them_apart(
    mlflow_server, basic_auth_server, unique_name, trained
):
    model, features = trained
    username, password = basic_auth_server.users.admin
    basic = "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()
    sampled: Counter = Counter()
    stop_sampling = threading.Event()

    def sample_environment() -> None:
        # The old SDK wrote the target's credentials into os.environ for every call.
        while not stop_sampling.is_set():
            for name in _CREDENTIAL_VARS:
                if os.environ.get(name):
                    sampled[name] += 1

    with (
        recording_proxy(mlflow_server.url) as open_proxy,
        recording_proxy(basic_auth_server.url) as auth_proxy,
    ):
        token = "hk_test_open-server-token-1234"
        registries = {
            "open": ModelRegistry(tracking_uri=open_proxy.url, api_key=token, infer_pip_requirements=False),
            "auth": ModelRegistry(
                auth=MLflowAuthConfig(tracking_uri=auth_proxy.url, username=username, password=password),
                infer_pip_requirements=False,
            ),
        }
        names = {kind: unique_name(f"creds-{kind}") for kind in registries}
        for kind, registry in registries.items():
            registry.register_baseline(model=model, model_name=names[kind])
        start = threading.Barrier(len(registries))

        def work(kind: str) -> list[list[int]]:
            registry, name = registries[kind], names[kind]
            manager = ModelVersionManager(registry)
            pipeline = HokusaiInferencePipeline(registry, manager, None)
            source = f"models:/{name}/1"
            start.wait()
            predictions = []
            for _ in range(3):
                registry.register_baseline(model=source, model_name=name)
                latest = manager.get_latest_version(name)
                predictions.append(pipeline.predict_batch(features[:4], name, latest))
            return predictions

        sampler = threading.Thread(target=sample_environment, daemon=True)
        sampler.start()
        try:
            with ThreadPoolExecutor(len(registries)) as pool:
                results = dict(zip(registries, pool.map(work, registries), strict=True))
        finally:
            stop_sampling.set()
            sampler.join(5)

        expected = model.predict(features[:4]).tolist()
        assert all(batch == expected for batches in results.values() for batch in batches)
        assert _authorization_values(open_proxy) == {f"Bearer {token}": len(open_proxy.recording)}
        assert _authorization_values(auth_proxy) == {basic: len(auth_proxy.recording)}
        assert not any(e.status == 401 for e in auth_proxy.recording.snapshot())
        # Registrations, reads and model downloads all went through the proxies.
        for proxy in (open_proxy, auth_proxy):
            paths = {e.path for e in proxy.recording.snapshot()}
            assert any("model-versions/create" in p for p in paths)
            assert any("model-versions/search" in p for p in paths)
            assert any("mlflow-artifacts" in p for p in paths)
    assert not sampled, f"credentials appeared in os.environ during the calls: {dict(sampled)}"


def test_reads_and_model_loads_do_not_wait_for_the_fluent_lock(mlflow_server, unique_name, trained):
    model, features = trained
    registry = ModelRegistry(tracking_uri=mlflow_server.url, infer_pip_requirements=False)
    name = unique_name("unblocked")
    registry.register_baseline(model=model, model_name=name)
    manager = ModelVersionManager(registry)
    entered, release = threading.Event(), threading.Event()

    def hold_the_fluent_scope() -> None:
        # As a long fluent operation (a log_model upload) on another registry would.
        other = ModelRegistry(tracking_uri=mlflow_server.url)
        with other.session.scope():
            entered.set()
            release.wait(60)

    holder = threading.Thread(target=hold_the_fluent_scope)
    holder.start()
    try:
        assert entered.wait(30)
        with ThreadPoolExecutor(2) as pool:
            latest = pool.submit(manager.get_latest_version, name)
            predicted = pool.submit(
                HokusaiInferencePipeline(registry, manager, None).predict_batch, features[:3], name, "1"
            )
            assert latest.result(timeout=60) == "1"
            assert predicted.result(timeout=60) == model.predict(features[:3]).tolist()
        assert holder.is_alive(), "the scope was still held while the read and the load ran"
    finally:
        release.set()
        holder.join(30)
