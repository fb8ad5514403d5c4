"""HAProxy's retry policy for the ha topology: a request that reached an instance is never sent again.

The fault run's duplicated registrations were examined against this: HAProxy answered 502 (``SH--``) to a
request whose instance was SIGKILLed mid-way and did not re-send it. These tests keep the configuration
that way: retries only when the connection to an instance could not be made.
"""

from __future__ import annotations

from pathlib import Path

from hokusai.resilience import ResilienceConfig
from hokusai_contracts.chaos.run import ChaosOptions
from hokusai_contracts.servers.haproxy import (
    CHECK_TIMEOUT_MS,
    DETECTION_WINDOW_S,
    Backend,
    render_config,
)

# retry-on keywords that re-send a request after it reached a server (a response error, a timeout, a
# close after sending): unsafe for a non-idempotent create.
UNSAFE_RETRY_ON = {
    "empty-response",
    "junk-response",
    "response-timeout",
    "0rtt-rejected",
    "all-retryable-errors",
    "401",
    "403",
    "404",
    "408",
    "425",
    "500",
    "501",
    "502",
    "503",
    "504",
}


def config() -> str:
    backends = [Backend("mlflow-0", "127.0.0.1", 5001), Backend("mlflow-1", "127.0.0.1", 5002)]
    return render_config(8080, backends, Path("/tmp/haproxy.sock"))


def directive(text: str, name: str) -> list[list[str]]:
    lines = [line.split("#", 1)[0].split() for line in text.splitlines()]
    return [words[1:] for words in lines if words and words[0] == name]


def test_the_balancer_retries_only_connection_failures():
    retry_on = directive(config(), "retry-on")
    assert retry_on == [["conn-failure"]]
    assert not UNSAFE_RETRY_ON & {word for words in retry_on for word in words}


def test_no_request_is_re_sent_by_other_means():
    text = config()
    assert not directive(text, "http-request")  # no http-request set-retries / redirect tricks
    assert directive(text, "retries") == [["3"]], "connection attempts, not request re-sends"
    assert ["redispatch"] in directive(text, "option"), "a failed connection goes to another instance"


def test_a_hung_instance_is_found_and_its_requests_cut_within_the_sdks_retry_budget():
    text = config()
    servers = directive(text, "server")
    assert servers and all("on-marked-down" in words for words in servers)
    assert all(words[words.index("on-marked-down") + 1] == "shutdown-sessions" for words in servers)
    assert directive(text, "timeout")[-1] == ["check", f"{CHECK_TIMEOUT_MS}ms"]
    # A request stuck on a hung instance fails (502) once it is marked down: well inside one attempt of
    # the SDK's default timeout, and the retry after the first backoff goes to an instance that answers.
    defaults = ResilienceConfig()
    assert defaults.request_timeout / 2 > DETECTION_WINDOW_S
    assert ChaosOptions().request_timeout_s > DETECTION_WINDOW_S  # the fault run's 5 s too
    assert DETECTION_WINDOW_S <= 3.0
    assert defaults.retry.max_attempts >= 2
