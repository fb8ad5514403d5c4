"""Python code out of documentation files: fenced blocks (Markdown, MDX), code-block directives and
literal blocks (reStructuredText), notebook code cells, whole example scripts.

No authoring syntax is needed: any front matter is skipped unread. Two optional comments are honoured:
``docs-check: skip`` on a line just before a block, and ``docs-check: isolated`` anywhere on a page (its
blocks then do not share a namespace).
"""

from __future__ import annotations

import ast
import json
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

from hokusai_contracts.base.errors import ContractError

PYTHON_LANGUAGES = frozenset({"python", "py", "python3", "py3", "pycon", "ipython", "ipython3", "pyi"})
SKIP_MARK = re.compile(r"docs-check:\s*skip")
ISOLATED_MARK = re.compile(r"docs-check:\s*isolated")
_FENCE = re.compile(r"^(?P<indent>[ \t]*(?:>[ \t]*)*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^`\n]*)$")
_RST_DIRECTIVE = re.compile(
    r"^(?P<indent>[ \t]*)\.\.[ \t]+(?:code-block|code|sourcecode|ipython|jupyter-execute|testcode|doctest)"
    r"::[ \t]*(?P<lang>\S*)"
)
# MyST / Sphinx directives written as fences: these name their language, those are Python by definition.
_DIRECTIVES_WITH_LANGUAGE = frozenset(
    {"code-cell", "code-block", "code", "sourcecode", "jupyter-execute", "ipython"}
)
_PYTHON_DIRECTIVES = frozenset({"doctest", "testcode", "testsetup", "testcleanup"})
_DIRECTIVE_OPTION = re.compile(r"^\s*:[\w-]+:")
_MAGIC = re.compile(r"^[ \t]*(?:[%!?]|\w+[ \t]*=[ \t]*[%!])")


@dataclass(frozen=True)
class CodeBlock:
    """One piece of Python on a page: code with its first line and column in the file (1-based line)."""

    index: int
    code: str
    line: int
    column: int = 0
    skip: bool = False
    # ``>>>`` prompts were stripped (their columns are ``column`` + 4).
    doctest: bool = False


@dataclass(frozen=True)
class DocPage:
    """A documentation file and its Python blocks, in page order."""

    path: Path
    blocks: tuple[CodeBlock, ...]
    isolated: bool = False


def page_of(path: Path, text: str) -> DocPage:
    """The Python blocks of ``path`` (its kind told by its suffix)."""
    suffix = path.suffix.lower()
    if suffix == ".ipynb":
        return notebook_page(path, text)
    if suffix == ".py":
        return DocPage(path, (CodeBlock(0, text, 1),))
    lines = text.splitlines()
    start = front_matter_end(lines)
    found = rst_blocks(lines, start) if suffix in (".rst", ".txt") else markdown_blocks(lines, start)
    blocks = tuple(CodeBlock(i, b.code, b.line, b.column, b.skip, b.doctest) for i, b in enumerate(found))
    return DocPage(path, blocks, isolated=any(ISOLATED_MARK.search(line) for line in lines))


def front_matter_end(lines: list[str]) -> int:
    """Index of the first line after YAML (``---``) or TOML (``+++``) front matter; 0 without any."""
    if not lines or lines[0].strip() not in ("---", "+++"):
        return 0
    marker = lines[0].strip()
    for number in range(1, len(lines)):
        if lines[number].strip() in (marker, "...") if marker == "---" else lines[number].strip() == marker:
            return number + 1
    return 0  # never closed: not front matter after all


def _python_info(info: str) -> bool:
    """True for ``python``, ``py title=...``, ``{.python}``, MyST ``{code-block} python``, ``{doctest}``."""
    words = re.sub(r"[{}]", " ", info).replace(",", " ").split()
    if not words:
        return False
    first = words[0].lstrip(".").lower()
    if first in _PYTHON_DIRECTIVES:
        return True
    if first in _DIRECTIVES_WITH_LANGUAGE and len(words) > 1:
        first = words[1].lstrip(".").lower()
    return first in PYTHON_LANGUAGES


def markdown_blocks(lines: list[str], start: int = 0) -> list[CodeBlock]:
    """Fenced blocks whose info string names Python (``python``, ``py title="x.py"``, ``{.python}``...)."""
    blocks: list[CodeBlock] = []
    number = start
    while number < len(lines):
        match = _FENCE.match(lines[number])
        if not match:
            number += 1
            continue
        indent, fence, info = match["indent"], match["fence"], match["info"]
        end = number + 1
        body: list[str] = []
        while end < len(lines):
            line = lines[end]
            stripped = line[len(indent) :] if line.startswith(indent) else line.lstrip(" \t>")
            if stripped.strip().startswith(fence[0] * len(fence)) and not stripped.strip().strip(fence[0]):
                break
            body.append(stripped)
            end += 1
        if _python_info(info):
            if "{" in info:
                body = _without_directive_options(body)
            previous = " ".join(lines[max(start, number - 2) : number])
            blocks.append(
                _block(len(blocks), body, number + 2, len(indent), bool(SKIP_MARK.search(previous)))
            )
        number = end + 1
    return blocks


def _without_directive_options(body: list[str]) -> list[str]:
    """A MyST directive's body with its options blanked (``:caption: x`` lines, or a ``---`` YAML block)."""
    body = list(body)
    if body and body[0].strip() == "---":
        end = next((i for i in range(1, len(body)) if body[i].strip() == "---"), None)
        if end is not None:
            return [""] * (end + 1) + body[end + 1 :]
    for position, text in enumerate(body):
        if not _DIRECTIVE_OPTION.match(text):
            break
        body[position] = ""
    return body


