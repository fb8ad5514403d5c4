"""Where the Hokusai API key comes from: argument, environment or ``$HOKUSAI_HOME/config`` profiles.

The config file is an INI file with one section per profile::

    [default]
    api_key = hk_live_...
    api_endpoint = https://api.hokus.ai

It holds secrets, so it is always written with mode 0600 (atomically, via a temporary file).
"""

from __future__ import annotations

import configparser
import contextlib
import os
import stat
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from hokusai._credentials import hokusai_home, mask_secret
from hokusai.exceptions import ConfigurationError

__all__ = [
    "API_KEY_ENV",
    "API_KEY_PREFIXES",
    "DEFAULT_API_ENDPOINT",
    "DEFAULT_PROFILE",
    "ENDPOINT_ENV",
    "ApiKeyFormatWarning",
    "AuthConfig",
    "Profile",
    "ProfileManager",
    "default_config_path",
    "has_known_key_format",
]

DEFAULT_API_ENDPOINT = "https://api.hokus.ai"
DEFAULT_PROFILE = "default"
API_KEY_ENV = "HOKUSAI_API_KEY"
ENDPOINT_ENV = "HOKUSAI_API_ENDPOINT"
API_KEY_PREFIXES = ("hk_live_", "hk_test_")

_KEY = "api_key"
_ENDPOINT = "api_endpoint"


class ApiKeyFormatWarning(UserWarning):
    """The API key does not look like a Hokusai key (``hk_live_...`` / ``hk_test_...``)."""


def default_config_path() -> Path:
    """``$HOKUSAI_HOME/config``, by default ``~/.hokusai/config`` (resolved on each call)."""
    return hokusai_home() / "config"


def stored_key_label(profile: str = DEFAULT_PROFILE) -> str:
    """How messages name a key read from the config file: the file's path and the profile."""
    return f"config file ({default_config_path()} [{profile}])"


def has_known_key_format(api_key: str) -> bool:
    """True when ``api_key`` starts with ``hk_live_`` or ``hk_test_`` and has a body."""
    return any(api_key.startswith(p) and len(api_key) > len(p) for p in API_KEY_PREFIXES)


def _warn_on_key_format(api_key: str, source: str) -> None:
    if not has_known_key_format(api_key):
        # A warning, not an error: self-hosted deployments may issue other token formats.
        warnings.warn(
            f"The API key from {source} ({mask_secret(api_key)}) does not look like a Hokusai key "
            f"(expected {' or '.join(p + '...' for p in API_KEY_PREFIXES)}); requests may be rejected",
            ApiKeyFormatWarning,
            stacklevel=3,
        )


def _check_profile_name(name: str) -> str:
    if not isinstance(name, str) or not name.strip() or any(c in name for c in "[]\r\n"):
        raise ConfigurationError(
            f"Invalid profile name {name!r}",
            fix="use a non-empty profile name without brackets or line breaks, e.g. 'default' or 'staging'",
        )
    return name.strip()


def _check_value(what: str, value: str) -> str:
    if not isinstance(value, str) or not value.strip() or "\n" in value or "\r" in value:
        raise ConfigurationError(
            f"Invalid {what}: it must be a non-empty single-line string",
            fix=f"pass the {what} as a string, e.g. configure(api_key='hk_live_...')",
        )
    return value.strip()


@dataclass(frozen=True)
class Profile:
    """One section of the config file (the key is masked in ``repr``)."""

    name: str
    api_key: str | None = field(default=None, repr=False)
    api_endpoint: str | None = None

    def __repr__(self) -> str:
        return (
            f"Profile(name={self.name!r}, api_key={mask_secret(self.api_key)!r}, "
            f"api_endpoint={self.api_endpoint!r})"
        )


