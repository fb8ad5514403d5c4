"""Session mode of the worker protocol: one process answers several requests in order (base/workers.py).

Real worker processes of this interpreter run small scripts written here.
"""

from __future__ import annotations

import contextlib
import os
import textwrap
import time
from pathlib import Path

import pytest
from harness_support import REPO

from hokusai_contracts.base.errors import InfrastructureError
from hokusai_contracts.base.workers import WorkerSession, routed, run_worker
from hokusai_contracts.diff.sides import resolve_sides
from hokusai_contracts.release.run import compare_sides

COUNTER = """\
    import os
    import sys

    seen = []

    def handle(request):
        seen.append(request["name"])
        print("stray output on stdout")
        print("a warning", file=sys.stderr)
        return {"pid": os.getpid(), "seen": list(seen)}
    """

TOOLS = """\
    import os
    import subprocess
    import sys
    import time

    def handle(request):
        action = request["action"]
        if action == "items":
            return (i for i in range(3))
        if action == "raise":
            raise ValueError("broken on purpose")
        if action == "child":
            child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
            with open(request["pidfile"], "w") as handle:
                handle.write(str(child.pid))
            time.sleep(60)
        if action == "exit":
            os._exit(3)
        return {"pid": os.getpid()}
    """


def _script(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie child of ours has exited: /proc says so.
    status = Path(f"/proc/{pid}/status")
    return not (status.exists() and "zombie" in status.read_text())


def test_requests_to_several_scripts_are_answered_in_order_by_one_process(tmp_path):
    counter, tools = _script(tmp_path, "counter.py", COUNTER), _script(tmp_path, "tools.py", TOOLS)
    with WorkerSession(what="the test session") as session:
        first = session.ask(counter, {"name": "a"}, what="first", timeout=30).answer()
        second = session.ask(counter, {"name": "b"}, what="second", timeout=30)
        other = session.ask(tools, {"action": "pid"}, what="other", timeout=30).answer()
        items = session.ask(tools, {"action": "items"}, what="items", timeout=30)
    assert first["pid"] == second.answer()["pid"] == other["pid"] != os.getpid()
    assert second.answer()["seen"] == ["a", "b"]  # module state lives on between requests
    assert "stray output on stdout" in second.stderr and "a warning" in second.stderr
    assert items.records == (0, 1, 2)
    assert not _alive(first["pid"])


def test_a_failing_request_is_reported_and_the_session_goes_on(tmp_path):
    tools = _script(tmp_path, "tools.py", TOOLS)
    with WorkerSession(what="the test session") as session:
        failed = session.ask(tools, {"action": "raise"}, what="the failing request", timeout=30)
        assert failed.returncode == 1 and not failed.answered
        assert "ValueError: broken on purpose" in failed.stderr
        with pytest.raises(InfrastructureError, match=r"the failing request .* crashed"):
            failed.answer()
        assert session.ask(tools, {"action": "pid"}, what="next", timeout=30).answered


def test_a_timeout_stops_the_whole_group_and_ends_the_session(tmp_path):
    tools = _script(tmp_path, "tools.py", TOOLS)
    pidfile = tmp_path / "child.pid"
    with WorkerSession(what="the test session") as session:
        started = time.monotonic()
        run = session.ask(tools, {"action": "child", "pidfile": str(pidfile)}, what="slow", timeout=3)
        assert run.timed_out and time.monotonic() - started < 15
        with pytest.raises(InfrastructureError, match="did not finish within 3 s"):
            run.answer()
        with pytest.raises(InfrastructureError, match="stopped after slow did not finish"):
            session.ask(tools, {"action": "pid"}, what="after", timeout=30)
    assert not _alive(int(pidfile.read_text()))


def test_a_worker_that_exits_ends_the_session_with_its_status(tmp_path):
    tools = _script(tmp_path, "tools.py", TOOLS)
    with WorkerSession(what="the test session") as session:
        run = session.ask(tools, {"action": "exit"}, what="exiting", timeout=30)
        assert run.returncode == 3 and not run.answered
        with pytest.raises(InfrastructureError, match=r"ended \(exit status 3\)"):
            session.ask(tools, {"action": "pid"}, what="after", timeout=30)


def test_routed_run_worker_calls_go_to_the_session_others_run_one_shot(tmp_path):
    counter, tools = _script(tmp_path, "counter.py", COUNTER), _script(tmp_path, "tools.py", TOOLS)
    extra = tmp_path / "lib"
    extra.mkdir()
    session = WorkerSession(what="the test session", extra_paths=[extra], scripts=[counter])
    with routed(session):
        one = run_worker(counter, {"name": "x"}, what="routed", timeout=30, extra_paths=[extra]).answer()
        two = run_worker(counter, {"name": "y"}, what="routed", timeout=30, extra_paths=[extra]).answer()
        elsewhere = run_worker(counter, {"name": "z"}, what="other paths", timeout=30).answer()
        not_its_script = run_worker(tools, {"action": "pid"}, what="other", timeout=30, extra_paths=[extra])
    assert one["pid"] == two["pid"] and two["seen"] == ["x", "y"]
    assert elsewhere["pid"] != one["pid"] and elsewhere["seen"] == ["z"]
    assert not_its_script.answer()["pid"] != one["pid"]
    assert session.ended == "was closed" and not _alive(one["pid"])
    # After the block, the same call runs one-shot again.
    again = run_worker(counter, {"name": "w"}, what="one-shot", timeout=30, extra_paths=[extra]).answer()
    assert again["seen"] == ["w"]


# -- one worker per diff side -------------------------------------------------------------------------


def test_each_diff_side_is_introspected_probed_and_witnessed_by_one_worker():
    pair = REPO / "fixtures" / "breaking_changes" / "bc022-submodule-not-bound"
    with contextlib.ExitStack() as stack:
        old, new = resolve_sides(str(pair / "old"), str(pair / "new"), stack, package="corpkg")
        # The structure probe came first (before the introspection imported every submodule), then the
        # introspection: two requests so far, one process per side.
        assert old.worker.asked == new.worker.asked == 2
        pids = {old.worker.pid, new.worker.pid}
        judged, _ = compare_sides(old, new)
        assert old.worker.asked >= 3 and new.worker.asked >= 3
        assert {old.worker.pid, new.worker.pid} == pids and None not in pids
        assert old.worker.ended is None and new.worker.ended is None
    # Structure first: the submodule NEW no longer binds on `import corpkg` is still seen.
    assert "BC022" in {j.change.rule for j in judged}
    assert old.worker.ended == new.worker.ended == "was closed"
    assert not any(_alive(pid) for pid in pids)
