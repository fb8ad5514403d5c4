"""Everything a reference build reads, gathered once: the contracts and the optional run results."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from hokusai_contracts.base.errors import HarnessUsageError
from hokusai_contracts.checks.auth.load import load_dir
from hokusai_contracts.checks.auth.model import Scenario
from hokusai_contracts.checks.snippets.family import discover
from hokusai_contracts.checks.snippets.model import Page
from hokusai_contracts.checks.snippets.parse import parse_page
from hokusai_contracts.contract.model import Api
from hokusai_contracts.contract.store import load_contracts
from hokusai_contracts.reference.results import Verification, read_matrix, read_verification
from hokusai_contracts.reports.matrix_model import Matrix
from hokusai_contracts.verify.known_differences import declared_rows
from hokusai_contracts.verify.known_differences import load as load_declarations


@dataclass
class ReferenceInputs:
    """The API contract, the documentation pages, the auth scenarios and what the last runs found."""

    api: Api
    pages: list[Page] = field(default_factory=list)
    scenarios: list[Scenario] = field(default_factory=list)
    verification: Verification | None = None
    matrix: Matrix | None = None
    # (family, subject, versions, reason, where) of every version declaration of the contracts
    known_differences: tuple[tuple[str, str, str, str, str], ...] = ()


def load_inputs(contracts: Path, results: Path | None = None, matrix: Path | None = None) -> ReferenceInputs:
    """Read ``contracts`` (api/, docs/, auth/) and the given result files; malformed ones raise."""
    contracts = Path(contracts)
    if not (contracts / "api").is_dir():
        raise HarnessUsageError(
            f"contracts directory {str(contracts)!r} has no api/ folder; pass --contracts DIR (the folder "
            "holding api/*.yaml, docs/*.md and auth/*.yaml)"
        )
    loaded = load_dir(contracts / "auth")
    if loaded.errors:
        raise loaded.errors[0]
    return ReferenceInputs(
        api=load_contracts(contracts / "api"),
        pages=[parse_page(path) for path in discover(contracts / "docs")],
        scenarios=sorted(loaded.scenarios, key=lambda s: s.name),
        verification=None if results is None else read_verification(results),
        matrix=None if matrix is None else read_matrix(matrix),
        known_differences=tuple(declared_rows(load_declarations(contracts), contracts.parent)),
    )