class ProfileManager:
    """Read and write named profiles in the INI config file (``$HOKUSAI_HOME/config`` by default)."""

    def __init__(self, config_path: str | os.PathLike[str] | None = None) -> None:
        self.config_path = Path(config_path).expanduser() if config_path else default_config_path()

    def __repr__(self) -> str:
        return f"ProfileManager(config_path={str(self.config_path)!r})"

    def _read(self) -> configparser.ConfigParser:
        # No interpolation: a '%' in a key must be stored and read back verbatim.
        parser = configparser.ConfigParser(interpolation=None, default_section="__hokusai_none__")
        try:
            with open(self.config_path, encoding="utf-8") as handle:
                parser.read_file(handle)
        except FileNotFoundError:
            pass
        except (OSError, configparser.Error, UnicodeDecodeError) as exc:
            raise ConfigurationError(
                f"Cannot read the Hokusai config file {self.config_path}: {type(exc).__name__}",
                fix=f"fix or delete {self.config_path} (an INI file with [profile] sections holding "
                "api_key and api_endpoint), then run hokusai.auth.configure(...) again",
            ) from None
        return parser

    def _write(self, parser: configparser.ConfigParser) -> None:
        folder = self.config_path.parent
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        # mkstemp creates the file with mode 0600; os.replace makes the update atomic.
        fd, tmp_name = tempfile.mkstemp(prefix=".config-", dir=folder)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                parser.write(handle)
            os.chmod(tmp_name, 0o600)
            os.replace(tmp_name, self.config_path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)
            raise

    def list_profiles(self) -> list[str]:
        """Names of the profiles in the file, in file order."""
        return self._read().sections()

    def get_profile(self, name: str) -> Profile | None:
        """The profile ``name``, or None when the file has no such section."""
        parser = self._read()
        if not parser.has_section(name):
            return None
        section = parser[name]
        return Profile(
            name=name,
            api_key=section.get(_KEY) or None,
            api_endpoint=section.get(_ENDPOINT) or None,
        )

    def save_profile(self, name: str, api_key: str, api_endpoint: str | None = None) -> Profile:
        """Create or update profile ``name``; other profiles and keys are kept.

        With ``api_endpoint=None`` an endpoint already stored in the profile is kept.
        """
        name = _check_profile_name(name)
        api_key = _check_value("api_key", api_key)
        if api_endpoint is not None:
            api_endpoint = _check_value("api_endpoint", api_endpoint)
        parser = self._read()
        if not parser.has_section(name):
            parser.add_section(name)
        parser[name][_KEY] = api_key
        if api_endpoint is not None:
            parser[name][_ENDPOINT] = api_endpoint
        self._write(parser)
        return Profile(name=name, api_key=api_key, api_endpoint=parser[name].get(_ENDPOINT) or None)

    def delete_profile(self, name: str) -> bool:
        """Remove profile ``name``; False when it did not exist."""
        parser = self._read()
        if not parser.remove_section(name):
            return False
        self._write(parser)
        return True

    def set_default(self, name: str) -> Profile:
        """Copy profile ``name`` into ``[default]``, the profile used when none is named."""
        profile = self.get_profile(name)
        if profile is None or not profile.api_key:
            raise ConfigurationError(
                f"Profile {name!r} not found (or has no api_key) in {self.config_path}",
                fix=f"save it first with ProfileManager().save_profile({name!r}, api_key=...); "
                f"existing profiles: {', '.join(self.list_profiles()) or 'none'}",
            )
        if name == DEFAULT_PROFILE:
            return profile
        parser = self._read()
        if parser.has_section(DEFAULT_PROFILE):
            parser.remove_section(DEFAULT_PROFILE)
        parser.add_section(DEFAULT_PROFILE)
        parser[DEFAULT_PROFILE][_KEY] = profile.api_key
        if profile.api_endpoint:
            parser[DEFAULT_PROFILE][_ENDPOINT] = profile.api_endpoint
        self._write(parser)
        return Profile(DEFAULT_PROFILE, profile.api_key, profile.api_endpoint)

    def is_private(self) -> bool:
        """True when the file is missing or readable by its owner only."""
        try:
            mode = self.config_path.stat().st_mode
        except FileNotFoundError:
            return True
        return not mode & (stat.S_IRWXG | stat.S_IRWXO)


