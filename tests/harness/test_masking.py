"""Secret masking: every kind of secret the harness may print, and the texts it must leave alone."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hokusai_contracts.base.masking import known_secrets, mask_api_key, mask_secrets

KEY = "hk_live_9fQx2LmZpR7tVbN3QtN"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"key {KEY} rejected", "key hk_live_...QtN rejected"),
        ("hk_test_abc", "hk_test_***"),
        (f"Authorization: Bearer {KEY}", "Authorization: Bearer hk_live_...QtN"),
        ("Authorization: Bearer abc.def-123", "Authorization: Bearer ***"),
        ("headers={'Authorization': 'Basic dXNlcjpwYXNz'}", "headers={'Authorization': 'Basic ***'}"),
        ("sent Bearer eyJhbGciOi.J9x", "sent Bearer ***"),
        ("https://admin:s3cr3t@mlflow.example.com/api", "https://admin:***@mlflow.example.com/api"),
        ("MLFLOW_TRACKING_PASSWORD=hunter2 done", "MLFLOW_TRACKING_PASSWORD=*** done"),
        ("?access_token=abc123&page=2", "?access_token=***&page=2"),
        ("login(password='x y')", "login(password='***')"),
        ('{"password": "abc", "token": null}', '{"password": "***", "token": null}'),
        (f"api_key={KEY}", "api_key=hk_live_...QtN"),
    ],
)
def test_masks_secrets(text, expected):
    assert mask_secrets(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "def login(token=None, password=None)",  # signatures in findings must stay readable
        "Bearer authentication is not supported by basic-auth servers",
        "http://127.0.0.1:5000/api/2.0/mlflow",
        "bearer token hk_live_...QtN",  # the SDK's own masked description
        "missing token: pass api_key=<your key>",
        "",
    ],
)
def test_leaves_non_secrets_alone(text):
    assert mask_secrets(text) == text


def test_api_key_mask_keeps_prefix_and_last_three():
    assert mask_api_key(KEY) == "hk_live_...QtN"
    assert mask_api_key("hk_test_short") == "hk_test_***"
    assert mask_api_key("not-a-key") == "***"


def test_known_secrets_are_masked_on_word_boundaries_only():
    assert mask_secrets("the pass passed", known=["pass"]) == "the *** passed"
    assert known_secrets({"MLFLOW_TRACKING_PASSWORD": "pw1234", "HOME": "/root"}) == ("pw1234",)


_BODY = st.text(string.ascii_letters + string.digits, min_size=8, max_size=40)
_PROSE = st.text(string.ascii_letters + string.digits + " .,;:()[]{}'\"\n", max_size=40)


@given(prefix=_PROSE, body=_BODY, suffix=_PROSE, kind=st.sampled_from(["live", "test"]))
def test_api_key_never_survives(prefix, body, suffix, kind):
    key = f"hk_{kind}_{body}"
    masked = mask_secrets(f"{prefix} {key} {suffix}")
    assert key not in masked
    assert mask_secrets(masked) == masked


@given(
    secret=st.text(string.ascii_letters + string.digits + "!#$*+-./=?^_~", min_size=6, max_size=30),
    template=st.sampled_from(
        [
            "https://user:{}@host/path",
            "Authorization: Bearer {}",
            "password={} next",
            "token={}",
            '{{"password": "{}"}}',
        ]
    ),
)
def test_secret_in_known_places_never_survives(secret, template):
    text = template.format(secret)
    masked = mask_secrets(text)
    assert secret not in masked.replace("***", "")
    assert mask_secrets(masked) == masked
