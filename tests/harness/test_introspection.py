"""The introspection worker and the model built from it, on a synthetic package and the real SDK."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from harness_support import introspect_tree

from hokusai_contracts.base.errors import HarnessUsageError, InfrastructureError
from hokusai_contracts.contract.model import Api, ObjectKind, ParameterKind
from hokusai_contracts.introspection import WORKER, build_api, introspect, resolve_python


def obj(api: Api, path: str):
    objects = api.objects()
    assert path in objects, f"{path} not in {sorted(objects)}"
    return objects[path]


def signature(o) -> list[tuple[str, str, str | None, str | None]]:
    return [(p.name, p.kind.value, p.default, p.annotation) for p in o.parameters]


# -- modules and names -------------------------------------------------------------------------------


def test_public_modules_are_walked_and_private_ones_skipped(synthetic_api: Api):
    names = [m.name for m in synthetic_api.modules]
    assert names == sorted(names)
    assert {"synthpkg", "synthpkg.core", "synthpkg.core.things", "synthpkg.errors", "synthpkg.tools"} <= set(
        names
    )
    assert not [n for n in names if "_private" in n]
    assert synthetic_api.module("synthpkg").summary == "Synthetic SDK for the harness tests."
    assert synthetic_api.version == "9.9.9"


def test_import_failures_are_reported_not_fatal(synthetic_api: Api):
    assert "synthpkg.broken" not in [m.name for m in synthetic_api.modules]
    assert "this module is broken on purpose" in synthetic_api.import_errors["synthpkg.broken"]
    assert "missing_name" in synthetic_api.import_errors["synthpkg.lying"]


def test_output_printed_while_importing_does_not_corrupt_the_json(synthetic_api: Api):
    assert synthetic_api.module("synthpkg.noisy") is not None


def test_export_paths_list_every_public_module_that_has_the_name(synthetic_api: Api):
    widget = obj(synthetic_api, "synthpkg.core.things.Widget")
    assert widget.export_paths == ["synthpkg.Widget", "synthpkg.core.Widget", "synthpkg.core.things.Widget"]
    assert widget.kind is ObjectKind.CLASS


def test_home_is_the_shortest_export_path_when_the_defining_module_is_private(synthetic_api: Api):
    hidden = obj(synthetic_api, "synthpkg.tools.Hidden")
    assert hidden.export_paths == ["synthpkg.tools.Hidden"]
    assert [m.name for m in hidden.members] == ["reveal"]
    assert "NotExported" not in str(synthetic_api.objects())


def test_module_without_all_exports_what_it_defines_or_imports_from_the_package(synthetic_api: Api):
    core = synthetic_api.module("synthpkg.core")
    assert [o.path for o in core.objects] == ["synthpkg.core.LIMIT", "synthpkg.core.helper"]
    assert obj(synthetic_api, "synthpkg.core.LIMIT").returns == "int"
    # Widget is homed in its defining module but importable from synthpkg.core too.
    assert "synthpkg.core.Widget" in obj(synthetic_api, "synthpkg.core.things.Widget").export_paths


def test_objects_are_sorted_by_path(synthetic_api: Api):
    for module in synthetic_api.modules:
        paths = [o.path for o in module.objects]
        assert paths == sorted(paths)
        for o in module.objects:
            assert [m.name for m in o.members] == sorted(m.name for m in o.members)


# -- signatures --------------------------------------------------------------------------------------


def test_class_parameters_are_the_constructor_without_self(synthetic_api: Api):
    widget = obj(synthetic_api, "synthpkg.core.things.Widget")
    assert signature(widget) == [
        ("name", "positional_or_keyword", None, "str"),
        ("size", "positional_or_keyword", "3", "int"),
        ("color", "keyword_only", "None", "Color | None"),
    ]


def test_members_cover_methods_properties_and_attributes(synthetic_api: Api):
    widget = obj(synthetic_api, "synthpkg.core.things.Widget")
    kinds = {m.name: m.kind for m in widget.members}
    assert kinds == {
        "__call__": ObjectKind.METHOD,
        "area": ObjectKind.PROPERTY,
        "base_method": ObjectKind.METHOD,  # inherited from a public base
        "create": ObjectKind.CLASSMETHOD,
        "kind": ObjectKind.ATTRIBUTE,
        "mixin_method": ObjectKind.METHOD,  # inherited from a private base of the package
        "name": ObjectKind.ATTRIBUTE,  # assigned in __init__
        "version": ObjectKind.STATICMETHOD,
    }
    members = {m.name: m for m in widget.members}
    assert members["area"].returns == "float"
    assert members["area"].parameters is None
    assert members["kind"].returns == "str"
    assert signature(members["create"]) == [("name", "positional_or_keyword", None, "str")]
    assert members["create"].returns == "Widget"
    assert signature(members["version"]) == []
    assert members["__call__"].path == "synthpkg.core.things.Widget.__call__"
    assert members["base_method"].raises == ["ValueError", "synthpkg.errors.WidgetError"]


def test_decorated_function_shows_the_original_signature(synthetic_api: Api):
    make = obj(synthetic_api, "synthpkg.core.things.make_widget")
    assert make.kind is ObjectKind.FUNCTION
    assert signature(make) == [
        ("name", "positional_or_keyword", None, "str"),
        ("size", "positional_or_keyword", "3", "int"),
        ("extra", "var_positional", None, "str"),
        ("strict", "keyword_only", "True", "bool"),
        ("options", "var_keyword", None, "object"),
    ]
    assert make.returns == "Widget"
    assert make.summary == "Make a widget."
    assert make.raises == ["ValueError"]


def test_a_wrapped_alias_is_its_own_object_under_its_own_name(synthetic_api: Api):
    # functools.wraps copies __qualname__ = "make_widget"; the alias must not take that path.
    alias = obj(synthetic_api, "synthpkg.core.things.old_make_widget")
    assert alias.export_paths == ["synthpkg.core.things.old_make_widget"]
    assert [p.name for p in alias.parameters][:2] == ["name", "size"]


def test_exceptions_have_bases_by_contract_path(synthetic_api: Api):
    specific = obj(synthetic_api, "synthpkg.errors.SpecificError")
    assert specific.kind is ObjectKind.EXCEPTION
    assert specific.bases == ["synthpkg.errors.WidgetError"]
    # The constructor is inherited from WidgetError (in the package), so it is contracted.
    assert signature(specific) == [
        ("message", "positional_or_keyword", None, "str"),
        ("code", "keyword_only", "0", "int"),
    ]
    assert obj(synthetic_api, "synthpkg.errors.WidgetError").bases == ["Exception"]


def test_enum_members_are_attributes_and_enums_are_not_constructed(synthetic_api: Api):
    color = obj(synthetic_api, "synthpkg.core.things.Color")
    assert color.parameters is None
    assert color.bases == ["str", "enum.Enum"]
    assert {m.name: (m.kind, m.returns) for m in color.members} == {
        "BLUE": (ObjectKind.ATTRIBUTE, None),
        "RED": (ObjectKind.ATTRIBUTE, None),
    }


def test_build_api_is_pure_and_groups_by_home_module():
    payload = {
        "format": 1,
        "package": "p",
        "version": "1",
        "modules": [
            {"name": "p", "summary": "P.", "exports": {"Thing": "a"}},
            {"name": "p.sub", "summary": None, "exports": {"Thing": "a", "CONST": "b"}},
        ],
        "objects": {
            "a": {"kind": "class", "module": "p._impl", "qualname": "Thing", "at_definition": False},
            "b": {"kind": "attribute", "module": None, "qualname": None, "at_definition": False},
        },
        "errors": [{"module": "p.bad", "error": "ImportError: x"}],
    }
    api = build_api(payload)
    assert [o.path for o in api.module("p").objects] == ["p.Thing"]
    assert [o.path for o in api.module("p.sub").objects] == ["p.sub.CONST"]
    assert api.import_errors == {"p.bad": "ImportError: x"}


# -- the worker itself -------------------------------------------------------------------------------


def test_worker_imports_only_the_standard_library():
    tree = ast.parse(WORKER.read_text(encoding="utf-8"))
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    imported |= {
        node.module.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module
    }
    imported.discard("__future__")
    assert imported <= sys.stdlib_module_names, imported - sys.stdlib_module_names


def test_worker_runs_without_site_packages(synthetic_root: Path):
    # -S: no site-packages at all, as in a bare interpreter that only has the SDK on its path.
    completed = subprocess.run(
        [sys.executable, "-S", str(WORKER), "--package", "synthpkg.errors"],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(synthetic_root), "PATH": "/usr/bin:/bin"},
        check=False,
        timeout=60,
    )
    assert completed.returncode == 0, completed.stderr
    assert '"SpecificError"' in completed.stdout


# -- interpreters and failures -----------------------------------------------------------------------


def test_another_interpreter_without_the_harness_reads_the_same_api(synthetic_root: Path, synthetic_api: Api):
    base = Path(sys.base_prefix) / "bin" / "python3"
    if sys.prefix == sys.base_prefix or not base.exists():
        pytest.skip("no base interpreter outside the virtual environment")
    other = introspect("synthpkg", str(base), extra_paths=[synthetic_root])
    assert other.objects() == synthetic_api.objects()


def test_a_venv_directory_means_its_python(tmp_path: Path):
    venv = Path(sys.executable).parent.parent
    if not (venv / "bin" / "python").exists():
        pytest.skip("the tests do not run from a virtual environment")
    assert resolve_python(venv) == str(venv / "bin" / "python")


def test_a_missing_interpreter_is_a_usage_error(tmp_path: Path):
    with pytest.raises(HarnessUsageError, match="not found"):
        introspect(python=str(tmp_path / "no-such-python"))
    with pytest.raises(HarnessUsageError, match="bin/python"):
        introspect(python=str(tmp_path))


def test_a_package_that_does_not_import_is_an_infrastructure_error(write_package):
    root = write_package({"brokenroot/__init__.py": "raise RuntimeError('no import for you')"})
    with pytest.raises(InfrastructureError, match=r"cannot import 'brokenroot'.*no import for you"):
        introspect("brokenroot", extra_paths=[root])
    with pytest.raises(InfrastructureError, match="cannot import 'no_such_package_xyz'"):
        introspect("no_such_package_xyz")


def test_dataclass_fields_and_init_attributes_are_members(write_package):
    root = write_package(
        {
            "attrpkg/__init__.py": (
                "from dataclasses import dataclass\n\n"
                "@dataclass\nclass Request:\n    model_name: str\n    request_id: str = 'r'\n\n"
                "class Manager:\n    def __init__(self, name: str) -> None:\n"
                "        self.experiment_name = name\n        self.limit: int = 3\n        self._hidden = 1\n"
            ),
        }
    )
    objects = introspect("attrpkg", extra_paths=[root]).objects()
    request = {m.name: m for m in objects["attrpkg.Request"].members}
    assert (request["model_name"].kind.value, request["model_name"].returns) == ("attribute", "str")
    assert "request_id" in request
    manager = {m.name: m.returns for m in objects["attrpkg.Manager"].members}
    assert manager == {"experiment_name": None, "limit": "int"}


def test_private_bases_are_replaced_by_their_public_ancestors(write_package):
    root = write_package(
        {
            "mixpkg/__init__.py": (
                "from mixpkg._mixin import Base\n"
                "from mixpkg.api import Client\n"
                "__all__ = ['Base', 'Client']\n"
            ),
            "mixpkg/_mixin.py": (
                "class Base:\n    pass\n\n"
                "class _Shared(Base):\n    @property\n    def uri(self) -> str:\n        return 'x'\n"
            ),
            "mixpkg/api.py": "from mixpkg._mixin import _Shared\n\nclass Client(_Shared):\n    pass\n",
        }
    )
    client = introspect("mixpkg", extra_paths=[root]).objects()["mixpkg.api.Client"]
    assert client.bases == ["mixpkg.Base"]  # _Shared is skipped; Base is public through mixpkg
    assert "uri" in {member.name for member in client.members}


# -- the real SDK ------------------------------------------------------------------------------------


def test_the_real_sdk_is_read_from_the_copy_under_test(pristine_root: Path, pristine_api: Api):
    assert pristine_api.package == "hokusai"
    assert pristine_api.module("hokusai") is not None
    again = introspect_tree(pristine_root, "hokusai")
    assert [m.name for m in again.modules] == [m.name for m in pristine_api.modules]


def test_the_real_sdk_tracking_module_exports_experiment_manager(pristine_api: Api):
    found = pristine_api.objects().get("hokusai.tracking.experiments.ExperimentManager")
    if found is None:
        pytest.skip("hokusai.tracking.experiments.ExperimentManager does not exist in the SDK yet")
    assert "hokusai.tracking.ExperimentManager" in found.export_paths
    assert all(p.kind is not ParameterKind.VAR_POSITIONAL for p in found.parameters or [])
