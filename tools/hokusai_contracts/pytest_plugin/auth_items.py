"""Auth scenario files as pytest tests: one item per scenario, servers from the session fixtures.

Items are :class:`pytest.Function` objects so they can ask for fixtures: each one requests only the
fixture of its scenario's server (``gateway``, ``basic_auth_server``...) through
``request.getfixturevalue``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hokusai_contracts.base.errors import ContractError
from hokusai_contracts.checks.auth.family import run_one
from hokusai_contracts.checks.auth.load import SUFFIXES, load_file
from hokusai_contracts.checks.auth.model import MALFORMED, SERVER_FIXTURES, Scenario
from hokusai_contracts.checks.auth.servers import fixture_source
from hokusai_contracts.findings import Finding, Outcome
from hokusai_contracts.reports.text import finding_text


def is_scenario_file(file_path: Path, contracts_dir: Path) -> bool:
    """True for ``<contracts>/auth/*.yaml``."""
    return file_path.suffix in SUFFIXES and file_path.resolve().parent == (contracts_dir / "auth").resolve()


class ScenarioFailure(Exception):
    """Raised by a scenario item; carries the finding :meth:`ScenarioItem.repr_failure` shows."""

    def __init__(self, finding: Finding):
        super().__init__(finding.message)
        self.finding = finding


class ScenarioFile(pytest.File):
    """A file of auth scenarios: one item per scenario."""

    def collect(self) -> Iterator[pytest.Item]:
        """One :class:`ScenarioItem` per scenario; a malformed file is a collection error (AUTH005)."""
        try:
            scenarios = load_file(self.path)
        except ContractError as exc:
            raise self.CollectError(
                f"{MALFORMED} {exc}\nfix: correct the scenario file at the place named "
                "(contracts/auth/README.md)"
            ) from None
        for scenario in scenarios:
            yield ScenarioItem.from_parent(self, name=scenario.name, callobj=_run, scenario=scenario)


def _run(request: pytest.FixtureRequest) -> None:
    item: ScenarioItem = request.node
    finding = run_one(item.scenario, fixture_source(request.getfixturevalue, SERVER_FIXTURES))
    if finding.outcome is Outcome.SKIPPED:
        pytest.skip(finding.message)
    if finding.outcome is not Outcome.PASSED:
        raise ScenarioFailure(finding)


class ScenarioItem(pytest.Function):
    """One auth scenario: passes when the SDK behaves as the scenario says and leaks nothing."""

    def __init__(self, *, scenario: Scenario, **kwargs):
        self.scenario = scenario
        super().__init__(**kwargs)

    def repr_failure(self, excinfo, style=None):
        """The finding: rule, scenario, file:line, message, fix and what was observed (masked)."""
        if isinstance(excinfo.value, ScenarioFailure):
            return finding_text(excinfo.value.finding, self.config.rootpath)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self):
        """The scenario file and the scenario's line."""
        line = self.scenario.line - 1 if self.scenario.line else None
        return self.path, line, f"auth scenario {self.name}"
