"""Look-ups into one API model: top-level objects by path and by export path, class ancestry."""

from __future__ import annotations

import builtins
from collections.abc import Iterable
from dataclasses import dataclass, field

from hokusai_contracts.contract.model import Api, ApiObject


@dataclass
class ApiIndex:
    """Look-ups into an API: top-level objects by path and by export path, and its module names."""

    api: Api
    by_path: dict[str, ApiObject] = field(default_factory=dict)
    by_export: dict[str, ApiObject] = field(default_factory=dict)
    modules: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, api: Api) -> ApiIndex:
        """Index ``api``."""
        index = cls(api, modules={m.name for m in api.modules})
        for module in api.modules:
            for obj in module.objects:
                index.by_path[obj.path] = obj
                for path in obj.export_paths:
                    index.by_export.setdefault(path, obj)
        return index

    def find(self, other: ApiObject) -> ApiObject | None:
        """The counterpart here of a top-level object of another API: same path, else a shared export path."""
        found = self.by_path.get(other.path)
        if found is None:
            found = next(
                (self.by_export[p] for p in [other.path, *other.export_paths] if p in self.by_export),
                None,
            )
        return found

    def resolve(self, path: str) -> ApiObject | None:
        """The top-level object named ``path`` (its path or an export path)."""
        return self.by_path.get(path) or self.by_export.get(path)

    def ancestors(self, obj: ApiObject) -> set[str]:
        """Every name a class is known to derive from: package classes, builtins, named externals."""
        seen: set[str] = set()
        stack = list(obj.bases)
        while stack:
            base = stack.pop()
            if base in seen:
                continue
            seen.add(base)
            target = self.resolve(base)
            if target is not None:
                seen.update([target.path, *target.export_paths])
                stack.extend(target.bases)
            elif isinstance(getattr(builtins, base, None), type):
                seen.update(k.__name__ for k in getattr(builtins, base).__mro__)
        return seen

    def import_error_for(self, paths: Iterable[str]) -> str | None:
        """The import error of a module any of ``paths`` lives in, if one failed."""
        for path in paths:
            module = path
            while module:
                if module in self.api.import_errors:
                    return f"module {module} failed to import: {self.api.import_errors[module]}"
                module = module.rpartition(".")[0]
        return None
