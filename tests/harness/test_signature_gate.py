"""The signature gate: each rule on small hand-built APIs, decorators, and broken copies of the real SDK."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from harness_support import introspect_tree
from sdk_mutations import MUTATIONS, Mutation, Unsuitable, unparse_all

from hokusai_contracts.checks.signatures.gate import check_signatures, render_signature
from hokusai_contracts.checks.signatures.rules import RULES
from hokusai_contracts.contract.annotations import normalize_annotation, same_annotation
from hokusai_contracts.contract.model import (
    Api,
    ApiModule,
    ApiObject,
    CallForm,
    ObjectKind,
    Parameter,
    ParameterKind,
)
from hokusai_contracts.contract.store import load_contracts, render_contracts, write_contracts
from hokusai_contracts.findings import Finding, Outcome, Severity

POK = ParameterKind.POSITIONAL_OR_KEYWORD
KW = ParameterKind.KEYWORD_ONLY
FILE = "contracts/api/pkg.yaml"


def p(name: str, kind: ParameterKind = POK, default: str | None = None, annotation: str | None = None):
    return Parameter(name, kind, default, annotation)


def fn(name: str, *parameters: Parameter, kind: ObjectKind = ObjectKind.FUNCTION, **fields) -> ApiObject:
    path = name if name.startswith("pkg.") else f"pkg.{name}"
    fields.setdefault("export_paths", [path] if path.count(".") == 1 else [])
    return ApiObject(
        path=path, kind=kind, parameters=list(parameters), source_file=FILE, source_line=7, **fields
    )


def api(*objects: ApiObject, **extra) -> Api:
    return Api(package="pkg", modules=[ApiModule("pkg", objects=list(objects), source_file=FILE)], **extra)


def failed(contract: Api, observed: Api) -> list[Finding]:
    return [f for f in check_signatures(contract, observed) if f.outcome is Outcome.FAILED]


def errors(contract: Api, observed: Api) -> list[tuple[str, str]]:
    return [(f.rule, f.subject) for f in failed(contract, observed) if f.severity is Severity.ERROR]


def warnings(contract: Api, observed: Api) -> list[tuple[str, str]]:
    return [(f.rule, f.subject) for f in failed(contract, observed) if f.severity is Severity.WARNING]


# -- the rules, one by one ---------------------------------------------------------------------------


def test_identical_apis_pass_with_one_finding_per_object():
    cls = fn(
        "Client",
        p("url"),
        kind=ObjectKind.CLASS,
        members=[fn("pkg.Client.get", p("key"), kind=ObjectKind.METHOD)],
    )
    contract = api(cls, fn("helper"))
    findings = check_signatures(contract, contract)
    assert [(f.rule, f.subject, f.outcome) for f in findings] == [
        ("SIG000", "pkg.Client", Outcome.PASSED),
        ("SIG000", "pkg.Client.get", Outcome.PASSED),
        ("SIG000", "pkg.helper", Outcome.PASSED),
    ]


def test_sig001_object_missing_reports_the_import_error():
    cls = fn("Client", kind=ObjectKind.CLASS, members=[fn("pkg.Client.get", kind=ObjectKind.METHOD)])
    observed = api(import_errors={"pkg": "ImportError: boom"})
    [finding] = failed(api(cls), observed)
    assert (finding.rule, finding.subject) == ("SIG001", "pkg.Client")
    assert "ImportError: boom" in finding.message
    assert "1 contracted member(s)" in finding.message
    assert str(finding.location) == f"{FILE}:7"
    assert finding.fix


def test_sig001_member_missing():
    contract = api(
        fn("Client", kind=ObjectKind.CLASS, members=[fn("pkg.Client.get", kind=ObjectKind.METHOD)])
    )
    observed = api(fn("Client", kind=ObjectKind.CLASS))
    assert errors(contract, observed) == [("SIG001", "pkg.Client.get")]


def test_sig002_export_path_missing_or_pointing_elsewhere():
    contract = api(fn("impl.Thing", kind=ObjectKind.CLASS, export_paths=["pkg.Thing", "pkg.impl.Thing"]))
    observed = api(fn("impl.Thing", kind=ObjectKind.CLASS, export_paths=["pkg.impl.Thing"]))
    [finding] = failed(contract, observed)
    assert (finding.rule, finding.subject) == ("SIG002", "pkg.impl.Thing")
    assert "pkg.Thing" in finding.message and "`from pkg import Thing` fails" in finding.message
    impostor = fn("Other", kind=ObjectKind.CLASS, export_paths=["pkg.Thing"])
    observed = api(fn("impl.Thing", kind=ObjectKind.CLASS, export_paths=["pkg.impl.Thing"]), impostor)
    assert "now names a different object (pkg.Other)" in failed(contract, observed)[0].message


def test_an_object_that_moved_but_keeps_its_exports_is_matched_by_export_path():
    contract = api(fn("a.Thing", p("x"), kind=ObjectKind.CLASS, export_paths=["pkg.Thing"]))
    observed = api(fn("b.Thing", p("x"), kind=ObjectKind.CLASS, export_paths=["pkg.Thing"]))
    assert failed(contract, observed) == []


def test_sig003_kind_changed():
    contract = api(fn("pkg.C.size", kind=ObjectKind.METHOD))
    observed = api(ApiObject("pkg.C.size", ObjectKind.PROPERTY))
    assert errors(contract, observed) == [("SIG003", "pkg.C.size")]


def test_sig004_renamed_parameter_is_one_finding():
    contract = api(fn("f", p("model"), p("name", default="None")))
    observed = api(fn("f", p("model"), p("model_name", default="None")))
    findings = failed(contract, observed)
    assert [(f.rule, f.subject) for f in findings] == [("SIG004", "pkg.f(name)")]
    assert "renamed to `model_name`" in findings[0].message
    assert findings[0].details == "contract: (model, name=None)\nSDK:      (model, model_name=None)"


def test_sig004_removed_parameter_mentions_kwargs():
    contract = api(fn("f", p("a"), p("b", KW, "1")))
    observed = api(fn("f", p("a"), p("kwargs", ParameterKind.VAR_KEYWORD)))
    [finding] = failed(contract, observed)
    assert finding.rule == "SIG004" and "only **kwargs would still accept it" in finding.message


def test_sig005_keyword_only_is_an_error_and_widening_a_warning():
    contract = api(fn("f", p("a"), p("b", default="1")), fn("g", p("c", KW, "2")))
    observed = api(fn("f", p("a"), p("b", KW, "1")), fn("g", p("c", default="2")))
    assert errors(contract, observed) == [("SIG005", "pkg.f(b)")]
    assert warnings(contract, observed) == [("SIG005", "pkg.g(c)")]
    assert "positional calls of `b` now raise TypeError" in failed(contract, observed)[0].message


def test_sig006_parameter_became_required():
    contract = api(fn("f", p("a", default="None")))
    observed = api(fn("f", p("a")))
    [finding] = failed(contract, observed)
    assert (finding.rule, finding.subject) == ("SIG006", "pkg.f(a)")
    assert "`a=None`" in finding.fix


def test_sig007_default_changed_and_new_default_is_a_warning():
    contract = api(fn("f", p("a", default="3"), p("b")))
    observed = api(fn("f", p("a", default="4"), p("b", default="0")))
    assert errors(contract, observed) == [("SIG007", "pkg.f(a)")]
    assert warnings(contract, observed) == [("SIG007", "pkg.f(b)")]


def test_sig008_return_annotation():
    contract = api(fn("f", returns="Optional[str]"), fn("g", returns="int"), fn("h", returns="int"))
    observed = api(fn("f", returns="str | None"), fn("g", returns="str"), fn("h"))
    assert errors(contract, observed) == [("SIG008", "pkg.g")]
    assert warnings(contract, observed) == [("SIG008", "pkg.h")]


def test_sig009_call_forms_bind_against_the_observed_signature():
    method = fn(
        "pkg.Registry.register",
        p("model"),
        p("model_name", default="None"),
        kind=ObjectKind.METHOD,
        call_forms=[
            CallForm("register(m, model_name='n')", ("m",), ("model_name",), line=12),
            CallForm("register(model=m)", (), ("model",), line=13),
        ],
    )
    cls = fn(
        "Registry",
        p("uri", default="None"),
        kind=ObjectKind.CLASS,
        call_forms=[CallForm("Registry('x')", ("'x'",), (), line=9)],
        members=[method],
    )
    contract = api(cls)
    assert failed(contract, contract) == []
    renamed = fn("pkg.Registry.register", p("model"), p("name", default="None"), kind=ObjectKind.METHOD)
    observed = api(fn("Registry", kind=ObjectKind.CLASS, members=[renamed]))
    findings = [f for f in failed(contract, observed) if f.rule == "SIG009"]
    assert [(f.subject, f.location.line) for f in findings] == [
        ("pkg.Registry [Registry('x')]", 9),
        ("pkg.Registry.register [register(m, model_name='n')]", 12),
    ]
    assert "unexpected keyword argument 'model_name'" in findings[1].message


def test_sig010_new_required_parameter_but_not_a_new_optional_one():
    contract = api(fn("f", p("a")))
    observed = api(fn("f", p("a"), p("b"), p("c", KW, "1")))
    assert errors(contract, observed) == [("SIG010", "pkg.f(b)")]


def test_sig011_reordered_or_inserted_positional_parameters():
    contract = api(fn("f", p("a"), p("b")), fn("g", p("a"), p("b", default="1")))
    observed = api(fn("f", p("b"), p("a")), fn("g", p("a"), p("new", default="0"), p("b", default="1")))
    assert errors(contract, observed) == [("SIG011", "pkg.f(order)"), ("SIG011", "pkg.g(order)")]


def test_sig012_module_missing():
    contract = Api(
        "pkg", modules=[ApiModule("pkg"), ApiModule("pkg.gone", source_file="contracts/api/pkg.gone.yaml")]
    )
    observed = Api("pkg", modules=[ApiModule("pkg")], import_errors={"pkg.gone": "SyntaxError: x"})
    [finding] = failed(contract, observed)
    assert (finding.rule, finding.subject) == ("SIG012", "pkg.gone")
    assert "SyntaxError: x" in finding.message


def test_sig013_parameter_annotation_is_a_warning():
    contract = api(fn("f", p("a", annotation="List[int]"), p("b", annotation="int")))
    observed = api(fn("f", p("a", annotation="list[int]"), p("b", annotation="str")))
    assert errors(contract, observed) == []
    assert warnings(contract, observed) == [("SIG013", "pkg.f(b)")]


def test_sig014_unreadable_signature_is_a_warning():
    contract = api(fn("f", p("a")))
    observed = api(ApiObject("pkg.f", ObjectKind.FUNCTION, parameters=None, export_paths=["pkg.f"]))
    assert warnings(contract, observed) == [("SIG014", "pkg.f")]
    assert [f.rule for f in check_signatures(contract, observed) if f.outcome is Outcome.PASSED] == ["SIG000"]


def test_sig015_base_removed_but_indirect_and_builtin_ancestors_count():
    base = fn("Base", kind=ObjectKind.EXCEPTION, bases=["Exception"])
    middle = fn("Middle", kind=ObjectKind.EXCEPTION, bases=["pkg.Base"])
    contract = api(base, fn("E", kind=ObjectKind.EXCEPTION, bases=["pkg.Base", "ValueError"]))
    # E now derives from Base through Middle, and from ValueError through UnicodeError: still fine
    observed = api(
        fn("Base", kind=ObjectKind.EXCEPTION, bases=["LookupError"]),
        middle,
        fn("E", kind=ObjectKind.EXCEPTION, bases=["pkg.Middle", "UnicodeError"]),
    )
    assert errors(contract, observed) == []
    observed = api(base, fn("E", kind=ObjectKind.EXCEPTION, bases=["ValueError"]))
    assert errors(contract, observed) == [("SIG015", "pkg.E")]


def test_hand_written_self_is_ignored():
    contract = api(fn("pkg.C.m", p("self"), p("x"), kind=ObjectKind.METHOD))
    observed = api(fn("pkg.C.m", p("x"), kind=ObjectKind.METHOD))
    assert failed(contract, observed) == []


def test_every_failure_names_a_known_rule_a_location_and_a_fix():
    contract = api(fn("f", p("a", default="1"), returns="int"), fn("g"))
    observed = api(fn("f", p("b"), returns="str"))
    findings = failed(contract, observed)
    assert findings
    for finding in findings:
        assert finding.check == "signatures"
        assert finding.rule in RULES
        assert finding.location is not None and finding.location.line == 7
        assert finding.fix


def test_rule_catalogue():
    assert {f"SIG{n:03d}" for n in range(0, 16)} == set(RULES)
    for rule_id, rule in RULES.items():
        assert re.fullmatch(r"SIG\d{3}", rule_id) and rule.id == rule_id
        assert rule.title and rule.explanation.endswith(".")


def test_annotation_normalisation():
    assert normalize_annotation("typing.Optional[typing.List[str]]") == "list[str] | None"
    assert same_annotation("Union[int, str, None]", "None | str | int")
    assert same_annotation("'ModelRegistry'", "ModelRegistry")
    assert same_annotation("mlflow.entities.Run", "Run")
    assert not same_annotation("dict[str, Any]", "dict[str, str]")
    assert (
        render_signature([p("a"), p("b", KW, "1"), p("k", ParameterKind.VAR_KEYWORD)]) == "(a, *, b=1, **k)"
    )


# -- decorators that keep old names working ------------------------------------------------------------

V1 = """
def register(model, model_name=None, *, tags=None):
    '''Register a model.'''
    return model
