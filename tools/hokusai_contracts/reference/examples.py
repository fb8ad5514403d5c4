"""Which documentation blocks use which contracted objects: the examples shown under each entry.

The API cross-check already resolves every ``hokusai`` name a page's code uses (imports, attribute chains,
members of instances it can type); here the same walk records what it resolved, block by block, instead of
what it could not.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from hokusai_contracts.model import Api, ApiObject
from hokusai_contracts.snippets.crosscheck import ApiIndex, _Binding, _Object, _Visitor
from hokusai_contracts.snippets.family import subject
from hokusai_contracts.snippets.model import Block, Page


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


@dataclass
class _RecordingIndex(ApiIndex):
    """The cross-check's index, telling ``on_member`` about every member it finds."""

    on_member: Callable[[ApiObject], None] = lambda member: None

    @classmethod
    def of(cls, index: ApiIndex, on_member: Callable[[ApiObject], None]) -> _RecordingIndex:
        """``index`` with the callback."""
        return cls(index.package, index.modules, index.objects, on_member)

    def member(self, owner: ApiObject, name: str, seen: frozenset[str] = frozenset()) -> ApiObject | None:
        found = super().member(owner, name, seen)
        if found is not None and not seen:
            self.on_member(found)
        return found


class _UsageVisitor(_Visitor):
    """The cross-check's walk, remembering each contracted object a block resolves to."""

    def __init__(self, index: ApiIndex):
        super().__init__(_RecordingIndex.of(index, self._record_member))
        self.used: dict[int, set[str]] = {}

    def _record_member(self, member: ApiObject) -> None:
        # Properties and attributes end the cross-check's chain (their type is unknown): seen here.
        self.used.setdefault(self.block, set()).add(member.path)

    def _record(self, binding: _Binding | None) -> _Binding | None:
        if isinstance(binding, _Object):
            self.used.setdefault(self.block, set()).add(binding.obj.path)
        return binding

    def resolve(self, node: ast.expr) -> _Binding | None:
        return self._record(super().resolve(node))

    def _resolve_path(self, node: ast.AST, path: str) -> _Binding | None:
        return self._record(super()._resolve_path(node, path))


def _used_by_block(page: Page, index: ApiIndex) -> dict[int, set[str]]:
    visitor = _UsageVisitor(index)
    for block in page.blocks:
        visitor.block = block.index
        for setup in block.setup:
            _visit(visitor, setup.code, setup.start_line)
        visitor.used.pop(block.index, None)  # hidden setup code is not what the reader sees
        _visit(visitor, block.code, block.start_line)
    return visitor.used


def _visit(visitor: _Visitor, code: str, start_line: int) -> None:
    try:
        tree = ast.parse("\n" * (start_line - 1) + code)
    except SyntaxError:
        return  # the snippets family reports it
    visitor.visit(tree)


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
        for block_index, paths in sorted(_used_by_block(page, index).items()):
            example = _example(page, page.blocks[block_index])
            for path in paths:
                found.setdefault(path, []).append(example)
    return found
