"""Broken and hostile inputs (``fixtures/hostile/``, written by ``scripts/make_hostile_corpus.py``) through
the CLI: each gives its documented exit code (1, or 3 for a usage error) and a message naming FILE(:LINE)
with what is wrong; none prints a traceback or a secret, none hangs.

Each case runs in a forked child (the CLI in-process, with typer's CliRunner: no interpreter start-up per
case) that is killed after :data:`CASE_TIMEOUT_S`: a hang fails the test instead of stalling the suite.
``verify`` runs with a server factory that provides no server: these inputs fail while loading, before a
server would be used.
"""

from __future__ import annotations

import contextlib
import importlib.util
import multiprocessing
import os
import shutil
import sys
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from hokusai_contracts.base.masking import mask_secrets
from hokusai_contracts.cli.app import build_app
from hokusai_contracts.cli.diff import diff_command
from hokusai_contracts.cli.reference import docs_command
from hokusai_contracts.cli.repro import repro_command
from hokusai_contracts.repro import literal_secrets

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "fixtures" / "hostile"
CASE_TIMEOUT_S = 10.0


def _corpus_script() -> Any:
    spec = importlib.util.spec_from_file_location(
        "make_hostile_corpus", REPO / "scripts" / "make_hostile_corpus.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


corpus = _corpus_script()
CASES = sorted(p.name for p in CORPUS.iterdir() if (p / corpus.MANIFEST).is_file())


@contextlib.contextmanager
def _no_server() -> Iterator[None]:
    yield None


def _cli() -> Any:
    """The CLI as ``hokusai-contracts`` assembles it, with servers replaced by none."""
    app = build_app(server_factory=_no_server)
    app.command("docs")(docs_command)
    app.command("diff")(diff_command)
    app.command("repro")(repro_command)
    return app


def _child(job: Callable[[], Any], connection: Any) -> None:
    try:
        connection.send(("ok", job()))
    except BaseException:  # reported to the parent, which fails the test with it
        connection.send(("error", traceback.format_exc()))


def within(seconds: float, job: Callable[[], Any]) -> Any:
    """``job()`` run in a forked child; the test fails when it takes longer than ``seconds``."""
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(job, sender), daemon=True)
    process.start()
    sender.close()
    try:
        if not receiver.poll(seconds):
            pytest.fail(f"did not finish within {seconds:.0f} s (hangs?)")
        status, value = receiver.recv()
    finally:
        if process.is_alive():
            process.kill()
        process.join()
    if status == "error":
        pytest.fail(f"the job raised:\n{value}")
    return value


def _invoke(case_dir: Path, args: list[str]) -> tuple[int, str]:
    os.chdir(case_dir)
    result = CliRunner().invoke(_cli(), args)
    output = result.output
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        # CliRunner swallows an uncaught exception (exit code 1!): make it visible as the traceback it is.
        output += "".join(traceback.format_exception(*result.exc_info))
    return result.exit_code, output


def prepare(name: str, tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    """A copy of case ``name`` in ``tmp_path`` with its run-time parts made; and its manifest."""
    case_dir = tmp_path / name
    shutil.copytree(CORPUS / name, case_dir)
    manifest = corpus.load_manifest(case_dir)
    corpus.copy_repo_parts(case_dir, manifest.get("with_repo", []))
    corpus.materialize(case_dir, manifest.get("make", []))
    return case_dir, manifest


@pytest.mark.parametrize("name", CASES)
def test_hostile_input_fails_cleanly_with_file_and_line(name: str, tmp_path: Path) -> None:
    case_dir, manifest = prepare(name, tmp_path)
    code, output = within(CASE_TIMEOUT_S, lambda: _invoke(case_dir, manifest["command"]))
    assert "Traceback" not in output, output
    assert code == manifest["exit"], f"exit {code}, expected {manifest['exit']}:\n{output}"
    assert manifest["where"] in output, f"{manifest['where']} not named:\n{output}"
    assert manifest["message"] in output, output
    for secret in manifest.get("absent", []):
        assert secret not in output


def test_the_committed_corpus_is_what_the_script_writes() -> None:
    assert corpus.stale() == [], "run: python scripts/make_hostile_corpus.py"


def test_every_expected_exit_code_is_a_contract_or_usage_error() -> None:
    codes = {corpus.load_manifest(CORPUS / name)["exit"] for name in CASES}
    assert codes <= {1, 3} and len(CASES) >= 50


def test_a_1mb_single_line_is_scanned_and_its_secrets_found() -> None:
    key = "hk_live_Z8yX7wV6uT5sR4qP3oN2"
    password = "s3cr3t-Pa55"
    filler = ("a-b.c://d:e token=<x> password-y " * 40_000)[:1_000_000]
    line = f"{filler} https://user:{password}@example.com {key}"

    def scan() -> tuple[list[int], str]:
        found = [secret.line for secret in literal_secrets.scan_text(f"title: x\nnote: {line}\n")]
        return found, mask_secrets(line)

    found, masked = within(CASE_TIMEOUT_S, scan)
    assert found == [2]
    assert key not in masked and password not in masked
    assert "hk_live_...oN2" in masked and "https://user:***@example.com" in masked
    assert masked.startswith(filler[:1000])  # the filler itself is left alone
