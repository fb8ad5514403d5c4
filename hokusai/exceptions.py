"""Exceptions raised by the Hokusai SDK.

Every exception carries a human-readable message and, where one is known, a ``fix``: the
action that resolves it. ``str(exc)`` includes both, so a bare traceback is already actionable.

Hierarchy::

    HokusaiException
    ├── MLflowError                      anything MLflow answered or failed to answer
    │   ├── MLflowConnectionError        unreachable server, 5xx, timeouts
    │   │   ├── CircuitOpenError         failing fast while the breaker is open
    │   │   └── RateLimitError           HTTP 429 (retry after ``retry_after`` seconds)
    │   └── MLflowAuthenticationError    HTTP 401 / 403
    │       ├── AuthenticationError      401: no or invalid credentials
    │       └── AuthorizationError       403: valid credentials, missing permission
    ├── ModelNotFoundError
    ├── ConfigurationError
    ├── InvalidParameterError (also a ValueError)
    ├── MethodNotImplementedError (also a NotImplementedError)
    ├── NotificationError
    ├── RegistryException, VersioningException, InferenceException
"""

from __future__ import annotations

__all__ = [
    "AuthenticationError",
    "AuthorizationError",
    "CircuitOpenError",
    "ConfigurationError",
    "HokusaiException",
    "InferenceException",
    "InvalidParameterError",
    "LocalFallbackWarning",
    "MLflowAuthenticationError",
    "MLflowConnectionError",
    "MLflowError",
    "MethodNotImplementedError",
    "ModelNotFoundError",
    "NotificationError",
    "RateLimitError",
    "RegistryException",
    "VersioningException",
]


class HokusaiException(Exception):
    """Base class of every exception the SDK raises."""

    default_message = "Hokusai SDK error"

    def __init__(self, message: str | None = None, *, fix: str | None = None) -> None:
        self.message = message or self.default_message
        self.fix = fix
        super().__init__(self.message)

    def __str__(self) -> str:
        if self.fix:
            return f"{self.message}\nHow to fix: {self.fix}"
        return self.message


class MLflowError(HokusaiException):
    """An MLflow call failed."""

    default_message = "MLflow call failed"

    def __init__(
        self,
        message: str | None = None,
        *,
        tracking_uri: str | None = None,
        status_code: int | None = None,
        endpoint: str | None = None,
        error_code: str | None = None,
        fix: str | None = None,
    ) -> None:
        self.tracking_uri = tracking_uri
        self.status_code = status_code
        self.endpoint = endpoint
        self.error_code = error_code
        super().__init__(message, fix=fix)


class MLflowConnectionError(MLflowError):
    """The MLflow server could not be reached or did not answer successfully (5xx, timeout)."""

    default_message = "Could not connect to the MLflow tracking server"

    def __init__(self, message: str | None = None, tracking_uri: str | None = None, **kwargs) -> None:
        if message is None and tracking_uri:
            message = f"Could not connect to the MLflow tracking server at {tracking_uri}"
        kwargs.setdefault(
            "fix",
            "check that the server is running and that MLFLOW_TRACKING_URI (or tracking_uri=) points "
            "at it; set HOKUSAI_OPTIONAL_MLFLOW=true to keep tracking locally while it is down",
        )
        super().__init__(message, tracking_uri=tracking_uri, **kwargs)


class CircuitOpenError(MLflowConnectionError):
    """Calls to a tracking server are failing fast because its circuit breaker is open."""

    default_message = "MLflow calls are failing fast: the circuit breaker is open"

    def __init__(
        self,
        message: str | None = None,
        tracking_uri: str | None = None,
        retry_after: float | None = None,
        last_failure: str | None = None,
    ) -> None:
        self.retry_after = retry_after
        self.last_failure = last_failure
        if message is None:
            where = f" for {tracking_uri}" if tracking_uri else ""
            cause = f" (last failure: {last_failure})" if last_failure else ""
            wait = f"; next attempt allowed in {retry_after:.1f}s" if retry_after is not None else ""
            message = f"Circuit breaker open{where} after repeated failures{cause}{wait}"
        super().__init__(
            message,
            tracking_uri=tracking_uri,
            fix="wait for the server to recover: while the breaker is open the SDK checks the server's "
            "/health and lets one trial call through as soon as it answers (or after the recovery timeout)",
        )


class RateLimitError(MLflowConnectionError):
    """The server answered HTTP 429: too many requests."""

    default_message = "Rate limited by the server (HTTP 429)"

    def __init__(self, message: str | None = None, retry_after: float | None = None, **kwargs) -> None:
        self.retry_after = retry_after
        kwargs.setdefault("status_code", 429)
        kwargs.setdefault(
            "fix",
            f"retry after {retry_after:g} seconds" if retry_after is not None else "retry later",
        )
        super().__init__(message, **kwargs)


_FIX_401 = (
    "no or invalid credentials: set HOKUSAI_API_KEY / MLFLOW_TRACKING_TOKEN "
    "(or MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD for basic auth)"
)
_FIX_403 = (
    "the key was accepted but lacks write permission on the registry: ask for the `mlflow:write` scope "
    "(on a basic-auth MLflow server: ask an admin for EDIT or MANAGE permission on the resource)"
)


