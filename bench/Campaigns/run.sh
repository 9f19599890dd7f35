#!/usr/bin/env bash
# Campaign benchmark (issue #14): a throwaway PostgreSQL (durable, as in production, with pg_stat_statements), the
# OpenPhone simulator as its own process (its per-key limit = --rate, delivery after 1 s, no replies) and TWO server
# instances in Release on that database, sending through it at --rate together; then the harness (Program.cs) seeds N
# opted-in contacts, creates a two-variant campaign to them with GraphQL, starts it, waits until it is COMPLETED and
# compares what the simulator received with the audience.
#
#   bench/Campaigns/run.sh [--recipients=10000] [--rate=10]
#
# The line's daily cap is lifted (Campaigns:DailyCap) and the campaign's window is open all day every day, at
# perMinute = rate × 60 (at most 600, so --rate at most 10, OpenPhone's limit). The business and the recipients live
# in a fixed-offset zone where it is early afternoon when the run starts: the window's end (23:59) and the recipients'
# quiet hours (federal 8:00–21:00, Massachusetts 8:00–20:00 for the 857 numbers) are hours away.
#
# Prints one Markdown table row, then the statements by calls, to paste into bench/results/, with the load average at
# start and end. Everything it starts is stopped on exit. A quick run: --recipients=300 --rate=10 (about 30 s of sends).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
cd "$ROOT"
# shellcheck source=../../scripts/lib/services.sh
source "$ROOT/scripts/lib/services.sh"

RECIPIENTS=10000 RATE=10
for arg in "$@"; do
  case "$arg" in
    --recipients=*) RECIPIENTS="${arg#*=}" ;;
    --rate=*) RATE="${arg#*=}" ;;
    *) die "unknown option '$arg' (options: --recipients=N --rate=N)" ;;
  esac
done
[[ "$RECIPIENTS" =~ ^[1-9][0-9]*$ && "$RATE" =~ ^[1-9][0-9]*$ ]] || die "--recipients and --rate must be positive integers"
((RATE <= 10)) || die "--rate=$RATE: a campaign sends at most 600 a minute (perMinute), so at most 10/s"
((RECIPIENTS <= 3000000)) || die "--recipients=$RECIPIENTS: the contacts' numbers run out at +1 857 500-0000"

# UTC-5 is Etc/GMT+5: the names' signs are POSIX's, the other way round.
hour=$((10#$(date -u +%H)))
offset=$(((13 - hour + 36) % 24 - 12))
if ((offset == 0)); then ZONE=Etc/UTC; elif ((offset > 0)); then ZONE="Etc/GMT-$offset"; else ZONE="Etc/GMT+$((-offset))"; fi

svc_require postgres
trap svc_teardown EXIT
svc_workdir crm-bench-campaigns
LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
svc_start_postgres --durable "shared_preload_libraries = 'pg_stat_statements'
pg_stat_statements.track = all"
KEY="$(printf 'bench-signing-key-0123456789abcd' | base64)"
OPENPHONE_KEY="bench-openphone-key-0123456789"

log "building the server and the harness in Release"
dotnet build -c Release -nologo -v q src/Crm.GraphQL >/dev/null
dotnet build -c Release -nologo -v q bench/Campaigns >/dev/null
SERVER_DLL=src/Crm.GraphQL/bin/Release/net10.0/Crm.GraphQL.dll
TABLE="$SVC_WORK/campaigns.md"

DB="$(svc_createdb crm_campaigns)"
# The servers are told where the simulator will listen before it starts: its webhooks go to instance A.
free_port || die "no free port for the simulator"
SIM_PORT="$FREE_PORT"
SERVER=(ConnectionStrings__Crm="$DB" OpenPhone__ApiKey="$OPENPHONE_KEY" OpenPhone__ApiBaseUrl="http://127.0.0.1:$SIM_PORT"
  OpenPhone__RequestsPerSecond="$RATE" OpenPhone__WebhookSigningKeys__0="$KEY" OpenPhone__WebhookRateLimitPerMinute=100000000
  Auth__RequestsPerMinute=100000000 Crm__BusinessTimeZone="$ZONE" Campaigns__DailyCap=1000000000
  Campaigns__PerMinute=$((RATE * 60)) Logging__LogLevel__Default=Warning)

log "instance A (migrates), the simulator, instance B; business and recipients in $ZONE"
svc_start_server a "$SERVER_DLL" "${SERVER[@]}"
svc_start_simulator sim "$SERVER_DLL" "$SIM_PORT" OpenPhone__Simulator__ApiKey="$OPENPHONE_KEY" \
  OpenPhone__Simulator__RequestsPerSecond="$RATE" OpenPhone__Simulator__WebhookUrl="$SERVER_URL_a/webhook/openphone" \
  OpenPhone__Simulator__SigningKey="$KEY" OpenPhone__Simulator__DeliveryDelay=00:00:01 OpenPhone__Simulator__ReplyRate=0 \
  OpenPhone__Simulator__Seed__Lines=1 OpenPhone__Simulator__Seed__Contacts=0 OpenPhone__Simulator__Seed__Conversations=0 \
  Logging__LogLevel__Default=Warning
svc_start_server b "$SERVER_DLL" "${SERVER[@]}" Crm__MigrateOnStartup=false

rc=0
dotnet bench/Campaigns/bin/Release/net10.0/Campaigns.Bench.dll --recipients="$RECIPIENTS" --rate="$RATE" --zone="$ZONE" \
  --a="$SERVER_URL_a" --b="$SERVER_URL_b" --simulator="$SERVER_URL_sim" --openphone-key="$OPENPHONE_KEY" --db="$DB" \
  --out="$TABLE" || rc=1
for name in a b sim; do svc_stop_server "$name"; done

printf '\n%s UTC, commit %s%s, %s cores, load average at start %s, at end %s\n\n' "$(date -u '+%Y-%m-%d %H:%M')" \
  "$(git rev-parse --short HEAD)" "$(git diff --quiet HEAD -- src bench || echo ' + uncommitted changes')" "$(nproc)" \
  "$LOAD_START" "$(cut -d' ' -f1-3 /proc/loadavg)"
[[ -f "$TABLE" ]] && cat "$TABLE"
exit "$rc"
