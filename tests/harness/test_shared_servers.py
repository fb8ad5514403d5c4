"""One server set per run: families share the run's pool, servers start lazily (or early in the
background), families run in parallel with findings in a serial run's order. Real MLflow servers."""

from __future__ import annotations

import ast
import time
from pathlib import Path

import pytest

from hokusai_contracts.base.concurrency import serialize_ast_parse
from hokusai_contracts.base.timing import Timeline, recording
from hokusai_contracts.checks import CheckFamily, VerifyContext
from hokusai_contracts.checks.registry import CHECKS
from hokusai_contracts.findings import Finding, Outcome
from hokusai_contracts.servers.pool import PooledServer, ServerPool, pool_of, shared_or_own
from hokusai_contracts.servers.providers import ServerRequest, provisioner_for
from hokusai_contracts.servers.server import BASIC_AUTH, GATEWAY, MLFLOW
from hokusai_contracts.verify.server_run import OPTION_PRESTART, planned_kinds, run_with_provisioner

REPO = Path(__file__).resolve().parents[2]


def _contracts(tmp_path: Path) -> Path:
    (tmp_path / "contracts" / "api").mkdir(parents=True)
    return tmp_path / "contracts"


def _family(name: str, seen: dict[str, object], delay: float = 0.0, use: bool = True) -> CheckFamily:
    def run(context: VerifyContext) -> list[Finding]:
        time.sleep(delay)
        seen[name] = (context.server.url if use else None, pool_of(context.server))
        return [Finding(name, "X", name, f"{name} ran", outcome=Outcome.PASSED)]

    return CheckFamily(name, name, run, needs_server=True)


def test_a_server_handed_out_starts_only_when_used(tmp_path):
    with ServerPool(start_mlflow=lambda kind, where: pytest.fail("started"), workdir=tmp_path) as pool:
        server = PooledServer(pool, MLFLOW)
        assert server.kind == MLFLOW and server.alive() and not server.started
        assert server.secrets() == () and server.log_tail() == ""
        server.stop()  # the pool's to stop, not the holder's
        with shared_or_own(server) as shared:
            assert shared is pool
        assert not pool.started(MLFLOW)


@pytest.mark.server
def test_families_run_in_parallel_on_one_shared_server_in_serial_order(tmp_path):
    seen: dict[str, object] = {}
    families = [_family("slow", seen, delay=2.0), _family("fast", seen)]
    context = VerifyContext(contracts_dir=_contracts(tmp_path))
    context.options[OPTION_PRESTART] = False
    timeline = Timeline()
    started = time.monotonic()
    with recording(timeline):
        result = run_with_provisioner(
            families, context, provisioner_for(ServerRequest("process")), workdir=tmp_path / "run", jobs=2
        )
    assert result.exit_code == 0, result.findings
    # Deterministic order: the slow family's finding first, as in a serial run.
    assert [f.check for f in result.findings] == ["slow", "fast"]
    (slow_url, slow_pool), (fast_url, fast_pool) = seen["slow"], seen["fast"]
    assert slow_url == fast_url and slow_pool is fast_pool is not None
    starts = [p.name for p in timeline.phases if p.name.startswith("server start")]
    assert starts == ["server start: mlflow for the checks"]
    families_ran = [p for p in timeline.phases if p.name.startswith("family: ")]
    # They overlapped: the fast one finished before the slow one's 2 s were over.
    fast = next(p for p in families_ran if p.name == "family: fast")
    slow = next(p for p in families_ran if p.name == "family: slow")
    assert fast.start + fast.duration < slow.start + slow.duration
    assert slow_url in result.server
    # The run stopped its servers.
    assert time.monotonic() - started < 120


def test_a_run_whose_families_never_reach_a_server_starts_none(tmp_path):
    seen: dict[str, object] = {}
    context = VerifyContext(contracts_dir=_contracts(tmp_path))
    context.options[OPTION_PRESTART] = False  # what a run answered from the cache sees
    timeline = Timeline()
    with recording(timeline):
        result = run_with_provisioner(
            [_family("cached", seen, use=False)],
            context,
            provisioner_for(ServerRequest("process")),
            workdir=tmp_path / "run",
        )
    assert result.exit_code == 0 and "no server started" in result.server
    assert not [p for p in timeline.phases if p.name.startswith("server start")]


def test_the_kinds_to_start_early_come_from_the_selected_families():
    context = VerifyContext(contracts_dir=REPO / "contracts")
    assert planned_kinds([CHECKS["signatures"]], context) == set()
    auth = planned_kinds([CHECKS["auth"]], context)
    assert {BASIC_AUTH, GATEWAY} <= auth  # the gateways start the plain MLflow they front
    assert planned_kinds([CHECKS["http"]], context) == {MLFLOW}
    assert planned_kinds([CHECKS["http"]], VerifyContext(contracts_dir=REPO / "nowhere")) == {MLFLOW}


def test_ast_parse_is_serialized_and_still_parses():
    serialize_ast_parse()
    serialize_ast_parse()  # idempotent: wrapped once
    tree = ast.parse("x = 1")
    assert isinstance(tree.body[0], ast.Assign)
    assert getattr(ast.parse, "__wrapped__", None) is not None
    assert getattr(ast.parse.__wrapped__, "__wrapped__", None) is None
