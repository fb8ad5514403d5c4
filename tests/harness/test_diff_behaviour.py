"""Behavioural compatibility on the corpus: OLD's documented examples run with OLD's and NEW's ``corpkg``.

No server: corpus pages run on the packages alone, each side in its own worker process.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml

from hokusai_contracts.findings import Location, Outcome, RunResult, Severity
from hokusai_contracts.release.behaviour import BehaviourSide, behaviour_findings, compare
from hokusai_contracts.release.behaviour_auth import why_not_runnable
from hokusai_contracts.release.behaviour_model import FAILED, PASSED, SKIPPED, CaseResult
from hokusai_contracts.reports import FORMATS, render

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "fixtures" / "breaking_changes"
PAIRS = sorted(CORPUS.glob("behaviour-*"))


def sides(pair: Path) -> tuple[BehaviourSide, BehaviourSide]:
    """OLD and NEW of a corpus pair, both in this interpreter with their own ``corpkg`` first on the path."""
    old = BehaviourSide("old", None, pair / "old" / "contracts", (str(pair / "old"),), "corpkg")
    new = BehaviourSide("new", None, None, (str(pair / "new"),), "corpkg")
    return old, new


def expected_behaviour(pair: Path) -> list[tuple[str, str]]:
    """The pair's expected BC1xx findings as (rule, object)."""
    expected = yaml.safe_load((pair / "expected.yaml").read_text(encoding="utf-8"))
    return sorted((e["rule"], e["object"]) for e in expected["expected"] if e["rule"].startswith("BC1"))


def test_the_corpus_has_every_behaviour_pair():
    names = {pair.name for pair in PAIRS}
    assert {
        "behaviour-constructor-needs-credential",
        "behaviour-default-remote-server",
        "behaviour-method-rejects-input",
        "behaviour-submodule-not-bound",
        "behaviour-compatible-internals",
    } <= names


@pytest.mark.parametrize("pair", PAIRS, ids=[p.name for p in PAIRS])
def test_each_pair_gives_exactly_its_expected_behavioural_findings(pair: Path):
    findings = behaviour_findings(*sides(pair))

    failed = [f for f in findings if f.failed]
    assert sorted((f.rule, f.subject) for f in failed) == expected_behaviour(pair)
    for finding in failed:
        page = Path(finding.location.file)
        assert page.resolve().is_relative_to(pair / "old" / "contracts" / "docs")
        assert finding.location.line and finding.location.line <= len(page.read_text().splitlines())
        assert "passes with old and fails with new" in finding.message
        assert "OLD (old): passed" in finding.details and "NEW (new): failed" in finding.details
    # Everything else passed on both sides or is a warning that follows a page's first regression.
    for finding in findings:
        if not finding.failed:
            assert finding.outcome is Outcome.PASSED or finding.severity is Severity.WARNING


def test_the_same_release_on_both_sides_gives_no_finding():
    old, _ = sides(CORPUS / "behaviour-constructor-needs-credential")

    findings = behaviour_findings(old, old)

    assert findings and all(f.outcome is Outcome.PASSED for f in findings)


