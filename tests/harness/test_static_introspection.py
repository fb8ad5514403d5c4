"""The static pass (``introspection/static.py``, ast only) agrees with the import-based reader.

On this repository's ``hokusai/``, the synthetic package and every side of the breaking-change corpus,
every object the static pass sees has the same path, kind, export paths, bases, documented exceptions and
parameters (names, kinds, defaults) as the import-based API. What differs by design is listed in
``BY_DESIGN`` and pinned by the tests below it.
"""

from __future__ import annotations

import contextlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from harness_support import REPO, introspect_tree
from typer.testing import CliRunner

from hokusai_contracts.cli.app import app
from hokusai_contracts.contract.model import Api, ObjectKind
from hokusai_contracts.diff.sides import resolve_sides
from hokusai_contracts.findings import Severity
from hokusai_contracts.introspection import introspect
from hokusai_contracts.introspection import static as static_module
from hokusai_contracts.introspection.static import static_api
from hokusai_contracts.release.run import compare_sides, diff_findings

CORPUS = REPO / "fixtures" / "breaking_changes"

# What the static pass cannot know without running the package (each pinned by a test below).
BY_DESIGN = {
    "external re-exports": "an object defined in another distribution and re-exported is not described",
    "dynamic names": "a name bound only by running code (a loop, setattr, globals()) is not seen",
    "getattr hooks": "a name served by a module __getattr__ is found only through an import in the hook, "
    "a TYPE_CHECKING import or a {'name': 'module'} table",
    "decorators": "a decorator that changes a signature is not run: the def's own signature stands",
    "defaults": "a default that is neither a literal, a constant, an enum member nor a standard-library "
    "object keeps its source text where the import-based reader has its repr",
    "annotations": "without `from __future__ import annotations` annotations are the text as written",
    "external bases": "what a base class from another distribution contributes (members, constructor)",
}


def facts(api: Api) -> dict[str, tuple]:
    """What must agree, by object path."""
    return {
        path: (
            obj.kind,
            tuple(obj.export_paths),
            tuple(obj.bases),
            tuple(obj.raises),
            obj.summary,
            None
            if obj.parameters is None
            else tuple((p.name, p.kind.value, p.default) for p in obj.parameters),
        )
        for path, obj in api.objects().items()
    }


def assert_same(dynamic: Api, static: Api, where: str) -> None:
    expected, found = facts(dynamic), facts(static)
    assert sorted(found) == sorted(expected), where
    differing = {p: (expected[p], found[p]) for p in expected if expected[p] != found[p]}
    assert not differing, f"{where}: {differing}"
    assert [m.name for m in static.modules] == [m.name for m in dynamic.modules], where
    assert static.version == dynamic.version, where


def test_static_equals_import_based_on_this_repositorys_sdk():
    dynamic = introspect("hokusai", extra_paths=[REPO])
    static = static_api(REPO, "hokusai")
    assert len(static.objects()) > 300
    assert_same(dynamic, static, "hokusai")
    # Returns, module summaries and __getattr__ hooks agree too on this SDK.
    returns = {p: o.returns for p, o in dynamic.objects().items()}
    assert {p: o.returns for p, o in static.objects().items()} == returns
    for module in dynamic.modules:
        twin = static.module(module.name)
        assert (twin.summary, twin.getattr_hook) == (module.summary, module.getattr_hook)
        assert set(twin.names or []) == set(module.names or [])


def test_static_equals_import_based_on_the_synthetic_package(synthetic_root: Path, synthetic_api: Api):
    static = static_api(synthetic_root, "synthpkg")
    # synthpkg.broken raises on import and synthpkg.lying lists a missing name: the static pass reads
    # the first (its source is fine) and reports the second.
    dynamic_modules = {m.name for m in synthetic_api.modules}
    assert "synthpkg.broken" not in dynamic_modules and static.module("synthpkg.broken") is not None
    assert "missing_name" in static.import_errors["synthpkg.lying"]
    without_broken = Api(
        static.package, static.version, [m for m in static.modules if m.name != "synthpkg.broken"]
    )
    assert_same(synthetic_api, without_broken, "synthpkg")


def corpus_sides() -> list[Path]:
    return sorted(
        p / side for p in CORPUS.iterdir() for side in ("old", "new") if (p / side / "corpkg").is_dir()
    )


def test_static_equals_import_based_on_every_corpus_side():
    sides = corpus_sides()
    assert len(sides) > 50
    with ThreadPoolExecutor(max_workers=2) as pool:
        dynamic = list(pool.map(lambda root: introspect("corpkg", extra_paths=[root]), sides))
    for root, api in zip(sides, dynamic, strict=True):
        assert_same(api, static_api(root, "corpkg"), str(root.relative_to(CORPUS)))


