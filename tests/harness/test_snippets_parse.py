"""Parsing documentation pages: blocks, attributes (fence and comment), front matter, expected output,
hidden setup, and malformed pages as ContractError with FILE:LINE. Pure: no SDK, no server."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from hokusai_contracts.base.errors import ContractError
from hokusai_contracts.checks.snippets.model import slug
from hokusai_contracts.checks.snippets.parse import parse_text

PAGE = Path("docs/page.md")


def parse(text: str):
    return parse_text(textwrap.dedent(text), PAGE)


def problems(text: str) -> str:
    with pytest.raises(ContractError) as caught:
        parse(text)
    return str(caught.value)


def test_front_matter_and_blocks_with_lines():
    page = parse(
        """\
        ---
        title: Quickstart
        server: mlflow
        unique_names: [lead-scoring, churn]
        executable_blocks: 2
        ---
        # Register

        ```python
        x = 1
        ```

        ```bash
        pip install hokusai
        ```

        ## Read back

        ```python server=embedded
        print(x)
        ```
        """
    )
    assert (page.title, page.server, page.unique_names, page.executable_blocks) == (
        "Quickstart",
        "mlflow",
        ("lead-scoring", "churn"),
        2,
    )
    assert page.executable_blocks_line == 5 and page.front_matter_end == 6
    first, second = page.blocks
    assert (first.fence_line, first.start_line, first.code, first.heading, first.server) == (
        9,
        10,
        "x = 1\n",
        "Register",
        "mlflow",  # the page's default
    )
    assert (second.fence_line, second.heading, second.server) == (19, "Read back", "embedded")
    assert second.node_name == "read-back::L19"


def test_attributes_in_fence_and_comment_quoted_values():
    page = parse(
        """\
        <!-- snippet: server=basic-auth role=reader -->
        ```python raises=AuthorizationError
        registry.register_baseline(model=m, model_name="x")
        ```

        ```python skip="needs AWS credentials"
        import boto3
        ```
        """
    )
    guarded, skipped = page.blocks
    assert (guarded.server, guarded.role, guarded.raises, guarded.skip) == (
        "basic-auth",
        "reader",
        "AuthorizationError",
        None,
    )
    assert skipped.skip == "needs AWS credentials" and not skipped.executable
    assert [b.index for b in page.executable] == [0]


def test_expected_output_hash_lines_and_output_block():
    page = parse(
        """\
        ```python
        print("a")
        print("b")
        #> a
        #> b
        for i in range(2):
            print(i)
        #> 0
        #>
        ```

        ```output
        a
        b
        0
        ```
        """
    )
    (block,) = page.blocks
    assert [(c.first_line, c.last_line, c.expected) for c in block.checkpoints] == [
        (4, 5, ("a", "b")),
        (8, 9, ("0", "")),
    ]
    assert block.output.expected == ("a", "b", "0")
    assert (block.output.open_line, block.output.close_line) == (12, 16)


def test_hidden_setup_attaches_to_the_next_block():
    page = parse(
        """\
        Some prose.

        <!-- snippet-setup
        import math
        radius = 2
        -->

        ```python
        print(math.pi * radius**2)
        ```
        """
    )
    (block,) = page.blocks
    assert [(s.code, s.start_line) for s in block.setup] == [("import math\nradius = 2\n", 4)]


def test_indented_block_in_a_list_keeps_its_lines_and_prefix():
    page = parse(
        """\
        1. Register:

           ```python
           print(1)
           #> 1
           ```
        """
    )
    (block,) = page.blocks
    assert block.code == "print(1)\n#> 1\n"
    assert block.start_line == 4 and block.checkpoints[0].first_line == 5
    assert block.prefix == "   " and block.checkpoints[0].prefix == "   "


@pytest.mark.parametrize(
    ("text", "line", "expected"),
    [
        (
            "```python sever=mlflow\nx = 1\n```\n",
            1,
            "unknown snippet attribute 'sever'; valid attributes: skip",
        ),
        (
            "\n<!-- snippet: colour=red -->\n```python\nx = 1\n```\n",
            2,
            "valid attributes: skip, server, role",
        ),
        ("```python skip\nx = 1\n```\n", 1, "'skip' needs a value"),
        ('```python skip=""\nx = 1\n```\n', 1, "skip needs a reason"),
        ("```python server=cloud\nx = 1\n```\n", 1, "server='cloud' is invalid"),
        ("```python role=reader\nx = 1\n```\n", 1, "role= applies to server=basic-auth only"),
        ("```python raises=not.a.name\nx = 1\n```\n", 1, "expected an exception class name"),
        ('```python skip="unclosed\nx = 1\n```\n', 1, "cannot read the snippet attributes"),
        ("<!-- snippet: server=mlflow -->\n\nProse.\n", 1, "must come right before a ```python block"),
        ("```text\nx\n```\n\n```output\nx\n```\n", 5, "must come right after a ```python block"),
        ("```py\nx = 1\n```\n", 1, "```py is not executed"),
        ("```python\nif True:\n    x = 1\n    #> 1\n```\n", 4, "must start at column 0"),
        ("---\ntitle: [unclosed\n---\n", 2, "front matter is not valid YAML"),
        ("---\nexecutable_blocks: many\n---\n", 2, "front matter executable_blocks: 'many' is invalid"),
        ("---\ntitel: x\n---\n", 2, "unknown front matter key 'titel'; valid keys: title, server"),
        ("---\nunique_names: [has space]\n---\n", 2, "front matter unique_names"),
    ],
)
def test_malformed_pages_name_file_and_line(text, line, expected):
    message = problems(text)
    assert message.startswith(f"docs/page.md:{line}: ")
    assert expected in message


def test_every_problem_of_a_page_is_reported_at_once():
    message = problems("```python sever=x\nx = 1\n```\n\n```python rol=y\nx = 2\n```\n")
    assert "docs/page.md:1: unknown snippet attribute 'sever'" in message
    assert "docs/page.md:5: unknown snippet attribute 'rol'" in message


def test_slug():
    assert slug("Register a model (v2)") == "register-a-model-v2"
    assert slug("") == "top"
