"""Behavioural compatibility on the real SDK: this repository's contracts as OLD, a broken SDK copy as NEW.

The copy maps MLflow's 403 to its generic error instead of AuthorizationError: no signature changes, yet
the documented 403 example (contracts/docs/authentication.md) and the basic-auth scenarios that expect
AuthorizationError (contracts/auth/basic-auth.yaml) regress. One page and one scenario file keep it to
one basic-auth server and two runs of each.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from harness_support import REPO, SDK_SOURCE
from sdk_mutations import copy_sdk

from hokusai_contracts.findings import Outcome, Severity
from hokusai_contracts.release.behaviour import BehaviourSide, behaviour_findings

PAGE = REPO / "contracts" / "docs" / "authentication.md"
SCENARIOS = REPO / "contracts" / "auth" / "basic-auth.yaml"
FORBIDDEN_BRANCH = "if status in (401, 403):"


def old_contracts(root: Path) -> Path:
    """A contracts directory holding the repository's 403 page and basic-auth scenarios, unchanged."""
    contracts = root / "contracts"
    (contracts / "docs").mkdir(parents=True)
    (contracts / "auth").mkdir()
    shutil.copy(PAGE, contracts / "docs" / PAGE.name)
    shutil.copy(SCENARIOS, contracts / "auth" / SCENARIOS.name)
    shutil.copytree(REPO / "contracts" / "schema", contracts / "schema")
    return contracts


def sdk_without_authorization_error(root: Path) -> Path:
    """A copy of the SDK where a 403 is no longer translated to AuthorizationError."""
    copy_sdk(SDK_SOURCE, root)
    errors = root / "hokusai" / "_mlflow" / "errors.py"
    source = errors.read_text(encoding="utf-8")
    assert FORBIDDEN_BRANCH in source, "the SDK's 401/403 translation moved: update this mutation"
    errors.write_text(source.replace(FORBIDDEN_BRANCH, "if status == 401:"), encoding="utf-8")
    return root


def line_of(path: Path, text: str, start: int = 1) -> int:
    """The first line at or after ``start`` of ``path`` that contains ``text``."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, 1) if n >= start and text in line)


def test_a_new_sdk_that_loses_authorization_error_regresses_the_403_example_and_scenarios(tmp_path: Path):
    old = BehaviourSide("1.1.0", None, old_contracts(tmp_path / "old"))
    new = BehaviourSide("mutated", None, None, (str(sdk_without_authorization_error(tmp_path / "new")),))

    findings = behaviour_findings(old, new)

    examples = [f for f in findings if f.rule == "BC101" and f.failed]
    assert [f.subject for f in examples] == ["hokusai.ExperimentManager.create_improvement_experiment"]
    [example] = examples
    fence = line_of(PAGE, "raises=AuthorizationError")
    assert example.location.file == str(tmp_path / "old" / "contracts" / "docs" / PAGE.name)
    assert example.location.line == line_of(PAGE, "create_improvement_experiment(", fence)
    assert "(expected AuthorizationError)" in example.message and "fails with mutated" in example.message
    scenarios = {f.subject: f for f in findings if f.rule == "BC102" and f.failed}
    assert set(scenarios) == {
        "basic-auth-reader-writes-admin-model",
        "basic-auth-denied-user-reads-model",
        "basic-auth-denied-user-reads-experiment",
    }
    regressed = scenarios["basic-auth-reader-writes-admin-model"]
    assert regressed.location.line == line_of(SCENARIOS, "name: basic-auth-reader-writes-admin-model")
    assert regressed.location.file.endswith("auth/basic-auth.yaml")
    assert "AuthorizationError" in regressed.message
    # Everything that does not involve a 403 still passes.
    others = [f for f in findings if not f.failed]
    assert all(
        f.outcome in (Outcome.PASSED, Outcome.SKIPPED) or f.severity is Severity.WARNING for f in others
    )
    assert any(f.rule == "BC102" and f.outcome is Outcome.PASSED for f in others)
