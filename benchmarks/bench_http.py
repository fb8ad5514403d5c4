"""Benchmark (not a test): how long the ``http`` family's parts take, per contract.

Starts a throwaway MLflow server and a gateway in front of it, then times: the Schemathesis run of the
MLflow consumer contract and of the gateway contract (at each ``max_examples`` given), and the recorded
SDK flow checked against the consumer contract. Prints operations, requests, seconds and requests/s.

Run: .venv/bin/python benchmarks/bench_http.py [MAX_EXAMPLES ...]  (default 10; about 40 s per value)
"""

from __future__ import annotations

import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONSUMER = ROOT / "contracts" / "http" / "mlflow-consumer.openapi.yaml"
GATEWAY = ROOT / "contracts" / "http" / "gateway.openapi.yaml"
_REQUESTS = re.compile(r"^(\d+) ")


def _requests(findings) -> int:
    """Requests sent, as the passing findings count them (failing operations are not counted)."""
    return sum(int(m.group(1)) for f in findings if (m := _REQUESTS.match(f.message)))


def _line(name: str, findings, seconds: float) -> str:
    requests = _requests(findings)
    failing = sum(1 for f in findings if f.failed)
    rate = requests / seconds if seconds else 0.0
    return (
        f"{name:34} operations {len(findings):3}  requests {requests:5}  failing {failing:2}  "
        f"{seconds:6.1f} s  {rate:6.1f} req/s"
    )


def main() -> None:
    """Measure each part once per ``max_examples`` value and print one line each."""
    from hokusai_contracts.checks.http.fuzz import check_http
    from hokusai_contracts.checks.http.recorded import record_sdk_flow, recording_findings
    from hokusai_contracts.checks.http.servers import fuzz_targets

    values = [int(v) for v in sys.argv[1:]] or [10]
    with tempfile.TemporaryDirectory() as tmp:
        started = time.monotonic()
        with fuzz_targets(Path(tmp)) as targets:
            print(f"servers started in {time.monotonic() - started:.1f} s (MLflow + gateway)")
            for examples in values:
                began = time.monotonic()
                found = check_http(CONSUMER, targets.mlflow.url, max_examples=examples)
                print(_line(f"mlflow-consumer max_examples={examples}", found, time.monotonic() - began))
                gateway = targets.gateway
                began = time.monotonic()
                found = check_http(
                    GATEWAY,
                    gateway.url,
                    auth=gateway.keys.write,
                    max_examples=examples,
                    secrets=gateway.secrets(),
                )
                print(_line(f"gateway max_examples={examples}", found, time.monotonic() - began))
            began = time.monotonic()
            recording = record_sdk_flow(targets.mlflow.url)
            flow_seconds = time.monotonic() - began
            began = time.monotonic()
            found = recording_findings(CONSUMER, recording, targets.mlflow.url)
            check_seconds = time.monotonic() - began
    failing = sum(1 for f in found if f.failed)
    print(
        f"{'recorded SDK flow':34} exchanges {len(recording.exchanges):4}  operations {len(found):3}  "
        f"failing {failing:2}  flow {flow_seconds:6.1f} s  check {check_seconds:5.2f} s"
    )


if __name__ == "__main__":
    main()
