"""Secret masking, credential/target resolution, and MLflow error translation.

Error translation is exercised with exceptions produced by MLflow's own REST code
(``call_endpoint`` / ``RestException``) against a tiny in-process HTTP server that answers with a
chosen status and body, so the text the SDK parses is exactly what MLflow produces.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hokusai._credentials import Credentials, mask_secret
from hokusai._mlflow.errors import error_code_name, http_status, is_not_found, scrub, translate
from hokusai._mlflow.target import MLflowTarget, embedded_target, resolve_target
from hokusai.exceptions import (
    AuthenticationError,
    AuthorizationError,
    ConfigurationError,
    InvalidParameterError,
    MLflowConnectionError,
    MLflowError,
    ModelNotFoundError,
    RateLimitError,
)
from hokusai_contracts.servers import free_port

TOKEN = "hk_live_0123456789abcdefQtN"
SEARCH = "/api/2.0/mlflow/experiments/search"


# --------------------------------------------------------------------------- mask_secret


class TestMaskSecret:
    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            (None, "none"),
            ("", "none"),
            ("short", "***"),
            ("hk_live_abc", "hk_live_***"),
            (TOKEN, "hk_live_...QtN"),
            ("hk_test_abcdefghXYZ", "hk_test_...XYZ"),
            ("dapi0123456789abcdef", "dapi...def"),
            ("plain-secret-value", "...lue"),
        ],
    )
    def test_examples(self, value, expected):
        assert mask_secret(value) == expected

    @given(st.text(min_size=1))
    def test_shows_at_most_a_known_prefix_and_three_characters(self, value):
        masked = mask_secret(value)
        prefix = next((p for p in ("hk_live_", "hk_test_", "dapi") if value.startswith(p)), "")
        assert masked in (f"{prefix}***", f"{prefix}...{value[-3:]}")
        if len(value) - len(prefix) >= 4:
            assert value not in masked


# --------------------------------------------------------------------------- Credentials


class TestCredentials:
    def test_kind_precedence(self):
        assert Credentials().kind == "none"
        assert Credentials(token=TOKEN).kind == "bearer"
        assert Credentials(username="u", password="p" * 12).kind == "basic"
        assert Credentials(token=TOKEN, username="u", password="p" * 12).kind == "basic"
        assert Credentials(username="u").kind == "none"  # half a basic-auth pair is nothing
        assert Credentials(token=TOKEN, aws_sigv4=True).kind == "aws-sigv4"

    def test_describe_is_masked(self):
        password = "correct-horse-battery"
        assert Credentials(token=TOKEN).describe() == "bearer token hk_live_...QtN"
        text = Credentials(username="reader", password=password).describe()
        assert text.startswith("basic auth as 'reader'")
        assert password not in text
        assert Credentials(client_cert_path="/c.pem").describe() == "client certificate /c.pem"

    def test_repr_hides_secrets(self):
        text = repr(Credentials(token=TOKEN, username="u", password="correct-horse-battery"))
        assert TOKEN not in text
        assert "correct-horse-battery" not in text

    def test_environment_sends_one_credential(self):
        both = Credentials(token=TOKEN, username="u", password="pw-123456789")
        env = both.environment()
        assert env["MLFLOW_TRACKING_TOKEN"] is None  # basic wins, as in MLflow itself
        assert (env["MLFLOW_TRACKING_USERNAME"], env["MLFLOW_TRACKING_PASSWORD"]) == ("u", "pw-123456789")
        env = Credentials(token=TOKEN, insecure_tls=True, ca_bundle_path="/ca").environment()
        assert env["MLFLOW_TRACKING_TOKEN"] == TOKEN
        assert env["MLFLOW_TRACKING_USERNAME"] is None
        assert env["MLFLOW_TRACKING_INSECURE_TLS"] == "true"
        assert env["MLFLOW_TRACKING_SERVER_CERT_PATH"] == "/ca"

    def test_from_environment(self):
        creds = Credentials.from_environment(
            {
                "MLFLOW_TRACKING_TOKEN": TOKEN,
                "MLFLOW_TRACKING_INSECURE_TLS": "Yes",
                "MLFLOW_TRACKING_CLIENT_CERT_PATH": "/c.pem",
                "MLFLOW_TRACKING_USERNAME": "",
            }
        )
        assert (creds.token, creds.username, creds.insecure_tls, creds.client_cert_path) == (
            TOKEN,
            None,
            True,
            "/c.pem",
        )

    def test_secrets(self):
        assert Credentials(token=TOKEN, password="pw").secrets() == (TOKEN, "pw")
        assert Credentials().secrets() == ()


# --------------------------------------------------------------------------- resolve_target


class TestResolveTarget:
    def test_argument_beats_environment(self):
        target = resolve_target("http://arg:5000/", environ={"MLFLOW_TRACKING_URI": "http://env:5000"})
        assert (target.tracking_uri, target.source) == ("http://arg:5000", "argument")
        assert target.is_remote and not target.is_embedded

    def test_environment_uri(self):
        target = resolve_target(environ={"MLFLOW_TRACKING_URI": "http://env:5000"})
        assert (target.tracking_uri, target.source) == (
            "http://env:5000",
            "environment (MLFLOW_TRACKING_URI)",
        )

    def test_embedded_default(self, tmp_path):
        target = resolve_target(environ={"HOKUSAI_HOME": str(tmp_path / "hk")})
        assert target.is_embedded
        assert target.tracking_uri == f"sqlite:///{tmp_path / 'hk' / 'mlflow.db'}"
        assert target.artifact_root == (tmp_path / "hk" / "artifacts").as_uri()
        assert (tmp_path / "hk").is_dir()

    def test_mock_mode_ignores_environment_uri_only(self, tmp_path):
        environ = {
            "HOKUSAI_MOCK_MODE": "1",
            "MLFLOW_TRACKING_URI": "http://env",
            "HOKUSAI_HOME": str(tmp_path),
        }
        assert resolve_target(environ=environ).is_embedded
        assert resolve_target("http://arg", environ=environ).tracking_uri == "http://arg"

    def test_unwritable_home(self, tmp_path):
        blocker = tmp_path / "file"
        blocker.write_text("")
        with pytest.raises(ConfigurationError) as info:
            embedded_target({"HOKUSAI_HOME": str(blocker / "sub")})
        assert info.value.missing_key == "HOKUSAI_HOME"

    def test_credential_precedence(self):
        environ = {
            "MLFLOW_TRACKING_URI": "http://env",
            "MLFLOW_TRACKING_USERNAME": "env-user",
            "MLFLOW_TRACKING_PASSWORD": "env-password-1",
            "HOKUSAI_API_KEY": "hk_test_hokusaikey000000",
            "MLFLOW_TRACKING_SERVER_CERT_PATH": "/ca.pem",
        }
        explicit = Credentials(token="explicit-token-value")
        assert resolve_target(credentials=explicit, api_key=TOKEN, environ=environ).credentials is explicit
        from_key = resolve_target(api_key=TOKEN, environ=environ).credentials
        assert (from_key.kind, from_key.token, from_key.ca_bundle_path) == ("bearer", TOKEN, "/ca.pem")
        assert resolve_target(environ=environ).credentials.kind == "basic"
        del environ["MLFLOW_TRACKING_USERNAME"], environ["MLFLOW_TRACKING_PASSWORD"]
        fallback = resolve_target(environ=environ).credentials
        assert (fallback.token, fallback.ca_bundle_path) == ("hk_test_hokusaikey000000", "/ca.pem")
        environ["MLFLOW_TRACKING_TOKEN"] = TOKEN
        assert resolve_target(environ=environ).credentials.token == TOKEN
        del environ["MLFLOW_TRACKING_TOKEN"], environ["HOKUSAI_API_KEY"]
        assert resolve_target(environ=environ).credentials.kind == "none"

    def test_describe_is_masked(self):
        target = resolve_target("http://h:1", api_key=TOKEN, environ={})
        assert target.describe() == "http://h:1 (from argument; credentials: bearer token hk_live_...QtN)"


# --------------------------------------------------------------------------- a tiny HTTP server


class _Handler(BaseHTTPRequestHandler):
    """Answers ``/<status>/<kind>/...``: kind ``text``, ``json:<ERROR_CODE>``, ``echo`` or ``slow``."""

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        _, status, kind, *_ = self.path.split("/", 3)
        if kind == "slow":
            time.sleep(2)
        if kind.startswith("json:"):
            body = json.dumps({"error_code": kind[5:], "message": f"server says {kind[5:]}"})
        elif kind == "proxy":  # an auth proxy's JSON error: no MLflow error_code
            body = json.dumps({"error": "invalid_token", "message": "token expired"})
        elif kind == "echo":  # a careless server repeating the credential back
            body = json.dumps(
                {
                    "error_code": "RESOURCE_DOES_NOT_EXIST",
                    "message": f"nothing for {self.headers.get('Authorization')}",
                }
            )
        else:
            body = "Permission denied" if status == "403" else "You are not authenticated."
        data = body.encode()
        try:
            self.send_response(int(status))
            self.send_header("Content-Type", "application/json" if body.startswith("{") else "text/plain")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up first (the timeout test)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def http_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def mlflow_failure(base_url: str, path: str, credentials: Credentials) -> Exception:
    """The exception MLflow's REST client raises for a POST to ``base_url + path``."""
    from mlflow.protos.service_pb2 import SearchExperiments
    from mlflow.utils.rest_utils import MlflowHostCreds, call_endpoint

    creds = MlflowHostCreds(base_url, token=credentials.token)
    with pytest.raises(Exception) as info:
        call_endpoint(creds, path, "POST", "{}", SearchExperiments.Response())
    return info.value


