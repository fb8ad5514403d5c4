"""Compare two command trees (click/typer objects as ``probe_worker.describe_cli`` reads them; console
scripts, click or argparse, as ``cli_worker.probe_script`` reads them): what an old command line relies
on. Pure functions, shared by BC024 (breaks), BC025 (default changes) and BC027 (exit statuses)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

Tree = Mapping[str, Mapping[str, list]]


def _options(params: list[dict]) -> dict[str, dict]:
    return {opt: p for p in params if p.get("kind") != "argument" for opt in p.get("opts") or []}


def _arguments(params: list[dict]) -> list[dict]:
    return [p for p in params if p.get("kind") == "argument"]


def _accepted(tree: Tree, command: str) -> list[dict]:
    """The parameters ``command`` accepts: its own and, when it has a default subcommand (run when none
    is named), that subcommand's."""
    params = list(tree[command]["params"])
    default = tree[command].get("default_command")
    if default in tree and default != command:
        params += [p for p in tree[default]["params"] if p not in params]
    return params


def breaks(old: Tree, new: Tree) -> Iterator[tuple[str, str]]:
    """(where, what) for every old command line the new tree rejects."""
    for command, described in sorted(old.items()):
        if command not in new:
            yield command, f"command `{command}` was removed"
            continue
        if described.get("same_as"):
            continue  # an alias: its parameters are its command's, compared under that name
        before, after = described["params"], _accepted(new, command)
        old_options, new_options = _options(before), _options(after)
        for opt in sorted(set(old_options) - set(new_options)):
            yield f"{command} {opt}", f"`{command}` no longer accepts {opt}"
        old_names = {p.get("name") for p in before}
        for param in after:
            was = next((p for p in before if p.get("name") == param.get("name")), None)
            if param.get("required") and (was is None or not was.get("required")):
                what = "argument" if param.get("kind") == "argument" else "option"
                label = param.get("name") if what == "argument" else "/".join(param.get("opts") or [])
                new_or_now = "now requires" if param.get("name") in old_names else "requires a new"
                yield f"{command} {label}", f"`{command}` {new_or_now} {what} {label}"
        if len(_arguments(after)) < len(_arguments(before)):
            yield (
                command,
                f"`{command}` takes fewer arguments ({len(_arguments(before))} -> {len(_arguments(after))})",
            )


def default_changes(old: Tree, new: Tree) -> Iterator[tuple[str, str]]:
    """(where, what) for every option that kept its name and changed its default."""
    for command, described in sorted(old.items()):
        if command not in new or described.get("same_as"):
            continue
        old_options, new_options = _options(described["params"]), _options(new[command]["params"])
        seen = set()
        for opt, param in sorted(old_options.items()):
            after = new_options.get(opt)
            if after is None or id(param) in seen or param.get("default") == after.get("default"):
                continue
            if param.get("action") != after.get("action"):
                continue  # another kind of option (a flag become a version action): defaults do not compare
            seen.add(id(param))
            yield (
                f"{command} {opt}",
                f"`{command} {opt}` default changed from {param.get('default')} to {after.get('default')}",
            )


def is_subcommand(path: str, trees: Mapping[str, Tree]) -> bool:
    """True when the command at ``path`` also sits in another command's tree (a group's subcommand
    exported on its own): its changes are reported once, under the group."""
    tree = trees.get(path) or {}
    root = path.rsplit(".", 1)[-1]
    if root not in tree:
        return False
    for other, other_tree in trees.items():
        if other == path:
            continue
        if any(
            name.endswith(" " + root) and described == tree[root] for name, described in other_tree.items()
        ):
            return True
    return False


# Console scripts (``diff/cli_worker.py``): name -> {"entry", "error", "kind", "tree", "help", "zero"};
# "help" and "zero" map a command path to its two runs ({"exit", "output"}).
Scripts = Mapping[str, Mapping]
SCRIPTS = "console_scripts"


def script_subject(where: str) -> str:
    """How findings about a console script's command line are reported: ``console_scripts:tool sub``
    (a module run as ``python -m pkg`` is named so)."""
    return where if where.startswith("python -m ") else f"{SCRIPTS}:{where}"


