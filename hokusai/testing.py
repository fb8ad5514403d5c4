"""Helpers for test suites of code that uses the SDK.

The SDK keeps a little state per process: the retry / circuit-breaker settings and one circuit
breaker per tracking URI (:mod:`hokusai.resilience`), the config recorded by
:func:`hokusai.config.setup_mlflow_auth`, the key set by :func:`hokusai.auth.configure`, the servers
found to lack MLflow 3's LoggedModel API, and the route MLflow's fluent API is pointed at while a
session's scope is open. A test that changes any of it (opens a breaker, configures a key) leaks
into the next test. Call :func:`reset` between tests instead of writing the SDK's private module
state::

    import pytest
    import hokusai.testing

    @pytest.fixture(autouse=True)
    def fresh_hokusai():
        hokusai.testing.reset()
        yield
        hokusai.testing.reset()

Objects keep their own state: a ``ModelRegistry`` created before :func:`reset` keeps its MLflow
client (bound to its URI and credentials); create new ones in each test.
"""

from __future__ import annotations

__all__ = ["reset"]


def reset() -> None:
    """Return all process-wide SDK state to that of a fresh process (call between tests, not during calls).

    Resets: the resilience settings (read again from ``HOKUSAI_RETRY_*`` / ``HOKUSAI_CIRCUIT_*`` /
    ``HOKUSAI_REQUEST_TIMEOUT`` on next use) and every circuit breaker; the MLflow auth config
    recorded by ``setup_mlflow_auth``; the key set by ``hokusai.auth.configure`` (the config file on
    disk is left alone); the servers remembered as lacking the LoggedModel API; a fluent-API route; the
    registrations watched for late duplicate versions.
    Environment variables are not touched.
    """
    from hokusai import resilience
    from hokusai._mlflow import transport
    from hokusai.auth import client
    from hokusai.config import mlflow_auth
    from hokusai.core import _model_logging, _store

    resilience._reset_state()
    mlflow_auth.reset_mlflow_auth()
    client._reset_state()
    _model_logging._reset_state()
    transport._reset_state()
    _store._reset_state()
