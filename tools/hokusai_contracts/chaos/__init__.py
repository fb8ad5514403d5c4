"""The fault run (``hokusai-contracts chaos``): an SDK workload against a topology while faults are injected.

``schedule`` (which fault when), ``faults`` (doing them), ``workload_worker`` (the SDK calls, in the SDK's
interpreter), ``registry`` (reading the database afterwards), ``reconcile`` (calls vs. registry),
``report`` (JSON, Markdown, PNG), ``run`` (all of it once).
"""
