"""The fork server: preloaded modules, one forked process per request, as a one-shot worker would run."""

from __future__ import annotations

import os
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from hokusai_contracts.base.errors import InfrastructureError
from hokusai_contracts.base.forkserver import ForkServer, ForkServerUnavailable, routed, startup_differences
from hokusai_contracts.base.workers import run_worker

WORKER = """\
import os, sys, time

def handle(request):
    if request.get("sleep"):
        time.sleep(request["sleep"])
    if request.get("raise"):
        raise ValueError("asked to fail")
    print("out", request.get("n"))
    print("err", file=sys.stderr)
    return {
        "pid": os.getpid(),
        "cwd": os.getcwd(),
        "marker": os.environ.get("FORKSERVER_TEST_MARKER"),
        "preloaded": "email.mime.text" in sys.modules,
        "first_on_path": sys.path[0],
        "email_from": sys.modules["email"].__file__ if "email" in sys.modules else None,
    }
"""


@pytest.fixture
def worker(tmp_path: Path) -> Path:
    path = tmp_path / "worker.py"
    path.write_text(WORKER)
    return path


def test_each_request_is_a_process_of_its_own_with_the_modules_already_imported(
    worker: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("FORKSERVER_TEST_MARKER", "set-after-the-server-started")
    with ForkServer(sys.executable, preload=["email.mime.text", "no_such_module_here"]) as server:
        first = server.run(worker, {"n": 1}, what="a test worker", timeout=30, cwd=tmp_path)
        second = server.run(worker, {"n": 2}, what="a test worker", timeout=30)
    one_shot = run_worker(worker, {"n": 1}, what="a test worker", timeout=30, cwd=tmp_path)
    assert first.answered and second.answered and server.forked == 2
    assert first.answer()["pid"] != second.answer()["pid"] != os.getpid()
    assert first.answer()["preloaded"] and not one_shot.answer()["preloaded"]
    # The rest is what a one-shot worker gives: output, directory, the environment of now.
    assert (first.stdout, first.stderr, first.returncode) == (one_shot.stdout, one_shot.stderr, 0)
    assert first.answer()["cwd"] == one_shot.answer()["cwd"] == str(tmp_path)
    assert first.answer()["marker"] == "set-after-the-server-started"


def test_a_failing_or_overrunning_child_is_reported_and_the_server_goes_on(worker: Path):
    with ForkServer(sys.executable, preload=[]) as server:
        failed = server.run(worker, {"raise": True}, what="a test worker", timeout=30)
        started = time.monotonic()
        overran = server.run(worker, {"sleep": 60}, what="a test worker", timeout=1)
        elapsed = time.monotonic() - started
        after = server.run(worker, {"n": 3}, what="a test worker", timeout=30)
    assert failed.returncode == 1 and "ValueError: asked to fail" in failed.stderr and not failed.records
    assert overran.timed_out and overran.returncode == -9 and elapsed < 10
    assert after.answered and after.stdout == "out 3\n"


def test_close_stops_a_child_still_running(worker: Path):
    server = ForkServer(sys.executable, preload=[]).start()
    errors: list[BaseException] = []

    def run() -> None:
        try:
            server.run(worker, {"sleep": 60}, what="a test worker", timeout=120)
        except InfrastructureError as exc:
            errors.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while server.forked == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.forked == 1
    group = server.pid
    server.close()
    thread.join(15)
    assert not thread.is_alive() and "the fork server ended while it ran" in str(errors[0])
    # The server and its child: the whole group is gone (once init has reaped the orphaned child).
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        pytest.fail(f"process group {group} still has processes after close()")


def test_a_server_whose_imports_start_a_thread_refuses_and_run_worker_runs_one_shot(
    worker: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    (tmp_path / "threaded_module.py").write_text(
        textwrap.dedent(
            """\
            import threading, time
            threading.Thread(target=time.sleep, args=(30,), daemon=True).start()
            """
        )
    )
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    server = ForkServer(sys.executable, preload=["threaded_module"], scripts=[worker])
    with routed(server):
        with pytest.raises(ForkServerUnavailable, match="forking would be unsafe"):
            server.run(worker, {}, what="a test worker", timeout=30)
        answer = run_worker(worker, {"n": 4}, what="a test worker", timeout=30).answer()
    assert answer["pid"] != os.getpid() and server.forked == 0


def test_run_worker_uses_a_routed_server_for_its_scripts_on_the_same_python_path(
    worker: Path, tmp_path: Path
):
    other = tmp_path / "other.py"
    other.write_text(WORKER)
    server = ForkServer(sys.executable, preload=["email.mime.text"], scripts=[worker])
    marked = {**os.environ, "FORKSERVER_TEST_MARKER": "own"}
    with routed(server):
        routed_run = run_worker(worker, {}, what="w", timeout=30).answer()
        own_env = run_worker(worker, {}, what="w", timeout=30, env=marked).answer()
        merged = run_worker(worker, {"n": 5}, what="w", timeout=30, merge_output=True)
        not_listed = run_worker(other, {}, what="w", timeout=30).answer()
    assert routed_run["preloaded"] and own_env["preloaded"] and server.forked == 3
    assert own_env["marker"] == "own"
    assert merged.stdout == "out 5\nerr\n" and merged.stderr == ""
    assert not not_listed["preloaded"]


def test_extra_paths_go_first_on_a_forked_childs_path_unless_they_hold_a_module_the_server_imported(
    worker: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.delenv("PYTHONPATH", raising=False)
    sdk = tmp_path / "old-sdk"
    (sdk / "oldsdk").mkdir(parents=True)
    shadowing = tmp_path / "shadowing"
    (shadowing / "email").mkdir(parents=True)
    (shadowing / "email" / "__init__.py").write_text("")
    server = ForkServer(sys.executable, preload=["email.mime.text"], scripts=[worker])
    with routed(server):
        # OLD's SDK, say: a fresh interpreter would have it first on sys.path, and so has the child.
        extra = run_worker(worker, {}, what="w", timeout=30, extra_paths=[sdk]).answer()
        shadowed = run_worker(worker, {}, what="w", timeout=30, extra_paths=[shadowing]).answer()
    assert extra["preloaded"] and extra["first_on_path"] == str(sdk.resolve()) and server.forked == 1
    # A fresh interpreter would import that email package instead of the server's: not forked.
    assert not shadowed["preloaded"] and shadowed["first_on_path"] == str(shadowing.resolve())


EXITING_WORKER = """\
import atexit, sys, threading, time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

def handle(request):
    marker = Path(request["marker"])
    def late():
        time.sleep(0.5)
        marker.write_text("written by a worker thread after handle returned")
    ThreadPoolExecutor(max_workers=1).submit(late)
    threading.Thread(target=lambda: (time.sleep(0.3), print("plain thread done")), daemon=False).start()
    atexit.register(lambda: print("atexit ran, marker written:", marker.exists()))
    sys.stdout.write("buffered, no newline")
    return "answered"
"""


def test_a_forked_child_ends_as_a_fresh_process_would(tmp_path: Path):
    # The child skips the interpreter's teardown (os._exit) but not what a program can see of an exit:
    # its threads are joined (a pool's pending work included), atexit handlers run, buffers are flushed.
    worker = tmp_path / "exiting.py"
    worker.write_text(EXITING_WORKER)
    with ForkServer(sys.executable, preload=[]) as server:
        forked = server.run(worker, {"marker": str(tmp_path / "forked")}, what="w", timeout=30)
    fresh = run_worker(worker, {"marker": str(tmp_path / "fresh")}, what="w", timeout=30)
    assert forked.answer() == fresh.answer() == "answered"
    assert (
        (forked.stdout, forked.returncode)
        == (fresh.stdout, fresh.returncode)
        == (
            "buffered, no newlineplain thread done\natexit ran, marker written: True\n",
            0,
        )
    )


MAPS_WORKER = """\
import sys

def handle(request):
    utils = sys.modules["mlflow.utils.requirements_utils"]
    built = utils._MODULES_TO_PACKAGES is not None
    utils._init_packages_to_modules_map()
    return {"built_by_the_server": built, "fakemod": utils._MODULES_TO_PACKAGES.get("fakemod")}
"""


def test_mlflows_distribution_maps_come_built_unless_extra_paths_may_add_distributions(tmp_path: Path):
    pytest.importorskip("mlflow")
    worker = tmp_path / "maps.py"
    worker.write_text(MAPS_WORKER)
    wheel_tree = tmp_path / "unpacked-wheel"
    dist_info = wheel_tree / "fakedist-1.0.dist-info"
    dist_info.mkdir(parents=True)
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: fakedist\nVersion: 1.0\n")
    (dist_info / "top_level.txt").write_text("fakemod\n")
    server = ForkServer(sys.executable, preload=["mlflow.utils.requirements_utils"], scripts=[worker])
    with routed(server):
        plain = run_worker(worker, {}, what="w", timeout=60).answer()
        extra = run_worker(worker, {}, what="w", timeout=60, extra_paths=[wheel_tree]).answer()
    assert server.forked == 2
    assert plain == {"built_by_the_server": True, "fakemod": None}
    # A fresh interpreter with that tree on its path would map fakemod to fakedist: so does the child.
    assert extra == {"built_by_the_server": False, "fakemod": ["fakedist"]}


def test_start_up_variables_must_match_the_servers_except_a_hash_seed_left_to_chance():
    server = {"PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPATH": "/a", "HOME": "/h"}
    # What a fresh interpreter would do alike: a random seed (the server's is one), other PYTHONPATH
    # (compared entry by entry elsewhere), variables read later.
    assert (
        startup_differences(server, {"PYTHONDONTWRITEBYTECODE": "1", "PYTHONPATH": "/b", "HOME": "/x"}) == []
    )
    assert startup_differences(server, {**server, "PYTHONHASHSEED": "random"}) == []
    assert startup_differences(server, {**server, "PYTHONBREAKPOINT": "0"}) == []
    # What it would not: another fixed seed, warnings or bytecode settings the server never had.
    assert startup_differences(server, {**server, "PYTHONHASHSEED": "7", "PYTHONWARNINGS": "error"}) == [
        "PYTHONHASHSEED='7'",
        "PYTHONWARNINGS='error'",
    ]
    assert startup_differences(server, {"PYTHONHASHSEED": "0"}) == ["no PYTHONDONTWRITEBYTECODE"]
    assert startup_differences({}, {"PYTHONHASHSEED": "0"}) == ["PYTHONHASHSEED='0'"]


def test_a_request_for_another_hash_seed_runs_in_an_interpreter_of_its_own(worker: Path):
    server = ForkServer(sys.executable, preload=["email.mime.text"], scripts=[worker])
    with routed(server):
        seeded = run_worker(worker, {}, what="w", timeout=30, env={**os.environ, "PYTHONHASHSEED": "3"})
        unseeded = run_worker(worker, {}, what="w", timeout=30)
    assert not seeded.answer()["preloaded"] and unseeded.answer()["preloaded"] and server.forked == 1


READS_ENV = "import os\nSETTING = os.environ.get('FORKSERVER_TEST_SETTING')\n"
DERIVED_WORKER = """\
import sys

def handle(request):
    return {"base": "readsenv" in sys.modules, "derived": "xml.dom.minidom" in sys.modules}
"""


def _parent_of(pid: int) -> int:
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        return int(stat.read().rsplit(")", 1)[1].split()[1])


def test_a_server_is_a_fork_of_its_parent_unless_an_import_there_read_another_environment(tmp_path: Path):
    (tmp_path / "readsenv.py").write_text(READS_ENV)
    worker = tmp_path / "derived.py"
    worker.write_text(DERIVED_WORKER)
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "FORKSERVER_TEST_SETTING": "a"}
    with ForkServer(sys.executable, preload=["readsenv"], env=env) as base:
        preload = ["readsenv", "xml.dom.minidom"]
        forked = ForkServer(sys.executable, preload=preload, env={**env, "OTHER": "not read"}, parent=base)
        other = {**env, "FORKSERVER_TEST_SETTING": "b"}  # what readsenv read at import differs
        fresh = ForkServer(sys.executable, preload=preload, env=other, parent=base)
        with forked, fresh:
            answers = [s.run(worker, {}, what="w", timeout=60, env=env).answer() for s in (forked, fresh)]
            parents = [_parent_of(s.pid) for s in (forked, fresh)]
            assert forked.pid is not None and _parent_of(forked.pid) == base.pid
            # In its parent's directory (not the socket's, removed when it closes), as a process of its own.
            assert os.readlink(f"/proc/{forked.pid}/cwd") == os.readlink(f"/proc/{base.pid}/cwd")
    assert answers == [{"base": True, "derived": True}] * 2
    assert parents[0] == base.pid and parents[1] != base.pid
    assert forked.ended is not None and fresh.ended is not None
