"""The point of the snippets check: break the SDK the way the bug reports did, and exactly the examples
that use the broken call fail, naming the page and line. Also the family end to end through the CLI."""

from __future__ import annotations

import ast
import json
import shutil
import sys
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import pytest
from harness_support import REPO, SDK_SOURCE
from sdk_mutations import copy_sdk, module_file
from snippets_support import write_page
from typer.testing import CliRunner

from hokusai_contracts.checks import VerifyContext
from hokusai_contracts.checks.snippets.family import OPTION_EXTRA_PATHS, OPTION_RUFF_CONFIG, run_snippets
from hokusai_contracts.cli.app import build_app
from hokusai_contracts.findings import Outcome

TOKEN_PAGE = """\
---
unique_names: [lead-scoring]
executable_blocks: 4
---
# Tokens

```python
from sklearn.linear_model import LogisticRegression

from hokusai import ModelRegistry

registry = ModelRegistry(infer_pip_requirements=False)
model = LogisticRegression().fit([[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1])
baseline = registry.register_baseline(model=model, model_name="lead-scoring")
```

## Link to a token

```python
result = registry.register_tokenized_model(
    model_uri=baseline.model_uri,
    model_name="lead-scoring",
    token_id="LSCOR",
    metric_name="accuracy",
    baseline_value=0.92,
)
print(result["token_id"], result["status"])
#> LSCOR registered
```

## Unrelated

```python
print(baseline.model_id)
#> lead-scoring/1
```

```python raises=ModelNotFoundError
registry.get_tokenized_model("lead-scoring", version=1)
```
"""


def rename_keyword(root: Path, module: str, cls: str, method: str, old: str, new: str) -> None:
    """In the copied SDK at ``root``, rename parameter ``old`` of ``cls.method`` (and its uses) to ``new``."""
    path = module_file(root, module)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    owner = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == cls)
    function = next(n for n in owner.body if isinstance(n, ast.FunctionDef) and n.name == method)
    for node in ast.walk(function):
        if isinstance(node, ast.arg) and node.arg == old:
            node.arg = new
        elif isinstance(node, ast.Name) and node.id == old:
            node.id = new
    path.write_text(ast.unparse(tree) + "\n", encoding="utf-8")


def contracts_with(tmp_path: Path, page: str) -> Path:
    """A contracts directory: the repository's API contract and one documentation page."""
    contracts = tmp_path / "contracts"
    shutil.copytree(REPO / "contracts" / "api", contracts / "api")
    shutil.copytree(REPO / "contracts" / "schema", contracts / "schema")
    write_page(contracts / "docs", page, "tokens.md")
    return contracts


def test_a_renamed_keyword_fails_exactly_the_snippet_that_uses_it(tmp_path):
    root = copy_sdk(SDK_SOURCE, tmp_path / "sdk")
    rename_keyword(
        root, "hokusai.core.registry", "ModelRegistry", "register_tokenized_model", "token_id", "token"
    )
    contracts = contracts_with(tmp_path, TOKEN_PAGE)
    context = VerifyContext(
        contracts_dir=contracts,
        python=sys.executable,
        # Pages in tmp dirs are outside the project: lint them with its configuration explicitly.
        options={OPTION_EXTRA_PATHS: [str(root)], OPTION_RUFF_CONFIG: REPO / "pyproject.toml"},
    )
    findings = run_snippets(context)
    failures = [(f.rule, f.subject, str(f.location)) for f in findings if f.failed]
    page = contracts / "docs" / "tokens.md"
    assert failures == [("DOC001", "tokens.md::link-to-a-token::L19", f"{page}:20")]
    failure = next(f for f in findings if f.failed)
    assert "unexpected keyword argument 'token_id'" in failure.message
    assert f'File "{page}", line 20, in <module>' in failure.details
    blocks = [f for f in findings if f.rule in ("DOC000", "DOC001")]
    assert [f.outcome for f in blocks] == [Outcome.PASSED, Outcome.FAILED, Outcome.PASSED, Outcome.PASSED]


@contextmanager
def no_server():
    yield SimpleNamespace(url="http://127.0.0.1:9", users=None)


def test_verify_only_snippets_reports_doc_findings_and_exit_codes(tmp_path):
    contracts = contracts_with(
        tmp_path,
        """\
        ---
        executable_blocks: 2
        ---
        # Plain

        ```python
        print(sum([1, 2]))
        #> 3
        ```

        ```python
        print("actual")
        #> expected
        ```
        """,
    )
    report = tmp_path / "report.json"
    app = build_app(server_factory=no_server)
    arguments = ["verify", "--only", "snippets", "--contracts", str(contracts), "--json", str(report), "-q"]
    result = CliRunner().invoke(app, arguments)
    assert result.exit_code == 1, result.output
    findings = json.loads(report.read_text())["findings"]
    failed = [(f["rule"], f["location"]) for f in findings if f["outcome"] == "failed"]
    assert failed == [("DOC001", {"file": str(contracts / "docs" / "tokens.md"), "line": 13})]

    page = contracts / "docs" / "tokens.md"
    page.write_text(page.read_text().replace("#> expected", "#> actual"))
    assert CliRunner().invoke(app, arguments).exit_code == 0


def test_no_pages_is_a_skip_not_a_pass(tmp_path):
    (tmp_path / "contracts" / "api").mkdir(parents=True)
    findings = run_snippets(VerifyContext(contracts_dir=tmp_path / "contracts"))
    assert [f.outcome for f in findings] == [Outcome.SKIPPED]


@pytest.mark.parametrize("name", ["snippets"])
def test_family_is_registered_and_needs_a_server(name):
    from hokusai_contracts.checks.registry import CHECKS

    assert CHECKS[name].needs_server
