"""hokusai-contracts: the verification harness for the hokusai SDK."""

__version__ = "0.1.0"
