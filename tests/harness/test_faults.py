"""Fault suite: servers killed or corrupted during a real ``verify`` run are exit 2, never a contract failure.

Every test runs the real CLI in a subprocess on loopback, with a small contracts directory in tmp_path,
and breaks one server on purpose: SIGKILL of its process group mid-run (found through the run id every
child of the run carries, ``HOKUSAI_CONTRACTS_RUN_ID``), or ``--mlflow URL`` at a tiny TCP server that
answers garbage, HTTP 500 or something that is not MLflow. Each must exit 2 with the cause, print no
traceback and report no DOC/AUTH/HTTP failure; a server killed once and restarted must pass with the
restart in the JSON and Markdown reports. Environment faults (read-only cache or HOME, a full temporary
disk) need a tmpfs mount: skipped with the reason when the platform does not allow one.
"""

from __future__ import annotations

import contextlib
import dataclasses
import http.server
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from hokusai_contracts.base.errors import InfrastructureError
from hokusai_contracts.base.processes import RUN_ID_ENV
from hokusai_contracts.cli import app as cli_app
from hokusai_contracts.findings import Finding, Location, Outcome, RunResult, ServerEvent
from hokusai_contracts.reports import github, json_report, junit, markdown, terminal
from hokusai_contracts.servers import cache, health

REPO = Path(__file__).resolve().parents[2]
CLI = Path(sys.executable).with_name("hokusai-contracts")
RUN_TIMEOUT_S = 420.0
CONTRACT_RULES = re.compile(r"^(DOC|AUTH|HTTP)\d+$")


# -- running verify ---------------------------------------------------------------------------------


def contracts_dir(tmp_path: Path, *parts: str) -> Path:
    """A contracts root in ``tmp_path`` with the API contract and copies of ``parts`` of the real one."""
    root = tmp_path / "contracts"
    shutil.copytree(REPO / "contracts" / "api", root / "api")
    for part in parts:
        source = REPO / "contracts" / part
        target = root / part
        target.parent.mkdir(parents=True, exist_ok=True)
        (shutil.copytree if source.is_dir() else shutil.copyfile)(source, target)
    return root


class Run:
    """A finished ``verify`` subprocess: exit code, output and its reports."""

    def __init__(self, returncode: int, output: str, reports: Path):
        self.returncode = returncode
        self.output = output
        self.reports = reports

    @property
    def report(self) -> dict:
        """The JSON report."""
        return json.loads((self.reports / "run.json").read_text())

    @property
    def markdown(self) -> str:
        """The Markdown report."""
        return (self.reports / "run.md").read_text()

    def contract_failures(self) -> list[dict]:
        """Findings that blame a contract (DOC/AUTH/HTTP failures)."""
        return [
            f for f in self.report["findings"] if f["outcome"] == "failed" and CONTRACT_RULES.match(f["rule"])
        ]

    def infrastructure(self) -> list[dict]:
        """The infrastructure error findings."""
        return [f for f in self.report["findings"] if f["rule"] == "infrastructure"]


