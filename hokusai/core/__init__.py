"""Model registry, versioning, inference and A/B routing on MLflow.

Importing this package is cheap: MLflow is only imported when a registry talks to it.
"""

from hokusai.core.ab_testing import ABTestConfig, ABTestResult, ABTestStatus, ModelTrafficRouter, TrafficSplit
from hokusai.core.entries import ModelLineage, ModelRegistryEntry
from hokusai.core.inference import CacheConfig, HokusaiInferencePipeline, InferenceRequest, InferenceResponse
from hokusai.core.models import HokusaiModel, ModelFactory, ModelType, WrappedModel
from hokusai.core.registry import ModelRegistry
from hokusai.core.semver import Version
from hokusai.core.versioning import ModelVersionManager

__all__ = [
    "ABTestConfig",
    "ABTestResult",
    "ABTestStatus",
    "CacheConfig",
    "HokusaiInferencePipeline",
    "HokusaiModel",
    "InferenceRequest",
    "InferenceResponse",
    "ModelFactory",
    "ModelLineage",
    "ModelRegistry",
    "ModelRegistryEntry",
    "ModelTrafficRouter",
    "ModelType",
    "ModelVersionManager",
    "TrafficSplit",
    "Version",
    "WrappedModel",
]
