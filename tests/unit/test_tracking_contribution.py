"""Summaries of contributed data: hashes, sizes, contributor and metadata."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hokusai.exceptions import InvalidParameterError
from hokusai.tracking._contribution import content_hash, summarize_contribution


def test_dict_with_explicit_fields():
    summary = summarize_contribution(
        {"data_hash": "sha256:abc", "rows": 1200, "columns": 8, "contributor_id": "c-1", "source": "survey"}
    )
    assert summary.as_dict() == {
        "data_hash": "sha256:abc",
        "hash_source": "provided",
        "rows": 1200,
        "columns": 8,
        "contributor_id": "c-1",
        "source": "survey",
    }


def test_legacy_shape_features_and_metadata():
    summary = summarize_contribution(
        {
            "features": [[1, 2, 3], [4, 5, 6]],
            "labels": [0, 1],
            "metadata": {"dataset_hash": "h1", "contributor_id": "alice", "license": "cc-by"},
        }
    )
    assert (summary.data_hash, summary.hash_source) == ("h1", "provided")
    assert (summary.rows, summary.columns) == (2, 3)
    assert summary.contributor_id == "alice"
    assert summary.metadata == {"license": "cc-by"}


def test_data_contribution_shape_of_track_improvement():
    summary = summarize_contribution({"dataset_hash": "h", "data_size": 500, "data_quality_score": 0.9})
    assert summary.rows == 500
    assert summary.metadata == {"data_quality_score": 0.9}


def test_hash_is_computed_from_records_when_not_given():
    records = [{"x": 1, "y": 0}, {"x": 2, "y": 1}]
    summary = summarize_contribution({"features": records})
    assert summary.hash_source == "computed"
    assert summary.data_hash == content_hash(records)
    assert summary.data_hash.startswith("sha256:")


def test_list_of_records():
    summary = summarize_contribution([[1, 2], [3, 4], [5, 6]])
    assert (summary.rows, summary.columns) == (3, 2)


def test_dataframe():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"a": [1, 2, 3], "b": [0.5, 0.1, 0.2]})
    summary = summarize_contribution(frame)
    assert (summary.rows, summary.columns) == (3, 2)
    assert summary.data_hash == summarize_contribution(frame.copy()).data_hash
    assert summary.data_hash != summarize_contribution(frame.assign(b=[0, 0, 0])).data_hash


@pytest.mark.parametrize("bad", [None, 42, "some/path.csv"])
def test_unsupported_contributions_are_rejected(bad):
    with pytest.raises(InvalidParameterError, match="contributed_data"):
        summarize_contribution(bad)


def test_non_integer_row_count_is_rejected():
    with pytest.raises(InvalidParameterError, match="whole number"):
        summarize_contribution({"rows": "many"})


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=3), children, max_size=3)
    ),
    max_leaves=10,
)


@given(st.dictionaries(st.text(max_size=4), json_values, max_size=5))
def test_content_hash_ignores_key_order(data):
    reordered = dict(reversed(list(data.items())))
    assert content_hash(data) == content_hash(reordered)
