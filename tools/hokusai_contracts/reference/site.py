"""Reference inputs -> :class:`Site`: every page's data, with each example's verification line."""

from __future__ import annotations

import re
from collections.abc import Iterable

from hokusai_contracts.reference.auth_table import auth_sections
from hokusai_contracts.reference.entries import ExampleStatus, Linker, module_pages
from hokusai_contracts.reference.examples import Example, examples_by_object
from hokusai_contracts.reference.inputs import ReferenceInputs
from hokusai_contracts.reference.pages import (
    CompatibilityPage,
    CompatibilityRow,
    KnownDifferenceRow,
    Site,
    VerificationSummary,
)
from hokusai_contracts.reference.results import Verification
from hokusai_contracts.reports.matrix_model import Matrix

_PROVIDER = re.compile(r"\b(\w+) provider\b")


def example_status(verification: Verification | None) -> ExampleStatus:
    """Example -> (status, the line printed under it), from the run results given to the build."""

    def status(example: Example) -> tuple[str, str]:
        if example.skip is not None:
            return "skipped", f"Not run by the documentation checks: {example.skip}"
        if verification is None:
            return "unverified", "Not verified in this build (no run results given)."
        version = verification.mlflow_version or "(unknown version)"
        result = verification.blocks.get(example.subject)
        if result is None:
            why = "the run did not include the snippets checks" if not verification.ran_snippets else ""
            return "not-run", f"Not run in the given results{f' ({why})' if why else ''}."
        if result.outcome == "passed":
            return "verified", f"Verified against MLflow {version}."
        if result.outcome == "skipped":
            return "skipped", f"Skipped in the run against MLflow {version}."
        return "failed", f"FAILED against MLflow {version} ({result.rule})."

    return status


def _summary(verification: Verification | None, examples: Iterable[Example]) -> VerificationSummary:
    if verification is None:
        return VerificationSummary(given=False)
    status = example_status(verification)
    counts = {"verified": 0, "failed": 0, "not-run": 0, "skipped": 0}
    for example in {e.subject: e for e in examples}.values():
        kind, _ = status(example)
        counts[kind] = counts.get(kind, 0) + 1
    return VerificationSummary(
        given=True,
        mlflow_version=verification.mlflow_version,
        sdk_version=verification.sdk_version,
        verified=counts["verified"],
        failed=counts["failed"],
        not_run=counts["not-run"],
        skipped=counts["skipped"],
    )


def _cell_text(passed: int, failed: int, errors: int, skipped: int) -> str:
    others = ((failed, "failed"), (errors, "error"), (skipped, "skipped"))
    parts = [f"{passed} passed", *(f"{n} {label}" for n, label in others if n)]
    return ", ".join(parts)


def _provider(server: str) -> str:
    # The server text holds a URL with a random port: only the provider's kind is stable.
    match = _PROVIDER.search(server)
    return match.group(1) if match else ""


def compatibility_page(
    matrix: Matrix | None, known: Iterable[tuple[str, str, str, str, str]] = ()
) -> CompatibilityPage:
    """The matrix rows in the order they were run (absent: a page saying how to produce them), and the
    known differences the contracts declare (family, subject, versions, reason, where)."""
    declared = tuple(KnownDifferenceRow(*row) for row in known)
    if matrix is None:
        return CompatibilityPage(known=declared)
    families = tuple(matrix.families)
    rows = []
    for row in matrix.rows:
        by_family = {cell.family: cell for cell in row.cells}
        cells = tuple(
            _cell_text(c.passed, c.failed, c.errors, c.skipped) if c else "-"
            for c in (by_family.get(family) for family in families)
        )
        rows.append(
            CompatibilityRow(
                sdk_version=row.cells[0].sdk_version if row.cells else "unknown",
                server_version=row.server_version,
                cells=cells,
                exit_code=row.exit_code,
                provider=_provider(row.provider),
                failures=tuple(row.failures),
                client_version=row.client_version,
                python_version=row.python_version,
            )
        )
    return CompatibilityPage(families=families, rows=tuple(rows), available=True, known=declared)


def build_site(inputs: ReferenceInputs) -> Site:
    """Every page of the reference for ``inputs``."""
    examples = examples_by_object(inputs.api, inputs.pages)
    status = example_status(inputs.verification)
    return Site(
        package=inputs.api.package,
        modules=module_pages(inputs.api, examples, status),
        auth=auth_sections(inputs.scenarios, Linker(inputs.api)),
        compatibility=compatibility_page(inputs.matrix, inputs.known_differences),
        verification=_summary(inputs.verification, (e for found in examples.values() for e in found)),
    )
