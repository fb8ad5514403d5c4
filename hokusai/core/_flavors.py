"""Which MLflow flavor logs a model object natively: read from the object's class, nothing imported.

Apart from ``_model_logging`` (which needs :class:`~hokusai.core.models.HokusaiModel`) so that
``models`` can ask without an import cycle.
"""

from __future__ import annotations

import sys


def is_sklearn_estimator(model: object) -> bool:
    """True for a scikit-learn estimator."""
    # An estimator's class imports sklearn.base, so an object can only be one if it is loaded already.
    base = sys.modules.get("sklearn.base")
    return base is not None and isinstance(model, base.BaseEstimator)


def is_python_model(model: object) -> bool:
    """True for an ``mlflow.pyfunc.PythonModel`` instance."""
    module = sys.modules.get("mlflow.pyfunc.model")
    return module is not None and isinstance(model, module.PythonModel)


def native_kind(model: object) -> str | None:
    """'sklearn' or 'pyfunc' when MLflow logs ``model`` with a flavor of its own, else None."""
    if is_sklearn_estimator(model):
        return "sklearn"
    if is_python_model(model):
        return "pyfunc"
    return None
