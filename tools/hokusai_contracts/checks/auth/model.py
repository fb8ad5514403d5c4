"""What an auth scenario says (read from YAML) and what running it observed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hokusai_contracts.findings.catalogue import auth as auth_rules

CHECK = "auth"
# Rule ids, from the one rule catalogue (its entries hold titles, explanations and fixes).
UNEXPECTED_OUTCOME = auth_rules.UNEXPECTED_OUTCOME.id
WRONG_ERROR = auth_rules.WRONG_ERROR.id
MISSING_FIX = auth_rules.MISSING_FIX.id
SECRET_LEAKED = auth_rules.SECRET_LEAKED.id
MALFORMED = auth_rules.MALFORMED.id

# Server kind -> the pytest session fixture that provides it.
SERVER_FIXTURES = {
    "gateway": "gateway",
    "gateway-rate-limited": "rate_limited_gateway",
    "gateway-dead-upstream": "dead_upstream_gateway",
    "basic-auth": "basic_auth_server",
    "mlflow": "mlflow_server",
}
GATEWAY_KINDS = frozenset({"gateway", "gateway-rate-limited", "gateway-dead-upstream"})


@dataclass(frozen=True)
class Step:
    """One setup action run before the call, as the server's admin (``action: argument``)."""

    action: str
    argument: Any
    line: int | None = None


@dataclass(frozen=True)
class Expectation:
    """What must happen: success, or an exception with the given attributes."""

    success: bool = False
    exception: str | None = None
    status_code: int | None = None
    error_code: str | None = None
    required_scope: str | None = None
    mlflow_registered: bool | None = None
    message_contains: tuple[str, ...] = ()
    retried: bool | None = None
    requests: int | None = None
    circuit: str | None = None
    notification: str | None = None


@dataclass(frozen=True)
class Resilience:
    """The SDK's retry and breaker settings while the scenario runs (SDK defaults unless given)."""

    max_attempts: int = 3
    initial_delay: float = 0.5
    max_delay: float = 8.0
    failure_threshold: int = 5
    recovery_timeout: float = 30.0
    request_timeout: float = 15.0


@dataclass(frozen=True)
class Scenario:
    """One auth scenario, with where it stands in its file."""

    name: str
    description: str
    server: str
    operation: str
    expect: Expectation
    env: dict[str, str] = field(default_factory=dict)
    args: dict[str, Any] = field(default_factory=dict)
    config_file: dict[str, dict[str, str]] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    call_args: dict[str, Any] = field(default_factory=dict)
    setup: tuple[Step, ...] = ()
    resilience: Resilience = field(default_factory=Resilience)
    file: str = ""
    line: int | None = None


@dataclass(frozen=True)
class RecordedRequest:
    """One request that reached the server during the call (seen by the recording proxy)."""

    method: str
    path: str
    status: int
    at: float


@dataclass
class Observation:
    """What running a scenario produced; every text here is raw (it may hold a leaked secret)."""

    succeeded: bool
    exception_type: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    text: str = ""  # str(exception)
    representation: str = ""  # repr(exception)
    traceback: str = ""
    result: Any = None
    result_repr: str = ""  # repr(result) where the call was made (result itself may be a JSON copy)
    requests: list[RecordedRequest] = field(default_factory=list)
    circuit: str | None = None
    followup_exception: str | None = None
    followup_requests: int = 0
    logs: str = ""
    output: str = ""
    warnings: str = ""
    duration_s: float = 0.0

    @property
    def attempts(self) -> int:
        """How often the last request of the call was sent (retries of the failing request)."""
        if not self.requests:
            return 0
        last = self.requests[-1]
        return sum(1 for r in self.requests if (r.method, r.path) == (last.method, last.path))

    def channels(self) -> dict[str, str]:
        """Every text the user could see, by where it appeared."""
        return {
            "the exception text (str)": self.text,
            "the exception repr": self.representation,
            "the traceback": self.traceback,
            "the logs": self.logs,
            "standard output/error": self.output,
            "warnings": self.warnings,
            "the call's result": self.result_repr or ("" if self.result is None else repr(self.result)),
        }
