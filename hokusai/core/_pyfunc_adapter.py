"""The ``mlflow.pyfunc`` form of a :class:`~hokusai.core.models.HokusaiModel` subclass (calls predict).

No ``from __future__ import annotations`` here: MLflow reads the ``predict`` type hint at class
creation, and it must be the real ``pandas.DataFrame`` class, not a string it cannot resolve.
"""

import functools
from typing import Any


@functools.cache
def adapter_class() -> type:
    """The adapter class, created on first use so that importing the SDK does not import MLflow.

    Being defined inside a function, it is pickled by value (cloudpickle cannot look it up by
    name): a logged model needs the HokusaiModel's own class at load time, not this module.
    """
    import mlflow.pyfunc
    import pandas as pd

    class HokusaiPyfuncModel(mlflow.pyfunc.PythonModel):
        """Serves ``hokusai_model.predict(data)`` as an MLflow pyfunc model."""

        def __init__(self, hokusai_model: Any) -> None:
            self.hokusai_model = hokusai_model

        # A DataFrame hint is one MLflow neither validates nor converts (so the caller's data reaches
        # predict as it was passed), and it keeps MLflow from warning about a missing hint.
        def predict(self, context: Any, model_input: pd.DataFrame, params: Any = None) -> Any:
            return self.hokusai_model.predict(model_input)

    return HokusaiPyfuncModel


def pyfunc_adapter(hokusai_model: Any) -> Any:
    """An ``mlflow.pyfunc.PythonModel`` whose ``predict`` calls ``hokusai_model.predict(data)``."""
    return adapter_class()(hokusai_model)
