"""A key saved with ``hokusai.auth.configure`` reaches MLflow calls, after every explicit source."""

from __future__ import annotations

from hokusai import ModelRegistry
from hokusai._mlflow.target import resolve_target
from hokusai.auth import configure

STORED = "hk_test_storedstoredstoredstored0001"
ENV_KEY = "hk_test_environmentenvironment0002"


def test_the_stored_key_is_sent_when_nothing_else_is_set():
    configure(STORED, save=True)
    target = resolve_target("https://mlflow.example")
    assert target.credentials.token == STORED
    assert target.credential_source.startswith("config file")
    assert ModelRegistry(tracking_uri="https://mlflow.example").session.target.credentials.token == STORED


def test_the_environment_wins_over_the_stored_key(monkeypatch):
    configure(STORED, save=True)
    monkeypatch.setenv("HOKUSAI_API_KEY", ENV_KEY)
    target = resolve_target("https://mlflow.example")
    assert (target.credentials.token, target.credential_source) == (ENV_KEY, "environment (HOKUSAI_API_KEY)")


def test_no_stored_key_means_no_credentials():
    target = resolve_target("https://mlflow.example")
    assert (target.credentials.kind, target.credential_source) == ("none", "none")


def test_the_key_is_stored_under_hokusai_home(monkeypatch, tmp_path):
    monkeypatch.setenv("HOKUSAI_HOME", str(tmp_path / "ci-home"))
    configure(STORED, save=True)
    assert (tmp_path / "ci-home" / "config").is_file()
    target = resolve_target("https://mlflow.example")
    assert target.credentials.token == STORED
    assert str(tmp_path / "ci-home" / "config") in target.credential_source
    monkeypatch.setenv("HOKUSAI_HOME", str(tmp_path / "other-home"))
    assert resolve_target("https://mlflow.example").credentials.kind == "none"
