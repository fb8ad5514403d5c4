"""Ctrl-C and SIGTERM stop a run whole: the servers, the page worker stuck in a loop, the temp dirs.

``verify --only snippets`` runs on a contracts directory with one page that needs the basic-auth server
and then loops forever; ``verify`` starts its own MLflow server too. Once the page's worker runs, the
harness gets SIGINT (a Ctrl-C) or SIGTERM (``timeout``, ``kill``). It must exit within seconds, leave no
process carrying its run id (every child gets ``HOKUSAI_CONTRACTS_RUN_ID``) and no temporary directory.
"""

from __future__ import annotations

import os
import pwd
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from hokusai_contracts.base.processes import RUN_ID_ENV
from hokusai_contracts.servers.cache import CACHE_ENV

pytestmark = pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs /proc (Linux)")

LOOPING_PAGE = """\
# A page that never ends

```python server=basic-auth
print("looping")
while True:
    pass
```
"""
STARTUP_TIMEOUT_S = 180.0
EXIT_WITHIN_S = 5.0


def _environ(pid: int) -> dict[str, str]:
    try:
        raw = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:  # gone, or not ours
        return {}
    pairs = (item.split(b"=", 1) for item in raw.split(b"\0") if b"=" in item)
    return {key.decode(errors="replace"): value.decode(errors="replace") for key, value in pairs}


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return True


def _parent(pid: int) -> int | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    return next((int(line.split()[1]) for line in status.splitlines() if line.startswith("PPid:")), None)


def _runs_a_page(pid: int, cmdline: str) -> bool:
    """A page worker: started for the page, or forked for it by the fork server (same command line)."""
    if "execute.py" in cmdline:
        return True
    parent = _parent(pid)
    return "--forkserver" in cmdline and parent is not None and "--forkserver" in _cmdline(parent)


def processes_of(run_id: str, besides: int | None = None) -> dict[int, str]:
    """Live processes whose environment carries ``run_id``, by pid (their command lines)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == besides:
            continue
        pid = int(entry.name)
        if _environ(pid).get(RUN_ID_ENV) == run_id and not _zombie(pid):
            found[pid] = _cmdline(pid)
    return found


def _wait_for(condition, timeout: float, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return False


@pytest.fixture
def looping_run(tmp_path: Path):
    """A started ``verify`` that is running the looping page: (process, run id, its TMPDIR, output)."""
    contracts = tmp_path / "contracts"
    (contracts / "docs").mkdir(parents=True)
    (contracts / "api").mkdir()
    (contracts / "docs" / "loop.md").write_text(LOOPING_PAGE, encoding="utf-8")
    temp = tmp_path / "tmp"
    temp.mkdir()
    run_id = f"test-{uuid.uuid4().hex}"
    env = {**os.environ, RUN_ID_ENV: run_id, "TMPDIR": str(temp)}
    # The test's HOME is a fresh directory: keep the machine's cache of template DBs.
    env.setdefault(CACHE_ENV, str(Path(pwd.getpwuid(os.getuid()).pw_dir) / ".cache" / "hokusai-contracts"))
    output = tmp_path / "output.txt"
    command = [sys.executable, "-m", "hokusai_contracts.cli.app", "verify", "--only", "snippets"]
    command += ["--contracts", str(contracts), "--quiet"]
    with open(output, "wb") as out:
        # Its own session: the signal goes to the harness alone, as `kill PID` or `timeout` sends it.
        process = subprocess.Popen(
            command, cwd=tmp_path, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        worker_runs = _wait_for(
            lambda: (
                process.poll() is not None
                or any(_runs_a_page(pid, line) for pid, line in processes_of(run_id, process.pid).items())
            ),
            STARTUP_TIMEOUT_S,
        )
        if not worker_runs or process.poll() is not None:
            pytest.fail(f"the page never started:\n{output.read_text(errors='replace')[-3000:]}")
        time.sleep(1.0)  # the page is in its loop
        yield process, run_id, temp, output
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        for pid in processes_of(run_id):
            os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["sigint", "sigterm"])
def test_a_signal_stops_the_run_and_everything_it_started(looping_run, signum):
    process, run_id, temp, output = looping_run
    children = processes_of(run_id, process.pid)
    assert any("mlflow" in line and "server" in line for line in children.values()), children
    sent = time.monotonic()
    process.send_signal(signum)
    try:
        process.wait(EXIT_WITHIN_S)
    except subprocess.TimeoutExpired:
        pytest.fail(f"still running {EXIT_WITHIN_S:.0f} s after {signum.name}")
    took = time.monotonic() - sent
    assert process.returncode != 0, output.read_text(errors="replace")
    assert _wait_for(lambda: not processes_of(run_id), 2.0), processes_of(run_id)
    left = [p.name for p in temp.iterdir() if p.name.startswith("hokusai")]
    assert left == [], left
    assert "Traceback" not in output.read_text(errors="replace"), output.read_text(errors="replace")
    print(f"{signum.name}: exited in {took:.2f} s")
