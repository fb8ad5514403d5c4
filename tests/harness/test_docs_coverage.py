"""Every public class and exception of the SDK appears in at least one runnable documentation example.

"Public" is what ``import hokusai`` exports: the classes of ``hokusai.__all__``, which the committed
contracts (``contracts/api``) must list as class or exception objects with the export path
``hokusai.<Name>``. "Appears" means the name is *used* (not merely imported) in the code of a
``python`` block of ``contracts/docs/*.md`` that runs: skipped blocks and hidden setup code do not
count, because nothing checks that they work. The pages themselves are run by the snippets gate; this
test only makes sure no public class is left without an example.
"""

from __future__ import annotations

import ast
import functools
import inspect
import re
from pathlib import Path

import pytest

import hokusai
from hokusai_contracts.checks.snippets.model import Page
from hokusai_contracts.checks.snippets.parse import parse_page
from hokusai_contracts.contract.model import ObjectKind
from hokusai_contracts.contract.store import load_contracts

REPO = Path(__file__).resolve().parents[2]
CONTRACTS = REPO / "contracts" / "api"
DOCS = REPO / "contracts" / "docs"
# The authoring guide: its examples show the page syntax, they are not pages of the SDK's documentation.
NOT_PAGES = {"README.md"}
CLASS_KINDS = (ObjectKind.CLASS, ObjectKind.EXCEPTION)


@functools.cache
def contracted_public_classes() -> frozenset[str]:
    """Names of the contracted classes and exceptions exported as ``hokusai.<Name>``."""
    names = set()
    for module in load_contracts(CONTRACTS).modules:
        for obj in module.walk():
            if obj.kind not in CLASS_KINDS:
                continue
            for path in obj.export_paths:
                package, _, name = path.partition(".")
                if package == "hokusai" and name and "." not in name:
                    names.add(name)
    return frozenset(names)


def exported_classes() -> set[str]:
    """The classes (exceptions and warnings included) of ``hokusai.__all__``."""
    return {name for name in hokusai.__all__ if inspect.isclass(getattr(hokusai, name))}


@functools.cache
def doc_pages() -> tuple[Page, ...]:
    """Every documentation page, parsed (a malformed page fails here with its file and line)."""
    return tuple(parse_page(path) for path in sorted(DOCS.glob("*.md")) if path.name not in NOT_PAGES)


def used_names(code: str) -> set[str]:
    """Identifiers ``code`` uses: loaded names and attribute names (``hokusai.X``), not bare imports."""
    try:
        tree = ast.parse(code)
    except SyntaxError:  # the snippets gate reports it; fall back to a plain word scan
        return set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", code))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            names.add(node.id)
        elif isinstance(node, ast.Attribute):
            names.add(node.attr)
    return names


@functools.cache
def runnable_usage() -> dict[str, tuple[str, ...]]:
    """Name -> the ``page:line`` of every executable block that uses it."""
    usage: dict[str, list[str]] = {}
    for page in doc_pages():
        for block in page.executable:
            where = f"{page.path.name}:{block.fence_line}"
            for name in used_names(block.code):
                usage.setdefault(name, []).append(where)
    return {name: tuple(places) for name, places in usage.items()}


def test_contracts_list_exactly_the_exported_classes():
    contracted = contracted_public_classes()
    exported = exported_classes()
    assert contracted, f"no class or exception with an export path hokusai.<Name> in {CONTRACTS}"
    assert exported - contracted == set(), (
        "exported from hokusai but not contracted as hokusai.<Name> (run `hokusai-contracts extract`)"
    )
    assert contracted - exported == set(), "contracted as hokusai.<Name> but not in hokusai.__all__"


def test_there_are_pages_with_runnable_blocks():
    pages = doc_pages()
    assert pages, f"no documentation pages in {DOCS}"
    assert sum(len(page.executable) for page in pages) > 0


@pytest.mark.parametrize("name", sorted(contracted_public_classes()))
def test_public_class_appears_in_a_runnable_example(name):
    places = runnable_usage().get(name)
    pages = ", ".join(page.path.name for page in doc_pages())
    assert places, (
        f"hokusai.{name} is not used in any runnable python block of {DOCS.relative_to(REPO)} "
        f"(pages: {pages}); add an example that uses it (skipped blocks and hidden setup do not count)"
    )


def test_used_names_counts_uses_not_imports():
    code = "from hokusai import A, B\nimport hokusai\nB()\nhokusai.C.method()\nx: D = 1\n"
    assert used_names(code) == {"B", "hokusai", "C", "method", "D"}
