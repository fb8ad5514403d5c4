"""The ``http`` check family: the HTTP contracts of ``<contracts>/http`` checked against live servers.

HTTP001 server error (5xx) · HTTP002 status code not in the contract · HTTP003 response violates the
schema · HTTP004 credentials not enforced · HTTP005 malformed contract · HTTP006 a field or endpoint the
SDK relies on is missing.

Three checks: the SDK's real calls recorded against the run's MLflow server and checked against the
MLflow consumer contract; Schemathesis fuzzing of that contract on a throwaway MLflow server; fuzzing of
the gateway contract on a throwaway gateway (with a read+write key).
"""

from __future__ import annotations

import contextlib
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from hokusai_contracts.base.errors import InfrastructureError
from hokusai_contracts.base.timing import carried, phase
from hokusai_contracts.checks import VerifyContext
from hokusai_contracts.checks.http.fuzz import (
    DEFAULT_MAX_EXAMPLES,
    BudgetMeter,
    FuzzBudget,
    check_http,
    fuzz_units,
)
from hokusai_contracts.checks.http.recorded import check_recorded
from hokusai_contracts.checks.http.rules import CONFORMS, finding
from hokusai_contracts.checks.http.servers import (
    OPTION_FUZZ_POOL,
    FuzzTargets,
    start_fuzz_targets,
    targets_of,
)
from hokusai_contracts.findings import Finding, Location, Outcome
from hokusai_contracts.servers.health import blame_infrastructure
from hokusai_contracts.servers.server import MLFLOW

HTTP_DIR = "http"
MLFLOW_CONTRACT = "mlflow-consumer.openapi.yaml"
GATEWAY_CONTRACT = "gateway.openapi.yaml"
# Options read from VerifyContext.options.
OPTION_MAX_EXAMPLES = "http_max_examples"  # generated requests per operation and mode
OPTION_BUDGET = "http_budget"  # a FuzzBudget for all fuzzing together (verify --http-budget)
# How the run starts servers (server_run.OPTION_SERVER_START): the throwaway MLflow is then of the run's
# provider and MLflow version, so `verify --matrix` fuzzes each version.
OPTION_SERVER_START = "server_start"


def _skipped(path: Path, why: str) -> Finding:
    return finding(CONFORMS, str(path), why, Location(str(path)), outcome=Outcome.SKIPPED)


def _fuzz_all(
    mlflow_contract: Path,
    gateway_contract: Path,
    targets: FuzzTargets,
    examples: int,
    budget: FuzzBudget | None = None,
) -> list[Finding]:
    findings = []
    contracts = [path for path in (mlflow_contract, gateway_contract) if path.is_file()]
    meter = BudgetMeter(budget, sum(fuzz_units(path) for path in contracts)) if budget is not None else None
    if mlflow_contract.is_file():
        with phase("http: fuzz mlflow contract"):
            fuzzed = check_http(mlflow_contract, targets.mlflow.url, max_examples=examples, meter=meter)
        findings += blame_infrastructure(fuzzed, [targets.mlflow])
    if gateway_contract.is_file():
        gateway = targets.gateway
        with phase("http: fuzz gateway contract"):
            fuzzed = check_http(
                gateway_contract, gateway.url, auth=gateway.keys.write, max_examples=examples,
                secrets=gateway.secrets(), meter=meter,
            )  # fmt: skip
        findings += blame_infrastructure(fuzzed, [gateway, targets.mlflow])
    return findings


def _started(starting: Future[FuzzTargets]) -> FuzzTargets:
    from hokusai_contracts.servers import ServerStartError

    try:
        return starting.result()
    except ServerStartError as exc:
        raise InfrastructureError(f"could not start the servers to fuzz:\n{exc}") from exc


def _fuzz_targets(context: VerifyContext, workdir: Path) -> FuzzTargets:
    shared = context.options.get(OPTION_FUZZ_POOL)
    if shared is not None:  # the run's throwaway servers, started early; the run stops them
        with phase("http: wait for the fuzz servers"):
            return targets_of(shared, owned=False)
    start = context.options.get(OPTION_SERVER_START)
    avoid = context.server.url if context.server is not None else None
    return start_fuzz_targets(workdir, start, avoid)


def run_http(context: VerifyContext) -> list[Finding]:
    """The ``http`` family: recorded SDK traffic and fuzzing, against live servers."""
    directory = context.contracts_dir / HTTP_DIR
    mlflow_contract, gateway_contract = directory / MLFLOW_CONTRACT, directory / GATEWAY_CONTRACT
    if not mlflow_contract.is_file() and not gateway_contract.is_file():
        return [_skipped(directory, f"no {MLFLOW_CONTRACT} or {GATEWAY_CONTRACT} in {directory}")]
    budget = context.options.get(OPTION_BUDGET)  # None: every operation gets `examples` (no overall cap)
    # With a budget its even share decides, unless a cap per operation and mode is set as well.
    examples = int(
        context.options.get(OPTION_MAX_EXAMPLES, DEFAULT_MAX_EXAMPLES if budget is None else budget.requests)
    )
    findings: list[Finding] = []
    with tempfile.TemporaryDirectory(prefix="hokusai-http-") as workdir:
        # The throwaway servers start (seconds) while the SDK flow runs on the run's own server.
        with ThreadPoolExecutor(max_workers=1) as pool:
            starting = pool.submit(carried(_fuzz_targets), context, Path(workdir))
            try:
                if mlflow_contract.is_file() and context.server is not None:
                    with phase("http: recorded SDK calls"):
                        recorded = check_recorded(mlflow_contract, context.server.url, python=context.python)
                    findings += blame_infrastructure(recorded, [context.server])
            except BaseException:
                with contextlib.suppress(Exception):
                    starting.result().stop()
                raise
            targets = _started(starting)
        try:
            findings += _fuzz_all(mlflow_contract, gateway_contract, targets, examples, budget)
        finally:
            targets.stop()
    return findings


def server_kinds(context: VerifyContext) -> set[str]:
    """The run's server kinds the family will ask for: the plain MLflow, for the recorded SDK calls."""
    return {MLFLOW} if (context.contracts_dir / HTTP_DIR / MLFLOW_CONTRACT).is_file() else set()


def fuzzes(context: VerifyContext) -> bool:
    """True when there is a contract to fuzz (so its throwaway servers are worth starting early)."""
    directory = context.contracts_dir / HTTP_DIR
    return (directory / MLFLOW_CONTRACT).is_file() or (directory / GATEWAY_CONTRACT).is_file()
