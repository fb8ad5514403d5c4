"""Markdown page -> :class:`~hokusai_contracts.checks.snippets.model.Page`: blocks, attributes, output.

Pure: text in, dataclasses out. Every problem of a page is collected and raised as one
:class:`ContractError` naming FILE:LINE for each, so an author fixes them in one pass.
"""

from __future__ import annotations

import ast
import re
import shlex
import textwrap
from dataclasses import dataclass, field, replace
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.token import Token

from hokusai_contracts.base.errors import ContractError
from hokusai_contracts.base.files import read_text_file
from hokusai_contracts.checks.snippets.model import (
    ATTRIBUTES,
    DEFAULT_SERVER,
    FRONT_MATTER_KEYS,
    ROLES,
    SERVERS,
    Block,
    Checkpoint,
    OutputBlock,
    Page,
    Setup,
)
from hokusai_contracts.contract.yaml_lines import load_yaml

SETUP_COMMENT = "<!-- snippet-setup"
ATTRIBUTE_COMMENT = "<!-- snippet:"
OUTPUT_LANGUAGE = "output"
# Spellings of Python that would silently not run: an author who wrote one of them meant `python`.
AMBIGUOUS_LANGUAGES = ("py", "py3", "python3", "pycon", "ipython", "python-repl")
_UNIQUE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
# Tokens that only open or close a container: transparent between a comment and its block.
_CONTAINERS = re.compile(r"(bullet_list|ordered_list|list_item|blockquote)_(open|close)")


def parse_page(path: Path) -> Page:
    """Read and parse the page at ``path`` (unreadable, binary or not UTF-8: :class:`ContractError`)."""
    return parse_text(read_text_file(path, expected="a Markdown page (UTF-8)"), Path(path))


@dataclass
class _Pending:
    """State of the walk over the tokens: what the next python block will receive."""

    attributes: dict[str, str] | None = None
    attributes_line: int | None = None
    setups: list[Setup] = field(default_factory=list)
    heading: str = ""
    last_block: int | None = None  # index in `blocks` of a python block still open for an `output` fence


class _Problems:
    """The problems met on one page, each at a line."""

    def __init__(self, path: Path):
        self.path = path
        self.items: list[tuple[int | None, str]] = []

    def add(self, line: int | None, message: str) -> None:
        self.items.append((line, message))

    def raise_any(self) -> None:
        if not self.items:
            return
        (line, message), *rest = sorted(self.items, key=lambda item: item[0] or 0)
        more = tuple(f"{self.path}:{other_line}: {text}" for other_line, text in rest)
        raise ContractError(message, file=str(self.path), line=line, more=more)


def parse_text(text: str, path: Path) -> Page:
    """Parse the page ``text`` (read from ``path``, used in messages)."""
    problems = _Problems(path)
    lines = text.splitlines()
    front, end = _front_matter(lines, problems)
    # Front matter lines become blank, so markdown-it's line numbers stay those of the file.
    body = "\n" * (end or 0) + "\n".join(lines[end or 0 :])
    meta = _meta(front, problems)
    blocks = _blocks(MarkdownIt("commonmark").parse(body), lines, meta.get("server"), problems)
    problems.raise_any()
    return Page(
        path=path,
        blocks=tuple(blocks),
        title=meta.get("title"),
        server=meta.get("server") or DEFAULT_SERVER,
        unique_names=tuple(meta.get("unique_names") or ()),
        executable_blocks=meta.get("executable_blocks"),
        front_matter_end=end,
        executable_blocks_line=front.key_lines.get("executable_blocks") if front else None,
        front_matter_lines=dict(front.key_lines) if front else {},
    )


# -- front matter -------------------------------------------------------------------------------------


@dataclass
class _FrontMatter:
    data: dict
    key_lines: dict[str, int]


def _front_matter(lines: list[str], problems: _Problems) -> tuple[_FrontMatter | None, int | None]:
    """The front matter and the line number of its closing ``---`` (None when the page has none)."""
    if not lines or lines[0].rstrip() != "---":
        return None, None
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() in ("---", "...")), None)
    if end is None:
        problems.add(1, "front matter is not closed; expected a line `---` after the YAML")
        return None, None
    try:
        data = load_yaml("\n".join(lines[1:end]), str(problems.path)).data or {}
    except ContractError as exc:
        # The front matter is the page's lines 2..end (libyaml may place an error just past its end).
        line = min(exc.line + 1, end) if exc.line else 1
        detail = exc.detail.removeprefix("not valid YAML: ")
        problems.add(
            line,
            f"front matter is not valid YAML: {detail}"
            if detail != exc.detail
            else f"front matter: {detail}",
        )
        return None, end + 1
    if not isinstance(data, dict):
        problems.add(2, "front matter must be a mapping (key: value lines)")
        return None, end + 1
    key_lines = {}
    for number, line in enumerate(lines[1:end], start=2):
        match = re.match(r"([A-Za-z_][\w-]*)\s*:", line)
        if match:
            key_lines.setdefault(match.group(1), number)
    return _FrontMatter(data, key_lines), end + 1


