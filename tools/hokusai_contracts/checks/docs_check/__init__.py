"""``docs-check``: anyone's documentation (Markdown, MDX, reStructuredText, notebooks, example scripts)
checked against the SDK installed in a target interpreter, with no authoring syntax.

The flow: ``discovery`` finds the files, ``blocks`` pulls the Python code out of each, ``analysis`` binds
it statically to the introspected API model (``api_view``, ``values``), ``execution`` runs it (``--run``),
and ``report`` turns what they found into :class:`~hokusai_contracts.findings.Finding` s.
"""
