"""The gateway server process: ``python -m hokusai_contracts.gateway.serve --config FILE --port P``.

What never reaches the app, and what the client gets then. uvicorn parses HTTP/1.1 with h11 (chosen
explicitly: pure Python, always installed, the same strictness on every machine), which rejects some
requests before an ASGI scope exists: a NUL byte, CR, LF, vertical tab or form feed inside a header value,
a malformed request line or header name, an invalid or doubled ``Content-Length``, an unsupported
``Transfer-Encoding``, a missing ``Host``, and a request head (request line + headers) still incomplete
after :data:`MAX_HEADER_BYTES` (a longer head that arrives in one read is parsed, and an absurdly long
``Authorization`` value then gets the app's 401). uvicorn would answer those with a text/plain 400;
:class:`GatewayH11Protocol` answers them with the gateway's JSON error (400, ``malformed_request``),
then reads and drops what the client still sends for up to :data:`LINGER_SECONDS` before closing: closing
at once with unread bytes makes the kernel reset the connection, and the client would lose the answer.
Other control characters and bytes 0x80-0xFF in a header value pass h11 and reach the app (an
``Authorization`` holding them is a 401 ``invalid_api_key``). Nothing at all is answered when the client
closes the connection before its request head is complete: there is no request to answer.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from hokusai_contracts.gateway import errors
from hokusai_contracts.gateway.app import create_gateway_app
from hokusai_contracts.gateway.config import GatewayConfig

# h11's limit on a request head (uvicorn's default, stated here because the 400 message quotes it): an
# absurdly long Authorization value is refused by it, a merely long one by the app's key check.
MAX_HEADER_BYTES = 16 * 1024
# How long a rejected connection is drained before it is closed (see the module docstring).
LINGER_SECONDS = 2.0


class GatewayH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, answering what h11 rejects with the gateway's JSON error instead of text."""

    rejected = False

    def data_received(self, data: bytes) -> None:
        """Parse ``data``; once the connection was rejected, drop it (the answer is already sent)."""
        if not self.rejected:
            super().data_received(data)

    def send_400_response(self, msg: str) -> None:
        """Answer a request h11 cannot parse with the ``malformed_request`` JSON error, then close."""
        if self.conn.our_state not in (h11.IDLE, h11.SEND_RESPONSE):
            # A response is already under way (the error came mid-body): nothing valid can be sent now.
            self.transport.close()
            return
        error = errors.malformed_request(MAX_HEADER_BYTES)
        body = json.dumps(error.body(), separators=(",", ":")).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]
        for event in (
            h11.Response(status_code=error.status, headers=headers, reason=b"Bad Request"),
            h11.Data(data=body),
            h11.EndOfMessage(),
        ):
            self.transport.write(self.conn.send(event))
        self.rejected = True
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.loop.call_later(LINGER_SECONDS, self.transport.close)


def run(config: GatewayConfig, host: str, port: int) -> None:
    """Serve the gateway for ``config`` on ``host:port`` until stopped."""
    uvicorn.run(
        create_gateway_app(config),
        host=host,
        port=port,
        log_level="info",
        http=GatewayH11Protocol,
        h11_max_incomplete_event_size=MAX_HEADER_BYTES,
        # The gateway serves no WebSockets: an upgrade request is an ordinary request (a JSON 401/404).
        ws="none",
        # X-Forwarded-For is not trusted (uvicorn trusts it from 127.0.0.1 by default): the lockout of
        # invalid keys is per TCP peer, and a header would let one client pose as any number of addresses.
        proxy_headers=False,
    )


def main(argv: list[str] | None = None) -> None:
    """Run the gateway described by ``--config`` under uvicorn until it is stopped."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    try:
        config = GatewayConfig.from_json(args.config.read_text())
    except (OSError, ValueError) as exc:
        parser.exit(2, f"gateway configuration {args.config}: {exc}\n")
    run(config, args.host, args.port)


if __name__ == "__main__":
    main()
