#!/usr/bin/env bash
# CSV import benchmark (issue #13): a generated file of --rows contacts with real-world mess (5% duplicate phones in
# other formats, 2% invalid phones, mixed case, stray whitespace, quoted commas and line breaks) uploaded to
# POST /imports/contacts of one Release server on a throwaway durable PostgreSQL 15, imported by its worker; against
# a PostgreSQL COPY of the same file into a staging table in the same run. See Program.cs for what is measured.
#
#   bench/Imports/run.sh [--rows=100000] [--warm-up=0] [--index-costs]
#
# Prints one Markdown table row to paste into bench/results/, with the load average at start and end, then where the
# worker's time went (the database's statements, CPU seconds of the server and of PostgreSQL). --warm-up=N imports N
# other rows first, unmeasured, so that the server's code is compiled (a fresh process spends much of its CPU in the
# JIT). --index-costs adds what each index of Contacts and of the report rows costs an insert of the same rows (after
# the import; a minute or two more at 100,000 rows). Everything it starts is stopped on exit. A quick check that it
# works: --rows=5000.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
cd "$ROOT"
# shellcheck source=../../scripts/lib/services.sh
source "$ROOT/scripts/lib/services.sh"

ROWS=100000 INDEX_COSTS=false WARM_UP=0
for arg in "$@"; do
  case "$arg" in
    --rows=*) ROWS="${arg#*=}" ;;
    --index-costs) INDEX_COSTS=true ;;
    --warm-up=*) WARM_UP="${arg#*=}" ;;
    *) die "unknown option '$arg' (options: --rows=N --warm-up=N --index-costs)" ;;
  esac
done
[[ "$ROWS" =~ ^[1-9][0-9]*$ ]] || die "--rows must be a positive integer"
[[ "$WARM_UP" =~ ^[0-9]+$ ]] || die "--warm-up must be a number of rows"

svc_require postgres
trap svc_teardown EXIT
svc_workdir crm-bench-imports
LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
# pg_stat_statements and the WAL's I/O times for the breakdown of the worker's time.
svc_start_postgres --durable "shared_preload_libraries = 'pg_stat_statements'
pg_stat_statements.track = all
track_wal_io_timing = on"

log "building the server and the harness in Release"
dotnet build -c Release -nologo -v q src/Crm.GraphQL >/dev/null
dotnet build -c Release -nologo -v q bench/Imports >/dev/null
SERVER_DLL=src/Crm.GraphQL/bin/Release/net10.0/Crm.GraphQL.dll
TABLE="$SVC_WORK/imports.md"

DB="$(svc_createdb crm_imports)"
svc_start_server a "$SERVER_DLL" ConnectionStrings__Crm="$DB" Crm__SeedDemoData=false Auth__RequestsPerMinute=100000000 \
  Logging__LogLevel__Default=Warning

rc=0
dotnet bench/Imports/bin/Release/net10.0/Imports.Bench.dll --rows="$ROWS" --url="$SERVER_URL_a" --db="$DB" \
  --server-pid="${SVC_SERVER_PIDS[a]}" --work="$SVC_WORK" --out="$TABLE" --index-costs="$INDEX_COSTS" --warm-up="$WARM_UP" || rc=1
svc_stop_server a

printf '\n%s UTC, commit %s%s, %s cores, load average at start %s, at end %s\n\n' "$(date -u '+%Y-%m-%d %H:%M')" \
  "$(git rev-parse --short HEAD)" "$(git diff --quiet HEAD -- src bench || echo ' + uncommitted changes')" "$(nproc)" \
  "$LOAD_START" "$(cut -d' ' -f1-3 /proc/loadavg)"
[[ -f "$TABLE" ]] && cat "$TABLE"
exit "$rc"
