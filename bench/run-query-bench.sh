#!/usr/bin/env bash
# The query benchmark, end to end: a throwaway PostgreSQL, the server built in Release, and for each dataset
# size a fresh database, `Crm.Bench generate`, the server, `Crm.Bench run`. Results go to
# bench/results/query-<size>-<date>.md (plus the 10x growth of the inbox when two or more sizes ran).
# Everything it started is removed at the end, even on failure or Ctrl-C.
#
#   bench/run-query-bench.sh                  # 10,000 and 100,000 contacts, 10 activities per contact
#   bench/run-query-bench.sh 2000             # a quick smoke run
#
# Environment: BENCH_ACTIVITIES_PER_CONTACT (10), BENCH_ROUNDS (20), BENCH_REQUESTS (25), BENCH_WARMUP (1500 requests per side and scenario: a fresh server runs
# its first ~1,000 requests at 3x the latency while the JIT recompiles hot methods, bench/results/query-100k-projection-2026-12-04.md),
# BENCH_ONLY (run only the scenarios whose name contains it, e.g. "dashboard", or all but those: "!dashboard"),
# BENCH_RESULTS (bench/results), CRM_TEST_INSTALL=0 forbids installing PostgreSQL with apt-get.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$ROOT"

SIZES=("$@")
((${#SIZES[@]})) || SIZES=(10000 100000)
PER_CONTACT="${BENCH_ACTIVITIES_PER_CONTACT:-10}"
RESULTS="${BENCH_RESULTS:-bench/results}"
for s in "${SIZES[@]}"; do [[ "$s" =~ ^[0-9]+$ && "$s" -gt 0 ]] || { echo "error: sizes are contact counts, not '$s'" >&2; exit 2; }; done

# shellcheck source=../scripts/lib/services.sh
source "$ROOT/scripts/lib/services.sh"
# shellcheck source=lib/query-dataset.sh
source "$ROOT/bench/lib/query-dataset.sh"
command -v curl >/dev/null 2>&1 || die "curl not found"
svc_require postgres
trap svc_teardown EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
svc_workdir crm-bench
WORK="$SVC_WORK"

bench_start_postgres
bench_build
COMMIT="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- src 2>/dev/null || echo '+uncommitted changes in src')"

label() { # 10000 -> 10k, 1500 -> 1.5k, 2000000 -> 2m
  awk -v n="$1" 'BEGIN { if (n >= 1000000) printf "%gm", n / 1000000; else if (n >= 1000) printf "%gk", n / 1000; else printf "%d", n }'
}

DATE="$(date -u +%Y-%m-%d)"
mkdir -p "$RESULTS"
summaries=()
files=()
for contacts in "${SIZES[@]}"; do
  name="$(label "$contacts")"
  activities=$((contacts * PER_CONTACT))
  bench_dataset crm_bench "$contacts" "$activities"
  bench_start_server "server-$name" "$DB"
  url_var="SERVER_URL_server_$name"

  only="${BENCH_ONLY// /-}"
  out="$RESULTS/query-$name${only:+-${only//!/no-}}-$DATE.md"
  "${BENCH[@]}" run --db "$DB" --url "${!url_var}" --email "$BENCH_ADMIN_EMAIL" --password "$BENCH_ADMIN_PASSWORD" \
    --label "$name" --out "$out" --json "$WORK/$name.json" --commit "$COMMIT" \
    --rounds "${BENCH_ROUNDS:-20}" --requests "${BENCH_REQUESTS:-25}" --warmup "${BENCH_WARMUP:-1500}" \
    ${BENCH_ONLY:+--only "$BENCH_ONLY"}
  svc_stop_server "server-$name"
  summaries+=("$WORK/$name.json")
  files+=("$out")
done

if ((${#summaries[@]} >= 2)); then
  # The issue's goal: 10x the data grows inbox latency by less than 1.5x. Written into the larger run's file.
  "${BENCH[@]}" growth --small "${summaries[0]}" --large "${summaries[-1]}" --append "${files[-1]}"
fi
log "results: ${files[*]}"
