#!/usr/bin/env bash
# Outbound benchmark (issue #11): for each scenario, from a fresh database, a throwaway PostgreSQL (durable, as in
# production), the OpenPhone simulator as its own process (its limit = --rate, delivery after 1 s, no replies) and
# TWO server instances in Release on that database sending through it at --rate together; then the harness
# (Program.cs) seeds N contacts, enqueues one text to each with sendMessage through both instances, waits for the
# drain and compares what the simulator received with what was asked.
#
#   bench/Outbound/run.sh [--messages=5000] [--rate=10] [--scenario=clean|faults|crash|all]
#
#   clean   no faults
#   faults  10% 429, 5% 500, 1% accepted-then-connection-dropped on every simulator request
#   crash   no faults; instance B is killed -9 when 40% of the texts are out (or the enqueue ends, if later: requests
#           to B would fail while it is down), and started again 3 s later
#
# Prints one Markdown table (a row per scenario) to paste into bench/results/, with the load average at start and
# end. Everything it starts is stopped on exit. A quick run: --messages=300 --rate=50.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
cd "$ROOT"
# shellcheck source=../../scripts/lib/services.sh
source "$ROOT/scripts/lib/services.sh"

MESSAGES=5000 RATE=10 SCENARIOS=(clean faults crash)
for arg in "$@"; do
  case "$arg" in
    --messages=*) MESSAGES="${arg#*=}" ;;
    --rate=*) RATE="${arg#*=}" ;;
    --scenario=all) SCENARIOS=(clean faults crash) ;;
    --scenario=clean | --scenario=faults | --scenario=crash) SCENARIOS=("${arg#*=}") ;;
    *) die "unknown option '$arg' (options: --messages=N --rate=N --scenario=clean|faults|crash|all)" ;;
  esac
done
[[ "$MESSAGES" =~ ^[1-9][0-9]*$ && "$RATE" =~ ^[1-9][0-9]*$ ]] || die "--messages and --rate must be positive integers"

svc_require postgres
trap svc_teardown EXIT
svc_workdir crm-bench
LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
svc_start_postgres --durable
KEY="$(printf 'bench-signing-key-0123456789abcd' | base64)"
OPENPHONE_KEY="bench-openphone-key-0123456789"

log "building the server and the harness in Release"
dotnet build -c Release -nologo -v q src/Crm.GraphQL >/dev/null
dotnet build -c Release -nologo -v q bench/Outbound >/dev/null
SERVER_DLL=src/Crm.GraphQL/bin/Release/net10.0/Crm.GraphQL.dll
TABLE="$SVC_WORK/outbound.md"

rc=0
for scenario in "${SCENARIOS[@]}"; do
  DB="$(svc_createdb "crm_outbound_$scenario")"
  # The servers are told where the simulator will listen before it starts: its webhooks go to instance A.
  free_port || die "no free port for the simulator"
  SIM_PORT="$FREE_PORT"
  SERVER=(ConnectionStrings__Crm="$DB" OpenPhone__ApiKey="$OPENPHONE_KEY" OpenPhone__ApiBaseUrl="http://127.0.0.1:$SIM_PORT"
    OpenPhone__RequestsPerSecond="$RATE" OpenPhone__WebhookSigningKeys__0="$KEY" OpenPhone__WebhookRateLimitPerMinute=100000000
    Auth__RequestsPerMinute=100000000 Logging__LogLevel__Default=Warning)
  faults=()
  [[ "$scenario" == faults ]] && faults=(OpenPhone__Simulator__Faults__RateLimitRate=0.10 OpenPhone__Simulator__Faults__ServerErrorRate=0.05
    OpenPhone__Simulator__Faults__AcceptThenCrashRate=0.01)

  log "$scenario: instance A (migrates), the simulator, instance B"
  svc_start_server a "$SERVER_DLL" "${SERVER[@]}"
  svc_start_simulator sim "$SERVER_DLL" "$SIM_PORT" OpenPhone__Simulator__ApiKey="$OPENPHONE_KEY" \
    OpenPhone__Simulator__RequestsPerSecond="$RATE" OpenPhone__Simulator__WebhookUrl="$SERVER_URL_a/webhook/openphone" \
    OpenPhone__Simulator__SigningKey="$KEY" OpenPhone__Simulator__DeliveryDelay=00:00:01 OpenPhone__Simulator__ReplyRate=0 \
    OpenPhone__Simulator__Seed__Lines=1 OpenPhone__Simulator__Seed__Contacts=0 OpenPhone__Simulator__Seed__Conversations=0 \
    Logging__LogLevel__Default=Warning "${faults[@]}"
  svc_start_server b "$SERVER_DLL" "${SERVER[@]}" Crm__MigrateOnStartup=false

  signal=()
  [[ "$scenario" == crash ]] && signal=(--crash-signal="$SVC_WORK/crash")
  dotnet bench/Outbound/bin/Release/net10.0/Outbound.Bench.dll --scenario="$scenario" --messages="$MESSAGES" --rate="$RATE" \
    --a="$SERVER_URL_a" --b="$SERVER_URL_b" --simulator="$SERVER_URL_sim" --openphone-key="$OPENPHONE_KEY" --db="$DB" \
    --out="$TABLE" "${signal[@]}" &
  harness=$!
  # The crash scenario: the harness creates crash.kill when 40% of the texts are out and waits for crash.restarted.
  while [[ "$scenario" == crash ]] && kill -0 "$harness" 2>/dev/null; do
    if [[ -e "$SVC_WORK/crash.kill" && ! -e "$SVC_WORK/crash.restarted" ]]; then
      pid="${SVC_SERVER_PIDS[b]}"
      kill -KILL "$pid"
      wait "$pid" 2>/dev/null || true
      svc_stop_server b
      log "crash: instance B killed -9; starting it again in 3 s"
      sleep 3
      svc_start_server b "$SERVER_DLL" "${SERVER[@]}" Crm__MigrateOnStartup=false || rc=1
      touch "$SVC_WORK/crash.restarted"
    fi
    sleep 0.1
  done
  wait "$harness" || rc=1
  for name in a b sim; do svc_stop_server "$name"; done
done

printf '\n%s UTC, commit %s%s, %s cores, load average at start %s, at end %s\n\n' "$(date -u '+%Y-%m-%d %H:%M')" \
  "$(git rev-parse --short HEAD)" "$(git diff --quiet HEAD -- src bench || echo ' + uncommitted changes')" "$(nproc)" \
  "$LOAD_START" "$(cut -d' ' -f1-3 /proc/loadavg)"
[[ -f "$TABLE" ]] && cat "$TABLE"
exit "$rc"