def _auth_fix(status_code: int | None, error_code: str | None, required_scope: str | None) -> str:
    if status_code == 403:
        if required_scope:
            return (
                f"the key was accepted but lacks the `{required_scope}` scope this call needs: "
                f"ask for a key with `{required_scope}`"
            )
        return _FIX_403
    if error_code == "expired_api_key":
        return "the API key has expired: create a new key and set it in HOKUSAI_API_KEY (or api_key=)"
    if error_code == "revoked_api_key":
        return "the API key was revoked: create a new key and set it in HOKUSAI_API_KEY (or api_key=)"
    return _FIX_401


class MLflowAuthenticationError(MLflowError):
    """MLflow rejected the request: 401 (not authenticated) or 403 (not authorized)."""

    default_message = "MLflow authentication failed"

    def __init__(
        self,
        message: str | None = None,
        status_code: int | None = None,
        *,
        endpoint: str | None = None,
        tracking_uri: str | None = None,
        credential: str | None = None,
        server_message: str | None = None,
        error_code: str | None = None,
        required_scope: str | None = None,
        fix: str | None = None,
    ) -> None:
        self.credential = credential
        self.server_message = server_message
        self.required_scope = required_scope
        if fix is None:
            fix = _auth_fix(status_code, error_code, required_scope)
        if message is None:
            what = "forbidden" if status_code == 403 else "not authenticated"
            message = f"MLflow answered HTTP {status_code or '401/403'} ({what})"
            if endpoint:
                message += f" for {endpoint}"
            if tracking_uri:
                message += f" on {tracking_uri}"
            message += f"; credential sent: {credential or 'none'}"
            if server_message:
                message += f"; server said: {server_message}"
        super().__init__(
            message,
            tracking_uri=tracking_uri,
            status_code=status_code,
            endpoint=endpoint,
            error_code=error_code,
            fix=fix,
        )


class AuthenticationError(MLflowAuthenticationError):
    """HTTP 401: the credentials are missing, unknown or expired."""

    default_message = "Authentication failed: no or invalid credentials"

    def __init__(self, message: str | None = None, status_code: int | None = 401, **kwargs) -> None:
        super().__init__(message, status_code, **kwargs)


class AuthorizationError(MLflowAuthenticationError):
    """HTTP 403: the credentials are valid but lack the permission for this operation."""

    default_message = "Not authorized: the credentials lack the required permission"

    def __init__(self, message: str | None = None, status_code: int | None = 403, **kwargs) -> None:
        super().__init__(message, status_code, **kwargs)


class ModelNotFoundError(HokusaiException):
    """The requested model (or model version) does not exist."""

    default_message = "Model not found"

    def __init__(
        self,
        model_id: str | None = None,
        model_name: str | None = None,
        version: str | int | None = None,
        *,
        message: str | None = None,
        fix: str | None = None,
    ) -> None:
        self.model_id = model_id
        self.model_name = model_name
        self.version = None if version is None else str(version)
        if message is None:
            if model_name and version is not None:
                message = f"Model '{model_name}' version {version} not found"
            elif model_name:
                message = f"Model '{model_name}' not found"
            elif model_id:
                message = f"Model '{model_id}' not found"
        super().__init__(
            message,
            fix=fix
            or "check the name and version (ModelVersionManager(registry).list_versions(name) lists them)",
        )


class ConfigurationError(HokusaiException):
    """The SDK's configuration is missing a value or holds an invalid combination."""

    default_message = "Invalid configuration"

    def __init__(
        self, message: str | None = None, missing_key: str | None = None, *, fix: str | None = None
    ) -> None:
        self.missing_key = missing_key
        if message is None and missing_key:
            message = f"Missing configuration value: {missing_key}"
        if fix is None and missing_key:
            fix = f"set {missing_key} (argument, environment variable or $HOKUSAI_HOME/config)"
        super().__init__(message, fix=fix)


class InvalidParameterError(HokusaiException, ValueError):
    """A parameter has an invalid value or an invalid combination with other parameters."""

    default_message = "Invalid parameter"

    def __init__(
        self, parameter_name: str | None = None, message: str | None = None, *, fix: str | None = None
    ) -> None:
        self.parameter_name = parameter_name
        if message is None and parameter_name:
            message = f"Invalid value for parameter '{parameter_name}'"
        super().__init__(message, fix=fix)


class MethodNotImplementedError(HokusaiException, NotImplementedError):
    """The method is part of the documented API but not available in this configuration."""

    default_message = "This method is not implemented"


class NotificationError(HokusaiException):
    """Notifying the Hokusai platform failed (after MLflow may already have succeeded)."""

    default_message = "Platform notification failed"

    def __init__(
        self,
        message: str | None = None,
        *,
        mlflow_registered: bool = False,
        status_code: int | None = None,
        fix: str | None = None,
    ) -> None:
        self.mlflow_registered = mlflow_registered
        self.status_code = status_code
        super().__init__(message, fix=fix)


class RegistryException(HokusaiException):
    """A model registry operation failed."""

    default_message = "Model registry operation failed"


class VersioningException(HokusaiException):
    """A model versioning operation failed."""

    default_message = "Model versioning operation failed"


class InferenceException(HokusaiException):
    """An inference operation failed."""

    default_message = "Inference failed"


class LocalFallbackWarning(UserWarning):
    """Tracking data went to the local store because the MLflow server was unreachable."""