"""

DECORATED = """
import functools


def accepts_old_name(old, new, wraps=True):
    def decorate(func):
        def wrapper(*args, **kwargs):
            if old in kwargs:
                kwargs[new] = kwargs.pop(old)
            return func(*args, **kwargs)

        return functools.wraps(func)(wrapper) if wraps else wrapper

    return decorate


@accepts_old_name("name", "model_name", wraps={wraps})
def register(model, model_name=None, *, tags=None):
    '''Register a model.'''
    return model
"""


def _contract_of(root: Path, package: str, directory: Path) -> Api:
    extracted = introspect_tree(root, package)
    method = extracted.objects()[f"{package}.register"]
    method.call_forms = [CallForm('register(m, model_name="n")', ("m",), ("model_name",))]
    write_contracts(extracted, directory)
    return load_contracts(directory)


def test_a_decorator_that_keeps_old_names_working_is_no_false_failure(write_package, tmp_path: Path):
    contract = _contract_of(write_package({"decopkg/__init__.py": V1}), "decopkg", tmp_path / "api")
    decorated = write_package({"decopkg/__init__.py": DECORATED.format(wraps=True)})
    assert failed(contract, introspect_tree(decorated, "decopkg")) == []
    # Control: the same decorator without functools.wraps hides the signature behind (*args, **kwargs).
    bare = write_package({"decopkg/__init__.py": DECORATED.format(wraps=False)})
    rules = {f.rule for f in failed(contract, introspect_tree(bare, "decopkg"))}
    assert "SIG004" in rules


# -- deliberately broken copies of the real SDK --------------------------------------------------------


def test_the_pristine_sdk_passes_its_own_contract(pristine_contract: Api, pristine_api: Api):
    findings = check_signatures(pristine_contract, pristine_api)
    assert [f for f in findings if f.outcome is not Outcome.PASSED] == []
    assert len(findings) == len(pristine_contract.objects())
    assert render_contracts(pristine_contract) == render_contracts(pristine_api)


def _mutant(tmp_path: Path, pristine_root: Path) -> Path:
    root = tmp_path / "mutant"
    shutil.copytree(pristine_root, root)
    return root


def test_rewriting_the_sdk_through_ast_alone_changes_nothing(tmp_path, pristine_root, pristine_contract):
    root = _mutant(tmp_path, pristine_root)
    unparse_all(root, pristine_contract, "")
    assert failed(pristine_contract, introspect_tree(root, "hokusai")) == []


@pytest.mark.parametrize("mutation", MUTATIONS, ids=[m.id for m in MUTATIONS])
def test_a_broken_copy_of_the_sdk_is_caught(
    mutation: Mutation, tmp_path: Path, pristine_root: Path, pristine_contract: Api
):
    root = _mutant(tmp_path, pristine_root)
    try:
        subject = mutation.apply(root, pristine_contract, mutation.target)
    except Unsuitable as exc:
        pytest.skip(f"{mutation.id}: {exc}")
    findings = failed(pristine_contract, introspect_tree(root, "hokusai"))
    caught = [f for f in findings if (f.rule, f.subject) == (mutation.rule, subject)]
    assert caught, (
        f"{mutation.id} of {mutation.target} not caught as {mutation.rule} on {subject}: {findings}"
    )
    assert {f.rule for f in findings if f.failed} == {mutation.rule}, findings
    finding = caught[0]
    assert finding.failed and finding.fix
    assert finding.location.file.endswith(".yaml") and finding.location.line
    print(f"{mutation.id}: {finding.location}: {finding.rule} {finding.message}")
