"""What a check family is and the context each one receives (the registry is ``checks.registry``).

Family modules import this package; this package imports no family, so the registry can import them
all at the top without a cycle.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hokusai_contracts.contract.model import Api
from hokusai_contracts.findings import Finding
from hokusai_contracts.servers.server import MlflowServer


def _load_contracts(api_dir: Path) -> Api:
    # Imported on use so the CLI starts (and --help works) without loading YAML machinery.
    from hokusai_contracts.contract.store import load_contracts

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
    server: MlflowServer | None = None  # verify's server, when a selected family needs one
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
