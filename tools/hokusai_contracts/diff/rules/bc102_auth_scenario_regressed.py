"""BC102: an auth scenario of the old release ends differently on the new SDK.

Definition only: detection runs the scenarios and lives in ``diff/behaviour.py``.
"""

from __future__ import annotations

from hokusai_contracts.diff.catalogue import Bump, Impact, Rule

RULE = Rule(
    id="BC102",
    name="auth-scenario-regressed",
    title="auth scenario regressed",
    explanation=(
        "An auth scenario of the old release (contracts/auth) that passed on the old SDK fails on the new "
        "one: the same credentials and call no longer end as documented."
    ),
    severity=Impact.BREAKING,
    bump=Bump.MAJOR,
)
