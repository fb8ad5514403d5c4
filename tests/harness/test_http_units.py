"""The HTTP contract runner's parts without servers: document checks, path matching, exchange checks,
the recording proxy and how Schemathesis failures become rule ids."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
import yaml

from hokusai_contracts.base.errors import ContractError
from hokusai_contracts.checks.http.consumer import SchemaCache, check_exchanges, request_mismatches
from hokusai_contracts.checks.http.document import load_document
from hokusai_contracts.checks.http.fuzz import check_http, fuzz_modes
from hokusai_contracts.checks.http.operation_run import rule_of
from hokusai_contracts.findings import Outcome
from hokusai_contracts.servers.proxy import Exchange, recording_proxy

CONSUMER = Path(__file__).resolve().parents[2] / "contracts" / "http" / "mlflow-consumer.openapi.yaml"

MINIMAL = """\
openapi: 3.1.0
info: {title: t, version: "1"}
paths:
  /things/{thing_id}:
    get:
      parameters:
        - {name: thing_id, in: path, required: true, schema: {type: string}}
      responses:
        "200":
          description: a thing
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Thing"}
        "404": {description: none}
  /things/search:
    get:
      responses:
        "200": {description: found}
components:
  schemas:
    Thing:
      type: object
      required: [name, size]
      properties:
        name: {type: string}
        size: {type: integer}
