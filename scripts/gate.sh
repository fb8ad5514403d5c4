#!/usr/bin/env bash
# Set up (when needed) and run the main job: the contract verification gate.
#   1. the committed API contract must match the SDK (extract --check prints the diff when not);
#   2. every contract check must pass (verify); reports go to reports/ (JUnit, Markdown, JSON);
#   3. against the last release (HOKUSAI_BASELINE, default git:v1.1.0 when that tag exists): no breaking
#      change the version number or contracts/accepted-breaks.yaml does not cover (verify --baseline).
# Extra arguments go to verify, e.g. `bash scripts/gate.sh --python /path/to/other/venv`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
mkdir -p reports
python_args=()
for ((i = 1; i <= $#; i++)); do
    if [[ "${!i}" == "--python" ]]; then
        j=$((i + 1))
        python_args=(--python "${!j}")
    fi
done
.venv/bin/hokusai-contracts extract --check "${python_args[@]}"
baseline="${HOKUSAI_BASELINE-git:v1.1.0}"
baseline_args=()
if [[ "$baseline" == git:* ]] && ! git rev-parse --verify --quiet "${baseline#git:}^{commit}" >/dev/null; then
    echo "gate: baseline $baseline is not in this clone (fetch the tags); skipping the release diff" >&2
elif [[ -n "$baseline" ]]; then
    baseline_args=(--baseline "$baseline")
fi
exec .venv/bin/hokusai-contracts verify "${baseline_args[@]}" \
    --junit reports/contracts.junit.xml \
    --markdown reports/contracts.md \
    --json reports/contracts.json \
    "$@"
