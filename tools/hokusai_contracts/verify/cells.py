"""The cells of the compatibility space: MLflow client x MLflow server x Python, and how to pick them.

Pure: axis parsing, the default preset, the cells a client cannot be installed in, deterministic shards
and the GitHub Actions matrix. :mod:`hokusai_contracts.verify.matrix_run` runs the cells.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from hokusai_contracts.base.errors import HarnessUsageError
from hokusai_contracts.servers.venvs import check_version

PRESET_CI = "ci"
_PYTHON = re.compile(r"^3\.\d+$")
_SHARD = re.compile(r"^(\d+)/(\d+)$")

# The newest Python a client release installs on from wheels. MLflow 2.9.0 pins numpy<2 and
# pyarrow<15, neither of which has a CPython 3.13 wheel (numpy 2.1 and pyarrow 18 were the first), so
# `uv pip install mlflow==2.9.0` on 3.13 fails to resolve with --only-binary and tries source builds
# of numpy 1.26 without it. Keyed by "major.minor" of the client.
NEWEST_PYTHON = {"2.9": "3.12"}

# The default matrix (`verify --matrix ci`), not the full 3 x 2 x 4 cross product (24 cells, hours on
# 2 cores): every client on its oldest and its newest Python, and each such pair against one server,
# alternating so that every client meets both servers and every server runs on the oldest and the
# newest Python. Six cells: about 10 minutes at -j 2 once the venvs are cached.
CI_PRESET = (
    ("2.9.0", "2.9.0", "3.10"),  # the third party's client, against its own server generation
    ("2.9.0", "3.17.2", "3.12"),  # ... against today's server, on 2.9.0's newest Python
    ("2.22.0", "3.17.2", "3.10"),  # the last 2.x client
    ("2.22.0", "2.9.0", "3.13"),
    ("3.17.2", "2.9.0", "3.10"),  # today's client against an old server
    ("3.17.2", "3.17.2", "3.13"),
)


@dataclass(frozen=True, order=True)
class Cell:
    """One point of the space: an MLflow client, an MLflow server and a Python minor version."""

    client: str
    server: str
    python: str

    @property
    def key(self) -> str:
        """A file-name-safe identity, e.g. ``client-2.9.0_server-3.17.2_py3.10``."""
        return f"client-{self.client}_server-{self.server}_py{self.python}"

    @property
    def label(self) -> str:
        """E.g. ``client 2.9.0 x server 3.17.2 x Python 3.10``."""
        return f"client {self.client} x server {self.server} x Python {self.python}"


@dataclass(frozen=True)
class Plan:
    """The cells to run, and those left out because the client does not install on that Python."""

    cells: tuple[Cell, ...]
    not_installable: tuple[tuple[Cell, str], ...] = ()


def check_python(value: str) -> str:
    """``value`` if it names a Python minor version (``3.10``); HarnessUsageError otherwise."""
    if not _PYTHON.match(value):
        raise HarnessUsageError(f"--pythons {value!r}: expected a Python minor version such as 3.10")
    return value


def parse_axis(value: str, option: str) -> list[str]:
    """``"2.9.0, 3.17.2"`` -> ``["2.9.0", "3.17.2"]`` for the axis ``option`` (order kept, no dups)."""
    values = list(dict.fromkeys(v.strip() for v in value.split(",") if v.strip()))
    if not values:
        raise HarnessUsageError(f"{option} needs at least one value, e.g. {option} 2.9.0,3.17.2")
    if option == "--pythons":
        return [check_python(v) for v in values]
    checked = []
    for v in values:
        try:
            checked.append(check_version(v))
        except HarnessUsageError:
            raise HarnessUsageError(f"{option} {v!r}: expected a release number such as 3.17.2") from None
    return checked


def _minor_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version)[:2])


def installable(client: str, python: str) -> str | None:
    """None when the client ``client`` installs on Python ``python``, else why it does not."""
    newest = NEWEST_PYTHON.get(".".join(client.split(".")[:2]))
    if newest is not None and _minor_key(python) > _minor_key(newest):
        return (
            f"MLflow {client} does not install on Python {python}: its pins (numpy<2, pyarrow<15) have "
            f"no wheels for it; its newest Python is {newest}"
        )
    return None


def _plan(triples: Sequence[tuple[str, str, str]]) -> Plan:
    cells, left_out = [], []
    for client, server, python in dict.fromkeys(triples):
        cell = Cell(client, server, python)
        reason = installable(client, python)
        if reason is None:
            cells.append(cell)
        else:
            left_out.append((cell, reason))
    return Plan(tuple(cells), tuple(left_out))


def cross_product(clients: Sequence[str], servers: Sequence[str], pythons: Sequence[str]) -> Plan:
    """Every combination of the axes, in axis order, less the cells a client cannot be installed in."""
    return _plan(list(itertools.product(clients, servers, pythons)))


def preset(name: str) -> Plan:
    """The named preset (``ci``)."""
    if name != PRESET_CI:
        raise HarnessUsageError(f"unknown matrix preset {name!r}; known: {PRESET_CI}")
    return _plan(CI_PRESET)


def resolve_plan(
    matrix: str | None,
    clients: str | None,
    servers: str | None,
    pythons: str | None,
    current: Cell,
) -> Plan | None:
    """The cells ``verify`` runs: the preset ``--matrix ci``, the axes given (one not given stays at
    ``current``'s value; the old ``--matrix 2.9.0,3.17.2`` is the servers axis), None for no matrix."""
    if matrix is not None and matrix.strip() == PRESET_CI:
        if clients or servers or pythons:
            raise HarnessUsageError(
                "--matrix ci is a preset: do not combine it with --clients/--servers/--pythons"
            )
        return preset(PRESET_CI)
    if matrix is not None:
        if servers is not None:
            raise HarnessUsageError("--matrix VERSIONS and --servers name the same axis: give one of them")
        servers = matrix
    if clients is None and servers is None and pythons is None:
        return None
    return cross_product(
        parse_axis(clients, "--clients") if clients is not None else [current.client],
        parse_axis(servers, "--servers") if servers is not None else [current.server],
        parse_axis(pythons, "--pythons") if pythons is not None else [current.python],
    )


def parse_shard(text: str) -> tuple[int, int]:
    """``"2/3"`` -> ``(2, 3)`` (1-based); HarnessUsageError when malformed or out of range."""
    match = _SHARD.match(text.strip())
    if not match:
        raise HarnessUsageError(f"--shard {text!r}: expected I/N, e.g. --shard 1/2")
    index, count = int(match.group(1)), int(match.group(2))
    if count < 1 or not 1 <= index <= count:
        raise HarnessUsageError(f"--shard {text!r}: I must be between 1 and N (N >= 1)")
    return index, count


def shard(cells: Sequence[Cell], index: int, count: int) -> list[Cell]:
    """Shard ``index`` of ``count`` (1-based): every ``count``-th cell of the sorted list, so the
    shards are disjoint, cover every cell, and do not depend on the order the cells were given in."""
    ordered = sorted(
        cells, key=lambda c: (version_key(c.client), version_key(c.server), version_key(c.python))
    )
    return [cell for position, cell in enumerate(ordered) if position % count == index - 1]


def version_key(version: str) -> tuple[int, ...]:
    """``"3.17.2"`` -> ``(3, 17, 2)``: versions sorted as numbers."""
    return tuple(int(part) for part in re.findall(r"\d+", version))


def github_matrix(cells: Sequence[Cell]) -> dict[str, list[dict[str, str]]]:
    """The cells as a GitHub Actions ``strategy.matrix`` (``include`` entries with a ``name``)."""
    return {"include": [{**asdict(cell), "name": cell.label} for cell in cells]}
