"""The cheap check an open circuit breaker makes: does the server answer ``GET <tracking URI>/health``?"""

from __future__ import annotations

from collections.abc import Callable

from hokusai._mlflow.target import MLflowTarget

# Short: a probe runs in a caller's thread while the breaker is open, and a server that is back
# answers /health in milliseconds.
PROBE_TIMEOUT_S = 2.0


def health_probe(target: MLflowTarget, timeout: float = PROBE_TIMEOUT_S) -> Callable[[], bool]:
    """A probe for ``target``'s breaker: True when its server answers ``/health`` with a status below 500.

    Any answer below 500 counts (a gateway may require a key for ``/health``: its 401 still shows it is
    up); a 5xx (a load balancer with no healthy instance) or no answer does not. No credentials are
    sent; the target's TLS settings (CA bundle, client certificate, insecure flag) are used.
    """
    url = f"{target.tracking_uri.rstrip('/')}/health"
    credentials = target.credentials
    verify: bool | str = not credentials.insecure_tls
    if verify and credentials.ca_bundle_path:
        verify = credentials.ca_bundle_path
    cert = credentials.client_cert_path or None

    def probe() -> bool:
        import requests  # MLflow's own HTTP library; imported on first probe to keep SDK import cheap

        try:
            response = requests.get(url, timeout=timeout, verify=verify, cert=cert, allow_redirects=False)
        except requests.RequestException:
            return False
        with response:
            return response.status_code < 500

    return probe
