"""Check recorded HTTP exchanges against a consumer contract: what the client really sent and read.

Every exchange must hit an operation of the contract (HTTP006 otherwise), answer a documented status
(HTTP002) and carry a body with every field the contract requires (HTTP006) and of the declared types
(HTTP003). Pure: exchanges in, findings out.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator

from hokusai_contracts.checks.http.document import OpenApiDocument, Operation
from hokusai_contracts.checks.http.rules import (
    CONSUMER_FIELD_MISSING,
    SCHEMA_VIOLATION,
    UNDOCUMENTED_STATUS,
    finding,
    passed,
)
from hokusai_contracts.findings import Finding, Location
from hokusai_contracts.servers.proxy import Exchange

JSON = "application/json"
_CURL_BODY_LIMIT = 2000


@dataclass(frozen=True)
class Mismatch:
    """One way an exchange departs from the contract."""

    rule: str
    subject: str
    message: str
    key: str  # what makes two mismatches the same problem (reported once)
    line: int | None


def _escape(segment: str) -> str:
    return segment.replace("~", "~0").replace("/", "~1")


def locate(document: OpenApiDocument, pointer: str) -> tuple[Any, str]:
    """The node at JSON ``pointer`` and its own pointer, local ``$ref`` s followed."""
    for _ in range(32):
        node: Any = document.data
        for raw in pointer.lstrip("/").split("/") if pointer else []:
            key = raw.replace("~1", "/").replace("~0", "~")
            node = node.get(key) if isinstance(node, dict) else None
        ref = node.get("$ref") if isinstance(node, dict) else None
        if not (isinstance(ref, str) and ref.startswith("#/")):
            return node, pointer
        pointer = ref[1:]
    return None, pointer


def response_pointer(document: OpenApiDocument, op: Operation, status: int) -> str | None:
    """The pointer of the response object for ``status`` (exact, then ``4XX``, then ``default``)."""
    base = f"/paths/{_escape(op.path)}/{op.method}/responses"
    responses, _ = locate(document, base)
    for key in (str(status), f"{status // 100}XX", "default"):
        if isinstance(responses, dict) and key in responses:
            return locate(document, f"{base}/{_escape(key)}")[1]
    return None


class SchemaCache:
    """Validators of ``document``'s schemas by pointer, built once (``$ref`` s resolve in the document)."""

    def __init__(self, document: OpenApiDocument) -> None:
        self.document = document
        self._validators: dict[str, Draft202012Validator] = {}

    def validator(self, pointer: str) -> Draft202012Validator:
        """A validator for the schema at ``pointer``."""
        if pointer not in self._validators:
            # The document itself is the root schema (its OpenAPI keys are unknown keywords, ignored), so
            # every `#/components/...` reference resolves; `$ref` picks the schema to apply.
            root = {**self.document.data, "$ref": f"#{pointer}"}
            self._validators[pointer] = Draft202012Validator(root)
        return self._validators[pointer]


def _path_of(error: Any) -> str:
    return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)


def body_mismatches(
    cache: SchemaCache, op: Operation, schema_pointer: str, body: Any, what: str
) -> Iterator[Mismatch]:
    """Departures of ``body`` from the schema at ``schema_pointer`` (``what``: 'response 200', ...)."""
    found: dict[str, Mismatch] = {}
    for mismatch in _body_mismatches(cache, op, schema_pointer, body, what):
        found.setdefault(mismatch.key, mismatch)
    return iter(found.values())


def _body_mismatches(
    cache: SchemaCache, op: Operation, schema_pointer: str, body: Any, what: str
) -> Iterator[Mismatch]:
    for error in cache.validator(schema_pointer).iter_errors(body):
        where = _path_of(error)
        if error.validator == "required":
            missing = [name for name in error.validator_value if name not in (error.instance or {})]
            for name in missing:
                yield Mismatch(
                    CONSUMER_FIELD_MISSING,
                    op.label,
                    f"the {what} lacks `{name}` at `{where}`, which the contract requires (the SDK reads it)",
                    f"{what}:{where}.{name}",
                    op.line,
                )
        else:
            yield Mismatch(
                SCHEMA_VIOLATION,
                op.label,
                f"the {what} does not match the contract at `{where}`: {error.message}",
                f"{what}:{where}:{error.validator}",
                op.line,
            )


