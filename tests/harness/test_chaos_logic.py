"""The fault run's pure parts: the fault schedule and the reconciliation of calls against the registry."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from hokusai_contracts.chaos.faults import FaultEvent
from hokusai_contracts.chaos.reconcile import Call, Registration, reconcile, recoveries
from hokusai_contracts.chaos.report import ChaosReport, markdown
from hokusai_contracts.chaos.schedule import (
    DROP_CONNECTIONS,
    FAULTS_BY_TOPOLOGY,
    HANG,
    KILL,
    RESTART_DATABASE,
    WARMUP_S,
    build_schedule,
)
from hokusai_contracts.cli import chaos as chaos_cli
from hokusai_contracts.cli.app import app


def call(key: str, ok: bool = True, op: str = "register", started: float = 0.0, **extra) -> Call:
    return Call(worker=0, seq=0, op=op, key=key, started=started, ended=started + 0.5, ok=ok, **extra)


# --- schedule ----------------------------------------------------------------------------------------


def test_ha_schedule_has_every_fault_in_order_after_the_warmup_and_before_the_last_fifth():
    faults = build_schedule("ha", 100.0)
    assert [f.kind for f in faults] == list(FAULTS_BY_TOPOLOGY["ha"])
    assert faults[0].at_s == WARMUP_S
    starts = [f.at_s for f in faults]
    assert starts == sorted(set(starts))
    assert faults[-1].at_s < 80.0


def test_one_instance_faults_alternate_instances_and_the_hang_outlasts_the_timeout():
    faults = {f.kind: f for f in build_schedule("ha", 60.0, hang_s=9.0)}
    assert faults[KILL].instance != faults[HANG].instance
    assert faults[HANG].hold_s == 9.0
    assert faults[KILL].hold_s == 0.0


def test_plain_schedule_has_no_database_or_balancer_fault_and_one_instance():
    faults = build_schedule("plain", 60.0, instances=1)
    kinds = {f.kind for f in faults}
    assert RESTART_DATABASE not in kinds and DROP_CONNECTIONS not in kinds
    assert {f.instance for f in faults} == {0}


@pytest.mark.parametrize(("topology", "duration"), [("k8s", 60.0), ("ha", 5.0)])
def test_bad_schedule_requests_are_value_errors(topology, duration):
    with pytest.raises(ValueError):
        build_schedule(topology, duration)


# --- reconciliation ------------------------------------------------------------------------------------


def test_acknowledged_registration_missing_from_the_registry_is_lost():
    result = reconcile([call("a"), call("b")], [Registration("m", "1", "a")])
    assert result.lost == ["b"]
    assert result.duplicated == {}
    assert result.registrations_acknowledged == 2


def test_a_key_on_two_versions_is_duplicated_even_when_the_call_failed():
    registry = [Registration("m", "1", "a"), Registration("m", "2", "a"), Registration("m", "3", "b")]
    result = reconcile([call("a"), call("b", ok=False, error="MLflowConnectionError")], registry)
    assert result.duplicated == {"a": 2}
    assert result.lost == []
    assert result.applied_despite_error == ["b"]


def test_a_failed_registration_that_is_absent_is_neither_lost_nor_applied():
    result = reconcile([call("a", ok=False, error="CircuitOpenError")], [Registration("m", "1", None)])
    assert result.lost == [] and result.applied_despite_error == [] and result.duplicated == {}


def test_availability_errors_and_undocumented_errors_are_counted():
    calls = [
        call("a"),
        call("r1", op="read"),
        call("r2", ok=False, op="read", error="MLflowConnectionError"),
        call("p", ok=False, op="predict", error="KeyError", documented=False),
    ]
    result = reconcile(calls, [Registration("m", "1", "a")])
    assert result.availability == pytest.approx(0.5)
    assert result.errors == {"MLflowConnectionError": 1, "KeyError": 1}
    assert result.undocumented_errors == {"KeyError": 1}
    assert result.by_operation["read"] == {"calls": 2, "succeeded": 1}


def test_no_calls_means_full_availability():
    assert reconcile([], []).availability == 1.0


def test_recovery_is_how_long_calls_failed_after_each_fault_until_the_next():
    events = [FaultEvent(KILL, 0, 110.0, 112.0), FaultEvent(HANG, 1, 130.0, 138.0)]
    calls = [
        call("x1", ok=False, started=111.0),  # ends 111.5
        call("x2", ok=False, started=115.0),  # ends 115.5
        call("x3", started=120.0),
        call("y1", ok=False, started=105.0),  # before any fault: counted nowhere
    ]
    first, second = recoveries(calls, events, start=100.0)
    assert (first.kind, first.at_s, first.action_s) == (KILL, 10.0, 2.0)
    assert first.recovery_s == pytest.approx(5.5)
    assert first.failed_calls == 2
    assert first.slowest_call_s == pytest.approx(0.5)
    assert second.recovery_s == 0.0 and second.failed_calls == 0


def test_report_json_has_the_top_level_figures_and_markdown_the_verdicts():
    result = reconcile([call("a"), call("b")], [Registration("m", "1", "a")])
    report = ChaosReport("ha", 60.0, 2, "3.17.2", "abc (hokusai/ as committed)", result)
    document = report.to_json()
    assert (document["lost"], document["duplicated"], document["availability"]) == (1, 0, 1.0)
    page = markdown(report, "plot.png")
    assert "| 0 acknowledged-but-lost registrations | **no** | 1 |" in page
    assert "![outcomes over time](plot.png)" in page


# --- the commands' option checks (no server is started) ------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "said"),
    [
        (["chaos", "--topology", "k8s"], "--topology 'k8s': expected one of ha, plain"),
        (["chaos", "--duration", "5"], "--duration 5: expected 20 to 1800 s"),
        (["chaos", "--workers", "0"], "--workers 0: expected 1 to 8"),
        (["mlflow", "up", "--topology", "k8s"], "--topology 'k8s': expected one of plain, ha"),
        (["chaos", "--instances", "0"], "--instances 0: expected 1 to 8, with --topology ha"),
        (["chaos", "--topology", "plain", "--instances", "3"], "--instances 3: expected 1 to 8"),
        (["mlflow", "up", "--instances", "3"], "--instances 3: expected 1 to 8, with --topology ha"),
        (["mlflow", "up", "--topology", "ha", "--instances", "9"], "--instances 9: expected 1 to 8"),
    ],
)
def test_bad_topology_or_bounds_are_usage_errors_before_anything_starts(arguments, said):
    result = CliRunner().invoke(app, arguments)
    assert result.exit_code == 3
    assert said in result.output


@pytest.mark.parametrize(("options", "code"), [([], 0), (["--strict"], 1)])
def test_strict_fails_a_run_that_missed_availability_though_nothing_was_lost(monkeypatch, options, code):
    # 1 call of 2 failed (50 % availability), the one acknowledged registration is in the registry.
    result = reconcile([call("a"), call("b", ok=False)], [Registration("m", "1", "a")])
    report = ChaosReport("ha", 30.0, 1, "3.17.2", "abc", result)
    monkeypatch.setattr(chaos_cli, "run_chaos", lambda chaos_options: report)
    outcome = CliRunner().invoke(app, ["chaos", "--duration", "30", *options])
    assert outcome.exit_code == code, outcome.output
    assert "NO  availability >= 99.9%: 50.000%" in outcome.output
