"""Pages start their embedded store from a migrated template, as MLflow would have made it, when MLflow
creates it (not before: a page may look for the file)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from hokusai_contracts.checks.snippets import execute
from hokusai_contracts.checks.snippets.run import embedded_store_template

SCRIPT = textwrap.dedent(
    """\
    import os, sys, time
    sys.path.insert(0, {tools!r})
    from hokusai_contracts.checks.snippets.execute import use_store_template
    use_store_template({template!r})
    db, root = sys.argv[1], sys.argv[2]
    print(os.path.exists(db))
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore
    from mlflow.store.model_registry.sqlalchemy_store import SqlAlchemyStore as Registry
    store = SqlAlchemyStore("sqlite:///" + db, root)
    Registry("sqlite:///" + db)
    print(os.path.exists(db))
    print(store.get_experiment("0").artifact_location)
    store.create_experiment("after")
    print(len(store.search_experiments()))
    """
)


@pytest.fixture(scope="module")
def template() -> str:
    found = embedded_store_template(None)
    if found is None:
        pytest.skip("no MLflow in this interpreter to make a template with")
    return found


def _run(template: str, db: Path, root: Path) -> list[str]:
    tools = str(Path(execute.__file__).parents[3])
    script = SCRIPT.format(tools=tools, template=template)
    done = subprocess.run(
        [sys.executable, "-c", script, str(db), root.as_uri()], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.split()


def test_a_new_store_is_the_template_with_mlflows_own_default_experiment(template: str, tmp_path: Path):
    db, root = tmp_path / "home" / "mlflow.db", tmp_path / "home" / "artifacts"
    db.parent.mkdir(exist_ok=True)
    created_before, created_after, location, count = _run(template, db, root)
    assert (created_before, created_after) == ("False", "True")  # MLflow still creates the file
    assert location == f"{root.as_uri()}/0" and count == "2"
    with sqlite3.connect(db) as made, sqlite3.connect(template) as source:
        version = "SELECT version_num FROM alembic_version"
        assert made.execute(version).fetchall() == source.execute(version).fetchall()
        tables = "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
        assert made.execute(tables).fetchall() == source.execute(tables).fetchall()


def test_an_existing_store_is_left_to_mlflow(template: str, tmp_path: Path):
    db = tmp_path / "mlflow.db"
    with sqlite3.connect(db) as existing:
        existing.execute("CREATE TABLE mine (x INTEGER)")
    assert not execute._copy_schema(template, str(db))
    with sqlite3.connect(db) as existing:
        names = [row[0] for row in existing.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    assert names == ["mine"]
