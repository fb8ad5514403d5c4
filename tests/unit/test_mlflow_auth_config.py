"""hokusai.config: MLflowAuthConfig resolution and validation, setup_mlflow_auth, status (no server)."""

from __future__ import annotations

import importlib.util
import inspect
import os
import stat
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hokusai._credentials import Credentials
from hokusai.config import (
    MLflowAuthConfig,
    get_current_mlflow_auth,
    get_mlflow_auth_status,
    reset_mlflow_auth,
    setup_mlflow_auth,
)
from hokusai.config import _mlflow_auth_rules as rules
from hokusai.exceptions import ConfigurationError

TOKEN = "hk_live_0123456789abcdefQtN"
PASSWORD = "s3cret-pass-word-1234"
CERT = b"-----BEGIN CERTIFICATE-----\nMIIBcert\n-----END CERTIFICATE-----"
KEY = b"-----BEGIN PRIVATE KEY-----\nMIIBkey\n-----END PRIVATE KEY-----\n"

# The leading "~" never occurs in a repr otherwise, so a hit can only be a leaked secret.
secrets_st = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=11, max_size=40).map(
    lambda s: "~" + s
)


@pytest.fixture(autouse=True)
def _no_recorded_config():
    reset_mlflow_auth()
    yield
    reset_mlflow_auth()


@pytest.fixture
def pem_files(tmp_path):
    cert, key, combined, bundle = (tmp_path / n for n in ("client.crt", "client.key", "both.pem", "ca.pem"))
    cert.write_bytes(CERT)
    key.write_bytes(KEY)
    combined.write_bytes(CERT + b"\n" + KEY)
    bundle.write_bytes(CERT)
    return {"cert": str(cert), "key": str(key), "combined": str(combined), "ca": str(bundle)}


class TestEnvironmentFallback:
    def test_every_field_falls_back_to_its_variable(self, monkeypatch, pem_files):
        monkeypatch.setenv("MLFLOW_TRACKING_URI", "https://mlflow.example/")
        monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "alice")
        monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", PASSWORD)
        monkeypatch.setenv("MLFLOW_TRACKING_CLIENT_CERT_PATH", pem_files["cert"])
        monkeypatch.setenv("MLFLOW_TRACKING_CLIENT_KEY_PATH", pem_files["key"])
        monkeypatch.setenv("MLFLOW_TRACKING_SERVER_CERT_PATH", pem_files["ca"])
        config = MLflowAuthConfig()
        assert config.tracking_uri == "https://mlflow.example"
        assert config.source == "environment (MLFLOW_TRACKING_URI)"
        assert (config.username, config.password) == ("alice", PASSWORD)
        assert config.credential_source == "environment (MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD)"
        assert (config.client_cert_path, config.client_key_path, config.ca_bundle_path) == (
            pem_files["cert"],
            pem_files["key"],
            pem_files["ca"],
        )

    def test_flags_from_environment(self, monkeypatch):
        monkeypatch.setenv("MLFLOW_TRACKING_INSECURE_TLS", "true")
        assert MLflowAuthConfig().insecure_tls is True
        monkeypatch.setenv("MLFLOW_TRACKING_INSECURE_TLS", "0")
        assert MLflowAuthConfig().insecure_tls is False

    def test_argument_beats_environment(self, monkeypatch):
        monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://env.example")
        monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", "hk_test_fromenvironment0")
        config = MLflowAuthConfig(tracking_uri="http://arg.example", token=TOKEN)
        assert (config.tracking_uri, config.source) == ("http://arg.example", "argument")
        assert (config.token, config.credential_source) == (TOKEN, "argument")

    def test_token_order(self, monkeypatch):
        monkeypatch.setenv("HOKUSAI_API_KEY", "hk_test_hokusaikey000000")
        config = MLflowAuthConfig()
        assert (config.token, config.credential_source) == (
            "hk_test_hokusaikey000000",
            "environment (HOKUSAI_API_KEY)",
        )
        monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", TOKEN)
        config = MLflowAuthConfig()
        assert (config.token, config.credential_source) == (TOKEN, "environment (MLFLOW_TRACKING_TOKEN)")

    def test_environment_basic_beats_environment_token_like_mlflow(self, monkeypatch):
        monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", TOKEN)
        monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "alice")
        monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", PASSWORD)
        config = MLflowAuthConfig()
        assert config.auth_type == "basic"
        assert config.token is None

    def test_explicit_token_switches_off_environment_basic(self, monkeypatch):
        monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "alice")
        monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", PASSWORD)
        config = MLflowAuthConfig(token=TOKEN)
        assert (config.auth_type, config.username, config.password) == ("token", None, None)

    def test_explicit_basic_switches_off_environment_token(self, monkeypatch):
        monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", TOKEN)
        config = MLflowAuthConfig(username="bob", password=PASSWORD)
        assert (config.auth_type, config.token) == ("basic", None)

    def test_explicit_username_with_password_from_environment(self, monkeypatch):
        monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", PASSWORD)
        config = MLflowAuthConfig(username="bob")
        assert (config.username, config.password) == ("bob", PASSWORD)

    def test_mock_mode_ignores_environment_uri(self, monkeypatch):
        monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://env.example")
        monkeypatch.setenv("HOKUSAI_MOCK_MODE", "true")
        config = MLflowAuthConfig()
        assert (config.tracking_uri, config.source) == (None, "embedded default")
        assert MLflowAuthConfig(tracking_uri="http://arg.example").tracking_uri == "http://arg.example"

    def test_nothing_configured(self):
        config = MLflowAuthConfig()
        assert (config.tracking_uri, config.source, config.auth_type) == (None, "embedded default", "none")
        assert config.credential_source is None
        assert not config.is_remote_tracking()


