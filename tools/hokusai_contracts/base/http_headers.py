"""HTTP header facts the gateway's proxy and the traffic recorder share."""

from __future__ import annotations

# Hop-by-hop headers (RFC 9110 7.6.1) describe one connection: a proxy never relays them.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
