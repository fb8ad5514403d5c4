"""Which tracking URI and credential a command uses, where each came from, and which secrets to hide.

The CLI resolves exactly as the SDK does (:func:`hokusai._mlflow.target.resolve_target`: ``--mlflow-uri``
> ``MLFLOW_TRACKING_URI`` > embedded store; ``--api-key`` > ``MLFLOW_TRACKING_*`` > ``HOKUSAI_API_KEY``),
then falls back to the key stored by ``hokusai.auth.configure()`` in ``$HOKUSAI_HOME/config``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from hokusai._credentials import Credentials, env_flag
from hokusai._mlflow.errors import scrub
from hokusai._mlflow.target import MLflowTarget, resolve_target
from hokusai.auth.config import (
    API_KEY_ENV,
    DEFAULT_PROFILE,
    ProfileManager,
    default_config_path,
    has_known_key_format,
    stored_key_label,
)
from hokusai.cli._diagnosis import Note, target_notes
from hokusai.cli._output import cli_errors
from hokusai.exceptions import ConfigurationError

if TYPE_CHECKING:
    from hokusai.core.registry import ModelRegistry

_SECRET_ENV_VARS = ("MLFLOW_TRACKING_TOKEN", "MLFLOW_TRACKING_PASSWORD", API_KEY_ENV)


@dataclass(frozen=True)
class StoredKey:
    """The API key of the config file's default profile, and what is worth saying about the file."""

    api_key: str | None = field(default=None, repr=False)
    notes: tuple[Note, ...] = ()


def read_stored_key() -> StoredKey:
    """The key ``hokusai.auth.configure()`` stored, if any (an unreadable file becomes a note)."""
    manager = ProfileManager(default_config_path())
    try:
        profile = manager.get_profile(DEFAULT_PROFILE)
    except ConfigurationError as exc:
        return StoredKey(notes=(Note("warning", str(exc)),))
    if profile is None or not profile.api_key:
        return StoredKey()
    notes = ()
    if not manager.is_private():
        notes = (
            Note(
                "warning",
                f"{manager.config_path} holds an API key and is readable by other users: "
                f"chmod 600 {manager.config_path}",
            ),
        )
    return StoredKey(profile.api_key, notes)


@dataclass(frozen=True)
class Connection:
    """The resolved target of a command, where its URI and credential came from, and notes about them."""

    target: MLflowTarget
    uri_source: str
    credential_source: str
    mlflow_uri: str | None = None
    api_key: str | None = field(default=None, repr=False)
    notes: tuple[Note, ...] = ()
    secrets: tuple[str, ...] = field(default=(), repr=False)

    def redact(self, text: str) -> str:
        """``text`` with every known secret (and any password in a URL) replaced by ``***``."""
        return scrub(text, self.secrets)

    @property
    def display_uri(self) -> str:
        """The tracking URI, safe to print."""
        return self.redact(self.target.tracking_uri)

    def registry(self, **options: Any) -> ModelRegistry:
        """A :class:`~hokusai.core.ModelRegistry` on this target (``options``: e.g. ``experiment_name``)."""
        from hokusai.core.registry import ModelRegistry

        return ModelRegistry(tracking_uri=self.mlflow_uri, api_key=self.api_key, **options)


def _uri_source(target: MLflowTarget) -> str:
    return "argument (--mlflow-uri)" if target.source == "argument" else target.source


def _env_credential_source(credentials: Credentials) -> str:
    return {
        "aws-sigv4": "environment (MLFLOW_TRACKING_AWS_SIGV4)",
        "basic": "environment (MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD)",
        "bearer": "environment (MLFLOW_TRACKING_TOKEN)",
    }[credentials.kind]


