"""Semantic versions: parsing, the semver precedence order, bumping and the order of version labels."""

from __future__ import annotations

import functools
import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hokusai.core import Version
from hokusai.core.semver import version_sort_key
from hokusai.exceptions import InvalidParameterError

numbers = st.integers(min_value=0, max_value=10**6)
identifiers = st.one_of(
    st.integers(min_value=0, max_value=999).map(str),
    st.from_regex(r"[0-9]*[A-Za-z-][0-9A-Za-z-]{0,5}", fullmatch=True),
)
prereleases = st.none() | st.lists(identifiers, min_size=1, max_size=4).map(".".join)
versions = st.builds(Version, numbers, numbers, numbers, prereleases)
small_versions = st.builds(
    Version,
    st.integers(0, 2),
    st.integers(0, 2),
    st.integers(0, 2),
    st.none()
    | st.lists(st.sampled_from(["0", "1", "2", "10", "a", "alpha", "b1", "-"]), min_size=1, max_size=3).map(
        ".".join
    ),
)


def reference_compare(a: Version, b: Version) -> int:
    """Semver 2.0.0 precedence (rule 11) written out step by step, for checking the implementation."""
    for x, y in ((a.major, b.major), (a.minor, b.minor), (a.patch, b.patch)):
        if x != y:
            return -1 if x < y else 1
    if a.prerelease == b.prerelease:
        return 0
    if a.prerelease is None:
        return 1
    if b.prerelease is None:
        return -1
    for x, y in itertools.zip_longest(a.prerelease.split("."), b.prerelease.split(".")):
        if x is None:
            return -1
        if y is None:
            return 1
        if x == y:
            continue
        if x.isdigit() and y.isdigit():
            return -1 if int(x) < int(y) else 1
        if x.isdigit() != y.isdigit():
            return -1 if x.isdigit() else 1
        return -1 if x < y else 1
    return 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0.0.0", Version(0, 0, 0)),
        ("1.2.3", Version(1, 2, 3)),
        ("10.20.30", Version(10, 20, 30)),
        ("1.0.0-rc.1", Version(1, 0, 0, "rc.1")),
        ("1.0.0-0A.is.legal", Version(1, 0, 0, "0A.is.legal")),
        ("1.0.0--", Version(1, 0, 0, "-")),
    ],
)
def test_parse_and_str(text, expected):
    assert Version.parse(text) == expected
    assert str(expected) == text


@pytest.mark.parametrize(
    "text",
    ["", "1", "1.2", "1.2.3.4", "01.2.3", "1.02.3", "1.2.03", "v1.2.3", "1.2.3-", "1.2.3-01", "1.2.3-a..b",
     "1.2.3+build", " 1.2.3", "1.2.3\n", "1.2.-3", "a.b.c", "1.2.3-é"],
)  # fmt: skip
def test_parse_rejects_non_semver_with_fix(text):
    assert not Version.is_valid(text)
    with pytest.raises(InvalidParameterError) as info:
        Version.parse(text)
    assert "MAJOR.MINOR.PATCH" in str(info.value)


@pytest.mark.parametrize("fields", [(-1, 0, 0), (1, 2.0, 3), (True, 0, 0), (1, 2, 3, "01"), (1, 2, 3, "")])
def test_constructor_validates_fields(fields):
    with pytest.raises(InvalidParameterError):
        Version(*fields)


def test_parse_rejects_non_strings_and_passes_versions_through():
    with pytest.raises(InvalidParameterError, match="must be a string"):
        Version.parse(123)
    version = Version(1, 2, 3)
    assert Version.parse(version) is version


def test_semver_spec_precedence_example():
    chain = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2",
             "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.1.0", "1.10.0", "2.0.0"]  # fmt: skip
    parsed = [Version.parse(text) for text in chain]
    assert sorted(reversed(parsed)) == parsed
    assert all(a < b and b > a and a <= b and not a >= b for a, b in itertools.pairwise(parsed))


@given(versions)
def test_round_trip(version):
    assert Version.parse(str(version)) == version
    assert str(Version.parse(str(version))) == str(version)


@given(st.text(alphabet="0123456789.-+abrcv", max_size=16))
def test_accepted_strings_round_trip_exactly(text):
    if Version.is_valid(text):
        assert str(Version.parse(text)) == text
    else:
        with pytest.raises(InvalidParameterError):
            Version.parse(text)


@given(small_versions, small_versions)
def test_order_matches_semver_reference_and_is_total(a, b):
    expected = reference_compare(a, b)
    assert (a < b, a == b, a > b) == (expected < 0, expected == 0, expected > 0)
    assert (a <= b) == (expected <= 0) and (a >= b) == (expected >= 0)
    if a == b:
        assert hash(a) == hash(b)


@given(st.lists(small_versions, max_size=8))
def test_sorting_is_consistent_with_the_reference(items):
    by_reference = sorted(items, key=functools.cmp_to_key(reference_compare))
    assert [reference_compare(x, y) for x, y in zip(sorted(items), by_reference, strict=True)] == [0] * len(
        items
    )


@given(small_versions, small_versions, small_versions)
def test_order_is_transitive(a, b, c):
    if a <= b and b <= c:
        assert a <= c


@given(versions, st.sampled_from(["major", "minor", "patch"]))
def test_bump_moves_forward_to_a_release(version, part):
    bumped = version.bump(part)
    assert bumped > version
    assert bumped.prerelease is None


@pytest.mark.parametrize(
    ("start", "part", "expected"),
    [
        ("1.2.3", "patch", "1.2.4"),
        ("1.2.3", "minor", "1.3.0"),
        ("1.2.3", "major", "2.0.0"),
        ("2.0.0-rc.1", "major", "2.0.0"),
        ("2.0.0-rc.1", "minor", "2.0.0"),
        ("2.0.0-rc.1", "patch", "2.0.0"),
        ("1.2.3-rc.1", "minor", "1.3.0"),
        ("1.2.0-rc.1", "major", "2.0.0"),
    ],
)
def test_bump_examples(start, part, expected):
    assert str(Version.parse(start).bump(part)) == expected


def test_bump_rejects_unknown_part():
    with pytest.raises(InvalidParameterError, match="'major', 'minor' or 'patch'"):
        Version(1, 0, 0).bump("build")


def test_label_order_is_numeric():
    assert sorted(["10", "2", "1"], key=version_sort_key) == ["1", "2", "10"]
    assert sorted(["1.10.0", "1.2.3", "1.2.3-rc.1"], key=version_sort_key) == [
        "1.2.3-rc.1",
        "1.2.3",
        "1.10.0",
    ]
    assert sorted(["zeta", "3", "1.0.0", "alpha"], key=version_sort_key) == ["1.0.0", "3", "alpha", "zeta"]


@given(
    st.lists(st.one_of(versions.map(str), st.integers(1, 10**6).map(str), st.text(max_size=5)), max_size=8)
)
def test_label_order_is_total(labels):
    ordered = sorted(labels, key=version_sort_key)
    keys = [version_sort_key(label) for label in ordered]
    assert keys == sorted(keys)


@given(st.integers(1, 10**6), st.integers(1, 10**6))
def test_integer_labels_order_numerically(a, b):
    assert (version_sort_key(str(a)) < version_sort_key(str(b))) == (a < b)
