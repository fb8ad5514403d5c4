"""Registration events against the live reference gateway: recorded, rejected, best effort, skipped."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest

from hokusai.core import ModelRegistry
from hokusai.exceptions import NotificationError
from hokusai_contracts.servers import free_port

pytestmark = pytest.mark.server


@pytest.fixture
def model_folder(tmp_path: Path) -> str:
    """The smallest MLflow model folder the registry uploads (an MLmodel file)."""
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "MLmodel").write_text("flavors: {}\n")
    return str(folder)


def events_of(gateway, key: str, model_name: str) -> list[dict]:
    """The gateway's recorded events of ``model_name`` (GET, read scope)."""
    request = urllib.request.Request(
        f"{gateway.url}/api/models/tokenized-registration-events?model_name={model_name}",
        headers={"Authorization": f"Bearer {key}"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())["events"]


def register(registry: ModelRegistry, model_folder: str, name: str, **kwargs) -> dict:
    return registry.register_tokenized_model(model_folder, name, "XRAY", "accuracy", 0.91, **kwargs)


def test_event_is_recorded_with_a_write_key(gateway, model_folder, unique_name):
    registry = ModelRegistry(
        tracking_uri=gateway.tracking_uri, api_key=gateway.keys.write, api_endpoint=gateway.url
    )
    name = unique_name("event")
    result = register(registry, model_folder, name, additional_tags={"team": "growth"})

    assert result["notification"] == {
        "status": "sent",
        "endpoint": f"{gateway.url}/api/models/tokenized-registration-events",
        "status_code": 201,
        "reason": None,
    }
    (event,) = events_of(gateway, gateway.keys.read, name)
    assert (event["model_name"], event["model_version"], event["token_id"]) == (name, "1", "XRAY")
    assert (event["metric_name"], event["baseline_value"]) == ("accuracy", 0.91)
    assert event["mlflow_run_id"] == result["mlflow_run_id"]
    assert event["tags"]["team"] == "growth"


def test_a_read_only_key_is_refused_after_mlflow_registered(
    gateway, mlflow_server, model_folder, unique_name
):
    # MLflow without auth takes the registration; the platform refuses the read-only key's event.
    registry = ModelRegistry(
        tracking_uri=mlflow_server.url, api_key=gateway.keys.read, api_endpoint=gateway.url
    )
    name = unique_name("refused")
    with pytest.raises(NotificationError) as info:
        register(registry, model_folder, name)

    exc = info.value
    assert (exc.mlflow_registered, exc.status_code) == (True, 403)
    assert f"Model '{name}' version 1 was registered in MLflow" in str(exc)
    assert "mlflow:write" in str(exc) and "mlflow:write" in exc.fix
    assert exc.result["version"] == "1" and exc.result["notification"]["status"] == "failed"
    for text in (str(exc), repr(exc)):
        assert gateway.keys.read not in text
    assert registry.get_tokenized_model(name)["version"] == "1", "the MLflow registration stands"
    assert events_of(gateway, gateway.keys.read, name) == []


def test_best_effort_returns_the_failure(gateway, mlflow_server, model_folder, unique_name):
    registry = ModelRegistry(
        tracking_uri=mlflow_server.url, api_key=gateway.keys.read, api_endpoint=gateway.url
    )
    result = register(registry, model_folder, unique_name("best-effort"), best_effort_notification=True)
    assert result["status"] == "registered"
    notification = result["notification"]
    assert (notification["status"], notification["status_code"]) == ("failed", 403)
    assert "mlflow:write" in notification["reason"]
    assert gateway.keys.read not in json.dumps(result)


def test_unreachable_platform(mlflow_server, model_folder, unique_name):
    registry = ModelRegistry(
        tracking_uri=mlflow_server.url,
        api_key="hk_test_" + "u" * 32,
        api_endpoint=f"http://127.0.0.1:{free_port()}",
    )
    with pytest.raises(NotificationError) as info:
        register(registry, model_folder, unique_name("unreachable"), notification_timeout=2)
    assert info.value.mlflow_registered and info.value.status_code is None
    assert "unreachable" in str(info.value) and "HOKUSAI_API_ENDPOINT" in info.value.fix


def test_explicit_endpoint_and_opt_out(gateway, mlflow_server, model_folder, unique_name):
    registry = ModelRegistry(tracking_uri=mlflow_server.url, api_key=gateway.keys.write)
    skipped = register(registry, model_folder, unique_name("no-endpoint"))
    assert skipped["notification"]["status"] == "skipped"
    name = unique_name("explicit")
    sent = register(registry, model_folder, name, notification_api_endpoint=gateway.url)
    assert sent["notification"]["status"] == "sent"
    assert len(events_of(gateway, gateway.keys.read, name)) == 1
    off = register(registry, model_folder, name, notify_site=False, notification_api_endpoint=gateway.url)
    assert off["notification"]["status"] == "skipped" and off["version"] == "2"
    assert len(events_of(gateway, gateway.keys.read, name)) == 1


def test_embedded_store_without_endpoint_is_skipped(model_folder):
    result = register(ModelRegistry(), model_folder, "embedded-model")
    assert result["status"] == "registered"
    notification = result["notification"]
    assert notification["status"] == "skipped" and notification["endpoint"] is None
    assert "embedded store" in notification["reason"]
