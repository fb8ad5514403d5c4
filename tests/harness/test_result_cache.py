"""The result cache of ``verify``: keys change exactly when a unit's inputs change, stored results hold
no secret, a corrupt entry is a miss with a warning, and a real run twice takes the second from the
cache without starting a server, with the same report."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from harness_support import REPO

from hokusai_contracts.checks import CheckFamily, VerifyContext
from hokusai_contracts.checks.auth.family import OPTION_RESULT_CACHE as AUTH_OPTION
from hokusai_contracts.checks.registry import CHECKS
from hokusai_contracts.checks.snippets.family import OPTION_RESULT_CACHE as SNIPPETS_OPTION
from hokusai_contracts.findings import Finding, Location, Outcome, RunResult
from hokusai_contracts.servers.providers import ServerRequest
from hokusai_contracts.verify import cache_keys
from hokusai_contracts.verify.report_equality import differences, main
from hokusai_contracts.verify.result_cache import (
    OPTION_RESULT_CACHE,
    Entry,
    ResultCache,
    ResultStore,
    open_cache,
)

CLI = Path(sys.executable).with_name("hokusai-contracts")
BASE = {"format": 1, "harness": "h1", "checked": {"sdk": "s1"}, "options": {}}
SERVER = {"provider": "process", "version": None, "image": None}

PAGE = """\
---
title: {title}
executable_blocks: 1
---

# {title}

```python
import hokusai

print(hokusai.__name__)
#> hokusai
```
"""


def contracts_tree(root: Path, pages: dict[str, str]) -> Path:
    """A contracts directory: the repository's API contract and schemas, ``pages`` as its docs."""
    contracts = root / "contracts"
    shutil.copytree(REPO / "contracts" / "api", contracts / "api")
    shutil.copytree(REPO / "contracts" / "schema", contracts / "schema")
    (contracts / "docs").mkdir()
    for name, text in pages.items():
        (contracts / "docs" / name).write_text(text, encoding="utf-8")
    return contracts


def cache_for(contracts: Path, store: Path, base: dict | None = None) -> ResultCache:
    """A cache over ``contracts`` with fixed run parts (no interpreter probe)."""
    return ResultCache(ResultStore(store, warn=lambda m: None), dict(base or BASE), SERVER, contracts)


def test_the_families_and_the_cache_agree_on_the_option_name():
    assert OPTION_RESULT_CACHE == SNIPPETS_OPTION == AUTH_OPTION


