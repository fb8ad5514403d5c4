"""Per-call HTTP settings for MLflow's REST layer, without environment variables or a lock.

MLflow takes three things only from ``os.environ`` (or as ``http_request`` arguments its callers do
not pass): the retry count, the request timeout and, for artifact transfers, the credentials. The
SDK must control all three (it retries itself: MLflow's own retries would multiply the wait), but it
must not write the environment (two threads calling two servers would see each other's settings).

So :func:`install` wraps MLflow's ``http_request`` once, in the two modules the SDK's requests go
through (``mlflow.utils.rest_utils`` for the REST API, ``mlflow.store.artifact.http_artifact_repo``
for artifacts). The wrapper changes nothing unless a route is in force for the current request:

- :func:`routed_to` sets one for the calling thread (a ``ContextVar``) for the duration of an SDK
  call; other threads, and the same thread outside SDK calls, are untouched;
- :func:`fluent_route` sets one process-wide, only while the session holds the lock that points
  MLflow's fluent API at a target (see ``session.py``): MLflow's fluent code runs parts of its work
  on its own worker threads, which a ``ContextVar`` does not reach.

A route applies only to requests whose host is its target's tracking URI (or below it), so a
target's credentials are never sent anywhere else; it fills ``max_retries=0`` and the SDK's
timeout where the caller left them unset.

HTTP 429 and ``Retry-After``: MLflow's REST layer hides response headers, and its urllib3 retry
layer turns a 429 into "too many 429 error responses" without the response. So the wrapper also
drops 429 from the ``retry_codes`` it passes (the SDK retries anyway): urllib3 then returns the 429
response, the wrapper notes its status and ``Retry-After`` in the route's :class:`WireNotes` (one
per SDK call attempt), and MLflow raises its usual error for a non-200 answer, now with the
server's body. The session reads the notes when it translates that error
(``RateLimitError.retry_after``). 5xx answers keep MLflow's handling.
"""

from __future__ import annotations

import contextlib
import contextvars
import email.utils
import functools
import importlib
import inspect
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from hokusai._mlflow.target import MLflowTarget

# (module, attribute) pairs that hold MLflow's http_request; the first is where call_endpoint finds it.
_PATCH_POINTS = (
    ("mlflow.utils.rest_utils", "http_request"),
    ("mlflow.store.artifact.http_artifact_repo", "http_request"),
)
_WRAPPED_MARKER = "__hokusai_route__"

_install_lock = threading.Lock()


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Seconds a ``Retry-After`` header value asks to wait (delta-seconds or HTTP date); None if unusable.

    ``now`` is the current POSIX time (default: ``time.time()``); a date in the past is 0 seconds.
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None or when.tzinfo is None:
            return None  # RFC 9110 dates are GMT; one without a zone is not a valid HTTP date
        seconds = when.timestamp() - (time.time() if now is None else now)
    if seconds != seconds or seconds in (float("inf"), float("-inf")):  # NaN, infinity
        return None
    return max(0.0, seconds)


@dataclass
class WireNotes:
    """What the responses of one SDK call attempt showed that MLflow's exceptions do not carry."""

    last: tuple[int, float | None] | None = None  # (status, Retry-After seconds) of the last response

    def saw(self, response: Any) -> None:
        """Note ``response``'s status and, for a 429, its ``Retry-After``."""
        status = getattr(response, "status_code", None)
        if not isinstance(status, int):
            return
        headers = getattr(response, "headers", None) or {}
        retry_after = retry_after_seconds(headers.get("Retry-After")) if status == 429 else None
        self.last = (status, retry_after)  # one assignment: MLflow's worker threads may write too

    @property
    def rate_limited(self) -> bool:
        """True when the last response was a 429."""
        return self.last is not None and self.last[0] == 429

    @property
    def retry_after(self) -> float | None:
        """The last 429's ``Retry-After`` in seconds (None: not a 429, or no usable header)."""
        return self.last[1] if self.last is not None else None


@dataclass(frozen=True)
class Route:
    """Where requests of one SDK call go, with which credentials and HTTP settings."""

    target: MLflowTarget
    timeout: float
    notes: WireNotes = field(default_factory=WireNotes, compare=False)

    def serves(self, host: str | None) -> bool:
        """True when ``host`` (an MLflow request base URL) is this route's server."""
        if not host or not self.target.is_remote:
            return False
        base = self.target.tracking_uri.rstrip("/")
        host = host.rstrip("/")
        return host == base or host.startswith(base + "/")

    def host_creds(self, host: str) -> Any:
        """MLflow host credentials for ``host`` carrying this route's target credentials."""
        return host_creds_for(self.target, host)


