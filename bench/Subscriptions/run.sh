#!/usr/bin/env bash
# Subscription fan-out benchmark (issue #5): a throwaway PostgreSQL (durable, as in production) and Redis, the server
# in Release, then the harness (Program.cs) for each rate and bus in one run — in-process event bus, then the Redis
# bus — each with 1,000 graphql-transport-ws subscribers to conversationUpdated and signed webhooks for 30 s.
#
#   bench/Subscriptions/run.sh [--subscribers=1000] [--seconds=30]
#   BENCH_RATES="100 25" (webhooks per second; the issue's rate first, then one this machine sustains)
#
# Appends a Markdown table to bench/results/subscriptions-<date>.md (BENCH_RESULTS overrides the directory).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
cd "$ROOT"
# shellcheck source=../../scripts/lib/services.sh
source "$ROOT/scripts/lib/services.sh"

svc_require postgres redis
trap svc_teardown EXIT
svc_workdir crm-bench
svc_start_postgres --durable
svc_start_redis
KEY="$(printf 'bench-signing-key-0123456789abcd' | base64)"
ADMIN=(Crm__Admin__Email=bench@example.com Crm__Admin__Password=Bench-Password-0123-Z9)

log "building the server and the harness in Release"
dotnet build -c Release -nologo -v q src/Crm.GraphQL >/dev/null
dotnet build -c Release -nologo -v q bench/Subscriptions >/dev/null
SERVER_DLL=src/Crm.GraphQL/bin/Release/net10.0/Crm.GraphQL.dll
RESULTS="${BENCH_RESULTS:-bench/results}"
OUT="$RESULTS/subscriptions-$(date -u +%Y-%m-%d).md"
mkdir -p "$RESULTS"
{
  printf '\n## %s UTC, commit %s%s, %s cores, load average at start %s\n\n' "$(date -u '+%Y-%m-%d %H:%M')" \
    "$(git rev-parse --short HEAD)" "$(git diff --quiet HEAD -- src || echo ' + uncommitted changes')" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
  printf '| bus, webhook rate | subscribers | webhooks sent | accepted | events delivered | lost | duplicated | errors | p50 ms | p95 ms | p99 ms | max ms | after the 200: p50 / p95 ms | webhook answered p50 / p95 ms | server RSS idle MB | server RSS peak MB | deliveries/s |\n'
  printf '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n'
} >>"$OUT"

rc=0
for rate in ${BENCH_RATES:-100 25}; do
for bus in in-process redis; do
  DB="$(svc_createdb "crm_bench_${bus//-/_}_$rate")"
  redis=()
  [[ "$bus" == redis ]] && redis=(ConnectionStrings__Redis="127.0.0.1:$REDIS_PORT")
  log "$bus bus: starting the server"
  svc_start_server "$bus" "$SERVER_DLL" ConnectionStrings__Crm="$DB" "${redis[@]}" "${ADMIN[@]}" Crm__SeedDemoData=false \
    OpenPhone__WebhookSigningKeys__0="$KEY" OpenPhone__WebhookRateLimitPerMinute=100000000 Auth__RequestsPerMinute=100000000
  url_var="SERVER_URL_${bus//-/_}"
  dotnet bench/Subscriptions/bin/Release/net10.0/Subscriptions.Bench.dll --url="${!url_var}" --key="$KEY" \
    --email=bench@example.com --password=Bench-Password-0123-Z9 --server-pid="${SVC_SERVER_PIDS[$bus]}" \
    --label="$bus, $rate/s" --rate="$rate" --out="$OUT" "$@" || rc=1
  svc_stop_server "$bus"
done
done
log "results: $OUT"
exit "$rc"
