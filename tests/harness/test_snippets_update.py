"""docs-update: stale expected output rewritten in place, nothing else touched, and the result passes."""

from __future__ import annotations

import textwrap

from snippets_support import run_in_process, write_page
from typer.testing import CliRunner

from hokusai_contracts.checks.snippets.execute import PASSED
from hokusai_contracts.checks.snippets.parse import parse_page
from hokusai_contracts.checks.snippets.update import apply_edits, update_page
from hokusai_contracts.cli.app import build_app

STALE = """\
---
title: Update me
unique_names: [lead-scoring]
executable_blocks: 1
---
# Outputs

Prose stays exactly as it is.<HARD-BREAK>
```python
name = "lead-scoring"
print(f"registered {name}")
#> registered something-else
print("run", "8f3a9c", "ok")
#> run <ANY> ok
```

1. In a list:

   ```python
   print("a")
   print("")
   print("b")
   #> old
   ```

```python
for i in range(3):
    print(i)
```

```output
0
9
```

```bash
echo "#> not python: never touched"
```
"""

UPDATED = """\
---
title: Update me
unique_names: [lead-scoring]
executable_blocks: 3
---
# Outputs

Prose stays exactly as it is.<HARD-BREAK>
```python
name = "lead-scoring"
print(f"registered {name}")
#> registered lead-scoring
print("run", "8f3a9c", "ok")
#> run <ANY> ok
```

1. In a list:

   ```python
   print("a")
   print("")
   print("b")
   #> a
   #>
   #> b
   ```

```python
for i in range(3):
    print(i)
```

```output
0
1
2
```

```bash
echo "#> not python: never touched"
```
"""
# Trailing spaces (a Markdown hard break) must survive too; written this way so the source has none.
STALE, UPDATED = (text.replace("<HARD-BREAK>", "   ") for text in (STALE, UPDATED))


def run_and_update(path, workdir):
    page = parse_page(path)
    outcomes = run_in_process(page, workdir)
    return outcomes, update_page(page, outcomes)


def test_round_trip_rewrites_only_stale_output(tmp_path):
    path = write_page(tmp_path, STALE)
    outcomes, edits = run_and_update(path, tmp_path / "w1")
    assert [o.status for o in outcomes] == ["failed", "failed", "failed"]
    assert [e.what for e in edits] == [
        "#> at line 12",
        "#> at line 23",
        "output block at line 31",
        "executable_blocks: 1 -> 3",
    ]
    assert path.read_text() == UPDATED
    # Run again: everything passes and nothing is rewritten.
    outcomes, edits = run_and_update(path, tmp_path / "w2")
    assert [o.status for o in outcomes] == [PASSED] * 3 and edits == []
    assert path.read_text() == UPDATED


def test_a_block_that_crashes_keeps_what_it_never_reached(tmp_path):
    text = textwrap.dedent(
        """\
        ---
        executable_blocks: 1
        ---
        ```python
        print("reached")
        #> stale
        raise RuntimeError("boom")
        print("never")
        #> stays
        ```

        ```output
        stays too
        ```
        """
    )
    path = write_page(tmp_path, text)
    _, edits = run_and_update(path, tmp_path / "w")
    assert path.read_text() == text.replace("#> stale", "#> reached")
    assert [e.what for e in edits] == ["#> at line 6"]


def test_front_matter_is_added_and_line_endings_are_kept(tmp_path):
    path = tmp_path / "crlf.md"
    path.write_bytes(b"# Title\r\n\r\n```python\r\nprint(1)\r\n#> 2\r\n```\r\n")
    run_and_update(path, tmp_path / "w")
    assert path.read_bytes() == (
        b"---\r\nexecutable_blocks: 1\r\n---\r\n\r\n# Title\r\n\r\n```python\r\nprint(1)\r\n#> 1\r\n```\r\n"
    )


def test_apply_edits_without_a_final_newline():
    from hokusai_contracts.checks.snippets.update import Edit

    assert apply_edits("a\nb", [Edit(2, 2, ("c", "d"))]) == "a\nc\nd"


def test_cli_docs_update_rewrites_and_reports(tmp_path):
    contracts = tmp_path / "contracts"
    page = write_page(contracts / "docs", "---\nexecutable_blocks: 1\n---\n```python\nprint(2)\n#> 1\n```\n")
    write_page(
        contracts / "docs",
        "# The authoring guide is not a page\n\n```python\nraise SystemExit\n```\n",
        "README.md",
    )
    runner = CliRunner()
    result = runner.invoke(build_app(), ["docs-update", "--contracts", str(contracts)])
    assert result.exit_code == 0, result.output
    assert "rewrote #> at line 6" in result.output
    assert page.read_text().endswith("print(2)\n#> 2\n```\n")
    result = runner.invoke(build_app(), ["docs-update", "--contracts", str(contracts), str(page)])
    assert result.exit_code == 0 and "up to date" in result.output

    page.write_text("---\nexecutable_blocks: 1\n---\n```python\nprint(undefined)\n```\n")
    result = runner.invoke(build_app(), ["docs-update", "--contracts", str(contracts)])
    assert result.exit_code == 1
    assert "DOC001" in result.output and "NameError" in result.output
