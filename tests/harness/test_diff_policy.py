"""The gate's policy on changes: semantic-version verdict, accepted breaks, deprecations, witnesses."""

from __future__ import annotations

import functools
import inspect
from pathlib import Path

import pytest

from hokusai_contracts.base.errors import ContractError
from hokusai_contracts.contract.model import CallForm
from hokusai_contracts.diff import probe_worker
from hokusai_contracts.diff.accepted import AcceptedBreak, entry_yaml, load_accepted
from hokusai_contracts.diff.catalogue import Bump, Change
from hokusai_contracts.diff.policy import judge, to_finding, version_finding
from hokusai_contracts.diff.probe import ProbeAnswer
from hokusai_contracts.diff.semver import Verdict, version_bump
from hokusai_contracts.diff.witness import Witness, judge_changes, witness_requests
from hokusai_contracts.findings import Outcome, Severity

ENTRY = (
    "accepted:\n  - rule: {rule}\n    object: pkg.f\n    versions: {versions}\n"
    "    justification: fine fine fine\n"
)
RENAME = Change("BC005", "pkg.fetch", "parameter 'timeout' was renamed to 'timeout_s'")


@pytest.mark.parametrize(
    ("old", "new", "bump"),
    [
        ("1.0.0", "2.0.0", Bump.MAJOR),
        ("1.0.0", "1.1.0", Bump.MINOR),
        ("1.0.0", "1.0.1", Bump.PATCH),
        ("1.1.0", "1.1.0", None),
        ("1.1.0", "1.0.0", None),
        ("0.3.0", "0.4.0", Bump.MAJOR),  # before 1.0 the minor number is the major one
        ("0.3.0", "0.3.1", Bump.MINOR),
        ("0.9.2", "1.0.0", Bump.MAJOR),
        (None, "1.0.0", None),
    ],
)
def test_version_bump(old, new, bump):
    assert version_bump(old, new) is bump


def test_verdict_needs_a_major_bump_for_breaking_changes():
    missing = Verdict("1.0.0", "1.1.0", Bump.MINOR, Bump.MAJOR)
    assert not missing.ok and "does NOT cover" in missing.describe()
    finding = version_finding(missing)
    assert finding.failed and "major" in finding.fix
    assert Verdict("1.0.0", "2.0.0", Bump.MAJOR, Bump.MAJOR).ok
    unknown = Verdict(None, None, None, Bump.MAJOR)
    assert unknown.ok and "unknown" in unknown.describe()
    assert not version_finding(unknown).failed
    pre = Verdict("0.3.0", "0.4.0", Bump.MAJOR, Bump.MAJOR)
    assert pre.ok and "before 1.0" in pre.describe()


def test_judging_breaking_changes():
    assert judge(RENAME, None, [], "1.1.0", major_bump=False).status == "breaking"
    assert judge(RENAME, None, [], "2.0.0", major_bump=True).status == "allowed"
    disproved = Witness("disproved", "binds")
    assert judge(RENAME, disproved, [], "1.1.0", major_bump=False).status == "disproved"
    entry = AcceptedBreak("BC005", "pkg.fetch", ">=1.1.0,<2.0.0", "migration note in CHANGELOG")
    assert judge(RENAME, None, [entry], "1.1.0", major_bump=False).status == "accepted"
    assert judge(RENAME, None, [entry], "2.1.0", major_bump=False).status == "breaking"  # out of range
    other = AcceptedBreak("BC005", "pkg.other", "*", "another object entirely")
    assert judge(RENAME, None, [other], "1.1.0", major_bump=False).status == "breaking"


def test_deprecation_policy_accepts_removal_of_deprecated_objects_only():
    removed = Change("BC001", "pkg.old", "function pkg.old was removed", deprecated=True)
    assert judge(removed, None, [], "1.1.0", major_bump=False).status == "deprecated"
    not_deprecated = Change("BC001", "pkg.old", "function pkg.old was removed")
    assert judge(not_deprecated, None, [], "1.1.0", major_bump=False).status == "breaking"
    # Deprecation announces removal, not a signature change.
    renamed = Change("BC005", "pkg.old", "renamed", deprecated=True)
    assert judge(renamed, None, [], "1.1.0", major_bump=False).status == "breaking"
    finding = to_finding(judge(removed, None, [], "1.1.0", False), "1.1.0")
    assert not finding.failed and finding.severity is Severity.WARNING and "deprecated" in finding.message