@pytest.fixture
def fail(http_server, monkeypatch):
    """``fail(status, kind)`` -> (MLflow's exception, the SDK's translation)."""
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")  # as MLflowSession sets it
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "1")
    credentials = Credentials(token=TOKEN)

    def run(status: int, kind: str = "text", base: str | None = None):
        base = base or f"{http_server}/{status}/{kind}"
        raw = mlflow_failure(base, SEARCH, credentials)
        target = MLflowTarget(tracking_uri=base, source="argument", credentials=credentials)
        return raw, translate(raw, target)

    return run


class TestTranslateRealMlflowErrors:
    def test_401_text_body(self, fail):
        raw, exc = fail(401)
        assert type(raw).__name__ == "MlflowException"
        assert http_status(raw) == 401
        assert isinstance(exc, AuthenticationError)
        assert (exc.status_code, exc.endpoint) == (401, SEARCH)
        assert exc.credential == "bearer token hk_live_...QtN"
        assert "credential sent: bearer token hk_live_...QtN" in str(exc)
        assert "MLFLOW_TRACKING_TOKEN" in exc.fix
        assert TOKEN not in str(exc)

    def test_403_text_body(self, fail):
        raw, exc = fail(403)
        assert http_status(raw) == 403
        assert isinstance(exc, AuthorizationError)
        assert (exc.status_code, exc.endpoint) == (403, SEARCH)
        assert "mlflow:write" in exc.fix

    @pytest.mark.parametrize(
        ("code", "status", "cls"),
        [
            ("UNAUTHENTICATED", 401, AuthenticationError),
            ("PERMISSION_DENIED", 403, AuthorizationError),
            ("403", 403, AuthorizationError),  # a proxy putting the HTTP status in error_code
            ("RESOURCE_DOES_NOT_EXIST", 404, MLflowError),
            ("INVALID_PARAMETER_VALUE", 400, InvalidParameterError),
        ],
    )
    def test_json_bodies_become_rest_exceptions(self, fail, code, status, cls):
        raw, exc = fail(status, f"json:{code}")
        assert type(raw).__name__ == "RestException"
        assert http_status(raw) == status
        assert type(exc) is cls
        if isinstance(exc, MLflowError):
            assert exc.status_code == status

    def test_not_found(self, fail):
        raw, exc = fail(404, "json:RESOURCE_DOES_NOT_EXIST")
        assert is_not_found(raw)
        assert is_not_found(exc)
        assert not isinstance(exc, ModelNotFoundError)  # which model is the caller's knowledge

    @pytest.mark.parametrize("status", [429, 500, 503])
    def test_transient_statuses(self, fail, status):
        raw, exc = fail(status)
        assert f"too many {status} error responses" in str(raw)
        assert http_status(raw) == status
        assert isinstance(exc, MLflowConnectionError)
        assert exc.status_code == status
        assert isinstance(exc, RateLimitError) == (status == 429)

    def test_unreachable_port(self, fail):
        base = f"http://127.0.0.1:{free_port()}"
        raw, exc = fail(0, base=base)
        assert http_status(raw) is None
        assert type(exc) is MLflowConnectionError
        assert exc.status_code is None
        assert base in str(exc)

    def test_timeout(self, fail):
        raw, exc = fail(200, "slow")
        assert "timeout" in str(raw)
        assert type(exc) is MLflowConnectionError

    @pytest.mark.xfail(
        strict=True,
        reason="MLflow turns any JSON error body into a RestException without the HTTP status; "
        "with no MLflow error_code it reads as INTERNAL_ERROR, so a proxy's JSON 401 surfaces as a 500",
    )
    def test_proxy_json_401_is_an_authentication_error(self, fail):
        _, exc = fail(401, "proxy")
        assert isinstance(exc, AuthenticationError)

    def test_proxy_json_401_today(self, fail):
        raw, exc = fail(401, "proxy")
        assert type(raw).__name__ == "RestException"
        # The real status is unknown to the client; it must not be retried as if it were a 500.
        assert type(exc) is MLflowError
        assert exc.status_code is None
        assert "token expired" in str(exc)

    def test_echoed_secret_is_scrubbed(self, fail):
        raw, exc = fail(404, "echo")
        assert TOKEN in str(raw)  # MLflow passes the server's text on verbatim...
        assert TOKEN not in str(exc)  # ...the SDK does not
        assert "***" in str(exc)