def rst_blocks(lines: list[str], start: int = 0) -> list[CodeBlock]:
    """``.. code-block:: python`` (and friends) bodies, and ``::`` literal blocks that are clearly Python."""
    blocks: list[CodeBlock] = []
    number = start
    while number < len(lines):
        line = lines[number]
        directive = _RST_DIRECTIVE.match(line)
        literal = line.rstrip().endswith("::") and not line.lstrip().startswith("..")
        if not directive and not literal:
            number += 1
            continue
        base = len(line) - len(line.lstrip())
        body_start = number + 1
        # Directive options (``:linenos:``) come right after the directive line.
        while directive and body_start < len(lines) and lines[body_start].strip().startswith(":"):
            body_start += 1
        end = body_start
        while end < len(lines) and (
            not lines[end].strip() or len(lines[end]) - len(lines[end].lstrip()) > base
        ):
            end += 1
        raw = lines[body_start:end]
        while raw and not raw[-1].strip():
            raw.pop()
        first = next((i for i, text in enumerate(raw) if text.strip()), None)
        if first is not None:
            code_lines = textwrap.dedent("\n".join(raw[first:])).splitlines()
            column = len(raw[first]) - len(raw[first].lstrip())
            language = directive["lang"].lower() if directive else ""
            wanted = language in PYTHON_LANGUAGES or (directive and not language)
            if (directive and wanted) or (literal and _clearly_python(code_lines)):
                previous = " ".join(lines[max(start, number - 2) : number])
                blocks.append(
                    _block(
                        len(blocks),
                        code_lines,
                        body_start + first + 1,
                        column,
                        bool(SKIP_MARK.search(previous)),
                    )
                )
        number = max(end, number + 1)
    return blocks


def _clearly_python(lines: list[str]) -> bool:
    """A literal block is Python when it is a doctest, or parses and imports or calls something."""
    if lines and lines[0].lstrip().startswith(">>>"):
        return True
    try:
        tree = ast.parse("\n".join(lines))
    except SyntaxError:
        return False
    return any(isinstance(node, ast.Import | ast.ImportFrom | ast.Call) for node in ast.walk(tree))


def notebook_page(path: Path, text: str) -> DocPage:
    """Code cells of a notebook (its kernel's language must be Python), at their lines in the JSON file."""
    try:
        notebook = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ContractError(
            f"not a notebook: invalid JSON ({exc.msg})", file=str(path), line=exc.lineno
        ) from None
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        raise ContractError("not a notebook: no list of cells", file=str(path), line=1)
    language = str(
        (notebook.get("metadata") or {}).get("kernelspec", {}).get("language")
        or (notebook.get("metadata") or {}).get("language_info", {}).get("name")
        or "python"
    ).lower()
    if language not in PYTHON_LANGUAGES:
        return DocPage(path, ())
    raw_lines = text.splitlines()
    source_lines = [n + 1 for n, line in enumerate(raw_lines) if line.lstrip().startswith('"source"')]
    blocks: list[CodeBlock] = []
    for position, cell in enumerate(notebook["cells"]):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        code = "".join(source) if isinstance(source, list) else str(source)
        line = source_lines[position] if position < len(source_lines) else 1
        # nbformat writes a list source one string per line, starting on the line after "source": [
        first = (
            line + 1
            if isinstance(source, list) and source and raw_lines[line - 1].rstrip().endswith("[")
            else line
        )
        body = [_unmagic(text) for text in code.splitlines()]
        blocks.append(_block(len(blocks), body, first, 0, bool(SKIP_MARK.search(code.split("\n", 1)[0]))))
    return DocPage(path, tuple(blocks), isolated=bool(ISOLATED_MARK.search(text)))


def _unmagic(line: str) -> str:
    # IPython magics and shell escapes (``%pip install x``, ``!ls``) are not Python: blank, line kept.
    return "" if _MAGIC.match(line) else line


def _block(index: int, body: list[str], line: int, column: int, skip: bool) -> CodeBlock:
    """A block from its lines; ``>>>`` sessions become their input lines, output lines blanked."""
    first = next((text for text in body if text.strip()), "")
    if not first.lstrip().startswith(">>>"):
        code = "\n".join(_unmagic(text) for text in body)
        # A block indented as a whole in its page (a common Markdown habit) is Python once dedented.
        dedented = textwrap.dedent(code)
        shift = len(first) - len(first.lstrip()) if dedented != code else 0
        return CodeBlock(index, dedented, line, column + shift, skip)
    dedented = textwrap.dedent("\n".join(body)).splitlines()
    code = []
    for text in dedented:
        if text.startswith((">>> ", "... ")) or text in (">>>", "..."):
            code.append(text[4:])
        else:
            code.append("")  # expected output: not code
    return CodeBlock(index, "\n".join(code), line, column, skip, doctest=True)


def parse_block(block: CodeBlock) -> ast.Module:
    """The block's syntax tree, line numbers those of the file (SyntaxError when it is not Python)."""
    flags = ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
    # Leading newlines put the code at its file lines (much cheaper than ast.increment_lineno).
    offset = "\n" * (block.line - 1)
    try:
        return compile(offset + block.code, "<block>", "exec", flags)
    except SyntaxError:
        lines = [text for text in block.code.splitlines() if text.strip()]
        if not lines or not lines[-1].lstrip().startswith("@"):
            raise
    # A decorator shown on its own (``@click.option(...)``): its call is checked on a stand-in function.
    return compile(offset + block.code + "\ndef decorated():\n    pass\n", "<block>", "exec", flags)
