"""YAML with line numbers: load data together with its node tree (safely: linear in the input, no
anchors), and dump in a reviewable style."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from hokusai_contracts.base.errors import ContractError
from hokusai_contracts.base.files import MAX_FILE_BYTES, read_text_file

# libyaml's loader builds the same nodes (with marks) about three times faster when it is available.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# The largest YAML document read (characters) and the deepest nesting: contracts are kilobytes and a
# handful of levels deep; beyond that a file is a mistake, and validating it would recurse too deep.
MAX_YAML_CHARS = MAX_FILE_BYTES
MAX_DEPTH = 64
# What YAML counts as a line break (its marks count lines by these).
_LINE_BREAKS = re.compile("\r\n|[\r\n\x85\u2028\u2029]")


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
    """Parse one YAML document; syntax errors, anchors, duplicate keys and deep nesting are
    :class:`ContractError` naming FILE:LINE.

    Every step is linear in the size of ``text``: anchors and aliases are refused before anything is
    built (an alias "bomb" of a few hundred bytes would otherwise expand exponentially), and the node
    tree is walked once, without recursion.
    """
    if len(text) > MAX_YAML_CHARS:
        raise ContractError(
            f"{len(text):,} characters, more than the {MAX_YAML_CHARS:,} a YAML contract may have; "
            "is this the right file?",
            file=file,
        )
    loader = None
    try:
        if "&" in text:  # without an anchor there can be no alias: skip the event scan
            _refuse_anchors(text, file)
        loader = _SafeLoader(text)
        root = loader.get_single_node()
        if root is not None:
            _check_tree(root, file)
        data = _construct(loader, root, file) if root is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "unreadable"
        column = f" (column {mark.column + 1})" if mark else ""
        raise ContractError(
            f"not valid YAML: {problem}{column}; expected `key: value` mappings and `- item` lists "
            "with consistent indentation",
            file=file,
            # libyaml can place a problem one line past the end (after a final line break): clamp.
            line=min(mark.line + 1, 1 + len(_LINE_BREAKS.findall(text))) if mark else 1,
        ) from None
    except yaml.reader.ReaderError as exc:
        character = exc.character if isinstance(exc.character, int) else ord(exc.character[:1] or "\0")
        raise ContractError(
            f"not valid YAML: {exc.reason} (character U+{character:04X}); expected printable text",
            file=file,
            line=text.count("\n", 0, max(exc.position, 0)) + 1,
        ) from None
    except UnicodeError as exc:
        # A lone surrogate (only from text not read through read_text_file, which refuses it).
        start = getattr(exc, "start", 0)
        raise ContractError(
            f"not valid YAML: not encodable as UTF-8 ({exc.reason}); expected UTF-8 text",
            file=file,
            line=text.count("\n", 0, start) + 1,
        ) from None
    except yaml.YAMLError as exc:
        raise ContractError(f"not valid YAML: {exc}", file=file, line=1) from None
    except RecursionError:
        # Only the pure-Python parser (no libyaml) recurses while composing.
        raise ContractError(
            f"nested too deeply; expected at most {MAX_DEPTH} levels of mappings and lists", file=file
        ) from None
    finally:
        if loader is not None:
            loader.dispose()
    return LoadedYaml(data=data, root=root, file=file)


def read_yaml_file(
    path: Path | str,
    *,
    root: Path | str | None = None,
    given: bool = False,
    expected: str = "a YAML file",
) -> LoadedYaml:
    """Read (:func:`~hokusai_contracts.base.files.read_text_file`) and parse the YAML file at ``path``."""
    text = read_text_file(path, root=root, max_bytes=MAX_YAML_CHARS, expected=expected, given=given)
    return load_yaml(text, str(path))


def _refuse_anchors(text: str, file: str) -> None:
    # Contracts are hand-written data and need no anchors; refusing them is simpler and safer than
    # bounding what their aliases expand to. The event stream is flat, so this scan is linear.
    events = _SafeLoader(text)
    try:
        while events.check_event():
            event = events.get_event()
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                sign = "*" if isinstance(event, yaml.AliasEvent) else "&"
                raise ContractError(
                    f"YAML {'alias' if sign == '*' else 'anchor'} {sign}{event.anchor}: anchors and aliases "
                    "(&name, *name) are not allowed in contract files; write the value out in full",
                    file=file,
                    line=event.start_mark.line + 1,
                )
    finally:
        events.dispose()


def _check_tree(root: yaml.Node, file: str) -> None:
    """Refuse nesting deeper than :data:`MAX_DEPTH` and duplicate keys (the first one in the file)."""
    # PyYAML silently keeps the last of two equal keys; in a hand-edited contract that hides a mistake.
    duplicates: list[tuple[int, str, int]] = []
    stack: list[tuple[yaml.Node, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ContractError(
                f"nested more than {MAX_DEPTH} levels deep; expected a contract's few levels of mappings "
                "and lists",
                file=file,
                line=node.start_mark.line + 1,
            )
        if isinstance(node, yaml.MappingNode):
            seen: dict[str, int] = {}
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    line = key.start_mark.line + 1
                    if key.value in seen:
                        duplicates.append((line, key.value, seen[key.value]))
                    else:
                        seen[key.value] = line
                stack.append((key, depth + 1))
                stack.append((value, depth + 1))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, depth + 1) for item in node.value)
    if duplicates:
        line, key, first = min(duplicates)
        raise ContractError(
            f"key {key!r} appears twice in this mapping (first on line {first}); expected each key once",
            file=file,
            line=line,
        )


def _construct(loader: Any, root: yaml.Node, file: str) -> Any:
    try:
        return loader.construct_document(root)
    except (ValueError, TypeError, OverflowError) as exc:
        # A scalar that resolves to a type it cannot be (2024-02-30 as a date, `!!int abc`).
        line = _first_bad_scalar(root)
        raise ContractError(
            f"not valid YAML: a value cannot be read ({exc}); quote it to keep it as text",
            file=file,
            line=line,
        ) from None


def _first_bad_scalar(root: yaml.Node) -> int | None:
    # Only on the error path: construct each scalar on its own until one fails.
    stack = [root]
    bad: list[int] = []
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.ScalarNode):
            try:
                yaml.SafeLoader("").construct_object(node)
            except (ValueError, TypeError, OverflowError, yaml.YAMLError):
                bad.append(node.start_mark.line + 1)
        elif isinstance(node, yaml.MappingNode):
            stack.extend(part for pair in node.value for part in pair)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return min(bad, default=None)


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
