"""Throwaway servers to fuzz: fuzzing writes junk (experiments, runs, files, events), so it never goes
to a server that other checks or tests use."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hokusai_contracts.servers import RunningServer, start_mlflow_process


@dataclass(frozen=True)
class FuzzTargets:
    """A throwaway MLflow server and a reference gateway in front of it."""

    mlflow: RunningServer
    gateway: Any  # a gateway.server.RunningGateway (imported lazily: it needs fastapi)

    def stop(self) -> None:
        """Stop the gateway, then MLflow."""
        try:
            self.gateway.stop()
        finally:
            self.mlflow.stop()


StartServer = Callable[[str, Path], Any]  # (kind, workdir) -> a running server, as server_run provides


def throwaway_mlflow(workdir: Path, start: StartServer | None, avoid_url: str | None) -> Any:
    """An MLflow server to fuzz: from ``start`` unless that is the one at ``avoid_url``, else a local one."""
    if start is not None:
        server = start("plain", workdir)
        if server.url.rstrip("/") != (avoid_url or "").rstrip("/"):
            return server
        # A URL provider hands back the user's own server: fuzzing must never write there.
    return start_mlflow_process(workdir)


def start_fuzz_targets(
    workdir: Path, start: StartServer | None = None, avoid_url: str | None = None
) -> FuzzTargets:
    """Start MLflow and an unthrottled gateway in ``workdir``; ServerStartError if one does not start.

    ``start`` (the run's provider: same kind and MLflow version as the run's server) starts MLflow unless
    it returns the server at ``avoid_url``; a local ``mlflow server`` process otherwise.
    """
    from hokusai_contracts.servers.gateway import start_gateway

    mlflow = throwaway_mlflow(workdir / "mlflow", start, avoid_url)
    try:
        # No rate limit: fuzzing sends bursts on one key, and 429s would hide the answers under test.
        gateway = start_gateway(mlflow, workdir / "gateway", rate_limit=None)
    except BaseException:
        mlflow.stop()
        raise
    return FuzzTargets(mlflow, gateway)


@contextlib.contextmanager
def fuzz_targets(workdir: Path | None = None) -> Iterator[FuzzTargets]:
    """:func:`start_fuzz_targets` in ``workdir`` (default: a temporary directory), stopped afterwards."""
    with contextlib.ExitStack() as stack:
        root = workdir or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="hokusai-http-")))
        targets = start_fuzz_targets(root)
        stack.callback(targets.stop)
        yield targets
