"""Running pages: one namespace per page, expected output and exceptions judged, tracebacks in the page's
lines, environments applied per block and restored, unique names, and the worker process."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from snippets_support import run_in_process, run_text, write_page

from hokusai_contracts.checks.snippets.execute import (
    FAILED,
    PASSED,
    SKIPPED,
    output_matches,
    page_environment,
)
from hokusai_contracts.checks.snippets.family import outcome_finding
from hokusai_contracts.checks.snippets.model import Block
from hokusai_contracts.checks.snippets.names import name_mapping, substitute_code
from hokusai_contracts.checks.snippets.parse import parse_page
from hokusai_contracts.checks.snippets.run import PageRun, block_environment, run_page_process
from hokusai_contracts.servers import BasicAuthUsers

SDK_PAGE = """\
---
unique_names: [lead-scoring]
executable_blocks: 3
---
# Register on {where}

```python {attributes}
from sklearn.linear_model import LogisticRegression

from hokusai import ModelRegistry, ModelVersionManager

registry = ModelRegistry(infer_pip_requirements=False)
model = LogisticRegression().fit([[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1])
entry = registry.register_baseline(model=model, model_name="lead-scoring")
print(entry.model_id, entry.model_uri)
{run_links}#> lead-scoring/1 models:/lead-scoring/1
```

```python {attributes}
print(ModelVersionManager(registry).list_versions("lead-scoring"))
print(registry.tracking_uri)
```

```output
['1']
{uri}
```

