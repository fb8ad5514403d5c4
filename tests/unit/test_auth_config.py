"""hokusai.auth: API-key resolution, profiles in ~/.hokusai/config, HokusaiAuth and configure()."""

from __future__ import annotations

import inspect
import stat
import warnings

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import hokusai.auth
import hokusai.exceptions
from hokusai._credentials import Credentials
from hokusai.auth import (
    DEFAULT_API_ENDPOINT,
    ApiKeyFormatWarning,
    AuthConfig,
    HokusaiAuth,
    ProfileManager,
    configure,
    get_global_auth,
    setup,
)
from hokusai.auth import client as auth_client
from hokusai.exceptions import ConfigurationError

LIVE_KEY = "hk_live_0123456789abcdefQtN"
TEST_KEY = "hk_test_zyxwvutsrqponmlkJ42"
FILE_KEY = "hk_live_fromthefile00000XyZ"

key_bodies = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=12)


@pytest.fixture(autouse=True)
def _no_global_auth(monkeypatch):
    monkeypatch.setattr(auth_client, "_global_auth", None)


@pytest.fixture
def config_file(isolated_environment):
    return isolated_environment / ".hokusai" / "config"


def write_config(path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o600)


class TestAuthConfigResolution:
    def test_argument_beats_environment_and_file(self, monkeypatch, config_file):
        monkeypatch.setenv("HOKUSAI_API_KEY", TEST_KEY)
        write_config(config_file, f"[default]\napi_key = {FILE_KEY}\n")
        config = AuthConfig(api_key=LIVE_KEY)
        assert (config.api_key, config.source) == (LIVE_KEY, "argument")

    def test_environment_beats_file(self, monkeypatch, config_file):
        monkeypatch.setenv("HOKUSAI_API_KEY", TEST_KEY)
        write_config(config_file, f"[default]\napi_key = {FILE_KEY}\n")
        config = AuthConfig()
        assert (config.api_key, config.source) == (TEST_KEY, "environment")

    def test_file_default_section(self, config_file):
        write_config(config_file, f"[default]\napi_key = {FILE_KEY}\napi_endpoint = https://eu.hokus.ai/\n")
        config = AuthConfig()
        assert (config.api_key, config.source) == (FILE_KEY, "config file")
        assert config.api_endpoint == "https://eu.hokus.ai"
        assert config.endpoint_source == "config file"

    def test_named_profile(self, config_file):
        write_config(
            config_file,
            f"[default]\napi_key = {FILE_KEY}\n\n[staging]\napi_key = {TEST_KEY}\n"
            "api_endpoint = https://staging.hokus.ai\n",
        )
        config = AuthConfig(profile="staging")
        assert (config.api_key, config.api_endpoint, config.profile) == (
            TEST_KEY,
            "https://staging.hokus.ai",
            "staging",
        )

    def test_nothing_anywhere(self):
        config = AuthConfig()
        assert config.api_key is None
        assert config.source is None
        assert not config.has_api_key
        assert config.api_endpoint == DEFAULT_API_ENDPOINT == "https://api.hokus.ai"
        assert config.endpoint_source == "default"

    def test_endpoint_order(self, monkeypatch, config_file):
        write_config(config_file, "[default]\napi_endpoint = https://file.example\n")
        assert AuthConfig().api_endpoint == "https://file.example"
        monkeypatch.setenv("HOKUSAI_API_ENDPOINT", "https://env.example")
        assert AuthConfig().api_endpoint == "https://env.example"
        assert AuthConfig(api_endpoint="https://arg.example").api_endpoint == "https://arg.example"

    def test_missing_named_profile_is_a_configuration_error(self, config_file):
        write_config(config_file, f"[default]\napi_key = {FILE_KEY}\n")
        with pytest.raises(ConfigurationError) as info:
            AuthConfig(profile="prod")
        assert "'prod'" in str(info.value)
        assert "default" in info.value.fix  # lists the profiles that do exist

    def test_missing_named_profile_is_fine_when_the_key_comes_from_elsewhere(self, monkeypatch):
        monkeypatch.setenv("HOKUSAI_API_KEY", TEST_KEY)
        assert AuthConfig(profile="prod").api_key == TEST_KEY

    def test_corrupt_file_names_the_path(self, config_file):
        write_config(config_file, "api_key = no section header\n")
        with pytest.raises(ConfigurationError) as info:
            AuthConfig()
        assert str(config_file) in str(info.value)

    def test_corrupt_file_ignored_when_key_is_given(self, config_file):
        write_config(config_file, "api_key = no section header\n")
        assert AuthConfig(api_key=LIVE_KEY).api_key == LIVE_KEY

    def test_world_readable_file_warns(self, config_file):
        write_config(config_file, f"[default]\napi_key = {FILE_KEY}\n")
        config_file.chmod(0o644)
        with pytest.warns(UserWarning, match="chmod 600"):
            AuthConfig()


