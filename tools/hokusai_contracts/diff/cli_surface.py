"""Compare two click command trees (as ``probe_worker.describe_cli`` reads them): what an old command
line relies on. Pure functions, shared by BC024 (breaks) and BC025 (default changes)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

Tree = Mapping[str, Mapping[str, list]]


def _options(params: list[dict]) -> dict[str, dict]:
    return {opt: p for p in params if p.get("kind") != "argument" for opt in p.get("opts") or []}


def _arguments(params: list[dict]) -> list[dict]:
    return [p for p in params if p.get("kind") == "argument"]


def breaks(old: Tree, new: Tree) -> Iterator[tuple[str, str]]:
    """(where, what) for every old command line the new tree rejects."""
    for command, described in sorted(old.items()):
        if command not in new:
            yield command, f"command `{command}` was removed"
            continue
        before, after = described["params"], new[command]["params"]
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
        if command not in new:
            continue
        old_options, new_options = _options(described["params"]), _options(new[command]["params"])
        seen = set()
        for opt, param in sorted(old_options.items()):
            after = new_options.get(opt)
            if after is None or id(param) in seen or param.get("default") == after.get("default"):
                continue
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