class TestValidation:
    def test_token_and_basic_together_rejected(self):
        with pytest.raises(ConfigurationError) as info:
            MLflowAuthConfig(token=TOKEN, username="alice", password=PASSWORD)
        assert "token" in str(info.value)
        assert "not both" in info.value.fix
        assert PASSWORD not in str(info.value)
        assert TOKEN not in str(info.value)

    def test_username_without_password(self):
        with pytest.raises(ConfigurationError) as info:
            MLflowAuthConfig(username="alice")
        assert info.value.missing_key == "MLFLOW_TRACKING_PASSWORD"
        assert "password=" in info.value.fix

    def test_username_without_password_from_environment_names_the_variable(self, monkeypatch):
        monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "alice")
        monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", TOKEN)
        with pytest.raises(ConfigurationError, match="MLFLOW_TRACKING_USERNAME"):
            MLflowAuthConfig()

    def test_password_without_username(self):
        with pytest.raises(ConfigurationError) as info:
            MLflowAuthConfig(password=PASSWORD)
        assert info.value.missing_key == "MLFLOW_TRACKING_USERNAME"
        assert PASSWORD not in str(info.value)

    def test_cert_without_key(self, pem_files):
        with pytest.raises(ConfigurationError) as info:
            MLflowAuthConfig(client_cert_path=pem_files["cert"])
        assert pem_files["cert"] in str(info.value)
        assert "client_key_path" in info.value.fix

    def test_combined_pem_needs_no_key(self, pem_files):
        config = MLflowAuthConfig(client_cert_path=pem_files["combined"])
        assert config.auth_type == "mtls"
        assert config.to_credentials().client_cert_path == pem_files["combined"]

    def test_key_without_cert(self, pem_files):
        with pytest.raises(ConfigurationError) as info:
            MLflowAuthConfig(client_key_path=pem_files["key"])
        assert "client_cert_path" in info.value.fix

    @pytest.mark.parametrize("field", ["client_cert_path", "client_key_path", "ca_bundle_path"])
    def test_missing_files_are_named(self, field, tmp_path, pem_files):
        missing = str(tmp_path / "nowhere" / "file.pem")
        kwargs = {"client_cert_path": pem_files["cert"], "client_key_path": pem_files["key"], field: missing}
        with pytest.raises(ConfigurationError) as info:
            MLflowAuthConfig(**kwargs)
        assert missing in str(info.value)
        assert "does not exist" in str(info.value)
        assert f"{field}=" in str(info.value)

    def test_missing_file_from_environment_names_the_variable(self, monkeypatch, tmp_path):
        monkeypatch.setenv("MLFLOW_TRACKING_SERVER_CERT_PATH", str(tmp_path / "ca.pem"))
        with pytest.raises(ConfigurationError, match="MLFLOW_TRACKING_SERVER_CERT_PATH"):
            MLflowAuthConfig()

    def test_certificate_must_be_a_file(self, tmp_path, pem_files):
        with pytest.raises(ConfigurationError, match="is not a file"):
            MLflowAuthConfig(client_cert_path=str(tmp_path), client_key_path=pem_files["key"])

    def test_ca_bundle_may_be_a_directory(self, tmp_path):
        assert MLflowAuthConfig(ca_bundle_path=str(tmp_path)).ca_bundle_path == str(tmp_path)

    def test_insecure_tls_with_ca_bundle_rejected(self, pem_files):
        with pytest.raises(ConfigurationError, match="insecure_tls"):
            MLflowAuthConfig(insecure_tls=True, ca_bundle_path=pem_files["ca"])

    def test_aws_sigv4_without_package(self, monkeypatch):
        monkeypatch.setattr(rules, "sigv4_available", lambda: False)
        with pytest.raises(ConfigurationError) as info:
            MLflowAuthConfig(aws_sigv4=True)
        assert "pip install requests-auth-aws-sigv4" in str(info.value)

    def test_aws_sigv4_matches_what_is_installed(self):
        installed = importlib.util.find_spec("requests_auth_aws_sigv4") is not None
        if installed:
            assert MLflowAuthConfig(aws_sigv4=True).auth_type == "aws-sigv4"
        else:
            with pytest.raises(ConfigurationError, match="requests-auth-aws-sigv4"):
                MLflowAuthConfig(aws_sigv4=True)

    def test_aws_sigv4_with_explicit_token_rejected(self, monkeypatch):
        monkeypatch.setattr(rules, "sigv4_available", lambda: True)
        with pytest.raises(ConfigurationError, match="aws_sigv4"):
            MLflowAuthConfig(aws_sigv4=True, token=TOKEN)


