"""``topology: ha`` in a bug report: read from the report; the replay's MLflow comes from the ha starter."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from hokusai_contracts.base.errors import ContractError
from hokusai_contracts.repro.load import load_report
from hokusai_contracts.repro.report import TOPOLOGY_HA, TOPOLOGY_PLAIN, ServerSpec
from hokusai_contracts.repro.servers import ReplayServers
from hokusai_contracts.servers.basic_auth import BasicAuthUsers
from hokusai_contracts.servers.server import MlflowServer, UsersOfServer

REPORT = """\
report: example
title: An example report
reporter:
  python: "3.11"
  sdk:
    path: .
  mlflow_client: 3.17.2
  server:
    mlflow: 3.17.2
    auth: none
    topology: ha
  variables:
    MLFLOW_TRACKING_URI: ${TRACKING_URI}
claims:
  - id: first
    title: The first claim
    code: |
      import hokusai
    observed:
      exception: ImportError
"""


def _load(tmp_path: Path, text: str):
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    path = tmp_path / "report.yaml"
    path.write_text(textwrap.dedent(text))
    return load_report(path)


def test_a_report_says_its_server_ran_on_the_ha_topology(tmp_path: Path):
    spec = _load(tmp_path, REPORT).reporter.server
    assert spec is not None and spec.topology == TOPOLOGY_HA
    assert spec.label() == "MLflow 3.17.2, no auth, topology ha (PostgreSQL, MLflow servers behind HAProxy)"
    plain = _load(tmp_path, REPORT.replace("    topology: ha\n", "")).reporter.server
    assert plain is not None and plain.topology == TOPOLOGY_PLAIN and "topology" not in plain.label()


def test_an_unknown_topology_is_refused_with_its_line(tmp_path: Path):
    with pytest.raises(ContractError) as caught:
        _load(tmp_path, REPORT.replace("topology: ha", "topology: kubernetes"))
    assert caught.value.line == 11 and "kubernetes" in str(caught.value)


@dataclass
class FakeHa(UsersOfServer):
    """Stands in for a started ha topology: what the replay reads from it, and whether it was stopped."""

    url: str
    version: str
    users: BasicAuthUsers | None = None
    stopped: bool = False

    def alive(self) -> bool:
        return not self.stopped

    def log_tail(self, lines: int = 40) -> str:
        return ""

    def restart(self, timeout: float = 90.0) -> None:
        self.stopped = False

    def stop(self, timeout: float = 10.0) -> None:
        self.stopped = True


def test_an_ha_spec_is_served_by_the_ha_starter_of_its_version_and_stopped_at_close(tmp_path: Path):
    started: list[tuple[Path, bool, str]] = []
    servers: list[FakeHa] = []

    def start(workdir: Path, basic_auth: bool, version: str) -> FakeHa:
        started.append((workdir, basic_auth, version))
        users = BasicAuthUsers.generate() if basic_auth else None
        servers.append(FakeHa(f"http://127.0.0.1:{7000 + len(servers)}", version, users))
        return servers[-1]

    replay = ReplayServers(tmp_path, start_ha_topology=start)
    assert isinstance(FakeHa("u", "v"), MlflowServer)
    ha = ServerSpec("3.17.2", topology=TOPOLOGY_HA)
    assert not replay.started(ha)
    provisioned = replay.get(ha)
    assert provisioned.upstream_url == servers[0].url and provisioned.mlflow_version == "3.17.2"
    assert replay.get(ha) is provisioned and replay.started(ha)
    basic = ServerSpec("3.17.2", auth="basic", basic_user="editor", topology=TOPOLOGY_HA)
    credentials = replay.get(basic).provided
    assert credentials["MLFLOW_USERNAME"] == servers[1].users.editor[0]
    assert [(basic_auth, version) for _, basic_auth, version in started] == [
        (False, "3.17.2"),
        (True, "3.17.2"),
    ]
    assert all(workdir.is_relative_to(tmp_path / "ha-3.17.2") for workdir, _, _ in started)
    assert servers[1].users.editor[1] in replay.secrets()
    replay.close()
    assert all(server.stopped for server in servers)
