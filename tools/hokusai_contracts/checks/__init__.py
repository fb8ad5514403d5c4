"""The registry of check families that ``verify`` runs, and the context each one receives.

Adding a family is one line at the bottom: ``register(CheckFamily("snippets", "...", run_snippets))``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hokusai_contracts.findings import Finding
from hokusai_contracts.model import Api


def _load_contracts(api_dir: Path) -> Api:
    # Imported on use so the CLI starts (and --help works) without loading YAML machinery.
    from hokusai_contracts.store import load_contracts

    return load_contracts(api_dir)


def _introspect(package: str, python: str | None) -> Api:
    from hokusai_contracts.introspection import introspect

    return introspect(package=package, python=python)


@dataclass
class VerifyContext:
    """What a check family gets: where the contracts are, which interpreter and package to check.

    ``contracts_dir`` is the contracts root (API contracts in its ``api/``, later documents, auth and
    HTTP contracts beside). The contract and the observed API are loaded at most once per context and
    shared by every family; ``contract_loader`` (given the ``api/`` directory) and ``introspector`` can
    be replaced (tests, custom setups).
    """

    contracts_dir: Path
    python: str | None = None
    package: str = "hokusai"
    options: dict[str, Any] = field(default_factory=dict)
    server: Any = None  # a provisioning.RunningServer when a selected family needs one
    contract_loader: Callable[[Path], Api] = _load_contracts
    introspector: Callable[[str, str | None], Api] = _introspect
    _cache: dict[str, Api] = field(default_factory=dict, repr=False, compare=False)

    @property
    def api_dir(self) -> Path:
        """Where the API contract files are: one YAML file per public module."""
        return self.contracts_dir / "api"

    def contract_api(self) -> Api:
        """The committed API contract (read once)."""
        if "contract" not in self._cache:
            self._cache["contract"] = self.contract_loader(self.api_dir)
        return self._cache["contract"]

    def observed_api(self) -> Api:
        """The API the installed SDK really has (introspected once)."""
        if "observed" not in self._cache:
            self._cache["observed"] = self.introspector(self.package, self.python)
        return self._cache["observed"]

    @property
    def sdk_version(self) -> str | None:
        """The SDK version, when a family has introspected it."""
        observed = self._cache.get("observed")
        return observed.version if observed else None


@dataclass(frozen=True)
class CheckFamily:
    """A named group of checks that ``verify`` can run, select (--only) or skip (--skip)."""

    name: str
    description: str
    run: Callable[[VerifyContext], Iterable[Finding]]
    needs_server: bool = False


CHECKS: dict[str, CheckFamily] = {}


def register(family: CheckFamily) -> CheckFamily:
    """Add ``family`` to :data:`CHECKS` (replacing one of the same name)."""
    CHECKS[family.name] = family
    return family


def run_signatures(context: VerifyContext) -> list[Finding]:
    """Compare the contracted signatures with the introspected ones."""
    from hokusai_contracts.checks.signatures import check_signatures

    return check_signatures(context.contract_api(), context.observed_api())


register(CheckFamily("signatures", "public names, signatures and exports match the contract", run_signatures))


def run_snippets(context: VerifyContext) -> list[Finding]:
    """Run every documentation page (``<contracts>/docs/*.md``) as an executable contract."""
    from hokusai_contracts.snippets.family import run_snippets as run

    return run(context)


register(CheckFamily("snippets", "documentation examples run as documented", run_snippets, needs_server=True))


def run_auth(context: VerifyContext) -> list[Finding]:
    """Run every auth scenario (``<contracts>/auth/*.yaml``) against live gateways and MLflow servers."""
    from hokusai_contracts.auth.family import run_auth as run

    return run(context)


register(CheckFamily("auth", "auth scenarios end as documented, leak no secret", run_auth, needs_server=True))


def run_http(context: VerifyContext) -> list[Finding]:
    """Check the HTTP contracts (``<contracts>/http/*.openapi.yaml``) against live servers."""
    from hokusai_contracts.http.family import run_http as run

    return run(context)


register(CheckFamily("http", "HTTP contracts hold on live servers", run_http, needs_server=True))
