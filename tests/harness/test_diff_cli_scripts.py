"""Console scripts as API (BC024, BC025, BC027): the worker that runs them in a side's interpreter
(argparse parsers captured, click trees read, exit statuses run twice) and the comparison."""

from __future__ import annotations

import contextlib
import textwrap
from pathlib import Path

from hokusai_contracts.base.workers import run_worker
from hokusai_contracts.diff.cli_surface import (
    entry_path,
    exit_changes,
    script_breaks,
    script_default_changes,
    script_subject,
)
from hokusai_contracts.diff.package_probe import WORKER, read_packages
from hokusai_contracts.diff.sides import resolve_sides
from hokusai_contracts.diff.synthesis import ACTING_PATTERN

CORPUS = Path(__file__).resolve().parents[2] / "fixtures" / "breaking_changes"

TOOL = """
import argparse
import os
import socket
import sys
import time


def main(argv=None):
    parser = argparse.ArgumentParser(prog="tool")
    parser.add_argument("--level", type=int, default=3)
    parser.add_argument("target", nargs="?")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("status", aliases=["st"])
    sub.add_parser("hang")
    sub.add_parser("dial")
    sub.add_parser("delete-all")
    needs = sub.add_parser("show")
    needs.add_argument("name")
    args = parser.parse_args(argv)
    if args.command == "hang":
        time.sleep(60)
    if args.command == "dial":
        try:
            socket.create_connection(("192.0.2.1", 80), timeout=2)
        except OSError as exc:
            print("refused:", exc)
            return 3
    if args.command == "delete-all":
        open(os.path.join(os.environ["HOME"], "deleted"), "w").close()
    if args.command == "status":
        print("home", os.environ["HOME"], "cwd", os.getcwd())
    return 0


def broken():
    raise RuntimeError("boom")
"""

CLICK = '''
import click


@click.group()
@click.option("--color/--no-color", default=True)
def cli(color):
    """Tool."""


@cli.command()
def info():
    click.echo("info")
'''


def probe(tmp_path: Path, scripts: dict[str, str], timeout: float = 5.0) -> dict:
    (tmp_path / "clipkg").mkdir()
    (tmp_path / "clipkg" / "__init__.py").write_text("")
    (tmp_path / "clipkg" / "tool.py").write_text(textwrap.dedent(TOOL))
    (tmp_path / "clipkg" / "clicky.py").write_text(textwrap.dedent(CLICK))
    request = {
        "package": "clipkg",
        "scripts": scripts,
        "acting": ACTING_PATTERN,
        "timeout": timeout,
        "budget": 60,
    }
    return run_worker(
        WORKER, request, what="the console-script probe", extra_paths=[tmp_path], timeout=120, cwd=tmp_path
    ).answer()["scripts"]


def test_argparse_script_is_described_and_run_in_the_sandbox(tmp_path):
    answer = probe(
        tmp_path, {"tool": "clipkg.tool:main", "bad": "clipkg.tool:broken", "gone": "clipkg.nope:x"}
    )
    tool = answer["tool"]
    assert tool["kind"] == "argparse"
    options = {o for p in tool["tree"]["tool"]["params"] for o in p["opts"]}
    assert options == {"--level"}  # --help itself is not part of the surface
    level = next(p for p in tool["tree"]["tool"]["params"] if p["opts"] == ["--level"])
    assert level["default"] == "3" and not level["required"]
    commands = {"tool", "tool status", "tool st", "tool hang", "tool dial", "tool delete-all", "tool show"}
    assert set(tool["tree"]) == commands
    assert tool["tree"]["tool st"]["same_as"] == "tool status"  # an alias: run once, under its name
    assert [r["exit"] for r in tool["help"]["tool show"]] == [0]  # a second run only after a failure
    assert "tool st" not in tool["help"]
    # Zero-argument runs: not `show` (needs NAME), not `delete-all` (an acting name).
    assert set(tool["zero"]) == {"tool status", "tool hang", "tool dial"}
    assert [r["exit"] for r in tool["zero"]["tool status"]] == [0, 0]
    assert [r["exit"] for r in tool["zero"]["tool hang"]] == [None]  # stopped at its limit, not run again
    dial = tool["zero"]["tool dial"][0]
    assert dial["exit"] == 3 and "sandbox refuses" in dial["output"]
    assert not (tmp_path / "deleted").exists()
    assert answer["bad"]["kind"] is None and [r["exit"] for r in answer["bad"]["help"]["bad"]] == [1, 1]
    assert answer["gone"]["error"].startswith("ModuleNotFoundError")


