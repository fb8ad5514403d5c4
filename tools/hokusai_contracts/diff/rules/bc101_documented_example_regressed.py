"""BC101: an executable documentation example of the old release fails on the new SDK.

Definition only: detection runs the examples and lives in ``release/behaviour_docs.py``.
"""

from __future__ import annotations

from hokusai_contracts.findings.catalogue.diff import DOCUMENTED_EXAMPLE_REGRESSED

RULE = DOCUMENTED_EXAMPLE_REGRESSED