"""


def write(tmp_path: Path, text: str, name: str = "contract.openapi.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def exchange(method: str, path: str, status: int, body: object = None, request: object = None) -> Exchange:
    return Exchange(
        method=method,
        path=path,
        query={},
        request_body=json.dumps(request).encode() if request is not None else b"",
        request_content_type="application/json" if request is not None else "",
        status=status,
        response_body=json.dumps(body).encode() if body is not None else b"",
        response_content_type="application/json",
    )


# -- documents -------------------------------------------------------------------------------------------


def test_a_yaml_syntax_error_names_file_and_line(tmp_path):
    path = write(tmp_path, MINIMAL.replace('version: "1"}', 'version: "1"'))
    with pytest.raises(ContractError) as caught:
        load_document(path)
    assert caught.value.file == str(path)
    assert caught.value.line in (2, 3)
    assert f"{path}:{caught.value.line}:" in str(caught.value)


@pytest.mark.parametrize(
    ("edit", "line", "words"),
    [
        (("openapi: 3.1.0", "openapi: 2.0"), 1, "3.0.x or 3.1.x"),
        (('      responses:\n        "200": {description: found}', "      summary: none"), 16, "`responses`"),
        (("#/components/schemas/Thing", "#/components/schemas/Nothing"), 13, "points at nothing"),
        (("in: path", "in: query"), 5, "{thing_id}"),
    ],
    ids=["version", "no-responses", "dangling-ref", "undeclared-path-variable"],
)
def test_a_malformed_document_names_the_line_of_the_problem(tmp_path, edit, line, words):
    path = write(tmp_path, MINIMAL.replace(*edit))
    with pytest.raises(ContractError) as caught:
        load_document(path)
    assert caught.value.line == line, str(caught.value)
    assert words in str(caught.value)


def test_check_http_reports_a_malformed_contract_as_http005_without_a_request(tmp_path):
    path = write(tmp_path, MINIMAL.replace("openapi: 3.1.0", "openapi: 9"))
    # Nothing listens on port 9: a request would be an infrastructure error, not HTTP005.
    [finding] = check_http(path, "http://127.0.0.1:9")
    assert (finding.rule, finding.location.file, finding.location.line) == ("HTTP005", str(path), 1)


def test_unknown_fuzzing_modes_are_a_contract_error(tmp_path):
    document = load_document(
        write(tmp_path, MINIMAL.replace("paths:", "x-fuzz: {modes: [sideways]}\npaths:"))
    )
    with pytest.raises(ContractError, match="sideways"):
        fuzz_modes(document)
    assert fuzz_modes(load_document(CONSUMER)) == ("positive",)


def test_operations_carry_their_line_and_literal_paths_win_over_templates(tmp_path):
    document = load_document(write(tmp_path, MINIMAL))
    assert [(op.label, op.line) for op in document.operations] == [
        ("GET /things/{thing_id}", 5),
        ("GET /things/search", 16),
    ]
    assert document.find("GET", "/things/search").path == "/things/search"
    assert document.find("GET", "/things/t-1").path == "/things/{thing_id}"
    assert document.find("GET", "/things/a/b") is None
    assert document.find("POST", "/things/t-1") is None


def test_a_multi_segment_parameter_spans_slashes():
    document = load_document(CONSUMER)
    found = document.find("PUT", "/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts/model/MLmodel")
    assert found.label == "PUT /api/2.0/mlflow-artifacts/artifacts/{artifact_path}"
    assert document.find("GET", "/api/2.0/mlflow/logged-models/m-1/tags") is None


# -- recorded exchanges ----------------------------------------------------------------------------------


def test_conforming_exchanges_pass_per_operation(tmp_path):
    document = load_document(write(tmp_path, MINIMAL))
    findings = check_exchanges(
        document,
        [exchange("GET", "/things/a", 200, {"name": "a", "size": 1}), exchange("GET", "/things/b", 404)],
        "http://server",
    )
    assert [(f.rule, f.outcome, f.subject, f.message) for f in findings] == [
        ("HTTP000", Outcome.PASSED, "GET /things/{thing_id}", "2 recorded SDK exchange(s) conformed")
    ]


def test_a_missing_field_a_wrong_type_an_unknown_endpoint_and_status_are_each_reported(tmp_path):
    document = load_document(write(tmp_path, MINIMAL))
    findings = check_exchanges(
        document,
        [
            exchange("GET", "/things/a", 200, {"name": "a"}),
            exchange("GET", "/things/b", 200, {"name": "b"}),  # the same problem: reported once
            exchange("GET", "/things/c", 200, {"name": "c", "size": "big"}),
            exchange("GET", "/things/d", 500, {"oops": True}),
            exchange("POST", "/things", 200, {}, request={"name": "x"}),
        ],
        "http://server",
    )
    by_rule = {f.rule: f for f in findings}
    assert sorted(by_rule) == ["HTTP002", "HTTP003", "HTTP006"]
    assert [f.rule for f in findings].count("HTTP006") == 2
    missing = next(f for f in findings if f.rule == "HTTP006" and f.subject == "GET /things/{thing_id}")
    assert "`size`" in missing.message and missing.location.line == 5
    assert "curl -X GET http://server/things/a" in missing.details
    unknown = next(f for f in findings if f.subject == "POST /things")
    assert "does not describe" in unknown.message and '-d \'{"name": "x"}\'' in unknown.details
    assert "`$.size`" in by_rule["HTTP003"].message
    assert "500" in by_rule["HTTP002"].message


def test_request_bodies_are_checked_against_the_request_schema():
    document = load_document(CONSUMER)
    cache = SchemaCache(document)
    sent = exchange(
        "POST", "/api/2.0/mlflow/registered-models/alias", 200, {}, request={"name": "m", "alias": "a"}
    )
    [mismatch] = request_mismatches(document, cache, sent)
    assert "`version`" in mismatch.message


def test_secrets_in_recorded_requests_are_masked(tmp_path):
    document = load_document(write(tmp_path, MINIMAL))
    sent = exchange("POST", "/things", 200, {}, request={"password": "hunter2-secret"})
    [finding] = check_exchanges(document, [sent], "http://user:pw-123456@server", secrets=["hunter2-secret"])
    assert "hunter2-secret" not in finding.details and "pw-123456" not in finding.details


# -- the recording proxy ---------------------------------------------------------------------------------


class _Echo(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = json.dumps(
            {"method": self.command, "path": self.path, "got": self.rfile.read(length).decode()}
        )
        payload = body.encode()
        self.send_response(201 if self.command == "POST" else 200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = _answer

    def log_message(self, *args):
        pass


@pytest.fixture
def echo_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_the_proxy_forwards_and_records_every_exchange(echo_server):
    with recording_proxy(echo_server) as proxy:
        got = requests.post(f"{proxy.url}/api/x?name=a&name=b", json={"k": "v"}, timeout=10)
        chunked = requests.put(f"{proxy.url}/files/a/b", data=iter([b"one", b"two"]), timeout=10)
        plain = requests.get(f"{proxy.url}/api/y", timeout=10)
        exchanges = proxy.recording.snapshot()
    assert (got.status_code, got.json()["got"]) == (201, '{"k": "v"}')
    assert chunked.json()["got"] == "onetwo"  # a chunked upload reaches the server whole
    assert plain.json()["path"] == "/api/y"
    assert [(e.method, e.path, e.status) for e in exchanges] == [
        ("POST", "/api/x", 201),
        ("PUT", "/files/a/b", 200),
        ("GET", "/api/y", 200),
    ]
    assert exchanges[0].query == {"name": ["a", "b"]}
    assert exchanges[0].request_json() == {"k": "v"}
    assert exchanges[0].response_json()["method"] == "POST"


def test_an_unreachable_upstream_is_recorded_as_502():
    with recording_proxy("http://127.0.0.1:9") as proxy:
        answer = requests.get(f"{proxy.url}/api/z", timeout=10)
        [recorded] = proxy.recording.snapshot()
    assert answer.status_code == recorded.status == 502


# -- servers to fuzz ------------------------------------------------------------------------------------


def test_the_server_to_fuzz_is_never_the_runs_own(monkeypatch, tmp_path):
    from hokusai_contracts.checks.http import servers

    class Server:
        def __init__(self, url):
            self.url = url

    monkeypatch.setattr(servers, "start_mlflow_process", lambda workdir: "a local process")
    own, fresh = Server("http://own:5000/"), Server("http://fresh:5001")
    assert servers.throwaway_mlflow(tmp_path, lambda kind, where: own, "http://own:5000") == "a local process"
    assert servers.throwaway_mlflow(tmp_path, lambda kind, where: fresh, "http://own:5000") is fresh
    assert servers.throwaway_mlflow(tmp_path, None, None) == "a local process"


# -- Schemathesis failures -------------------------------------------------------------------------------


def test_schemathesis_failures_map_to_rule_ids():
    from schemathesis.core.failures import ServerError
    from schemathesis.openapi.checks import AuthScenario, IgnoredAuth, UndefinedStatusCode

    assert rule_of(ServerError(operation="GET /x", status_code=500)) == "HTTP001"
    undocumented = UndefinedStatusCode(
        operation="GET /x",
        status_code=418,
        defined_status_codes=["200"],
        allowed_status_codes=[200],
        message="",
    )
    assert rule_of(undocumented) == "HTTP002"
    assert rule_of(IgnoredAuth(operation="GET /x", message="", scenario=AuthScenario.NO_AUTH)) == "HTTP004"


def test_the_committed_contracts_are_valid_documents():
    for path in CONSUMER.parent.glob("*.openapi.yaml"):
        document = load_document(path)
        assert document.operations, path
    consumer = yaml.safe_load(CONSUMER.read_text())
    assert consumer["info"]["x-verified-against"]["mlflow"]
