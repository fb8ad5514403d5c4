"""BC026 (plain install loses a module): metadata readers, static imports, the comparison, and the rule
on real sides (source trees with pyproject.toml, a wheel's dist-info, an installed distribution)."""

from __future__ import annotations

import contextlib
import textwrap
from pathlib import Path

from hokusai_contracts.base.workers import run_worker
from hokusai_contracts.diff.package_probe import WORKER, read_packages
from hokusai_contracts.diff.plain_install import losses
from hokusai_contracts.diff.requirements import (
    PackageMetadata,
    canonical,
    distributions_of,
    find_metadata,
    from_metadata_text,
    from_pyproject,
    from_setup_cfg,
)
from hokusai_contracts.diff.sides import resolve_sides
from hokusai_contracts.diff.static_imports import ImportReader, direct_imports
from hokusai_contracts.release.run import compare_sides

CORPUS = Path(__file__).resolve().parents[2] / "fixtures" / "breaking_changes"

METADATA = """\
Metadata-Version: 2.1
Name: Some_SDK
Version: 2.0.0
Requires-Dist: requests>=2
Requires-Dist: tomli ; python_version < "3.0"
Requires-Dist: mlflow>=2 ; extra == "ml"
Requires-Dist: scikit-learn ; (python_version >= "3.8") and extra == "ml"
Requires-Dist: pytest ; extra == 'dev'
Requires-Dist: some-sdk[ml] ; extra == "all"
Provides-Extra: ml
Provides-Extra: dev
Provides-Extra: all
"""


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def test_requires_dist_splits_base_and_extras_by_marker():
    meta = from_metadata_text(METADATA, "[console_scripts]\nsdk = some_sdk.cli:main\n")
    assert meta.base == {"requests"}  # tomli's marker is false here: not installed by a plain install
    assert meta.extras["ml"] == {"mlflow", "scikit-learn"}
    assert meta.extras["dev"] == {"pytest"}
    assert meta.extras["all"] == frozenset()  # self-reference, not a third-party dependency
    assert meta.extras_with("mlflow") == ["ml"]
    assert meta.scripts == {"sdk": "some_sdk.cli:main"}


def test_pyproject_and_setup_cfg(tmp_path):
    write(
        tmp_path,
        {
            "pyproject.toml": """
                [project]
                name = "sdk"
                version = "1.0"
                dependencies = ["PyYAML>=6", "numpy; python_version >= '3.8'"]
                [project.optional-dependencies]
                ML = ["Scikit_Learn>=1"]
                [project.scripts]
                sdk-tool = "sdk.tool:main"
            """,
            "setup.cfg": """
                [metadata]
                name = sdk
                [options]
                install_requires =
                    pandas>=1
                [options.extras_require]
                plots = matplotlib
                [options.entry_points]
                console_scripts =
                    sdk-plot = sdk.plot:main
            """,
        },
    )
    meta = from_pyproject(tmp_path / "pyproject.toml")
    assert meta is not None and meta.base == {"pyyaml", "numpy"}
    assert meta.extras == {"ml": {"scikit-learn"}} and meta.scripts == {"sdk-tool": "sdk.tool:main"}
    cfg = from_setup_cfg(tmp_path / "setup.cfg")
    assert cfg is not None and cfg.base == {"pandas"} and cfg.extras == {"plots": {"matplotlib"}}
    assert cfg.scripts == {"sdk-plot": "sdk.plot:main"}


def test_dynamic_dependencies_are_unknown_not_empty(tmp_path):
    write(tmp_path, {"pyproject.toml": '[project]\nname = "sdk"\ndynamic = ["dependencies"]\n'})
    meta = from_pyproject(tmp_path / "pyproject.toml")
    assert meta is not None and not meta.requirements_known
    assert losses(["sdk"], meta, meta, {"sdk": {"yaml"}}, {"sdk": {"yaml"}}, lambda n: {n}) == []


def test_wheel_dist_info_is_found_for_the_package(tmp_path):
    write(
        tmp_path,
        {
            "some_sdk/__init__.py": "",
            "some_sdk-2.0.0.dist-info/METADATA": METADATA,
            "some_sdk-2.0.0.dist-info/top_level.txt": "some_sdk\n",
            "other-1.0.dist-info/METADATA": "Name: other\n",
            "other-1.0.dist-info/top_level.txt": "other\n",
        },
    )
    meta = find_metadata([tmp_path], "some_sdk")
    assert meta is not None and meta.name == "Some_SDK" and meta.base == {"requests"}


def test_static_imports_leave_out_guarded_lazy_and_type_checking_imports():
    source = textwrap.dedent(
        """
        import os
        import pandas as pd
        from sklearn.linear_model import LinearRegression
        from . import helpers
        from .models import Model
        try:
            import yaml
        except ImportError:
            yaml = None
        try:
            import torch
        finally:
            pass
        if TYPE_CHECKING:
            import mlflow
        def lazy():
            import scipy
        with open("x") as f:
            import numpy
        """
    )
    found = direct_imports(source, "pkg.sub", is_package=False)
    assert {
        "os",
        "pandas",
        "sklearn.linear_model",
        "pkg",
        "pkg.helpers",
        "pkg.models",
        "torch",
        "numpy",
    } <= found
    assert not {"yaml", "mlflow", "scipy"} & found


