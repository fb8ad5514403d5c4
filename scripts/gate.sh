#!/usr/bin/env bash
# Set up (when needed) and run the main job: the contract verification gate.
#   1. the committed API contract must match the SDK (extract --check prints the diff when not);
#   2. every contract check must pass (verify); reports go to reports/ (JUnit, Markdown, JSON, and the
#      per-phase timing: printed, and written to reports/contracts.profile.json);
#   3. against the last release (HOKUSAI_BASELINE, default release:latest: the newest release recorded
#      under contracts/releases/, tracked files, so a fresh clone has it): no breaking change the version
#      number or contracts/accepted-breaks.yaml does not cover (verify --baseline), behaviour included.
#      HOKUSAI_BASELINE= (empty) skips the release diff.
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
# extract --check (about 2 s: it imports the SDK) runs beside verify, at a lower priority: verify's first
# seconds (its fork servers' imports) hold back everything after them; its verdict is printed after.
checked=$(mktemp -d)
nice -n 10 .venv/bin/hokusai-contracts extract --check "${python_args[@]}" >"$checked/out" 2>&1 &
extract_pid=$!
trap 'kill "$extract_pid" 2>/dev/null || true; rm -rf "$checked"' EXIT
baseline="${HOKUSAI_BASELINE-release:latest}"
baseline_args=()
if [[ -n "$baseline" ]]; then
    echo "gate: release diff against $baseline" >&2
    baseline_args=(--baseline "$baseline")
else
    echo "gate: HOKUSAI_BASELINE is empty; skipping the release diff" >&2
fi
# verify prints its own per-phase table (and writes it to reports/contracts.profile.json).
set +e
.venv/bin/hokusai-contracts verify "${baseline_args[@]}" \
    --junit reports/contracts.junit.xml \
    --markdown reports/contracts.md \
    --json reports/contracts.json \
    --profile reports/contracts.profile.json \
    "$@"
verified=$?
wait "$extract_pid"
extracted=$?
set -e
cat "$checked/out" >&2
if [[ $extracted -ne 0 ]]; then
    echo "gate: extract --check failed (exit $extracted): the committed API contract does not match the SDK" >&2
fi
# 0 passed, 1 a check failed, 2 the run could not judge: the worse of the two.
exit $(( verified > extracted ? verified : extracted ))