def entry_path(entry: str) -> str:
    """The dotted path an entry point (``module:attr [extra]``) names."""
    module, _, attrs = entry.split("[", 1)[0].strip().partition(":")
    return ".".join(part for part in (module.strip(), attrs.strip()) if part)


def _relative(name: str, tree: Mapping) -> dict:
    return {path[len(name) :]: described.get("params") for path, described in tree.items()}


def duplicates(scripts: Scripts) -> set[str]:
    """``python -m pkg`` entries whose command tree is a console script's (flake8's ``__main__`` runs
    the ``flake8`` script): their changes are reported once, under the script."""
    named = {n: _relative(n, d["tree"]) for n, d in scripts.items() if d.get("tree")}
    return {
        name
        for name, tree in named.items()
        if name.startswith("python -m ")
        and any(tree == other for n, other in named.items() if not n.startswith("python -m "))
    }


def _trees(old: Mapping, new: Mapping, covered: Iterable[str]) -> tuple[Tree, Tree] | None:
    """Both trees of a script, unless one is unknown or its command object is compared by path already."""
    if entry_path(str(old.get("entry") or "")) in set(covered):
        return None  # a click object of the API: BC024/BC025 compare it under its path
    before, after = old.get("tree"), new.get("tree")
    if not (old.get("complete", True) and new.get("complete", True)):
        return None  # a side failed before building its real parser: what it lacks is unknown
    return (before, after) if before and after else None


def script_breaks(old: Scripts, new: Scripts, covered: Iterable[str] = ()) -> Iterator[tuple[str, str]]:
    """(where, what) for console scripts gone, and old command lines of a kept script the new one
    rejects. ``covered``: paths of command objects already compared as API objects."""
    covered, twins = set(covered), duplicates(old)
    for name, described in sorted(old.items()):
        if name not in new:
            yield name, f"console script `{name}` (entry point {described.get('entry')}) was removed"
            continue
        trees = _trees(described, new[name], covered) if name not in twins else None
        if trees is not None:
            yield from breaks(*trees)


def script_default_changes(
    old: Scripts, new: Scripts, covered: Iterable[str] = ()
) -> Iterator[tuple[str, str]]:
    """(where, what) for every option of a kept console script whose default changed."""
    covered, twins = set(covered), duplicates(old)
    for name, described in sorted(old.items()):
        trees = _trees(described, new[name], covered) if name in new and name not in twins else None
        if trees is not None:
            yield from default_changes(*trees)


def _exits(runs: object) -> list[int | None]:
    return [r.get("exit") for r in runs] if isinstance(runs, list) else []


def _newly_failing(before: object, after: object) -> bool:
    """OLD exited 0 on every run; NEW exited with one same non-zero status twice (no timeout)."""
    old_exits, new_exits = _exits(before), _exits(after)
    if not old_exits or len(new_exits) < 2 or set(old_exits) != {0}:
        return False
    return len(set(new_exits)) == 1 and new_exits[0] not in (0, None)


def _evidence(after: list) -> str:
    output = (after[0].get("output") or "").strip()
    return f"NEW: exit {after[0].get('exit')} twice" + (f"; output ends with:\n{output}" if output else "")


def exit_changes(old: Scripts, new: Scripts) -> Iterator[tuple[str, str, str]]:
    """(where, what, details) for every run of a kept console script that exited 0 before and now
    fails on both runs: a script that no longer starts, ``--help``, a subcommand without arguments."""
    twins = duplicates(old)
    for name, described in sorted(old.items()):
        after = new.get(name)
        if after is None or name in twins:
            continue
        if not described.get("error") and after.get("error"):
            yield (
                name,
                f"console script `{name}` no longer starts: its entry point {after.get('entry')} fails to "
                f"load ({after['error']})",
                f"OLD: {described.get('entry')} loads\nNEW: {after['error']}",
            )
            continue
        for kind, suffix in (("help", " --help"), ("zero", "")):
            for path, runs in sorted((described.get(kind) or {}).items()):
                now = (after.get(kind) or {}).get(path)
                if now is None or not _newly_failing(runs, now):
                    continue
                yield (
                    f"{path}{suffix}",
                    f"`{path}{suffix}` exited 0 in the old release and now exits {now[0]['exit']} "
                    "(twice in a row)",
                    f"OLD: exit 0\n{_evidence(now)}",
                )
