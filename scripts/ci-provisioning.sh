#!/usr/bin/env bash
# CI: the provisioning paths for real, after scripts/test.sh (which created .venv).
#   1. Docker: install docker.io + debootstrap, start dockerd, build ghcr.io/mlflow/mlflow:v3.17.2 locally
#      (cached: the base image, wheelhouse and image are reused when present), run the gate on Docker.
#   2. The default compatibility matrix (`--matrix ci`: MLflow clients 2.9.0/2.22.0/3.17.2 x servers
#      2.9.0/3.17.2 x Python 3.10-3.13, six cells, all four families, 2 at a time) with the process
#      provider; venvs resolved as of each release by uv, cached under ~/.cache. Green = only the known
#      differences the contracts declare occurred.
#   3. Topology ha (PostgreSQL + 2 MLflow + HAProxy): install postgresql + haproxy (+ psycopg2-binary in
#      .venv), verify all four families against it, the same topology in Docker (--mlflow docker-ha: a
#      locally built PostgreSQL image, a killed container), then a short fault run (<= 3 minutes).
# A Docker setup failure fails this script with the reason; it is never skipped silently.
set -euo pipefail
cd "$(dirname "$0")/.."
export TESTCONTAINERS_RYUK_DISABLED=true
MLFLOW_VERSION="${HOKUSAI_CI_MLFLOW_VERSION:-3.17.2}"
MATRIX="${HOKUSAI_CI_MATRIX:-ci}"
start_all=$SECONDS

phase() { echo; echo "=== $1 ($(( SECONDS - start_all )) s so far)"; }
fail() { echo "ci-provisioning: $*" >&2; exit 2; }

phase "docker: install docker.io and debootstrap"
t=$SECONDS
if ! command -v dockerd >/dev/null || ! command -v debootstrap >/dev/null; then
    [[ $(id -u) -eq 0 ]] || fail "installing docker.io needs root (apt-get); run as root or preinstall docker.io debootstrap"
    apt-get update -q >/tmp/ci-apt.log 2>&1 || { tail -n 20 /tmp/ci-apt.log >&2; fail "apt-get update failed"; }
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker.io debootstrap >>/tmp/ci-apt.log 2>&1 \
        || { tail -n 20 /tmp/ci-apt.log >&2; fail "apt-get install docker.io debootstrap failed"; }
fi
echo "[install: $(( SECONDS - t )) s]"

phase "docker: start the daemon"
t=$SECONDS
if ! docker info >/dev/null 2>&1; then
    dockerd > /tmp/dockerd.log 2>&1 &
    for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
    docker info >/dev/null 2>&1 || { tail -n 30 /tmp/dockerd.log >&2; fail "dockerd did not answer within 30 s (log above)"; }
fi
echo "[dockerd: $(( SECONDS - t )) s]"

phase "docker: build ghcr.io/mlflow/mlflow:v$MLFLOW_VERSION"
t=$SECONDS
bash fixtures/docker/build-images.sh "$MLFLOW_VERSION" || fail "building the MLflow image failed (output above)"
echo "[images: $(( SECONDS - t )) s]"

phase "verify on Docker: --only signatures,snippets --mlflow docker"
t=$SECONDS
.venv/bin/hokusai-contracts verify --only signatures,snippets --mlflow docker \
    --mlflow-version "$MLFLOW_VERSION" --quiet --json reports/contracts-docker.json
echo "[verify docker: $(( SECONDS - t )) s]"

phase "compatibility matrix $MATRIX (process provider, all families, -j 2)"
t=$SECONDS
.venv/bin/hokusai-contracts matrix compatibility --check || fail "contracts/COMPATIBILITY.md is stale"
set +e
.venv/bin/hokusai-contracts verify --matrix "$MATRIX" -j 2 --matrix-out reports
matrix_status=$?
set -e
echo "[matrix: $(( SECONDS - t )) s, exit $matrix_status]"
# Exit 2 (a server or venv could not be made) fails CI, and so does exit 1: a difference no contract
# declares, or a declared one that stopped occurring (the cell's failures above name it). All six cells
# were measured green with only declared differences. HOKUSAI_CI_MATRIX_LENIENT=1 is the opt-out: it
# reports exit 1 and goes on (for a run that must reach the later phases while a difference is
# being diagnosed); never an infrastructure problem.
[[ $matrix_status -ne 2 ]] || fail "the matrix run hit an infrastructure problem (see above)"
if [[ $matrix_status -ne 0 ]]; then
    echo "ci-provisioning: the compatibility matrix is RED (exit $matrix_status): undeclared differences above" >&2
    [[ "${HOKUSAI_CI_MATRIX_LENIENT:-0}" == 1 ]] || exit "$matrix_status"
    echo "ci-provisioning: HOKUSAI_CI_MATRIX_LENIENT=1: going on despite the red matrix" >&2