def start_verify(
    contracts: Path, family: str, *extra: str, env: dict[str, str] | None = None
) -> tuple[subprocess.Popen, str, Path]:
    """``verify --only family`` started in its own process group; (process, run id, reports dir)."""
    run_id = f"faults-{uuid.uuid4().hex[:12]}"
    reports = contracts.parent / "reports"
    reports.mkdir(exist_ok=True)
    environment = {**os.environ, **(env or {}), RUN_ID_ENV: run_id, "NO_COLOR": "1"}
    command = [str(CLI), "verify", "--contracts", str(contracts), "--only", family, "-q"]
    command += ["--json", str(reports / "run.json"), "--markdown", str(reports / "run.md"), *extra]
    process = subprocess.Popen(
        command,
        cwd=contracts.parent,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    return process, run_id, reports


def finish(process: subprocess.Popen, reports: Path, timeout: float = RUN_TIMEOUT_S) -> Run:
    """Wait for ``process`` (killed whole past ``timeout``)."""
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        pytest.fail(f"verify did not finish within {timeout:.0f} s:\n{output[-4000:]}")
    return Run(process.returncode, output, reports)


def verify(contracts: Path, family: str, *extra: str, env: dict[str, str] | None = None) -> Run:
    """Run ``verify --only family`` to the end."""
    process, _, reports = start_verify(contracts, family, *extra, env=env)
    return finish(process, reports)


def assert_infrastructure_exit(run: Run, *phrases: str) -> None:
    """Exit 2, the phrases in the output, no traceback, no contract failure in the JSON report."""
    assert run.returncode == 2, run.output[-4000:]
    assert "Traceback" not in run.output, run.output[-4000:]
    for phrase in phrases:
        assert phrase in run.output, (phrase, run.output[-4000:])
    assert run.contract_failures() == [], run.contract_failures()
    assert run.infrastructure(), run.report["findings"]


# -- the run's processes ----------------------------------------------------------------------------


def command_line(pid: int) -> str:
    """``pid``'s command line; for an MLflow server forked by the run's launcher, the command it stands for.

    A forked server keeps its launcher's command line; the launch request in its working directory (the
    server's workdir) holds the ``mlflow server`` arguments.
    """
    words = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
    if "--forkserver" in words:
        request = Path(os.readlink(f"/proc/{pid}/cwd")) / "forked-request.json"
        try:
            launched = json.loads(request.read_text())
            words = [words[0], "-m", launched["module"], *launched["argv"]]
        except (OSError, ValueError, KeyError):  # a fork server (or a child running a worker script)
            words = words[: words.index("--forkserver") + 1]  # its preload list names modules it does not run
    return " ".join(words)


def run_processes(run_id: str) -> list[tuple[int, str]]:
    """(pid, command line) of every live process carrying ``run_id``."""
    marker = f"{RUN_ID_ENV}={run_id}".encode()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            environ = Path(f"/proc/{entry}/environ").read_bytes().split(b"\0")
            cmdline = command_line(int(entry))
        except OSError:
            continue
        if marker in environ:
            found.append((int(entry), cmdline))
    return found


def server_pid(run_id: str, wanted: Callable[[str], bool]) -> int | None:
    """The pid of the group leader among the run's processes whose command line is ``wanted``."""
    for pid, cmdline in run_processes(run_id):
        with contextlib.suppress(OSError):
            if wanted(cmdline) and os.getpgid(pid) == pid:
                return pid
    return None


def port_of(pid: int) -> int:
    """The ``--port`` of an MLflow server process."""
    words = command_line(pid).split()
    return int(words[words.index("--port") + 1])


def answers_health(url: str) -> bool:
    """True when ``url``/health answers 200."""
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
            return response.status == 200
    except Exception:
        return False


def wait_for(condition: Callable[[], object], timeout: float, process: subprocess.Popen) -> object:
    """Poll ``condition`` until truthy; None when ``process`` ended or ``timeout`` passed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    return None


def kill_group(pid: int) -> None:
    """SIGKILL the process group of ``pid`` and wait until its leader is gone."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        status = Path(f"/proc/{pid}/status").read_text() if Path(f"/proc/{pid}/status").exists() else ""
        if "zombie" in status:
            break
        time.sleep(0.05)


def is_mlflow(cmdline: str) -> bool:
    return " -m mlflow server " in cmdline


def is_basic_auth(cmdline: str) -> bool:
    return is_mlflow(cmdline) and "--app-name basic-auth" in cmdline


def is_plain_mlflow(cmdline: str) -> bool:
    return is_mlflow(cmdline) and "--app-name" not in cmdline


def is_gateway(cmdline: str) -> bool:
    return "hokusai_contracts.gateway.serve" in cmdline


class Killer(threading.Thread):
    """Kills the run's server that ``wanted`` selects once ``ready`` (file or health) says so."""

    def __init__(
        self,
        process: subprocess.Popen,
        run_id: str,
        wanted: Callable[[str], bool],
        *,
        ready: Path | None = None,
        killed: Path | None = None,
        delay: float = 0.0,
        settle: float = 2.0,
    ):
        super().__init__(daemon=True)
        self.process, self.run_id, self.wanted = process, run_id, wanted
        self.ready, self.killed, self.delay, self.settle = ready, killed, delay, settle
        self.victim: int | None = None

    def run(self) -> None:
        pid = wait_for(lambda: server_pid(self.run_id, self.wanted), 300, self.process)
        if not pid:
            return
        if self.ready is not None:
            wait_for(self.ready.exists, 300, self.process)
        else:
            if is_mlflow(command_line(pid)):
                url = f"http://127.0.0.1:{port_of(pid)}"
                wait_for(lambda: answers_health(url), 300, self.process)
            else:
                time.sleep(self.settle)
        time.sleep(self.delay)
        if self.process.poll() is not None:
            return
        kill_group(pid)
        self.victim = pid
        if self.killed is not None:
            self.killed.touch()


def page(tmp_path: Path, server: str) -> tuple[Path, Path, Path]:
    """A contracts dir with one page of two ``server=`` blocks; the first writes its pid to ``ready``, the
    second waits for ``killed`` (the killer's mark) and then asks the server. (contracts, ready, killed)"""
    contracts = contracts_dir(tmp_path)
    ready, killed = tmp_path / "ready", tmp_path / "killed"
    docs = contracts / "docs"
    docs.mkdir()
    (docs / "page.md").write_text(
        f"""---
executable_blocks: 2
---
# A page whose server dies

```python server={server}
import os
from pathlib import Path

import mlflow

mlflow.search_experiments()
Path("{ready}").write_text(str(os.getpid()))
```

```python server={server}
import os
import time
from pathlib import Path

import mlflow

os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] = "0"
deadline = time.monotonic() + 60
while not Path("{killed}").exists() and time.monotonic() < deadline:
    time.sleep(0.1)
print(len(mlflow.search_experiments()) >= 1)
#> True
```
"""
    )
    return contracts, ready, killed


# -- servers killed mid-run -------------------------------------------------------------------------


def test_snippets_basic_auth_server_killed_mid_run_is_exit_2(tmp_path):
    contracts, ready, killed = page(tmp_path, "basic-auth")
    process, run_id, reports = start_verify(contracts, "snippets")
    killer = Killer(process, run_id, is_basic_auth, ready=ready, killed=killed)
    killer.start()
    run = finish(process, reports)
    killer.join(5)
    assert killer.victim, run.output[-4000:]
    assert_infrastructure_exit(run, "no longer running", "Log tail")
    assert any("page.md" in (f["location"] or {}).get("file", "") for f in run.infrastructure())


def test_snippets_mlflow_server_killed_once_is_restarted_and_listed(tmp_path):
    contracts, ready, killed = page(tmp_path, "mlflow")
    process, run_id, reports = start_verify(contracts, "snippets")
    killer = Killer(process, run_id, is_plain_mlflow, ready=ready, killed=killed)
    killer.start()
    run = finish(process, reports)
    killer.join(5)
    assert killer.victim, run.output[-4000:]
    assert run.returncode == 0, run.output[-4000:]
    assert "Traceback" not in run.output
    events = run.report["server_events"]
    assert [e["event"] for e in events] == ["restarted"], events
    assert "mlflow server http://127.0.0.1:" in events[0]["server"]
    assert "snippets" in events[0]["reason"]
    assert "### Server events (1)" in run.markdown
    assert "restarted mlflow server" in run.markdown
    assert "restarted mlflow server" in run.output  # the terminal line


def test_auth_basic_auth_server_killed_mid_run_is_exit_2(tmp_path):
    contracts = contracts_dir(tmp_path, "auth/basic-auth.yaml")
    process, run_id, reports = start_verify(contracts, "auth")
    killer = Killer(process, run_id, is_basic_auth, delay=1.0)  # mid-start or mid-run: exit 2 both ways
    killer.start()
    run = finish(process, reports)
    killer.join(5)
    assert killer.victim, run.output[-4000:]
    assert_infrastructure_exit(run, "basic-auth")


def test_auth_gateway_killed_mid_run_is_exit_2(tmp_path):
    contracts = contracts_dir(tmp_path, "auth/api-keys.yaml")
    process, run_id, reports = start_verify(contracts, "auth")
    # At once: its scenarios take about 2 s once it answers, so a later kill may find them done.
    killer = Killer(process, run_id, is_gateway, settle=0.0)
    killer.start()
    run = finish(process, reports)
    killer.join(5)
    assert killer.victim, run.output[-4000:]
    assert_infrastructure_exit(run, "gateway")


def test_http_fuzzed_mlflow_killed_mid_run_is_exit_2(tmp_path):
    contracts = contracts_dir(tmp_path, "http")
    process, run_id, reports = start_verify(contracts, "http")
    # The throwaway server that fuzzing writes to lives in the run's fuzz pool directory (<run>/fuzz/).
    killer = Killer(process, run_id, lambda c: is_plain_mlflow(c) and "/fuzz/" in c, delay=1.0)
    killer.start()
    run = finish(process, reports)
    killer.join(5)
    assert killer.victim, run.output[-4000:]
    assert_infrastructure_exit(run)


# -- --mlflow URL at something that is not a usable MLflow -----------------------------------------


def http_answer(status: str, body: bytes) -> bytes:
    """A whole HTTP/1.1 answer with ``status`` and ``body``."""
    head = f"HTTP/1.1 {status}\r\nContent-Type: text/html\r\nContent-Length: {len(body)}\r\n"
    return head.encode() + b"Connection: close\r\n\r\n" + body


ANSWERS = {
    "garbage": b"\x00\xffGARBAGE-NOT-HTTP\r\n\r\n",
    "http-500": http_answer("500 Internal Server Error", b"oops!"),
    "not-mlflow": http_answer("200 OK", b"OK"),  # /health as MLflow's, but the API answers "OK" too
    "web-page": http_answer("200 OK", b"<html>a web server</html>"),
}


@contextlib.contextmanager
def fake_server(answer: bytes) -> Iterator[int]:
    """A loopback TCP server answering ``answer`` to every connection; yields its port."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(32)
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except OSError:
                continue
            with connection:
                connection.settimeout(2)
                with contextlib.suppress(OSError):
                    connection.recv(65536)
                    connection.sendall(answer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(5)
        listener.close()


@pytest.mark.parametrize("kind", sorted(ANSWERS))
def test_mlflow_url_that_is_not_mlflow_is_exit_2_with_what_it_answered(tmp_path, kind):
    contracts = contracts_dir(tmp_path, "docs/quickstart.md")
    with fake_server(ANSWERS[kind]) as port:
        run = verify(contracts, "snippets", "--mlflow", f"http://127.0.0.1:{port}")
    assert_infrastructure_exit(run, f"http://127.0.0.1:{port}", "not a usable MLflow server", "fix:")
    shown = {"garbage": "GARBAGE-NOT-HTTP", "http-500": "HTTP 500", "not-mlflow": "MLflow JSON"}
    assert shown.get(kind, "200 'OK'") in run.output


@pytest.mark.parametrize("family,part", [("auth", "auth/basic-auth.yaml"), ("http", "http")])
def test_garbage_mlflow_url_is_exit_2_in_every_family(tmp_path, family, part):
    contracts = contracts_dir(tmp_path, part)
    with fake_server(ANSWERS["garbage"]) as port:
        run = verify(contracts, family, "--mlflow", f"http://127.0.0.1:{port}")
    assert_infrastructure_exit(run, "GARBAGE-NOT-HTTP")


def test_tls_mismatch_and_refused_port_are_exit_2(tmp_path):
    contracts = contracts_dir(tmp_path, "docs/quickstart.md")
    with fake_server(ANSWERS["http-500"]) as port:  # https:// to a plain server: the TLS handshake fails
        run = verify(contracts, "snippets", "--mlflow", f"https://127.0.0.1:{port}")
    assert_infrastructure_exit(run, "does not answer /health", ssl.SSLError.__name__)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    run = verify(contracts, "snippets", "--mlflow", f"http://127.0.0.1:{closed}")
    assert_infrastructure_exit(run, "does not answer /health", "ConnectionRefusedError")


# -- environment faults -----------------------------------------------------------------------------


@contextlib.contextmanager
def tmpfs(path: Path, options: str) -> Iterator[Path]:
    """A tmpfs mounted at ``path`` with ``options`` (skip when mounting is not allowed here)."""
    path.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (root and mount(8) needed): {mounted.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


def test_unwritable_cache_variable_is_exit_2_naming_it(tmp_path):
    contracts = contracts_dir(tmp_path, "docs/quickstart.md")
    with tmpfs(tmp_path / "ro", "ro,size=64k") as readonly:
        run = verify(contracts, "snippets", env={"HOKUSAI_CONTRACTS_CACHE": str(readonly / "cache")})
    assert_infrastructure_exit(run, "HOKUSAI_CONTRACTS_CACHE")


def test_read_only_home_falls_back_to_a_temporary_cache_with_a_warning(tmp_path):
    with tmpfs(tmp_path / "home", "ro,size=64k") as home:
        env = {k: v for k, v in os.environ.items() if k not in ("HOKUSAI_CONTRACTS_CACHE", "XDG_CACHE_HOME")}
        done = subprocess.run(
            [str(CLI), "mlflow", "status"],
            env={**env, "HOME": str(home)},
            capture_output=True,
            text=True,
            timeout=120,
        )
    output = done.stdout + done.stderr
    assert "Traceback" not in output, output
    assert done.returncode == 0, output
    assert "is not writable" in output and "XDG_CACHE_HOME" in output, output


def test_full_temporary_disk_is_exit_2_disk_full(tmp_path):
    contracts = contracts_dir(tmp_path, "docs/quickstart.md")
    with tmpfs(tmp_path / "tiny", "size=256k") as tiny:
        # Nearly full: Python's own probe of TMPDIR still succeeds, the server's database does not fit.
        filler = tiny / "filler"
        with contextlib.suppress(OSError), open(filler, "wb") as handle:
            handle.write(b"\0" * (256 * 1024 - 16 * 1024))
        run = verify(contracts, "snippets", env={"TMPDIR": str(tiny)})
    assert_infrastructure_exit(run, "disk full: ", str(tiny))


# -- the top-level guard ----------------------------------------------------------------------------


def test_an_unexpected_exception_is_exit_2_with_the_traceback_in_a_file(monkeypatch, capsys, tmp_path):
    def crash() -> None:
        raise ValueError("boom in the harness")

    monkeypatch.setattr(cli_app, "app", crash)
    monkeypatch.setattr(cli_app, "install_signal_handlers", lambda: None)
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr("tempfile.tempdir", None)
    with pytest.raises(SystemExit) as exited:
        cli_app.main()
    assert exited.value.code == 2
    printed = capsys.readouterr()
    text = printed.out + printed.err
    assert "this is a bug in the harness" in text and "ValueError: boom in the harness" in text
    assert "Traceback" not in text
    [report] = tmp_path.glob("hokusai-contracts-crash-*.txt")
    assert "Traceback" in report.read_text() and "boom in the harness" in report.read_text()


def test_a_full_disk_anywhere_in_the_chain_is_exit_2_disk_full(monkeypatch, capsys):
    def crash() -> None:
        try:
            raise OSError(28, "No space left on device", "/full/place")
        except OSError as exc:
            raise RuntimeError("while writing") from exc

    monkeypatch.setattr(cli_app, "app", crash)
    monkeypatch.setattr(cli_app, "install_signal_handlers", lambda: None)
    with pytest.raises(SystemExit) as exited:
        cli_app.main()
    assert exited.value.code == 2
    printed = capsys.readouterr()
    assert "disk full: /full/place" in printed.out + printed.err


# -- the pieces, in process -------------------------------------------------------------------------


class _MlflowLike(http.server.BaseHTTPRequestHandler):
    """Answers /health and experiments/get-by-name as MLflow does."""

    def do_GET(self) -> None:
        if self.path == "/health":
            body, kind = b"OK", "text/plain"
        else:
            body, kind = (
                json.dumps({"experiment": {"experiment_id": "0", "name": "Default"}}).encode(),
                "json",
            )
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@contextlib.contextmanager
def mlflow_like() -> Iterator[str]:
    """A loopback server answering the health check as MLflow; yields its URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _MlflowLike)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@dataclasses.dataclass
