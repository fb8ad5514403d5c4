"""Which contracted object a finding is about: maps finding subjects to object paths.

Used to attribute findings to one test per contracted object (the pytest plugin). A subject belongs
to the longest contracted path it starts with, so an uncontracted new method is reported on its class.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from hokusai_contracts.contract.model import Api


@dataclass(frozen=True)
class Contracted:
    """One contracted module or object: its path and where it stands in its contract file."""

    path: str
    file: str | None
    line: int | None
    is_module: bool = False


def contracted(api: Api) -> list[Contracted]:
    """Every module and object of ``api``, each module followed by its objects, in file order."""
    entries: list[Contracted] = []
    seen: set[str] = set()
    for module in api.modules:
        objects = list(module.walk())
        module_file = module.source_file or next((o.source_file for o in objects if o.source_file), None)
        for entry in (
            Contracted(module.name, module_file, None, is_module=True),
            *(Contracted(o.path, o.source_file or module_file, o.source_line) for o in objects),
        ):
            if entry.path not in seen:
                seen.add(entry.path)
                entries.append(entry)
    return entries


def _starts_with(subject: str, path: str) -> bool:
    if not subject.startswith(path):
        return False
    rest = subject[len(path) :]
    # "hokusai.Registry" owns "hokusai.Registry.get" and "hokusai.Registry(name)" but not "hokusai.RegistryX".
    return not rest or not (rest[0].isalnum() or rest[0] == "_")


def owner(subject: str, paths: Sequence[str]) -> str | None:
    """The longest contracted path that ``subject`` is or starts with, None when there is none."""
    matches = [path for path in paths if _starts_with(subject, path)]
    return max(matches, key=len) if matches else None


def same_file(recorded: str | None, path: Path, bases: Iterable[Path]) -> bool:
    """True when ``recorded`` (absolute, or relative to one of ``bases``) names the file ``path``."""
    if not recorded:
        return False
    target = path.resolve()
    candidate = Path(recorded)
    if candidate.is_absolute():
        return candidate.resolve() == target
    return any((base / candidate).resolve() == target for base in bases)
