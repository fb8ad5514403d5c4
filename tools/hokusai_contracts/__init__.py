"""hokusai-contracts: the verification harness for the hokusai SDK."""

from hokusai_contracts.base.concurrency import serialize_ast_parse

__version__ = "0.1.0"

# The harness parses code from many threads (families, pages, both sides of a diff); CPython < 3.13
# can fail two concurrent ast.parse calls (base/concurrency.py), so every harness process serializes
# them from its first import on, not only verify.
serialize_ast_parse()
