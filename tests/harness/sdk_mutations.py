"""Deliberately broken copies of the SDK: source mutations applied with :mod:`ast` to a copied tree.

Each mutation rewrites whole files with ``ast.unparse`` (comments go, meaning stays); the control
mutation ``unparse_all`` does only that, so a clean check of it proves the rewriting alone is inert.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from hokusai_contracts.contract.model import Api, ApiObject, ObjectKind


class Unsuitable(Exception):
    """The target does not exist (yet) or has no parameter the mutation needs: the test skips."""


@dataclass(frozen=True)
class Mutation:
    """One source mutation of a named target and the rule that must catch it."""

    id: str
    target: str
    rule: str
    apply: Callable[[Path, Api, str], str]  # (copied tree root, pristine contract, target) -> subject


def copy_sdk(source: Path, destination_root: Path) -> Path:
    """Copy the package directory ``source`` under ``destination_root``; return the new root."""
    destination_root.mkdir(parents=True, exist_ok=True)
    shutil.copytree(source, destination_root / source.name, ignore=shutil.ignore_patterns("__pycache__"))
    return destination_root


def sdk_venv(venv: Path, sdk_root: Path | None, *, with_dependencies: bool = True) -> Path:
    """A virtual environment (no pip, no harness) with the SDK tree at ``sdk_root`` in its site-packages.

    ``with_dependencies`` makes this interpreter's third-party packages (MLflow...) importable there
    through a ``.pth`` line; packages installed in editable mode here (the harness, the SDK) are not:
    their import hooks live in ``.pth`` files, which only site directories run.
    """
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site_packages = next((venv / "lib").glob("python*/site-packages"))
    if sdk_root is not None:
        shutil.copytree(
            sdk_root / "hokusai", site_packages / "hokusai", ignore=shutil.ignore_patterns("__pycache__")
        )
    if with_dependencies:
        (site_packages / "dependencies.pth").write_text(
            sysconfig.get_path("purelib") + "\n", encoding="utf-8"
        )
    return venv


def module_file(root: Path, module: str) -> Path:
    """The source file of ``module`` in the tree at ``root``."""
    base = root.joinpath(*module.split("."))
    return base / "__init__.py" if base.is_dir() else base.with_suffix(".py")


def _rewrite(path: Path, tree: ast.Module) -> None:
    path.write_text(ast.unparse(ast.fix_missing_locations(tree)) + "\n", encoding="utf-8")


def _parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"))


def _target(contract: Api, path: str) -> tuple[str, list[str], ApiObject]:
    """(home module, names inside it, contracted object) of ``path``; Unsuitable when not contracted."""
    obj = contract.objects().get(path)
    if obj is None:
        raise Unsuitable(f"{path} does not exist in this SDK yet")
    module = max((m.name for m in contract.modules if path.startswith(m.name + ".")), key=len)
    return module, path[len(module) + 1 :].split("."), obj


def _class_def(tree: ast.Module, name: str) -> ast.ClassDef:
    found = next((n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == name), None)
    if found is None:
        raise Unsuitable(f"class {name} is not defined at the top level of its module")
    return found


def locate_function(root: Path, contract: Api, path: str) -> tuple[Path, ast.Module, ast.FunctionDef, list]:
    """The def of a contracted function, method or class constructor: (file, tree, def, owning body)."""
    module, names, obj = _target(contract, path)
    file = module_file(root, module)
    tree = _parse(file)
    if obj.kind in (ObjectKind.CLASS, ObjectKind.EXCEPTION):
        names = [*names, "__init__"]
    if len(names) == 1:
        body = tree.body
    elif len(names) == 2:
        body = _class_def(tree, names[0]).body
    else:
        raise Unsuitable(f"{path} is nested too deeply for this mutation")
    node = next(
        (n for n in body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.name == names[-1]),
        None,
    )
    if node is None:
        raise Unsuitable(f"{names[-1]} of {path} is not defined in {file.name} (inherited?)")
    return file, tree, node, body


# -- mutations ---------------------------------------------------------------------------------------


def remove_method(root: Path, contract: Api, path: str) -> str:
    """Delete the def of a method."""
    file, tree, node, body = locate_function(root, contract, path)
    body.remove(node)
    if not body:
        body.append(ast.Pass())
    _rewrite(file, tree)
    return path


def _named_parameters(node: ast.FunctionDef, *, is_method: bool) -> list[ast.arg]:
    positional = [*node.args.posonlyargs, *node.args.args]
    return (positional[1:] if is_method else positional) + node.args.kwonlyargs


def _is_method(contract: Api, path: str) -> bool:
    return contract.objects()[path].kind in (
        ObjectKind.METHOD,
        ObjectKind.CLASSMETHOD,
        ObjectKind.CLASS,
        ObjectKind.EXCEPTION,
    )


def rename_parameter(root: Path, contract: Api, path: str) -> str:
    """Rename the first named parameter (self excluded) to ``<name>_renamed``."""
    file, tree, node, _ = locate_function(root, contract, path)
    parameters = _named_parameters(node, is_method=_is_method(contract, path))
    if not parameters:
        raise Unsuitable(f"{path} has no named parameter to rename")
    old = parameters[0].arg
    parameters[0].arg = f"{old}_renamed"
    _rewrite(file, tree)
    return f"{path}({old})"


def make_required(root: Path, contract: Api, path: str) -> str:
    """Drop the default of the first parameter that has one."""
    file, tree, node, _ = locate_function(root, contract, path)
    arguments = node.args
    positional = [*arguments.posonlyargs, *arguments.args]
    if arguments.defaults:
        # Defaults align with the tail: dropping the first one makes exactly that parameter required.
        name = positional[len(positional) - len(arguments.defaults)].arg
        arguments.defaults.pop(0)
    else:
        index = next((i for i, d in enumerate(arguments.kw_defaults) if d is not None), None)
        if index is None:
            raise Unsuitable(f"{path} has no parameter with a default")
        name = arguments.kwonlyargs[index].arg
        arguments.kw_defaults[index] = None
    _rewrite(file, tree)
    return f"{path}({name})"


def make_keyword_only(root: Path, contract: Api, path: str) -> str:
    """Move the last positional-or-keyword parameter behind ``*``."""
    file, tree, node, _ = locate_function(root, contract, path)
    arguments = node.args
    first = 1 if _is_method(contract, path) else 0
    if len(arguments.args) <= first:
        raise Unsuitable(f"{path} has no positional-or-keyword parameter")
    moved = arguments.args.pop()
    has_default = len(arguments.defaults) > 0
    default = arguments.defaults.pop() if has_default else None
    arguments.kwonlyargs.insert(0, moved)
    arguments.kw_defaults.insert(0, default)
    _rewrite(file, tree)
    return f"{path}({moved.arg})"


def change_default(root: Path, contract: Api, path: str) -> str:
    """Replace the first default value with a different constant."""
    file, tree, node, _ = locate_function(root, contract, path)
    arguments = node.args
    positional = [*arguments.posonlyargs, *arguments.args]
    if arguments.defaults:
        name = positional[len(positional) - len(arguments.defaults)].arg
        arguments.defaults[0] = ast.Constant("mutated-default")
    else:
        index = next((i for i, d in enumerate(arguments.kw_defaults) if d is not None), None)
        if index is None:
            raise Unsuitable(f"{path} has no parameter with a default")
        name = arguments.kwonlyargs[index].arg
        arguments.kw_defaults[index] = ast.Constant("mutated-default")
    _rewrite(file, tree)
    return f"{path}({name})"


def remove_export(root: Path, contract: Api, export_path: str) -> str:
    """Stop a module exporting a name; modules that imported it from there import it from its home."""
    module, _, name = export_path.rpartition(".")
    owner = next((o for o in contract.objects().values() if export_path in o.export_paths), None)
    if owner is None:
        raise Unsuitable(f"{export_path} is not an export path of this SDK yet")
    file = module_file(root, module)
    tree = _parse(file)
    body = []
    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            node.names = [a for a in node.names if (a.asname or a.name) != name]
            if not node.names:
                continue
        elif _assigns_all(node) and isinstance(node.value, ast.List | ast.Tuple):
            node.value.elts = [e for e in node.value.elts if getattr(e, "value", None) != name]
        body.append(node)
    tree.body = body
    _rewrite(file, tree)
    _redirect_imports(root, module, name, home=owner.path.rpartition(".")[0])
    return owner.path


def _assigns_all(node: ast.stmt) -> bool:
    return isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__all__" for t in node.targets)


def _redirect_imports(root: Path, module: str, name: str, home: str) -> None:
    # Another module doing `from <module> import <name>` would now fail to import; point it at <home>.
    for file in root.rglob("*.py"):
        tree = _parse(file)
        package = ".".join(file.relative_to(root).with_suffix("").parts).rpartition(".")[0]
        body: list[ast.stmt] = []
        changed = False
        for node in tree.body:
            body.append(node)
            if not isinstance(node, ast.ImportFrom) or not any(a.name == name for a in node.names):
                continue
            source = node.module or ""
            if node.level:
                parts = package.split(".")
                base = parts[: len(parts) - node.level + 1]
                source = ".".join([*base, source] if source else base)
            if source != module:
                continue
            moved = [a for a in node.names if a.name == name]
            node.names = [a for a in node.names if a.name != name]
            if not node.names:
                body.pop()
            body.append(ast.ImportFrom(module=home, names=moved, level=0))
            changed = True
        if changed:
            tree.body = body
            _rewrite(file, tree)


def unparse_all(root: Path, contract: Api, target: str) -> str:
    """The control: rewrite every file through ``ast.unparse`` and change nothing else."""
    for file in root.rglob("*.py"):
        _rewrite(file, _parse(file))
    return target


MUTATIONS = [
    Mutation(
        "method-removed", "hokusai.core.registry.ModelRegistry.register_baseline", "SIG001", remove_method
    ),
    Mutation(
        "parameter-renamed",
        "hokusai.core.registry.ModelRegistry.register_baseline",
        "SIG004",
        rename_parameter,
    ),
    Mutation(
        "parameter-made-required",
        "hokusai.core.registry.ModelRegistry.register_baseline",
        "SIG006",
        make_required,
    ),
    Mutation(
        "parameter-made-keyword-only",
        "hokusai.tracking.experiments.ExperimentManager",
        "SIG005",
        make_keyword_only,
    ),
    Mutation("default-changed", "hokusai.tracking.experiments.ExperimentManager", "SIG007", change_default),
    Mutation("export-removed", "hokusai.tracking.ExperimentManager", "SIG002", remove_export),
]
