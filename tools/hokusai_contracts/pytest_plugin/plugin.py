"""pytest plugin: live MLflow server fixtures, and contract files collected as tests (opt-in).

Contract tests: with ``--hokusai-contracts DIR`` (or the ini option ``hokusai_contracts_dir``) every
``DIR/api/*.yaml`` is collected as a file with one test per contracted object, which fails when the
installed SDK's signature of that object differs from the contract; and every documentation page
``DIR/docs/*.md`` (but ``README.md``, the authoring guide) as a file with one test per ``python`` block,
run in page order in one namespace (see :mod:`hokusai_contracts.pytest_plugin.snippet_items`).
"""

from __future__ import annotations

import os
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from hokusai_contracts.base.errors import ContractError, HarnessUsageError, InfrastructureError
from hokusai_contracts.checks import CheckFamily, VerifyContext
from hokusai_contracts.checks.registry import CHECKS
from hokusai_contracts.contract.subjects import Contracted
from hokusai_contracts.findings import Finding, Outcome
from hokusai_contracts.pytest_plugin.contract_run import RUN_KEY, ContractRun
from hokusai_contracts.reports.text import finding_text
from hokusai_contracts.servers.errors import ServerStartError
from hokusai_contracts.servers.pool import ServerPool
from hokusai_contracts.servers.server import (
    BASIC_AUTH,
    GATEWAY,
    GATEWAY_DEAD_UPSTREAM,
    GATEWAY_RATE_LIMITED,
    MLFLOW,
    Server,
)


def _worker_id() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def hokusai_servers(
    tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config
) -> Iterator[ServerPool]:
    """The session's server pool (one per xdist worker): every server fixture below comes from it.

    MLflow servers come from ``--mlflow`` / ``--mlflow-version`` (default: a local process of the
    installed MLflow); everything the pool started is stopped at the end of the session.
    """
    from hokusai_contracts.servers.pytest_options import provisioner_of

    provisioner = provisioner_of(pytestconfig)
    workdir = tmp_path_factory.mktemp(f"servers-{_worker_id()}")
    pool = ServerPool(
        start_mlflow=lambda kind, where: provisioner.start(where, basic_auth=kind == BASIC_AUTH),
        workdir=workdir,
        purpose="the test session",
    )
    with pool:
        yield pool


def _server(pool: ServerPool, kind: str) -> Server:
    try:
        return pool.get(kind)
    except ServerStartError as exc:
        pytest.fail(f"infrastructure: {exc}", pytrace=False)


@pytest.fixture(scope="session")
def mlflow_server(hokusai_servers: ServerPool) -> Server:
    """A real ``mlflow server`` (no auth) for this test session (one per xdist worker)."""
    return _server(hokusai_servers, MLFLOW)


@pytest.fixture(scope="session")
def basic_auth_server(hokusai_servers: ServerPool) -> Server:
    """A real ``mlflow server --app-name basic-auth`` with an admin and a READ-only user (``.users``)."""
    return _server(hokusai_servers, BASIC_AUTH)


@pytest.fixture(scope="session")
def gateway(hokusai_servers: ServerPool) -> Server:
    """The reference platform gateway in front of ``mlflow_server`` (one per xdist worker).

    ``gateway.url``, ``gateway.tracking_uri`` (``<url>/api/mlflow``, for MLflow clients and the SDK),
    ``gateway.keys.write`` / ``.read`` / ``.expired`` / ``.admin`` (plain keys: for tests only, never
    print them), ``gateway.issue_key(scopes, expired=False)`` and ``gateway.log_tail()`` (masked).
    Rate limit: 1000 requests/s per key (burst 1000), out of reach of sequential tests sharing a key;
    ``rate_limited_gateway`` is the one for 429s.
    """
    return _server(hokusai_servers, GATEWAY)


