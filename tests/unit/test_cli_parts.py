"""The CLI's pure parts: failure diagnoses, credential sources, fixes and rendering (no server)."""

from __future__ import annotations

import socket
import ssl

import pytest

from hokusai._credentials import Credentials
from hokusai.auth.config import stored_key_label
from hokusai.cli._connection import StoredKey, resolve_connection
from hokusai.cli._diagnosis import connection_failure, forbidden_fix, unauthenticated_fix, uri_problem
from hokusai.cli._output import format_table
from hokusai.cli._report import FAILED, OK, SKIPPED, Check, DoctorReport, render_text

URI = "https://mlflow.example.com:8443"
KEY = "hk_live_abcdefghijklmnopQtN"
PASSWORD = "correct-horse-battery-staple"


def wrapped(inner: BaseException, outer_type: type[Exception] = OSError) -> Exception:
    """``inner`` raised inside another exception, as requests and urllib3 chain them."""
    try:
        try:
            raise inner
        except BaseException as exc:
            raise outer_type("Max retries exceeded with url: /health") from exc
    except Exception as outer:
        return outer


@pytest.mark.parametrize(
    ("exc", "problem", "in_summary"),
    [
        (
            wrapped(ConnectionRefusedError(111, "Connection refused")),
            "connection_refused",
            "connection refused",
        ),
        (wrapped(socket.gaierror(-2, "Name or service not known")), "dns", "does not resolve"),
        (OSError("Failed to resolve 'mlflow.example.com'"), "dns", "'mlflow.example.com'"),
        (
            wrapped(
                ssl.SSLCertVerificationError(1, "[SSL: CERTIFICATE_VERIFY_FAILED] self-signed certificate")
            ),
            "tls",
            "certificate verify failed",
        ),
        (OSError("[SSL: WRONG_VERSION_NUMBER] wrong version number"), "tls", "does not speak TLS"),
        (wrapped(TimeoutError("timed out")), "timeout", "no answer"),
        (OSError("something else entirely"), "unreachable", "something else entirely"),
    ],
)
def test_connection_failures_are_told_apart(exc, problem, in_summary):
    diagnosis = connection_failure(exc, URI)
    assert diagnosis.problem == problem
    assert in_summary in diagnosis.summary and URI in diagnosis.summary
    assert diagnosis.fix


def test_refused_fix_names_the_port():
    diagnosis = connection_failure(ConnectionRefusedError(111, "Connection refused"), "http://127.0.0.1:5999")
    assert "--port 5999" in diagnosis.fix and "MLFLOW_TRACKING_URI" in diagnosis.fix


def test_tls_fix_points_at_the_ca_bundle_setting():
    diagnosis = connection_failure(OSError("certificate verify failed: unable to get local issuer"), URI)
    assert (
        "MLFLOW_TRACKING_SERVER_CERT_PATH" in diagnosis.fix
        and "MLFLOW_TRACKING_INSECURE_TLS" in diagnosis.fix
    )


@pytest.mark.parametrize(
    ("uri", "problem"),
    [
        ("http://localhost:5000", None),
        ("sqlite:////tmp/mlflow.db", None),
        ("/var/mlruns", None),
        ("localhost:5000", "did you mean http://localhost:5000?"),
        ("http://", "names no host"),
        ("http://host:port", "invalid port"),
    ],
)
def test_uri_problems(uri, problem):
    found = uri_problem(uri)
    if problem is None:
        assert found is None
    else:
        assert problem in f"{found.summary} {found.fix}"


def test_fixes_name_the_user_and_never_a_secret():
    basic = Credentials(username="reader", password=PASSWORD)
    bearer = Credentials(token=KEY)
    texts = [
        unauthenticated_fix(basic, "environment"),
        unauthenticated_fix(bearer, "argument (--api-key)"),
        unauthenticated_fix(Credentials(), "none"),
        forbidden_fix(basic, "EDIT permission on experiment 'x'", alternative="use --experiment"),
        forbidden_fix(bearer, "EDIT permission on experiment 'x'"),
    ]
    assert "'reader'" in texts[0] and "hk_live_...QtN" in texts[1] and "MLFLOW_TRACKING_USERNAME" in texts[2]
    assert "EDIT permission on experiment 'x'" in texts[3] and "use --experiment" in texts[3]
    assert "mlflow:write" in texts[4]
    assert not any(PASSWORD in text or KEY in text for text in texts)