class StandIn:
    """A server that is only a URL, a liveness flag and a log."""

    url: str
    running: bool = True
    kind: str = "basic-auth"
    version: str | None = None
    users: None = None

    def secrets(self) -> tuple[str, ...]:
        return ("s3cr3t-pass",)

    def log_tail(self, lines: int = 40) -> str:
        return "last words of the server: password s3cr3t-pass"

    def alive(self) -> bool:
        return self.running

    def stop(self, timeout: float = 10.0) -> None:
        self.running = False


def _doc_failure() -> Finding:
    return Finding(
        "snippets", "DOC001", "page.md::H::L3", "connection refused", location=Location("page.md", 3)
    )


def test_the_health_check_accepts_mlflow_and_names_what_anything_else_answered():
    with mlflow_like() as url:
        assert health.mlflow_problem(url) is None
    for kind, expected in (("garbage", "not HTTP"), ("http-500", "HTTP 500"), ("not-mlflow", "MLflow JSON")):
        with fake_server(ANSWERS[kind]) as port:
            problem = health.mlflow_problem(f"http://127.0.0.1:{port}")
        assert problem is not None and expected in problem, (kind, problem)


def test_failures_on_a_dead_or_unhealthy_server_become_infrastructure_errors_with_its_log():
    passed = Finding("snippets", "DOC000", "page.md::H::L1", "ran", outcome=Outcome.PASSED)
    with mlflow_like() as url:
        healthy = StandIn(url)
        assert health.blame_infrastructure([_doc_failure(), passed], [healthy]) == [_doc_failure(), passed]
        dead = StandIn(url, running=False)
        blamed, kept = health.blame_infrastructure([_doc_failure(), passed], [dead])
    assert kept == passed
    assert (blamed.rule, blamed.outcome, blamed.location) == (
        "infrastructure",
        Outcome.ERROR,
        Location("page.md", 3),
    )
    assert "no longer running" in blamed.message and "last words of the server" in blamed.message
    assert "s3cr3t-pass" not in blamed.message  # the log tail is masked
    assert "DOC001" in (blamed.details or "") and "connection refused" in (blamed.details or "")
    with fake_server(ANSWERS["http-500"]) as port:
        [answered_500] = health.blame_infrastructure([_doc_failure()], [StandIn(f"http://127.0.0.1:{port}")])
    assert answered_500.rule == "infrastructure" and "HTTP 500" in answered_500.message