def test_breaking_finding_carries_a_ready_to_paste_entry(tmp_path):
    finding = to_finding(judge(RENAME, None, [], "1.1.0", False), "1.1.0")
    assert finding.failed and finding.check == "diff" and finding.rule == "BC005"
    assert "rule: BC005" in finding.fix and 'versions: "==1.1.0"' in finding.fix
    # The printed entry, pasted under `accepted:`, loads and accepts the change.
    (tmp_path / "accepted.yaml").write_text("accepted:\n" + entry_yaml(RENAME, "1.1.0"))
    (entry,) = load_accepted(tmp_path / "accepted.yaml")
    assert entry.matches(RENAME, "1.1.0") and not entry.matches(RENAME, "1.2.0")
    assert entry.line == 2
    compatible = to_finding(judge(Change("BC020", "pkg.g", "new"), None, [], "1.1.0", False), "1.1.0")
    assert compatible.outcome is Outcome.PASSED


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("accepted:\n  - rule: BC005\n    object: pkg.f\n    versions: '*'\n", 2, "justification"),
        (ENTRY.format(rule="BC005", versions="'*'") + "    reason: typo\n", 6, "unknown key 'reason'"),
        (ENTRY.format(rule="BC999", versions="'*'"), 2, "unknown rule 'BC999'"),
        (ENTRY.format(rule="BC005", versions="soon"), 4, "not understood"),
        ("accepted:\n  - rule: [\n", 3, "not valid YAML"),
    ],
)
def test_bad_accepted_file_names_file_and_line(tmp_path, text, line, message):
    path = tmp_path / "accepted-breaks.yaml"
    path.write_text(text)
    with pytest.raises(ContractError, match=message) as raised:
        load_accepted(path)
    assert (raised.value.file, raised.value.line) == (str(path), line)


def test_repository_accepted_breaks_file_is_valid():
    entries = load_accepted(Path(__file__).parents[2] / "contracts" / "accepted-breaks.yaml")
    assert all(entry.justification and entry.line for entry in entries)


def test_witness_verdicts_from_probe_answers():
    call = CallForm("(<name>, timeout=<timeout>)", ("<name>",), ("timeout",))
    bind = Change("BC005", "pkg.fetch", "renamed", witness="bind", calls=(call,), call_path="pkg.fetch")
    gone = Change("BC002", "pkg.Engine", "gone", witness="import", import_paths=("pkg.Engine",))
    request = witness_requests([bind, gone])
    assert request.binds[0].kwargs == ("timeout",) and request.imports == ("pkg.Engine",)
    works = ProbeAnswer(binds={"0:0": {"verdict": "works", "reason": "binds"}}, imports={"pkg.Engine": None})
    verdicts = judge_changes([bind, gone], works)
    assert verdicts[0].verdict == verdicts[1].verdict == "disproved"
    fails = ProbeAnswer(
        binds={"0:0": {"verdict": "fails", "reason": "TypeError: x"}}, imports={"pkg.Engine": "E"}
    )
    verdicts = judge_changes([bind, gone], fails)
    assert verdicts[0].verdict == verdicts[1].verdict == "confirmed" and "TypeError" in verdicts[0].reason


def _renamed(old, new):
    def decorate(func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            if old in kwargs:
                kwargs[new] = kwargs.pop(old)
            return func(*args, **kwargs)

        return wrapper

    return decorate


def test_probe_binds_through_decorators_without_running_the_function():
    calls = []

    @_renamed("timeout", "timeout_s")
    def fetch(name, timeout_s=10):
        calls.append(name)  # a closure: the stub keeps the function's free variables

    inner = inspect.unwrap(fetch)
    ran = probe_worker.dry_run(fetch, inner, ("<name>",), {"timeout": "<timeout>"})
    assert ran == (("<name>",), {"timeout_s": "<timeout>"}) and calls == []
    landed = probe_worker.landing(inspect.signature(inner), *ran)
    assert probe_worker.judge(landed, ["<name>"], ["timeout"])[0] == "works"
    captured = probe_worker.dry_run(fetch, inner, (), {"nope": "<nope>"})
    with pytest.raises(TypeError):
        probe_worker.landing(inspect.signature(inner), *captured)
    # Without the decorator the old keyword does not bind.
    swapped = probe_worker.landing(inspect.signature(lambda port, host: None), ("<host>", "<port>"), {})
    assert probe_worker.judge(swapped, ["<host>", "<port>"], [])[0] == "fails"
