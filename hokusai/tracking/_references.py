"""Parse the ways a model can be named when comparing models."""

from __future__ import annotations

from dataclasses import dataclass

from hokusai.exceptions import InvalidParameterError

SUPPORTED_FORMS = (
    "'name/version' or 'models:/name/version' (a registered model version), "
    "'name@alias' or 'models:/name@alias', 'models:/m-<id>' (an MLflow 3 logged model), "
    "'runs:/<run_id>/<path>', or a bare MLflow run id"
)


@dataclass(frozen=True)
class ModelReference:
    """A model named by registered version, alias, or run."""

    text: str
    kind: str  # "version", "alias", "logged_model" or "run"
    name: str | None = None
    version: str | None = None
    alias: str | None = None
    run_id: str | None = None
    artifact_path: str | None = None
    model_id: str | None = None

    @property
    def model_uri(self) -> str | None:
        """The URI ``mlflow.pyfunc.load_model`` accepts, when the reference names a loadable model."""
        if self.kind == "version":
            return f"models:/{self.name}/{self.version}"
        if self.kind == "alias":
            return f"models:/{self.name}@{self.alias}"
        if self.kind == "logged_model":
            return f"models:/{self.model_id}"
        if self.artifact_path:
            return f"runs:/{self.run_id}/{self.artifact_path}"
        return None


def parse_model_reference(ref: str) -> ModelReference:
    """Parse ``ref`` (see :data:`SUPPORTED_FORMS`); raise InvalidParameterError when malformed."""
    if not isinstance(ref, str) or not ref.strip():
        raise InvalidParameterError(
            "model_id",
            f"a model reference must be a non-empty string, got {ref!r}",
            fix=f"use {SUPPORTED_FORMS}",
        )
    text = ref.strip()
    if text.startswith("runs:/"):
        run_id, _, path = text[len("runs:/") :].partition("/")
        if not run_id:
            raise InvalidParameterError(
                "model_id", f"no run id in {text!r}", fix="use 'runs:/<run_id>/<path>'"
            )
        return ModelReference(text, "run", run_id=run_id, artifact_path=path or None)
    body = text[len("models:/") :] if text.startswith("models:/") else text
    if "@" in body:
        name, _, alias = body.rpartition("@")
        if name and alias:
            return ModelReference(text, "alias", name=name, alias=alias)
    if "/" in body:
        name, _, version = body.rpartition("/")
        if name and version.isdigit():
            return ModelReference(text, "version", name=name, version=version)
    if (
        body
        and "/" not in body
        and "@" not in body
        and (text.startswith("models:/") or body.startswith("m-"))
    ):
        return ModelReference(text, "logged_model", model_id=body)
    if text.startswith("models:/") or "/" in body or "@" in body:
        raise InvalidParameterError(
            "model_id", f"cannot tell which model {text!r} names", fix=f"use {SUPPORTED_FORMS}"
        )
    return ModelReference(text, "run", run_id=text)