@pytest.fixture(scope="session")
def rate_limited_gateway(hokusai_servers: ServerPool) -> Server:
    """A gateway like ``gateway`` limited to 1 request/s with a burst of 2, per key.

    Buckets are per key and the fixture is shared: a test that counts requests issues its own key.
    """
    return _server(hokusai_servers, GATEWAY_RATE_LIMITED)


@pytest.fixture(scope="session")
def dead_upstream_gateway(hokusai_servers: ServerPool) -> Server:
    """A gateway whose MLflow is a closed port: every authorized MLflow call answers 502."""
    return _server(hokusai_servers, GATEWAY_DEAD_UPSTREAM)


@pytest.fixture
def unique_name(request: pytest.FixtureRequest):
    """Factory of names unique across tests and xdist workers: ``unique_name("model")``."""

    def make(prefix: str = "hk") -> str:
        return f"{prefix}-{_worker_id()}-{uuid.uuid4().hex[:10]}"

    return make


# ---------------------------------------------------------------------------------------------------
# Contract files as tests


class HokusaiContractWarning(UserWarning):
    """A contract finding that does not fail the gate (severity warning or info)."""


class ContractCheckFailure(Exception):
    """Raised by a contract test; carries the findings that :meth:`ContractItem.repr_failure` shows."""

    def __init__(self, findings: list[Finding]):
        super().__init__(f"{len(findings)} contract finding(s)")
        self.findings = findings


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    """Register the ``pytest_hokusai_contracts_*`` hooks."""
    from hokusai_contracts.pytest_plugin import hookspecs as pytest_hookspecs

    pluginmanager.add_hookspecs(pytest_hookspecs)


def pytest_addoption(parser: pytest.Parser) -> None:
    """Options that turn on the contract tests."""
    group = parser.getgroup("hokusai-contracts", "hokusai contract tests")
    group.addoption(
        "--hokusai-contracts",
        dest="hokusai_contracts_dir",
        metavar="DIR",
        default=None,
        help="collect DIR/api/*.yaml as contract tests (one per contracted object) and DIR/docs/*.md as "
        "snippet tests (one per python block), and run them",
    )
    group.addoption(
        "--hokusai-contracts-python",
        dest="hokusai_contracts_python",
        metavar="PATH",
        default=None,
        help="interpreter whose installed SDK the contract tests check (default: this one)",
    )
    parser.addini(
        "hokusai_contracts_dir",
        "contracts directory whose api/*.yaml files are collected as tests (relative to the ini file)",
        default="",
    )
    parser.addini("hokusai_contracts_python", "interpreter whose SDK the contract tests check", default="")
    from hokusai_contracts.servers.pytest_options import add_server_options

    add_server_options(parser)


def _ini_base(config: pytest.Config) -> Path:
    return config.inipath.parent if config.inipath else config.rootpath


def contracts_dir_of(config: pytest.Config) -> Path | None:
    """The contracts directory the contract tests use, None when they are off."""
    value = config.getoption("hokusai_contracts_dir")
    if value:
        return (config.invocation_params.dir / value).resolve()
    value = config.getini("hokusai_contracts_dir")
    return (_ini_base(config) / value).resolve() if value else None


def _python_of(config: pytest.Config) -> str | None:
    return config.getoption("hokusai_contracts_python") or config.getini("hokusai_contracts_python") or None


@pytest.hookimpl(trylast=True)
def pytest_hokusai_contracts_context(config: pytest.Config, contracts_dir: Path) -> VerifyContext:
    """The default context: the contracts directory and interpreter from the options."""
    return VerifyContext(contracts_dir=contracts_dir, python=_python_of(config))


@pytest.hookimpl(trylast=True)
def pytest_hokusai_contracts_check(config: pytest.Config) -> CheckFamily:
    """The default check: signatures."""
    return CHECKS["signatures"]


def _covers(arg: str, target: Path, base: Path) -> bool:
    path = (base / arg.split("::", 1)[0]).resolve()
    return path == target or path in target.parents or target in path.parents


