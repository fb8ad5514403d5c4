"""Which gateway paths are MLflow calls, and the MLflow path each stands for."""

from __future__ import annotations

# Tracking URIs with a path (``http://gateway/api/mlflow``): the MLflow client appends its own
# ``/api/2.0/mlflow/...`` to them, so the prefix is stripped before forwarding.
STRIPPED_PREFIXES = ("/api/mlflow", "/mlflow")
# Paths MLflow itself serves, forwarded unchanged (a tracking URI without a path).
PASSTHROUGH_PREFIXES = ("/api/2.0", "/api/3.0", "/ajax-api")
PROXY_PREFIXES = STRIPPED_PREFIXES + PASSTHROUGH_PREFIXES

AUTH_VALIDATE = "/api/auth/validate"
REGISTRATION_EVENTS = "/api/models/tokenized-registration-events"
PUBLIC_PATHS = frozenset({"/health", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"})


def upstream_path(path: str) -> str | None:
    """The path on MLflow that the gateway path ``path`` stands for; None when it is no MLflow call."""
    for prefix in STRIPPED_PREFIXES:
        if path.startswith(prefix + "/"):
            return path[len(prefix) :]
    for prefix in PASSTHROUGH_PREFIXES:
        if path.startswith(prefix + "/"):
            return path
    return None
