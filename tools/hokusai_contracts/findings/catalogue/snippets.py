"""The executable documentation's rules (``snippets``): every python block of ``contracts/docs/*.md``."""

from __future__ import annotations

from hokusai_contracts.findings import Severity
from hokusai_contracts.findings.rules import Rule

FAMILY = "snippets"
UPDATE_HINT = "hokusai-contracts docs-update"

BLOCK_RAN = Rule(
    "DOC000",
    FAMILY,
    "block ran as documented",
    "The block ran and printed its `#>` / output expectations (or raised its raises=). Also names a "
    "block or a directory that was skipped. Reported as a pass or a skip.",
    Severity.INFO,
)
BLOCK_FAILED = Rule(
    "DOC001",
    FAMILY,
    "block failed",
    "A documentation block raised an exception it does not document, or printed something other than "
    "its `#>` lines / output block: a reader copying it sees something else.",
    fix=f"Fix the example (or the SDK); if the output changed on purpose, run `{UPDATE_HINT}`.",
)
NOT_RAISED = Rule(
    "DOC002",
    FAMILY,
    "expected exception not raised",
    "A block documents an exception (raises=) and ran without raising it.",
    fix="Make the block raise the documented exception, or change its raises= attribute.",
)
UNCONTRACTED = Rule(
    "DOC003",
    FAMILY,
    "name not in the API contract",
    "A block uses a `hokusai` name, keyword or positional argument that the API contract does not have: "
    "the documentation shows API the SDK does not promise.",
    fix="Use a contracted name; if the SDK gained it, run `hokusai-contracts extract` and commit the "
    "contract.",
)
LINT = Rule(
    "DOC004",
    FAMILY,
    "lint",
    "ruff reports a diagnostic in a block (an unused import, an undefined name, ...): readers copy it.",
    fix="Fix the example code, or add `# noqa: <code>` when it is deliberate.",
)
COUNT_DROPPED = Rule(
    "DOC005",
    FAMILY,
    "executable block count dropped",
    "The page runs fewer python blocks than its front matter records (executable_blocks), or records "
    "none: blocks silently stopped running (a broken fence, a changed language, a new skip). A page "
    "with at least the recorded count is reported as a pass.",
    fix=f"Restore the blocks, or record the count (`executable_blocks:`, or run `{UPDATE_HINT}`).",
)
MALFORMED = Rule(
    "DOC006",
    FAMILY,
    "malformed page",
    "The page's snippet attributes or front matter cannot be read.",
    fix="Correct the snippet attributes or front matter as described in contracts/docs/README.md.",
)

RULES = (BLOCK_RAN, BLOCK_FAILED, NOT_RAISED, UNCONTRACTED, LINT, COUNT_DROPPED, MALFORMED)
