"""Experiment and performance tracking on MLflow: ``ExperimentManager`` and ``PerformanceTracker``."""

from hokusai.tracking.experiments import ExperimentManager
from hokusai.tracking.performance import PerformanceTracker

__all__ = ["ExperimentManager", "PerformanceTracker"]
