"""BC103: a module that does not import on a side is read statically (or, if its source does not parse,
left out of both sides), with the reason.

Definition only: the exclusion and its findings live in ``diff/coverage.py``.
"""

from __future__ import annotations

from hokusai_contracts.findings.catalogue.diff import MODULE_NOT_COMPARED

RULE = MODULE_NOT_COMPARED