def test_imports_follow_the_package_own_modules_and_parents(tmp_path):
    write(
        tmp_path / "pkg",
        {
            "__init__.py": "import requests\nfrom pkg._engine import run\n",
            "_engine.py": "import mlflow.tracking\n",
            "cli.py": "from ._util import x\nimport os\n",
            "_util.py": "import click\n",
            "plain.py": "import json\n",
        },
    )
    reader = ImportReader(tmp_path / "pkg", "pkg")
    assert reader.external("pkg.plain") == {"requests", "mlflow"}  # the parent package runs first
    assert reader.external("pkg.cli") == {"requests", "mlflow", "click"}


def meta(base: set[str], extras: dict[str, set[str]] | None = None) -> PackageMetadata:
    return PackageMetadata(
        "sdk", frozenset(base), {k: frozenset(v) for k, v in (extras or {}).items()}, source="test"
    )


def test_losses_report_modules_whose_dependency_moved_to_an_extra():
    old = meta({"mlflow", "scikit-learn", "requests"})
    new = meta({"requests"}, {"ml": {"mlflow", "scikit-learn"}, "docs": {"sphinx"}})
    imports = {
        "sdk": {"requests"},
        "sdk.models": {"mlflow", "sklearn"},
        "sdk.models.sub": {"mlflow", "sklearn"},
        "sdk.client": {"requests"},
    }
    found = losses(imports, old, new, imports, imports, lambda n: distributions_of(n, {}))
    assert [(f.module, f.moved) for f in found] == [
        ("sdk.models", (("mlflow", ("ml",)), ("scikit-learn", ("ml",))))
    ]  # sdk.models.sub: its parent's loss explains it


def test_losses_skip_modules_old_could_not_import_and_guarded_ones():
    old = meta({"requests"}, {"ml": {"mlflow"}})
    new = meta(set(), {"ml": {"mlflow"}, "http": {"requests"}})
    old_imports = {"sdk.models": {"mlflow"}, "sdk.client": {"requests"}}
    new_imports = {"sdk.models": {"mlflow"}, "sdk.client": set()}  # the client now guards its import
    assert losses(old_imports, old, new, old_imports, new_imports, lambda n: {canonical(n)}) == []


def test_worker_reads_installed_metadata_and_distributions():
    answer = run_worker(
        WORKER,
        {"package": "yaml", "metadata": True, "names": ["yaml", "sklearn", "nothing_such"], "scripts": {}},
        what="the console-script probe",
        timeout=60,
    ).answer()
    assert canonical(answer["metadata"]["name"]) == "pyyaml" and "Name:" in answer["metadata"]["text"]
    assert answer["distributions"]["yaml"] == ["PyYAML"]
    assert canonical(answer["distributions"]["sklearn"][0]) == "scikit-learn"
    assert "nothing_such" not in answer["distributions"]


def test_plain_install_pair_end_to_end():
    pair = CORPUS / "bc026-plain-install-lost"
    with contextlib.ExitStack() as stack:
        old, new = resolve_sides(str(pair / "old"), str(pair / "new"), stack, package="corpkg")
        old_facts, new_facts = read_packages(old, new)
        assert old_facts.metadata is not None and old_facts.metadata.base == {"pyyaml"}
        assert new_facts.metadata is not None and new_facts.metadata.extras == {"config": {"pyyaml"}}
        assert new_facts.imports["corpkg.config"] == {"yaml"}
        judged, verdict = compare_sides(old, new)
    (finding,) = [j for j in judged if j.change.rule == "BC026"]
    assert finding.status == "breaking" and finding.change.subject == "corpkg.config"
    assert "pip install 'corpkg[config]'" in finding.change.message
    assert verdict.required.name == "MAJOR"


def test_a_name_another_base_distribution_provides_is_not_lost():
    # mlflow moved to an extra while mlflow-skinny (which also provides `import mlflow`) stays in base.
    old = meta({"mlflow", "mlflow-skinny"})
    new = meta({"mlflow-skinny"}, {"server": {"mlflow"}})
    imports = {"sdk.tracking": {"mlflow"}}
    provides = {"mlflow": ["mlflow", "mlflow-skinny"]}
    assert losses(imports, old, new, imports, imports, lambda n: distributions_of(n, provides)) == []
    lost = meta(set(), {"server": {"mlflow", "mlflow-skinny"}})
    (found,) = losses(imports, old, lost, imports, imports, lambda n: distributions_of(n, provides))
    assert found.moved == (("mlflow", ("server",)), ("mlflow-skinny", ("server",)))
