"""BC102: an auth scenario of the old release ends differently on the new SDK.

Definition only: detection runs the scenarios and lives in ``release/behaviour_auth.py``.
"""

from __future__ import annotations

from hokusai_contracts.findings.catalogue.diff import AUTH_SCENARIO_REGRESSED

RULE = AUTH_SCENARIO_REGRESSED
