"""Model registry and versioning: register Hokusai models in MLflow and manage their versions.

Importing this package is cheap: MLflow is only imported when a registry talks to it.
"""

from hokusai.core.entries import ModelLineage, ModelRegistryEntry
from hokusai.core.registry import ModelRegistry
from hokusai.core.semver import Version
from hokusai.core.versioning import ModelVersionManager

__all__ = ["ModelLineage", "ModelRegistry", "ModelRegistryEntry", "ModelVersionManager", "Version"]
