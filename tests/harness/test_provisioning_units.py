"""Pure provisioning logic: provider choice, requirements per version, the venv cache and its lock."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

import pytest

from hokusai_contracts.base.errors import HarnessUsageError
from hokusai_contracts.servers.cache import CACHE_ENV, cache_root
from hokusai_contracts.servers.containers import needs_allowed_hosts, server_command
from hokusai_contracts.servers.providers import ServerRequest, choose_provider, provisioner_for
from hokusai_contracts.servers.venvs import (
    COMPLETE_MARKER,
    ensure_environment,
    own_mlflow_version,
    requirements_for,
)


def never(image: str) -> str | None:
    raise AssertionError("the Docker probe must not be asked")


def test_auto_picks_docker_when_the_daemon_answers_and_the_image_is_there():
    choice = choose_provider(ServerRequest("auto", "3.17.2"), lambda image: None)
    assert choice.kind == "docker" and "ghcr.io/mlflow/mlflow:v3.17.2" in choice.reason


def test_auto_falls_back_to_a_process_and_says_why():
    choice = choose_provider(ServerRequest("auto", "3.17.2"), lambda image: "no Docker daemon answers")
    assert choice.kind == "process" and "no Docker daemon answers" in choice.reason


def test_explicit_providers_and_urls_never_probe_docker():
    assert choose_provider(ServerRequest("process"), never).kind == "process"
    assert choose_provider(ServerRequest("docker"), never).kind == "docker"
    choice = choose_provider(ServerRequest("http://mlflow.internal:5000"), never)
    assert choice.kind == "url" and choice.url == "http://mlflow.internal:5000"


def test_auto_uses_the_image_asked_for():
    asked = []
    choose_provider(ServerRequest("auto", "2.9.0", "my/mlflow:2.9"), lambda image: asked.append(image))
    assert asked == ["my/mlflow:2.9"]


@pytest.mark.parametrize("request_", [ServerRequest("kubernetes"), ServerRequest("process", "latest")])
def test_bad_provider_or_version_is_a_usage_error(request_):
    with pytest.raises(HarnessUsageError):
        provisioner_for(request_, never)


def test_describe_names_provider_version_and_reason():
    text = provisioner_for(ServerRequest("auto", "2.9.0"), lambda image: "image missing").describe()
    assert text.startswith("process provider, MLflow 2.9.0") and "image missing" in text


def test_requirements_pin_sqlalchemy_for_mlflow_2_only():
    assert requirements_for("2.9.0") == ["mlflow==2.9.0", "sqlalchemy<2.1"]
    assert requirements_for("3.17.2") == ["mlflow[auth]==3.17.2"]
    # 2.20 brought the [auth] extra: a 2.22 basic-auth server does not start without Flask-WTF.
    assert requirements_for("2.22.0") == ["mlflow[auth]==2.22.0", "sqlalchemy<2.1"]
    assert requirements_for("2.19.0") == ["mlflow==2.19.0", "sqlalchemy<2.1"]


def test_allowed_hosts_only_for_new_mlflow_behind_a_public_host():
    assert needs_allowed_hosts("3.17.2", "docker.example.com")
    assert not needs_allowed_hosts("3.17.2", "172.17.0.1")
    assert not needs_allowed_hosts("3.17.2", "localhost")
    assert not needs_allowed_hosts("3.4.0", "docker.example.com")
    assert "--allowed-hosts" in server_command("3.17.2", "docker.example.com", basic_auth=False)
    assert server_command("2.9.0", None, basic_auth=True)[-2:] == ["--app-name", "basic-auth"]


def test_cache_root_follows_the_environment(tmp_path):
    assert cache_root({CACHE_ENV: str(tmp_path)}) == tmp_path
    assert cache_root({}) == Path.home() / ".cache" / "hokusai-contracts"


def test_the_harness_interpreter_is_used_for_its_own_version(tmp_path):
    root = tmp_path / "cache"
    environment = ensure_environment(own_mlflow_version(), root=root, installer=_refuse)
    assert environment.python == sys.executable and environment.is_harness
    assert not root.exists()


def _refuse(venv, requirements):
    raise AssertionError("no install expected")


class FakeInstaller:
    """Writes a fake interpreter slowly, counting calls: stands in for venv + pip."""

    def __init__(self):
        self.calls = 0
        self.lock = threading.Lock()

    def __call__(self, venv: Path, requirements) -> None:
        with self.lock:
            self.calls += 1
        time.sleep(0.3)  # long enough for a second builder to arrive while this one works
        (venv / "bin").mkdir(parents=True)
        (venv / "bin" / "python").write_text("#!/bin/sh\n")


def test_a_venv_is_built_once_and_reused(tmp_path):
    installer = FakeInstaller()
    first = ensure_environment("9.8.7", root=tmp_path, installer=installer, own_version=lambda: "3.0.0")
    second = ensure_environment("9.8.7", root=tmp_path, installer=installer, own_version=lambda: "3.0.0")
    assert installer.calls == 1 and first.created and not second.created
    assert first.python == second.python == str(tmp_path / "mlflow-9.8.7" / "venv" / "bin" / "python")


def test_concurrent_builders_of_one_version_build_it_once(tmp_path):
    installer = FakeInstaller()
    results = []

    def build():
        results.append(
            ensure_environment("9.8.7", root=tmp_path, installer=installer, own_version=lambda: "3.0.0")
        )

    threads = [threading.Thread(target=build) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert installer.calls == 1 and sorted(r.created for r in results) == [False, False, True]


def test_an_interrupted_build_is_started_over(tmp_path):
    venv = tmp_path / "mlflow-9.8.7" / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").write_text("half-built")  # no completion marker
    installer = FakeInstaller()
    ensure_environment("9.8.7", root=tmp_path, installer=installer, own_version=lambda: "3.0.0")
    assert installer.calls == 1 and (venv / COMPLETE_MARKER).exists()
