#!/usr/bin/env bash
# Webhook benchmark: a throwaway PostgreSQL (durable, as in production), the server in Release on it, then the
# harness (Program.cs): signed message.received deliveries from concurrent loopback senders for 30 s, then the
# hand-written SQL floor.
#
#   bench/Webhooks/run.sh [--seconds=30] [--senders=16] [--warmup=3]
#   BENCH_SERVER_SETTINGS="OpenPhone__WebhookWorkers=2 …" (more server settings, space-separated)
#
# Prints a Markdown table to paste into bench/results/. Everything it starts is stopped on exit.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
cd "$ROOT"
# shellcheck source=../../scripts/lib/services.sh
source "$ROOT/scripts/lib/services.sh"

svc_require postgres
trap svc_teardown EXIT
svc_workdir crm-bench
svc_start_postgres --durable
DB="$(svc_createdb crm_bench)"
KEY="$(printf 'bench-signing-key-0123456789abcd' | base64)"

dotnet build -c Release -nologo -v q src/Crm.GraphQL >/dev/null
dotnet build -c Release -nologo -v q bench/Webhooks >/dev/null
read -r -a extra <<<"${BENCH_SERVER_SETTINGS:-}"
svc_start_server app src/Crm.GraphQL/bin/Release/net10.0/Crm.GraphQL.dll \
  ConnectionStrings__Crm="$DB" OpenPhone__WebhookSigningKeys__0="$KEY" OpenPhone__WebhookRateLimitPerMinute=100000000 \
  Logging__LogLevel__Default=Warning "${extra[@]}"

dotnet bench/Webhooks/bin/Release/net10.0/Webhooks.Bench.dll --url="$SERVER_URL_app" --db="$DB" --key="$KEY" "$@"