def test_uri_and_credential_sources():
    env = {"MLFLOW_TRACKING_URI": "http://env-host:5000"}
    from_env = resolve_connection(environ=env, stored=StoredKey())
    assert (from_env.target.tracking_uri, from_env.uri_source) == (
        "http://env-host:5000",
        "environment (MLFLOW_TRACKING_URI)",
    )
    assert from_env.credential_source == "none"

    argument = resolve_connection("http://arg-host:5000", KEY, environ=env, stored=StoredKey())
    assert argument.uri_source == "argument (--mlflow-uri)"
    assert (
        argument.credential_source == "argument (--api-key)" and argument.target.credentials.kind == "bearer"
    )
    assert any("MLFLOW_TRACKING_URI is set but not used" in note.text for note in argument.notes)


def test_basic_auth_wins_over_hokusai_api_key_and_says_so():
    env = {
        "MLFLOW_TRACKING_URI": "http://h:5000",
        "MLFLOW_TRACKING_USERNAME": "reader",
        "MLFLOW_TRACKING_PASSWORD": PASSWORD,
        "HOKUSAI_API_KEY": KEY,
    }
    connection = resolve_connection(environ=env, stored=StoredKey())
    assert connection.target.credentials.kind == "basic"
    assert "MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD" in connection.credential_source
    assert any("HOKUSAI_API_KEY" in note.text and "not sent" in note.text for note in connection.notes)
    assert connection.redact(f"pw={PASSWORD} key={KEY}") == "pw=*** key=***"


def test_a_username_without_password_is_pointed_out():
    env = {"MLFLOW_TRACKING_URI": "http://h:5000", "MLFLOW_TRACKING_USERNAME": "reader"}
    connection = resolve_connection(environ=env, stored=StoredKey())
    assert connection.target.credentials.kind == "none"
    assert any("without MLFLOW_TRACKING_PASSWORD" in note.text for note in connection.notes)


def test_the_config_file_key_is_the_last_resort():
    env = {"MLFLOW_TRACKING_URI": "http://h:5000"}
    connection = resolve_connection(environ=env, stored=StoredKey(KEY))
    assert connection.credential_source == stored_key_label()
    assert connection.target.credentials.token == KEY and connection.api_key == KEY
    assert not any("ModelRegistry() in Python does not read" in note.text for note in connection.notes)
    with_env_key = resolve_connection(
        environ={**env, "HOKUSAI_API_KEY": "hk_test_otherkey12345"}, stored=StoredKey(KEY)
    )
    assert with_env_key.credential_source == "environment (HOKUSAI_API_KEY)"


def test_a_password_in_the_uri_is_masked_and_pointed_out():
    connection = resolve_connection(f"http://bob:{PASSWORD}@h:5000", environ={}, stored=StoredKey())
    assert PASSWORD not in connection.display_uri and "bob:***@" in connection.display_uri
    assert any("carries a password" in note.text for note in connection.notes)


def test_embedded_default_has_no_credential(tmp_path):
    connection = resolve_connection(environ={"HOKUSAI_HOME": str(tmp_path)}, stored=StoredKey(KEY))
    assert connection.uri_source == "embedded default" and connection.target.credentials.kind == "none"
    assert connection.api_key is None


def test_format_table_aligns_columns():
    assert format_table(("A", "LONG"), [("x", None), ("yyy", 1)]).splitlines() == [
        "A    LONG",
        "x    -",
        "yyy  1",
    ]


def test_report_text_and_exit_code():
    report = DoctorReport(
        tracking_uri="http://h:5000",
        uri_source="argument (--mlflow-uri)",
        credential="basic auth as 'reader' (password ***)",
        credential_kind="basic",
        credential_source="environment",
        versions={"hokusai": "1"},
        checks=(
            Check("read", OK, "ok"),
            Check("write", FAILED, "forbidden (HTTP 403)", "forbidden", 403, "ask an admin\nor use another"),
            Check("version", SKIPPED, "unknown"),
        ),
    )
    text = render_text(report)
    assert report.exit_code == 1 and report.access == "read: ok, write: forbidden"
    assert "fix: ask an admin" in text and "fix: or use another" in text
    assert "Result: read: ok, write: forbidden" in text
    assert report.to_dict()["checks"]["write"]["http_status"] == 403
