"""Turn ``--model-path`` into something ``register_tokenized_model`` takes: a model URI or an MLflow folder.

A pickled or joblib-saved model is loaded and saved as an MLflow model folder in a temporary
directory (a scikit-learn estimator with mlflow.sklearn, so its flavor is kept); the registry then
uploads that folder into a run. Loading a pickle runs code from the file: only load your own files.
"""

from __future__ import annotations

import contextlib
import pickle
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hokusai.exceptions import InvalidParameterError, ModelNotFoundError

PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib")
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]+:/")
_ACCEPTED = (
    "a fitted model saved with joblib.dump or pickle.dump (.joblib, .pkl), an MLflow model folder "
    "(one holding an MLmodel file), or a runs:/ or models:/ URI"
)


@dataclass(frozen=True)
class PreparedModel:
    """What to register (``uri``: a URI or local MLflow folder), how to describe it, and tags it brings."""

    uri: str
    description: str
    tags: dict[str, str] = field(default_factory=dict)


def _bad_file(path: Path, why: str, fix: str) -> InvalidParameterError:
    return InvalidParameterError("model_path", f"Cannot load the model in {path}: {why}", fix=fix)


def load_model_file(path: Path) -> Any:
    """The object pickled in ``path`` (joblib reads plain pickles too), with clear errors when it fails."""
    try:
        import joblib
    except ImportError:  # scikit-learn brings joblib; without it plain pickles still load
        joblib = None
    try:
        if joblib is not None:
            return joblib.load(path)
        with open(path, "rb") as handle:
            return pickle.load(handle)
    except ModuleNotFoundError as exc:
        raise _bad_file(
            path,
            f"it needs the Python module '{exc.name}', which is not installed here",
            f"install the package that provides '{exc.name}' (as used in training), then retry",
        ) from None
    except AttributeError as exc:
        raise _bad_file(
            path,
            f"a class it refers to cannot be found ({exc})",
            "if the model's class was defined in the training script (__main__), move it into an "
            "importable module, or save the model as an MLflow model folder (mlflow.pyfunc.save_model)",
        ) from None
    except (pickle.UnpicklingError, EOFError, ValueError, KeyError, IndexError, TypeError) as exc:
        raise _bad_file(
            path,
            f"it is not a pickle or joblib file ({type(exc).__name__}: {exc})",
            "save the fitted model with joblib.dump(model, 'model.joblib'), or pass an MLflow model folder",
        ) from None
    except OSError as exc:
        raise _bad_file(path, exc.strerror or str(exc), "check the file's permissions") from None


def _requirements(flavor: Any, infer: bool) -> dict[str, Any]:
    # MLflow infers requirements by loading the model in a subprocess (seconds); the defaults are instant.
    return {} if infer else {"pip_requirements": flavor.get_default_pip_requirements()}


def save_model_folder(
    model: Any, folder: Path, *, infer_requirements: bool = True
) -> tuple[str, dict[str, str]]:
    """Save ``model`` as an MLflow model in ``folder``; return the flavor used and the tags it brings."""
    from hokusai.core._model_logging import classify_model
    from hokusai.core.models import HokusaiModel

    try:
        source = classify_model(model, "model_path")
    except InvalidParameterError:
        if not callable(getattr(model, "predict", None)):
            raise InvalidParameterError(
                "model_path",
                f"The file holds a {type(model).__module__}.{type(model).__qualname__}, not a model",
                fix=f"pass {_ACCEPTED}",
            ) from None
        source = classify_model(HokusaiModel.wrap(model), "model_path")
    if source.kind == "sklearn":
        import mlflow.sklearn

        mlflow.sklearn.save_model(
            source.value, str(folder), **_requirements(mlflow.sklearn, infer_requirements)
        )
        return "mlflow.sklearn", dict(source.tags)
    if source.kind == "pyfunc":
        import mlflow.pyfunc

        mlflow.pyfunc.save_model(
            str(folder), python_model=source.value, **_requirements(mlflow.pyfunc, infer_requirements)
        )
        return "mlflow.pyfunc", dict(source.tags)
    raise InvalidParameterError(
        "model_path",
        f"The file holds a model that points at {source.value}, not a model itself",
        fix="pass that URI or folder as --model-path",
    )


def _is_uri(text: str) -> bool:
    return bool(_URI.match(text)) and not text.lower().startswith("file:")


def check_model_path(model_path: str) -> None:
    """Raise a clear error when ``model_path`` cannot be a model (cheap: nothing is loaded)."""
    text = model_path.strip()
    if _is_uri(text):
        return
    path = Path(text).expanduser()
    if not path.exists():
        raise ModelNotFoundError(
            model_id=str(path),
            message=f"No model at {path}: the path does not exist",
            fix=f"pass {_ACCEPTED}",
        )
    if path.is_dir():
        if not (path / "MLmodel").is_file():
            raise InvalidParameterError(
                "model_path",
                f"{path} is a folder but not an MLflow model folder (it has no MLmodel file)",
                fix="save the model with mlflow.sklearn.save_model(model, 'folder') (or another flavor's "
                "save_model), or pass the .joblib / .pkl file",
            )
        return
    if path.suffix.lower() not in PICKLE_SUFFIXES:
        raise InvalidParameterError(
            "model_path",
            f"{path} has the suffix '{path.suffix}', which is not a model file this command reads",
            fix=f"pass {_ACCEPTED}",
        )


@contextlib.contextmanager
def prepared_model(model_path: str, *, infer_requirements: bool = True) -> Iterator[PreparedModel]:
    """The model at ``model_path`` in a form the registry registers (temporary files removed afterwards)."""
    check_model_path(model_path)
    text = model_path.strip()
    if _is_uri(text):
        yield PreparedModel(uri=text, description="model URI")
        return
    path = Path(text).expanduser()
    if path.is_dir():
        yield PreparedModel(uri=str(path.resolve()), description=f"MLflow model folder {path.name}")
        return
    model = load_model_file(path)
    with tempfile.TemporaryDirectory(prefix="hokusai-model-") as tmp:
        flavor, tags = save_model_folder(model, Path(tmp) / "model", infer_requirements=infer_requirements)
        description = f"{type(model).__qualname__} from {path.name} (logged with {flavor})"
        yield PreparedModel(uri=str(Path(tmp) / "model"), description=description, tags=tags)
