"""Hokusai SDK: register, version and track ML models on the Hokusai platform (on top of MLflow).

Quick start::

    from hokusai import ModelRegistry

    registry = ModelRegistry()  # embedded local MLflow store; or ModelRegistry("https://...")
    registry.register_tokenized_model("runs:/<run>/model", "lead-scoring", "LSCOR", "accuracy", 0.92)

MLflow is imported lazily on first use, so ``import hokusai`` stays fast.
"""

from __future__ import annotations

from hokusai.auth import AuthConfig, HokusaiAuth, ProfileManager, configure, setup
from hokusai.config import MLflowAuthConfig, get_mlflow_auth_status, setup_mlflow_auth
from hokusai.core import (
    ABTestConfig,
    ABTestResult,
    CacheConfig,
    HokusaiInferencePipeline,
    HokusaiModel,
    InferenceRequest,
    InferenceResponse,
    ModelFactory,
    ModelLineage,
    ModelRegistry,
    ModelRegistryEntry,
    ModelTrafficRouter,
    ModelType,
    ModelVersionManager,
    TrafficSplit,
    Version,
)
from hokusai.exceptions import (
    AuthenticationError,
    AuthorizationError,
    CircuitOpenError,
    ConfigurationError,
    HokusaiException,
    InferenceException,
    InvalidParameterError,
    LocalFallbackWarning,
    MethodNotImplementedError,
    MLflowAuthenticationError,
    MLflowConnectionError,
    MLflowError,
    ModelNotFoundError,
    NotificationError,
    RateLimitError,
    RegistryException,
    VersioningException,
)
from hokusai.resilience import CircuitBreaker, RetryPolicy, configure_resilience
from hokusai.tracking import ExperimentManager, PerformanceTracker

__version__ = "1.3.0"

__all__ = [
    "ABTestConfig",
    "ABTestResult",
    "AuthConfig",
    "AuthenticationError",
    "AuthorizationError",
    "CacheConfig",
    "CircuitBreaker",
    "CircuitOpenError",
    "ConfigurationError",
    "ExperimentManager",
    "HokusaiAuth",
    "HokusaiException",
    "HokusaiInferencePipeline",
    "HokusaiModel",
    "InferenceException",
    "InferenceRequest",
    "InferenceResponse",
    "InvalidParameterError",
    "LocalFallbackWarning",
    "MLflowAuthConfig",
    "MLflowAuthenticationError",
    "MLflowConnectionError",
    "MLflowError",
    "MethodNotImplementedError",
    "ModelFactory",
    "ModelLineage",
    "ModelNotFoundError",
    "ModelRegistry",
    "ModelRegistryEntry",
    "ModelTrafficRouter",
    "ModelType",
    "ModelVersionManager",
    "NotificationError",
    "PerformanceTracker",
    "ProfileManager",
    "RateLimitError",
    "RegistryException",
    "RetryPolicy",
    "TrafficSplit",
    "Version",
    "VersioningException",
    "__version__",
    "configure",
    "configure_resilience",
    "get_mlflow_auth_status",
    "setup",
    "setup_mlflow_auth",
]
