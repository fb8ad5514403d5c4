"""Each static rule of the breaking-change catalogue on hand-built API models (pure: no import, no I/O)."""

from __future__ import annotations

import re

import pytest

from hokusai_contracts.contract.model import (
    Api,
    ApiModule,
    ApiObject,
    CallForm,
    Lifecycle,
    ObjectKind,
    Parameter,
    ParameterKind,
)
from hokusai_contracts.diff.catalogue import Bump, Impact, Rule
from hokusai_contracts.diff.engine import diff_apis
from hokusai_contracts.diff.params import compare_parameters, old_call
from hokusai_contracts.diff.rules import BC101, BC102, BEHAVIOUR_RULES, RULES, STATIC_RULES
from hokusai_contracts.diff.rules.bc013_parameter_annotation_narrowed import narrowed

PK = ParameterKind


def fn(name: str, *params: Parameter, returns: str | None = None, **extra) -> ApiObject:
    """A function ``pkg.<name>`` exported from ``pkg``."""
    extra.setdefault("export_paths", [f"pkg.{name}"])
    return ApiObject(f"pkg.{name}", ObjectKind.FUNCTION, parameters=list(params), returns=returns, **extra)


def cls(name: str, *members: ApiObject, bases: tuple[str, ...] = (), kind=ObjectKind.CLASS) -> ApiObject:
    """A class ``pkg.<name>`` with members given relative to it."""
    path = f"pkg.{name}"
    for member in members:
        member.path = f"{path}.{member.path}"
    return ApiObject(path, kind, parameters=[], members=list(members), bases=list(bases), export_paths=[path])


def p(name: str, kind: PK = PK.POSITIONAL_OR_KEYWORD, default: str | None = None, annotation=None):
    return Parameter(name, kind, default, annotation)


def api(*objects: ApiObject) -> Api:
    return Api("pkg", modules=[ApiModule("pkg", objects=list(objects))])


def found(old: list[ApiObject], new: list[ApiObject], **values) -> set[tuple[str, str]]:
    return {(c.rule, c.subject) for c in diff_apis(api(*old), api(*new), **values)}


