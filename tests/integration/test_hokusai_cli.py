"""The ``hokusai`` command line against real MLflow servers (plain and basic-auth), through CliRunner.

Every run is also checked for what must never appear: a traceback, a password, an API key.
"""

from __future__ import annotations

import datetime
import http.server
import json
import pickle
import ssl
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner, Result

from hokusai import __version__
from hokusai._credentials import Credentials
from hokusai._mlflow.session import MLflowSession
from hokusai._mlflow.target import resolve_target
from hokusai.auth import ProfileManager, default_config_path
from hokusai.cli import main
from hokusai.core import ModelRegistry
from hokusai_contracts.servers import free_port

pytestmark = pytest.mark.server

API_KEY = "hk_test_cli0123456789secretXyZ"


def run(*args: str, secrets: tuple[str, ...] = ()) -> Result:
    """Invoke ``hokusai ARGS``; fail on a traceback or on any secret in the output."""
    result = CliRunner().invoke(main, list(args))
    output = result.output
    assert "Traceback" not in output, output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    for secret in (API_KEY, *secrets):
        assert secret not in output, f"a secret was printed:\n{output}"
    return result


def doctor_json(*args: str, secrets: tuple[str, ...] = ()) -> dict:
    result = run("doctor", "--json", *args, secrets=secrets)
    data = json.loads(result.stdout)
    assert data["exit_code"] == result.exit_code
    return data


@pytest.fixture(scope="module")
def fitted() -> tuple[object, np.ndarray]:
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(3)
    features = rng.normal(size=(40, 3))
    return LogisticRegression().fit(features, (features[:, 1] > 0).astype(int)), features


@pytest.fixture
def model_file(tmp_path, fitted) -> Path:
    import joblib

    path = tmp_path / "model.joblib"
    joblib.dump(fitted[0], path)
    return path


def admin_session(server) -> MLflowSession:
    username, password = server.users.admin
    return MLflowSession(
        resolve_target(server.url, credentials=Credentials(username=username, password=password))
    )


# -- model register / versions / models list ---------------------------------------------------------


