"""Executable documentation: every fenced ``python`` block of ``contracts/docs/*.md`` is a contract.

``parse`` reads a page, ``names`` makes its model names unique per run, ``execute`` runs its blocks in one
namespace (standard library only, so it also runs in another interpreter), ``crosscheck`` and ``lint``
read the code statically, ``family`` turns everything into findings, ``update`` rewrites expected output.
The authoring syntax is described in ``contracts/docs/README.md``.
"""
