"""The API reference, generated from the contracts: Markdown pages and a static, searchable HTML site.

``inputs`` reads the contracts (and the run results a build is given), ``examples`` finds the
documentation blocks that use each object, ``entries`` / ``auth_table`` / ``site`` turn all of it into page
data (``pages``), ``render`` lays the pages out with Jinja2 templates, ``search`` makes the client-side
index, and ``writer`` writes a build or compares it with a committed copy. Output depends on the inputs
only: no timestamps, everything sorted, so two builds are byte-identical.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from hokusai_contracts.base.errors import HarnessUsageError
from hokusai_contracts.reference.inputs import load_inputs
from hokusai_contracts.reference.render import FORMATS, render_site
from hokusai_contracts.reference.site import build_site


def parse_formats(value: str) -> list[str]:
    """``"md,html"`` -> ``["md", "html"]``, each known, in the order of :data:`FORMATS`."""
    chosen = {name.strip().lower() for name in value.split(",") if name.strip()}
    unknown = sorted(chosen - set(FORMATS))
    if unknown or not chosen:
        raise HarnessUsageError(
            f"--format {value!r}: expected a comma-separated list of {', '.join(FORMATS)}"
            + (f" (unknown: {', '.join(unknown)})" if unknown else "")
        )
    return [fmt for fmt in FORMATS if fmt in chosen]


def build_reference(
    contracts: Path,
    formats: Iterable[str] = FORMATS,
    templates: Path | None = None,
    results: Path | None = None,
    matrix: Path | None = None,
) -> dict[str, str]:
    """Relative path -> text of every file of the reference built from ``contracts``."""
    site = build_site(load_inputs(contracts, results=results, matrix=matrix))
    return render_site(site, formats, templates)
