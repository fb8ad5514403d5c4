"""Hokusai API keys: resolution (argument > environment > ``$HOKUSAI_HOME/config``), profiles, headers.

``AuthenticationError`` (HTTP 401), ``AuthorizationError`` (HTTP 403) and ``RateLimitError``
(HTTP 429) are the SDK-wide exceptions of :mod:`hokusai.exceptions`, re-exported here.
"""

from hokusai.auth.client import HokusaiAuth, configure, get_global_auth, setup
from hokusai.auth.config import (
    DEFAULT_API_ENDPOINT,
    ApiKeyFormatWarning,
    AuthConfig,
    Profile,
    ProfileManager,
    default_config_path,
    has_known_key_format,
)
from hokusai.exceptions import AuthenticationError, AuthorizationError, RateLimitError

__all__ = [
    "DEFAULT_API_ENDPOINT",
    "ApiKeyFormatWarning",
    "AuthConfig",
    "AuthenticationError",
    "AuthorizationError",
    "HokusaiAuth",
    "Profile",
    "ProfileManager",
    "RateLimitError",
    "configure",
    "default_config_path",
    "get_global_auth",
    "has_known_key_format",
    "setup",
]
