"""Every third-party package the SDK imports is declared in pyproject.toml's [project] dependencies."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement

try:
    import tomllib
except ImportError:  # Python 3.10
    tomllib = pytest.importorskip("tomli")

ROOT = Path(__file__).resolve().parents[2]
SDK = ROOT / "hokusai"

# Import name -> distribution name, where they differ.
DISTRIBUTIONS = {"sklearn": "scikit-learn", "yaml": "pyyaml", "PIL": "pillow", "google": "protobuf"}

# Imported only behind an ImportError handler, with a working fallback: deliberately not required.
OPTIONAL = {
    "redis": "CacheConfig(redis_url=...) only; without it the SDK says to `pip install redis`",
    "joblib": "reading a pickled model file in the CLI; plain pickle is the fallback",
}


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def declared() -> set[str]:
    """Normalized distribution names of pyproject.toml's [project] dependencies."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return {_normalize(Requirement(spec).name) for spec in project["dependencies"]}


def _guarded_lines(tree: ast.AST) -> set[int]:
    """Line numbers of import statements inside a ``try`` that handles ImportError."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Try):
            continue
        handled = set()
        for handler in node.handlers:
            types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
            handled |= {t.id for t in types if isinstance(t, ast.Name)}
        if handled & {"ImportError", "ModuleNotFoundError"}:
            for statement in node.body:
                for inner in ast.walk(statement):
                    if isinstance(inner, ast.Import | ast.ImportFrom):
                        lines.add(inner.lineno)
    return lines


def third_party_imports() -> dict[str, list[tuple[str, bool]]]:
    """Top-level package of every absolute import in ``hokusai/`` (function-level ones included).

    ``{package: [(where, guarded by an ImportError handler), ...]}``.
    """
    found: dict[str, list[tuple[str, bool]]] = {}
    for path in sorted(SDK.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        guarded = _guarded_lines(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top in sys.stdlib_module_names or top in ("hokusai", "__future__"):
                    continue
                where = f"{path.relative_to(ROOT)}:{node.lineno}"
                found.setdefault(top, []).append((where, node.lineno in guarded))
    return found


def test_the_walk_finds_the_sdks_known_imports():
    imports = third_party_imports()
    assert {"mlflow", "click", "requests", "pandas", "numpy"} <= set(imports)
    assert "os" not in imports and "hokusai" not in imports


def test_every_imported_package_is_declared():
    dependencies = declared()
    missing = {
        package: [where for where, _ in sites]
        for package, sites in third_party_imports().items()
        if package not in OPTIONAL and _normalize(DISTRIBUTIONS.get(package, package)) not in dependencies
    }
    assert not missing, (
        f"imported by hokusai/ but not in pyproject.toml [project] dependencies: {missing}; declare them "
        "(with a floor the MLflow 2.9 era supports) or, for an import with a fallback, add it to OPTIONAL"
    )


def test_optional_packages_are_only_imported_behind_an_import_error_handler():
    imports = third_party_imports()
    unguarded = {
        package: [where for where, guarded in imports.get(package, []) if not guarded] for package in OPTIONAL
    }
    assert not any(unguarded.values()), f"optional packages imported without a fallback: {unguarded}"


@pytest.mark.parametrize("package", ["click", "requests", "pandas", "numpy", "mlflow"])
def test_the_runtime_packages_are_declared(package):
    assert _normalize(package) in declared()
