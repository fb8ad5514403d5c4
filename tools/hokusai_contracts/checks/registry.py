"""The registry of check families that ``verify`` runs: signatures, snippets, auth, http.

Adding a family is one ``register(CheckFamily(...))`` line at the bottom.
"""

from __future__ import annotations

from hokusai_contracts.checks import CheckFamily, VerifyContext
from hokusai_contracts.checks.auth.family import run_auth
from hokusai_contracts.checks.http.family import run_http
from hokusai_contracts.checks.signatures.gate import OPTION_CELL_VERSIONS, check_signatures
from hokusai_contracts.checks.snippets.family import run_snippets
from hokusai_contracts.findings import Finding

CHECKS: dict[str, CheckFamily] = {}


def register(family: CheckFamily) -> CheckFamily:
    """Add ``family`` to :data:`CHECKS` (replacing one of the same name)."""
    CHECKS[family.name] = family
    return family


def run_signatures(context: VerifyContext) -> list[Finding]:
    """Compare the contracted signatures with the introspected ones (in a matrix cell, for its versions)."""
    return check_signatures(
        context.contract_api(), context.observed_api(), context.options.get(OPTION_CELL_VERSIONS)
    )


register(CheckFamily("signatures", "public names, signatures and exports match the contract", run_signatures))
register(CheckFamily("snippets", "documentation examples run as documented", run_snippets, needs_server=True))
register(CheckFamily("auth", "auth scenarios end as documented, leak no secret", run_auth, needs_server=True))
register(CheckFamily("http", "HTTP contracts hold on live servers", run_http, needs_server=True))
