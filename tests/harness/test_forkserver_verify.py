"""``verify`` runs each documentation page in a process forked from the fork server of the SDK's
interpreter (HOKUSAI_CONTRACTS_NO_FORKSERVER=1: a fresh interpreter per page)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hokusai_contracts.base.forkserver import FORKSERVER_OFF

PAGE = """\
---
executable_blocks: 1
---

```python
import os
from pathlib import Path

parent = Path(f"/proc/{os.getppid()}/cmdline").read_bytes().replace(b"\\0", b" ").decode()
print("--forkserver" in parent)
#> True
```
"""


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="reads /proc")
def test_pages_run_in_processes_forked_from_the_fork_server(tmp_path: Path):
    contracts = tmp_path / "contracts"
    (contracts / "docs").mkdir(parents=True)
    (contracts / "api").mkdir()
    (contracts / "docs" / "forked.md").write_text(PAGE, encoding="utf-8")
    command = [sys.executable, "-m", "hokusai_contracts.cli.app", "verify", "--only", "snippets"]
    command += ["--contracts", str(contracts), "--quiet", "--no-cache", "--json", str(tmp_path / "r.json")]

    def block_verdict(**extra: str) -> tuple[str, str]:
        env = {k: v for k, v in os.environ.items() if k != FORKSERVER_OFF} | extra
        done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
        findings = json.loads((tmp_path / "r.json").read_text())["findings"]
        ran = [f for f in findings if f["subject"].startswith("forked.md::")]
        assert ran, done.stdout[-3000:] + done.stderr[-3000:]
        return ran[-1]["outcome"], ran[-1]["message"]

    assert block_verdict()[0] == "passed"
    outcome, message = block_verdict(**{FORKSERVER_OFF: "1"})
    assert outcome == "failed" and "wrong output" in message
