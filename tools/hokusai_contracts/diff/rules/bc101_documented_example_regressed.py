"""BC101: an executable documentation example of the old release fails on the new SDK.

Definition only: detection runs the examples and lives in ``diff/behaviour.py``.
"""

from __future__ import annotations

from hokusai_contracts.diff.catalogue import Bump, Impact, Rule

RULE = Rule(
    id="BC101",
    name="documented-example-regressed",
    title="documented example regressed",
    explanation=(
        "An example of the old release's executable documentation (contracts/docs) that passed on the old "
        "SDK fails on the new one, even when no signature changed: a constructor that newly requires a "
        "credential, a default that newly points at a remote server, a method that newly raises."
    ),
    severity=Impact.BREAKING,
    bump=Bump.MAJOR,
)
