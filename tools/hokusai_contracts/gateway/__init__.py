"""The reference Hokusai platform gateway: API-key auth, scopes, rate limits, a lockout of addresses that
guess keys, and a proxy to MLflow.

The SDK is tested against it to see the platform's real 401/403/429/502/504 answers.
"""

from hokusai_contracts.gateway.config import (
    DEFAULT_AUTH_FAILURE_LIMIT,
    DEFAULT_RATE_LIMIT,
    GatewayConfig,
    UpstreamAuth,
)
from hokusai_contracts.gateway.keys import ADMIN, READ, WRITE, KeyRecord, KeyStore
from hokusai_contracts.gateway.lockout import FailureLimit
from hokusai_contracts.gateway.ratelimit import RateLimit

__all__ = [
    "ADMIN",
    "DEFAULT_AUTH_FAILURE_LIMIT",
    "DEFAULT_RATE_LIMIT",
    "READ",
    "WRITE",
    "FailureLimit",
    "GatewayConfig",
    "KeyRecord",
    "KeyStore",
    "RateLimit",
    "UpstreamAuth",
]
