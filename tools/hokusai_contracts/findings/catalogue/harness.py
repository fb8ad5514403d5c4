"""Rules any check family can emit: a contract file that cannot be read, a check that could not run.

Their ids are words, not numbers: they name the harness's own trouble, not a property of the SDK.
"""

from __future__ import annotations

from hokusai_contracts.findings.rules import Rule

FAMILY = "harness"

CONTRACT_INVALID = Rule(
    "contract-invalid",
    FAMILY,
    "contract file invalid",
    "A contract file of the family cannot be read: invalid YAML, a schema violation, an unknown key. "
    "The finding names the file and line; the family's other checks of that file do not run.",
    fix="correct the contract file at the place named, or regenerate it with `hokusai-contracts extract`",
)
INFRASTRUCTURE = Rule(
    "infrastructure",
    FAMILY,
    "check could not run",
    "The check could not run for a reason outside the contracts: the SDK does not import, a server did "
    "not start or answer, an interpreter is missing. The run exits 2.",
    fix="fix the environment named in the message, then run verify again",
)
INTERNAL_ERROR = Rule(
    "harness-internal-error",
    FAMILY,
    "check crashed",
    "The check raised an unexpected exception: a bug in the harness. The run exits 2 and the details "
    "hold the traceback.",
    fix="this is a bug in the harness; report it with the details below",
)

RULES = (CONTRACT_INVALID, INFRASTRUCTURE, INTERNAL_ERROR)
