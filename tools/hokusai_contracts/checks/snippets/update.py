"""``docs-update``: rewrite a page's ``#>`` lines and ``output`` blocks with what its blocks really print.

Only expected output that no longer matches is rewritten (so ``<ANY>`` and ``...`` that still fit stay),
and ``executable_blocks`` is raised (never lowered) to the page's count. Nothing else in the file moves:
edits replace whole line ranges, keep each line's prefix (list indentation) and line endings, and the
file is replaced atomically.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from hokusai_contracts.checks.snippets.execute import (
    ANY_TOKEN,
    WILDCARD_LINE,
    BlockOutcome,
    output_lines,
    output_matches,
)
from hokusai_contracts.checks.snippets.model import Block, Checkpoint, OutputBlock, Page


@dataclass(frozen=True)
class Edit:
    """Replace Markdown lines ``first``..``last`` (1-based, inclusive; ``last = first - 1`` inserts)."""

    first: int
    last: int
    lines: tuple[str, ...]
    what: str = ""


def _kept(expected: Sequence[str], actual: list[str]) -> list[str]:
    """``actual``, keeping each expected line (with its ``<ANY>``) that still matches its actual line."""
    expected = output_lines("\n".join(expected))
    if any(line.strip() == WILDCARD_LINE for line in expected) or len(expected) != len(actual):
        return actual
    return [
        old if ANY_TOKEN in old and output_matches([old], [new]) else new
        for old, new in zip(expected, actual, strict=True)
    ]


def checkpoint_edit(checkpoint: Checkpoint, printed: str) -> Edit | None:
    """The new ``#>`` lines of one group, None when the old ones still match."""
    actual = output_lines(printed)
    if output_matches(checkpoint.expected, actual):
        return None
    lines = _kept(checkpoint.expected, actual) or [""]
    rendered = tuple(f"{checkpoint.prefix}#> {line}" if line else f"{checkpoint.prefix}#>" for line in lines)
    return Edit(checkpoint.first_line, checkpoint.last_line, rendered, f"#> at line {checkpoint.first_line}")


def output_edit(output: OutputBlock, stdout: str) -> Edit | None:
    """The new content of an ``output`` block, None when it still matches (or the fence is unclosed)."""
    actual = output_lines(stdout)
    if output.close_line is None or output_matches(output.expected, actual):
        return None
    lines = _kept(output.expected, actual)
    rendered = tuple(f"{output.prefix}{line}" if line else output.prefix.rstrip() for line in lines)
    return Edit(
        output.first_line, output.close_line - 1, rendered, f"output block at line {output.open_line}"
    )


def block_edits(block: Block, outcome: BlockOutcome) -> list[Edit]:
    """Edits for one block from its outcome: groups it reached, its output block unless it crashed."""
    edits = [
        checkpoint_edit(checkpoint, printed)
        for checkpoint, printed in zip(block.checkpoints, outcome.segments, strict=False)
        if printed is not None
    ]
    if block.output is not None and not outcome.unexpected and outcome.status != "skipped":
        edits.append(output_edit(block.output, outcome.stdout))
    return [edit for edit in edits if edit is not None]


def count_edit(page: Page) -> Edit | None:
    """Raise (or add) ``executable_blocks`` in the front matter when the page runs more blocks."""
    actual = len(page.executable)
    if page.executable_blocks is not None and page.executable_blocks >= actual:
        return None
    line = f"executable_blocks: {actual}"
    what = f"executable_blocks: {page.executable_blocks} -> {actual}"
    if page.executable_blocks_line is not None:
        return Edit(page.executable_blocks_line, page.executable_blocks_line, (line,), what)
    if page.front_matter_end is not None:
        return Edit(page.front_matter_end, page.front_matter_end - 1, (line,), what)
    return Edit(1, 0, ("---", line, "---", ""), what)


def page_edits(page: Page, outcomes: Sequence[BlockOutcome]) -> list[Edit]:
    """Every edit ``page`` needs, given the outcomes of its blocks."""
    edits = [edit for outcome in outcomes for edit in block_edits(page.blocks[outcome.index], outcome)]
    count = count_edit(page)
    return [*edits, count] if count else edits


def apply_edits(text: str, edits: Sequence[Edit]) -> str:
    """``text`` with ``edits`` applied (they must not overlap), line endings kept."""
    lines = text.splitlines(keepends=True)
    newline = "\r\n" if lines and lines[0].endswith("\r\n") else "\n"
    for edit in sorted(edits, key=lambda e: (e.first, e.last), reverse=True):
        replaced = lines[edit.first - 1 : edit.last]
        new = [line + newline for line in edit.lines]
        if replaced and new and not replaced[-1].endswith(("\n", "\r")):
            new[-1] = new[-1].rstrip("\r\n")
        lines[edit.first - 1 : edit.last] = new
    return "".join(lines)


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path``'s content with ``text`` in one step (a reader never sees half a file)."""
    path = Path(path)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
        os.chmod(temporary, path.stat().st_mode & 0o777)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def update_page(page: Page, outcomes: Sequence[BlockOutcome]) -> list[Edit]:
    """Rewrite ``page``'s file where its expected output or block count is stale; the edits made."""
    edits = page_edits(page, outcomes)
    if edits:
        path = Path(page.path)
        # newline="" on both sides keeps the file's own line endings.
        with open(path, encoding="utf-8", newline="") as stream:
            text = stream.read()
        write_atomically(path, apply_edits(text, edits))
    return edits
