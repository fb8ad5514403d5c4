"""The contract tests' per-session state, shared by the plugin and its item modules."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from hokusai_contracts.base.errors import HarnessUsageError, InfrastructureError
from hokusai_contracts.checks import CheckFamily, VerifyContext
from hokusai_contracts.contract.subjects import Contracted, contracted, owner, same_file
from hokusai_contracts.findings import Finding, Outcome
from hokusai_contracts.findings.from_errors import error_finding
from hokusai_contracts.verify.runner import run_family


@dataclass
class ContractRun:
    """Per-session state: the contract (read once) and the check's findings (computed once)."""

    contracts_dir: Path
    context: VerifyContext
    check: CheckFamily
    _findings: dict[str | None, list[Finding]] | None = field(default=None, repr=False)

    @property
    def api_dir(self) -> Path:
        """Where the contract files the tests come from are."""
        return self.context.api_dir

    @property
    def docs_dir(self) -> Path:
        """Where the documentation pages whose blocks are tests are."""
        return self.contracts_dir / "docs"

    def entries(self) -> list[Contracted]:
        """Every contracted module and object (raises :class:`ContractError` for a bad contract)."""
        return contracted(self.context.contract_api())

    def entries_in(self, path: Path) -> list[Contracted]:
        """The contracted modules and objects written in the contract file ``path``."""
        bases = (self.contracts_dir, self.api_dir, Path.cwd())
        return [entry for entry in self.entries() if same_file(entry.file, path, bases)]

    def findings_for(self, path: str) -> list[Finding]:
        """The findings about the contracted object ``path``, plus errors that stop every check."""
        if self._findings is None:
            self._findings = self._attribute(self._run())
        return self._findings.get(path, []) + self._findings.get(None, [])

    def _run(self) -> list[Finding]:
        try:
            return run_family(self.check, self.context)
        except HarnessUsageError as exc:
            return [error_finding(self.check.name, InfrastructureError(f"usage error: {exc}"))]

    def _attribute(self, findings: list[Finding]) -> dict[str | None, list[Finding]]:
        entries = self.entries()
        paths = [entry.path for entry in entries]
        modules = [entry.path for entry in entries if entry.is_module] or paths[:1]
        by_path: dict[str | None, list[Finding]] = {}
        for finding in findings:
            key = owner(finding.subject, paths)
            if key is None:
                # An error the check could not pin on an object stops them all; a failure goes to the
                # first module, so no finding is lost between tests.
                key = None if finding.outcome is Outcome.ERROR else (modules[0] if modules else None)
            by_path.setdefault(key, []).append(finding)
        return by_path


RUN_KEY = pytest.StashKey["ContractRun | None"]()


def contract_run_of(config: pytest.Config) -> ContractRun | None:
    """The session's contract run, None when the contract tests are off."""
    return config.stash.get(RUN_KEY, None)