class AuthConfig:
    """The Hokusai API key and endpoint: argument > ``HOKUSAI_API_KEY`` > ``$HOKUSAI_HOME/config``.

    ``source`` tells where the key came from: ``"argument"``, ``"environment"``, ``"config file"``
    or None when there is no key. ``profile`` names the config-file section consulted
    (``[default]`` unless given).
    """

    def __init__(
        self, api_key: str | None = None, api_endpoint: str | None = None, profile: str | None = None
    ) -> None:
        self.profile = profile or DEFAULT_PROFILE
        self.config_path = default_config_path()
        stored = self._stored_profile(need_file=not (api_key or os.environ.get(API_KEY_ENV)))

        key, source = _first(
            (api_key, "argument"),
            (os.environ.get(API_KEY_ENV), "environment"),
            (stored.api_key if stored else None, "config file"),
        )
        endpoint, endpoint_source = _first(
            (api_endpoint, "argument"),
            (os.environ.get(ENDPOINT_ENV), "environment"),
            (stored.api_endpoint if stored else None, "config file"),
            (DEFAULT_API_ENDPOINT, "default"),
        )
        self.api_key: str | None = key
        self.source: str | None = source
        self.api_endpoint: str = endpoint.rstrip("/")
        self.endpoint_source: str = endpoint_source
        if key:
            _warn_on_key_format(key, _describe_source(source, self.profile))

    def _stored_profile(self, *, need_file: bool) -> Profile | None:
        manager = ProfileManager(self.config_path)
        try:
            profile = manager.get_profile(self.profile)
        except ConfigurationError:
            if need_file:
                raise
            return None  # the key comes from elsewhere; a broken file must not block it
        if profile is None and need_file and self.profile != DEFAULT_PROFILE:
            raise ConfigurationError(
                f"Profile {self.profile!r} not found in {self.config_path}",
                missing_key=API_KEY_ENV,
                fix=f"create it with hokusai.auth.configure(api_key, profile={self.profile!r}), set "
                f"{API_KEY_ENV}, or use one of: {', '.join(manager.list_profiles()) or 'no profiles yet'}",
            )
        if profile is not None and profile.api_key and need_file and not manager.is_private():
            warnings.warn(
                f"{self.config_path} holds an API key and is readable by other users; "
                f"run: chmod 600 {self.config_path}",
                UserWarning,
                stacklevel=3,
            )
        return profile

    @property
    def has_api_key(self) -> bool:
        """True when a key was found anywhere."""
        return bool(self.api_key)

    def validate(self) -> None:
        """Raise :class:`ConfigurationError` (``missing_key="HOKUSAI_API_KEY"``) when no key was found."""
        if not self.api_key:
            raise ConfigurationError(
                f"No Hokusai API key found (looked at api_key=, {API_KEY_ENV} and profile "
                f"[{self.profile}] of {self.config_path})",
                missing_key=API_KEY_ENV,
                fix=f"export {API_KEY_ENV}=hk_live_..., pass api_key=, or run "
                "hokusai.auth.configure('hk_live_...') to store it in $HOKUSAI_HOME/config",
            )

    def __repr__(self) -> str:
        return (
            f"AuthConfig(api_key={mask_secret(self.api_key)!r}, api_endpoint={self.api_endpoint!r}, "
            f"source={self.source!r}, profile={self.profile!r})"
        )


def _first(*candidates: tuple[str | None, str]) -> tuple[str | None, str | None]:
    for value, source in candidates:
        if value:
            return value, source
    return None, None


def _describe_source(source: str | None, profile: str) -> str:
    if source == "environment":
        return API_KEY_ENV
    if source == "config file":
        return f"profile [{profile}] of {default_config_path()}"
    return "api_key="