def test_catalogue_is_complete_with_stable_ids():
    ids = list(RULES)
    assert ids == sorted(ids)
    assert [r.rule.id for r in STATIC_RULES] == [f"BC{n:03d}" for n in range(1, len(STATIC_RULES) + 1)]
    assert [r.id for r in BEHAVIOUR_RULES] == ["BC101", "BC102", "BC103"]  # BC103: module not compared
    assert BC101.severity is Impact.BREAKING and BC102.bump is Bump.MAJOR
    for rule in RULES.values():
        assert isinstance(rule, Rule) and re.fullmatch(r"[a-z0-9-]+", rule.name)
        assert rule.title and len(rule.explanation) > 40
        # Breaking changes need a major release; everything else at most a minor one.
        assert (rule.bump is Bump.MAJOR) == (rule.severity is Impact.BREAKING)
    with pytest.raises(AttributeError):
        BC101.id = "BC999"  # frozen


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        pytest.param([fn("f"), fn("g")], [fn("g")], {("BC001", "pkg.f")}, id="BC001 removed"),
        pytest.param(
            [fn("f", export_paths=["pkg.f", "pkg.sub.f"])], [fn("f")], {("BC002", "pkg.f")}, id="BC002 export"
        ),
        pytest.param(
            [cls("C", ApiObject("m", ObjectKind.METHOD, parameters=[]))],
            [cls("C", ApiObject("m", ObjectKind.PROPERTY))],
            {("BC003", "pkg.C.m")},
            id="BC003 kind",
        ),
        pytest.param([fn("f", p("a"), p("b"))], [fn("f", p("a"))], {("BC004", "pkg.f")}, id="BC004 removed"),
        pytest.param(
            [fn("f", p("a"), p("t", default="1"))],
            [fn("f", p("a"), p("t_s", default="1"))],
            {("BC005", "pkg.f")},
            id="BC005 renamed",
        ),
        pytest.param(
            [fn("f", p("a"), p("b"))], [fn("f", p("b"), p("a"))], {("BC006", "pkg.f")}, id="BC006 moved"
        ),
        pytest.param(
            [fn("f", p("a"), p("b", default="1"))],
            [fn("f", p("a"), p("b", PK.KEYWORD_ONLY, "1"))],
            {("BC007", "pkg.f")},
            id="BC007 kind",
        ),
        pytest.param(
            [fn("f", p("a", default="1"))], [fn("f", p("a"))], {("BC008", "pkg.f")}, id="BC008 required"
        ),
        pytest.param([fn("f", p("a"))], [fn("f", p("a"), p("b"))], {("BC009", "pkg.f")}, id="BC009 added"),
        pytest.param(
            [fn("f", p("a", default="1"))], [fn("f", p("a", default="2"))], {("BC010", "pkg.f")}, id="BC010"
        ),
        pytest.param(
            [fn("f", p("a"), p("kw", PK.VAR_KEYWORD))], [fn("f", p("a"))], {("BC011", "pkg.f")}, id="BC011"
        ),
        pytest.param([fn("f", returns="int")], [fn("f", returns="str")], {("BC012", "pkg.f")}, id="BC012"),
        pytest.param([fn("f", returns="int")], [fn("f")], {("BC012", "pkg.f")}, id="BC012 removed"),
        pytest.param(
            [fn("f", p("a", annotation="str | None"))],
            [fn("f", p("a", annotation="str"))],
            {("BC013", "pkg.f")},
            id="BC013 narrowed",
        ),
        pytest.param(
            [cls("E", bases=("LookupError",), kind=ObjectKind.EXCEPTION)],
            [cls("E", bases=("Exception",), kind=ObjectKind.EXCEPTION)],
            {("BC015", "pkg.E")},
            id="BC015",
        ),
        pytest.param(
            [fn("f", raises=["KeyError"])], [fn("f", raises=["ValueError"])], {("BC016", "pkg.f")}, id="BC016"
        ),
        pytest.param(
            [
                cls(
                    "S",
                    ApiObject("A", ObjectKind.ATTRIBUTE),
                    ApiObject("B", ObjectKind.ATTRIBUTE),
                    bases=("enum.Enum",),
                )
            ],
            [cls("S", ApiObject("A", ObjectKind.ATTRIBUTE), bases=("enum.Enum",))],
            {("BC017", "pkg.S.B")},
            id="BC017 enum member",
        ),
        pytest.param(
            [fn("f", p("a"), p("b", default="1"), call_forms=[CallForm("f(x, 2)", ("x", "2"))])],
            [fn("f", p("a"), p("b", PK.KEYWORD_ONLY, "1"))],
            {("BC007", "pkg.f"), ("BC018", "pkg.f")},
            id="BC018 call form",
        ),
        pytest.param(
            [fn("f", p("a"))], [fn("f", p("a"), p("b", default="1"))], {("BC019", "pkg.f")}, id="BC019"
        ),
        pytest.param([fn("f")], [fn("f"), fn("g")], {("BC020", "pkg.g")}, id="BC020"),
        pytest.param(
            [fn("f")],
            [fn("f", lifecycle=Lifecycle(deprecated_since="1.1"))],
            {("BC021", "pkg.f")},
            id="BC021",
        ),
    ],
)
def test_rule_detects_its_change(old, new, expected):
    assert found(old, new) == expected


@pytest.mark.parametrize(
    ("old", "new"),
    [
        pytest.param(
            [fn("f", p("a"), p("t", default="1"))],
            [fn("f", p("a"), p("o", PK.VAR_KEYWORD))],
            id="kwargs absorbs",
        ),
        pytest.param(
            [fn("f", p("a", PK.KEYWORD_ONLY, "1"), p("b", PK.KEYWORD_ONLY, "2"))],
            [fn("f", p("b", PK.KEYWORD_ONLY, "2"), p("a", PK.KEYWORD_ONLY, "1"))],
            id="keyword-only reordered",
        ),
        pytest.param(
            [fn("f", p("a", annotation="str"))], [fn("f", p("a", annotation="Optional[str]"))], id="widened"
        ),
        pytest.param([fn("f", p("a", PK.KEYWORD_ONLY))], [fn("f", p("a"))], id="keyword-only to positional"),
        pytest.param(
            [fn("f", p("x", PK.POSITIONAL_ONLY))], [fn("f", p("y", PK.POSITIONAL_ONLY))], id="pos-only rename"
        ),
        pytest.param(
            [cls("C", ApiObject("m", ObjectKind.METHOD, parameters=[]))],
            [cls("C", ApiObject("m", ObjectKind.STATICMETHOD, parameters=[]))],
            id="method to staticmethod",
        ),
        pytest.param(
            [fn("f", returns="Optional[int]")], [fn("f", returns="int | None")], id="same return type"
        ),
        pytest.param([fn("_private")], [], id="private object"),
    ],
)
def test_compatible_changes_are_not_breaking(old, new):
    breaking = {rule for rule, _ in found(old, new) if RULES[rule].severity is not Impact.COMPATIBLE}
    assert breaking == set()


