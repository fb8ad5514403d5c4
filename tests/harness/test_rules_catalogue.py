"""The one rule catalogue: every id the tool can emit is in it, once; `hokusai-contracts rules` shows it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

import hokusai_contracts
from hokusai_contracts.base.errors import ContractError
from hokusai_contracts.checks.auth import judge as auth_judge
from hokusai_contracts.checks.auth import model as auth_model
from hokusai_contracts.checks.http import rules as http_rules
from hokusai_contracts.checks.signatures.gate import SIGNATURE_RULE
from hokusai_contracts.checks.snippets import execute as snippets_execute
from hokusai_contracts.checks.snippets import family as snippets_family
from hokusai_contracts.cli.app import app
from hokusai_contracts.cli.output import EXIT_OK, EXIT_USAGE
from hokusai_contracts.diff.accepted import load_accepted
from hokusai_contracts.diff.catalogue import Change
from hokusai_contracts.diff.policy import VERSION_RULE
from hokusai_contracts.diff.rules import RULES as DIFF_RULES
from hokusai_contracts.diff.rules import STATIC_RULES
from hokusai_contracts.findings import Severity, from_errors
from hokusai_contracts.findings.catalogue import (
    FAMILIES,
    RULES,
    all_rules,
    closest,
    covered_ids,
    lookup,
    repro,
    viewed_by,
)
from hokusai_contracts.findings.rules import Bump, Impact
from hokusai_contracts.repro import verdict

SOURCE = Path(hokusai_contracts.__file__).parent
# A quoted rule id: two to five capitals and three digits ("SIG004", 'HTTP006', "REPRO001").
ID_LITERAL = re.compile(r"""["']([A-Z]{2,5}\d{3})["']""")


def _ids_in_source() -> dict[str, list[str]]:
    """Every quoted rule-id literal of the harness's source, with the files it appears in."""
    found: dict[str, list[str]] = {}
    for path in sorted(SOURCE.rglob("*.py")):
        for rule_id in ID_LITERAL.findall(path.read_text(encoding="utf-8")):
            found.setdefault(rule_id, []).append(str(path.relative_to(SOURCE)))
    return found


def test_every_id_literal_in_the_source_is_in_the_catalogue():
    found = _ids_in_source()
    assert len(found) > 50  # the scan sees the families' ids, not nothing
    assert {rule_id: files for rule_id, files in found.items() if rule_id not in RULES} == {}


def test_every_word_id_the_harness_emits_is_in_the_catalogue():
    emitted = {
        from_errors.CONTRACT_INVALID,
        from_errors.INFRASTRUCTURE,
        from_errors.INTERNAL_ERROR,
        http_rules.INFRASTRUCTURE,
        VERSION_RULE,
    }
    assert emitted <= set(RULES)


def test_ids_and_names_are_unique_and_every_rule_is_described():
    rules = all_rules()
    assert len({r.id for r in rules}) == len(rules)
    names = [n.casefold() for r in rules for n in (r.id, r.name, *r.aliases) if n]
    assert len(set(names)) == len(names)
    for rule in rules:
        assert rule.family in FAMILIES
        assert rule.title and rule.explanation.endswith(".") and len(rule.explanation) > 40, rule.id
        # Diff rules say what a change does to callers; the others how bad a failure is.
        assert isinstance(rule.severity, Impact if re.fullmatch(r"BC\d{3}", rule.id) else Severity), rule.id
        failing = rule.severity in (Severity.ERROR, Severity.WARNING, Impact.BREAKING)
        if failing and rule.family not in ("diff", "snippets"):
            assert rule.fix, f"{rule.id} fails checks but names no fix"
    assert [r.family for r in rules] == sorted((r.family for r in rules), key=FAMILIES.index)


def test_families_take_their_ids_and_fixes_from_the_catalogue():
    auth = {r.id: r for r in all_rules() if r.family == "auth"}
    assert list(auth) == [
        auth_model.UNEXPECTED_OUTCOME,
        auth_model.WRONG_ERROR,
        auth_model.MISSING_FIX,
        auth_model.SECRET_LEAKED,
        auth_model.MALFORMED,
    ]
    assert {rule_id: rule.fix for rule_id, rule in auth.items()} == auth_judge.FIXES
    http = {r.id: r for r in all_rules() if r.family == "http"}
    assert {rule_id: rule.fix for rule_id, rule in http.items() if rule.fix} == http_rules.FIXES
    assert http_rules.CONFORMS == "HTTP000" and http_rules.CONSUMER_FIELD_MISSING == "HTTP006"
    docs = [r.id for r in all_rules() if r.family == "snippets"]
    family_ids = [
        snippets_family.BLOCK_FAILED,
        snippets_family.NOT_RAISED,
        snippets_family.UNCONTRACTED,
        snippets_family.LINT,
        snippets_family.COUNT_DROPPED,
        snippets_family.MALFORMED,
    ]
    assert ["DOC000", *family_ids] == docs
    # The page runner is standard-library only (it runs in other interpreters): its copies must agree.
    assert tuple(family_ids[:2]) == (snippets_execute.BLOCK_FAILED, snippets_execute.NOT_RAISED)


def test_repro_verdicts_have_rule_ids():
    assert set(repro.BY_VERDICT) == set(verdict.VERDICTS)
    assert [r.id for r in repro.BY_VERDICT.values()] == ["REPRO001", "REPRO002", "REPRO003", "REPRO004"]


def test_diff_rules_are_the_catalogues_and_every_detector_has_its_entry():
    diff = {r.id: r for r in all_rules() if re.fullmatch(r"BC\d{3}", r.id)}
    assert diff == DIFF_RULES
    for rule in diff.values():
        assert (rule.bump is Bump.MAJOR) == (rule.severity is Impact.BREAKING)
    assert {s.rule.id for s in STATIC_RULES} == {i for i in diff if i.startswith("BC0")}


def test_signature_rules_are_contract_side_views_of_diff_rules():
    signature = [r for r in all_rules() if r.family == "signatures"]
    assert {r.id for r in signature} == {f"SIG{n:03d}" for n in range(16)}
    static = {s.rule.id for s in STATIC_RULES}
    viewed = [view for rule in signature for view in rule.views]
    assert len(viewed) == len(set(viewed)) and set(viewed) <= static  # each diff rule has one gate id
    # The gate's own rules (passes, modules, unreadable signatures) view nothing; the others do.
    assert {r.id for r in signature if not r.views} == {"SIG000", "SIG012", "SIG014"}
    assert {view: r.id for r in signature for view in r.views} == SIGNATURE_RULE
    assert viewed_by("BC005") == ("SIG004",) and viewed_by("BC020") == ()
    assert covered_ids("SIG004") == {"SIG004", "BC004", "BC005", "BC011"}
    assert covered_ids("BC005") == {"BC005"}


def test_lookup_by_id_slug_or_case_and_closest_ids():
    assert lookup("sig004").id == "SIG004"
    assert lookup("parameter-renamed").id == "BC005"
    assert lookup("SIG016") is None
    assert closest("SIG16")[0].startswith("SIG")
    assert "BC005" in closest("paramter-renamed")


ENTRY = (
    "accepted:\n  - rule: {rule}\n    object: pkg.fetch\n    versions: '*'\n"
    "    justification: planned rename\n"
)


def test_accepted_breaks_take_a_signature_id_for_the_diff_rules_it_views(tmp_path):
    path = tmp_path / "accepted-breaks.yaml"
    path.write_text(ENTRY.format(rule="SIG004"))
    (entry,) = load_accepted(path)
    assert entry.matches(Change("BC005", "pkg.fetch", "renamed"), "1.2.0")
    assert entry.matches(Change("BC004", "pkg.fetch", "removed"), "1.2.0")
    assert not entry.matches(Change("BC008", "pkg.fetch", "now required"), "1.2.0")
    path.write_text(ENTRY.format(rule="SIG000"))  # a pass views no diff rule: nothing to accept
    with pytest.raises(ContractError, match="unknown rule 'SIG000'") as raised:
        load_accepted(path)
    assert raised.value.file == str(path) and raised.value.line == 2


# -- the command ---------------------------------------------------------------------------------------


def rules(*args: str):
    return CliRunner().invoke(app, ["rules", *args])


def test_rules_lists_every_rule_with_family_severity_and_title():
    result = rules()
    assert result.exit_code == EXIT_OK, result.output
    lines = result.output.splitlines()
    assert len(lines) == len(all_rules())
    assert re.fullmatch(r"SIG004 +signatures +error +parameter missing or renamed", lines[4])
    assert any(re.fullmatch(r"BC010 +diff +potentially_breaking +default changed", line) for line in lines)
    only = rules("--family", "auth")
    assert [line.split()[0] for line in only.output.splitlines()] == [f"AUTH00{n}" for n in range(1, 6)]


def test_rules_as_json():
    listed = json.loads(rules("--format", "json").output)["rules"]
    assert [r["id"] for r in listed] == [r.id for r in all_rules()]
    one = json.loads(rules("BC005", "--format", "json").output)
    assert one["viewed_by"] == ["SIG004"] and one["bump"] == "major" and one["name"] == "parameter-renamed"


def test_rules_explains_one_rule():
    result = rules("SIG004")
    assert result.exit_code == EXIT_OK
    text = " ".join(result.output.split())
    assert text.startswith("SIG004 parameter missing or renamed")
    assert "severity: error" in text and "bump: major" in text
    assert "contract-side view of: BC004 (parameter removed), BC005 (parameter renamed)" in text
    assert "fix: Accept the contracted name again" in text
    by_slug = " ".join(rules("parameter-renamed").output.split())
    assert by_slug.startswith("BC005 parameter renamed") and "aliases: parameter-renamed" in by_slug
    assert "signature gate reports it as: SIG004" in by_slug


def test_an_unknown_rule_is_a_usage_error_naming_the_closest_ids():
    result = rules("SIG16")
    assert result.exit_code == EXIT_USAGE
    assert "unknown rule 'SIG16'" in result.output and "did you mean SIG015" in result.output
    assert "Traceback" not in result.output
    assert rules("--family", "nope").exit_code == EXIT_USAGE
