"""One operation fuzzed with Schemathesis 4 and Hypothesis: requests generated, answers checked,
distinct problems kept with the first request that showed each."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from hokusai_contracts.base.errors import ContractError
from hokusai_contracts.checks.http.rules import (
    AUTH_IGNORED,
    CONSUMER_FIELD_MISSING,
    SCHEMA_VIOLATION,
    SERVER_ERROR,
    UNDOCUMENTED_STATUS,
)

_BODY_EXCERPT = 300


@dataclass(frozen=True)
class Problem:
    """One distinct problem Schemathesis found on an operation, with the first request showing it."""

    rule: str
    message: str
    curl: str
    status: int | None
    body: str


@dataclass
class OperationRun:
    """What fuzzing one operation produced: request count, distinct problems, a transport error."""

    label: str
    requests: int = 0
    problems: dict[tuple[str, str], Problem] = field(default_factory=dict)
    unreachable: str | None = None
    auth_probed: bool = False

    def add(self, key: tuple[str, str], problem: Problem) -> None:
        """Keep the first request that showed the problem ``key`` (rule, Schemathesis' own key)."""
        self.problems.setdefault(key, problem)


@dataclass(frozen=True)
class Target:
    """Where and how requests go: base URL, credential headers, timeout."""

    base_url: str
    headers: dict[str, str]
    timeout: float

    def transport_kwargs(self) -> dict[str, Any]:
        """What Schemathesis' checks need to send follow-up requests (the auth probes) the same way."""
        return {"base_url": self.base_url, "headers": dict(self.headers), "timeout": self.timeout}


def rule_of(failure: Any) -> str:
    """The rule id of a Schemathesis failure."""
    from schemathesis.core.failures import ServerError
    from schemathesis.openapi.checks import IgnoredAuth, JsonSchemaError, UndefinedStatusCode

    if isinstance(failure, ServerError):
        return SERVER_ERROR
    if isinstance(failure, UndefinedStatusCode):
        return UNDOCUMENTED_STATUS
    if isinstance(failure, IgnoredAuth):
        return AUTH_IGNORED
    if isinstance(failure, JsonSchemaError) and failure.schema_path and failure.schema_path[-1] == "required":
        # A field the contract requires is absent: for a consumer contract, one the client reads.
        return CONSUMER_FIELD_MISSING
    return SCHEMA_VIOLATION


def _checks() -> list[Any]:
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        ignored_auth,
        response_schema_conformance,
        status_code_conformance,
    )

    return [not_a_server_error, status_code_conformance, response_schema_conformance, ignored_auth]


def _excerpt(response: Any) -> str:
    text = getattr(response, "text", "") or ""
    return text if len(text) <= _BODY_EXCERPT else text[:_BODY_EXCERPT] + "..."


def _record_failures(
    run: OperationRun, case: Any, response: Any, failures: Iterable[Any], target: Target
) -> None:
    curl = case.as_curl_command(headers=dict(response.request.headers), base_url=target.base_url)
    for failure in failures:
        rule = rule_of(failure)
        message = f"{failure.title}: {failure.message}" if failure.message else failure.title
        run.add(
            (rule, f"{type(failure).__name__}:{failure._unique_key}"),
            Problem(rule, message, curl, response.status_code, _excerpt(response)),
        )


def _probe_without_credentials(run: OperationRun, case: Any, target: Target) -> None:
    """Send ``case`` once with no credentials at all: a secured operation must answer 401 (or 403)."""
    import requests

    kwargs = case.as_transport_kwargs(base_url=target.base_url)
    kwargs["headers"] = {k: v for k, v in kwargs.get("headers", {}).items() if k.lower() != "authorization"}
    response = requests.request(**kwargs, timeout=target.timeout)
    run.requests += 1
    if response.status_code in (401, 403):
        return
    curl = case.as_curl_command(headers=kwargs["headers"], base_url=target.base_url)
    curl = curl.replace(" -H 'Authorization: [Filtered]'", "")
    run.add(
        (AUTH_IGNORED, "no-credentials"),
        Problem(
            AUTH_IGNORED,
            f"declared to need credentials, but answered {response.status_code} to a request without any "
            "(expected 401)",
            curl,
            response.status_code,
            _excerpt(response),
        ),
    )


def fuzz_operation(
    operation: Any, run: OperationRun, mode: str, target: Target, *, secured: bool, max_examples: int,
    seed: int | None,
) -> None:  # fmt: skip
    """Generate up to ``max_examples`` requests for ``operation`` in ``mode``; record problems in ``run``."""
    import hypothesis
    import requests
    from hypothesis import HealthCheck, Phase, given, settings
    from schemathesis import GenerationMode
    from schemathesis.core.failures import FailureGroup

    checks = _checks()

    def test(case: Any) -> None:
        if run.unreachable:
            return
        try:
            if secured and not run.auth_probed:
                run.auth_probed = True
                _probe_without_credentials(run, case, target)
            response = case.call(base_url=target.base_url, headers=target.headers, timeout=target.timeout)
        except requests.RequestException as exc:
            run.unreachable = f"{type(exc).__name__}: {exc}"
            return
        run.requests += 1
        try:
            case.validate_response(
                response, checks=checks, headers=target.headers, transport_kwargs=target.transport_kwargs()
            )
        except FailureGroup as group:
            _record_failures(run, case, response, group.exceptions, target)

    strategy = operation.as_strategy(generation_mode=GenerationMode(mode))
    wrapped = given(case=strategy)(test)
    wrapped = settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        # No shrinking: failures are collected, not raised, and every request counts against the budget.
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        derandomize=seed is None,
        print_blob=False,
    )(wrapped)
    if seed is not None:
        wrapped = hypothesis.seed(seed)(wrapped)
    try:
        wrapped()
    except hypothesis.errors.Unsatisfiable:
        if mode == "positive":
            raise ContractError(
                "no valid request can be generated from the contract for this operation"
            ) from None
