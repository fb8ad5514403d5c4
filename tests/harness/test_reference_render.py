"""The generated reference shows every contract element: built from a small synthetic contracts folder."""

from __future__ import annotations

import json
import re
import shutil
import textwrap
from pathlib import Path

import pytest

from hokusai_contracts.contract.model import (
    Api,
    ApiModule,
    ApiObject,
    Change,
    Lifecycle,
    ObjectKind,
    Parameter,
    ParameterKind,
)
from hokusai_contracts.contract.store import write_contracts
from hokusai_contracts.findings import Finding, Outcome, RunResult
from hokusai_contracts.reference import build_reference
from hokusai_contracts.reference.results import mlflow_version_of
from hokusai_contracts.reports import json_report
from hokusai_contracts.reports.matrix import to_json
from hokusai_contracts.reports.matrix_model import Matrix, MatrixCell, MatrixRow

REPO = Path(__file__).resolve().parents[2]
CLIENT = "demo.client.Client"
REGISTER = f"{CLIENT}.register"
GUIDE_BLOCK = "guide.md::connect::L6"
FAILING_BLOCK = "guide.md::list-models::L13"

GUIDE = """\
    ---
    title: Guide
    executable_blocks: 2
    ---
    ## Connect
    ```python
    from demo import Client

    client = Client("http://mlflow.example")
    client.register("lead-scoring")
    ```
    ## List models
    ```python
    print(client.models)
    ```
    ```python
    print(client.models[0])
    ```
    ## Old style
    ```python skip="needs the 1.x server"
    from demo.client import Client

    Client("http://mlflow.example").old_register("lead-scoring")
    ```
"""

SCENARIOS = """\
    scenarios:
      - name: gateway-read-key-cannot-register
        description: >
          A read-only key cannot register | a model.
        server: gateway
        credentials:
          args:
            tracking_uri: "${TRACKING_URI}"
            api_key: "${KEY_READ}"
        call: registry.register_tokenized_model
        expect:
          exception: AuthorizationError
          status_code: 403
          error_code: insufficient_scope
          required_scope: mlflow:write
          retried: false
          message_contains: [mlflow:write, ask for a key with]
      - name: gateway-write-key-registers
        description: A write key registers.
        server: gateway
        credentials:
          env:
            HOKUSAI_API_KEY: "${KEY_WRITE}"
        call: registry.register_tokenized_model
        expect:
          success: true
          notification: skipped
"""


def demo_api() -> Api:
    """A small API with every element the reference shows."""
    register = ApiObject(
        REGISTER,
        ObjectKind.METHOD,
        parameters=[
            Parameter("name", description="The registered model's name."),
            Parameter("tags", ParameterKind.KEYWORD_ONLY, default="None", annotation="dict[str, str] | None"),
        ],
        returns="Entry",
        raises=["demo.errors.NotFound", "ValueError"],
        summary="Register the model ``name``; :class:`NotFound` when it is gone.",
        lifecycle=Lifecycle(since="1.1", changed=(Change("1.3", "Tags are validated before the call."),)),
    )
    old_register = ApiObject(
        f"{CLIENT}.old_register",
        ObjectKind.METHOD,
        parameters=[Parameter("name", annotation="str")],
        lifecycle=Lifecycle(deprecated_since="1.2", removed_in="2.0", replacement=REGISTER),
    )
    models = ApiObject(f"{CLIENT}.models", ObjectKind.PROPERTY, returns="list[str]")
    client = ApiObject(
        CLIENT,
        ObjectKind.CLASS,
        parameters=[
            Parameter("url", annotation="str", description="Where the server is."),
            Parameter("timeout", default="5.0", annotation="float"),
            Parameter("options", ParameterKind.VAR_KEYWORD, annotation="Any"),
        ],
        export_paths=["demo.Client", "demo.client.Client"],
        summary="A client of the demo registry.",
        members=[register, old_register, models],
    )
    entry = ApiObject(
        "demo.client.Entry", ObjectKind.CLASS, parameters=[], export_paths=["demo.client.Entry"]
    )
    errors = [
        ApiObject(f"demo.errors.{name}", ObjectKind.EXCEPTION, bases=["Exception"], summary=f"{name} error.")
        for name in ("AuthorizationError", "NotFound")
    ]
    return Api(
        package="demo",
        modules=[
            ApiModule("demo", summary="The demo package."),
            ApiModule("demo.client", summary="The client.", objects=[client, entry]),
            ApiModule("demo.errors", summary="Errors | failures.", objects=errors),
        ],
    )


