"""401 / 403 / 500 / unreachable against a real ``mlflow server --app-name basic-auth`` (no mocks).

Server behaviour this file relies on (MLflow 3.x basic-auth app, default permission READ):
no credentials or a wrong password -> 401; a READ user may create a *new* registered model (the
creator gets MANAGE on it) but gets 403 "Permission denied" writing to the admin's model; a
bearer token makes the server crash on the missing password -> HTTP 500.
"""

from __future__ import annotations

import os
import traceback

import pytest

from hokusai._credentials import Credentials
from hokusai._mlflow.session import MLflowSession
from hokusai._mlflow.target import resolve_target
from hokusai.auth import HokusaiAuth
from hokusai.config import (
    get_current_mlflow_auth,
    get_mlflow_auth_status,
    reset_mlflow_auth,
    setup_mlflow_auth,
)
from hokusai.exceptions import (
    AuthenticationError,
    AuthorizationError,
    MLflowAuthenticationError,
    MLflowConnectionError,
)
from hokusai_contracts.servers import free_port

pytestmark = [pytest.mark.server, pytest.mark.auth_server]

WRONG_PASSWORD = "not-the-right-password-42"
TOKEN = "hk_test_0123456789abcdefKq7"


class EnvironGuard:
    """Snapshot of ``os.environ`` and MLflow's global tracking URI, compared when the test ends."""

    def __init__(self) -> None:
        self.rebase()

    @staticmethod
    def _environ() -> dict[str, str]:
        return {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}

    def rebase(self) -> None:
        """Take the snapshot now (after a test has set up its own variables)."""
        import mlflow  # importing MLflow sets _MLFLOW_TELEMETRY_SESSION_ID once: import before the snapshot

        self.environ = self._environ()
        self.tracking_uri = mlflow.get_tracking_uri()

    def check(self) -> None:
        import mlflow

        assert self._environ() == self.environ
        assert mlflow.get_tracking_uri() == self.tracking_uri


@pytest.fixture(autouse=True)
def environ_guard():
    """Every test leaves ``os.environ`` and MLflow's tracking URI exactly as it found them."""
    reset_mlflow_auth()
    guard = EnvironGuard()
    yield guard
    reset_mlflow_auth()
    guard.check()


def session_for(server, credentials: Credentials) -> MLflowSession:
    return MLflowSession(resolve_target(server.url, credentials=credentials))


def basic(user: tuple[str, str]) -> Credentials:
    return Credentials(username=user[0], password=user[1])


def full_text(exc: BaseException) -> str:
    """str, repr and the whole formatted traceback chain: everything a user could get to see."""
    return "\n".join([str(exc), repr(exc), *traceback.format_exception(exc)])


@pytest.fixture
def admin_model(basic_auth_server, unique_name):
    """A registered model created (and so owned) by the admin."""
    name = unique_name("admin-model")
    session_for(basic_auth_server, basic(basic_auth_server.users.admin)).call(
        lambda client: client.create_registered_model(name)
    )
    return name


class TestAuthentication:
    def test_no_credentials_is_an_authentication_error(self, basic_auth_server):
        with pytest.raises(AuthenticationError) as info:
            setup_mlflow_auth(basic_auth_server.url)
        exc = info.value
        assert exc.status_code == 401
        assert exc.endpoint == "/api/2.0/mlflow/experiments/search"
        assert exc.tracking_uri == basic_auth_server.url
        assert "credential sent: none" in str(exc)
        assert "HOKUSAI_API_KEY" in exc.fix
        assert "MLFLOW_TRACKING_TOKEN" in exc.fix
        assert get_current_mlflow_auth() is None  # a failed setup records nothing

    def test_wrong_password_never_shows_the_password(self, basic_auth_server):
        with pytest.raises(AuthenticationError) as info:
            setup_mlflow_auth(basic_auth_server.url, username="reader", password=WRONG_PASSWORD)
        exc = info.value
        assert exc.status_code == 401
        assert exc.credential.startswith("basic auth as 'reader'")
        assert WRONG_PASSWORD not in full_text(exc)

    def test_credentials_from_the_environment(self, basic_auth_server, monkeypatch, environ_guard):
        monkeypatch.setenv("MLFLOW_TRACKING_URI", basic_auth_server.url)
        monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "reader")
        monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", WRONG_PASSWORD)
        environ_guard.rebase()
        with pytest.raises(AuthenticationError):
            setup_mlflow_auth()
        environ_guard.check()
        monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", basic_auth_server.users.reader_password)
        environ_guard.rebase()
        config = setup_mlflow_auth()
        assert config.source == "environment (MLFLOW_TRACKING_URI)"
        assert config.auth_type == "basic"

    def test_valid_credentials_are_recorded_and_reported(self, basic_auth_server):
        username, password = basic_auth_server.users.admin
        config = setup_mlflow_auth(basic_auth_server.url, username=username, password=password)
        assert get_current_mlflow_auth() is config
        status = get_mlflow_auth_status(check=True)
        assert status["tracking_uri"] == basic_auth_server.url
        assert (status["auth_type"], status["configured"], status["origin"]) == (
            "basic",
            True,
            "setup_mlflow_auth",
        )
        assert (status["reachable"], status["authenticated"], status["error"]) == (True, True, None)
        assert password not in repr(status)

    def test_status_check_reports_rejected_credentials(self, basic_auth_server, monkeypatch, environ_guard):
        monkeypatch.setenv("MLFLOW_TRACKING_URI", basic_auth_server.url)
        monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "reader")
        monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", WRONG_PASSWORD)
        environ_guard.rebase()
        status = get_mlflow_auth_status(check=True)
        assert (status["reachable"], status["authenticated"]) == (True, False)
        assert "401" in status["error"]
        assert WRONG_PASSWORD not in repr(status)