def test_register_then_list_and_show_versions(mlflow_server, model_file, fitted, unique_name):
    token = unique_name("tok").upper()
    result = run(
        "model", "register", "--token-id", token, "--model-path", str(model_file),
        "--metric", "accuracy", "--baseline", "0.91", "--mlflow-uri", mlflow_server.url,
        "--no-infer-requirements",  # MLflow's inference loads the model in a subprocess: seconds
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    name = token.lower()
    assert f"Registered model '{name}' version 1 for token {token}" in result.stdout
    assert "LogisticRegression from model.joblib (logged with mlflow.sklearn)" in result.stdout
    assert "run id:" in result.stdout and f"models:/{name}/1" in result.stdout

    import mlflow.pyfunc

    registry = ModelRegistry(tracking_uri=mlflow_server.url)
    with registry.session.scope():
        loaded = mlflow.pyfunc.load_model(f"models:/{name}/1")
    model, features = fitted
    np.testing.assert_array_equal(loaded.predict(features), model.predict(features))
    with registry.session.scope():
        requirements = Path(mlflow.pyfunc.get_model_dependencies(f"models:/{name}/1")).read_text()
    assert "scikit-learn" in requirements

    versions = run("versions", name, "--mlflow-uri", mlflow_server.url)
    assert versions.exit_code == 0
    header, row = versions.stdout.splitlines()[:2]
    assert header.split()[:4] == ["VERSION", "MLFLOW", "CREATED", "TOKEN"]
    assert row.split()[:2] == ["1", "1"] and token in row and "READY" in row

    listed = run("models", "list", "--token-id", token.lower(), "--mlflow-uri", mlflow_server.url)
    assert listed.exit_code == 0
    assert any(line.split()[:3] == [name, "1", token] for line in listed.stdout.splitlines())
    as_json = json.loads(
        run("models", "list", "--token-id", token, "--mlflow-uri", mlflow_server.url, "--json").stdout
    )
    assert as_json == [
        {
            "model_name": name,
            "version": "1",
            "token_id": token,
            "metric_name": "accuracy",
            "baseline_value": 0.91,
            "mlflow_run_id": as_json[0]["mlflow_run_id"],
        }
    ]
    everything = run("models", "list", "--mlflow-uri", mlflow_server.url)
    assert any(line.split()[:2] == [name, "1"] for line in everything.stdout.splitlines())


def test_register_a_model_folder_under_a_chosen_name(mlflow_server, tmp_path, fitted, unique_name):
    import mlflow.sklearn

    folder = tmp_path / "saved"
    mlflow.sklearn.save_model(fitted[0], str(folder), pip_requirements=["scikit-learn"])
    name = unique_name("named")
    result = run(
        "model", "register", "--token-id", "FOLDER-1", "--model-path", str(folder), "--model-name", name,
        "--metric", "auroc", "--baseline", "0.5", "--mlflow-uri", mlflow_server.url, "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert (record["model_name"], record["version"], record["token_id"]) == (name, "1", "FOLDER-1")
    assert record["model"] == "MLflow model folder saved"


def make_unloadable_pickle(tmp_path: Path) -> Path:
    """A pickle of an object whose module is gone (as when the training project is not installed)."""
    module_dir = tmp_path / "gone"
    module_dir.mkdir()
    (module_dir / "trainingcode.py").write_text(
        "class Model:\n    def predict(self, data):\n        return data\n"
    )
    sys.path.insert(0, str(module_dir))
    try:
        import trainingcode

        data = pickle.dumps(trainingcode.Model())
    finally:
        sys.path.remove(str(module_dir))
        sys.modules.pop("trainingcode", None)
    path = tmp_path / "unloadable.pkl"
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("make_path", "token", "message", "fix"),
    [
        (lambda tmp: tmp / "missing.joblib", "T1", "the path does not exist", "joblib.dump"),
        (lambda tmp: tmp, "T1", "no MLmodel file", "save_model"),
        (lambda tmp: (tmp / "model.txt").touch() or tmp / "model.txt", "T1", "suffix '.txt'", ".joblib"),
        (
            lambda tmp: (tmp / "junk.pkl").write_bytes(b"not a pickle") and tmp / "junk.pkl",
            "T1",
            "not a pickle or joblib file",
            "joblib.dump",
        ),
        (make_unloadable_pickle, "T1", "needs the Python module 'trainingcode'", "install the package"),
        (lambda tmp: tmp / "m.joblib", "not a token!", "Invalid token_id", "ASCII letters"),
    ],
)
def test_register_errors_say_what_is_wrong_and_how_to_fix_it(
    mlflow_server, tmp_path, make_path, token, message, fix
):
    path = make_path(tmp_path)
    result = run(
        "model", "register", "--token-id", token, "--model-path", str(path), "--metric", "accuracy",
        "--baseline", "0.9", "--mlflow-uri", mlflow_server.url, "--api-key", API_KEY,
    )  # fmt: skip
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("Error: ") and message in result.stderr
    assert "How to fix:" in result.stderr and fix in result.stderr


def test_register_against_an_unreachable_server_names_the_cause(model_file):
    uri = f"http://127.0.0.1:{free_port()}"
    result = run(
        "model", "register", "--token-id", "T1", "--model-path", str(model_file),
        "--metric", "accuracy", "--baseline", "0.9", "--mlflow-uri", uri,
    )  # fmt: skip
    assert result.exit_code == 1
    assert f"cannot connect to {uri}: connection refused" in result.stderr
    assert "hokusai doctor" in result.stderr


@pytest.mark.auth_server
def test_register_never_prints_the_api_key(basic_auth_server, model_file):
    # A basic-auth server cannot use a bearer token (it answers HTTP 500): the error must stay key-free.
    result = run(
        "model", "register", "--token-id", "T1", "--model-path", str(model_file), "--metric", "accuracy",
        "--baseline", "0.9", "--mlflow-uri", basic_auth_server.url, "--api-key", API_KEY,
    )  # fmt: skip
    assert result.exit_code == 1
    assert "hk_test_...XyZ" in result.stderr and "MLFLOW_TRACKING_USERNAME" in result.stderr


def test_versions_of_an_unknown_model(mlflow_server, unique_name):
    name = unique_name("unknown")
    result = run("versions", name, "--mlflow-uri", mlflow_server.url)
    assert result.exit_code == 1
    assert f"No registered model named '{name}'" in result.stderr and "hokusai models list" in result.stderr


def test_version_option():
    result = run("--version")
    assert result.exit_code == 0 and result.stdout.startswith(f"hokusai {__version__} (mlflow ")


# -- doctor ------------------------------------------------------------------------------------------


def test_doctor_on_a_plain_server_is_happy(mlflow_server):
    result = run("doctor", "--mlflow-uri", mlflow_server.url)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert f"Tracking URI:  {mlflow_server.url}" in out and "from:        argument (--mlflow-uri)" in out
    assert "MLflow server 3." in out or "MLflow server 2." in out
    assert "Result: read: ok, write: ok -> everything is fine" in out
    assert "[FAIL]" not in out


@pytest.mark.auth_server
def test_doctor_without_credentials_reports_401(basic_auth_server):
    result = run("doctor", "--mlflow-uri", basic_auth_server.url)
    assert result.exit_code == 1
    out = result.stdout
    assert "[FAIL] read" in out and "not authenticated (HTTP 401)" in out
    assert "none were sent" in out and "fix: no credentials were sent" in out
    assert "MLFLOW_TRACKING_USERNAME" in out and "HOKUSAI_API_KEY" in out
    assert "Result: read: not authenticated, write: not checked" in out

    data = doctor_json("--mlflow-uri", basic_auth_server.url)
    assert data["ok"] is False and data["exit_code"] == 1
    assert data["credential"] == {"kind": "none", "description": "none", "source": "none"}
    assert data["checks"]["read"]["problem"] == "unauthenticated"
    assert data["checks"]["read"]["http_status"] == 401
    assert data["access"] == {"read": "not authenticated", "write": "not checked"}


@pytest.mark.auth_server
def test_doctor_with_a_read_only_user_reports_403_on_write(basic_auth_server, monkeypatch, unique_name):
    experiment, model = unique_name("admins-exp"), unique_name("admins-model")
    admin = admin_session(basic_auth_server)
    admin.call(lambda client: client.create_experiment(experiment))
    admin.call(lambda client: client.create_registered_model(model))
    username, password = basic_auth_server.users.reader
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", username)
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", password)
    args = ("--mlflow-uri", basic_auth_server.url, "--experiment", experiment, "--model-name", model)

    result = run("doctor", *args, secrets=(password,))
    assert result.exit_code == 1
    out = result.stdout
    assert "Credential:    basic auth as 'reader' (password ***)" in out
    assert "environment (MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD)" in out
    assert "[ok]   read" in out and "[FAIL] write" in out
    assert "forbidden (HTTP 403): user 'reader' may read, but not set a tag" in out
    assert f"EDIT permission on experiment '{experiment}'" in out
    assert f"EDIT permission on registered model '{model}'" in out
    assert "Result: read: ok, write: forbidden" in out

    data = doctor_json(*args, secrets=(password,))
    assert data["access"] == {"read": "ok", "write": "forbidden"}
    write = data["checks"]["write"]
    assert (write["status"], write["problem"], write["http_status"]) == ("failed", "forbidden", 403)
    assert "ask an MLflow admin to give user 'reader'" in write["fix"]


@pytest.mark.auth_server
def test_doctor_with_a_read_only_user_on_new_names_can_write(basic_auth_server, monkeypatch, unique_name):
    # With default permission READ, a user may still create (and own) a new experiment and model.
    username, password = basic_auth_server.users.reader
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", username)
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", password)
    data = doctor_json(
        "--mlflow-uri", basic_auth_server.url, "--experiment", unique_name("new-exp"), secrets=(password,)
    )
    assert data["ok"] is True and data["access"] == {"read": "ok", "write": "ok"}
    details = " ".join(data["checks"]["write"]["details"])
    assert "does not exist yet: the first registration creates it" in details
    assert "hokusai-doctor-probe-" in details and "created and deleted" in details


@pytest.mark.auth_server
def test_doctor_never_prints_the_api_key_or_the_password(basic_auth_server, monkeypatch):
    username, password = basic_auth_server.users.admin
    uri_with_password = basic_auth_server.url.replace("http://", f"http://{username}:{password}@")
    result = run("doctor", "--mlflow-uri", uri_with_password, "--api-key", API_KEY, secrets=(password,))
    assert "bearer token hk_test_...XyZ" in result.stdout and "argument (--api-key)" in result.stdout
    assert "carries a password" in result.stdout
    doctor_json("--mlflow-uri", uri_with_password, "--api-key", API_KEY, secrets=(password,))


def test_doctor_on_a_closed_port_says_unreachable():
    uri = f"http://127.0.0.1:{free_port()}"
    result = run("doctor", "--mlflow-uri", uri)
    assert result.exit_code == 1
    out = result.stdout
    assert "[FAIL] server" in out and f"cannot connect to {uri}: connection refused" in out
    assert "fix: start the MLflow server" in out
    assert "[skip] read" in out and "not run: the server is unreachable" in out
    data = doctor_json("--mlflow-uri", uri)
    assert data["checks"]["server"]["problem"] == "connection_refused"


def test_doctor_on_an_unknown_host_says_dns():
    data = doctor_json("--mlflow-uri", "http://hokusai-doctor-test.invalid:5000")
    assert data["exit_code"] == 1 and data["checks"]["server"]["problem"] == "dns"
    assert "does not resolve" in data["checks"]["server"]["summary"]


def test_doctor_on_a_uri_without_scheme():
    result = run("doctor", "--mlflow-uri", "localhost:5000")
    assert result.exit_code == 1 and "did you mean http://localhost:5000?" in result.stdout


def test_doctor_on_the_embedded_default():
    result = run("doctor")
    assert result.exit_code == 0, result.output
    assert "from:        embedded default" in result.stdout and "sqlite:///" in result.stdout
    assert "no tracking server is configured" in result.stdout


def test_doctor_reports_environment_uri_and_config_file_key(mlflow_server, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_server.url)
    ProfileManager().save_profile("default", API_KEY)
    data = doctor_json()
    assert data["ok"] is True
    assert data["tracking_uri_source"] == "environment (MLFLOW_TRACKING_URI)"
    assert data["credential"]["source"] == f"config file ({default_config_path()} [default])"
    assert data["credential"]["description"] == "bearer token hk_test_...XyZ"


@pytest.fixture(scope="module")
def self_signed_server(tmp_path_factory) -> Iterator[str]:
    """An HTTPS server whose certificate no CA signed."""
    pytest.importorskip("cryptography")
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    server = http.server.HTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"https://localhost:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_doctor_on_an_untrusted_certificate_says_tls(self_signed_server):
    result = run("doctor", "--mlflow-uri", self_signed_server)
    assert result.exit_code == 1
    assert "TLS certificate verify failed" in result.stdout
    assert "MLFLOW_TRACKING_SERVER_CERT_PATH" in result.stdout