# -- without importing --------------------------------------------------------------------------------


def test_nothing_of_the_package_runs(write_package, tmp_path: Path):
    marker = tmp_path / "ran"
    root = write_package(
        {
            "boom/__init__.py": f'''
                """Writes a file and fails when imported."""
                open({str(marker)!r}, "w").write("ran")
                import not_installed_dependency
                from boom.core import Engine
                __all__ = ["Engine"]
                __version__ = "2.0.0"
            ''',
            "boom/core.py": '''
                class Engine:
                    def run(self, fast: bool = False) -> None:
                        """Run.

                        Raises:
                            RuntimeError: when stopped.
                        """
            ''',
        }
    )
    api = static_api(root, "boom")
    assert not marker.exists()
    run = api.objects()["boom.core.Engine.run"]
    assert run.kind is ObjectKind.METHOD and run.raises == ["RuntimeError"]
    assert [(p.name, p.default) for p in run.parameters] == [("fast", "False")]
    assert api.objects()["boom.core.Engine"].export_paths == ["boom.Engine", "boom.core.Engine"]
    assert api.version == "2.0.0"


def test_a_module_that_does_not_parse_is_reported_like_an_import_failure(write_package):
    root = write_package(
        {"pkg/__init__.py": "", "pkg/bad.py": "def broken(:\n", "pkg/good.py": "def ok(): ...\n"}
    )
    api = static_api(root, "pkg")
    assert "pkg.bad" in api.unimportable and "SyntaxError" in api.import_errors["pkg.bad"]
    assert "pkg.good.ok" in api.objects()


def test_lazy_exports_dataclasses_enums_and_decorator_kinds(write_package):
    root = write_package(
        {
            "lazy/__init__.py": """
                from typing import TYPE_CHECKING
                if TYPE_CHECKING:
                    from lazy._impl import Client
                _TABLE = {"Helper": "lazy._impl"}
                __all__ = ["Client", "Helper"]
                def __getattr__(name):
                    ...
            """,
            "lazy/_impl.py": """
                import dataclasses
                import enum
                from dataclasses import dataclass, field

                class Mode(enum.Enum):
                    FAST = "fast"
                    SLOW = "slow"

                @dataclass(kw_only=True)
                class Client:
                    url: str
                    mode: Mode = Mode.FAST
                    tags: list = field(default_factory=list)

                    @property
                    def host(self) -> str: ...
                    @staticmethod
                    def make() -> "Client": ...
                    @classmethod
                    def load(cls, path: str) -> "Client": ...

                class Helper:
                    def __new__(cls, size: int = 3): ...
            """,
        }
    )
    objects = static_api(root, "lazy").objects()
    client = objects["lazy.Client"]
    assert [(p.name, p.kind.value, p.default) for p in client.parameters] == [
        ("url", "keyword_only", None),
        ("mode", "keyword_only", "<Mode.FAST: 'fast'>"),
        ("tags", "keyword_only", "<factory>"),
    ]
    kinds = {m.name: m.kind for m in client.members}
    assert kinds == {
        "host": ObjectKind.PROPERTY,
        "load": ObjectKind.CLASSMETHOD,
        "make": ObjectKind.STATICMETHOD,
        "mode": ObjectKind.ATTRIBUTE,
        "tags": ObjectKind.ATTRIBUTE,
        "url": ObjectKind.ATTRIBUTE,
    }
    assert [p.name for p in objects["lazy.Helper"].parameters] == ["size"]


@pytest.mark.parametrize("category", sorted(BY_DESIGN))
def test_by_design_differences_are_documented(category: str):
    # The module's docstring is where a reader of diff --static learns what it cannot see.
    words = {"external re-exports": "re-exported from other", "dynamic names": "bound only by running"}
    words |= {"getattr hooks": "__getattr__", "decorators": "decorators", "defaults": "defaults"}
    words |= {"annotations": "annotations", "external bases": "external base"}
    assert words[category] in static_module.__doc__


def test_external_re_exports_and_dynamic_names_are_not_seen(write_package):
    root = write_package(
        {
            "ext/__init__.py": """
                from json import JSONDecoder
                for _name in ("a", "b"):
                    globals()[_name.upper()] = 1
                __all__ = ["JSONDecoder"]
            """,
        }
    )
    static = static_api(root, "ext")
    dynamic = introspect_tree(root, "ext")
    assert "ext.JSONDecoder" in dynamic.objects() and "ext.JSONDecoder" not in static.objects()
    assert {"A", "B"} <= set(dynamic.module("ext").names) and "A" not in static.module("ext").names


# -- diff --static --------------------------------------------------------------------------------------


