"""A progress bar per matrix cell: building its environment, then one step per check family.

On a terminal, rich bars (one per cell, updated from the threads that run the cells); elsewhere (CI
logs), one plain line per step.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.text import Text

from hokusai_contracts.findings import Finding


class CellTracker:
    """One cell's bar: :meth:`step` while its environment builds, :meth:`start` / :meth:`finish` per
    family (the protocol :func:`verify.server_run.run_with_provisioner` reports to), :meth:`done`."""

    def __init__(self, owner: MatrixProgress, label: str, task: TaskID | None):
        self._owner, self._label, self._task = owner, label, task

    def step(self, text: str) -> None:
        """Show what the cell is doing now."""
        self._owner.update(self._task, self._label, text, advance=0)

    def start(self, family: str) -> None:
        """A family starts."""
        self._owner.update(self._task, self._label, family, advance=0)

    def finish(self, family: str, findings: Sequence[Finding]) -> None:
        """A family finished."""
        failed = sum(1 for f in findings if f.failed)
        self._owner.update(self._task, self._label, f"{family} done ({failed} failed)", advance=1)

    def done(self, text: str) -> None:
        """The cell finished, with ``text`` as its outcome."""
        self._owner.update(self._task, self._label, text, advance=0, complete=True)


class MatrixProgress:
    """The bars of every cell of a run; use as a context manager."""

    def __init__(self, console: Console, steps_per_cell: int, enabled: bool = True):
        self._console = console
        self._enabled = enabled
        self._live = enabled and console.is_terminal
        self._steps = steps_per_cell
        self._lock = threading.Lock()
        self._progress = Progress(
            TextColumn("{task.fields[cell]}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=console,
        )

    def __enter__(self) -> MatrixProgress:
        if self._live:
            self._progress.start()
        return self

    def __exit__(self, *exc_info) -> None:
        if self._live:
            self._progress.stop()

    def cell(self, label: str) -> CellTracker:
        """A new bar for the cell ``label`` (one step for its environment, one per family)."""
        task = None
        if self._live:
            task = self._progress.add_task("waiting", total=self._steps, cell=label)
        return CellTracker(self, label, task)

    def update(
        self, task: TaskID | None, label: str, text: str, *, advance: int, complete: bool = False
    ) -> None:
        """Move ``task`` on (or print a line when not on a terminal)."""
        with self._lock:
            if task is not None:
                if complete:
                    self._progress.update(task, description=text, completed=self._steps)
                else:
                    self._progress.update(task, description=text, advance=advance)
            elif self._enabled:
                self._console.print(Text(f"[{label}] {text}"), soft_wrap=True)
