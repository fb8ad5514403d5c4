"""The order units start in: how long each took when last run here, longest first (a hint only)."""

from __future__ import annotations

from pathlib import Path

from hokusai_contracts.checks.snippets.family import longest_first
from hokusai_contracts.verify.result_cache import DURATIONS_NAME, ResultCache, ResultStore


def test_durations_outlive_the_run_and_put_the_longest_pages_first(tmp_path: Path):
    root = tmp_path / "results"
    pages = [Path("docs/a.md"), Path("docs/b.md"), Path("docs/c.md"), Path("docs/new.md")]
    first = ResultCache(ResultStore(root))
    for page, seconds in zip(pages[:3], (2.0, 9.5, 4.0), strict=True):
        first.took("snippets", str(page), seconds)
    # The next run (another cache object, read or not): a page never timed goes first, in its place.
    for read in (True, False):
        again = ResultCache(ResultStore(root), read=read)
        assert again.expected_seconds("snippets", "docs/b.md") == 9.5
        assert longest_first(pages, again) == [Path("docs/new.md"), pages[1], pages[2], pages[0]]
    assert not list(root.glob("*.json"))  # not an entry: eviction and entry readers never see it
    assert (root / DURATIONS_NAME).is_file()


def test_without_a_cache_or_with_a_damaged_record_the_order_stays(tmp_path: Path):
    pages = [Path("docs/b.md"), Path("docs/a.md")]
    assert longest_first(pages, None) == pages
    root = tmp_path / "results"
    root.mkdir()
    (root / DURATIONS_NAME).write_text("{not json")
    assert longest_first(pages, ResultCache(ResultStore(root))) == pages
    assert ResultCache(None).expected_seconds("snippets", "docs/a.md") is None
    ResultCache(None).took("snippets", "docs/a.md", 1.0)  # nowhere to keep it: nothing, no error
