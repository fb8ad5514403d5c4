"""Model references accepted by ExperimentManager.compare_models."""

from __future__ import annotations

import pytest

from hokusai.exceptions import InvalidParameterError
from hokusai.tracking._references import parse_model_reference


@pytest.mark.parametrize(
    ("text", "kind", "fields", "uri"),
    [
        ("churn/3", "version", {"name": "churn", "version": "3"}, "models:/churn/3"),
        ("models:/churn/3", "version", {"name": "churn", "version": "3"}, "models:/churn/3"),
        ("team/churn/12", "version", {"name": "team/churn", "version": "12"}, "models:/team/churn/12"),
        ("churn@champion", "alias", {"name": "churn", "alias": "champion"}, "models:/churn@champion"),
        ("models:/churn@champion", "alias", {"name": "churn", "alias": "champion"}, "models:/churn@champion"),
        ("models:/m-0123abcd", "logged_model", {"model_id": "m-0123abcd"}, "models:/m-0123abcd"),
        ("m-0123abcd", "logged_model", {"model_id": "m-0123abcd"}, "models:/m-0123abcd"),
        ("runs:/abc123/model", "run", {"run_id": "abc123", "artifact_path": "model"}, "runs:/abc123/model"),
        ("0123456789abcdef0123456789abcdef", "run", {"run_id": "0123456789abcdef0123456789abcdef"}, None),
    ],
)
def test_supported_forms(text, kind, fields, uri):
    ref = parse_model_reference(text)
    assert ref.kind == kind
    for name, value in fields.items():
        assert getattr(ref, name) == value
    assert ref.model_uri == uri


@pytest.mark.parametrize("bad", ["", "   ", None, 3, "churn/latest", "models:/", "runs:/"])
def test_malformed_references_list_the_supported_forms(bad):
    with pytest.raises(InvalidParameterError) as info:
        parse_model_reference(bad)
    assert "How to fix" in str(info.value)
