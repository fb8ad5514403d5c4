#!/usr/bin/env bash
# Remembered results must be the same results: the gate without the result cache (every check runs; the
# fresh results are stored), then the gate again (now taken from the cache), and the two JSON reports
# compared, durations, server URLs and cached notes aside. Exit 1 listing the differing findings.
#   bash scripts/cache-equivalence.sh                 # runs both gates
#   bash scripts/cache-equivalence.sh COLD.json [ARGS]  # COLD.json: the report of the `gate.sh --no-cache`
#                                                     # run just before (CI), so only the cached run is added
# ARGS (after COLD.json) go to the gate runs, e.g. --python /path/to/venv.
set -euo pipefail
cd "$(dirname "$0")/.."
work="$(mktemp -d "${TMPDIR:-/tmp}/hokusai-cache-equivalence-XXXXXX")"
trap 'rm -rf "$work"' EXIT
cold="${1:-}"
[[ $# -gt 0 ]] && shift
if [[ -z "$cold" ]]; then
    cold="$work/cold.json"
    start=$SECONDS
    # A failing gate is the gate step's business; here only the equality of the two reports counts.
    bash scripts/gate.sh --no-cache --json "$cold" "$@" || echo "(the uncached gate exited $?)"
    echo "[gate --no-cache: $(( SECONDS - start )) s]"
fi
start=$SECONDS
bash scripts/gate.sh --json "$work/cached.json" "$@" || echo "(the cached gate exited $?)"
echo "[gate, cached: $(( SECONDS - start )) s]"
.venv/bin/python -m hokusai_contracts.verify.report_equality "$cold" "$work/cached.json"
