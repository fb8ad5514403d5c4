"""The inference pipeline's pure parts: input conversion, fingerprints, caches, version ordering."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import threading
import time

import numpy as np
import pandas as pd
import pytest

from hokusai.core._inference_data import fingerprint, to_model_input, to_python_list
from hokusai.core._model_cache import ModelLRU
from hokusai.core._result_cache import MemoryResultCache, RedisResultCache
from hokusai.core._serving_versions import order_versions, pinned_number
from hokusai.core.inference import CacheConfig
from hokusai.exceptions import ConfigurationError, InvalidParameterError


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


# -- input ------------------------------------------------------------------------------------------


def test_records_rows_and_values_become_dataframes():
    records = to_model_input([{"a": 1, "b": 2.5}, {"a": 3, "b": 4.5}])
    pd.testing.assert_frame_equal(records, pd.DataFrame({"a": [1, 3], "b": [2.5, 4.5]}))
    rows = to_model_input([[1, 2], (3, 4)])
    assert rows.values.tolist() == [[1, 2], [3, 4]]
    values = to_model_input(["good", "bad"])
    assert values.iloc[:, 0].tolist() == ["good", "bad"]


def test_dataframes_and_arrays_pass_through_unchanged():
    frame = pd.DataFrame({"a": [1.0]})
    array = np.ones((3, 2))
    assert to_model_input(frame) is frame
    assert to_model_input(array) is array


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (None, "data is None"),
        ([], "empty list"),
        (pd.DataFrame({"a": []}), "empty DataFrame"),
        (np.empty((0, 3)), "shape \\(0, 3\\)"),
        ({"a": 1}, "single dict"),
        ("text", "cannot be turned into a model input"),
        ([{"a": 1}, [1]], "mixes records"),
    ],
)
def test_unusable_data_is_an_invalid_parameter(data, message):
    with pytest.raises(InvalidParameterError, match=message) as info:
        to_model_input(data)
    assert info.value.parameter_name == "data" and info.value.fix


def test_fingerprint_depends_on_values_columns_and_types_only():
    frame = pd.DataFrame({"a": [1.0, 2.0], "b": ["x", "y"]})
    same = pd.DataFrame({"a": [1.0, 2.0], "b": ["x", "y"]}, index=[10, 11])
    assert fingerprint(frame) == fingerprint(same)
    assert fingerprint(frame) != fingerprint(frame.assign(a=[1.0, 2.5]))
    assert fingerprint(frame) != fingerprint(frame.rename(columns={"a": "c"}))
    assert fingerprint(frame) != fingerprint(frame.astype({"a": "float32"}))
    assert fingerprint(np.ones((2, 2))) != fingerprint(np.ones((4, 1)))
    unhashable = pd.DataFrame({"a": [[1, 2], [3]]})
    assert fingerprint(unhashable) == fingerprint(pd.DataFrame({"a": [[1, 2], [3]]}))


def test_fingerprint_is_stable_across_processes_and_the_module_imports_lightly():
    code = (
        "import sys; import hokusai.core.inference, hokusai.core.ab_testing; "
        "heavy = [m for m in ('mlflow', 'pandas', 'numpy', 'scipy') if m in sys.modules]; "
        "import pandas as pd; from hokusai.core._inference_data import fingerprint; "
        "print(heavy, fingerprint(pd.DataFrame({'a': [1.0, 2.0], 'b': ['x', 'y']})))"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    heavy, _, digest = out.strip().rpartition(" ")
    assert heavy == "[]"
    assert digest == fingerprint(pd.DataFrame({"a": [1.0, 2.0], "b": ["x", "y"]}))


def test_predictions_become_plain_python_lists():
    assert to_python_list(np.array([1, 0])) == [1, 0]
    assert type(to_python_list(np.array([1.5]))[0]) is float
    assert to_python_list(pd.Series(["a"])) == ["a"]
    assert to_python_list(pd.DataFrame({"p": [0.1, 0.9]})) == [0.1, 0.9]
    assert to_python_list(pd.DataFrame({"p": [0.1], "q": [2]})) == [{"p": 0.1, "q": 2}]
    assert to_python_list([np.int64(3), "x"]) == [3, "x"]
    assert to_python_list("label") == ["label"]


# -- result cache -----------------------------------------------------------------------------------


def test_memory_cache_expires_entries_after_the_ttl():
    clock = FakeClock()
    cache = MemoryResultCache(ttl_seconds=10, max_entries=5, clock=clock)
    cache.set("k", [1, 2])
    clock.now += 9.9
    assert cache.get("k") == [1, 2]
    clock.now += 0.1
    assert cache.get("k") is None
    assert (cache.counters.hits, cache.counters.misses, len(cache)) == (1, 1, 0)


def test_memory_cache_evicts_least_recently_used_and_returns_copies():
    cache = MemoryResultCache(ttl_seconds=60, max_entries=2)
    cache.set("a", [[1]])
    cache.set("b", [[2]])
    cache.get("a")[0].append("mutated")
    cache.set("c", [[3]])  # evicts b: a was used more recently
    assert cache.get("b") is None
    assert cache.get("a") == [[1]]
    assert len(cache) == 2


@pytest.mark.skipif(importlib.util.find_spec("redis") is not None, reason="the redis package is installed")
def test_redis_cache_without_the_package_is_a_configuration_error():
    with pytest.raises(ConfigurationError, match="needs the 'redis' package") as info:
        RedisResultCache("redis://localhost:6379/0", ttl_seconds=60)
    assert "pip install redis" in info.value.fix and "redis_url unset" in info.value.fix


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"ttl_seconds": 0}, "ttl_seconds"),
        ({"max_entries": 0}, "max_entries"),
        ({"enabled": "yes"}, "enabled"),
        ({"redis_url": ""}, "redis_url"),
        ({"latest_version_ttl_seconds": -1}, "latest_version_ttl_seconds"),
    ],
)
def test_cache_config_validation(kwargs, parameter):
    with pytest.raises(InvalidParameterError) as info:
        CacheConfig(**kwargs)
    assert info.value.parameter_name == parameter


# -- model LRU --------------------------------------------------------------------------------------


def test_model_lru_evicts_the_least_recently_used_model():
    lru = ModelLRU(2)
    loads = []

    def loader(name):
        return lambda: loads.append(name) or f"model-{name}"

    lru.get_or_load("a", loader("a"))
    lru.get_or_load("b", loader("b"))
    lru.get_or_load("a", loader("a"))  # hit: a becomes most recent
    lru.get_or_load("c", loader("c"))
    assert lru.loaded_keys() == ["a", "c"]
    assert loads == ["a", "b", "c"]


def test_model_lru_loads_a_model_once_for_concurrent_requests():
    lru = ModelLRU(1)
    loads = []

    def slow_load():
        loads.append(1)
        time.sleep(0.05)
        return "model"

    threads = [threading.Thread(target=lru.get_or_load, args=("k", slow_load)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert loads == [1]


def test_model_lru_does_not_keep_failed_loads():
    lru = ModelLRU(1)

    def broken():
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        lru.get_or_load("k", broken)
    assert lru.loaded_keys() == []
    assert lru.get_or_load("k", lambda: "ok") == "ok"


def test_model_lru_capacity_must_be_positive():
    with pytest.raises(InvalidParameterError, match="max_models_in_memory"):
        ModelLRU(0)


# -- versions ---------------------------------------------------------------------------------------


def history(*entries):
    return [{"mlflow_version": v, "semver": s, "status": status} for v, s, status in entries]


def test_ready_versions_are_ordered_like_the_version_manager_lists_them():
    ready = order_versions(
        history(
            ("1", None, "READY"),
            ("10", None, "READY"),
            ("2", None, "READY"),
            ("11", None, "PENDING_REGISTRATION"),
            ("12", None, "FAILED_REGISTRATION"),
        )
    )
    assert ready.versions == ("1", "2", "10")


def test_semantic_versions_order_by_semver_and_map_to_mlflow_numbers():
    ready = order_versions(history(("1", "2.0.0", "READY"), ("2", "1.5.1", "READY"), ("3", "bogus", "READY")))
    # A hotfix 1.5.1 registered after 2.0.0 does not become "latest"; a bad tag reads as its number.
    assert ready.versions == ("2", "1", "3")
    assert ready.by_semver == {"2.0.0": "1", "1.5.1": "2"}


def test_unpinned_requests_serve_the_latest_then_the_previous_version():
    ready = order_versions(history(("1", None, "READY"), ("2", None, "READY"), ("3", None, "READY")))
    assert ready.current() == ("3", "2")


def test_the_production_alias_set_by_a_rollback_serves_unpinned_requests():
    entries = history(("1", None, "READY"), ("2", None, "READY"), ("3", None, "READY"))
    entries[1]["aliases"] = ["production"]
    assert order_versions(entries).current() == ("2", "1")
    entries[1]["aliases"], entries[0]["aliases"] = [], ["production"]
    # The oldest version has nothing below it to fall back to.
    assert order_versions(entries).current() == ("1",)


def test_a_production_alias_on_a_version_not_ready_is_ignored():
    entries = history(("1", None, "READY"), ("2", None, "FAILED_REGISTRATION"))
    entries[1]["aliases"] = ["production"]
    assert order_versions(entries).current() == ("1",)


@pytest.mark.parametrize(
    ("value", "expected"), [(3, "3"), ("03", "3"), (" 7 ", "7"), (0, None), (True, None)]
)
def test_pinned_numbers(value, expected):
    assert pinned_number(value) == expected