def _meta(front: _FrontMatter | None, problems: _Problems) -> dict:
    if front is None:
        return {}
    meta = {}
    for key, value in front.data.items():
        line = front.key_lines.get(str(key), 2)
        if key not in FRONT_MATTER_KEYS:
            problems.add(
                line, f"unknown front matter key {key!r}; valid keys: {', '.join(FRONT_MATTER_KEYS)}"
            )
        elif _VALID[key](value):
            meta[key] = value
        else:
            problems.add(line, f"front matter {key}: {value!r} is invalid; expected {_EXPECTED[key]}")
    return meta


_EXPECTED = {
    "title": "a string",
    "server": f"one of {', '.join(SERVERS)}",
    "unique_names": "a list of names such as [lead-scoring] (letters, digits, '.', '_', '-')",
    "executable_blocks": "a non-negative integer (the number of python blocks that run)",
}


def _names_ok(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(n, str) and _UNIQUE_NAME.fullmatch(n) for n in value)


def _count_ok(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


_VALID = {
    "title": lambda value: isinstance(value, str),
    "server": lambda value: value in SERVERS,
    "unique_names": _names_ok,
    "executable_blocks": _count_ok,
}


# -- blocks -------------------------------------------------------------------------------------------

_DANGLING_ATTRIBUTES = "a `<!-- snippet: ... -->` comment must come right before a ```python block"


def _blocks(
    tokens: list[Token], lines: list[str], page_server: str | None, problems: _Problems
) -> list[Block]:
    blocks: list[Block] = []
    pending = _Pending()
    for index, token in enumerate(tokens):
        if _CONTAINERS.fullmatch(token.type) or token.type == "inline":
            continue
        line = token.map[0] + 1 if token.map else None
        if token.type == "fence" and not _closed(token):
            problems.add(
                line,
                f"this {token.markup} fence is never closed, so the rest of the page (or of its list item "
                f"or quote) is inside it; expected a closing {token.markup} line",
            )
        if token.type == "heading_open":
            pending.heading = tokens[index + 1].content if index + 1 < len(tokens) else ""
        language = token.info.split(maxsplit=1)[0] if token.type == "fence" and token.info else ""
        is_python = token.type == "fence" and language == "python"
        is_output = token.type == "fence" and language == OUTPUT_LANGUAGE
        if token.type == "html_block" and _comment(token, pending, problems, line):
            pending.last_block = None
            continue
        if pending.attributes is not None and not is_python:
            problems.add(pending.attributes_line, _DANGLING_ATTRIBUTES)
            pending.attributes, pending.attributes_line = None, None
        if is_output:
            if pending.last_block is None:
                problems.add(line, "an ```output block must come right after a ```python block")
            else:
                blocks[pending.last_block] = _with_output(blocks[pending.last_block], token, lines)
            pending.last_block = None
            continue
        if token.type == "fence" and language in AMBIGUOUS_LANGUAGES:
            problems.add(
                line,
                f"```{language} is not executed; write ```python for a runnable example, or ```text "
                "for one that must not run",
            )
        if is_python:
            blocks.append(_block(len(blocks), token, lines, pending, page_server, problems))
            pending.last_block = len(blocks) - 1
            pending.setups, pending.attributes, pending.attributes_line = [], None, None
        elif token.type.endswith("_open") or token.type in ("fence", "code_block", "html_block", "hr"):
            pending.last_block = None
    if pending.setups:
        problems.add(
            pending.setups[-1].start_line - 1,
            "a `<!-- snippet-setup` comment must be followed by a ```python block",
        )
    if pending.attributes is not None:
        problems.add(pending.attributes_line, _DANGLING_ATTRIBUTES)
    return blocks


def _closed(token: Token) -> bool:
    """True when the fence ``token`` has its closing line (else it ran to the end of its container)."""
    content = token.content
    lines = content.count("\n") + (1 if content and not content.endswith("\n") else 0)
    return bool(token.map) and token.map[1] - token.map[0] - 1 > lines


def _comment(token: Token, pending: _Pending, problems: _Problems, line: int | None) -> bool:
    """Record a snippet comment in ``pending``; False for any other HTML."""
    content = token.content.strip()
    if content.startswith((SETUP_COMMENT, ATTRIBUTE_COMMENT)) and "-->" not in content:
        # The rest of the page is inside it: reading it as attributes or setup would only add noise.
        problems.add(
            line,
            "this `<!--` comment is never closed, so the rest of the page is inside it; expected `-->`",
        )
        return True
    if content.startswith(SETUP_COMMENT):
        body = content[len(SETUP_COMMENT) :]
        code = body.rsplit("-->", 1)[0] if "-->" in body else body
        first, _, rest = code.partition("\n")
        if first.strip():
            problems.add(line, "put the setup code on the lines after `<!-- snippet-setup`")
        pending.setups.append(Setup(textwrap.dedent(rest).rstrip() + "\n", (line or 0) + 1))
        return True
    if content.startswith(ATTRIBUTE_COMMENT):
        if pending.attributes is not None:
            problems.add(line, "two `<!-- snippet: ... -->` comments before one block; merge them")
        text = content[len(ATTRIBUTE_COMMENT) :].rsplit("-->", 1)[0]
        pending.attributes = _attributes(text, line, problems)
        pending.attributes_line = line
        return True
    return False


def _attributes(text: str, line: int | None, problems: _Problems) -> dict[str, str]:
    try:
        words = shlex.split(text)
    except ValueError as exc:
        problems.add(line, f"cannot read the snippet attributes {text.strip()!r}: {exc}")
        return {}
    attributes: dict[str, str] = {}
    valid = ", ".join(ATTRIBUTES)
    for word in words:
        key, equals, value = word.partition("=")
        if key not in ATTRIBUTES:
            problems.add(line, f"unknown snippet attribute {key!r}; valid attributes: {valid}")
        elif not equals:
            problems.add(
                line, f"snippet attribute {key!r} needs a value: {key}=...; valid attributes: {valid}"
            )
        elif key in attributes:
            problems.add(line, f"snippet attribute {key!r} given twice")
        else:
            attributes[key] = value
    return attributes


def _block(
    index: int,
    token: Token,
    lines: list[str],
    pending: _Pending,
    page_server: str | None,
    problems: _Problems,
) -> Block:
    fence_line = token.map[0] + 1
    rest = token.info.split(maxsplit=1)[1] if len(token.info.split(maxsplit=1)) > 1 else ""
    attributes = _attributes(rest, fence_line, problems)
    for key, value in (pending.attributes or {}).items():
        if key in attributes:
            problems.add(fence_line, f"snippet attribute {key!r} is set both in the comment and in the fence")
        attributes[key] = value
    server = attributes.get("server", page_server or DEFAULT_SERVER)
    _validate(attributes, server, fence_line, problems)
    code = token.content
    return Block(
        index=index,
        code=code,
        fence_line=fence_line,
        start_line=fence_line + 1,
        heading=pending.heading,
        server=server,
        role=attributes.get("role"),
        raises=attributes.get("raises"),
        skip=attributes.get("skip"),
        applies=attributes.get("applies"),
        xfail=attributes.get("xfail"),
        checkpoints=_checkpoints(code, fence_line + 1, lines, problems),
        setup=tuple(pending.setups),
        prefix=_prefix(lines, fence_line, token.markup),
    )


def _validate(attributes: dict[str, str], server: str, line: int, problems: _Problems) -> None:
    if "skip" in attributes and not attributes["skip"].strip():
        problems.add(line, 'skip needs a reason: skip="why this block does not run"')
    if server not in SERVERS:
        problems.add(line, f"server={server!r} is invalid; expected one of {', '.join(SERVERS)}")
    if "role" in attributes:
        if attributes["role"] not in ROLES:
            problems.add(line, f"role={attributes['role']!r} is invalid; expected one of {', '.join(ROLES)}")
        elif server != "basic-auth":
            problems.add(line, "role= applies to server=basic-auth only")
    if "raises" in attributes and not attributes["raises"].isidentifier():
        problems.add(line, f"raises={attributes['raises']!r} is invalid; expected an exception class name")


def _prefix(lines: list[str], line: int, marker: str) -> str:
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    position = text.find(marker[:3]) if marker else -1
    return text[:position] if position > 0 else ""


def _checkpoints(code: str, start_line: int, lines: list[str], problems: _Problems) -> tuple[Checkpoint, ...]:
    groups: list[list[int]] = []
    code_lines = code.splitlines()
    for offset, text in enumerate(code_lines):
        if text.startswith("#>"):
            if groups and groups[-1][-1] == offset - 1:
                groups[-1].append(offset)
            else:
                groups.append([offset])
        elif text.lstrip().startswith("#>"):
            problems.add(
                start_line + offset,
                "`#>` output lines must start at column 0, after a complete top-level statement",
            )
    spans = _statement_spans(code)
    checkpoints = []
    for group in groups:
        first = group[0] + 1  # 1-based line in the code
        if any(begin < first < end for begin, end in spans):
            problems.add(
                start_line + group[0], "`#>` output lines must follow a complete top-level statement"
            )
        expected = tuple(_expected_line(code_lines[offset]) for offset in group)
        md_first, md_last = start_line + group[0], start_line + group[-1]
        checkpoints.append(Checkpoint(md_first, md_last, expected, _prefix(lines, md_first, "#>")))
    return tuple(checkpoints)


def _expected_line(text: str) -> str:
    value = text[2:]
    return value[1:] if value.startswith(" ") else value


def _statement_spans(code: str) -> list[tuple[int, int]]:
    try:
        module = ast.parse(code)
    except SyntaxError:
        return []  # reported when the block runs, at its line
    return [(node.lineno, node.end_lineno or node.lineno) for node in module.body]


def _with_output(block: Block, token: Token, lines: list[str]) -> Block:
    open_line = token.map[0] + 1
    content = token.content.splitlines()
    closed = _closed(token)
    output = OutputBlock(
        open_line=open_line,
        expected=tuple(content),
        close_line=token.map[1] if closed else None,
        prefix=_prefix(lines, open_line, token.markup),
    )
    return replace(block, output=output)