def test_every_report_lists_the_server_events():
    event = ServerEvent("restarted", "mlflow server http://127.0.0.1:5000", "it died during 'snippets'", "T0")
    result = RunResult(findings=[_doc_failure()], server_events=[event])
    document = json_report.to_dict(result)
    assert document["server_events"] == [dataclasses.asdict(event)]
    assert json_report.from_dict(document).server_events == [event]
    assert "### Server events (1)" in markdown.render(result)
    assert "restarted mlflow server http://127.0.0.1:5000" in markdown.render(result)
    assert "::warning title=server restarted::restarted mlflow server" in github.render(result)
    assert "restarted mlflow server" in terminal.render(result, width=200)
    junit_xml = junit.render(result)
    assert 'name="server events"' in junit_xml and "<system-out>restarted mlflow server" in junit_xml
    assert 'name="server_events"' in junit_xml


def test_an_unusable_cache_directory_is_named_or_replaced_with_a_warning(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    with pytest.raises(InfrastructureError, match="HOKUSAI_CONTRACTS_CACHE"):
        cache.cache_root({"HOKUSAI_CONTRACTS_CACHE": str(blocker / "cache")})
    fallback = cache.cache_root({"XDG_CACHE_HOME": str(blocker / "xdg")})
    assert fallback.is_dir() and str(blocker) not in str(fallback)
    assert "XDG_CACHE_HOME" in capsys.readouterr().err
    assert (
        cache.cache_root({"XDG_CACHE_HOME": str(tmp_path / "xdg")}) == tmp_path / "xdg" / "hokusai-contracts"
    )


def test_snippets_worker_killed_mid_page_is_exit_2(tmp_path):
    # The harness's own worker (the page runs in it, in the target interpreter) dies mid-page: that is
    # infrastructure, never a documentation failure.
    contracts, ready, killed = page(tmp_path, "mlflow")
    process, _, reports = start_verify(contracts, "snippets")
    victim: list[int] = []

    def kill_the_pages_worker() -> None:
        # The process group the page runs in: its fork server's (or its own worker's), whatever else runs.
        if wait_for(lambda: ready.exists() and ready.read_text().strip(), 300, process):
            group = os.getpgid(int(ready.read_text()))
            kill_group(group)
            victim.append(group)
            killed.touch()

    killer = threading.Thread(target=kill_the_pages_worker, daemon=True)
    killer.start()
    run = finish(process, reports)
    killer.join(5)
    assert victim, run.output[-4000:]
    assert_infrastructure_exit(run)
