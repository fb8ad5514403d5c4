"""``hokusai-contracts gateway``: ``up`` runs until interrupted and shows the keys once; ``openapi``."""

from __future__ import annotations

import os
import re
import selectors
import signal
import subprocess
import sys
import time

import httpx
import pytest
from typer.testing import CliRunner

from hokusai_contracts.cli.app import app
from hokusai_contracts.gateway import openapi

KEY = re.compile(r"hk_test_[A-Za-z0-9_\-]{32}")


def _read_until(process: subprocess.Popen, marker: str, timeout: float) -> str:
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    seen = ""
    deadline = time.monotonic() + timeout
    while marker not in seen and time.monotonic() < deadline and process.poll() is None:
        if selector.select(timeout=0.2):
            # The raw descriptor: a buffered readline would keep lines select() no longer reports.
            seen += os.read(process.stdout.fileno(), 65536).decode(errors="replace")
    return seen


@pytest.mark.server
def test_up_prints_the_url_and_keys_once_and_stops_on_ctrl_c(mlflow_server, tmp_path):
    keys_file = tmp_path / "keys.db"
    command = [
        sys.executable,
        "-m",
        "hokusai_contracts.cli.app",
        "gateway",
        "up",
        "--upstream",
        mlflow_server.url,
    ]
    process = subprocess.Popen(
        [*command, "--keys-file", str(keys_file)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        output = _read_until(process, "Ctrl-C", timeout=60)
        assert "Press Ctrl-C to stop" in output, (
            process.stderr.read() if process.poll() is not None else output
        )
        url = re.search(r"gateway\s+(http://\S+)", output).group(1)
        read_row = next(
            line for line in output.splitlines() if re.search(r"\bread\b", line) and KEY.search(line)
        )
        read_key = KEY.search(read_row).group(0)
        assert "shown once" in output
        assert len(KEY.findall(output)) == 4
        with httpx.Client(base_url=url, timeout=30) as http:
            answer = http.post(
                "/api/mlflow/api/2.0/mlflow/experiments/search",
                json={"max_results": 1},
                headers={"Authorization": f"Bearer {read_key}"},
            )
        assert answer.status_code == 200, answer.text
        assert keys_file.exists()
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
        with pytest.raises(httpx.TransportError):
            httpx.get(f"{url}/health", timeout=2)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_openapi_check_passes_for_the_committed_document():
    result = CliRunner().invoke(app, ["gateway", "openapi", "--check"])
    assert result.exit_code == 0, result.output


def test_openapi_check_fails_for_a_stale_document_and_write_fixes_it(tmp_path):
    stale = tmp_path / "gateway.openapi.yaml"
    stale.write_text("openapi: 3.1.0\n")
    result = CliRunner().invoke(app, ["gateway", "openapi", "--check", "--output", str(stale)])
    assert result.exit_code == 1
    assert CliRunner().invoke(app, ["gateway", "openapi", "--output", str(stale)]).exit_code == 0
    assert openapi.is_current(stale)