fi

phase "API reference site from the contracts, with the Docker run's examples and the matrix"
.venv/bin/hokusai-contracts docs --out reports/reference --format md,html \
    --results reports/contracts-docker.json --matrix reports/compatibility-matrix.json

phase "bug-report replays: every fixture in fixtures/bug_reports (MLflow 2.9.0 and 3.17.2, gateway)"
t=$SECONDS
.venv/bin/python -m pytest -q -m slow tests/harness/test_repro_fixtures.py
echo "[repro fixtures: $(( SECONDS - t )) s]"

phase "ha: install postgresql, haproxy and psycopg2-binary"
t=$SECONDS
if ! command -v haproxy >/dev/null && [[ ! -x /usr/sbin/haproxy ]] || [[ ! -x /usr/lib/postgresql/15/bin/initdb ]]; then
    [[ $(id -u) -eq 0 ]] || fail "installing postgresql and haproxy needs root (apt-get); run as root or preinstall them"
    apt-get update -q >/tmp/ci-apt.log 2>&1 || { tail -n 20 /tmp/ci-apt.log >&2; fail "apt-get update failed"; }
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql haproxy >>/tmp/ci-apt.log 2>&1 \
        || { tail -n 20 /tmp/ci-apt.log >&2; fail "apt-get install postgresql haproxy failed"; }
fi
.venv/bin/python -c "import psycopg2" 2>/dev/null || .venv/bin/python -m pip install -q "psycopg2-binary>=2.9" \
    || fail "pip install psycopg2-binary failed"
echo "[install: $(( SECONDS - t )) s]"

phase "verify --mlflow ha (all families; basic-auth scenarios on a basic-auth ha topology)"
t=$SECONDS
.venv/bin/hokusai-contracts verify --mlflow ha --quiet --json reports/contracts-ha.json
echo "[verify ha: $(( SECONDS - t )) s]"

phase "ha: the topology's own tests (kill an instance, shared basic-auth)"
t=$SECONDS
HOKUSAI_REQUIRE_HA=1 .venv/bin/python -m pytest -q -p no:cacheprovider -m "slow or not slow" tests/harness/test_ha_topology.py
echo "[ha tests: $(( SECONDS - t )) s]"

phase "ha in Docker (--mlflow docker-ha): PostgreSQL image, kill a container behind the balancer"
t=$SECONDS
bash fixtures/docker/build-images.sh --postgres "$MLFLOW_VERSION" || fail "building the PostgreSQL image failed (output above)"
HOKUSAI_REQUIRE_DOCKER_HA=1 .venv/bin/python -m pytest -q -p no:cacheprovider tests/harness/test_ha_docker.py
echo "[docker-ha: $(( SECONDS - t )) s]"

phase "fault run: chaos --topology ha --duration ${HOKUSAI_CI_CHAOS_DURATION:-30} (bounded: 3 minutes)"
t=$SECONDS
set +e
timeout 180 .venv/bin/hokusai-contracts chaos --topology ha --duration "${HOKUSAI_CI_CHAOS_DURATION:-30}" \
    --strict --json reports/chaos-ha.json --markdown reports/chaos-ha.md
chaos_status=$?
set -e
echo "[fault run: $(( SECONDS - t )) s, exit $chaos_status]"
# The figures are printed above and kept in reports/chaos-ha.{json,md}. Fatal (--strict: any target
# missed): 5 ha runs in a row at load 12-14 had 0 lost, 0 duplicated, 100 % availability, PostgreSQL
# recovery 0 s. HOKUSAI_CI_CHAOS_STRICT=0 only reports.
if [[ $chaos_status -ne 0 ]]; then
    case $chaos_status in
        124) why="took more than 3 minutes" ;;
        2) why="hit an infrastructure problem (see above)" ;;
        *) why="missed a target: lost/duplicated, availability or recovery (reports/chaos-ha.md)" ;;
    esac
    echo "ci-provisioning: the fault run $why (exit $chaos_status)" >&2
    [[ "${HOKUSAI_CI_CHAOS_STRICT:-1}" == 0 ]] || exit 1
fi

echo
echo "ci-provisioning: done in $(( SECONDS - start_all )) s"
