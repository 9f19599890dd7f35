#!/usr/bin/env bash
# Webhook benchmark: a throwaway PostgreSQL, the server in Release on it, then the harness (Program.cs):
# signed message.received deliveries from concurrent loopback senders for 30 s, then the hand-written SQL floor.
#
#   bench/Webhooks/run.sh [--seconds=30] [--senders=16]
#
# Prints a Markdown table to paste into bench/results/. Runs as root (PostgreSQL as the postgres user) or as a
# user who can run initdb. Everything it starts is stopped on exit.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
cd "$ROOT"

PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
[[ -x "$PG_BIN/initdb" ]] || { echo "PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1; }
RUN_PG=()
[[ "$(id -u)" == 0 ]] && RUN_PG=(runuser -u postgres --)

WORK="$(mktemp -d /tmp/crm-bench.XXXXXX)"
chmod 755 "$WORK"
PG_PORT=$((20000 + RANDOM % 10000))
APP_PORT=$((30000 + RANDOM % 2000))
SERVER_PID=""
cleanup() {
  set +e
  [[ -n "$SERVER_PID" ]] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  (cd "$WORK" && "${RUN_PG[@]}" "$PG_BIN/pg_ctl" -D "$WORK/pg" -m immediate stop) >/dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup EXIT

mkdir "$WORK/pg" && [[ "$(id -u)" == 0 ]] && chown postgres "$WORK/pg"
(cd "$WORK" && "${RUN_PG[@]}" "$PG_BIN/initdb" -D "$WORK/pg" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8) >/dev/null
# Durable settings, as in production (unlike scripts/test.sh, which turns fsync off).
cat >>"$WORK/pg/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$WORK/pg'
max_connections = 200
CONF
(cd "$WORK" && "${RUN_PG[@]}" "$PG_BIN/pg_ctl" -D "$WORK/pg" -l "$WORK/pg/log" -w start) >/dev/null
"$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres crm_bench
DB="Host=127.0.0.1;Port=$PG_PORT;Database=crm_bench;Username=postgres"
KEY="$(printf 'bench-signing-key-0123456789abcd' | base64)"

dotnet build -c Release -nologo -v q src/Crm.GraphQL >/dev/null
dotnet build -c Release -nologo -v q bench/Webhooks >/dev/null
ConnectionStrings__Crm="$DB" OpenPhone__WebhookSigningKeys__0="$KEY" OpenPhone__WebhookRateLimitPerMinute=100000000 \
  Logging__LogLevel__Default=Warning ASPNETCORE_URLS="http://127.0.0.1:$APP_PORT" \
  dotnet src/Crm.GraphQL/bin/Release/net10.0/Crm.GraphQL.dll >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in {1..60}; do curl -sf "http://127.0.0.1:$APP_PORT/health/ready" >/dev/null && break; sleep 1; done

dotnet bench/Webhooks/bin/Release/net10.0/Webhooks.Bench.dll --url="http://127.0.0.1:$APP_PORT" --db="$DB" --key="$KEY" "$@"
