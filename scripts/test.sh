#!/usr/bin/env bash
# Set up (when needed) and run the project's tests: lint, then pytest on 2 workers.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
.venv/bin/ruff check hokusai tools tests benchmarks examples
# The import layers of pyproject.toml's [tool.importlinter]: no cycle, no upward import.
.venv/bin/lint-imports --no-cache --no-logo
set +e
# loadfile: every file - each documentation page, contract file and test module - runs whole on one
# worker (xdist 3.8 loadgroup marks do not group under pytest 9.2).
.venv/bin/python -m pytest -n "${HOKUSAI_TEST_WORKERS:-2}" --dist loadfile "$@"
status=$?
set -e
if [[ $status -eq 5 ]]; then
    echo "pytest collected no tests: that is a failure for this project" >&2
    exit 1
fi
exit $status
