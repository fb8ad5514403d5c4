"""YAML with line numbers: load data together with its node tree, and dump in a reviewable style."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from hokusai_contracts.base.errors import ContractError

# libyaml's loader builds the same nodes (with marks) about three times faster when it is available.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class LoadedYaml:
    """A parsed YAML document: plain data plus the node tree that knows where everything stands."""

    data: Any
    root: yaml.Node | None
    file: str

    def line(self, path: Sequence[str | int] = (), *, key: bool = False) -> int | None:
        """1-based line of the value at ``path`` (or of its key, with ``key=True``)."""
        node, key_node = self.root, None
        for step in path:
            if isinstance(node, yaml.MappingNode):
                pair = next(((k, v) for k, v in node.value if k.value == step), None)
                if pair is None:
                    break
                key_node, node = pair
            elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
                key_node, node = None, node.value[step]
            else:
                break
        target = key_node if key and key_node is not None else node
        return target.start_mark.line + 1 if target is not None else None


def load_yaml(text: str, file: str) -> LoadedYaml:
    """Parse one YAML document; syntax errors and duplicate keys become :class:`ContractError`."""
    loader = _SafeLoader(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "unreadable"
        column = f" (column {mark.column + 1})" if mark else ""
        raise ContractError(
            f"not valid YAML: {problem}{column}; expected `key: value` mappings and `- item` lists "
            "with consistent indentation",
            file=file,
            line=mark.line + 1 if mark else None,
        ) from None
    except yaml.YAMLError as exc:
        raise ContractError(f"not valid YAML: {exc}", file=file) from None
    finally:
        loader.dispose()
    if root is not None:
        _reject_duplicate_keys(root, file)
    return LoadedYaml(data=data, root=root, file=file)


def _reject_duplicate_keys(node: yaml.Node, file: str) -> None:
    # PyYAML silently keeps the last of two equal keys; in a hand-edited contract that hides a mistake.
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key, value in node.value:
            line = key.start_mark.line + 1
            if isinstance(key, yaml.ScalarNode) and key.value in seen:
                raise ContractError(
                    f"key {key.value!r} appears twice in this mapping (first on line {seen[key.value]}); "
                    "expected each key once",
                    file=file,
                    line=line,
                )
            seen[getattr(key, "value", "")] = line
            _reject_duplicate_keys(value, file)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _reject_duplicate_keys(item, file)


class ContractDumper(yaml.SafeDumper):
    """Block style, indented lists, no line folding, readable quoting of ``repr`` strings."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        # Lists indented under their key read better and diff the same.
        super().increase_indent(flow, False)


def _represent_str(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    if "\n" in text:
        return dumper.represent_scalar("tag:yaml.org,2002:str", text, style="|")
    if text.startswith("'"):
        # repr() of a string default: "'abc'" reads better than '''abc'''.
        return dumper.represent_scalar("tag:yaml.org,2002:str", text, style='"')
    return dumper.represent_scalar("tag:yaml.org,2002:str", text)


ContractDumper.add_representer(str, _represent_str)


def dump_yaml(data: Any) -> str:
    """YAML text of plain data, keys in the order given."""
    return yaml.dump(
        data,
        Dumper=ContractDumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=100_000,
    )