def test_click_script_is_described_from_the_object(tmp_path):
    answer = probe(tmp_path, {"clicky": "clipkg.clicky:cli"})["clicky"]
    assert answer["kind"] == "click" and set(answer["tree"]) == {"clicky", "clicky info"}
    assert [r["exit"] for r in answer["zero"]["clicky info"]] == [0, 0]
    assert [r["exit"] for r in answer["help"]["clicky"]] == [0]
    assert "info" in answer["zero"]["clicky info"][0]["output"]


def runs(*codes):
    return [{"exit": c, "output": f"exit {c}"} for c in codes]


def script(tree=None, help_=None, zero=None, entry="pkg.cli:main", error=None):
    return {
        "entry": entry,
        "error": error,
        "kind": "argparse",
        "tree": tree,
        "help": help_ or {},
        "zero": zero or {},
    }


def opt(*opts, default=None, required=False):
    return {
        "name": opts[0].strip("-"),
        "kind": "option",
        "opts": list(opts),
        "required": required,
        "default": default,
    }


def test_script_breaks_defaults_and_exits():
    old = {
        "tool": script(
            {
                "tool": {"params": [opt("--verbose"), opt("--level", default="3")]},
                "tool sync": {"params": []},
            },
            help_={"tool": runs(0, 0)},
            zero={"tool sync": runs(0, 0), "tool flaky": runs(0, 0), "tool slow": runs(0, 0)},
        ),
        "gone": script(entry="pkg.gone:main"),
        "fragile": script(),
    }
    new = {
        "tool": script(
            {"tool": {"params": [opt("--level", default="4"), opt("--new")]}, "tool sync": {"params": []}},
            help_={"tool": runs(0, 0)},
            zero={"tool sync": runs(1, 1), "tool flaky": runs(0, 1), "tool slow": runs(None, None)},
        ),
        "fragile": script(error="ImportError: no module named mlflow"),
    }
    breaks = dict(script_breaks(old, new))
    assert set(breaks) == {"gone", "tool --verbose"}
    assert dict(script_default_changes(old, new)) == {
        "tool --level": "`tool --level` default changed from 3 to 4"
    }
    exits = {where: what for where, what, _ in exit_changes(old, new)}
    assert set(exits) == {"tool sync", "fragile"}  # flaky and timed-out runs are not compared
    assert "now exits 1" in exits["tool sync"] and "no longer starts" in exits["fragile"]
    # A click object already compared as an API object is not compared twice.
    assert set(dict(script_breaks(old, new, covered={"pkg.cli.main"}))) == {"gone"}
    assert entry_path("pkg.cli:app.main [extra]") == "pkg.cli.app.main"


def test_traps_report_nothing():
    for name in ("trap-argparse-option-added", "trap-cli-help-reworded"):
        pair = CORPUS / name
        with contextlib.ExitStack() as stack:
            old, new = resolve_sides(str(pair / "old"), str(pair / "new"), stack, package="corpkg")
            old_facts, new_facts = read_packages(old, new)
        assert set(old_facts.scripts) == set(new_facts.scripts) == {"corpkg-tool"}
        tool = new_facts.scripts["corpkg-tool"]
        assert tool["kind"] == "argparse" and "corpkg-tool status" in tool["tree"]
        assert list(script_breaks(old_facts.scripts, new_facts.scripts)) == []
        assert list(exit_changes(old_facts.scripts, new_facts.scripts)) == []


def test_default_subcommand_options_and_action_kinds():
    # tox 4: options of the default command (``legacy``) are accepted without naming it; a --version
    # flag become a version action has no comparable default; the script's own --help is not surface.
    old = {
        "tool": script(
            {
                "tool": {
                    "params": [
                        opt("--notest"),
                        opt("--gone"),
                        {**opt("--version", default="False"), "action": "storetrue"},
                    ]
                }
            }
        )
    }
    new_tree = {
        "tool": {"params": [{**opt("--version"), "action": "version"}], "default_command": "tool legacy"},
        "tool legacy": {"params": [opt("--notest")]},
    }
    new = {"tool": script(new_tree)}
    assert dict(script_breaks(old, new)) == {"tool --gone": "`tool` no longer accepts --gone"}
    assert list(script_default_changes(old, new)) == []