def test_changing_one_page_changes_only_its_key(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    contracts = contracts_tree(tmp_path, {"a.md": PAGE.format(title="A"), "b.md": PAGE.format(title="B")})
    before = cache_for(contracts, tmp_path / "store").unit_keys("snippets")
    again = cache_for(contracts, tmp_path / "store").unit_keys("snippets")
    assert before == again and len(set(before)) == 2 and None not in before

    with open(contracts / "docs" / "b.md", "a", encoding="utf-8") as page:
        page.write("\n")
    after = cache_for(contracts, tmp_path / "store").unit_keys("snippets")
    assert after[0] == before[0]
    assert after[1] != before[1]


def test_what_every_unit_shares_changes_every_key(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    contracts = contracts_tree(tmp_path, {"a.md": PAGE.format(title="A"), "b.md": PAGE.format(title="B")})
    before = cache_for(contracts, tmp_path / "s").unit_keys("snippets")
    other_harness = cache_for(contracts, tmp_path / "s", {**BASE, "harness": "h2"}).unit_keys("snippets")
    other_sdk = cache_for(contracts, tmp_path / "s", {**BASE, "checked": {"sdk": "s2"}}).unit_keys("snippets")
    assert not set(before) & set(other_harness)
    assert not set(before) & set(other_sdk)
    api = next((contracts / "api").glob("*.yaml"))
    api.write_text(api.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert not set(before) & set(cache_for(contracts, tmp_path / "s").unit_keys("snippets"))
    # Another MLflow version is another result; an external server's state cannot be keyed.
    other = ResultCache(ResultStore(tmp_path / "s"), dict(BASE), {**SERVER, "version": "2.9.0"}, contracts)
    assert not set(before) & set(other.unit_keys("snippets"))
    external = ResultCache(ResultStore(tmp_path / "s"), dict(BASE), None, contracts)
    assert external.unit_keys("snippets") == [None, None]
    assert external.key("signatures", "signatures", "") is not None  # needs no server


def test_changing_one_auth_scenario_changes_only_its_key(tmp_path):
    contracts = tmp_path / "contracts"
    shutil.copytree(REPO / "contracts" / "auth", contracts / "auth")
    shutil.copytree(REPO / "contracts" / "schema", contracts / "schema")
    before = cache_for(contracts, tmp_path / "s").unit_keys("auth")
    assert len(set(before)) == len(before) > 3
    scenarios = contracts / "auth" / "api-keys.yaml"
    text = scenarios.read_text(encoding="utf-8")
    first = text.index("description: >\n")  # the folded text's first line gains a word
    end = text.index("\n", first + len("description: >\n"))
    scenarios.write_text(text[:end] + " edited" + text[end:], encoding="utf-8")
    after = cache_for(contracts, tmp_path / "s").unit_keys("auth")
    assert len(after) == len(before)
    assert sum(a != b for a, b in zip(before, after, strict=True)) == 1


def test_stored_results_hold_no_secret(tmp_path, monkeypatch):
    monkeypatch.setenv("HOKUSAI_API_KEY", "plainsecretvalue1234")
    store = ResultStore(tmp_path)
    finding = Finding(
        "auth",
        "AUTH001",
        "leaky",
        "called with api_key=hk_live_abcdefghijklmnopQtN and token=s3cr3t-t0ken-value",
        details="Authorization: Bearer eyJhbGciOi.J9.sig-xyz and plainsecretvalue1234",
        fix="see https://user:hunter2pass@example.com/x",
        location=Location("contracts/auth/x.yaml", 3),
    )
    about = {"family": "auth", "unit": "leaky"}
    store.save("k1", Entry((finding,), "1.3.0"), about, ["plainsecretvalue1234"])
    text = store.path("k1").read_text(encoding="utf-8")
    for secret in ("abcdefghijklmnop", "s3cr3t-t0ken-value", "eyJhbGciOi", "hunter2pass", "plainsecretvalue"):
        assert secret not in text
    loaded = store.load("k1")
    assert loaded is not None and loaded.findings[0].rule == "AUTH001"
    assert "hk_live_...QtN" in loaded.findings[0].message


@pytest.mark.parametrize(
    "content", ["{not json", "", '{"format": 1, "key": "other", "findings": []}', '{"format": 1, "key": "k"}']
)
def test_a_corrupt_entry_is_a_miss_with_a_warning(tmp_path, content):
    warnings: list[str] = []
    store = ResultStore(tmp_path, warn=warnings.append)
    store.path("k").write_text(content, encoding="utf-8")
    assert store.load("k") is None
    assert len(warnings) == 1 and str(store.path("k")) in warnings[0]
    assert "running that unit again" in warnings[0]
    assert not store.path("k").exists()


def test_a_round_trip_keeps_every_field(tmp_path):
    store = ResultStore(tmp_path)
    findings = (
        Finding("docs-check", "DC001", "s", "m", Outcome.PASSED, location=Location("f.md", 3, 7)),
        Finding("snippets", "DOC001", "p::h::L1", "boom", fix="fix it", details="trace", location=None),
    )
    store.save("k", Entry(findings, None), {})
    loaded = store.load("k")
    assert loaded is not None and loaded.findings == findings


def test_infrastructure_errors_are_never_remembered(tmp_path):
    cache = cache_for(tmp_path, tmp_path / "store")
    key = cache.key("signatures", "signatures", "")
    cache.put(key, [Finding("signatures", "infrastructure", "x", "server died", outcome=Outcome.ERROR)])
    assert not cache.store.path(key).exists()
    cache.put(key, [Finding("signatures", "SIG001", "x", "ok", outcome=Outcome.PASSED)])
    assert cache_for(tmp_path, tmp_path / "store").get(key)[0].rule == "SIG001"


def test_eviction_keeps_the_newest_within_the_bound(tmp_path):
    store = ResultStore(tmp_path)
    for index in range(5):
        store.save(f"k{index}", Entry((Finding("c", "R", "s", "x" * 500),)), {})
        os.utime(store.path(f"k{index}"), (1000 + index, 1000 + index))
    store.max_bytes = store.path("k0").stat().st_size * 5 // 2  # room for two and a half entries
    assert store.evict() == 3
    assert sorted(p.stem for p in tmp_path.glob("*.json")) == ["k3", "k4"]


def test_a_remembered_family_needs_no_server_and_a_stand_in_is_left_alone(tmp_path):
    contracts = tmp_path
    cache = cache_for(contracts, tmp_path / "store")
    http = CHECKS["http"]
    key = cache.key("http", "http", "")
    remembered = [Finding("http", "HTTP002", "GET /x", "ok", outcome=Outcome.PASSED)]
    cache.put(key, remembered)
    fresh = cache_for(contracts, tmp_path / "store")
    wrapped = fresh.wrap([http])[0]
    assert wrapped.needs_server is False
    assert wrapped.run(VerifyContext(contracts_dir=contracts)) == remembered
    assert "http cached" in (fresh.summary() or "")
    stand_in = CheckFamily("http", "a test double", lambda context: [], needs_server=True)
    assert fresh.wrap([stand_in]) == [stand_in]


def test_open_cache_without_a_usable_interpreter_warns_and_remembers_nothing(tmp_path):
    warnings: list[str] = []
    context = VerifyContext(contracts_dir=tmp_path, python=shutil.which("false"))  # answers nothing
    cache = open_cache(context, ServerRequest(), directory=tmp_path / "store", warn=warnings.append)
    stand_in = CheckFamily("signatures", "a test double", lambda context: [])
    assert cache.wrap([stand_in]) == [stand_in] and not warnings  # nothing to key: nothing asked
    families = [CHECKS["signatures"]]
    assert cache.wrap(families) == families
    assert cache.store is None and len(warnings) == 1 and "not remembered" in warnings[0]


def test_report_equality_ignores_timings_but_not_findings():
    finding = {"check": "c", "rule": "R", "subject": "s", "outcome": "passed", "message": "m"}
    first = {"run": {"status": "passed", "duration_s": 9.0, "server": "a"}, "findings": [finding]}
    second = {"run": {"status": "passed", "duration_s": 1.0, "server": "b"}, "findings": [finding]}
    assert differences(first, second) == []
    changed = {**second, "findings": [{**finding, "outcome": "failed"}]}
    lines = differences(first, changed)
    assert len(lines) == 2 and "only in the first" in lines[0] and '"failed"' in lines[1]


# -- a real run ---------------------------------------------------------------------------------------


def verify(cwd: Path, store: Path, report: Path, *extra: str) -> subprocess.CompletedProcess:
    """``verify --only signatures,snippets`` in ``cwd``, results remembered in ``store``."""
    command = [str(CLI), "verify", "--only", "signatures,snippets", "--cache-dir", str(store)]
    command += ["--json", str(report), *extra]
    return subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, timeout=600, env={**os.environ, "NO_COLOR": "1"}
    )


def harness_files() -> str:
    """The digest of the harness's source files now (part of every key)."""
    return cache_keys.tree_digest(Path(cache_keys.__file__).resolve().parents[1])


@pytest.mark.server
def test_a_second_run_is_taken_from_the_cache_without_a_server(tmp_path):
    contracts_tree(tmp_path, {"probe.md": PAGE.format(title="Probe")})
    store = tmp_path / "store"
    harness = harness_files()
    cold = verify(tmp_path, store, tmp_path / "cold.json", "--no-cache")
    assert cold.returncode == 0, cold.stdout[-3000:] + cold.stderr[-3000:]
    assert "snippets: 0 pages cached, 1 run" in cold.stderr

    warm = verify(tmp_path, store, tmp_path / "warm.json")
    assert warm.returncode == 0, warm.stdout[-3000:] + warm.stderr[-3000:]
    if harness_files() != harness:  # every key covers the harness's code: an edit in between is a miss
        pytest.skip("the harness's source files changed while the test ran (a shared checkout)")
    assert "signatures cached; snippets: 1 page cached, 0 run" in warm.stderr
    first, second = (json.loads((tmp_path / n).read_text()) for n in ("cold.json", "warm.json"))
    assert differences(first, second) == []
    assert second["run"]["server"].startswith("no server needed")
    assert second["counts"]["by_check"]["snippets"]["passed"] >= 2

    # A corrupt entry: that unit runs again, with a warning and no traceback.
    for entry in store.glob("*.json"):
        if json.loads(entry.read_text())["family"] == "snippets":
            entry.write_text("{ truncated", encoding="utf-8")
    again = verify(tmp_path, store, tmp_path / "again.json")
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert "is unreadable" in again.stderr and "Traceback" not in again.stderr + again.stdout
    assert "snippets: 0 pages cached, 1 run" in again.stderr
    assert differences(first, json.loads((tmp_path / "again.json").read_text())) == []


def test_the_result_of_a_run_keeps_the_sdk_version_when_signatures_are_cached(tmp_path):
    cache = cache_for(tmp_path, tmp_path / "store")
    key = cache.key("signatures", "signatures", "")
    cache.put(key, [Finding("signatures", "SIG000", "x", "ok", outcome=Outcome.PASSED)], "9.9.9")
    fresh = cache_for(tmp_path, tmp_path / "store")
    wrapped = fresh.wrap([CHECKS["signatures"]])[0]
    result = RunResult(findings=list(wrapped.run(VerifyContext(contracts_dir=tmp_path))))
    fresh.finish(result)
    assert result.sdk_version == "9.9.9"
    assert cache_keys.key_of({"a": 1, "b": [2]}) == cache_keys.key_of({"b": [2], "a": 1})


def test_the_release_diff_key_ignores_a_page_but_not_the_accepted_breaks(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    contracts = contracts_tree(tmp_path, {"a.md": PAGE.format(title="A")})

    def diff_key() -> str | None:
        cache = ResultCache(ResultStore(tmp_path / "s"), dict(BASE), SERVER, contracts, "release:latest")
        return cache.key("diff", "diff", "")

    before = diff_key()
    assert before is not None
    (contracts / "docs" / "a.md").write_text(PAGE.format(title="A") + "\n", encoding="utf-8")
    assert diff_key() == before  # the diff runs the baseline's pages, not these
    (contracts / "accepted-breaks.yaml").write_text("accepted: []\n", encoding="utf-8")
    assert diff_key() != before
    unkeyable = ResultCache(ResultStore(tmp_path / "s"), dict(BASE), SERVER, contracts, sys.executable)
    assert unkeyable.key("diff", "diff", "") is None  # an interpreter as baseline: never remembered


def test_the_summary_lists_families_in_run_order_however_they_finish(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    contracts = contracts_tree(tmp_path, {"a.md": PAGE.format(title="A"), "b.md": PAGE.format(title="B")})
    cache = cache_for(contracts, tmp_path / "store")
    cache.wrap([CHECKS["signatures"], CHECKS["snippets"]])
    first, second = cache.unit_keys("snippets")
    cache.put(first, [Finding("snippets", "DOC000", "a.md", "ran", outcome=Outcome.PASSED)])
    cache.put(second, [Finding("snippets", "DOC000", "b.md", "ran", outcome=Outcome.PASSED)])
    assert cache.get(first) is not None
    cache.put(cache.key("signatures", "signatures", ""), [])
    assert cache.summary() == "result cache: signatures run; snippets: 1 page cached, 2 run"


def test_report_equality_exits_1_naming_the_differing_finding(tmp_path, capsys):
    finding = {"check": "snippets", "rule": "DOC001", "subject": "a.md::x::L3", "outcome": "failed"}
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    first.write_text(json.dumps({"run": {"exit_code": 1}, "findings": [finding]}), encoding="utf-8")
    second.write_text(json.dumps({"run": {"exit_code": 1}, "findings": [finding]}), encoding="utf-8")
    assert main([str(first), str(second)]) == 0
    second.write_text(json.dumps({"run": {"exit_code": 0}, "findings": []}), encoding="utf-8")
    assert main([str(first), str(second)]) == 1
    assert "a.md::x::L3" in capsys.readouterr().err
    assert main([str(first), str(tmp_path / "missing.json")]) == 3
