"""The client-side search index of the HTML reference: one record per module, object and auth scenario.

Written twice with the same data: ``search-index.json`` for tools, and ``search-index.js`` (the JSON
assigned to a global) which a page loads with a ``<script>`` tag, so search works from ``file://`` too,
where browsers refuse to fetch a local JSON file.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from hokusai_contracts.reference.pages import AUTH, ObjectEntry, Site

JSON_NAME, SCRIPT_NAME = "search-index.json", "search-index.js"
GLOBAL = "HOKUSAI_SEARCH_INDEX"


def _entry_records(entries: list[ObjectEntry], page: str) -> Iterator[dict[str, Any]]:
    for entry in entries:
        yield {
            "name": entry.name,
            "path": entry.path,
            "kind": entry.kind,
            "summary": entry.summary,
            "exports": entry.export_paths,
            "url": f"{page}.html#{entry.anchor}",
        }
        yield from _entry_records(entry.members, page)


def search_records(site: Site) -> list[dict[str, Any]]:
    """Every searchable thing of ``site``, sorted by path."""
    records: list[dict[str, Any]] = []
    for module in site.modules:
        records.append(
            {
                "name": module.name,
                "path": module.name,
                "kind": "module",
                "summary": module.summary,
                "exports": [],
                "url": f"{module.page}.html",
            }
        )
        records.extend(_entry_records(module.entries, module.page))
    for section in site.auth:
        for row in section.rows:
            records.append(
                {
                    "name": row.name,
                    "path": f"auth.{row.name}",
                    "kind": "auth scenario",
                    "summary": row.description,
                    "exports": [],
                    "url": f"{AUTH}.html#{row.name}",
                }
            )
    return sorted(records, key=lambda record: (record["path"], record["url"]))


def index_json(records: list[dict[str, Any]]) -> str:
    """The index as a JSON document."""
    return json.dumps(records, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def index_script(records: list[dict[str, Any]]) -> str:
    """The index as a script that defines ``window.HOKUSAI_SEARCH_INDEX``."""
    data = json.dumps(records, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    # "</" could end a script early; the escaped form parses to the same string.
    escaped = data.replace("</", "<\\/")
    return f"window.{GLOBAL} = {escaped};\n"