def _environment_notes(
    mlflow_uri: str | None,
    api_key: str | None,
    environ: Mapping[str, str],
    credential_source: str,
    has_stored_key: bool,
) -> list[Note]:
    notes: list[Note] = []
    env_uri = environ.get("MLFLOW_TRACKING_URI")
    if mlflow_uri and env_uri and env_uri.rstrip("/") != mlflow_uri.rstrip("/"):
        notes.append(Note("info", "MLFLOW_TRACKING_URI is set but not used: --mlflow-uri takes precedence"))
    has_user, has_password = (
        bool(environ.get("MLFLOW_TRACKING_USERNAME")),
        bool(environ.get("MLFLOW_TRACKING_PASSWORD")),
    )
    if has_user != has_password:
        present, missing = (
            ("MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD")
            if has_user
            else ("MLFLOW_TRACKING_PASSWORD", "MLFLOW_TRACKING_USERNAME")
        )
        notes.append(Note("warning", f"{present} is set without {missing}: basic auth is not sent"))
    ignored = []
    if api_key and ((has_user and has_password) or environ.get("MLFLOW_TRACKING_TOKEN")):
        ignored.append("the MLFLOW_TRACKING_* credentials")
    if has_user and has_password and environ.get("MLFLOW_TRACKING_TOKEN") and not api_key:
        ignored.append("MLFLOW_TRACKING_TOKEN")
    if environ.get(API_KEY_ENV) and not credential_source.endswith(f"({API_KEY_ENV})"):
        ignored.append(API_KEY_ENV)
    if has_stored_key and credential_source != stored_key_label():
        ignored.append(f"the key in {default_config_path()}")
    if ignored:
        notes.append(Note("info", f"not sent: {', '.join(ignored)} ({credential_source} takes precedence)"))
    return notes


def early_redactor(api_key: str | None, environ: Mapping[str, str] | None = None) -> Callable[[str], str]:
    """A scrubber for errors raised before the connection is resolved (the argument's and env's secrets)."""
    environ = os.environ if environ is None else environ
    found = {api_key, *(environ.get(name) for name in _SECRET_ENV_VARS)}
    ordered = tuple(sorted((s for s in found if s), key=len, reverse=True))
    return lambda text: scrub(text, ordered)


def resolve_connection(
    mlflow_uri: str | None = None,
    api_key: str | None = None,
    environ: Mapping[str, str] | None = None,
    stored: StoredKey | None = None,
) -> Connection:
    """The target a command talks to, with where its URI and credential came from."""
    environ = os.environ if environ is None else environ
    mlflow_uri = (mlflow_uri or "").strip() or None
    api_key = (api_key or "").strip() or None
    stored = read_stored_key() if stored is None else stored
    target = resolve_target(mlflow_uri, api_key=api_key, environ=environ)
    env_credentials = Credentials.from_environment(environ)
    key_sent = api_key
    notes: list[Note] = list(stored.notes)

    if target.is_embedded:
        credential_source = "none needed (local store)"
    elif api_key:
        credential_source = "argument (--api-key)"
    elif env_credentials.kind != "none":
        credential_source = _env_credential_source(env_credentials)
    elif environ.get(API_KEY_ENV):
        credential_source = f"environment ({API_KEY_ENV})"
        key_sent = environ[API_KEY_ENV]
    elif stored.api_key:
        credential_source = stored_key_label()
        key_sent = stored.api_key
        target = replace(target, credentials=replace(env_credentials, token=stored.api_key))
    else:
        credential_source = "none"

    if not target.is_embedded:
        notes += _environment_notes(mlflow_uri, api_key, environ, credential_source, bool(stored.api_key))
        if key_sent and target.credentials.kind == "bearer" and not has_known_key_format(key_sent):
            notes.append(
                Note(
                    "warning",
                    f"the API key from {credential_source} does not look like a Hokusai key "
                    "(hk_live_... / hk_test_...)",
                )
            )
    secrets = {api_key, stored.api_key, *(environ.get(name) for name in _SECRET_ENV_VARS)}
    secrets.update(target.credentials.secrets())
    connection = Connection(
        target=target,
        uri_source=_uri_source(target),
        credential_source=credential_source,
        mlflow_uri=mlflow_uri,
        api_key=key_sent if credential_source in ("argument (--api-key)", stored_key_label()) else None,
        secrets=tuple(sorted((s for s in secrets if s), key=len, reverse=True)),
    )
    notes += target_notes(
        target.tracking_uri,
        is_embedded=target.is_embedded,
        credentials=target.credentials,
        mock_mode=env_flag("HOKUSAI_MOCK_MODE", environ) and not mlflow_uri,
        uri_has_password=connection.redact(target.tracking_uri) != target.tracking_uri,
    )
    return replace(connection, notes=tuple(notes))


def connect(mlflow_uri: str | None, api_key: str | None) -> Connection:
    """:func:`resolve_connection` for a command: a failure becomes a CLI error with secrets scrubbed."""
    with cli_errors(early_redactor(api_key)):
        return resolve_connection(mlflow_uri, api_key)
