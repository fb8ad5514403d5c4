"""``hokusai-contracts rules [ID]``: list every rule the tool can emit, or explain one (as ``ruff rule``)."""

# No `from __future__ import annotations`: typer evaluates the option annotations at runtime.
import json
from enum import Enum
from typing import Annotated

import typer
from rich.console import Console
from rich.text import Text

from hokusai_contracts.cli.output import EXIT_USAGE, fail, stdout_console
from hokusai_contracts.findings.catalogue import FAMILIES, RULES, all_rules, closest, lookup, viewed_by
from hokusai_contracts.findings.rules import Rule

RULES_EPILOG = "Exit codes: 0 listed or explained; 3 unknown rule or family (the closest ids are suggested)."


class RulesFormat(str, Enum):
    """What ``rules`` prints."""

    text = "text"
    json = "json"


def rule_record(rule: Rule) -> dict:
    """A rule as JSON data: every field of the catalogue, plus the signature rules that view it."""
    return {
        "id": rule.id,
        "family": rule.family,
        "title": rule.title,
        "severity": rule.severity.value,
        "bump": rule.bump.value if rule.bump else None,
        "explanation": rule.explanation,
        "fix": rule.fix,
        "name": rule.name or None,
        "aliases": list(rule.aliases),
        "views": list(rule.views),
        "viewed_by": list(viewed_by(rule.id)),
    }


def print_list(console: Console, rules: list[Rule]) -> None:
    """One line per rule: id, family, severity, title (columns aligned)."""
    rows = [(rule.id, rule.family, rule.severity.value) for rule in rules]
    widths = [max((len(row[i]) for row in rows), default=0) for i in range(3)]
    for row, rule in zip(rows, rules, strict=True):
        line = "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        console.print(Text(f"{line}  {rule.title}"), soft_wrap=True)


def _titled(ids: tuple[str, ...]) -> str:
    return ", ".join(f"{rule_id} ({RULES[rule_id].title})" for rule_id in ids)


def print_rule(console: Console, rule: Rule) -> None:
    """Everything the catalogue says about ``rule``."""
    console.print(Text.assemble((rule.id, "bold"), f"  {rule.title}"), soft_wrap=True)
    facts = [
        ("family", rule.family),
        ("severity", rule.severity.value),
        ("bump", rule.bump.value if rule.bump else "-"),
        ("aliases", ", ".join([n for n in (rule.name, *rule.aliases) if n]) or "-"),
    ]
    if rule.views:
        facts.append(("contract-side view of", _titled(rule.views)))
    if viewed_by(rule.id):
        facts.append(("signature gate reports it as", _titled(viewed_by(rule.id))))
    for label, value in facts:
        console.print(Text.assemble((f"{label}: ", "bold"), value), soft_wrap=True)
    console.print()
    console.print(Text(rule.explanation))
    if rule.fix:
        console.print()
        console.print(Text.assemble(("fix: ", "bold green"), rule.fix))


def rules_command(
    rule_id: Annotated[
        str | None,
        typer.Argument(help="A rule id (SIG004), slug (parameter-renamed) or alias to explain; none: all."),
    ] = None,
    family: Annotated[
        str | None, typer.Option("--family", help=f"List one family only: {', '.join(FAMILIES)}.")
    ] = None,
    output: Annotated[
        RulesFormat, typer.Option("--format", help="Text for people, or JSON for tools.")
    ] = RulesFormat.text,
) -> None:
    """List every rule the tool can emit (id, family, severity, title), or explain one."""
    console = stdout_console()
    if rule_id is not None:
        rule = lookup(rule_id)
        if rule is None:
            near = closest(rule_id)
            hint = f"did you mean {', '.join(near)}? " if near else ""
            fix = f"{hint}`hokusai-contracts rules` lists them all"
            raise fail(EXIT_USAGE, f"unknown rule {rule_id!r}", fix)
        if output is RulesFormat.json:
            typer.echo(json.dumps(rule_record(rule), indent=2))
        else:
            print_rule(console, rule)
        return
    if family is not None and family not in FAMILIES:
        raise fail(EXIT_USAGE, f"unknown rule family {family!r}", f"one of: {', '.join(FAMILIES)}")
    rules = [r for r in all_rules() if family is None or r.family == family]
    if output is RulesFormat.json:
        typer.echo(json.dumps({"rules": [rule_record(r) for r in rules]}, indent=2))
    else:
        print_list(console, rules)
