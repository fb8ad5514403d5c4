"""Verdict logic of bug-report replays: pure functions over what was observed and what a run showed."""

from __future__ import annotations

import pytest

from hokusai_contracts.repro.outcome import HttpCall, Outcome, RaisedException
from hokusai_contracts.repro.report import Observed
from hokusai_contracts.repro.verdict import (
    DIFFERENT_FAILURE,
    ENVIRONMENT_SPECIFIC,
    FIXED,
    NOT_REPRODUCED,
    REPRODUCED,
    STILL_REPRODUCED,
    Judgement,
    against_result,
    final_verdict,
    judge,
)

AUTHORIZATION_ERROR = RaisedException(
    type="hokusai.exceptions.AuthorizationError",
    bases=(
        "hokusai.exceptions.AuthorizationError",
        "hokusai.exceptions.MLflowAuthenticationError",
        "hokusai.exceptions.MLflowError",
        "hokusai.exceptions.HokusaiException",
        "Exception",
        "BaseException",
    ),
    message="MLflow answered HTTP 403 (forbidden)\nHow to fix: ask for a key with `mlflow:write`",
    status=403,
)
IMPORT_ERROR = RaisedException(
    type="ModuleNotFoundError",
    bases=("ModuleNotFoundError", "ImportError", "Exception", "BaseException"),
    message="No module named 'hokusai.tracking'",
)
TYPE_ERROR = RaisedException(
    type="TypeError",
    bases=("TypeError", "Exception", "BaseException"),
    message="ModelRegistry.__init__() missing 1 required positional argument: 'tracking_uri'",
)
RAN = Outcome(output="Tracking components imported successfully\n")
FORBIDDEN_CALLS = (
    HttpCall("GET", "/api/2.0/mlflow/experiments/get-by-name", 404),
    HttpCall("POST", "/api/2.0/mlflow/experiments/create", 403),
)


@pytest.mark.parametrize(
    ("observed", "outcome", "verdict"),
    [
        # the exception type matches itself, a base class, or a qualified name
        (Observed(exception="TypeError"), Outcome(exception=TYPE_ERROR), REPRODUCED),
        (Observed(exception="ImportError"), Outcome(exception=IMPORT_ERROR), REPRODUCED),
        (Observed(exception="Exception"), Outcome(exception=TYPE_ERROR), REPRODUCED),
        (
            Observed(exception="hokusai.exceptions.MLflowError"),
            Outcome(exception=AUTHORIZATION_ERROR),
            REPRODUCED,
        ),
        (Observed(exception="ValueError"), Outcome(exception=TYPE_ERROR), DIFFERENT_FAILURE),
        # message fragments: case and whitespace do not matter, every given field must match
        (
            Observed(exception="TypeError", message="REQUIRED  positional"),
            Outcome(exception=TYPE_ERROR),
            REPRODUCED,
        ),
        (
            Observed(exception="TypeError", message="model_name"),
            Outcome(exception=TYPE_ERROR),
            DIFFERENT_FAILURE,
        ),
        # statuses come from the exception or from the HTTP transcript
        (Observed(status=403), Outcome(exception=AUTHORIZATION_ERROR), REPRODUCED),
        (Observed(status=403), Outcome(transcript=FORBIDDEN_CALLS, exception=TYPE_ERROR), REPRODUCED),
        (Observed(status=401), Outcome(exception=AUTHORIZATION_ERROR), DIFFERENT_FAILURE),
        (Observed(status=404), Outcome(transcript=FORBIDDEN_CALLS[:1]), REPRODUCED),
        # code that runs through does not reproduce a failure
        (Observed(exception="ImportError"), RAN, NOT_REPRODUCED),
        (Observed(status=403, message="403"), Outcome(transcript=FORBIDDEN_CALLS[:1]), NOT_REPRODUCED),
        # output claims
        (Observed(output="imported SUCCESSFULLY"), RAN, REPRODUCED),
        (Observed(output="Import failed"), RAN, NOT_REPRODUCED),
        (Observed(output="Import failed"), Outcome(exception=IMPORT_ERROR), DIFFERENT_FAILURE),
        # a run that timed out or broke is a failure, never a reproduction of an exception type
        (Observed(exception="TypeError"), Outcome(timed_out=True, seconds=120), DIFFERENT_FAILURE),
        (Observed(exception="TypeError"), Outcome(problem="no result"), DIFFERENT_FAILURE),
    ],
)
def test_judge(observed: Observed, outcome: Outcome, verdict: str) -> None:
    assert judge(observed, outcome).verdict == verdict


def test_evidence_names_what_happened() -> None:
    reproduced = judge(Observed(status=403), Outcome(exception=AUTHORIZATION_ERROR))
    assert reproduced.evidence.startswith(
        "Raised AuthorizationError (HTTP 403), as reported: MLflow answered"
    )
    different = judge(Observed(exception="ValueError", message="x"), Outcome(exception=TYPE_ERROR))
    assert "Raised TypeError" in different.evidence and "not ValueError" in different.evidence
    ran = judge(Observed(exception="ImportError"), Outcome(output="noise\nwarning\nTracking OK\n"))
    assert ran.evidence == "The code ran to its end without an exception; it printed: warning / Tracking OK"


def test_checks_show_expected_and_actual() -> None:
    checks = judge(
        Observed(exception="TypeError", message="model_name"), Outcome(exception=TYPE_ERROR)
    ).checks
    assert [(c.field, c.expected, c.matched) for c in checks] == [
        ("exception", "TypeError", True),
        ("message", "model_name", False),
    ]
    assert "tracking_uri" in checks[1].actual


def _judgement(verdict: str) -> Judgement:
    return Judgement(verdict, (), "")


@pytest.mark.parametrize(
    ("reporter", "current", "verdict"),
    [
        (REPRODUCED, None, REPRODUCED),  # the current environment is the reporter's: nothing to compare
        (REPRODUCED, REPRODUCED, REPRODUCED),
        (REPRODUCED, NOT_REPRODUCED, ENVIRONMENT_SPECIFIC),
        (REPRODUCED, DIFFERENT_FAILURE, ENVIRONMENT_SPECIFIC),
        (NOT_REPRODUCED, None, NOT_REPRODUCED),
        (DIFFERENT_FAILURE, None, DIFFERENT_FAILURE),
    ],
)
def test_final_verdict(reporter: str, current: str | None, verdict: str) -> None:
    assert final_verdict(_judgement(reporter), _judgement(current) if current else None) == verdict


@pytest.mark.parametrize(
    ("reporter", "against", "result"),
    [
        (REPRODUCED, NOT_REPRODUCED, FIXED),
        (REPRODUCED, REPRODUCED, STILL_REPRODUCED),
        (REPRODUCED, DIFFERENT_FAILURE, DIFFERENT_FAILURE),
        (NOT_REPRODUCED, NOT_REPRODUCED, NOT_REPRODUCED),
        (NOT_REPRODUCED, REPRODUCED, STILL_REPRODUCED),
    ],
)
def test_against_result(reporter: str, against: str, result: str) -> None:
    assert against_result(_judgement(reporter), _judgement(against)) == result