def test_a_secret_in_the_new_failure_never_appears(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    secret, api_key = "Sw0rdf1sh-9f3a2c7e", "hk_live_Q2xpZW50S2V5Rm9yVGVzdGluZ0Qz"
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", secret)  # a known secret the harness masks literally
    package = {
        "old": "def login():\n    return 'ok'\n",
        "new": (
            "SECRET, KEY = " + repr(secret) + ", " + repr(api_key) + "\n"
            "def login():\n"
            "    raise PermissionError('https://bob:' + SECRET + '@tracking.example refused ' + SECRET"
            " + ' with key ' + KEY)\n"
        ),
    }
    for side, code in package.items():
        (tmp_path / side / "corpkg").mkdir(parents=True)
        (tmp_path / side / "corpkg" / "__init__.py").write_text(f"__version__ = '1'\n{code}")
    docs = tmp_path / "old" / "contracts" / "docs"
    docs.mkdir(parents=True)
    (docs / "login.md").write_text(
        textwrap.dedent(
            """\
            ---
            title: Login
            executable_blocks: 1
            ---

            ```python
            import corpkg

            print(corpkg.login())
            #> ok
            ```
            """
        )
    )

    findings = behaviour_findings(*sides(tmp_path))

    [failed] = [f for f in findings if f.failed]
    assert "PermissionError" in failed.message
    shown = [failed.message, failed.details or "", failed.subject]
    shown += [render(RunResult(findings=findings), fmt, secrets=()) for fmt in FORMATS]
    for text in shown:
        assert secret not in text
        assert api_key not in text


# -- comparing outcomes (pure) -------------------------------------------------------------------------


def case(key: str, status: str, message: str = "") -> CaseResult:
    return CaseResult(key, key, Location("docs/page.md", 3), status, message=message, obj=f"pkg.{key[-1]}")


def test_only_examples_passing_on_old_and_failing_on_new_are_regressions():
    old = {
        "p#1": case("p#1", PASSED),
        "p#2": case("p#2", FAILED, "raised KeyError: 'x'"),
        "p#3": case("p#3", FAILED, "raised KeyError: 'y'"),
        "p#4": case("p#4", SKIPPED, "needs AWS"),
        "q#1": case("q#1", PASSED),
    }
    new = {
        "p#1": case("p#1", FAILED, "raised ValueError: bad"),
        "p#2": case("p#2", FAILED, "raised KeyError: 'x'"),
        "p#3": case("p#3", PASSED),
        "p#4": case("p#4", SKIPPED, "needs AWS"),
        "q#1": case("q#1", PASSED),
    }

    findings = {f.subject: f for f in compare(old, new, "BC101", "1.0", "2.0")}

    assert findings["pkg.1"].failed and "fails with 2.0: raised ValueError: bad" in findings["pkg.1"].message
    assert findings["p#2"].outcome is Outcome.SKIPPED and "already fails with 1.0" in findings["p#2"].message
    assert "passes with 2.0" in findings["p#3"].message and not findings["p#3"].failed
    assert findings["p#4"].outcome is Outcome.SKIPPED and "needs AWS" in findings["p#4"].message
    assert findings["q#1"].outcome is Outcome.PASSED


def test_a_later_regression_on_the_same_page_is_a_warning_naming_the_first():
    old = {key: case(key, PASSED) for key in ("p#1", "p#2", "q#1")}
    new = {key: case(key, FAILED, "raised NameError: name 'c' is not defined") for key in old}

    findings = compare(old, new, "BC101", "1.0", "2.0")

    assert [f.severity for f in findings] == [Severity.ERROR, Severity.WARNING, Severity.ERROR]
    assert "after the regression of p#1" in findings[1].message


def test_auth_scenarios_need_the_hokusai_package_in_this_interpreter():
    assert "package 'corpkg'" in why_not_runnable(BehaviourSide("new", None, None, (), "corpkg"))
    assert why_not_runnable(BehaviourSide("new", None, None, ("/somewhere",))) is None


# -- naming the object a failure points at (pure) -------------------------------------------------------

TRACEBACK = 'Traceback (most recent call last):\n  File "{page}", line {line}, in <module>\n{callee}{error}'


@pytest.mark.parametrize(
    ("code", "callee", "error", "expected"),
    [
        (
            "import corpkg.tracking as t\nt.Run('x').close()",
            "close",
            "OSError: x",
            "corpkg.tracking.Run.close",
        ),
        (
            "from corpkg import open_store\nwith open_store() as s:\n    s.put(1)",
            "put",
            "KeyError: 1",
            "corpkg.open_store.put",
        ),
        (
            "import corpkg\ncorpkg.io.read('x')",
            None,
            "AttributeError: module 'corpkg' has no attribute 'io'",
            "corpkg.io",
        ),
        ("from corpkg import Client as C\nc = C(key=None)", "__init__", "ValueError: key", "corpkg.Client"),
        ("import json\njson.loads('{')", "loads", "JSONDecodeError: x", None),
    ],
)
def test_the_failing_object_is_named_from_the_page_code(tmp_path: Path, code, callee, error, expected):
    from hokusai_contracts.checks.snippets.parse import parse_page
    from hokusai_contracts.release.behaviour_objects import failing_object

    page_file = tmp_path / "page.md"
    page_file.write_text(f"---\ntitle: t\nexecutable_blocks: 1\n---\n\n```python\n{code}\n```\n")
    page = parse_page(page_file)
    [block] = page.blocks
    line = block.start_line + code.count("\n")
    frame = f'  File "/sdk/corpkg/x.py", line 3, in {callee}\n' if callee else ""
    traceback = TRACEBACK.format(page=page_file, line=line, callee=frame, error=error)

    assert failing_object(page.blocks, block, line, traceback, "corpkg") == expected


@pytest.mark.parametrize(
    ("pair", "exit_code"),
    [("behaviour-constructor-needs-credential", 1), ("behaviour-compatible-internals", 0)],
)
def test_diff_with_behaviour_gates_on_the_regressed_example(pair: str, exit_code: int):
    from typer.testing import CliRunner

    from hokusai_contracts.cli.app import app

    root = CORPUS / pair
    arguments = ["diff", str(root / "old"), str(root / "new"), "--package", "corpkg", "--behaviour"]

    result = CliRunner().invoke(app, arguments)

    assert result.exit_code == exit_code, result.output
    assert ("BC101" in result.output) is bool(exit_code)
    assert ("corpkg.Client" in result.output) is bool(exit_code)


def test_a_case_only_new_ran_is_compared_with_new_alone():
    # OLD's SDK runs only the pages that failed with NEW: the other cases have no OLD result.
    old = {"p#1": case("p#1", PASSED)}
    new = {
        "p#1": case("p#1", FAILED, "raised ValueError: bad"),
        "q#1": case("q#1", PASSED),
        "q#2": case("q#2", SKIPPED, "needs AWS"),
    }

    findings = compare(old, new, "BC101", "1.0", "2.0")

    assert [f.subject for f in findings] == ["pkg.1", "q#1", "q#2"]
    assert findings[0].failed
    assert findings[1].outcome is Outcome.PASSED and "not run with 1.0" in findings[1].message
    assert findings[2].outcome is Outcome.SKIPPED and "needs AWS" in findings[2].message
