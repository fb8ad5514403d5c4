"""Which documentation blocks use which contracted objects: the examples shown under each entry.

The API cross-check resolves every ``hokusai`` name a page's code uses (imports, attribute chains,
members of instances it can type); :func:`~hokusai_contracts.checks.snippets.crosscheck.used_objects`
gives what that walk resolved, block by block.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from hokusai_contracts.checks.snippets.crosscheck import ApiIndex, used_objects
from hokusai_contracts.checks.snippets.family import subject
from hokusai_contracts.checks.snippets.model import Block, Page
from hokusai_contracts.contract.model import Api


@dataclass(frozen=True)
class Example:
    """One block of a documentation page that uses an object."""

    page: str  # file name, e.g. ``registering-models.md``
    page_title: str
    heading: str
    line: int  # the opening fence's line
    # Which of the blocks under its heading (1-based) and how many there are: names a block without its
    # line number, which every edit above it would change.
    position: int
    blocks_under_heading: int
    code: str
    subject: str  # the block's name in verify reports: ``<page>::<heading-slug>::L<line>``
    skip: str | None = None


def _example(page: Page, block: Block) -> Example:
    siblings = [other.index for other in page.blocks if other.heading == block.heading]
    return Example(
        page=Path(page.path).name,
        page_title=page.title or Path(page.path).stem,
        heading=block.heading,
        line=block.fence_line,
        position=siblings.index(block.index) + 1,
        blocks_under_heading=len(siblings),
        code=block.code,
        subject=subject(page, block),
        skip=block.skip,
    )


def examples_by_object(api: Api, pages: Iterable[Page]) -> dict[str, list[Example]]:
    """Object path -> the blocks that use it, by page name then line."""
    index = ApiIndex.from_api(api)
    found: dict[str, list[Example]] = {}
    for page in sorted(pages, key=lambda p: Path(p.path).name):
        for block_index, paths in sorted(used_objects(page, index).items()):
            example = _example(page, page.blocks[block_index])
            for path in paths:
                found.setdefault(path, []).append(example)
    return found
