"""Auth scenarios -> the authentication page: credential kind x server -> outcome, error, fix."""

from __future__ import annotations

from collections.abc import Iterable

from hokusai_contracts.checks.auth.model import Scenario
from hokusai_contracts.reference.entries import Linker
from hokusai_contracts.reference.pages import AuthRow, AuthSection, TypeRef

# Where the server is, not a credential: left out of the credentials column.
_NOT_CREDENTIALS = frozenset({"MLFLOW_TRACKING_URI", "tracking_uri"})


# Credential kind -> the variables, arguments and profile keys that carry it.
CREDENTIAL_KINDS = (
    ("Hokusai API key", frozenset({"HOKUSAI_API_KEY", "api_key"})),
    ("bearer token", frozenset({"MLFLOW_TRACKING_TOKEN", "token"})),
    (
        "username and password",
        frozenset({"MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD", "username", "password"}),
    ),
    (
        "client certificate",
        frozenset({"MLFLOW_TRACKING_CLIENT_CERT_PATH", "MLFLOW_TRACKING_CLIENT_KEY_PATH"}),
    ),
)


def credential_kind(scenario: Scenario) -> str:
    """What kind of credential the scenario gives (``"none"``, or several joined by ``+``)."""
    given = {*scenario.env, *scenario.args}
    given |= {key for values in scenario.config_file.values() for key in values}
    kinds = [kind for kind, names in CREDENTIAL_KINDS if given & names]
    return " + ".join(kinds) or "none"


def credentials(scenario: Scenario) -> tuple[str, ...]:
    """How the scenario gives its credentials, one item per variable, argument or profile."""
    items = [
        f"env {name}={value}" if value else f"env {name} empty"
        for name, value in sorted(scenario.env.items())
        if name not in _NOT_CREDENTIALS
    ]
    items += [
        f"{name}={value}" if value else f"{name}=''"
        for name, value in sorted(scenario.args.items())
        if name not in _NOT_CREDENTIALS
    ]
    for profile, values in sorted(scenario.config_file.items()):
        settings = ", ".join(f"{key}={value}" for key, value in sorted(values.items()))
        items.append(f"config profile {profile}: {settings}")
    return tuple(items) or ("none",)


def _error(scenario: Scenario) -> tuple[str, ...]:
    expect = scenario.expect
    facts = []
    if expect.error_code:
        facts.append(f"error code {expect.error_code}")
    if expect.required_scope:
        facts.append(f"required scope {expect.required_scope}")
    if expect.mlflow_registered is not None:
        facts.append("registered in MLflow" if expect.mlflow_registered else "not registered")
    if expect.retried is not None:
        facts.append("retried" if expect.retried else "not retried")
    if expect.requests is not None:
        facts.append(f"{expect.requests} request(s) sent")
    if expect.circuit:
        facts.append(f"circuit {expect.circuit}")
    if expect.notification:
        facts.append(f"notification {expect.notification}")
    return tuple(facts)


def auth_row(scenario: Scenario, linker: Linker) -> AuthRow:
    """One scenario as a row of the authentication page."""
    expect = scenario.expect
    outcome = TypeRef("success") if expect.success else linker.ref(expect.exception or "")
    return AuthRow(
        name=scenario.name,
        server=scenario.server,
        credential_kind=credential_kind(scenario),
        credentials=credentials(scenario),
        call=scenario.operation,
        outcome=outcome,
        status_code=expect.status_code,
        error=_error(scenario),
        fix=expect.message_contains,
        description=" ".join(scenario.description.split()),
    )


def auth_sections(scenarios: Iterable[Scenario], linker: Linker) -> list[AuthSection]:
    """The scenarios grouped by server kind, both sorted by name."""
    by_server: dict[str, list[AuthRow]] = {}
    for scenario in sorted(scenarios, key=lambda s: (s.server, s.name)):
        by_server.setdefault(scenario.server, []).append(auth_row(scenario, linker))
    return [AuthSection(server, tuple(rows)) for server, rows in sorted(by_server.items())]
