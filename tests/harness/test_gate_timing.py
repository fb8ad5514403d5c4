"""The gate's per-phase timing: phases nest (across worker threads too), the table and --profile JSON."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hokusai_contracts.base.errors import HarnessUsageError
from hokusai_contracts.base.timing import Timeline, carried, current, phase, recording
from hokusai_contracts.checks.http.fuzz import DEFAULT_BUDGET, BudgetMeter, FuzzBudget, parse_budget
from hokusai_contracts.cli.app import build_app
from hokusai_contracts.verify.timing import ordered, profile_json, table_lines

REPO = Path(__file__).resolve().parents[2]


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_phases_nest_and_carry_into_worker_threads():
    clock = Clock()
    timeline = Timeline(clock=clock)
    with recording(timeline):
        with phase("family: snippets"):
            clock.now += 1

            def page(name: str) -> str:
                with phase(f"page: {name}"):
                    return threading.current_thread().name

            with ThreadPoolExecutor(max_workers=2) as pool:
                threads = list(pool.map(carried(page), ["a.md", "b.md"]))
            clock.now += 2
        untimed = ThreadPoolExecutor(max_workers=1).submit(current).result()
    by_name = {p.name: p for p in timeline.phases}
    assert by_name["family: snippets"].start == 0.0 and by_name["family: snippets"].duration == 3.0
    assert by_name["page: a.md"].parent == by_name["page: b.md"].parent == "family: snippets"
    assert all(name != threading.current_thread().name for name in threads)
    # A thread whose function was not carried records nothing (no timeline there).
    assert untimed is None
    assert next((d, p.name) for d, p in ordered(timeline)) == (0, "family: snippets")


def test_outside_a_timed_run_phases_record_nothing():
    with phase("anything"):
        pass
    assert current() is None


def test_table_and_profile_list_every_phase_with_its_depth():
    clock = Clock()
    timeline = Timeline(clock=clock)
    with recording(timeline):
        with phase("server start: mlflow"):
            clock.now += 6.5
        with phase("family: auth"), phase("auth lane 1: 3 scenario(s)"):
            clock.now += 2.0
    lines = table_lines(timeline, total=8.5)
    assert lines[0].split() == ["phase", "start", "s", "took", "s"]
    assert lines[1].split() == ["server", "start:", "mlflow", "0.0", "6.5"]
    assert lines[3].startswith("  auth lane 1") and lines[3].split()[-1] == "2.0"
    assert lines[-1].split() == ["total", "0.0", "8.5"]
    document = json.loads(profile_json(timeline, total=8.5))
    assert document["total_s"] == 8.5
    lane = next(p for p in document["phases"] if p["name"].startswith("auth lane"))
    assert lane == {"name": "auth lane 1: 3 scenario(s)", "start": 6.5, "duration": 2.0,
                    "parent": "family: auth", "depth": 1}  # fmt: skip


def test_verify_prints_the_table_and_writes_the_profile(tmp_path):
    profile = tmp_path / "out" / "profile.json"
    result = CliRunner().invoke(
        build_app(),
        ["verify", "--contracts", str(REPO / "contracts"), "--only", "signatures", "--profile", str(profile)],
    )
    assert result.exit_code == 0, result.output
    assert "timing:" in result.output and "family: signatures" in result.output
    names = [p["name"] for p in json.loads(profile.read_text())["phases"]]
    assert names[0] == "family: signatures" and "report: files" in names


def test_quiet_verify_prints_no_table(tmp_path):
    result = CliRunner().invoke(
        build_app(), ["verify", "--contracts", str(REPO / "contracts"), "--only", "signatures", "-q"]
    )
    assert result.exit_code == 0, result.output
    assert "timing:" not in result.output


# -- the fuzz budget the gate states ---------------------------------------------------------------------


def test_the_fuzz_budget_parses_requests_and_seconds():
    assert parse_budget("200") == FuzzBudget(200, DEFAULT_BUDGET.seconds)
    assert parse_budget("2000:300") == FuzzBudget(2000, 300.0)
    assert FuzzBudget(200, 20).describe() == "200 requests / 20 s"
    for bad in ("", "x", "0", "10:0", "10:-1", "1:2:3"):
        with pytest.raises(HarnessUsageError, match="--http-budget"):
            parse_budget(bad)


def test_the_budget_is_spread_evenly_and_runs_out_by_requests_or_time():
    clock = Clock()
    meter = BudgetMeter(FuzzBudget(100, 20), units=30, clock=clock)
    assert meter.examples(cap=10) == 3 and meter.examples(cap=2) == 2
    assert BudgetMeter(FuzzBudget(10, 20), units=30, clock=clock).examples(cap=10) == 1
    assert meter.exhausted() is None
    meter.used = 100
    assert "100 requests was spent" in meter.exhausted()
    meter.used = 0
    clock.now += 20
    assert "20 s ran out" in meter.exhausted()


def test_verify_states_the_fuzz_budget(tmp_path):
    contracts = tmp_path / "contracts"
    (contracts / "api").mkdir(parents=True)
    result = CliRunner().invoke(
        build_app(), ["verify", "--contracts", str(contracts), "--only", "http", "--http-budget", "50:5"]
    )
    # No HTTP contracts here: skipped, no server started; the budget is stated all the same.
    assert result.exit_code == 0, result.output
    assert "http: fuzz budget 50 requests / 5 s" in result.output