```python {attributes} raises=ModelNotFoundError
registry.get_tokenized_model("lead-scoring")
```
"""


def test_embedded_store_page_registers_a_model_with_the_sdk(tmp_path):
    home = os.environ["HOKUSAI_HOME"]
    _, outcomes = run_text(
        tmp_path,
        SDK_PAGE.format(
            where="the embedded store", attributes="", uri="sqlite:///<ANY>/mlflow.db", run_links=""
        ),
    )
    assert [(o.status, o.message) for o in outcomes] == [(PASSED, "")] * 3
    # The page's own store, in its working directory; the test's environment is back as it was.
    assert (tmp_path / "work" / "hokusai-home" / "mlflow.db").is_file()
    assert os.environ["HOKUSAI_HOME"] == home and Path.cwd() != tmp_path / "work"


@pytest.mark.server
def test_live_server_page_and_unique_names_do_not_collide(tmp_path, mlflow_server):
    from mlflow import MlflowClient

    # Against a server, MLflow prints links to the run it logs.
    links = "#> 🏃 View run <ANY>\n#> 🧪 View experiment at: <ANY>\n"
    text = SDK_PAGE.format(
        where="a server", attributes="server=mlflow", uri=mlflow_server.url, run_links=links
    )
    page = parse_page(write_page(tmp_path, text))
    runs = [PageRun(page), PageRun(page)]
    for number, run in enumerate(runs):
        session_dir = tmp_path / f"work{number}"
        from hokusai_contracts.checks.snippets.execute import PageSession, run_blocks

        session_dir.mkdir()
        outcomes = run_blocks(
            PageSession(run.filename, str(session_dir)), run.specs(lambda kind: mlflow_server)
        )
        # Both runs print version 1 of "lead-scoring": each registered its own model on the one server.
        assert [o.status for o in outcomes] == [PASSED] * 3, [o.message for o in outcomes]
    client = MlflowClient(tracking_uri=mlflow_server.url, registry_uri=mlflow_server.url)
    names = {m.name for m in client.search_registered_models()}
    assert {run.mapping["lead-scoring"] for run in runs} <= names
    assert "lead-scoring" not in names


def test_expected_exceptions_pass_by_class_name_along_the_mro(tmp_path):
    _, outcomes = run_text(
        tmp_path,
        """\
        ```python raises=KeyError
        {}["missing"]
        ```

        ```python raises=LookupError
        {}["missing"]
        ```

        ```python raises=ValueError
        {}["missing"]
        ```

        ```python raises=KeyError
        survived = True
        ```

        ```python
        print(survived)
        #> True
        ```
        """,
    )
    assert [(o.status, o.rule) for o in outcomes] == [
        (PASSED, None),
        (PASSED, None),
        (FAILED, "DOC001"),
        (FAILED, "DOC002"),
        (PASSED, None),  # the page goes on after a swallowed (or failed) exception
    ]
    assert outcomes[2].message == "raised KeyError: 'missing' (expected ValueError)"
    assert outcomes[2].line == 10
    assert outcomes[3].message == "expected KeyError to be raised; nothing was" and outcomes[3].line == 14


def test_wrong_output_is_doc001_at_the_file_and_line(tmp_path):
    page, outcomes = run_text(
        tmp_path,
        """\
        # Output

        ```python
        print("first")
        #> first
        print("second")
        #> 2nd
        ```

        ```python
        print("whole")
        ```

        ```output
        hole
        ```
        """,
    )
    checkpoint, whole = outcomes
    assert (checkpoint.status, checkpoint.line) == (FAILED, 7)
    assert (
        checkpoint.message
        == "wrong output before line 7:\n--- expected\n+++ actual\n@@ -1 +1 @@\n-2nd\n+second"
    )
    finding = outcome_finding(page, page.blocks[0], checkpoint)
    assert (finding.rule, str(finding.location), finding.subject) == (
        "DOC001",
        f"{page.path}:7",
        "page.md::output::L3",
    )
    assert (whole.status, whole.line) == (FAILED, 14)
    assert "the `output` block at line 14" in whole.message and "+whole" in whole.message


def test_traceback_points_at_the_markdown_lines_without_runner_frames(tmp_path):
    page, outcomes = run_text(
        tmp_path,
        """\
        ```python
        def register(token_id):
            return {"token": token_id}
        ```

        Calling it wrong:

        ```python
        register(token="LSCOR")
        ```

        ```python
        print("unclosed"
        ```
        """,
    )
    _, failed, syntax = outcomes
    filename = str(page.path.resolve())
    assert failed.line == 9
    assert failed.traceback.splitlines() == [
        "Traceback (most recent call last):",
        f'  File "{filename}", line 9, in <module>',
        '    register(token="LSCOR")',
        "TypeError: register() got an unexpected keyword argument 'token'",
    ]
    assert "execute.py" not in failed.traceback
    assert syntax.rule == "DOC001" and syntax.line == 13 and "SyntaxError" in syntax.message
    assert f'File "{filename}", line 13' in syntax.traceback


def test_frames_inside_called_code_keep_their_page_lines(tmp_path):
    _, outcomes = run_text(
        tmp_path,
        """\
        ```python
        def fail():
            raise RuntimeError("deep")
        ```

        ```python
        fail()
        ```
        """,
    )
    lines = [line.strip() for line in outcomes[1].traceback.splitlines() if line.strip().startswith("File")]
    assert [line.split(", ")[1] for line in lines] == ["line 7", "line 3"]


def test_hidden_setup_runs_silently_and_its_failure_points_at_it(tmp_path):
    _, outcomes = run_text(
        tmp_path,
        """\
        <!-- snippet-setup
        print("not compared")
        value = 41
        -->
        ```python
        print(value + 1)
        #> 42
        ```

        <!-- snippet-setup
        1 / 0
        -->
        ```python
        print("never")
        ```

        ```python skip="needs AWS credentials"
        import boto3
        ```
        """,
    )
    assert [o.status for o in outcomes] == [PASSED, FAILED, SKIPPED]
    assert outcomes[1].line == 11 and "hidden setup" in outcomes[1].message
    assert outcomes[2].message == "needs AWS credentials"


def test_blocks_get_their_environment_and_it_is_restored(tmp_path, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://inherited:5000")
    monkeypatch.setenv("HOKUSAI_API_KEY", "hk_live_inherited0000")
    server = SimpleNamespace(url="http://127.0.0.1:1")
    _, outcomes = run_text(
        tmp_path,
        """\
        ```python
        import os
        print(os.environ.get("MLFLOW_TRACKING_URI"), os.environ.get("HOKUSAI_API_KEY"))
        #> None None
        ```

        ```python server=mlflow
        print(os.environ["MLFLOW_TRACKING_URI"])
        #> http://127.0.0.1:1
        os.environ["LEAKED"] = "1"
        ```
        """,
        servers={"mlflow": server},
    )
    assert [o.status for o in outcomes] == [PASSED, PASSED], [o.message for o in outcomes]
    assert os.environ["MLFLOW_TRACKING_URI"] == "http://inherited:5000"


def test_roles_map_to_basic_auth_credentials():
    users = BasicAuthUsers(admin_password="admin-secret-123", reader_password="reader-secret-45")
    server = SimpleNamespace(url="http://auth:5000", users=users)

    def env(**attributes):
        return block_environment(Block(0, "", 1, 2, **attributes), server)

    assert env() == {}
    assert env(server="mlflow") == {"MLFLOW_TRACKING_URI": "http://auth:5000"}
    assert env(server="basic-auth") == {
        "MLFLOW_TRACKING_URI": "http://auth:5000",
        "MLFLOW_TRACKING_USERNAME": "admin",
        "MLFLOW_TRACKING_PASSWORD": "admin-secret-123",
    }
    assert env(server="basic-auth", role="reader")["MLFLOW_TRACKING_USERNAME"] == "reader"
    anonymous = env(server="basic-auth", role="anonymous")
    assert anonymous["MLFLOW_TRACKING_USERNAME"] is None and anonymous["MLFLOW_TRACKING_PASSWORD"] is None


def test_page_environment_clears_inherited_targets():
    changes = page_environment(
        "/tmp/w", {"MLFLOW_TRACKING_URI": "x", "HOKUSAI_RETRY_MAX": "9", "PATH": "/bin"}
    )
    assert changes == {
        "MLFLOW_TRACKING_URI": None,
        "HOKUSAI_RETRY_MAX": None,
        "HOKUSAI_HOME": "/tmp/w/hokusai-home",
    }


@pytest.mark.parametrize(
    ("expected", "actual", "matches"),
    [
        (["a", "b"], ["a", "b"], True),
        (["a", "b  "], ["a", "b"], True),
        (["a", ""], ["a"], True),
        (["a"], ["a", "b"], False),
        (["run <ANY> done"], ["run 8f3a9c done"], True),
        (["run <ANY> done"], ["run 8f3a9c"], False),
        (["start", "...", "end"], ["start", "x", "y", "end"], True),
        (["start", "...", "end"], ["start", "end"], False),
        (["..."], ["anything"], True),
        (["a.*b"], ["aXb"], False),
    ],
)
def test_output_matching(expected, actual, matches):
    assert output_matches(expected, actual) is matches


def test_unique_names_replace_equal_string_constants_only():
    code = (
        'register(model_name="lead-scoring", note="lead-scoring v2")\n'
        "uri = f\"models:/{'lead-scoring'}/1\"\n"
        "name = 'lead-scoring'  # lead-scoring\n"
    )
    replaced = substitute_code(code, name_mapping(["lead-scoring"], "w1-abc"))
    assert replaced.splitlines() == [
        'register(model_name="lead-scoring-w1-abc", note="lead-scoring v2")',
        "uri = f\"models:/{'lead-scoring'}/1\"",
        "name = 'lead-scoring-w1-abc'  # lead-scoring",
    ]
    assert substitute_code("print('lead-scoring'", {"lead-scoring": "x"}) == "print('lead-scoring'"


def test_printed_names_are_compared_as_the_page_writes_them(tmp_path):
    _, outcomes = run_text(
        tmp_path,
        """\
        ---
        unique_names: [lead-scoring]
        ---
        ```python
        name = "lead-scoring"
        print(name, name.endswith("-scoring"), f"models:/{name}/1")
        #> lead-scoring False models:/lead-scoring/1
        ```
        """,
    )
    assert outcomes[0].status == PASSED, outcomes[0].message


def test_worker_process_runs_a_page_and_reports_a_hang(tmp_path):
    page = parse_page(
        write_page(
            tmp_path,
            """\
            ```python
            import sys
            print(sys.executable)
            ```

            ```python
            import time
            time.sleep(60)
            ```

            ```python
            print("after")
            ```
            """,
        )
    )
    run = PageRun(page)
    outcomes = run_page_process(run, run.specs(lambda kind: None), python=sys.executable, timeout=3)
    assert [o.status for o in outcomes] == [PASSED, FAILED, FAILED]
    assert outcomes[0].stdout.strip() == sys.executable
    assert outcomes[1].message == "the page did not finish within 3 s" and outcomes[1].line == 7
    assert outcomes[2].message.startswith("not run: the page stopped at an earlier block")


def test_in_process_and_worker_agree(tmp_path):
    page = parse_page(
        write_page(
            tmp_path,
            """\
            ```python
            print("hello")
            #> hello
            ```

            ```python raises=ZeroDivisionError
            1 / 0
            ```

            ```python
            print("wrong")
            #> right
            ```
            """,
        )
    )
    run = PageRun(page)
    in_process = run_in_process(page, tmp_path / "work")
    worker = run_page_process(run, run.specs(lambda kind: None))
    summary = [(o.status, o.rule, o.line, o.message, o.stdout) for o in in_process]
    assert [(o.status, o.rule, o.line, o.message, o.stdout) for o in worker] == summary
