"""Property tests of the loaders: a committed contract, auth scenario and bug report, mutated at random
(lines deleted, duplicated or swapped, bytes inserted, the file truncated, indentation changed), either
still loads or raises the harness's own error naming the file and a line inside it - never another
exception. Each example must finish within :data:`DEADLINE` (the inputs are a few kilobytes: anything
slower means a loader went super-linear).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hokusai_contracts.base.errors import ContractError, HarnessUsageError
from hokusai_contracts.checks.auth.load import load_file
from hokusai_contracts.contract.store import load_module_file
from hokusai_contracts.repro.load import load_report

REPO = Path(__file__).resolve().parents[2]
API = REPO / "contracts" / "api" / "hokusai.core.semver.yaml"
SCENARIOS = REPO / "contracts" / "auth" / "configuration.yaml"
REPORT = REPO / "fixtures" / "bug_reports" / "experiment-manager.yaml"
DEADLINE = datetime.timedelta(seconds=2)
EXAMPLES = 40

# One mutation: (kind, position in [0, 1), random bytes).
MUTATION = st.tuples(
    st.sampled_from(["delete", "duplicate", "swap", "insert", "truncate", "indent", "dedent", "tab"]),
    st.floats(min_value=0, max_value=1, exclude_max=True),
    st.binary(min_size=1, max_size=8),
)


def mutate(data: bytes, mutations: list[tuple[str, float, bytes]]) -> bytes:
    """``data`` with each mutation applied in turn."""
    for kind, where, noise in mutations:
        lines = data.splitlines(keepends=True) or [b""]
        index = int(where * len(lines))
        if kind == "delete":
            del lines[index]
        elif kind == "duplicate":
            lines.insert(index, lines[index])
        elif kind == "swap" and index + 1 < len(lines):
            lines[index], lines[index + 1] = lines[index + 1], lines[index]
        elif kind == "indent":
            lines[index] = b"  " + lines[index]
        elif kind == "dedent":
            lines[index] = lines[index][2:] if lines[index].startswith(b"  ") else lines[index].lstrip(b" ")
        elif kind == "tab":
            lines[index] = b"\t" + lines[index].lstrip(b" ")
        data = b"".join(lines)
        if kind == "insert":
            at = int(where * (len(data) + 1))
            data = data[:at] + noise + data[at:]
        elif kind == "truncate":
            data = data[: int(where * len(data))]
    return data


def line_count(data: bytes) -> int:
    """Lines of ``data`` as an editor counts them, with the empty one after a final line break."""
    try:
        return len(data.decode("utf-8").splitlines()) + 1
    except UnicodeDecodeError:
        return len(data.splitlines()) + 1


def check_loader(load: Callable[[Path], Any], path: Path, data: bytes) -> None:
    """``load(path)`` with ``data`` written there succeeds, or fails with FILE:LINE inside the file."""
    path.write_bytes(data)
    try:
        load(path)
    except ContractError as exc:
        assert exc.file == str(path), str(exc)
        assert exc.line is not None and 1 <= exc.line <= line_count(data), (exc.line, str(exc))
        assert str(exc).startswith(f"{path}:{exc.line}: ")
    except HarnessUsageError as exc:
        assert str(path) in str(exc)


PROPERTY = settings(
    max_examples=EXAMPLES,
    deadline=DEADLINE,
    database=None,  # no .hypothesis/ directory in a checkout shared by several people
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mutated")


@PROPERTY
@given(st.lists(MUTATION, min_size=1, max_size=3))
def test_a_mutated_api_contract_loads_or_names_file_and_line(workdir: Path, mutations: list) -> None:
    directory = workdir / "api"
    directory.mkdir(exist_ok=True)
    check_loader(load_module_file, directory / API.name, mutate(API.read_bytes(), mutations))


@PROPERTY
@given(st.lists(MUTATION, min_size=1, max_size=3))
def test_a_mutated_auth_scenario_loads_or_names_file_and_line(workdir: Path, mutations: list) -> None:
    directory = workdir / "auth"
    directory.mkdir(exist_ok=True)
    check_loader(load_file, directory / SCENARIOS.name, mutate(SCENARIOS.read_bytes(), mutations))


@PROPERTY
@given(st.lists(MUTATION, min_size=1, max_size=3))
def test_a_mutated_bug_report_loads_or_names_file_and_line(workdir: Path, mutations: list) -> None:
    # The report's SDK path made absolute: from a temporary directory, ../.. would lie outside the repo.
    original = REPORT.read_bytes().replace(b"path: ../..", f"path: {REPO}".encode())
    check_loader(load_report, workdir / REPORT.name, mutate(original, mutations))


def test_the_mutations_change_the_files() -> None:
    data = API.read_bytes()
    assert mutate(data, [("delete", 0.0, b"x")]) == data.split(b"\n", 1)[1]
    assert mutate(data, [("insert", 0.0, b"\xff")]).startswith(b"\xff# API contract")
    assert mutate(data, [("truncate", 0.5, b"x")]) == data[: len(data) // 2]
