"""A basic-auth server that goes away during an auth scenario's setup: an infrastructure error that says
which step failed, never a crash with a traceback (seen when a fault run killed the server mid-grant)."""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass

import pytest

from hokusai_contracts.base.errors import InfrastructureError
from hokusai_contracts.checks.auth.servers import ServerHandle
from hokusai_contracts.checks.auth.setup_steps import create_experiment, grant
from hokusai_contracts.servers.basic_auth import BasicAuthUsers


@dataclass
class _Gone:
    """A server whose port accepts a connection, then closes it without an answer."""

    url: str
    users: BasicAuthUsers


@pytest.fixture
def hangs_up():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()

    def serve() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            connection.recv(65536)
            connection.close()  # no status line: http.client's RemoteDisconnected

    threading.Thread(target=serve, daemon=True).start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    listener.close()


def test_a_server_hanging_up_mid_setup_is_an_infrastructure_error(hangs_up):
    users = BasicAuthUsers.generate()
    handle = ServerHandle("basic-auth", _Gone(hangs_up, users))  # type: ignore[arg-type]
    argument = {"user": "reader", "permission": "READ", "resource": "experiment", "name": "e"}
    with pytest.raises(InfrastructureError, match="setup step grant failed: RemoteDisconnected") as raised:
        grant(handle, argument, {})
    assert users.admin_password not in str(raised.value)
    with pytest.raises(InfrastructureError, match=r"setup step POST /api/2\.0/mlflow/experiments/create"):
        create_experiment(handle, "e", {})
