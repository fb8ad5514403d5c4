"""MLflow's pip-requirement inference through the harness's relay: the same requirements as MLflow's own
fresh interpreter records, from a forked one; anything the relay cannot take runs as MLflow runs it."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from hokusai_contracts.base import forkserver
from hokusai_contracts.checks.snippets import execute
from hokusai_contracts.checks.snippets.capture_relay import relaying

SAVE_MODEL = textwrap.dedent(
    """\
    import json, sys
    sys.path.insert(0, {tools!r})
    from hokusai_contracts.checks.snippets.execute import use_capture_relay
    if {address!r}:
        use_capture_relay({address!r})
    import mlflow.sklearn
    import mlflow.utils.requirements_utils as requirements
    from sklearn.linear_model import LogisticRegression
    model = LogisticRegression().fit([[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1])
    # A model example, so the inference also loads the model and predicts, as the pages' models do.
    mlflow.sklearn.save_model(model, {path!r}, input_example=[[1.0]])
    print(json.dumps({{"relayed": getattr(requirements._run_command, "relayed", False)}}))
    """
)


def _save(tmp_path: Path, name: str, address: str | None) -> tuple[list[str], bool]:
    path = tmp_path / name
    code = SAVE_MODEL.format(tools=str(Path(execute.__file__).parents[3]), address=address, path=str(path))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    relayed = json.loads(done.stdout.strip().splitlines()[-1])["relayed"]
    return sorted((path / "requirements.txt").read_text().split()), relayed


@pytest.mark.parametrize("shared", [False, True], ids=["own launcher", "the run's base fork server"])
def test_relayed_inference_records_what_a_fresh_interpreter_records(tmp_path: Path, shared: bool):
    fresh, relayed_fresh = _save(tmp_path, "fresh", None)
    with forkserver.sharing(os.environ) if shared else contextlib.nullcontext(), relaying() as relay:
        assert relay is not None
        forked, relayed = _save(tmp_path, "forked", relay.address)
        launcher = relay.launcher(sys.executable)
        assert (launcher is forkserver.shared_base(sys.executable)) == shared
    assert not relayed_fresh and relayed
    assert launcher.forked == 1  # the script ran as a fork, once
    assert fresh == forked
    assert any(line.startswith("scikit-learn") for line in forked)


def test_what_the_relay_cannot_take_is_left_to_mlflow(tmp_path: Path):
    with relaying() as relay:
        assert relay is not None
        assert relay.answer(b"not json") == {"refused": "not a request"}
        other = {"command": [sys.executable, "-c", "pass"], "env": {}, "cwd": str(tmp_path), "timeout": 5}
        assert "refused" in relay.answer(json.dumps(other).encode())
        # A page's side: another command, or no relay at the address, is not relayed (MLflow runs it).
        assert not execute._relayed(relay.address, [sys.executable, "-c", "pass"], 5, None)
    assert not execute._relayed(
        str(tmp_path / "gone.sock"), [sys.executable, "x/_capture_modules.py"], 5, None
    )
