"""Several processes using one server at once: the SDK's get-or-create steps must not race."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
import uuid

# Both processes wait for the same start time, then get-or-create the same fresh experiments.
_RACER = textwrap.dedent(
    """
    import sys, time
    from hokusai._mlflow.session import MLflowSession
    from hokusai._mlflow.target import resolve_target

    uri, start, names = sys.argv[1], float(sys.argv[2]), sys.argv[3:]
    session = MLflowSession(resolve_target(uri))
    session.call(lambda client: client.search_experiments(max_results=1))  # warm up: imports, connection
    time.sleep(max(0.0, start - time.time()))
    print(" ".join(session.ensure_experiment(name) for name in names))
    """
)


def test_two_processes_creating_the_same_experiments_agree_on_them(mlflow_server, tmp_path):
    names = [f"race-{uuid.uuid4().hex[:8]}-{i}" for i in range(12)]
    start = str(time.time() + 12)  # both have imported MLflow and connected by then
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", _RACER, mlflow_server.url, start, *names],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=tmp_path,
        )
        for _ in range(2)
    ]
    results = [racer.communicate(timeout=120) for racer in racers]
    for racer, (_, stderr) in zip(racers, results, strict=True):
        assert racer.returncode == 0, stderr[-2000:]
    first, second = (stdout.split() for stdout, _ in results)
    assert first == second and len(set(first)) == len(names)
