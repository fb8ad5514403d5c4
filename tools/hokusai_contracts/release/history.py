"""``diff --history <repo>[:<subdir>] [--since REF]``: diff every consecutive pair of commits that
touched the package, oldest first, into one :class:`~hokusai_contracts.reports.history.History`.

Each commit is resolved once (as a ``git:<repo>@<commit>[:<subdir>]`` side) and serves as NEW of one
pair and OLD of the next. A commit whose package does not import is a row saying so, not an abort.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from hokusai_contracts.base.errors import HarnessError, HarnessUsageError
from hokusai_contracts.base.git_refs import commit_of
from hokusai_contracts.diff.accepted import AcceptedBreak
from hokusai_contracts.diff.sides import Side, resolve_side
from hokusai_contracts.release.run import diff_findings
from hokusai_contracts.reports.history import History, HistoryPair


def parse_history_source(source: str) -> tuple[Path, str]:
    """(repository, subdir) of ``<repo>[:<subdir>]``; HarnessUsageError when it is no git repository."""
    repo, _, subdir = source.partition(":")
    repository = Path(repo or ".").expanduser().resolve()
    if commit_of("HEAD", repository) is None:
        raise HarnessUsageError(f"--history {source}: {repository} is not a git repository with commits")
    return repository, subdir.strip("/")


def _git(repository: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(repository), *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise HarnessUsageError(f"git {' '.join(args)} in {repository}: {done.stderr.strip()}")
    return done.stdout


def package_commits(repository: Path, subdir: str, package: str, since: str | None = None) -> list[str]:
    """The commits (oldest first, first-parent line of HEAD) that changed the package's files."""
    base = f"{subdir}/" if subdir else ""
    paths = [f"{base}{package}", f"{base}src/{package}"]
    revision = "HEAD"
    if since:
        start = commit_of(since, repository)
        if start is None:
            raise HarnessUsageError(f"--since {since}: not a commit, branch or tag of {repository}")
        revision = f"{start}..HEAD"
    listed = _git(repository, "rev-list", "--reverse", "--first-parent", revision, "--", *paths).split()
    return ([start] if since else []) + listed


def _title(repository: Path, commit: str) -> str:
    return _git(repository, "log", "-1", "--format=%s", commit).strip()


def run_history(
    source: str,
    *,
    package: str = "hokusai",
    since: str | None = None,
    python: str | None = None,
    accepted: list[AcceptedBreak] | None = None,
    progress: Callable[[HistoryPair], None] | None = None,
) -> History:
    """Diff each consecutive pair of commits that touched ``package`` in ``source``."""
    repository, subdir = parse_history_source(source)
    commits = package_commits(repository, subdir, package, since)
    if len(commits) < 2:
        raise HarnessUsageError(
            f"--history {source}: fewer than two commits touch {package}/ "
            f"({'since ' + since if since else 'in its history'}), so there is no pair to diff"
        )
    suffix = f":{subdir}" if subdir else ""
    pairs: list[HistoryPair] = []
    with contextlib.ExitStack() as stack:
        sides: dict[str, Side | str] = {}

        def side(commit: str) -> Side | str:
            if commit not in sides:
                spec = f"git:{repository}@{commit}{suffix}"
                try:
                    resolved = resolve_side(spec, stack, package=package, python=python)
                    sides[commit] = _short_label(resolved, commit)
                except HarnessError as exc:
                    # The first lines say what failed; the traceback would swamp the table.
                    sides[commit] = " ".join(str(exc).splitlines()[:2])
            return sides[commit]

        for old_commit, new_commit in itertools.pairwise(commits):
            started = time.monotonic()
            old, new = side(old_commit), side(new_commit)
            title = _title(repository, new_commit)
            if isinstance(old, str) or isinstance(new, str):
                error = old if isinstance(old, str) else new
                pair = HistoryPair(old_commit[:7], new_commit[:7], title, (), "", 0.0, True, str(error))
            else:
                report = diff_findings(old, new, accepted or [])
                pair = HistoryPair(
                    old_commit[:7],
                    new_commit[:7],
                    title,
                    tuple(report.result.findings),
                    report.verdict.describe(),
                    time.monotonic() - started,
                    report.exit_code == 0,
                )
            pairs.append(pair)
            if progress is not None:
                progress(pair)
    return History(f"{repository}{suffix}", package, tuple(pairs))


def _short_label(side: Side, commit: str) -> Side:
    """``side`` named by its short commit (reports name files ``<commit>:<path>``)."""
    return dataclasses.replace(side, label=commit[:7])
