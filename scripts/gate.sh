#!/usr/bin/env bash
# Set up (when needed) and run the main job. Until the verification gate exists this is the demo:
# register a model on the embedded default MLflow store and print what happened.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
export HOKUSAI_HOME="${HOKUSAI_HOME:-$(mktemp -d)/hokusai}"
exec .venv/bin/python examples/demo_register.py "$@"