class TestValidateAndFormat:
    def test_validate_without_key(self):
        with pytest.raises(ConfigurationError) as info:
            AuthConfig().validate()
        assert info.value.missing_key == "HOKUSAI_API_KEY"
        assert "HOKUSAI_API_KEY" in info.value.fix

    def test_validate_with_key(self):
        assert AuthConfig(api_key=LIVE_KEY).validate() is None

    @pytest.mark.parametrize("key", [LIVE_KEY, TEST_KEY])
    def test_known_formats_do_not_warn(self, key):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            AuthConfig(api_key=key)

    @pytest.mark.parametrize("key", ["sk-0123456789abcdef", "hk_live_", "HK_LIVE_0123456789"])
    def test_other_formats_warn_but_work(self, key):
        with pytest.warns(ApiKeyFormatWarning) as record:
            config = AuthConfig(api_key=key)
        assert config.api_key == key
        assert key not in str(record[0].message) or len(key) <= 8

    def test_repr_masks_the_key(self):
        text = repr(AuthConfig(api_key=LIVE_KEY))
        assert LIVE_KEY not in text
        assert "hk_live_...QtN" in text
        assert "source='argument'" in text

    @settings(max_examples=50, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(body=key_bodies)
    def test_repr_never_contains_the_key(self, body):
        key = "hk_live_" + body
        config = AuthConfig(api_key=key)
        assert key not in repr(config)
        assert key not in str(config)
        assert key not in repr(HokusaiAuth(api_key=key))


class TestProfileManager:
    def test_default_path_follows_home(self, config_file):
        assert ProfileManager().config_path == config_file

    def test_save_get_list_delete(self, config_file):
        manager = ProfileManager()
        assert manager.list_profiles() == []
        assert manager.get_profile("default") is None
        manager.save_profile("default", LIVE_KEY)
        manager.save_profile("staging", TEST_KEY, "https://staging.hokus.ai")
        assert manager.list_profiles() == ["default", "staging"]
        staging = manager.get_profile("staging")
        assert (staging.api_key, staging.api_endpoint) == (TEST_KEY, "https://staging.hokus.ai")
        assert manager.delete_profile("staging") is True
        assert manager.delete_profile("staging") is False
        assert manager.list_profiles() == ["default"]

    def test_file_is_private(self, config_file):
        ProfileManager().save_profile("default", LIVE_KEY)
        assert stat.S_IMODE(config_file.stat().st_mode) == 0o600
        assert stat.S_IMODE(config_file.parent.stat().st_mode) == 0o700

    def test_rewriting_a_loose_file_makes_it_private(self, config_file):
        write_config(config_file, f"[default]\napi_key = {FILE_KEY}\n")
        config_file.chmod(0o644)
        ProfileManager().save_profile("other", TEST_KEY)
        assert stat.S_IMODE(config_file.stat().st_mode) == 0o600

    def test_saving_keeps_other_profiles_and_unknown_keys(self, config_file):
        write_config(
            config_file,
            f"[default]\napi_key = {FILE_KEY}\nregion = eu\n\n[team]\napi_key = {TEST_KEY}\n",
        )
        manager = ProfileManager()
        manager.save_profile("default", LIVE_KEY)
        text = config_file.read_text()
        assert "region = eu" in text
        assert manager.get_profile("team").api_key == TEST_KEY
        assert manager.get_profile("default").api_key == LIVE_KEY

    def test_saving_without_endpoint_keeps_the_stored_endpoint(self):
        manager = ProfileManager()
        manager.save_profile("default", TEST_KEY, "https://eu.hokus.ai")
        profile = manager.save_profile("default", LIVE_KEY)
        assert profile.api_endpoint == "https://eu.hokus.ai"
        assert manager.get_profile("default").api_endpoint == "https://eu.hokus.ai"

    def test_set_default_copies_the_profile(self):
        manager = ProfileManager()
        manager.save_profile("default", LIVE_KEY)
        manager.save_profile("staging", TEST_KEY, "https://staging.hokus.ai")
        manager.set_default("staging")
        config = AuthConfig()
        assert (config.api_key, config.api_endpoint) == (TEST_KEY, "https://staging.hokus.ai")
        assert manager.get_profile("staging").api_key == TEST_KEY

    def test_set_default_unknown_profile(self):
        with pytest.raises(ConfigurationError, match="'nope'"):
            ProfileManager().set_default("nope")

    @pytest.mark.parametrize("name", ["", "  ", "a]b", "two\nlines"])
    def test_bad_profile_names(self, name):
        with pytest.raises(ConfigurationError):
            ProfileManager().save_profile(name, LIVE_KEY)

    @pytest.mark.parametrize("key", ["", "   ", "a\nb"])
    def test_bad_keys(self, key):
        with pytest.raises(ConfigurationError):
            ProfileManager().save_profile("default", key)

    def test_explicit_path(self, tmp_path):
        path = tmp_path / "elsewhere" / "hokusai.ini"
        manager = ProfileManager(path)
        manager.save_profile("ci", LIVE_KEY)
        assert path.exists()
        assert ProfileManager(str(path)).get_profile("ci").api_key == LIVE_KEY

    def test_profile_repr_masks_the_key(self):
        profile = ProfileManager().save_profile("default", LIVE_KEY)
        assert LIVE_KEY not in repr(profile)

    @settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(
        key=st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1).filter(
            lambda s: s.strip() == s and s.strip()
        ),
        endpoint=st.sampled_from([None, "https://a.example", "http://10.0.0.1:8080/x"]),
    )
    def test_round_trip_any_single_line_key(self, key, endpoint):
        manager = ProfileManager()
        manager.delete_profile("p")
        manager.save_profile("p", key, endpoint)
        profile = manager.get_profile("p")
        assert profile.api_key == key  # '%' and friends are stored verbatim (no interpolation)
        assert profile.api_endpoint == endpoint


