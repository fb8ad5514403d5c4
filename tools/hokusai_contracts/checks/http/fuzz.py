"""Fuzz a live server against an OpenAPI contract with Schemathesis 4: each problem becomes a finding.

Per operation, Hypothesis generates ``max_examples`` requests per generation mode (positive: valid
by the contract; negative: invalid) and Schemathesis checks every answer: no 5xx
(``not_a_server_error``), a documented status (``status_code_conformance``), a body matching the
schema (``response_schema_conformance``) and, where the contract demands credentials, that they are
enforced (``ignored_auth``, plus one request without credentials per secured operation).

A contract narrows its own fuzzing with a top-level ``x-fuzz: {modes: [positive]}`` (a consumer
contract: only requests shaped like its client's are meaningful).
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from hokusai_contracts.base.errors import ContractError
from hokusai_contracts.checks.http.document import OpenApiDocument, Operation, load_document
from hokusai_contracts.checks.http.operation_run import OperationRun, Target, fuzz_operation
from hokusai_contracts.checks.http.rules import INFRASTRUCTURE, finding, malformed, passed
from hokusai_contracts.findings import Finding, Location, Outcome

DEFAULT_MAX_EXAMPLES = 10
MODES = ("positive", "negative")
FUZZ_EXTENSION = "x-fuzz"

Auth = str | tuple[str, str]  # a bearer token, or (username, password) for basic auth


def auth_headers(auth: Auth | None) -> dict[str, str]:
    """The ``Authorization`` header for ``auth`` (none without)."""
    if auth is None:
        return {}
    if isinstance(auth, tuple):
        token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        return {"Authorization": f"Basic {token}"}
    return {"Authorization": f"Bearer {auth}"}


def fuzz_modes(document: OpenApiDocument, modes: Sequence[str] | None = None) -> tuple[str, ...]:
    """The generation modes to run: ``modes``, else the contract's ``x-fuzz.modes``, else both."""
    declared = (document.data.get(FUZZ_EXTENSION) or {}).get("modes")
    chosen = tuple(modes or declared or MODES)
    unknown = [mode for mode in chosen if mode not in MODES]
    if unknown:
        line = document.yaml.line((FUZZ_EXTENSION, "modes"))
        raise ContractError(
            f"unknown fuzzing mode(s) {unknown}; expected some of {list(MODES)}",
            file=document.file,
            line=line,
        )
    return chosen


def load_schema(document: OpenApiDocument, base_url: str) -> Any:
    """The Schemathesis schema of ``document``, aimed at ``base_url``."""
    import schemathesis
    from schemathesis.core.errors import LoaderError

    try:
        schema = schemathesis.openapi.from_path(document.file)
    except LoaderError as exc:
        raise ContractError(f"Schemathesis cannot load the document: {exc}", file=document.file) from None
    schema.config.update(base_url=base_url)
    return schema


def _fuzz(
    operation: Any, op: Operation | None, modes: Sequence[str], target: Target, **options: Any
) -> OperationRun:
    from schemathesis.errors import SchemathesisError

    run = OperationRun(operation.label)
    try:
        for mode in modes:
            fuzz_operation(operation, run, mode, target, secured=bool(op and op.secured), **options)
    except SchemathesisError as exc:
        raise ContractError(f"Schemathesis cannot generate requests: {type(exc).__name__}: {exc}") from exc
    return run


def check_http(
    contract_path: Path | str,
    base_url: str,
    *,
    auth: Auth | None = None,
    max_examples: int = DEFAULT_MAX_EXAMPLES,
    modes: Sequence[str] | None = None,
    timeout: float = 10.0,
    seed: int | None = None,
    secrets: Iterable[str] = (),
) -> list[Finding]:
    """Fuzz the live server at ``base_url`` against the contract at ``contract_path``; findings per operation.

    ``auth`` is sent with every generated request (a bearer token or a basic-auth pair); ``secrets`` are
    masked in the findings besides it. Requests are reproducible (derandomized) unless ``seed`` is given.
    """
    from schemathesis.core.result import Ok

    secret_values = (*secrets, *(auth if isinstance(auth, tuple) else (auth,) if auth else ()))
    try:
        document = load_document(contract_path)
        chosen = fuzz_modes(document, modes)
        schema = load_schema(document, base_url)
    except ContractError as exc:
        return [malformed(exc)]
    target = Target(base_url.rstrip("/"), auth_headers(auth), timeout)

    def one(result: Any) -> list[Finding]:
        if not isinstance(result, Ok):
            return [malformed(ContractError(str(result.err()), file=document.file))]
        operation = result.ok()
        op = document.operation(operation.label)
        location = Location(document.file, op.line if op else None)
        try:
            run = _fuzz(operation, op, chosen, target, max_examples=max_examples, seed=seed)
        except ContractError as exc:
            error = ContractError(exc.detail, file=document.file, line=location.line)
            return [malformed(error, subject=operation.label)]
        return operation_findings(run, location, base_url, secret_values)

    # Sequential on purpose: Hypothesis' strategy caches are not safe to share between threads.
    return [f for result in schema.get_all_operations() for f in one(result)]


def operation_findings(
    run: OperationRun, location: Location, base_url: str, secrets: Sequence[str] = ()
) -> list[Finding]:
    """The findings of one fuzzed operation: its problems, else one pass."""
    if run.unreachable:
        message = f"the server at {base_url} did not answer: {run.unreachable}"
        return [finding(INFRASTRUCTURE, run.label, message, location, outcome=Outcome.ERROR, secrets=secrets)]
    if not run.problems:
        return [passed(run.label, f"{run.requests} generated request(s) conformed", location)]
    found = []
    for problem in run.problems.values():
        details = f"reproduce with:\n  {problem.curl}"
        if problem.status is not None:
            details += f"\nanswer: {problem.status} {problem.body}"
        found.append(
            finding(problem.rule, run.label, problem.message, location, details=details, secrets=secrets)
        )
    return found
