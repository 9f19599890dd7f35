#!/usr/bin/env bash
# History import benchmark (issue #13): a simulated OpenPhone account of N conversations (2 lines, 4 texts and 1 call
# each; 70% of calls answered, with recording, summary and transcript; the rest with a voicemail), imported whole into
# a fresh database on a throwaway, durable PostgreSQL by the server binary's `import openphone --full`, at --rate
# requests a second (the simulator's limit and the server's pace). Reports wall time against its floor (requests
# needed ÷ rate; "needed" = the clean run's requests, or this run's own when it is alone) and the share imported.
#
#   bench/Imports/history.sh [--conversations=7000] [--rate=10] [--scenario=clean|faults|all]
#
#   clean   no faults
#   faults  10% 429, 5% 500 and 1% dropped connections on every simulator request
#
# Prints one Markdown table (a row per scenario) with the load average at start and end. A quick run:
# --conversations=200 --rate=100.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
cd "$ROOT"
# shellcheck source=../../scripts/lib/services.sh
source "$ROOT/scripts/lib/services.sh"

CONVERSATIONS=7000 RATE=10 SCENARIOS=(clean faults)
for arg in "$@"; do
  case "$arg" in
    --conversations=*) CONVERSATIONS="${arg#*=}" ;;
    --rate=*) RATE="${arg#*=}" ;;
    --scenario=all) SCENARIOS=(clean faults) ;;
    --scenario=clean | --scenario=faults) SCENARIOS=("${arg#*=}") ;;
    *) die "unknown option '$arg' (options: --conversations=N --rate=N --scenario=clean|faults|all)" ;;
  esac
done
[[ "$CONVERSATIONS" =~ ^[1-9][0-9]*$ && "$RATE" =~ ^[1-9][0-9]*$ ]] || die "--conversations and --rate must be positive integers"

svc_require postgres
trap svc_teardown EXIT
svc_workdir crm-bench-history
LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
svc_start_postgres --durable
OPENPHONE_KEY="bench-openphone-key-0123456789"
log "building the server in Release"
dotnet build -c Release -nologo -v q src/Crm.GraphQL >/dev/null
SERVER_DLL=src/Crm.GraphQL/bin/Release/net10.0/Crm.GraphQL.dll
psql_value() { "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d "$1" -Atc "$2"; }

NEEDED=""
ROWS=()
for scenario in "${SCENARIOS[@]}"; do
  DB_NAME="crm_history_$scenario"
  DB="$(svc_createdb "$DB_NAME")"
  free_port || die "no free port for the simulator"
  SIM_PORT="$FREE_PORT"
  faults=()
  [[ "$scenario" == faults ]] && faults=(OpenPhone__Simulator__Faults__RateLimitRate=0.10 OpenPhone__Simulator__Faults__ServerErrorRate=0.05
    OpenPhone__Simulator__Faults__DropRate=0.01)
  log "$scenario: the simulator with $CONVERSATIONS conversations"
  svc_start_simulator sim "$SERVER_DLL" "$SIM_PORT" OpenPhone__Simulator__ApiKey="$OPENPHONE_KEY" \
    OpenPhone__Simulator__RequestsPerSecond="$RATE" OpenPhone__Simulator__Seed__Lines=2 \
    OpenPhone__Simulator__Seed__Contacts=$(((CONVERSATIONS + 1) / 2)) OpenPhone__Simulator__Seed__Conversations="$CONVERSATIONS" \
    OpenPhone__Simulator__Seed__MessagesPerConversation=4 OpenPhone__Simulator__Seed__CallsPerConversation=1 \
    Logging__LogLevel__Default=Warning "${faults[@]}"

  log "$scenario: import openphone --full at $RATE requests/s"
  free_port || die "no free port for the server"
  env ASPNETCORE_ENVIRONMENT=Production ConnectionStrings__Crm="$DB" OpenPhone__ApiKey="$OPENPHONE_KEY" \
    OpenPhone__ApiBaseUrl="http://127.0.0.1:$SIM_PORT" OpenPhone__RequestsPerSecond="$RATE" OpenPhone__Outbound__Workers=0 \
    Logging__LogLevel__Default=Warning \
    dotnet "$SERVER_DLL" import openphone --full --urls "http://127.0.0.1:$FREE_PORT" \
    --contentRoot "$(cd "$(dirname "$SERVER_DLL")" && pwd -P)" >"$SVC_WORK/import-$scenario.log" 2>&1 ||
    { tail -n 30 "$SVC_WORK/import-$scenario.log" >&2; die "$scenario: the import did not succeed"; }

  requests="$(curl -sf "$SERVER_URL_sim/_simulator/stats" | jq '[.requests[]] | add')"
  svc_stop_server sim
  [[ -z "$NEEDED" ]] && NEEDED="$requests"
  IFS='|' read -r total done failed seconds runs < <(psql_value "$DB_NAME" \
    "SELECT \"Total\", \"Done\", \"Failed\", EXTRACT(EPOCH FROM \"FinishedAt\" - \"StartedAt\")::numeric(10,1), \"Runs\" FROM \"ImportJobs\"")
  activities="$(psql_value "$DB_NAME" 'SELECT count(*) FROM "Activities"')"
  expected=$((CONVERSATIONS * 5))
  floor="$(awk -v n="$NEEDED" -v r="$RATE" 'BEGIN { printf "%.1f", n / r }')"
  ROWS+=("| $scenario | $CONVERSATIONS | $RATE/s | $requests | $seconds s | $floor s | $(awk -v a="$seconds" -v b="$floor" 'BEGIN { printf "%.2f×", a / b }') | $done / $total ($failed failed) | $activities / $expected ($(awk -v a="$activities" -v b="$expected" 'BEGIN { printf "%.2f%%", 100 * a / b }')) | $runs |")
done

printf '\nLoad average at start: %s; at end: %s (%s cores)\n\n' "$LOAD_START" "$(cut -d' ' -f1-3 /proc/loadavg)" "$(nproc)"
printf '| scenario | conversations | rate | requests made | wall time | floor (needed ÷ rate) | ratio | conversations imported | messages + calls imported | runs |\n'
printf '|---|---|---|---|---|---|---|---|---|---|\n'
printf '%s\n' "${ROWS[@]}"
