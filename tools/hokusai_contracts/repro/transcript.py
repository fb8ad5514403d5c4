"""The HTTP transcript of a claim: the recording proxy's exchanges as calls with credentials masked."""

from __future__ import annotations

from collections.abc import Iterable

from hokusai_contracts.base.masking import mask_secrets
from hokusai_contracts.checks.http.recorder import Exchange
from hokusai_contracts.repro.outcome import HttpCall

# The headers that tell who called and how; the rest (content type, length...) is noise in a ticket.
KEPT_HEADERS = ("authorization", "user-agent")


def calls_of(exchanges: Iterable[Exchange], secrets: Iterable[str]) -> tuple[HttpCall, ...]:
    """One masked :class:`HttpCall` per exchange, in the order they were answered."""
    secrets = tuple(secrets)
    calls = []
    for exchange in exchanges:
        kept = {
            name.lower(): value for name, value in exchange.request_headers if name.lower() in KEPT_HEADERS
        }
        headers = tuple(
            (name.title(), _masked_value(name, kept[name], secrets)) for name in KEPT_HEADERS if name in kept
        )
        calls.append(HttpCall(exchange.method, exchange.path, exchange.status, headers))
    return tuple(calls)


def _masked_value(name: str, value: str, secrets: tuple[str, ...]) -> str:
    # Masked as a header line, so the Authorization rule applies even to a scheme masking does not know.
    line = mask_secrets(f"{name}: {value}", secrets)
    return line.split(": ", 1)[1] if ": " in line else "***"
