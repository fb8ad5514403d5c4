"""One run of a page per server pool for the same text and interpreter (the docs family and the release
diff's behaviour comparison share it), and the memo underneath it."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import pytest
from snippets_support import write_page

from hokusai_contracts.base.memo import RunMemo
from hokusai_contracts.checks.snippets.execute import FAILED, PASSED
from hokusai_contracts.checks.snippets.parse import parse_page
from hokusai_contracts.checks.snippets.run import shared_page_run, shared_page_run_timed
from hokusai_contracts.servers.pool import ServerPool


def test_the_memo_computes_a_key_once_while_others_wait():
    memo = RunMemo()
    calls: list[int] = []

    def slow() -> int:
        calls.append(1)
        time.sleep(0.2)
        return 42

    results: list[int] = []
    threads = [
        threading.Thread(target=lambda: results.append(memo.get_or_compute("k", slow))) for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [42] * 4 and len(calls) == 1
    assert memo.get_or_compute("other", lambda: 7) == 7 and len(memo) == 2


def test_the_memo_forgets_a_computation_that_raised():
    memo = RunMemo()

    def broken() -> int:
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError, match="interrupted"):
        memo.get_or_compute("k", broken)
    assert memo.get_or_compute("k", lambda: 1) == 1


PAGE = """\
```python
import os
print(os.getpid())
```

```python
raise KeyError("missing")
```
"""


def test_a_copy_of_a_page_is_answered_from_the_first_run_with_its_own_file_name(tmp_path: Path):
    first = parse_page(write_page(tmp_path / "docs", PAGE))
    copy_dir = tmp_path / "release" / "docs"
    copy_dir.mkdir(parents=True)
    copy = parse_page(Path(shutil.copy(first.path, copy_dir / Path(first.path).name)))
    with ServerPool() as pool:
        ran = shared_page_run(first, pool)
        again = shared_page_run(copy, pool)
        other_text = copy_dir / "other.md"
        other_text.write_text(PAGE.replace("missing", "absent"))
        different = shared_page_run(parse_page(other_text), pool)
    assert [o.status for o in ran] == [PASSED, FAILED]
    # One process ran both copies: the same pid printed; the traceback names each copy's own file.
    assert again[0].stdout == ran[0].stdout
    assert str(Path(first.path).resolve()) in ran[1].traceback
    assert str(Path(copy.path).resolve()) in again[1].traceback
    assert str(Path(first.path).resolve()) not in again[1].traceback
    # Different text: a run of its own.
    assert different[0].stdout != ran[0].stdout and "absent" in different[1].message


def test_a_cleared_memo_computes_again():
    # verify clears the pool's memo when a server died under a family: the re-run runs the pages again.
    memo = RunMemo()
    assert memo.get_or_compute("k", lambda: "before") == "before"
    memo.clear()
    assert memo.get_or_compute("k", lambda: "after") == "after" and len(memo) == 1


SLOW_PAGE = """\
```python
import time
time.sleep(1.5)
```
"""


def test_a_page_answered_from_anothers_run_is_told_how_long_that_run_took(tmp_path: Path):
    # The next run's order uses that time: the wait for a run already going says nothing about the page.
    page = parse_page(write_page(tmp_path / "docs", SLOW_PAGE))
    timed: list[float] = []
    with ServerPool() as pool:
        first = threading.Thread(target=lambda: timed.append(shared_page_run_timed(page, pool)[1]))
        first.start()
        time.sleep(1.0)  # the run is going: the second caller waits for it, well under its 1.5 s
        started = time.monotonic()
        _, seconds = shared_page_run_timed(page, pool)
        waited = time.monotonic() - started
        first.join()
    assert seconds == timed[0] >= 1.5 and waited < seconds
