"""The Hokusai API key in use: request headers, MLflow credentials, and ``configure()``."""

from __future__ import annotations

from hokusai._credentials import Credentials, mask_secret
from hokusai.auth.config import API_KEY_ENV, DEFAULT_PROFILE, AuthConfig, ProfileManager
from hokusai.exceptions import ConfigurationError

__all__ = ["HokusaiAuth", "configure", "get_global_auth", "setup"]

_global_auth: HokusaiAuth | None = None


class HokusaiAuth:
    """Credentials for the Hokusai platform, resolved by :class:`AuthConfig`.

    Without a key the object still builds (so it can be inspected); :meth:`headers` and
    :meth:`mlflow_credentials` raise :class:`~hokusai.exceptions.ConfigurationError` then.
    """

    def __init__(
        self, api_key: str | None = None, api_endpoint: str | None = None, config: AuthConfig | None = None
    ) -> None:
        if config is None:
            config = AuthConfig(api_key=api_key, api_endpoint=api_endpoint)
        elif api_key or api_endpoint:
            config = AuthConfig(
                api_key=api_key or config.api_key,
                api_endpoint=api_endpoint or config.api_endpoint,
                profile=config.profile,
            )
        self.config = config

    @property
    def api_key(self) -> str | None:
        """The API key (None when none was found)."""
        return self.config.api_key

    @property
    def api_endpoint(self) -> str:
        """The Hokusai API endpoint."""
        return self.config.api_endpoint

    def headers(self) -> dict[str, str]:
        """HTTP headers that authenticate a request to the Hokusai API."""
        self.config.validate()
        return {"Authorization": f"Bearer {self.config.api_key}"}

    get_headers = headers  # name used by earlier SDK releases

    def mlflow_credentials(self) -> Credentials:
        """The key as MLflow credentials (sent as ``Authorization: Bearer``)."""
        self.config.validate()
        return Credentials(token=self.config.api_key)

    def __repr__(self) -> str:
        return (
            f"HokusaiAuth(api_key={mask_secret(self.api_key)!r}, api_endpoint={self.api_endpoint!r}, "
            f"source={self.config.source!r})"
        )


def configure(
    api_key: str, api_endpoint: str | None = None, profile: str = DEFAULT_PROFILE, save: bool = True
) -> AuthConfig:
    """Use ``api_key`` in this process and, with ``save=True``, store it in ``$HOKUSAI_HOME/config``."""
    global _global_auth
    if not isinstance(api_key, str) or not api_key.strip():
        raise ConfigurationError(
            "configure() needs a non-empty api_key",
            missing_key=API_KEY_ENV,
            fix="pass the key from your Hokusai dashboard, e.g. configure('hk_live_...')",
        )
    if save:
        ProfileManager().save_profile(profile, api_key, api_endpoint)
    config = AuthConfig(api_key=api_key.strip(), api_endpoint=api_endpoint, profile=profile)
    _global_auth = HokusaiAuth(config=config)
    return config


setup = configure


def get_global_auth() -> HokusaiAuth | None:
    """The :class:`HokusaiAuth` set by the last :func:`configure` call in this process, if any."""
    return _global_auth


def _reset_state() -> None:
    # For hokusai.testing.reset(): as if configure() had never been called in this process.
    global _global_auth
    _global_auth = None