def test_help_flag_and_default_command_are_read_from_the_parser(tmp_path):
    (tmp_path / "legacytool.py").write_text(
        textwrap.dedent(
            """
            import argparse

            def main():
                parser = argparse.ArgumentParser(add_help=False)
                parser.add_argument("--help", "-h", action="store_true")
                sub = parser.add_subparsers(dest="command")
                sub.default = "legacy"
                sub.add_parser("legacy").add_argument("--notest", action="store_true")
                parser.parse_args()
            """
        )
    )
    request = {"package": "legacytool", "scripts": {"lt": "legacytool:main"}, "acting": "", "timeout": 5}
    answer = run_worker(WORKER, request, what="test", extra_paths=[tmp_path], timeout=60).answer()
    tree = answer["scripts"]["lt"]["tree"]
    assert tree["lt"] == {"params": [], "default_command": "lt legacy"}


def test_a_script_failing_after_its_preliminary_parser_has_no_complete_tree(tmp_path):
    # flake8 5 in flake8 6's environment: --config is parsed, then loading plugins fails before the
    # real parser exists. The preliminary parser is not the surface: nothing is compared against it.
    (tmp_path / "prelim.py").write_text(
        textwrap.dedent(
            """
            import argparse

            def main():
                first = argparse.ArgumentParser(add_help=False)
                first.add_argument("--config")
                first.parse_known_args()
                raise ImportError("plugin of another version")
            """
        )
    )
    request = {"package": "prelim", "scripts": {"pre": "prelim:main"}, "acting": "", "timeout": 5}
    answer = run_worker(WORKER, request, what="test", extra_paths=[tmp_path], timeout=60).answer()
    pre = answer["scripts"]["pre"]
    assert pre["complete"] is False and [r["exit"] for r in pre["help"]["pre"]] == [1, 1]
    full = script({"pre": {"params": [opt("--config"), opt("--select")]}})
    partial = {**script({"pre": {"params": [opt("--config")]}}), "complete": False}
    assert list(script_breaks({"pre": full}, {"pre": partial})) == []
    assert set(dict(script_breaks({"pre": full}, {"pre": script(partial["tree"])}))) == {"pre --select"}


def test_a_package_run_as_python_m_is_a_command_line(tmp_path):
    (tmp_path / "mpkg").mkdir()
    (tmp_path / "mpkg" / "__init__.py").write_text("")
    (tmp_path / "mpkg" / "__main__.py").write_text(
        textwrap.dedent(
            """
            import argparse

            parser = argparse.ArgumentParser(prog="python -m mpkg")
            parser.add_argument("--fast", action="store_true")
            sub = parser.add_subparsers(dest="command")
            sub.add_parser("info")
            args = parser.parse_args()
            raise SystemExit(0 if args.command == "info" else 4)
            """
        )
    )
    request = {"package": "mpkg", "main_modules": ["mpkg"], "acting": "", "timeout": 5}
    answer = run_worker(WORKER, request, what="test", extra_paths=[tmp_path], timeout=60).answer()
    run = answer["scripts"]["python -m mpkg"]
    assert run["entry"] == "-m mpkg" and set(run["tree"]) == {"python -m mpkg", "python -m mpkg info"}
    assert [r["exit"] for r in run["zero"]["python -m mpkg info"]] == [0, 0]
    assert [r["exit"] for r in run["help"]["python -m mpkg info"]] == [0]
    assert script_subject("python -m mpkg --fast") == "python -m mpkg --fast"


def test_python_m_twin_of_a_console_script_is_reported_once():
    def tree(name, *opts):
        return {name: {"params": [opt(o) for o in opts]}}

    old = {
        "f8": script(tree("f8", "--diff", "--x")),
        "python -m f8": script(tree("python -m f8", "--diff", "--x")),
    }
    new = {"f8": script(tree("f8", "--x")), "python -m f8": script(tree("python -m f8", "--x"))}
    assert set(dict(script_breaks(old, new))) == {"f8 --diff"}
    del old["f8"], new["f8"]  # no twin: the module's own command line is compared
    assert set(dict(script_breaks(old, new))) == {"python -m f8 --diff"}