def write_demo_contracts(root: Path) -> Path:
    """A contracts folder (api/, docs/, auth/, schema/) of the demo API; its path."""
    contracts = root / "contracts"
    shutil.copytree(REPO / "contracts" / "schema", contracts / "schema")
    write_contracts(demo_api(), contracts / "api")
    (contracts / "docs").mkdir()
    (contracts / "docs" / "guide.md").write_text(textwrap.dedent(GUIDE), encoding="utf-8")
    (contracts / "auth").mkdir()
    (contracts / "auth" / "keys.yaml").write_text(textwrap.dedent(SCENARIOS), encoding="utf-8")
    return contracts


def write_results(path: Path) -> Path:
    """A verify JSON report: one block passed, one failed, against MLflow 3.17.2."""
    result = RunResult(
        findings=[
            Finding("snippets", "DOC000", GUIDE_BLOCK, "ran as documented", outcome=Outcome.PASSED),
            Finding("snippets", "DOC001", FAILING_BLOCK, "AttributeError: models"),
        ],
        sdk_version="1.4.0",
        server="http://127.0.0.1:40123 (process provider, MLflow 3.17.2: asked for (--mlflow process))",
        duration_s=12.5,
    )
    path.write_text(json_report.render(result), encoding="utf-8")
    return path