class TestAuthorization:
    def test_reader_writing_to_the_admins_model_is_an_authorization_error(
        self, basic_auth_server, admin_model
    ):
        reader = basic(basic_auth_server.users.reader)
        with pytest.raises(AuthorizationError) as info:
            session_for(basic_auth_server, reader).call(
                lambda client: client.set_registered_model_tag(admin_model, "stage", "prod")
            )
        exc = info.value
        assert isinstance(exc, MLflowAuthenticationError)
        assert exc.status_code == 403
        assert exc.endpoint == "/api/2.0/mlflow/registered-models/set-tag"
        assert exc.tracking_uri == basic_auth_server.url
        assert exc.credential.startswith("basic auth as 'reader'")
        assert "credential sent: basic auth as 'reader'" in str(exc)
        # A basic-auth user has no key scopes: the fix names the user and the MLflow permission.
        assert "'reader'" in exc.fix and "EDIT" in exc.fix
        assert basic_auth_server.users.reader_password not in full_text(exc)

    def test_403_is_not_retried(self, basic_auth_server, admin_model):
        calls = []

        def tag(client):
            calls.append(1)
            client.set_registered_model_tag(admin_model, "k", "v")

        with pytest.raises(AuthorizationError):
            session_for(basic_auth_server, basic(basic_auth_server.users.reader)).call(tag)
        assert len(calls) == 1

    def test_reader_may_create_and_then_manage_its_own_model(self, basic_auth_server, unique_name):
        name = unique_name("reader-model")
        session = session_for(basic_auth_server, basic(basic_auth_server.users.reader))
        session.call(lambda client: client.create_registered_model(name))
        session.call(lambda client: client.set_registered_model_tag(name, "owner", "reader"))
        tags = session.call(lambda client: client.get_registered_model(name).tags)
        assert tags == {"owner": "reader"}

    def test_validation_passes_for_a_read_only_user(self, basic_auth_server):
        username, password = basic_auth_server.users.reader
        config = setup_mlflow_auth(basic_auth_server.url, username=username, password=password)
        assert config.auth_type == "basic"  # setup checks authentication; permissions are per call


class TestBearerTokenOnBasicAuthServer:
    def test_is_a_500_that_names_the_credential_kind(self, basic_auth_server):
        with pytest.raises(MLflowConnectionError) as info:
            setup_mlflow_auth(basic_auth_server.url, token=TOKEN)
        exc = info.value
        assert not isinstance(exc, MLflowAuthenticationError)
        assert exc.status_code == 500
        assert exc.endpoint == "/api/2.0/mlflow/experiments/search"
        assert "credential sent: bearer token hk_test_...Kq7" in str(exc)
        assert "username=/password=" in exc.fix
        assert TOKEN not in full_text(exc)

    def test_hokusai_api_key_fallback_reaches_the_same_answer(
        self, basic_auth_server, monkeypatch, environ_guard
    ):
        monkeypatch.setenv("HOKUSAI_API_KEY", TOKEN)
        environ_guard.rebase()
        with pytest.raises(MLflowConnectionError) as info:
            setup_mlflow_auth(basic_auth_server.url)
        assert info.value.status_code == 500
        assert "bearer token" in str(info.value)

    def test_plain_session_reports_500_without_hiding_it(self, basic_auth_server):
        credentials = HokusaiAuth(api_key=TOKEN).mlflow_credentials()
        with pytest.raises(MLflowConnectionError) as info:
            session_for(basic_auth_server, credentials).ping()
        assert info.value.status_code == 500
        assert TOKEN not in full_text(info.value)


class TestUnreachable:
    def test_closed_port_is_a_connection_error_naming_the_uri(self):
        uri = f"http://127.0.0.1:{free_port()}"
        with pytest.raises(MLflowConnectionError) as info:
            setup_mlflow_auth(uri, username="admin", password=WRONG_PASSWORD)
        exc = info.value
        assert type(exc) is MLflowConnectionError
        assert exc.tracking_uri == uri
        assert uri in str(exc)
        assert exc.status_code is None
        assert WRONG_PASSWORD not in full_text(exc)

    def test_status_check_reports_unreachable(self):
        uri = f"http://127.0.0.1:{free_port()}"
        setup_mlflow_auth(uri, validate=False)
        status = get_mlflow_auth_status(check=True)
        assert (status["reachable"], status["authenticated"]) == (False, None)
        assert uri in status["error"]
