"""HTTP contracts against real servers: Schemathesis fuzzing of the gateway and of the MLflow consumer
contract, the SDK's recorded traffic against the consumer contract, and contracts or routes broken on
purpose to see each rule fire with FILE:LINE.

Fuzzing writes junk, so writes go to throwaway servers (the family starts its own); on the shared servers
only reads are fuzzed (a read-only gateway key, a read-only MLflow operation).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from hokusai_contracts.checks import VerifyContext
from hokusai_contracts.checks.http import family
from hokusai_contracts.checks.http.consumer import SchemaCache, request_mismatches
from hokusai_contracts.checks.http.document import load_document
from hokusai_contracts.checks.http.fuzz import check_http
from hokusai_contracts.checks.http.recorded import Recording, record_sdk_flow, recording_findings
from hokusai_contracts.checks.registry import CHECKS
from hokusai_contracts.findings import Finding, Outcome
from hokusai_contracts.servers import free_port

pytestmark = pytest.mark.server

CONTRACTS = Path(__file__).resolve().parents[2] / "contracts"
CONSUMER = CONTRACTS / "http" / "mlflow-consumer.openapi.yaml"
GATEWAY = CONTRACTS / "http" / "gateway.openapi.yaml"
GENERATED, RECORDED = "generated request(s) conformed", "recorded SDK exchange(s) conformed"


def failures(findings: list[Finding]) -> list[str]:
    return [f"{f.rule} {f.subject} {f.location}: {f.message}\n{f.details}" for f in findings if f.failed]


def passes(findings: list[Finding], kind: str) -> set[str]:
    """The subjects that passed as ``kind`` (generated or recorded requests)."""
    return {f.subject for f in findings if f.outcome is Outcome.PASSED and f.message.endswith(kind)}


def mutated(source: Path, target: Path, edit) -> Path:
    """A copy of the contract ``source`` at ``target``, changed by ``edit(data)``."""
    data = yaml.safe_load(source.read_text())
    edit(data)
    target.write_text(yaml.safe_dump(data, sort_keys=False))
    return target


# Session scope (one per xdist worker): the SDK flow takes seconds and several tests read its traffic.
@pytest.fixture(scope="session")
def recording(mlflow_server) -> Recording:
    """The SDK's real calls against the session's MLflow server, recorded once."""
    recorded = record_sdk_flow(mlflow_server.url)
    assert recorded.ok, recorded.output
    return recorded


# -- the family on real servers --------------------------------------------------------------------------


def test_the_http_family_passes_on_the_committed_contracts(mlflow_server):
    # Records the SDK against mlflow_server, then fuzzes a throwaway MLflow and a gateway before it.
    assert CHECKS["http"].needs_server
    # Fewer requests than the CLI gate's default keep this test short; every operation is still fuzzed.
    options = {family.OPTION_MAX_EXAMPLES: 3}
    findings = CHECKS["http"].run(
        VerifyContext(contracts_dir=CONTRACTS, server=mlflow_server, options=options)
    )
    assert not failures(findings), "\n\n".join(failures(findings))
    assert not [f for f in findings if f.rule == "HTTP001"]  # no 5xx from MLflow or the gateway
    mlflow_ops = {op.label for op in load_document(CONSUMER).operations}
    gateway_ops = {op.label for op in load_document(GATEWAY).operations}
    assert passes(findings, GENERATED) == mlflow_ops | gateway_ops
    # All but experiments/restore (deleted experiments), runs/log-metric (folders with metrics) and
    # server-info (asked by MLflow 3's fluent artifact client; the SDK's own per-target clients do not).
    assert len(passes(findings, RECORDED)) >= len(mlflow_ops) - 3


def test_the_family_skips_a_contracts_directory_without_http_contracts(tmp_path):
    [finding] = family.run_http(VerifyContext(contracts_dir=tmp_path))
    assert finding.outcome is Outcome.SKIPPED


def test_the_live_session_gateway_answers_no_5xx_to_a_read_key(gateway):
    # A read key makes the shared gateway refuse every write (403), so fuzzing it leaves no junk.
    findings = check_http(
        GATEWAY, gateway.url, auth=gateway.keys.read, max_examples=5, secrets=gateway.secrets()
    )
    assert not failures(findings), "\n\n".join(failures(findings))
    assert passes(findings, GENERATED) == {op.label for op in load_document(GATEWAY).operations}
    assert gateway.keys.read not in repr(findings)


def test_a_declared_field_mlflow_does_not_send_is_found_by_fuzzing(mlflow_server, tmp_path):
    search = "/api/2.0/mlflow/experiments/search"  # read-only: fuzzing it leaves the shared server as it was

    def require_an_owner(data):
        data["paths"] = {search: data["paths"][search]}
        data["components"]["schemas"]["Experiment"]["required"].append("owner")

    contract = mutated(CONSUMER, tmp_path / "consumer.openapi.yaml", require_an_owner)
    [found] = [f for f in check_http(contract, mlflow_server.url, max_examples=5) if f.failed]
    assert (found.rule, found.subject) == ("HTTP006", f"POST {search}")
    assert '"owner" is a required property' in found.message
    line = load_document(contract).operation(found.subject).line
    assert (found.location.file, found.location.line) == (str(contract), line)
    assert "curl -X POST" in found.details and "experiments/search" in found.details


# -- the SDK's recorded traffic --------------------------------------------------------------------------


def test_the_sdk_traffic_conforms_to_the_consumer_contract(recording, mlflow_server):
    findings = recording_findings(CONSUMER, recording, mlflow_server.url)
    assert not failures(findings), "\n\n".join(failures(findings))
    exercised = {f.subject for f in findings}
    # All but experiments/restore, runs/log-metric and server-info (see the family test above).
    assert len(exercised) >= 28, sorted(exercised)


def test_the_sdk_sends_what_the_contract_describes(recording):
    document = load_document(CONSUMER)
    cache = SchemaCache(document)
    problems = [m for e in recording.exchanges for m in request_mismatches(document, cache, e)]
    assert not problems


def test_a_field_the_sdk_reads_but_mlflow_no_longer_sends_is_http006_with_file_and_line(
    recording, mlflow_server, tmp_path
):
    def require_owner(data):
        data["components"]["schemas"]["RegisteredModel"]["required"].append("owner_team")

    contract = mutated(CONSUMER, tmp_path / "consumer.openapi.yaml", require_owner)
    found = [f for f in recording_findings(contract, recording, mlflow_server.url) if f.failed]
    assert {f.subject for f in found} == {
        "POST /api/2.0/mlflow/registered-models/create",
        "GET /api/2.0/mlflow/registered-models/get",
    }
    document = load_document(contract)
    for f in found:
        assert f.rule == "HTTP006"
        assert "`owner_team` at `$.registered_model`" in f.message
        assert (f.location.file, f.location.line) == (str(contract), document.operation(f.subject).line)
        assert f"curl -X {f.subject.split()[0]} " in f.details


def test_an_endpoint_the_sdk_calls_but_the_contract_lacks_is_http006(recording, mlflow_server, tmp_path):
    contract = mutated(
        CONSUMER,
        tmp_path / "consumer.openapi.yaml",
        lambda data: data["paths"].pop("/api/2.0/mlflow/model-versions/set-tag"),
    )
    [found] = [f for f in recording_findings(contract, recording, mlflow_server.url) if f.failed]
    assert (found.rule, found.subject) == ("HTTP006", "POST /api/2.0/mlflow/model-versions/set-tag")
    assert "does not describe" in found.message


# -- a server broken on purpose --------------------------------------------------------------------------


def broken_app():
    """Four routes, each wrong in one way; its contract is what the app declares."""
    from fastapi import FastAPI, Security
    from fastapi.responses import JSONResponse
    from fastapi.security import HTTPBearer

    app = FastAPI(title="broken on purpose", version="1")

    @app.get("/items/{item_id}")
    def item(item_id: int) -> dict:
        if item_id != 7:
            raise RuntimeError("an unhandled error: 500")
        return {"id": item_id}

    @app.get("/teapot", response_model=None, responses={200: {"description": "tea"}})
    def teapot():
        return JSONResponse({"detail": "short and stout"}, status_code=418)

    @app.get("/secret", dependencies=[Security(HTTPBearer(auto_error=False))])
    def secret() -> dict:
        return {"secret": "anyone can read this"}

    @app.get("/size")
    def size() -> dict:
        return {"name": "box", "size": "large"}

    return app


def _declare_size(data: dict) -> None:
    # The contract promises an integer size and an owner; the app sends a string and no owner.
    schema = {
        "type": "object",
        "required": ["name", "size", "owner"],
        "properties": {"size": {"type": "integer"}},
    }
    data["paths"]["/size"]["get"]["responses"]["200"]["content"]["application/json"]["schema"] = schema


@pytest.fixture
def broken_server() -> Iterator[tuple[str, dict]]:
    import uvicorn

    app = broken_app()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="critical"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    try:
        yield f"http://127.0.0.1:{server.config.port}", app.openapi()
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_a_route_broken_on_purpose_yields_each_rule_at_its_line(broken_server, tmp_path):
    url, document = broken_server
    _declare_size(document)
    contract = tmp_path / "broken.openapi.yaml"
    contract.write_text(yaml.safe_dump(document, sort_keys=False))
    findings = check_http(contract, url, auth="hk_test_notARealKey_0123456789", max_examples=10)
    found = {(f.rule, f.subject) for f in findings if f.failed}
    assert ("HTTP001", "GET /items/{item_id}") in found
    assert ("HTTP002", "GET /teapot") in found
    assert ("HTTP004", "GET /secret") in found
    assert {("HTTP003", "GET /size"), ("HTTP006", "GET /size")} <= found
    lines = {op.label: op.line for op in load_document(contract).operations}
    for f in findings:
        assert (f.location.file, f.location.line) == (str(contract), lines[f.subject])
    server_error = next(f for f in findings if f.rule == "HTTP001")
    assert "curl -X GET" in server_error.details and f"{url}/items/" in server_error.details
    assert "answer: 500" in server_error.details
    assert "notARealKey" not in repr(findings)
