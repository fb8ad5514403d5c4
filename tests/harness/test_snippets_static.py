"""What reading a page finds without running it: uncontracted names (DOC003), lint (DOC004), a dropped
block count (DOC005); and the repository's own pages pass all three against the real contract."""

from __future__ import annotations

from pathlib import Path

import pytest
from harness_support import REPO
from snippets_support import write_page

from hokusai_contracts.base.errors import ContractError
from hokusai_contracts.checks.snippets.crosscheck import ApiIndex, uncontracted_names
from hokusai_contracts.checks.snippets.family import count_finding, discover, static_findings
from hokusai_contracts.checks.snippets.lint import lint_page
from hokusai_contracts.checks.snippets.parse import parse_page
from hokusai_contracts.contract.model import Api, ApiModule, ApiObject, ObjectKind, Parameter, ParameterKind
from hokusai_contracts.contract.store import load_contracts

POK = ParameterKind.POSITIONAL_OR_KEYWORD
# Pages in tmp dirs are outside the project: lint them with its configuration explicitly.
PROJECT_CONFIG = REPO / "pyproject.toml"


def _method(path: str, *names: str) -> ApiObject:
    return ApiObject(path, ObjectKind.METHOD, parameters=[Parameter(n, POK) for n in names])


SYNTHETIC = Api(
    "hokusai",
    modules=[
        ApiModule(
            "hokusai",
            objects=[
                ApiObject(
                    "hokusai.core.ModelRegistry",
                    ObjectKind.CLASS,
                    export_paths=["hokusai.ModelRegistry", "hokusai.core.ModelRegistry"],
                    parameters=[Parameter("tracking_uri", POK, default="None")],
                    members=[
                        _method(
                            "hokusai.core.ModelRegistry.register_tokenized_model", "model_uri", "token_id"
                        ),
                        ApiObject("hokusai.core.ModelRegistry.tracking_uri", ObjectKind.PROPERTY),
                    ],
                ),
                ApiObject(
                    "hokusai.core.VersionManager",
                    ObjectKind.CLASS,
                    export_paths=["hokusai.VersionManager"],
                    parameters=[Parameter("registry", POK)],
                    members=[_method("hokusai.core.VersionManager.latest", "name")],
                ),
            ],
        ),
        ApiModule("hokusai.core"),
        ApiModule("hokusai.tracking"),
    ],
)


@pytest.fixture(scope="module")
def index() -> ApiIndex:
    return ApiIndex.from_api(SYNTHETIC)


def references(tmp_path: Path, index: ApiIndex, text: str) -> list[tuple[int, str, str | None]]:
    page = parse_page(write_page(tmp_path, text))
    return [(r.line, r.name, r.suggestion) for r in uncontracted_names(page, index)]


def test_contracted_names_pass(tmp_path, index):
    assert (
        references(
            tmp_path,
            index,
            """\
            ```python
            import hokusai
            import hokusai.tracking as tracking
            from hokusai import ModelRegistry, VersionManager
            from hokusai.core import ModelRegistry as Registry

            registry = ModelRegistry("sqlite:///x.db")
            registry.register_tokenized_model("models:/m/1", token_id="LSCOR")
            print(registry.tracking_uri.startswith("sqlite"), registry.__class__)
            VersionManager(registry).latest("m")
            hokusai.ModelRegistry.register_tokenized_model
            Registry(tracking_uri=None)
            ```
            """,
        )
        == []
    )


def test_uncontracted_names_are_doc003_even_when_they_would_run(tmp_path, index):
    found = references(
        tmp_path,
        index,
        """\
        ```python
        import hokusai
        from hokusai import ModelRegistry, ModelRegistryEntry
        from hokusai.core._store import RegistryStore

        registry = ModelRegistry()
        registry.register_model("runs:/x/model")
        ```

        Later on the page, the same instance:

        ```python
        hokusai.VersionManager(registry).latests("m")
        registry.register_tokenized_model("models:/m/1", token="LSCOR")
        ModelRegistry("a", "b")
        hokusai.tracking.ExperimentTracker
        ```
        """,
    )
    assert found == [
        (3, "hokusai.ModelRegistryEntry", "ModelRegistry"),
        (4, "hokusai.core._store", None),
        (7, "hokusai.core.ModelRegistry.register_model", "register_tokenized_model"),
        (13, "hokusai.core.VersionManager.latests", "latest"),
        (14, "hokusai.core.ModelRegistry.register_tokenized_model(token=...)", "token_id"),
        (15, "hokusai.core.ModelRegistry(2 positional arguments)", None),
        (16, "hokusai.tracking.ExperimentTracker", None),
    ]


def test_rebinding_and_parameters_end_what_the_checker_knows(tmp_path, index):
    assert (
        references(
            tmp_path,
            index,
            """\
            ```python
            from hokusai import ModelRegistry

            registry = ModelRegistry()
            registry = {"anything": 1}
            registry.items()


            def use(registry):
                return registry.whatever()


            for registry in [1]:
                registry.bit_length()
            ```
            """,
        )
        == []
    )


def test_other_packages_are_not_checked(tmp_path, index):
    text = "```python\nimport os\nfrom pathlib import Path\nos.path.joinn\nPath.cwdd\n```\n"
    assert references(tmp_path, index, text) == []


def test_lint_findings_point_at_the_markdown_line(tmp_path):
    page = parse_page(
        write_page(
            tmp_path,
            """\
            # Lint

            ```python
            import sys
            import os
            l = 1
            ```

            ```python
            print(registry, os)  # defined and imported in the block above: not reported
            I = 1  # noqa: E741
            if I == None:
                pass
            ```
            """,
        )
    )
    issues = [(i.block, i.line, i.code) for i in lint_page(page, config=PROJECT_CONFIG)]
    assert issues == [(0, 4, "I001"), (0, 6, "E741"), (1, 12, "E711")]
    findings = static_findings(page, None, config=PROJECT_CONFIG)
    assert [(f.rule, str(f.location)) for f in findings][:1] == [("DOC004", f"{page.path}:4")]
    assert findings[0].subject == "page.md::lint::L3"


def test_count_drop_is_doc005_naming_the_page(tmp_path):
    text = """\
        ---
        executable_blocks: 3
        ---
        ```python
        x = 1
        ```

        ```py
        y = 2
        ```
        """
    with pytest.raises(ContractError, match="```py is not executed"):
        parse_page(write_page(tmp_path, text))
    page = parse_page(write_page(tmp_path, text.replace("```py\n", "```text\n")))
    finding = count_finding(page)
    assert finding.failed and finding.rule == "DOC005"
    assert (finding.subject, finding.location.line) == ("page.md", 2)
    assert finding.message.startswith("1 executable python block(s), the page records 3")


def test_count_must_be_recorded_and_may_grow(tmp_path):
    missing = parse_page(write_page(tmp_path, "```python\nx = 1\n```\n", "a.md"))
    assert count_finding(missing).failed and "does not record" in count_finding(missing).message
    grown = parse_page(
        write_page(tmp_path, "---\nexecutable_blocks: 0\n---\n```python\nx = 1\n```\n", "b.md")
    )
    assert not count_finding(grown).failed and "docs-update" in count_finding(grown).message


def test_repository_pages_read_clean_against_the_real_contract():
    contract = load_contracts(REPO / "contracts" / "api")
    pages = discover(REPO / "contracts" / "docs")
    assert [p.name for p in pages] == ["quickstart.md"] or len(pages) > 1
    for path in pages:
        page = parse_page(path)
        assert not count_finding(page).failed, path
        assert [f for f in static_findings(page, ApiIndex.from_api(contract)) if f.failed] == [], path
