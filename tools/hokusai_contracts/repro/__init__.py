"""Replay third-party bug reports (``hokusai-contracts repro``) and give a verdict per claim.

A report (YAML, ``contracts/schema/bug-report.schema.json``) names the reporter's environment (Python,
SDK source, MLflow client, server and its auth) and their claims (code and what they observed).

- :mod:`.report`, :mod:`.load`, :mod:`.literal_secrets`, :mod:`.references`: the format and reading it;
- :mod:`.sdk_env`, :mod:`.servers`: the environments and servers a replay runs in;
- :mod:`.run_claims`, :mod:`.claim_worker`, :mod:`.transcript`, :mod:`.outcome`: running one claim;
- :mod:`.verdict` (pure), :mod:`.replay`: verdicts and the whole replay;
- :mod:`.findings`: each claim's verdict as a finding, and the report model that the ``repro-markdown``
  and ``repro-json`` handlers of :mod:`hokusai_contracts.reports` render.
"""
