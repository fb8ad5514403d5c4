"""Documentation pages under pytest (``pytester``): one item per block, one namespace per page, failures
in the page's lines, servers only for pages that need one."""

from __future__ import annotations

import textwrap

import pytest

# The inner session's servers are stand-ins that record being asked for: no server process starts here.
CONFTEST = """
from pathlib import Path
from types import SimpleNamespace

import pytest

from hokusai_contracts.checks import VerifyContext
from hokusai_contracts.contract.model import Api, ApiModule, ApiObject, ObjectKind

HERE = Path(__file__).parent


@pytest.fixture(scope="session")
def mlflow_server():
    (HERE / "server-started.txt").write_text("mlflow")
    return SimpleNamespace(url="http://stand-in-server:5000", users=None)


def load(api_dir):
    registry = ApiObject("hokusai.ModelRegistry", ObjectKind.CLASS, export_paths=["hokusai.ModelRegistry"])
    return Api("hokusai", modules=[ApiModule("hokusai", objects=[registry])])


def pytest_hokusai_contracts_context(config, contracts_dir):
    return VerifyContext(contracts_dir=contracts_dir, contract_loader=load)
"""

PAGE = """\
---
executable_blocks: 4
---
# Tour

```python
def greet(name):
    return f"hello {name}"
```

## Greeting

```python
print(greet("docs"))
#> hello docs
```

```python
print(greet("page"))
#> hello world
```

## Failing

```python
greet(nam="x")
```
"""

QUIET = ("-p", "no:hypothesispytest", "-p", "no:xdist", "-p", "no:anyio", "-p", "no:cacheprovider")


@pytest.fixture
def project(request):
    if not request.config.pluginmanager.hasplugin("pytester"):
        pytest.skip("needs pytester: `pytest_plugins = ['pytester']` in tests/conftest.py, or -p pytester")
    pytester = request.getfixturevalue("pytester")
    pytester.makeconftest(CONFTEST)
    # A fixed rule set: pages here are outside the project, and ruff's defaults change between releases.
    (pytester.path / "ruff.toml").write_text('[lint]\nselect = ["E", "F"]\n')
    docs = pytester.mkdir("contracts") / "docs"
    docs.mkdir()
    (docs / "tour.md").write_text(PAGE)
    (docs / "README.md").write_text("# Guide\n\n```python\nraise SystemExit('the guide never runs')\n```\n")
    return pytester


def run(project, *args):
    return project.runpytest(*QUIET, "--hokusai-contracts", "contracts", *args)


def test_one_item_per_block_named_page_heading_line(project):
    result = run(project, "--collect-only", "-q", "contracts")
    assert sorted(line for line in result.outlines if "::" in line) == [
        "contracts/docs/tour.md::failing::L25",
        "contracts/docs/tour.md::greeting::L13",
        "contracts/docs/tour.md::greeting::L18",
        "contracts/docs/tour.md::tour::L6",
    ]


def test_blocks_share_the_page_namespace_and_fail_in_the_page_lines(project):
    result = run(project, "contracts")
    result.assert_outcomes(passed=2, failed=2)
    result.stdout.fnmatch_lines(
        [
            "*_ snippet tour.md::greeting::L18 _*",
            "DOC001 tour.md::greeting::L18",
            "  at contracts/docs/tour.md:20",
            "  wrong output before line 20:",
            "*-hello world",
            "*+hello page",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "*_ snippet tour.md::failing::L25 _*",
            "DOC001 tour.md::failing::L25",
            "  at contracts/docs/tour.md:26",
            "  raised TypeError: greet() got an unexpected keyword argument 'nam'",
            "*Traceback (most recent call last):",
            '      File "contracts/docs/tour.md", line 26, in <module>',
            '*greet(nam="x")',
        ]
    )
    output = result.stdout.str()
    assert (
        "execute.py" not in output
        and "pytest_items.py" not in output
        and "the guide never runs" not in output
    )
    assert not (project.path / "server-started.txt").exists()


def test_report_location_is_the_page_and_fence_line(project):
    reprec = project.inline_run(*QUIET, "--hokusai-contracts", "contracts", "contracts")
    reports = {r.nodeid: r for r in reprec.getreports("pytest_runtest_logreport") if r.when == "call"}
    assert reports["contracts/docs/tour.md::greeting::L18"].location == (
        "contracts/docs/tour.md",
        17,  # 0-based: the fence on line 18
        "snippet tour.md::greeting::L18",
    )


def test_selecting_a_later_block_runs_the_earlier_ones_first(project):
    result = run(project, "contracts", "-k", "L13")
    result.assert_outcomes(passed=1, deselected=3)


def test_server_fixture_is_requested_only_by_pages_that_need_one(project):
    (project.path / "contracts" / "docs" / "server.md").write_text(
        textwrap.dedent(
            """\
            ---
            executable_blocks: 2
            ---
            ```python
            import os
            print(os.environ.get("MLFLOW_TRACKING_URI"))
            #> None
            ```

            <!-- snippet: server=mlflow -->
            ```python
            print(os.environ["MLFLOW_TRACKING_URI"])
            #> http://stand-in-server:5000
            ```
            """
        )
    )
    result = run(project, "contracts/docs/server.md")
    result.assert_outcomes(passed=2)
    assert (project.path / "server-started.txt").read_text() == "mlflow"


def test_uncontracted_name_fails_the_block_even_when_it_runs(project):
    (project.path / "contracts" / "docs" / "names.md").write_text(
        "---\nexecutable_blocks: 1\n---\n```python\ntry:\n    from hokusai import ModelRegistery\n"
        "except ImportError:\n    pass\n```\n"
    )
    result = run(project, "contracts/docs/names.md")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["DOC003 hokusai.ModelRegistery", "  at contracts/docs/names.md:6", "*did you mean*"]
    )


def test_malformed_page_is_a_collection_error_naming_file_and_line(project):
    (project.path / "contracts" / "docs" / "bad.md").write_text("```python sever=mlflow\nx = 1\n```\n")
    result = run(project, "contracts/docs/bad.md")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*DOC006 *contracts/docs/bad.md:1: unknown snippet attribute 'sever'*"])


def test_dropped_block_count_fails_an_extra_item(project):
    (project.path / "contracts" / "docs" / "count.md").write_text(
        "---\nexecutable_blocks: 2\n---\n```python\nx = 1\n```\n\n```text\ny = 2\n```\n"
    )
    result = run(project, "contracts/docs/count.md", "-rA")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*FAILED contracts/docs/count.md::executable_blocks*"])
    result.stdout.fnmatch_lines(["DOC005 count.md", "  at contracts/docs/count.md:2"])


def test_pages_are_off_unless_asked(project):
    result = project.runpytest(*QUIET, "contracts")
    result.assert_outcomes()
