"""What a documentation page is once parsed: its front matter and its code blocks with their expectations."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

SERVERS = ("embedded", "mlflow", "basic-auth")
ROLES = ("admin", "reader", "anonymous")
DEFAULT_SERVER = "embedded"
DEFAULT_ROLE = "admin"
# applies / xfail: version ranges a matrix cell reads (hokusai_contracts.verify.known_differences).
ATTRIBUTES = ("skip", "server", "role", "raises", "applies", "xfail")
FRONT_MATTER_KEYS = ("title", "server", "unique_names", "executable_blocks")


@dataclass(frozen=True)
class Checkpoint:
    """A ``#>`` group in a block: lines ``first_line``..``last_line`` of the Markdown file."""

    first_line: int
    last_line: int
    expected: tuple[str, ...]
    prefix: str = ""  # what stands before ``#>`` on the Markdown line (list indentation)


@dataclass(frozen=True)
class OutputBlock:
    """An ``output`` fence right after a block: the whole of what the block must print."""

    open_line: int
    expected: tuple[str, ...]
    close_line: int | None  # None when the fence runs to the end of the file
    prefix: str = ""

    @property
    def first_line(self) -> int:
        """The first content line."""
        return self.open_line + 1


@dataclass(frozen=True)
class Setup:
    """Hidden setup code (``<!-- snippet-setup ... -->``) run before the next block."""

    code: str
    start_line: int


@dataclass(frozen=True)
class Block:
    """One fenced ``python`` block: its code, where it is, and what it must do.

    ``start_line`` is the Markdown line of the first code line; ``fence_line`` that of the opening fence.
    """

    index: int
    code: str
    fence_line: int
    start_line: int
    heading: str = ""
    server: str = DEFAULT_SERVER
    role: str | None = None
    raises: str | None = None
    skip: str | None = None
    applies: str | None = None  # e.g. "server>=3": the matrix checks the block only there
    xfail: str | None = None  # e.g. "server<3: why": a known difference there
    checkpoints: tuple[Checkpoint, ...] = ()
    output: OutputBlock | None = None
    setup: tuple[Setup, ...] = ()
    prefix: str = ""

    @property
    def executable(self) -> bool:
        """True unless the block is marked ``skip``."""
        return self.skip is None

    @property
    def needs_server(self) -> bool:
        """True when the block runs against a live server."""
        return self.server != "embedded"

    @property
    def node_name(self) -> str:
        """``<heading-slug>::L<line>``: the block's name under its page."""
        return f"{slug(self.heading)}::L{self.fence_line}"


@dataclass(frozen=True)
class Page:
    """A documentation page: front matter values and its ``python`` blocks in order."""

    path: Path
    blocks: tuple[Block, ...] = ()
    title: str | None = None
    server: str = DEFAULT_SERVER
    unique_names: tuple[str, ...] = ()
    executable_blocks: int | None = None
    # Where the front matter is (for docs-update): its closing ``---`` line and the count's line.
    front_matter_end: int | None = None
    executable_blocks_line: int | None = None
    front_matter_lines: dict[str, int] = field(default_factory=dict)

    @property
    def executable(self) -> list[Block]:
        """The blocks that run (not skipped)."""
        return [block for block in self.blocks if block.executable]

    @property
    def needs_server(self) -> set[str]:
        """The servers the page's executable blocks need."""
        return {block.server for block in self.executable if block.needs_server}


def slug(text: str) -> str:
    """A heading as a node-id-friendly slug: ``Register a model`` -> ``register-a-model``."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "top"
