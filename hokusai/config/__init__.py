"""SDK configuration: MLflow tracking credentials and TLS options (see :mod:`hokusai.config.mlflow_auth`)."""

from hokusai.config.mlflow_auth import (
    MLflowAuthConfig,
    check_mlflow_auth,
    get_current_mlflow_auth,
    get_mlflow_auth_status,
    reset_mlflow_auth,
    setup_mlflow_auth,
)

__all__ = [
    "MLflowAuthConfig",
    "check_mlflow_auth",
    "get_current_mlflow_auth",
    "get_mlflow_auth_status",
    "reset_mlflow_auth",
    "setup_mlflow_auth",
]
