"""Fixtures of the harness tests: synthetic packages in tmp dirs and a pristine copy of the real SDK.

Nothing here needs a server: packages are read by the introspection worker in a subprocess, with the
tmp dir first on its PYTHONPATH.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from harness_support import SDK_SOURCE, SYNTHETIC, introspect_tree, write_tree
from sdk_mutations import copy_sdk

from hokusai_contracts.contract.model import Api
from hokusai_contracts.contract.store import load_contracts, write_contracts


@pytest.fixture
def write_package(tmp_path: Path) -> Callable[[dict[str, str]], Path]:
    """Factory: write a package's files into a fresh directory and return that directory."""
    counter = iter(range(1_000))

    def write(files: dict[str, str]) -> Path:
        return write_tree(tmp_path / f"src{next(counter)}", files)

    return write


@pytest.fixture(scope="session")
def synthetic_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The synthetic package ``synthpkg`` written once per session."""
    return write_tree(tmp_path_factory.mktemp("synthetic"), SYNTHETIC)


@pytest.fixture(scope="session")
def synthetic_api(synthetic_root: Path) -> Api:
    """``synthpkg`` as the worker sees it."""
    return introspect_tree(synthetic_root, "synthpkg")


@pytest.fixture(scope="session")
def pristine_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the real SDK (``hokusai/``), taken once per session."""
    return copy_sdk(SDK_SOURCE, tmp_path_factory.mktemp("pristine"))


@pytest.fixture(scope="session")
def pristine_api(pristine_root: Path) -> Api:
    """The API of the pristine copy."""
    return introspect_tree(pristine_root, "hokusai")


@pytest.fixture(scope="session")
def pristine_contract(pristine_api: Api, tmp_path_factory: pytest.TempPathFactory) -> Api:
    """Contracts extracted from the pristine copy, written to YAML and read back (with file:line)."""
    directory = tmp_path_factory.mktemp("pristine-contracts") / "api"
    write_contracts(pristine_api, directory)
    return load_contracts(directory)