def pytest_configure(config: pytest.Config) -> None:
    """Turn the contract tests on when asked, and add the contract files to what pytest collects."""
    directory = contracts_dir_of(config)
    config.stash[RUN_KEY] = None
    if directory is None:
        return
    context = config.hook.pytest_hokusai_contracts_context(config=config, contracts_dir=directory)
    check = config.hook.pytest_hokusai_contracts_check(config=config)
    run = ContractRun(directory, context, check)
    config.stash[RUN_KEY] = run
    # Explicit paths on the command line mean "just these", unless --hokusai-contracts asked for more.
    explicit_paths = config.args_source is pytest.Config.ArgsSource.ARGS
    asked = bool(config.getoption("hokusai_contracts_dir"))
    base = config.invocation_params.dir
    wanted = asked or not explicit_paths
    for collected in (run.api_dir, run.docs_dir, run.contracts_dir / "auth"):
        if wanted and collected.is_dir() and not any(_covers(arg, collected, base) for arg in config.args):
            config.args.append(str(collected))


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    """A contract file (``DIR/api/*.yaml``) or documentation page (``DIR/docs/*.md``) when the contract
    tests are on."""
    run = parent.config.stash.get(RUN_KEY, None)
    if run is None:
        return None
    if file_path.suffix == ".md" and file_path.resolve().parent == run.docs_dir.resolve():
        from hokusai_contracts.checks.snippets.family import GUIDE
        from hokusai_contracts.pytest_plugin.snippet_items import DocPage

        return None if file_path.name == GUIDE else DocPage.from_parent(parent, path=file_path)
    from hokusai_contracts.pytest_plugin.auth_items import ScenarioFile, is_scenario_file

    if is_scenario_file(file_path, run.contracts_dir):
        return ScenarioFile.from_parent(parent, path=file_path)
    if file_path.suffix not in (".yaml", ".yml"):
        return None
    if file_path.resolve().parent != run.api_dir.resolve():
        return None
    return ContractFile.from_parent(parent, path=file_path)


class ContractFile(pytest.File):
    """A contract file: one test per contracted module and object in it."""

    def collect(self):
        """One :class:`ContractItem` per contracted object written in this file."""
        run: ContractRun = self.config.stash[RUN_KEY]
        try:
            entries = run.entries_in(self.path)
        except (ContractError, InfrastructureError, HarnessUsageError) as exc:
            raise self.CollectError(f"{exc}\nfix: correct the contract file at the place named") from None
        for entry in entries:
            yield ContractItem.from_parent(self, name=entry.path, entry=entry)


class ContractItem(pytest.Item):
    """The contract of one object: passes when the installed SDK matches it."""

    def __init__(self, *, entry: Contracted, **kwargs):
        super().__init__(**kwargs)
        self.entry = entry

    def runtest(self) -> None:
        """Fail with the object's failing findings; warn for the non-failing ones."""
        run: ContractRun = self.config.stash[RUN_KEY]
        findings = run.findings_for(self.entry.path)
        root = self.config.rootpath
        for finding in findings:
            if finding.outcome is Outcome.FAILED and not finding.failed:
                # Attributed to the contract file and line, not to this plugin's source.
                warnings.warn_explicit(
                    HokusaiContractWarning(finding_text(finding, root)),
                    HokusaiContractWarning,
                    filename=str(self.path),
                    lineno=self.entry.line or 1,
                )
        failing = [f for f in findings if f.failed]
        if failing:
            raise ContractCheckFailure(failing)
        if findings and all(f.outcome is Outcome.SKIPPED for f in findings):
            pytest.skip(finding_text(findings[0], self.config.rootpath))

    def repr_failure(self, excinfo, style=None):
        """The findings as rule, subject, location, message and fix; no harness traceback."""
        if isinstance(excinfo.value, ContractCheckFailure):
            return "\n\n".join(finding_text(f, self.config.rootpath) for f in excinfo.value.findings)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self):
        """The contract file and the object's line in it."""
        line = self.entry.line - 1 if self.entry.line else None
        return self.path, line, f"contract {self.name}"
