"""Throwaway servers to fuzz: fuzzing writes junk (experiments, runs, files, events), so it never goes
to a server that other checks or tests use. They come from a pool of their own (a fresh MLflow and an
unthrottled gateway in front of it)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from hokusai_contracts.base.errors import InfrastructureError
from hokusai_contracts.servers.gateway import RunningGateway
from hokusai_contracts.servers.pool import MlflowStarter, ServerPool
from hokusai_contracts.servers.process import start_mlflow_process
from hokusai_contracts.servers.server import GATEWAY_UNLIMITED, MlflowServer

# (kind, workdir) -> a running server, as server_run provides (kind "plain" or "basic-auth")
StartServer = MlflowStarter
# VerifyContext.options key: the run's pool of throwaway servers to fuzz (started early by verify).
OPTION_FUZZ_POOL = "fuzz_pool"
# What fuzzing needs of that pool: the unthrottled gateway (and, through it, its MLflow).
FUZZ_KINDS = (GATEWAY_UNLIMITED,)


@dataclass(frozen=True)
class FuzzTargets:
    """A throwaway MLflow server and a reference gateway in front of it, and the pool that owns them."""

    mlflow: MlflowServer
    gateway: RunningGateway  # its standard keys (``keys.write``) authorize the fuzzed requests
    pool: ServerPool
    owned: bool = True  # False: the run's pool, stopped by the run

    def stop(self) -> None:
        """Stop the gateway, then MLflow (unless the run owns them)."""
        if self.owned:
            self.pool.close()


def throwaway_mlflow(workdir: Path, start: StartServer | None, avoid_url: str | None) -> MlflowServer:
    """An MLflow server to fuzz: from ``start`` unless that is the one at ``avoid_url``, else a local one."""
    if start is not None:
        server = start("plain", workdir)
        if server.url.rstrip("/") != (avoid_url or "").rstrip("/"):
            return server
        # A URL provider hands back the user's own server: fuzzing must never write there.
    return start_mlflow_process(workdir)


def start_fuzz_targets(
    workdir: Path | None = None, start: StartServer | None = None, avoid_url: str | None = None
) -> FuzzTargets:
    """Start MLflow and an unthrottled gateway in ``workdir`` (default: a temporary directory).

    ``start`` (the run's provider: same kind and MLflow version as the run's server) starts MLflow unless
    it returns the server at ``avoid_url``; a local ``mlflow server`` process otherwise. ServerStartError
    when one does not start.
    """
    pool = fuzz_pool(start, avoid_url, workdir)
    try:
        return targets_of(pool)
    except BaseException:
        pool.close()
        raise


def fuzz_pool(
    start: StartServer | None = None, avoid_url: str | None = None, workdir: Path | None = None
) -> ServerPool:
    """A pool of throwaway servers to fuzz (nothing started yet; see :func:`start_fuzz_targets`)."""
    return ServerPool(
        start_mlflow=lambda kind, where: throwaway_mlflow(where, start, avoid_url),
        workdir=workdir,
        purpose="fuzzing",
    )


def targets_of(pool: ServerPool, owned: bool = True) -> FuzzTargets:
    """The fuzz targets of ``pool`` (started now if need be); ``owned``: their ``stop()`` closes it."""
    # No rate limit: fuzzing sends bursts on one key, and 429s would hide the answers under test.
    gateway = pool.gateway(GATEWAY_UNLIMITED)
    if not isinstance(gateway, RunningGateway):
        raise InfrastructureError(f"the gateway to fuzz at {gateway.url} has no standard keys")
    return FuzzTargets(pool.mlflow(), gateway, pool, owned)


@contextlib.contextmanager
def fuzz_targets(workdir: Path | None = None) -> Iterator[FuzzTargets]:
    """:func:`start_fuzz_targets` in ``workdir`` (default: a temporary directory), stopped afterwards."""
    targets = start_fuzz_targets(workdir)
    try:
        yield targets
    finally:
        targets.stop()