class TestTranslateEdges:
    target = MLflowTarget(tracking_uri="http://h:1", source="argument", credentials=Credentials(token=TOKEN))

    def test_sdk_exceptions_pass_through(self):
        exc = ConfigurationError("x")
        assert translate(exc, self.target) is exc

    def test_foreign_exceptions_pass_through(self):
        exc = ValueError("nope")
        assert translate(exc, self.target) is exc

    def test_builtin_connection_errors(self):
        exc = translate(ConnectionRefusedError("refused"), self.target)
        assert type(exc) is MLflowConnectionError
        assert "http://h:1" in str(exc)

    def test_error_code_names(self):
        from mlflow.exceptions import MlflowException, RestException
        from mlflow.protos.databricks_pb2 import PERMISSION_DENIED

        assert error_code_name(MlflowException("x", error_code=PERMISSION_DENIED)) == "PERMISSION_DENIED"
        assert error_code_name(ValueError()) is None
        assert http_status(MlflowException("x", error_code=PERMISSION_DENIED)) == 403
        assert http_status(MlflowException("generic failure")) is None  # INTERNAL_ERROR, not HTTP
        assert http_status(RestException({"error_code": "INTERNAL_ERROR", "message": "boom"})) == 500

    def test_unknown_rest_error_code_counts_as_internal_error(self):
        from mlflow.exceptions import RestException

        # MLflow itself maps an unknown error_code to INTERNAL_ERROR, which reads as HTTP 500.
        raw = RestException({"error_code": "TEAPOT", "message": "short and stout"})
        exc = translate(raw, self.target)
        assert type(exc) is MLflowConnectionError
        assert exc.status_code == 500
        assert "short and stout" in str(exc)

    def test_scrub(self):
        assert scrub(f"a {TOKEN} b {TOKEN}", (TOKEN,)) == "a *** b ***"
        assert scrub("nothing", ()) == "nothing"