class TestCredentials:
    def test_basic(self):
        credentials = MLflowAuthConfig(username="alice", password=PASSWORD).to_credentials()
        assert credentials == Credentials(username="alice", password=PASSWORD)
        assert credentials.kind == "basic"

    def test_token(self):
        config = MLflowAuthConfig(token=TOKEN, insecure_tls=True)
        assert config.to_credentials() == Credentials(token=TOKEN, insecure_tls=True)
        assert config.get_auth_headers() == {"Authorization": f"Bearer {TOKEN}"}

    def test_basic_header(self):
        headers = MLflowAuthConfig(username="alice", password="pw-1234567890").get_auth_headers()
        assert headers == {"Authorization": "Basic YWxpY2U6cHctMTIzNDU2Nzg5MA=="}

    def test_separate_key_is_combined_into_a_private_pem(self, pem_files):
        config = MLflowAuthConfig(client_cert_path=pem_files["cert"], client_key_path=pem_files["key"])
        path = config.to_credentials().client_cert_path
        assert path not in (pem_files["cert"], pem_files["key"])
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        assert Path(path).read_bytes() == CERT + b"\n" + KEY
        assert config.to_credentials().client_cert_path == path  # written once, reused

    @pytest.mark.parametrize(
        ("kwargs", "expected"),
        [
            ({}, "none"),
            ({"token": TOKEN}, "token"),
            ({"username": "u", "password": PASSWORD}, "basic"),
            ({"client_cert_path": "combined"}, "mtls"),
            ({"token": TOKEN, "client_cert_path": "combined"}, "token"),
        ],
    )
    def test_auth_type(self, kwargs, expected, pem_files):
        if "client_cert_path" in kwargs:
            kwargs = {**kwargs, "client_cert_path": pem_files["combined"]}
        assert MLflowAuthConfig(**kwargs).auth_type == expected

    def test_auth_type_sigv4(self, monkeypatch):
        monkeypatch.setattr(rules, "sigv4_available", lambda: True)
        config = MLflowAuthConfig(aws_sigv4=True)
        assert config.auth_type == "aws-sigv4"
        assert config.to_credentials().kind == "aws-sigv4"

    def test_target_keeps_the_uri_source(self, monkeypatch):
        monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://env.example:5000")
        target = MLflowAuthConfig(token=TOKEN).target()
        assert (target.tracking_uri, target.source) == (
            "http://env.example:5000",
            "environment (MLFLOW_TRACKING_URI)",
        )
        assert target.credentials.token == TOKEN