def _json_schema_pointer(document: OpenApiDocument, container: str) -> str | None:
    content, pointer = locate(document, f"{container}/content")
    if not isinstance(content, dict) or JSON not in content:
        return None
    schema, schema_pointer = locate(document, f"{pointer}/{_escape(JSON)}/schema")
    return schema_pointer if schema is not None else None


def exchange_mismatches(document: OpenApiDocument, cache: SchemaCache, exchange: Exchange) -> list[Mismatch]:
    """How one recorded exchange departs from the contract (empty when it conforms)."""
    op = document.find(exchange.method, exchange.path)
    if op is None:
        return [
            Mismatch(
                CONSUMER_FIELD_MISSING,
                exchange.label,
                f"the SDK called {exchange.label}, which the contract does not describe",
                exchange.label,
                None,
            )
        ]
    pointer = response_pointer(document, op, exchange.status)
    if pointer is None:
        return [
            Mismatch(
                UNDOCUMENTED_STATUS,
                op.label,
                f"answered {exchange.status}, which the contract does not declare for this operation",
                f"status:{exchange.status}",
                op.line,
            )
        ]
    schema_pointer = _json_schema_pointer(document, pointer)
    if schema_pointer is None:
        return []
    body = exchange.response_json()
    what = f"{exchange.status} response"
    if body is None and exchange.response_body.strip() not in (b"", b"null"):
        return [Mismatch(SCHEMA_VIOLATION, op.label, f"the {what} is not JSON", f"{what}:not-json", op.line)]
    return list(body_mismatches(cache, op, schema_pointer, body if body is not None else {}, what))


def request_mismatches(document: OpenApiDocument, cache: SchemaCache, exchange: Exchange) -> list[Mismatch]:
    """How a recorded request body departs from the contract's request schema (keeps the contract honest)."""
    op = document.find(exchange.method, exchange.path)
    body = exchange.request_json()
    if op is None or body is None:
        return []
    schema_pointer = _json_schema_pointer(document, f"/paths/{_escape(op.path)}/{op.method}/requestBody")
    if schema_pointer is None:
        return []
    return list(body_mismatches(cache, op, schema_pointer, body, "request body"))


def curl_of(exchange: Exchange, base_url: str) -> str:
    """A curl command repeating the exchange's request against ``base_url``."""
    query = "&".join(f"{k}={v}" for k, values in exchange.query.items() for v in values)
    url = f"{base_url.rstrip('/')}{exchange.path}" + (f"?{query}" if query else "")
    parts = ["curl", "-X", exchange.method, shlex.quote(url)]
    if exchange.request_body and "json" in exchange.request_content_type:
        text = exchange.request_body.decode("utf-8", "replace")
        if len(text) > _CURL_BODY_LIMIT:
            text = json.dumps({"_": "request body too long to repeat here"})
        parts += [
            "-H",
            shlex.quote(f"Content-Type: {exchange.request_content_type}"),
            "-d",
            shlex.quote(text),
        ]
    return " ".join(parts)


def check_exchanges(
    document: OpenApiDocument, exchanges: Sequence[Exchange], base_url: str, secrets: Iterable[str] = ()
) -> list[Finding]:
    """Findings for recorded ``exchanges``: one per distinct mismatch, one pass per conforming operation."""
    cache = SchemaCache(document)
    first: dict[tuple[str, str, str], tuple[Mismatch, Exchange]] = {}
    seen: dict[str, int] = {}
    failed: set[str] = set()
    for exchange in exchanges:
        mismatches = exchange_mismatches(document, cache, exchange)
        op = document.find(exchange.method, exchange.path)
        label = op.label if op else exchange.label
        seen[label] = seen.get(label, 0) + 1
        for mismatch in mismatches:
            failed.add(label)
            first.setdefault((mismatch.subject, mismatch.rule, mismatch.key), (mismatch, exchange))
    findings = []
    for mismatch, exchange in first.values():
        details = (
            f"reproduce with:\n  {curl_of(exchange, base_url)}\n"
            f"answer: {exchange.status} {exchange.response_body[:300].decode('utf-8', 'replace')}"
        )
        location = Location(document.file, mismatch.line)
        findings.append(
            finding(
                mismatch.rule, mismatch.subject, mismatch.message, location, details=details, secrets=secrets
            )
        )
    for label, count in seen.items():
        op = document.operation(label)
        if label not in failed and op is not None:
            message = f"{count} recorded SDK exchange(s) conformed"
            findings.append(passed(label, message, Location(document.file, op.line)))
    return findings
