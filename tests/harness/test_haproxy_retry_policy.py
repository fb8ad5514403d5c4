"""HAProxy's retry policy for the ha topology: a request that reached an instance is never sent again.

The fault run's duplicated registrations were examined against this: HAProxy answered 502 (``SH--``) to a
request whose instance was SIGKILLed mid-way and did not re-send it. These tests keep the configuration
that way: retries only when the connection to an instance could not be made.
"""

from __future__ import annotations

from pathlib import Path

from hokusai_contracts.servers.haproxy import Backend, render_config

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