class TestMasking:
    @settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(password=secrets_st, token=secrets_st)
    def test_no_secret_in_repr_str_or_dict(self, password, token):
        for config in (
            MLflowAuthConfig(username="alice", password=password),
            MLflowAuthConfig(token=token),
            MLflowAuthConfig(token="hk_live_" + token),
        ):
            shown = " ".join(
                [repr(config), str(config), repr(config.to_dict()), config.describe_credential()]
            )
            assert password not in shown
            assert token not in shown

    def test_repr_shows_what_is_safe(self):
        text = repr(MLflowAuthConfig(tracking_uri="http://h:5000", username="alice", password=PASSWORD))
        assert "auth_type='basic'" in text
        assert "username='alice'" in text
        assert "password='***'" in text

    def test_to_dict(self):
        data = MLflowAuthConfig(tracking_uri="http://h:5000", token=TOKEN).to_dict()
        assert data["token"] == "hk_live_...QtN"
        assert data["credential"] == "bearer token hk_live_...QtN"
        assert data["password"] is None
        assert data["auth_type"] == "token"


class TestSetupWithoutServer:
    def test_signature(self):
        params = list(inspect.signature(setup_mlflow_auth).parameters)
        assert params == ["tracking_uri", "username", "password", "token", "validate", "kwargs"]
        assert list(inspect.signature(MLflowAuthConfig).parameters) == [
            "tracking_uri",
            "username",
            "password",
            "token",
            "insecure_tls",
            "aws_sigv4",
            "client_cert_path",
            "client_key_path",
            "ca_bundle_path",
        ]
        assert inspect.signature(get_mlflow_auth_status).parameters["check"].default is False

    def test_unknown_keyword(self):
        with pytest.raises(TypeError) as info:
            setup_mlflow_auth("http://h:5000", validate=False, verify_ssl=False)
        assert "verify_ssl" in str(info.value)
        assert "client_cert_path" in str(info.value)

    def test_validate_false_records_without_calling(self):
        before = dict(os.environ)
        config = setup_mlflow_auth("http://127.0.0.1:9", token=TOKEN, validate=False, insecure_tls=True)
        assert get_current_mlflow_auth() is config
        assert config.insecure_tls is True
        assert dict(os.environ) == before

    def test_invalid_config_is_not_recorded(self):
        with pytest.raises(ConfigurationError):
            setup_mlflow_auth("http://h:5000", username="alice", validate=False)
        assert get_current_mlflow_auth() is None

    def test_no_uri_skips_validation_and_creates_nothing(self, isolated_environment):
        before = dict(os.environ)
        config = setup_mlflow_auth()
        assert config.tracking_uri is None
        assert get_current_mlflow_auth() is config
        assert not (isolated_environment / ".hokusai" / "mlflow.db").exists()
        assert dict(os.environ) == before

    def test_local_uri_skips_validation(self, tmp_path):
        uri = f"sqlite:///{tmp_path / 'x.db'}"
        assert setup_mlflow_auth(uri).tracking_uri == uri
        assert not (tmp_path / "x.db").exists()


class TestStatus:
    def test_from_environment(self, monkeypatch, isolated_environment):
        status = get_mlflow_auth_status()
        assert status["tracking_uri"] == f"sqlite:///{isolated_environment / '.hokusai' / 'mlflow.db'}"
        assert status["source"] == "embedded default"
        assert status["origin"] == "environment"
        assert status["auth_type"] == "none"
        assert status["configured"] is False
        assert "reachable" not in status
        assert "authenticated" not in status
        monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://h:5000")
        monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", TOKEN)
        status = get_mlflow_auth_status()
        assert (status["tracking_uri"], status["auth_type"], status["configured"]) == (
            "http://h:5000",
            "token",
            True,
        )
        assert status["credential"] == "bearer token hk_live_...QtN"
        assert TOKEN not in repr(status)

    def test_after_setup(self, pem_files):
        setup_mlflow_auth(
            "https://h.example",
            username="alice",
            password=PASSWORD,
            validate=False,
            ca_bundle_path=pem_files["ca"],
        )
        status = get_mlflow_auth_status()
        assert status["origin"] == "setup_mlflow_auth"
        assert status["credential"] == "basic auth as 'alice' (password ***)"
        assert status["tls"] == {
            "insecure_tls": False,
            "ca_bundle_path": pem_files["ca"],
            "client_cert_path": None,
            "client_key_path": None,
        }
        assert PASSWORD not in repr(status)

    def test_invalid_environment_is_reported_not_raised(self, monkeypatch):
        monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "alice")
        status = get_mlflow_auth_status(check=True)
        assert status["configured"] is False
        assert "MLFLOW_TRACKING_PASSWORD" in status["error"]
        assert status["reachable"] is None

    def test_check_on_local_store_is_skipped(self):
        status = get_mlflow_auth_status(check=True)
        assert (status["reachable"], status["authenticated"]) == (None, None)