_thread_route: contextvars.ContextVar[Route | None] = contextvars.ContextVar("hokusai_route", default=None)
_fluent_route: Route | None = None


def host_creds_for(target: MLflowTarget, host: str | None = None) -> Any:
    """``MlflowHostCreds`` for ``host`` (default: the tracking URI) with ``target``'s credentials."""
    from mlflow.utils.rest_utils import MlflowHostCreds

    credentials = target.credentials
    basic = credentials.kind == "basic"
    return MlflowHostCreds(
        host=host or target.tracking_uri,
        username=credentials.username if basic else None,
        password=credentials.password if basic else None,
        token=None if basic else credentials.token,
        aws_sigv4=credentials.aws_sigv4,
        ignore_tls_verification=credentials.insecure_tls,
        client_cert_path=credentials.client_cert_path,
        server_cert_path=credentials.ca_bundle_path,
    )


def current_route() -> Route | None:
    """The route of the calling thread's SDK call, else the fluent section's route, else None."""
    return _thread_route.get() or _fluent_route


@contextlib.contextmanager
def routed_to(target: MLflowTarget, timeout: float, notes: WireNotes | None = None) -> Iterator[Route]:
    """Route the calling thread's MLflow requests to ``target`` for the duration of the block."""
    install()
    route = Route(target, timeout, notes if notes is not None else WireNotes())
    token = _thread_route.set(route)
    try:
        yield route
    finally:
        _thread_route.reset(token)


@contextlib.contextmanager
def fluent_route(target: MLflowTarget, timeout: float, notes: WireNotes | None = None) -> Iterator[None]:
    """Route every thread's requests to ``target``'s server; only while holding the fluent lock."""
    global _fluent_route
    install()
    previous = _fluent_route
    _fluent_route = Route(target, timeout, notes if notes is not None else WireNotes())
    try:
        yield
    finally:
        _fluent_route = previous


def _reset_state() -> None:
    # For hokusai.testing.reset() (between tests, not during SDK calls): no fluent route in force.
    # The http_request wrapper stays installed: without a route it changes nothing.
    global _fluent_route
    _fluent_route = None


@functools.cache
def _retry_codes_without_429(original: Callable[..., Any]) -> frozenset[int] | None:
    # MLflow's default retry_codes minus 429 (None when this MLflow's http_request has no such parameter).
    try:
        parameter = inspect.signature(original).parameters.get("retry_codes")
    except (TypeError, ValueError):
        return None
    if parameter is None or parameter.default is inspect.Parameter.empty:
        return None
    try:
        return frozenset(code for code in parameter.default if code != 429)
    except TypeError:
        return None


def _wrap(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def http_request(host_creds: Any, endpoint: str, method: str, *args: Any, **kwargs: Any) -> Any:
        route = current_route()
        if route is None or not route.serves(getattr(host_creds, "host", None)):
            return original(host_creds, endpoint, method, *args, **kwargs)
        host_creds = route.host_creds(host_creds.host)
        if not args:  # MLflow passes these by keyword; positional callers keep their values
            if kwargs.get("max_retries") is None:
                kwargs["max_retries"] = 0
            if kwargs.get("timeout") is None:
                kwargs["timeout"] = route.timeout
            if "retry_codes" not in kwargs:
                # Let a 429 response through to MLflow's error handling, headers and body intact.
                codes = _retry_codes_without_429(original)
                if codes is not None:
                    kwargs["retry_codes"] = codes
        response = original(host_creds, endpoint, method, *args, **kwargs)
        route.notes.saw(response)
        return response

    setattr(http_request, _WRAPPED_MARKER, original)
    return http_request


def install() -> None:
    """Wrap MLflow's ``http_request`` where the SDK's requests find it (idempotent, cheap to repeat).

    Checked on every use rather than once: code that patches and later restores MLflow's function
    (a test's ``mock.patch``) must not leave the SDK's requests unrouted.
    """
    for module_name, attribute in _PATCH_POINTS:
        module = sys.modules.get(module_name)
        if module is None:
            module = importlib.import_module(module_name)
        if not hasattr(getattr(module, attribute), _WRAPPED_MARKER):
            with _install_lock:
                current = getattr(module, attribute)
                if not hasattr(current, _WRAPPED_MARKER):
                    setattr(module, attribute, _wrap(current))
