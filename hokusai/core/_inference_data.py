"""Inference data in and out: caller data to model input, a stable fingerprint, predictions to a list."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from hokusai.exceptions import InvalidParameterError

_ACCEPTED = (
    "a pandas DataFrame, a list of records (dicts), a list of rows (lists), a list of values, "
    "or a 2-D numpy array"
)


def _invalid(message: str, fix: str = f"pass {_ACCEPTED}") -> InvalidParameterError:
    return InvalidParameterError("data", message, fix=fix)


def to_model_input(data: Any) -> Any:
    """The DataFrame (or numpy array) a pyfunc model predicts on; raise for empty or unusable data."""
    import numpy as np
    import pandas as pd

    if data is None:
        raise _invalid("data is None: there is nothing to predict on")
    if isinstance(data, pd.DataFrame):
        if len(data.index) == 0:
            raise _invalid("data is an empty DataFrame: there is nothing to predict on")
        return data
    if isinstance(data, np.ndarray):
        if data.ndim == 0 or data.shape[0] == 0:
            raise _invalid(f"data is a numpy array of shape {data.shape}: there is nothing to predict on")
        return data
    if isinstance(data, Mapping):
        raise _invalid(
            "data is a single dict; predict_batch takes a batch",
            fix="wrap one record in a list: [record], or pass a DataFrame",
        )
    if isinstance(data, str | bytes) or not isinstance(data, list | tuple):
        raise _invalid(f"data of type {type(data).__name__} cannot be turned into a model input")
    if not data:
        raise _invalid("data is an empty list: there is nothing to predict on")
    if all(isinstance(row, Mapping) for row in data):
        return pd.DataFrame.from_records(list(data))
    if all(isinstance(row, list | tuple | np.ndarray) for row in data):
        return pd.DataFrame([list(row) for row in data])
    if any(isinstance(row, Mapping | list | tuple | np.ndarray) for row in data):
        raise _invalid(
            "data mixes records, rows and single values",
            fix="use one shape for every row: all dicts, all lists, or all single values",
        )
    return pd.DataFrame({0: list(data)})


def fingerprint(model_input: Any) -> str:
    """A SHA-256 of the input's columns, types and values, equal for equal data in any process."""
    import numpy as np
    import pandas as pd

    digest = hashlib.sha256()
    if isinstance(model_input, pd.DataFrame):
        digest.update(json.dumps([[str(c), str(t)] for c, t in model_input.dtypes.items()]).encode())
        try:
            # pandas hashes with a fixed key, so the values' hash is stable across processes.
            values = pd.util.hash_pandas_object(model_input, index=False).to_numpy()
            digest.update(values.tobytes())
        except TypeError:
            # Unhashable cells (lists, dicts): fall back to a text rendering of the values.
            digest.update(model_input.to_json(orient="values", default_handler=str).encode())
    else:
        array = np.asarray(model_input)
        digest.update(f"{array.dtype.str}{array.shape}".encode())
        if array.dtype.hasobject:
            digest.update(json.dumps(array.tolist(), default=str).encode())
        else:
            digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def to_python_list(predictions: Any) -> list:
    """Model output as a list of plain Python values (numpy scalars become ints, floats, strs)."""
    import numpy as np
    import pandas as pd

    if isinstance(predictions, pd.DataFrame):
        if predictions.shape[1] == 1:
            return predictions.iloc[:, 0].tolist()
        return predictions.to_dict(orient="records")
    if isinstance(predictions, np.ndarray | pd.Series):
        return predictions.tolist()
    if isinstance(predictions, str | bytes):
        return [predictions]
    if isinstance(predictions, Mapping):
        # Some pyfunc models answer {"predictions": [...]}: a mapping is one result, not a batch.
        return [predictions]
    if isinstance(predictions, list | tuple) or hasattr(predictions, "__iter__"):
        return [item.item() if isinstance(item, np.generic) else item for item in predictions]
    return [predictions.item() if isinstance(predictions, np.generic) else predictions]
