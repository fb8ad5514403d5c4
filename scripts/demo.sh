#!/usr/bin/env bash
# Set up (when needed) and run the SDK demo: register a model on a fresh embedded MLflow store.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
export HOKUSAI_HOME="${HOKUSAI_HOME:-$(mktemp -d)/hokusai}"
exec .venv/bin/python examples/demo_register.py "$@"