def test_moved_object_keeps_its_export_paths():
    old = fn("f", export_paths=["pkg.f", "pkg.a.f"])
    moved = ApiObject(
        "pkg.b.f", ObjectKind.FUNCTION, parameters=[], export_paths=["pkg.a.f", "pkg.b.f", "pkg.f"]
    )
    assert found([old], [moved]) == set()


def test_attribute_values_compare_but_version_strings_do_not():
    old = [ApiObject("pkg.LIMIT", ObjectKind.ATTRIBUTE), ApiObject("pkg.__version__", ObjectKind.ATTRIBUTE)]
    new = [ApiObject("pkg.LIMIT", ObjectKind.ATTRIBUTE), ApiObject("pkg.__version__", ObjectKind.ATTRIBUTE)]
    values = {"old_values": {"pkg.LIMIT": "3", "pkg.__version__": "'1.0'"}}
    values["new_values"] = {"pkg.LIMIT": "5", "pkg.__version__": "'2.0'"}
    assert found(old, new, **values) == {("BC014", "pkg.LIMIT")}
    assert found(old, new) == set()  # no values (contract directories): nothing to compare


def test_exception_subclass_and_inserted_base_are_compatible():
    base = cls("Base", bases=("KeyError",), kind=ObjectKind.EXCEPTION)
    old = [fn("f", raises=["KeyError"]), cls("E", bases=("LookupError",), kind=ObjectKind.EXCEPTION)]
    new = [fn("f", raises=["Base"]), cls("E", bases=("pkg.Base",), kind=ObjectKind.EXCEPTION), base]
    assert found(old, new) == {("BC020", "pkg.Base")}


def test_removed_class_is_one_change_not_one_per_member():
    old = cls("C", ApiObject("m", ObjectKind.METHOD, parameters=[]), ApiObject("n", ObjectKind.PROPERTY))
    assert found([old], []) == {("BC001", "pkg.C")}


def test_rename_is_a_rename_not_remove_plus_add():
    delta = compare_parameters([p("a"), p("timeout", default="1")], [p("a"), p("timeout_s", default="1")])
    assert [(o.name, n.name) for o, n in delta.renamed] == [("timeout", "timeout_s")]
    assert delta.removed == () and delta.added == ()


def test_synthesised_old_calls():
    params = [p("a"), p("b", default="1"), p("c", PK.KEYWORD_ONLY), p("d", PK.KEYWORD_ONLY, "2")]
    assert old_call(params).text == "(<a>, c=<c>)"
    assert old_call(params, keyword=["d"]).text == "(<a>, c=<c>, d=<d>)"
    assert old_call(params, positional_through="b").args == ("<a>", "<b>")
    assert old_call(params, extra_kwargs=["x"]).kwargs == ("c", "x")


def test_changes_point_at_the_old_contract():
    old = fn("f", p("a"))
    old.source_file, old.source_line = "contracts/api/pkg.yaml", 12
    (change,) = diff_apis(api(old), api(fn("f")))
    assert (change.rule, change.old_file, change.old_line) == ("BC004", "contracts/api/pkg.yaml", 12)
    assert change.witness == "bind" and change.calls[0].kwargs == ("a",)


def test_rule_shapes_only_skip_pairs_the_rule_cannot_match():
    from hokusai_contracts.diff.pairs import DiffContext, object_pairs

    old = [fn("f", p("a", default="1")), fn("g"), cls("C", ApiObject("m", ObjectKind.METHOD, parameters=[]))]
    new = [fn("f", p("b")), fn("h"), cls("C", ApiObject("n", ObjectKind.PROPERTY))]
    context = DiffContext(api(*old), api(*new))
    pairs = list(object_pairs(context))
    everything = {
        (c.rule, c.subject) for pair in pairs for r in STATIC_RULES for c in r.detect(pair, context)
    }
    assert everything == found(old, new) and len(everything) == 5


@pytest.mark.parametrize(
    ("old", "new", "lost"),
    [
        ("str | int", "str", ["int"]),
        ("Optional[str]", "str", ["None"]),
        # typing's evaluated spelling and the source spelling of one type are no change (httpx 0.27)
        ("Union[ForwardRef('URL'), str]", "URL | str", []),
        ("Union[str, NoneType]", "str | None", []),
        # a member OLD never named may be an alias or a supertype covering OLD's types: not claimed
        ("Union[str, bytes, Mapping[str, str]]", "QueryParamTypes", []),
        ("int | None", "float | None", []),
    ],
)
def test_narrowing_is_claimed_only_when_new_is_a_subset_of_old(old: str, new: str, lost: list[str]) -> None:
    assert narrowed(old, new) == lost