class TestHokusaiAuth:
    def test_headers_and_credentials(self):
        auth = HokusaiAuth(api_key=LIVE_KEY)
        assert auth.headers() == {"Authorization": f"Bearer {LIVE_KEY}"}
        assert auth.get_headers() == auth.headers()
        credentials = auth.mlflow_credentials()
        assert credentials == Credentials(token=LIVE_KEY)
        assert credentials.kind == "bearer"

    def test_uses_environment(self, monkeypatch):
        monkeypatch.setenv("HOKUSAI_API_KEY", TEST_KEY)
        auth = HokusaiAuth()
        assert (auth.api_key, auth.config.source) == (TEST_KEY, "environment")

    def test_without_key_headers_raise(self):
        auth = HokusaiAuth()
        with pytest.raises(ConfigurationError) as info:
            auth.headers()
        assert info.value.missing_key == "HOKUSAI_API_KEY"
        with pytest.raises(ConfigurationError):
            auth.mlflow_credentials()

    def test_config_object(self):
        config = AuthConfig(api_key=LIVE_KEY, api_endpoint="https://x.example")
        auth = HokusaiAuth(config=config)
        assert auth.config is config
        assert auth.api_endpoint == "https://x.example"
        overridden = HokusaiAuth(api_key=TEST_KEY, config=config)
        assert (overridden.api_key, overridden.api_endpoint) == (TEST_KEY, "https://x.example")

    def test_repr_masks(self):
        text = repr(HokusaiAuth(api_key=LIVE_KEY))
        assert LIVE_KEY not in text
        assert "hk_live_...QtN" in text


class TestConfigure:
    def test_saves_and_returns_config(self, config_file):
        config = configure(LIVE_KEY, "https://eu.hokus.ai")
        assert isinstance(config, AuthConfig)
        assert (config.api_key, config.api_endpoint) == (LIVE_KEY, "https://eu.hokus.ai")
        assert stat.S_IMODE(config_file.stat().st_mode) == 0o600
        assert AuthConfig().api_key == LIVE_KEY  # a fresh resolution reads it back
        assert get_global_auth().api_key == LIVE_KEY

    def test_named_profile_leaves_default_alone(self):
        configure(LIVE_KEY)
        config = configure(TEST_KEY, profile="staging")
        assert config.profile == "staging"
        assert AuthConfig().api_key == LIVE_KEY
        assert AuthConfig(profile="staging").api_key == TEST_KEY

    def test_save_false_writes_nothing(self, config_file):
        config = configure(LIVE_KEY, save=False)
        assert config.api_key == LIVE_KEY
        assert not config_file.exists()

    @pytest.mark.parametrize("key", ["", "  ", None])
    def test_empty_key_rejected(self, key, config_file):
        write_config(config_file, f"[default]\napi_key = {FILE_KEY}\n")
        with pytest.raises(ConfigurationError):
            configure(key, save=False)

    def test_setup_is_configure(self):
        assert setup is configure or inspect.signature(setup) == inspect.signature(configure)
        assert list(inspect.signature(configure).parameters) == ["api_key", "api_endpoint", "profile", "save"]


class TestPublicSurface:
    def test_exceptions_are_re_exported_not_redefined(self):
        for name in ("AuthenticationError", "AuthorizationError", "RateLimitError"):
            assert getattr(hokusai.auth, name) is getattr(hokusai.exceptions, name)

    @pytest.mark.parametrize(
        ("obj", "params"),
        [
            (AuthConfig, ["api_key", "api_endpoint", "profile"]),
            (ProfileManager, ["config_path"]),
            (HokusaiAuth, ["api_key", "api_endpoint", "config"]),
            (ProfileManager.save_profile, ["self", "name", "api_key", "api_endpoint"]),
        ],
    )
    def test_signatures(self, obj, params):
        assert list(inspect.signature(obj).parameters) == params