def write_matrix(path: Path) -> Path:
    """A compatibility-matrix.json of two server versions, one with a failure."""
    rows = [
        MatrixRow(
            version,
            (
                MatrixCell("1.4.0", version, "signatures", passed=10),
                MatrixCell("1.4.0", version, "snippets", **counts),
            ),
            failures=failures,
            provider=f"http://127.0.0.1:5{index} (process provider, MLflow {version}: asked for)",
            exit_code=1 if failures else 0,
            duration_s=30.0 + index,
        )
        for index, (version, counts, failures) in enumerate(
            [
                ("2.9.0", {"passed": 4, "failed": 1}, ("[snippets] DOC001 guide.md::connect::L6: 404",)),
                ("3.17.2", {"passed": 5}, ()),
            ]
        )
    ]
    path.write_text(json.dumps(to_json(Matrix(rows=rows))), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("reference-demo")
    contracts = write_demo_contracts(root)
    return build_reference(
        contracts, results=write_results(root / "verify.json"), matrix=write_matrix(root / "matrix.json")
    )


def _entry(text: str, anchor: str) -> str:
    """The Markdown of one entry: from its anchor to the next one."""
    start = text.index(f'<a id="{anchor}"></a>')
    following = text.find('<a id="', start + 1)
    return text[start : following if following != -1 else len(text)]


def test_every_page_is_generated_in_both_formats(demo):
    pages = ["index", "demo", "demo.client", "demo.errors", "authentication", "compatibility"]
    expected = {f"{page}.{fmt}" for page in pages for fmt in ("md", "html")}
    expected |= {"search-index.json", "search-index.js", "assets/search.js", "assets/style.css"}
    expected |= {"assets/pygments.css"}
    assert set(demo) == expected


def test_parameter_table_has_type_default_required_and_description(demo):
    entry = _entry(demo["demo.client.md"], CLIENT)
    assert "| Parameter | Type | Default | Required | Description |" in entry
    assert "| `url` | `str` |  | yes | Where the server is. |" in entry
    assert "| `timeout` | `float` | `5.0` | no |  |" in entry
    assert "| `**options` | `Any` |  | no |  |" in entry
    # A pipe inside a type must not split the table cell.
    assert r"| `tags` | `dict[str, str] \| None` | `None` | no |  |" in _entry(
        demo["demo.client.md"], REGISTER
    )


def test_signature_returns_and_raises_link_to_their_entries(demo):
    entry = _entry(demo["demo.client.md"], REGISTER)
    assert "def register(name, *, tags: dict[str, str] | None = None) -> Entry" in entry
    assert "**Returns:** [`Entry`](demo.client.md#demo.client.Entry)" in entry
    assert "**Raises:** [`demo.errors.NotFound`](demo.errors.md#demo.errors.NotFound), `ValueError`" in entry
    assert '<a id="demo.errors.NotFound"></a>' in demo["demo.errors.md"]
    assert "Register the model `name`; `NotFound` when it is gone." in entry
    html = demo["demo.client.html"]
    assert '<a href="demo.errors.html#demo.errors.NotFound"><code>demo.errors.NotFound</code></a>' in html
    assert 'id="demo.errors.NotFound"' in demo["demo.errors.html"]


def test_export_paths_and_reexports(demo):
    entry = _entry(demo["demo.client.md"], CLIENT)
    assert "**Import from:** `demo.Client`, `demo.client.Client`" in entry
    assert (
        "- [`Client`](demo.client.md#demo.client.Client): documented as `demo.client.Client`"
        in demo["demo.md"]
    )


def test_lifecycle_since_and_deprecation_with_replacement_and_removal(demo):
    old = _entry(demo["demo.client.md"], f"{CLIENT}.old_register")
    replacement = "[`demo.client.Client.register`](demo.client.md#demo.client.Client.register)"
    assert f"> **Deprecated** since 1.2: use {replacement} instead. Removed in 2.0." in old
    assert "**Removal:** 2.0" in old
    register = _entry(demo["demo.client.md"], REGISTER)
    assert "**Since:** 1.1" in register
    assert "**Changed in 1.3:** Tags are validated before the call." in register
    assert "<dt>Changed in 1.3</dt><dd>Tags are validated before the call.</dd>" in demo["demo.client.html"]
    assert "(method), deprecated" in demo["demo.client.md"]
    assert 'class="deprecation" role="note"' in demo["demo.client.html"]


def test_examples_carry_the_verification_of_the_given_run(demo):
    register = _entry(demo["demo.client.md"], REGISTER)
    # No line numbers in Markdown: a prose edit above a block must not make the committed copy stale.
    assert "From Guide › Connect (`guide.md`): *Verified against MLflow 3.17.2.*" in register  # noqa: RUF001
    assert 'client.register("lead-scoring")' in register
    models = _entry(demo["demo.client.md"], f"{CLIENT}.models")
    assert "(`guide.md`, block 1 of 2 under this heading): *FAILED against MLflow 3.17.2 (DOC001).*" in models
    assert "(`guide.md`, block 2 of 2 under this heading): *Not run in the given results.*" in models
    old = _entry(demo["demo.client.md"], f"{CLIENT}.old_register")
    assert "*Not run by the documentation checks: needs the 1.x server*" in old
    index = demo["index.md"]
    assert "Examples were verified against MLflow 3.17.2 with SDK 1.4.0:" in index
    assert "1 passed, 1 failed, 1 not run, 1 skipped." in index
    html = demo["demo.client.html"]
    verified = '<span class="status status-verified">Verified against MLflow 3.17.2.'
    assert f"(<code>guide.md</code>, line 6): {verified}" in html


def test_without_results_examples_say_they_are_not_verified(tmp_path):
    files = build_reference(write_demo_contracts(tmp_path), ["md"])
    assert "*Not verified in this build (no run results given).*" in files["demo.client.md"]
    assert "Verified against" not in files["demo.client.md"]
    assert "This build was given no run results" in files["index.md"]
    assert "This build was given no version-matrix results" in files["compatibility.md"]


def test_authentication_page_rows(demo):
    page = demo["authentication.md"]
    assert "## Server: `gateway`" in page
    row = next(
        line for line in page.splitlines() if "gateway-read-key-cannot-register" in line and "<a id" in line
    )
    assert "| Hokusai API key | `api_key=${KEY_READ}` |" in row and "tracking_uri" not in row
    assert "[`AuthorizationError`](demo.errors.md#demo.errors.AuthorizationError) (HTTP 403)" in row
    assert "error code insufficient_scope, required scope mlflow:write, not retried" in row
    assert "`mlflow:write`, `ask for a key with`" in row
    success = next(
        line for line in page.splitlines() if "gateway-write-key-registers" in line and "<a id" in line
    )
    assert "`env HOKUSAI_API_KEY=${KEY_WRITE}`" in success and "| success |" in success
    assert "notification skipped" in success
    assert "A read-only key cannot register \\| a model." in page
    assert '<tr id="gateway-read-key-cannot-register">' in demo["authentication.html"]


def test_compatibility_page_from_matrix_results(demo):
    page = demo["compatibility.md"]
    assert "| SDK | MLflow server | signatures | snippets | Exit code |" in page
    assert "| 1.4.0 | 2.9.0 | 10 passed | 4 passed, 1 failed | 1 |" in page
    assert "| 1.4.0 | 3.17.2 | 10 passed | 5 passed | 0 |" in page
    assert "- `[snippets] DOC001 guide.md::connect::L6: 404`" in page
    assert "Server: process provider." in page
    assert "127.0.0.1" not in page and "duration" not in page  # nothing that changes between runs


def test_search_index_lists_objects_with_urls_and_export_paths(demo):
    records = json.loads(demo["search-index.json"])
    by_path = {record["path"]: record for record in records}
    assert by_path[REGISTER] == {
        "name": "register",
        "path": REGISTER,
        "kind": "method",
        "summary": "Register the model ``name``; :class:`NotFound` when it is gone.",
        "exports": [],
        "url": f"demo.client.html#{REGISTER}",
    }
    assert by_path[CLIENT]["exports"] == ["demo.Client", "demo.client.Client"]
    assert by_path["demo.errors"]["url"] == "demo.errors.html"
    assert (
        by_path["auth.gateway-write-key-registers"]["url"]
        == "authentication.html#gateway-write-key-registers"
    )
    assert [record["path"] for record in records] == sorted(by_path)
    script = demo["search-index.js"]
    assert script.startswith("window.HOKUSAI_SEARCH_INDEX = [")
    assert json.loads(script[len("window.HOKUSAI_SEARCH_INDEX = ") : -2]) == records


def test_html_is_offline_semantic_and_highlighted(demo):
    for name, text in demo.items():
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", text), f"{name} loads something remote"
    page = demo["demo.client.html"]
    assert page.startswith("<!DOCTYPE html>") and '<html lang="en">' in page
    assert (
        page.count("<h1") == 1 and '<main id="main" class="page-module">' in page and 'role="search"' in page
    )
    assert '<label for="search-input">' in page
    assert (
        '<th scope="col">Required</th>' in page
        and "<caption>Parameters of <code>Client</code></caption>" in page
    )
    assert '<div class="highlight"><pre><span></span><code><span class="k">class</span>' in page
    assert '<script src="search-index.js"></script>' in page
    assert ".highlight .k" in demo["assets/pygments.css"]


def test_two_builds_are_byte_identical(tmp_path):
    contracts = write_demo_contracts(tmp_path)
    results, matrix = write_results(tmp_path / "r.json"), write_matrix(tmp_path / "m.json")
    first = build_reference(contracts, results=results, matrix=matrix)
    second = build_reference(contracts, results=results, matrix=matrix)
    assert first == second
    assert list(first) == sorted(first)


def test_mlflow_version_is_read_from_the_server_description():
    assert mlflow_version_of("http://h:1 (process provider, MLflow 3.17.2: asked for)") == "3.17.2"
    assert mlflow_version_of("docker provider, MLflow 2.9.0 (image ghcr.io/mlflow:v2.9.0): why") == "2.9.0"
    assert mlflow_version_of("url provider, http://x: given") is None
    assert mlflow_version_of(None) is None
