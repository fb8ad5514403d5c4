"""Token ids: the grammar (1-64 ASCII letters, digits, inner hyphens) and the upper-case canonical form."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hokusai.core import ModelRegistry
from hokusai.core.tokens import TOKEN_ID_MAX_LENGTH, is_valid_token_id, normalize_token_id
from hokusai.exceptions import InvalidParameterError

_ALLOWED = set(string.ascii_letters + string.digits + "-")


def reference_is_valid(token_id: str) -> bool:
    """The grammar written out plainly, independent of the implementation's regular expression."""
    return (
        1 <= len(token_id) <= TOKEN_ID_MAX_LENGTH
        and all(ch in _ALLOWED for ch in token_id)
        and not token_id.startswith("-")
        and not token_id.endswith("-")
    )


token_ids = st.from_regex(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?", fullmatch=True)
near_tokens = st.text(alphabet=string.ascii_letters + string.digits + "-_ .é\n", max_size=70)


@pytest.mark.parametrize("token_id", ["LSCOR", "a", "7", "lead-score-2", "A--B", "x" * 64])
def test_valid_token_ids_are_accepted_and_upper_cased(token_id):
    assert is_valid_token_id(token_id)
    assert normalize_token_id(token_id) == token_id.upper()


@pytest.mark.parametrize(
    ("token_id", "reason"),
    [
        ("", "empty"),
        ("-LSCOR", "hyphen"),
        ("LSCOR-", "hyphen"),
        ("LS_COR", "'_'"),
        ("LS COR", "' '"),
        ("LSCÖR", "'Ö'"),
        ("LSCOR\n", "'\\n'"),
        ("x" * 65, "65 characters"),
    ],
)
def test_invalid_token_ids_are_rejected_with_reason_and_fix(token_id, reason):
    assert not is_valid_token_id(token_id)
    with pytest.raises(InvalidParameterError) as info:
        normalize_token_id(token_id)
    assert info.value.parameter_name == "token_id"
    assert reason in info.value.message
    assert "letters, digits and hyphens" in str(info.value)


@pytest.mark.parametrize("token_id", [None, 42, b"LSCOR", ["LSCOR"]])
def test_non_strings_are_rejected(token_id):
    assert not is_valid_token_id(token_id)
    with pytest.raises(InvalidParameterError, match="must be a string"):
        normalize_token_id(token_id)


@given(token_ids)
def test_every_grammar_string_is_accepted_and_normalizes_idempotently(token_id):
    normalized = normalize_token_id(token_id)
    assert normalized == token_id.upper()
    assert normalize_token_id(normalized) == normalized
    assert normalize_token_id(token_id.lower()) == normalized


@given(st.one_of(near_tokens, st.text(max_size=80)))
def test_validation_accepts_exactly_the_grammar(text):
    assert is_valid_token_id(text) == reference_is_valid(text)
    if reference_is_valid(text):
        assert normalize_token_id(text) == text.upper()
    else:
        with pytest.raises(InvalidParameterError):
            normalize_token_id(text)


def test_registry_validate_token_id_returns_none_or_raises():
    registry = ModelRegistry()
    assert registry.validate_token_id("LSCOR") is None
    with pytest.raises(InvalidParameterError, match="starts or ends with a hyphen"):
        registry.validate_token_id("LSCOR-")
