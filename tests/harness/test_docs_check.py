"""docs-check: anyone's documentation checked against an installed SDK (static and --run).

The fixture set (``fixtures/foreign_docs``) plants every mistake kind with its expected finding in its
manifest, among traps that must stay quiet: every planted mistake must be found, nothing else reported.
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import pytest
import yaml
from harness_support import REPO
from typer.testing import CliRunner

from hokusai_contracts.checks.docs_check.analysis import analyze_page
from hokusai_contracts.checks.docs_check.api_view import ApiView
from hokusai_contracts.checks.docs_check.blocks import page_of
from hokusai_contracts.checks.docs_check.check import DocsCheckRequest, docs_check
from hokusai_contracts.checks.docs_check.execution import RunOptions, sandbox_available
from hokusai_contracts.cli.app import app
from hokusai_contracts.contract.model import ApiModule, ApiObject, ObjectKind
from hokusai_contracts.contract.store import dump_module
from hokusai_contracts.findings import Outcome
from hokusai_contracts.findings.catalogue import RULES
from hokusai_contracts.introspection import introspect

FIXTURES = REPO / "fixtures" / "foreign_docs"
MANIFEST = yaml.safe_load((FIXTURES / "manifest.yaml").read_text(encoding="utf-8"))
MARKER = re.compile(r"expect: (DOCX\d{3})")


@pytest.fixture(scope="module")
def fixture_findings():
    """Every reported (not passed, not skipped) finding over the fixture trees."""
    found = []
    for tree in MANIFEST["trees"]:
        sdk_path = (str(FIXTURES / tree["sdk_path"]),) if tree.get("sdk_path") else ()
        request = DocsCheckRequest((FIXTURES / tree["path"],), tree["package"], extra_paths=sdk_path)
        result = docs_check(request)
        found.extend(f for f in result.findings if f.outcome not in (Outcome.PASSED, Outcome.SKIPPED))
    return found


def _key(finding) -> tuple[str | None, int | None, str]:
    location = finding.location
    file = Path(location.file).relative_to(FIXTURES).as_posix() if location else None
    return (file, location.line if location else None, finding.rule)


def test_every_planted_mistake_is_found_and_nothing_else(fixture_findings):
    expected = {(e["file"], e["line"], e["rule"]): e["says"] for e in MANIFEST["expected"]}
    found = {_key(f): f for f in fixture_findings}
    missed = sorted(set(expected) - set(found), key=str)
    false_positives = [f"{k}: {found[k].message}" for k in sorted(set(found) - set(expected), key=str)]
    assert not missed, f"planted mistakes not found: {missed}"
    assert not false_positives, "false positives:\n" + "\n".join(false_positives)
    for key, phrase in expected.items():
        finding = found[key]
        assert phrase in f"{finding.subject} {finding.message} {finding.fix}", (key, finding)
    # Every kind of mistake is planted (run-mode rules aside), and every finding is in the catalogue.
    assert {f.rule for f in fixture_findings} == {f"DOCX00{i}" for i in range(1, 9)}
    assert all(f.rule in RULES for f in fixture_findings)


def test_the_manifest_and_the_expect_comments_agree():
    marked = set()
    for tree in MANIFEST["trees"]:
        for path in sorted((FIXTURES / tree["path"]).rglob("*")):
            if path.is_file():
                for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                    match = MARKER.search(line)
                    if match:
                        marked.add((path.relative_to(FIXTURES).as_posix(), number, match.group(1)))
    listed = {(e["file"], e["line"], e["rule"]) for e in MANIFEST["expected"] if e["file"]}
    assert marked == listed


def test_findings_name_file_line_column_the_api_and_the_fix(fixture_findings):
    by_key = {_key(f): f for f in fixture_findings}
    keyword = by_key[("hokusai_docs/docs/intro.md", 44, "DOCX002")]
    assert str(keyword.location).endswith("intro.md:44:59")
    assert keyword.subject == "hokusai.core.versioning.ModelVersionManager.register_version(metrics=...)"
    assert keyword.message == (
        "`ModelVersionManager.register_version` has no parameter `metrics`; it takes "
        "(model, model_type, version=..., auto_increment=..., metadata=...)"
    )
    missing = by_key[("acme_docs/docs/index.md", 36, "DOCX001")]
    assert missing.fix == "did you mean `remove_tag`?"
    unchecked = by_key[("acme_docs/docs/api/client.md", 57, "DOCX008")]
    assert "acme_torch_backend" in unchecked.message and not unchecked.failed


def _cli(*arguments: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(app, ["docs-check", *arguments], env=env)


def test_our_own_documentation_and_readme_pass():
    for target in ("contracts/docs", "README.md"):
        result = _cli(str(REPO / target))
        assert result.exit_code == 0, result.output
        assert "PASSED" in result.output


def test_sarif_report_for_code_scanning(tmp_path):
    out = tmp_path / "docs.sarif"
    result = _cli(str(FIXTURES / "hokusai_docs"), "--format", "sarif", "--out", str(out))
    assert result.exit_code == 1, result.output
    log = json.loads(out.read_text(encoding="utf-8"))
    assert log["version"] == "2.1.0"
    run = log["runs"][0]
    rule_ids = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    assert {"DOCX001", "DOCX002", "DOCX003", "DOCX007"} <= set(rule_ids)
    first = run["results"][0]
    assert rule_ids[first["ruleIndex"]] == first["ruleId"]
    region = first["locations"][0]["physicalLocation"]["region"]
    assert region["startLine"] > 0 and region["startColumn"] > 0
    levels = {r["ruleId"]: r["level"] for r in run["results"]}
    assert levels["DOCX007"] == "warning" and levels["DOCX002"] == "error"


def test_any_front_matter_and_every_block_shape_is_read(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(
        "+++\ntitle = 'TOML front matter'\n+++\n\n- a list item:\n\n    ```python\n    import os\n    ```\n"
        "\n> ```py\n> x = 1\n> ```\n",
        encoding="utf-8",
    )
    blocks = page_of(page, page.read_text(encoding="utf-8")).blocks
    assert [(b.code, b.line, b.column) for b in blocks] == [("import os", 8, 4), ("x = 1", 12, 2)]
    rst = tmp_path / "page.rst"
    rst.write_text("Run::\n\n   ls -la\n\nOr::\n\n   import os\n   os.getcwd()\n", encoding="utf-8")
    assert [b.line for b in page_of(rst, rst.read_text(encoding="utf-8")).blocks] == [7]


def test_a_block_that_is_not_python_is_a_warning_never_an_api_problem(tmp_path):
    page = tmp_path / "pseudo.md"
    page.write_text("```python\nregistry.register(<model>)\n```\n", encoding="utf-8")
    result = _cli(str(page))
    assert result.exit_code == 0, result.output
    assert "DOCX007" in result.output


def test_an_unreadable_file_is_a_finding_and_the_rest_is_checked(tmp_path):
    (tmp_path / "broken.ipynb").write_text("{not json", encoding="utf-8")
    (tmp_path / "ok.md").write_text("```python\nimport hokusai\n```\n", encoding="utf-8")
    result = docs_check(DocsCheckRequest((tmp_path,), "hokusai"))
    rules = sorted((f.rule, f.outcome.value) for f in result.findings)
    assert rules == [("DOCX000", "passed"), ("DOCX012", "failed")]
    broken = next(f for f in result.findings if f.rule == "DOCX012")
    assert str(broken.location).endswith("broken.ipynb:1") and "invalid JSON" in broken.message


def test_bad_paths_and_options_are_usage_errors(tmp_path):
    assert _cli(str(tmp_path / "missing")).exit_code == 3
    assert _cli(str(tmp_path), "--env", "X").exit_code == 3  # --env without --run
    result = _cli(str(tmp_path), "--run", "--env", "DOCS_CHECK_SURELY_UNSET")
    assert result.exit_code == 3 and "DOCS_CHECK_SURELY_UNSET" in result.output


def test_pyproject_section_gives_the_defaults(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.hokusai-contracts.docs-check]\npaths = ["guide"]\nexclude = ["*draft*"]\n', encoding="utf-8"
    )
    (tmp_path / "guide").mkdir()
    (tmp_path / "guide" / "a.md").write_text("```python\nimport hokusai.nothing\n```\n", encoding="utf-8")
    (tmp_path / "guide" / "draft.md").write_text("```python\nimport hokusai.nope\n```\n", encoding="utf-8")
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        result = _cli()
    finally:
        os.chdir(cwd)
    assert result.exit_code == 1, result.output
    assert "hokusai.nothing" in result.output and "hokusai.nope" not in result.output


def test_static_mode_is_fast_on_a_page_of_many_blocks():
    view = ApiView(introspect("hokusai"))
    text = (FIXTURES / "hokusai_docs" / "docs" / "intro.md").read_text(encoding="utf-8")
    page = page_of(Path("intro.md"), text * 40)
    started = time.perf_counter()
    analyze_page(page, view)
    assert time.perf_counter() - started < 2.0, f"{len(page.blocks)} blocks"


# -- run mode ------------------------------------------------------------------------------------------


def _run_tree(tmp_path: Path, pages: dict[str, str]) -> Path:
    for name, text in pages.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def test_run_mode_passes_only_the_variables_named_with_env_and_masks_secrets(tmp_path):
    tree = _run_tree(
        tmp_path,
        {
            "env.md": "```python\nimport os\nprint(os.environ['HOKUSAI_DOCS_PROBE'])\n"
            "raise RuntimeError('token is ' + os.environ['HOKUSAI_DOCS_API_KEY'])\n```\n"
        },
    )
    environment = {"HOKUSAI_DOCS_PROBE": "visible", "HOKUSAI_DOCS_API_KEY": "s3cr3t-value-123456"}
    without = _cli(str(tree), "--run", "--format", "json", env=environment)
    assert without.exit_code == 1
    assert "KeyError: 'HOKUSAI_DOCS_PROBE'" in without.output  # scrubbed: HOKUSAI_* is not inherited
    passed = _cli(
        str(tree),
        "--run",
        "--env",
        "HOKUSAI_DOCS_PROBE",
        "--env",
        "HOKUSAI_DOCS_API_KEY",
        "--format",
        "json",
        env=environment,
    )
    assert passed.exit_code == 1
    assert "token is" in passed.output and "s3cr3t-value-123456" not in passed.output


def test_run_mode_page_timeout_and_dependent_failures_not_run(tmp_path):
    tree = _run_tree(
        tmp_path,
        {
            "chain.md": "```python\nvalue = 1 / 0\n```\n\n```python\nprint(value)\n```\n\n"
            "```python\nraise ValueError('independent')\n```\n",
            "slow.md": "```python\nimport time\ntime.sleep(60)\n```\n\n```python\nprint('after')\n```\n",
        },
    )
    started = time.perf_counter()
    result = docs_check(
        DocsCheckRequest(
            (tree,),
            "hokusai",
            run=RunOptions(page_timeout=3),
        )
    )
    assert time.perf_counter() - started < 30
    ran = sorted(
        (Path(f.location.file).name, f.location.line, f.rule)
        for f in result.findings
        if f.rule in ("DOCX009", "DOCX010", "DOCX011")
    )
    assert ran == [
        ("chain.md", 2, "DOCX009"),
        ("chain.md", 6, "DOCX010"),
        ("chain.md", 10, "DOCX009"),
        ("slow.md", 2, "DOCX011"),
        ("slow.md", 7, "DOCX010"),
    ]


@pytest.mark.skipif(not sandbox_available(), reason="no network namespaces here (needs root)")
def test_run_mode_network_is_loopback_only(tmp_path):
    tree = _run_tree(
        tmp_path,
        {
            "net.md": "```python\nimport socket\nserver = socket.socket()\nserver.bind(('127.0.0.1', 0))\n"
            "server.listen()\nsocket.create_connection(server.getsockname(), timeout=5).close()\n```\n\n"
            "```python\nsocket.create_connection(('192.0.2.1', 80), timeout=5)\n```\n"
        },
    )
    result = _cli(str(tree), "--run", "--format", "json")
    document = json.loads(result.output)
    failed = [f for f in document["findings"] if f["rule"] == "DOCX009"]
    assert len(failed) == 1 and failed[0]["location"]["line"] == 10, result.output
    assert "unreachable" in failed[0]["message"].lower()


# -- partial APIs --------------------------------------------------------------------------------------


def test_extract_goes_on_when_a_module_does_not_import_and_keeps_its_contract(tmp_path):
    contracts = tmp_path / "contracts"
    stale = contracts / "api" / "acme_sdk.plugins.yaml"
    stale.parent.mkdir(parents=True)
    kept = ApiModule(
        "acme_sdk.plugins", objects=[ApiObject("acme_sdk.plugins.TorchPlugin", ObjectKind.CLASS)]
    )
    stale.write_text(dump_module(kept), encoding="utf-8")
    before = stale.read_text(encoding="utf-8")
    runner = CliRunner()
    env = {"PYTHONPATH": str(FIXTURES / "sdk")}
    result = runner.invoke(app, ["extract", "--contracts", str(contracts), "--package", "acme_sdk"], env=env)
    assert result.exit_code == 0, result.output
    assert "acme_sdk.plugins: missing dependency 'acme_torch_backend'" in result.output
    assert (contracts / "api" / "acme_sdk.client.yaml").is_file()
    assert stale.read_text(encoding="utf-8") == before


def test_myst_directives_indented_blocks_and_lone_decorators_are_python(tmp_path):
    page = tmp_path / "myst.md"
    page.write_text(
        "```{code-block} python\n:caption: hello.py\n\nfrom hokusai import ModelRegistry\n```\n\n"
        "```python\n    registry = ModelRegistry()\n    registry.nope()\n```\n\n"
        "```{doctest}\n>>> ModelRegistry().also_nope()\n```\n\n"
        "```python\n@ModelRegistry.not_a_decorator(1)\n```\n",
        encoding="utf-8",
    )
    result = docs_check(DocsCheckRequest((page,), "hokusai"))
    found = sorted((f.location.line, f.location.column, f.rule) for f in result.findings if f.failed)
    # the indented block's column counts its indentation; the doctest's its prompt; the lone decorator is
    # checked on a stand-in function
    assert found == [(9, 5, "DOCX001"), (13, 5, "DOCX001"), (17, 2, "DOCX001")]


def test_run_mode_on_the_fixture_tree_honours_the_page_timeout():
    # Importing the SDK alone takes longer than this: the example script's first block is cut off.
    started = time.perf_counter()
    result = _cli(
        str(FIXTURES / "hokusai_docs" / "examples"), "--run", "--page-timeout", "0.5", "--format", "json"
    )
    assert time.perf_counter() - started < 60
    document = json.loads(result.output)
    rules = [
        (f["rule"], f["location"]["line"]) for f in document["findings"] if f["rule"].startswith("DOCX01")
    ]
    assert rules == [("DOCX011", 1)], result.output
    assert "--page-timeout 0.5 s" in next(
        f["message"] for f in document["findings"] if f["rule"] == "DOCX011"
    )
