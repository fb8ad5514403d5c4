"""The contract store: stable YAML, line numbers, schema errors as FILE:LINE, merging, extraction."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import jsonschema
import pytest

from hokusai_contracts.base.errors import ContractError
from hokusai_contracts.contract.callforms import parse_call_form
from hokusai_contracts.contract.model import (
    Api,
    ApiModule,
    ApiObject,
    CallForm,
    Change,
    Lifecycle,
    ObjectKind,
    Parameter,
    ParameterKind,
)
from hokusai_contracts.contract.schema import REPO_SCHEMA
from hokusai_contracts.contract.store import (
    dump_module,
    load_contracts,
    merge_hand_written,
    render_contracts,
    write_contracts,
)
from hokusai_contracts.introspection.extract import extract


def sample_api() -> Api:
    """Two modules, objects deliberately out of order, every field set somewhere."""
    register = ApiObject(
        path="pkg.core.Registry.register",
        kind=ObjectKind.METHOD,
        parameters=[
            Parameter("model", description="The model to log."),
            Parameter("name", default="'default'", annotation="str"),
            Parameter("tags", ParameterKind.KEYWORD_ONLY, default="None", annotation="dict[str, str] | None"),
        ],
        returns="Entry",
        raises=["pkg.errors.NotFound"],
        summary="Register a model.",
        call_forms=[CallForm("register(m, name='n')", args=("m",), kwargs=("name",))],
        lifecycle=Lifecycle(
            since="1.0",
            changed=(Change("1.5", "Tags are validated."),),
            deprecated_since="2.0",
            replacement="pkg.core.Registry.add",
        ),
    )
    registry = ApiObject(
        path="pkg.core.Registry",
        kind=ObjectKind.CLASS,
        parameters=[Parameter("uri", default="None")],
        export_paths=["pkg.core.Registry", "pkg.Registry"],
        summary="A registry: with a colon.",
        members=[
            register,
            ApiObject(path="pkg.core.Registry.uri", kind=ObjectKind.PROPERTY, returns="str"),
        ],
    )
    helper = ApiObject(
        path="pkg.core.helper", kind=ObjectKind.FUNCTION, parameters=[], export_paths=["pkg.core.helper"]
    )
    error = ApiObject(
        path="pkg.errors.NotFound",
        kind=ObjectKind.EXCEPTION,
        bases=["Exception"],
        export_paths=["pkg.errors.NotFound"],
    )
    return Api(
        package="pkg",
        modules=[
            ApiModule("pkg.errors", summary="Errors.", objects=[error]),
            ApiModule("pkg.core", summary="Core.\u00e9", objects=[registry, helper]),
            ApiModule("pkg", summary=None),
        ],
    )


def strip_positions(api: Api) -> dict[str, ApiObject]:
    objects = {}
    for path, o in api.objects().items():
        fields = {**o.__dict__, "source_file": None, "source_line": None, "members": []}
        copy = ApiObject(**fields | {"export_paths": sorted(o.export_paths)})
        copy.call_forms = [CallForm(f.text, f.args, f.kwargs) for f in o.call_forms]
        objects[path] = copy
    return objects


def write(directory: Path, name: str, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


# -- writing and reading -----------------------------------------------------------------------------


def test_round_trip_keeps_the_model(tmp_path: Path):
    api = sample_api()
    write_contracts(api, tmp_path)
    loaded = load_contracts(tmp_path)
    assert loaded.package == "pkg"
    assert [m.name for m in loaded.modules] == ["pkg", "pkg.core", "pkg.errors"]
    assert strip_positions(loaded) == strip_positions(api)
    assert loaded.objects()["pkg.core.Registry"].export_paths == ["pkg.Registry", "pkg.core.Registry"]
    assert render_contracts(loaded) == render_contracts(api)


def test_output_is_stable_and_sorted():
    api = sample_api()
    text = dump_module(api.module("pkg.core"))
    assert text == dump_module(api.module("pkg.core"))
    assert text.index("name: Registry") < text.index("name: helper")
    assert text.index("kind: method") < text.index("kind: property")
    # fixed key order within an object
    block = text[text.index("- name: register") :]
    assert (
        block.index("kind:") < block.index("summary:") < block.index("parameters:") < block.index("returns:")
    )
    assert (
        block.index("returns:")
        < block.index("raises:")
        < block.index("call_forms:")
        < block.index("lifecycle:")
    )
    assert "default: \"'default'\"" in text  # repr of a string default stays readable
    assert "Core.\u00e9" in text


def test_loading_records_file_and_line_of_every_object(tmp_path: Path):
    write_contracts(sample_api(), tmp_path)
    loaded = load_contracts(tmp_path)
    for o in loaded.objects().values():
        file = Path(o.source_file)
        assert file.parent == tmp_path
        line = file.read_text(encoding="utf-8").splitlines()[o.source_line - 1]
        assert line.strip() == f"- name: {o.path.split('.', 2)[-1] if o.path.count('.') == 2 else o.name}"
    form = loaded.objects()["pkg.core.Registry.register"].call_forms[0]
    lines = Path(loaded.objects()["pkg.core.Registry"].source_file).read_text(encoding="utf-8").splitlines()
    assert "register(m, name='n')" in lines[form.line - 1]


def test_write_rewrites_only_changed_files_and_removes_stale_ones(tmp_path: Path):
    api = sample_api()
    tmp_path = tmp_path / "api"
    assert len(write_contracts(api, tmp_path)) == 3
    assert write_contracts(api, tmp_path) == []
    api.module("pkg.core").summary = "Changed."
    api.modules = [m for m in api.modules if m.name != "pkg.errors"]
    changed = write_contracts(api, tmp_path)
    assert changed == [tmp_path / "pkg.core.yaml", tmp_path / "pkg.errors.yaml"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pkg.core.yaml", "pkg.yaml"]


def test_schema_is_valid_draft_2020_12_and_accepts_the_dump(tmp_path: Path):
    schema = json.loads(REPO_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


# -- merging -----------------------------------------------------------------------------------------


def test_merge_keeps_hand_written_parts():
    existing = sample_api()
    extracted = sample_api()
    for o in extracted.objects().values():
        o.call_forms = []
        o.lifecycle = Lifecycle()
        if o.parameters:
            o.parameters = [Parameter(p.name, p.kind, p.default, p.annotation) for p in o.parameters]
    # the SDK gained a parameter and changed a default since
    register = extracted.objects()["pkg.core.Registry.register"]
    register.parameters = [*register.parameters, Parameter("force", ParameterKind.KEYWORD_ONLY, "False")]
    merged = merge_hand_written(extracted, existing).objects()["pkg.core.Registry.register"]
    assert [f.text for f in merged.call_forms] == ["register(m, name='n')"]
    assert merged.lifecycle == existing.objects()["pkg.core.Registry.register"].lifecycle
    assert merged.lifecycle.changed == (Change("1.5", "Tags are validated."),)
    assert [p.description for p in merged.parameters] == ["The model to log.", None, None, None]
    assert merged.parameters[-1].name == "force"


def test_merge_follows_an_object_that_moved_module():
    existing = sample_api()
    moved = ApiObject(
        path="pkg.errors.Registry",
        kind=ObjectKind.CLASS,
        parameters=[Parameter("uri", default="None")],
        export_paths=["pkg.Registry", "pkg.errors.Registry"],
    )
    extracted = Api(package="pkg", modules=[ApiModule("pkg.errors", objects=[moved])])
    merged = merge_hand_written(extracted, existing).objects()["pkg.errors.Registry"]
    assert merged.path == "pkg.errors.Registry"
    assert merged.lifecycle == Lifecycle()  # Registry had none; its member had
    assert merged.members == []


# -- malformed contracts -----------------------------------------------------------------------------

VALID = textwrap.dedent(
    """
    module: pkg.core
    objects:
      - name: Registry
        kind: class
        parameters:
          - name: uri
            kind: positional_or_keyword
            default: None
        call_forms:
          - Registry()
    """
).lstrip("\n")


def error_of(tmp_path: Path, text: str, name: str = "pkg.core.yaml") -> ContractError:
    directory = tmp_path / "api"
    for stale in directory.glob("*.yaml"):
        stale.unlink()
    write(directory, name, text)
    with pytest.raises(ContractError) as caught:
        load_contracts(directory)
    return caught.value


def test_a_valid_hand_written_file_loads(tmp_path: Path):
    write(tmp_path / "api", "pkg.core.yaml", VALID)
    registry = load_contracts(tmp_path / "api").objects()["pkg.core.Registry"]
    assert registry.source_line == 3
    assert registry.call_forms[0].line == 10


def test_yaml_syntax_error_names_file_and_line(tmp_path: Path):
    error = error_of(tmp_path, "module: pkg.core\nobjects:\n  - name: X\n    kind: [class\n")
    assert error.file.endswith("pkg.core.yaml")
    assert error.line is not None
    assert str(error).startswith(f"{tmp_path / 'api' / 'pkg.core.yaml'}:{error.line}: not valid YAML")
    assert "Traceback" not in str(error)


def test_unknown_key_points_at_the_key(tmp_path: Path):
    error = error_of(tmp_path, VALID.replace("    call_forms:", "    calls_forms:"))
    assert error.line == 9
    assert "unknown key 'calls_forms'" in str(error)
    assert "expected only:" in str(error)


def test_unknown_parameter_kind_names_the_allowed_ones(tmp_path: Path):
    error = error_of(tmp_path, VALID.replace("kind: positional_or_keyword", "kind: keyword"))
    assert error.line == 7
    assert "'keyword' is not allowed; expected one of: positional_only" in str(error)


def test_unquoted_version_gets_a_quoting_hint(tmp_path: Path):
    error = error_of(tmp_path, VALID + "    lifecycle:\n      since: 1.0\n")
    assert error.line == 12
    assert "quote it" in str(error)


def test_missing_required_key(tmp_path: Path):
    error = error_of(tmp_path, VALID.replace("    kind: class\n", ""))
    assert error.line == 3
    assert "'kind' is a required property" in str(error)


def test_bad_call_form_names_its_line(tmp_path: Path):
    error = error_of(tmp_path, VALID.replace("- Registry()", "- Registry(uri="))
    assert error.line == 10
    assert "is not a Python call" in str(error)
    assert "expected a call like" in str(error)


def test_call_form_of_another_name(tmp_path: Path):
    error = error_of(tmp_path, VALID.replace("- Registry()", "- Other()"))
    assert "calls 'Other' but is listed under 'Registry'" in str(error)


def test_call_forms_on_an_attribute_are_rejected(tmp_path: Path):
    error = error_of(tmp_path, VALID.replace("kind: class", "kind: attribute"))
    assert error.line == 9
    assert "cannot be called" in str(error)


def test_duplicate_keys_and_names(tmp_path: Path):
    error = error_of(tmp_path, VALID.replace("    kind: class\n", "    kind: class\n    kind: function\n"))
    assert error.line == 5
    assert "appears twice" in str(error)
    twice = VALID + "  - name: Registry\n    kind: function\n"
    error = error_of(tmp_path, twice)
    assert error.line == 11
    assert "listed twice" in str(error)


def test_module_must_match_the_file_name(tmp_path: Path):
    error = error_of(tmp_path, VALID, name="pkg.other.yaml")
    assert error.line == 1
    assert "expected `module: pkg.other`" in str(error)


def test_parameters_must_form_a_signature(tmp_path: Path):
    function = "  - name: f\n    kind: function\n    parameters:\n"
    text = VALID + function + "      - name: a\n        default: '1'\n      - name: b\n"
    error = error_of(tmp_path, text)
    assert error.line == 13
    assert "cannot form a Python signature" in str(error)


def test_an_empty_directory_is_a_contract_error(tmp_path: Path):
    with pytest.raises(ContractError, match="no contract files"):
        load_contracts(tmp_path)


def test_several_problems_are_all_reported(tmp_path: Path):
    text = VALID.replace("kind: positional_or_keyword", "kind: keyword").replace("kind: class", "kind: klass")
    error = error_of(tmp_path, text)
    assert error.line == 4
    assert len(error.more) == 1
    assert ":7:" in error.more[0]


def test_call_form_parsing():
    form = parse_call_form('registry.register_baseline(m, model_name="n")', expected_name="register_baseline")
    assert (form.args, form.kwargs) == (("m",), ("model_name",))
    with pytest.raises(ContractError, match="cannot be checked"):
        parse_call_form("f(*args)")
    with pytest.raises(ContractError, match="is not a call"):
        parse_call_form("f")


# -- extraction --------------------------------------------------------------------------------------

V1 = {
    "extpkg/__init__.py": '''
        """Extraction test package."""

        from extpkg.api import Client

        __all__ = ["Client"]
    ''',
    "extpkg/api.py": '''
        """API."""

        __all__ = ["Client"]


        class Client:
            """A client."""

            def __init__(self, url: str, timeout: float = 5.0) -> None:
                self.url = url

            def get(self, key: str) -> str:
                """Get a value."""
                return key
    ''',
}


def test_extract_writes_checks_and_keeps_hand_written_parts(write_package, tmp_path: Path):
    root = write_package(V1)
    contracts = tmp_path / "contracts" / "api"
    first = extract(contracts, package="extpkg", extra_paths=[root])
    assert sorted(p.name for p in first.changed) == ["extpkg.api.yaml", "extpkg.yaml"]
    assert extract(contracts, package="extpkg", check=True, extra_paths=[root]).ok

    # a reviewer adds a call form and a parameter description by hand
    path = contracts / "extpkg.api.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace(
        "annotation: str\n      - name: timeout",
        "annotation: str\n        description: Where.\n      - name: timeout",
    )
    text = text.replace("    members:\n", "    call_forms:\n      - Client('http://x')\n    members:\n", 1)
    path.write_text(text, encoding="utf-8")
    assert extract(contracts, package="extpkg", check=True, extra_paths=[root]).ok

    # the SDK changes: check reports a diff naming the file and writes nothing
    api_file = root / "extpkg" / "api.py"
    api_file.write_text(api_file.read_text().replace("timeout: float = 5.0", "timeout: float = 9.0"))
    before = path.read_text(encoding="utf-8")
    result = extract(contracts, package="extpkg", check=True, extra_paths=[root])
    assert not result.ok
    assert result.changed == [path]
    assert f"--- a/{path.as_posix()}" in result.diff
    assert "-        default: '5.0'" in result.diff and "+        default: '9.0'" in result.diff
    assert path.read_text(encoding="utf-8") == before

    written = extract(contracts, package="extpkg", extra_paths=[root])
    assert written.changed == [path]
    after = path.read_text(encoding="utf-8")
    assert "description: Where." in after
    assert "Client('http://x')" in after
    assert "default: '9.0'" in after


def test_extract_goes_on_when_a_module_does_not_import(write_package, tmp_path: Path):
    # Issue 16: a partial API is a result. The rest is written; the module that failed is reported with
    # its missing dependency, and gets no (empty, misleading) contract of its own.
    root = write_package({**V1, "extpkg/bad.py": "import no_such_module_abc\n"})
    result = extract(tmp_path / "api", package="extpkg", extra_paths=[root])
    assert result.not_imported_lines() == [
        "extpkg.bad: missing dependency 'no_such_module_abc' "
        "(ModuleNotFoundError: No module named 'no_such_module_abc')"
    ]
    written = sorted(path.name for path in (tmp_path / "api").iterdir())
    assert "extpkg.yaml" in written and "extpkg.bad.yaml" not in written
