"""Hooks of the contract tests, for conftest.py files that need to change what is checked.

Both are first-result hooks; the plugin's own implementations run last and give the defaults.
"""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.hookspec(firstresult=True)
def pytest_hokusai_contracts_context(config: pytest.Config, contracts_dir: Path):
    """Return the :class:`~hokusai_contracts.checks.VerifyContext` the contract tests use."""


@pytest.hookspec(firstresult=True)
def pytest_hokusai_contracts_check(config: pytest.Config):
    """Return the :class:`~hokusai_contracts.checks.CheckFamily` run for the contract tests."""