def test_diff_static_finds_source_visible_breaks_and_runs_nothing(tmp_path):
    breaking, compatible = CORPUS / "bc005-parameter-renamed", CORPUS / "bc019-optional-parameter-added"

    def diff(pair: Path, *extra: str):
        args = ["diff", str(pair / "old"), str(pair / "new"), "--package", "corpkg", "--static", *extra]
        return CliRunner().invoke(app, args)

    result = diff(breaking, "--json", str(tmp_path / "report.json"))
    assert result.exit_code == 1, result.output
    assert "BC005" in result.output and "corpkg.fetch" in result.output
    assert "1.0.0 -> 1.1.0 is a minor bump" in result.output  # versions read from the source too
    assert diff(compatible).exit_code == 0
    refused = diff(breaking, "--behaviour")
    assert refused.exit_code == 3 and "--static runs no code" in refused.output


def test_static_sides_run_no_code(tmp_path):
    pair = CORPUS / "bc005-parameter-renamed"
    with contextlib.ExitStack() as stack:
        old, new = resolve_sides(str(pair / "old"), str(pair / "new"), stack, package="corpkg", static=True)
    for side in (old, new):
        assert side.static and not side.importable and side.worker is None
        assert "read statically" in side.note


# -- a module that does not import is read from its source --------------------------------------------


def test_a_module_failing_to_import_is_read_statically_and_compared(write_package):
    init = '"""corpkg."""\n__version__ = "{}"\n'
    old = write_package(
        {
            "corpkg/__init__.py": init.format("1.0.0"),
            "corpkg/extra.py": '''
                def extra(x, flag=False):
                    """Extra."""

                def gone():
                    """Gone in NEW."""

                class Thing:
                    """A class in OLD."""
            ''',
        }
    )
    new = write_package(
        {
            "corpkg/__init__.py": init.format("1.0.1"),
            "corpkg/extra.py": '''
                import missing_dep_xyz

                def extra(x):
                    """Extra."""

                Thing = missing_dep_xyz.make_thing()
            ''',
        }
    )
    with contextlib.ExitStack() as stack:
        old_side, new_side = resolve_sides(str(old), str(new), stack, package="corpkg")
        assert new_side.api.read_statically == {"corpkg.extra": "missing_dep_xyz"}
        assert not new_side.api.unimportable and not old_side.api.read_statically
        report = diff_findings(old_side, new_side, [])
    found = {(f.rule, f.subject): f for f in report.result.findings}
    # Unambiguous in the source: a removed function and a removed parameter stay breaking.
    assert found[("BC001", "corpkg.extra.gone")].severity is Severity.ERROR
    assert found[("BC004", "corpkg.extra.extra")].severity is Severity.ERROR
    # A class now bound by running code: only the static reading says so, a warning.
    kind = found[("BC003", "corpkg.extra.Thing")]
    assert kind.severity is Severity.WARNING and "read statically" in kind.message
    note = found[("BC103", "corpkg.extra")]
    assert "read statically" in note.message and "missing dependency 'missing_dep_xyz'" in note.message
    assert report.exit_code == 1 and not report.verdict.ok


def test_a_module_whose_source_does_not_parse_either_stays_excluded(write_package):
    old = write_package(
        {"corpkg/__init__.py": '__version__ = "1.0.0"\n', "corpkg/extra.py": "def f(): ...\n"}
    )
    new = write_package({"corpkg/__init__.py": '__version__ = "1.0.1"\n', "corpkg/extra.py": "def f(:\n"})
    with contextlib.ExitStack() as stack:
        old_side, new_side = resolve_sides(str(old), str(new), stack, package="corpkg")
        report = diff_findings(old_side, new_side, [])
    assert "corpkg.extra" in new_side.api.unimportable and not new_side.api.read_statically
    (note,) = [f for f in report.result.findings if f.rule == "BC103"]
    assert "excluded from both sides" in note.message and "read statically" not in note.message
    assert not [f for f in report.result.findings if f.rule == "BC001"]


def test_static_sides_compare_constants_and_witness_lazy_exports_from_source():
    def judged(pair: str) -> dict[tuple[str, str], str]:
        directory = CORPUS / pair
        with contextlib.ExitStack() as stack:
            old, new = resolve_sides(
                str(directory / "old"), str(directory / "new"), stack, package="corpkg", static=True
            )
            found, _ = compare_sides(old, new)
        return {(j.change.rule, j.change.subject): j.status for j in found}

    # A constant's value is read from the source (BC014 without a probe).
    assert ("BC014", "corpkg.DEFAULT_RETRIES") in judged("bc014-attribute-value-changed")
    # An export served lazily by a module __getattr__ that imports it: the old path still resolves.
    assert judged("trap-lazy-export-getattr-only")[("BC002", "corpkg.heavy.Engine")] == "disproved"
