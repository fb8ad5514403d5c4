"""``mlflow up|status|down`` records: an ha topology's record names its foreground process (pure parts)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hokusai_contracts.base.errors import HarnessUsageError
from hokusai_contracts.servers import state
from hokusai_contracts.servers.ha import HaServerSecrets
from hokusai_contracts.servers.providers import ServerRequest, choose_provider


def test_a_record_written_before_ha_support_still_loads(tmp_path: Path):
    path = tmp_path / state.STATE_NAME
    path.write_text(
        json.dumps(
            [
                {
                    "url": "http://127.0.0.1:5000",
                    "provider": "process",
                    "mlflow_version": "3.1.0",
                    "workdir": "/w",
                    "pid": 123,
                }
            ]
        )
    )
    (record,) = state.load(path)
    assert record.owner_pid is None and record.instances is None
    assert record.description == "process"


def test_ha_records_say_their_instances_and_discard_drops_only_their_url(tmp_path: Path):
    path = tmp_path / state.STATE_NAME
    ha = state.ServerRecord("http://127.0.0.1:7000", "ha", "3.1.0", "/w", owner_pid=1, instances=3)
    plain = state.ServerRecord("http://127.0.0.1:5000", "process", "3.1.0", "/p", pid=2)
    state.save(path, [ha, plain])
    assert ha.description == "ha (3 instances)"
    assert state.ServerRecord("u", "ha", None, "", instances=1).description == "ha (1 instance)"
    state.discard(path, ha.url)
    assert state.load(path) == [plain]
    state.discard(path, ha.url)  # nothing left to drop: no error
    assert state.load(path) == [plain]


def test_down_of_an_ha_record_stops_its_owner_process_with_sigterm():
    # A stand-in owner: a hokusai process (its command line says so) that exits on SIGTERM.
    owner = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)  # hokusai"])
    try:
        record = state.ServerRecord("http://127.0.0.1:7000", "ha", None, "", owner_pid=owner.pid, instances=2)
        deadline = time.monotonic() + 10
        while not state.owner_alive(owner.pid):  # until the child has exec'd (its own command line)
            assert time.monotonic() < deadline
            time.sleep(0.05)
        said = state.stop(record, owner_wait_s=10)
        assert owner.wait(5) != 0
        assert "stopped by its `mlflow up` process" in said
        assert "already gone" in state.stop(record)
    finally:
        owner.kill()
        owner.wait()


def test_a_reused_process_id_is_not_taken_for_the_owner():
    assert not state.owner_alive(os.getpid()) or "hokusai" in " ".join(sys.argv)
    other = subprocess.Popen(["sleep", "30"])
    try:
        assert not state.owner_alive(other.pid)
        record = state.ServerRecord("http://127.0.0.1:7000", "ha", None, "", owner_pid=other.pid)
        assert "already gone" in state.stop(record)
        assert other.poll() is None  # not signalled
    finally:
        other.kill()
        other.wait()


def test_the_ha_request_carries_its_instance_count_and_bounds_it():
    request = ServerRequest("ha", instances=3).validated()
    assert "3 MLflow processes" in choose_provider(request, lambda image: None).reason
    with pytest.raises(HarnessUsageError, match="--instances 0: expected 1 to 8"):
        ServerRequest("ha", instances=0).validated()


def test_instances_other_than_the_default_need_the_ha_provider():
    with pytest.raises(HarnessUsageError, match="--instances 3: only with --mlflow ha"):
        ServerRequest("process", instances=3).validated()


def test_the_startup_mask_hides_secrets_and_ignores_empty_ones() -> None:
    assert HaServerSecrets(("", "s3cret-pw"))("auth failed for s3cret-pw") == "auth failed for ***"
