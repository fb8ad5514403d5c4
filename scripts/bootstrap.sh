#!/usr/bin/env bash
# Create .venv (when missing or when the project's dependencies changed) and install the SDK and harness.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
VENV="${HOKUSAI_VENV:-.venv}"
stamp_source="$(cat pyproject.toml tools/pyproject.toml | sha256sum | cut -d' ' -f1)"
if [[ ! -x "$VENV/bin/python" ]]; then
    "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 10))' \
        || { echo "Python >= 3.10 is required (found $("$PYTHON" --version))" >&2; exit 3; }
    echo "creating virtual environment in $VENV"
    "$PYTHON" -m venv "$VENV"
fi
if [[ "$(cat "$VENV/.hokusai-stamp" 2>/dev/null)" != "$stamp_source" ]]; then
    echo "installing the SDK and the harness into $VENV (about a minute on a fresh machine)"
    "$VENV/bin/python" -m pip install --quiet --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true
    "$VENV/bin/python" -m pip install --quiet -e ".[dev]" -e ./tools 2>&1 | grep -v "^WARNING: Location" || true
    "$VENV/bin/python" -c "import hokusai, hokusai_contracts, mlflow" \
        || { echo "installation failed: see the pip output above" >&2; exit 2; }
    echo "$stamp_source" > "$VENV/.hokusai-stamp"
fi
