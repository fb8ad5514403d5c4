"""Questions for the differential probes, synthesised from OLD's API (pure: no import, no I/O).

Calls: every public module-level function and class of OLD that can be called with no arguments (all
parameters optional), except names that suggest the call acts on the world (deletes, serves, logs in,
exits): the probe's sandbox refuses the network, but not every side effect. Structure: OLD's submodules.
Calls with arguments, methods and docstring examples: ``diff/call_synthesis.py``.
"""

from __future__ import annotations

import re

from hokusai_contracts.contract.model import Api, ObjectKind
from hokusai_contracts.diff.pairs import is_public_path

# Words in a name that say a call does something to files, servers or the process.
_ACTING = re.compile(
    r"(^|_)(main|run|serve|server|start|stop|delete|remove|drop|purge|clean|clear|reset|exit|quit|"
    r"shutdown|kill|login|logout|install|upload|download|write|save|dump|launch|cli|app|sleep|wait|"
    r"rollback|promote|archive|register|create|update|set|configure|setup|enable|disable|export|copy|move|"
    r"rename|mkdir|makedirs|touch|send|post|put|push|publish|commit|submit|deploy|execute|exec|open|call)($|_)",
    re.IGNORECASE,
)
MAX_CALLS = 200
# The same filter as a pattern, for workers that cannot import the harness (diff/cli_worker.py).
ACTING_PATTERN = _ACTING.pattern


def zero_argument_calls(api: Api) -> list[str]:
    """Paths of OLD's module-level functions and classes callable with no arguments."""
    calls = []
    for module in api.modules:
        for obj in module.objects:
            if obj.kind not in (ObjectKind.FUNCTION, ObjectKind.CLASS) or obj.parameters is None:
                continue
            if not is_public_path(obj.path) or obj.abstract or acts(obj.name):
                continue
            if any(p.required for p in obj.parameters):
                continue
            calls.append(obj.path)
    return sorted(set(calls))[:MAX_CALLS]


def acts(name: str) -> bool:
    """True when ``name`` suggests the call acts on the world (deletes, serves, writes, logs in, ...)."""
    return bool(_ACTING.search(_snake(name)))


def _snake(name: str) -> str:
    # ``CliRunner`` and ``run_cli`` alike: CamelCase split into words.
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)


def submodules(api: Api) -> list[str]:
    """OLD's public submodules (not the package itself)."""
    return sorted(m.name for m in api.modules if "." in m.name and is_public_path(m.name))


def cli_candidates(api: Api) -> list[str]:
    """OLD's public module-level functions and attributes: the probe keeps the click commands and typer
    apps among them (a CLI's commands, options and defaults are API too)."""
    return sorted(
        obj.path
        for module in api.modules
        for obj in module.objects
        if obj.kind in (ObjectKind.FUNCTION, ObjectKind.ATTRIBUTE) and is_public_path(obj.path)
    )[: MAX_CALLS * 5]
