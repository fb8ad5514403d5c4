"""The worker protocol (base/workers.py + base/worker_entry.py) and the server pool, without real servers.

Workers are real processes of this interpreter running small scripts written here; the pool's servers
are stand-ins that record being started and stopped.
"""

from __future__ import annotations

import sys
import textwrap
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from hokusai_contracts.base import processes
from hokusai_contracts.base.errors import InfrastructureError
from hokusai_contracts.base.worker_entry import EXIT_WRITE_FAILED
from hokusai_contracts.base.worker_entry import main as entry_main
from hokusai_contracts.base.workers import run_worker, write_json
from hokusai_contracts.servers.errors import ServerStartError
from hokusai_contracts.servers.pool import ServerPool
from hokusai_contracts.servers.server import BASIC_AUTH, MLFLOW, MlflowServer, Server


@dataclass(frozen=True)
class Ask:
    name: str
    count: int = 1


def _script(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "a_worker.py"
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


def test_a_request_dataclass_goes_in_and_the_answer_comes_back(tmp_path):
    script = _script(
        tmp_path,
        """\
        import sys

        def handle(request):
            print("a worker may print")
            print("and warn", file=sys.stderr)
            return {"hello": request["name"] * request["count"], "path0": sys.path[0]}
        """,
    )
    done = run_worker(script, Ask("ab", 2), what="the test worker", timeout=60)
    answer = done.answer()
    assert answer["hello"] == "abab"
    assert done.stdout == "a worker may print\n" and "and warn" in done.stderr
    # The launcher's own directory (base/, with errors.py...) never shadows the target's modules.
    assert not answer["path0"].endswith("base")


def test_a_generator_answers_line_by_line_and_a_timeout_keeps_the_lines_before(tmp_path):
    script = _script(
        tmp_path,
        """\
        import time

        def handle(request):
            yield {"n": 1}
            yield {"n": 2}
            time.sleep(60)
            yield {"n": 3}
        """,
    )
    started = time.monotonic()
    done = run_worker(script, {}, what="the test worker", timeout=3)
    assert time.monotonic() - started < 15
    assert done.timed_out and done.records == ({"n": 1}, {"n": 2})
    with pytest.raises(InfrastructureError, match="did not finish within 3 s"):
        done.answer()


def test_a_crash_is_an_infrastructure_error_with_the_stderr_tail(tmp_path):
    script = _script(
        tmp_path,
        """\
        def handle(request):
            raise RuntimeError("the worker broke here")
        """,
    )
    done = run_worker(script, {}, what="the test worker", timeout=60)
    assert done.returncode == 1 and not done.answered
    with pytest.raises(InfrastructureError, match=r"crashed \(exit status 1\)(.|\n)*the worker broke here"):
        done.answer()


def test_an_answer_that_is_not_json_is_an_infrastructure_error(tmp_path):
    script = _script(
        tmp_path,
        """\
        import os
        import sys

        def handle(request):
            with open(sys.argv[-1], "w") as handle:
                handle.write("{not json\\n")
            os._exit(0)
        """,
    )
    # The script writes garbage to its answer file itself and ends "successfully" before the launcher.
    with pytest.raises(InfrastructureError, match="not JSON"):
        run_worker(script, {}, what="the test worker", timeout=60)


def test_a_full_disk_is_said_so(tmp_path):
    full = Path("/dev/full")
    if not full.exists():
        pytest.skip("no /dev/full")
    with pytest.raises(InfrastructureError, match="disk full"):
        write_json(full, {"a": 1}, "the test worker")
    script = _script(tmp_path, "def handle(request):\n    return {'a': 1}\n")
    request = tmp_path / "request.json"
    request.write_text("{}")
    assert entry_main([str(script), str(request), str(full)]) == EXIT_WRITE_FAILED


def test_a_missing_interpreter_is_a_usage_error(tmp_path):
    from hokusai_contracts.base.errors import HarnessUsageError

    with pytest.raises(HarnessUsageError):
        run_worker(_script(tmp_path, ""), {}, what="x", python=str(tmp_path / "nope"), timeout=5)


def test_children_carry_the_run_id_and_start_in_their_own_group(tmp_path):
    script = _script(
        tmp_path,
        """\
        import os

        def handle(request):
            run = os.environ.get("HOKUSAI_CONTRACTS_RUN_ID")
            return {"run": run, "leader": os.getpgrp() == os.getpid()}
        """,
    )
    answer = run_worker(script, {}, what="the test worker", timeout=60, python=sys.executable).answer()
    assert answer == {"run": processes.run_id(), "leader": True}


# -- the server pool -----------------------------------------------------------------------------------


@dataclass
class FakeServer:
    url: str
    kind: str = MLFLOW
    version: str | None = None
    users: None = None
    stopped: list[str] = field(default_factory=list)

    def secrets(self) -> tuple[str, ...]:
        return (f"secret-of-{self.url}",)

    def log_tail(self, lines: int = 40) -> str:
        return ""

    def alive(self) -> bool:
        return not self.stopped

    def restart(self, timeout: float = 90.0) -> None:
        pass

    def stop(self, timeout: float = 10.0) -> None:
        self.stopped.append(self.url)


def test_the_pool_starts_each_kind_once_even_when_asked_at_once(tmp_path):
    starts: list[str] = []
    stops: list[str] = []

    def start(kind: str, workdir: Path) -> MlflowServer:
        starts.append(kind)
        time.sleep(0.2)  # slow enough for the threads below to ask at the same time
        return FakeServer(f"http://{kind}", kind=kind, stopped=stops)

    given = FakeServer("http://given", stopped=stops)
    pool = ServerPool({"gateway": given}, start_mlflow=start, workdir=tmp_path)
    assert isinstance(given, Server) and isinstance(given, MlflowServer)
    threads = [threading.Thread(target=pool.get, args=(BASIC_AUTH,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert pool.mlflow(MLFLOW).url == "http://mlflow"
    assert sorted(starts) == [BASIC_AUTH, MLFLOW] and pool.started(BASIC_AUTH)
    expected = {"secret-of-http://given", "secret-of-http://mlflow", "secret-of-http://basic-auth"}
    assert set(pool.secrets()) == expected
    pool.close()
    assert sorted(stops) == ["http://basic-auth", "http://mlflow"]  # side by side; given: never


def test_a_failed_start_is_remembered_and_named(tmp_path):
    calls: list[str] = []

    def start(kind: str, workdir: Path) -> MlflowServer:
        calls.append(kind)
        raise ServerStartError("port exhausted")

    with ServerPool(start_mlflow=start, workdir=tmp_path, purpose="the test") as pool:
        for _ in range(3):
            with pytest.raises(ServerStartError, match="could not start the basic-auth server for the test"):
                pool.get(BASIC_AUTH)
        with pytest.raises(InfrastructureError, match="no server kind 'nosuch'"):
            pool.get("nosuch")
    assert calls == [BASIC_AUTH]


def test_the_pool_removes_the_temp_dir_it_made(tmp_path):
    pool = ServerPool(start_mlflow=lambda kind, where: FakeServer(str(where)))
    workdir = Path(pool.mlflow().url).parent
    assert workdir.name.startswith(processes.TEMP_PREFIX)
    pool.close()
    assert not workdir.exists()
