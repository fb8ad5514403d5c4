"""The HTTP transcript of a claim: the recording proxy's exchanges as calls with credentials masked."""

from __future__ import annotations

from collections.abc import Iterable

from hokusai_contracts.repro.outcome import HttpCall
from hokusai_contracts.servers.proxy import Exchange

# The headers that tell who called and how; the rest (content type, length...) is noise in a ticket.
KEPT_HEADERS = ("authorization", "user-agent")


def calls_of(exchanges: Iterable[Exchange], secrets: Iterable[str]) -> tuple[HttpCall, ...]:
    """One masked :class:`HttpCall` per exchange, in the order they were answered."""
    secrets = tuple(secrets)
    return tuple(
        HttpCall(e.method, e.path, e.status, e.masked_headers(KEPT_HEADERS, secrets)) for e in exchanges
    )
