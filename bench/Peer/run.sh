#!/usr/bin/env bash
# Our server beside PostGraphile 5 on the same database (issue 17): a throwaway PostgreSQL and a dataset generated as
# for bench/run-query-bench.sh, our server in Release with an API key, PostGraphile 5 with the connection-filter
# plugin under a local Node (bench/Peer/node_modules, the npm package `node`: PostGraphile 5 needs Node >= 22 and the
# system's Node is left alone), then peer.mjs: it checks that both servers return the same rows and columns for each
# read scenario (the run fails on a mismatch) and measures them with autocannon, the servers alternated.
#
#   bench/Peer/run.sh                                  # 100,000 contacts, 2 rounds of 5 s per server, 1 and 8 connections
#   bench/Peer/run.sh --contacts=2000 --seconds=2      # a quick smoke run
#
# Options: --contacts=N (100000), --seconds=N per round (5), --rounds=N per server (2), --warmup=N seconds per
# server and scenario (3), --connections=1,8, --out=FILE (also append the report there), --check-only (no measuring).
# Environment: BENCH_ACTIVITIES_PER_CONTACT (10), CRM_TEST_INSTALL=0 forbids installing packages with apt-get.
# Everything it started is removed at the end, even on failure or Ctrl-C.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
cd "$ROOT"

CONTACTS=100000 ROUND_SECONDS=5 ROUNDS=2 WARMUP=3 CONNECTIONS=1,8 OUT="" CHECK_ONLY=0
for arg in "$@"; do
  case "$arg" in
    --contacts=*) CONTACTS="${arg#*=}" ;;
    --seconds=*) ROUND_SECONDS="${arg#*=}" ;;
    --rounds=*) ROUNDS="${arg#*=}" ;;
    --warmup=*) WARMUP="${arg#*=}" ;;
    --connections=*) CONNECTIONS="${arg#*=}" ;;
    --out=*) OUT="${arg#*=}" ;;
    --check-only) CHECK_ONLY=1 ;;
    *) echo "error: unknown option '$arg' (see the top of $0)" >&2; exit 2 ;;
  esac
done
for n in "$CONTACTS" "$ROUND_SECONDS" "$ROUNDS"; do
  [[ "$n" =~ ^[0-9]+$ && "$n" -gt 0 ]] || { echo "error: --contacts, --seconds and --rounds are positive integers, not '$n'" >&2; exit 2; }
done
[[ "$WARMUP" =~ ^[0-9]+$ ]] || { echo "error: --warmup is a number of seconds, not '$WARMUP'" >&2; exit 2; }
PER_CONTACT="${BENCH_ACTIVITIES_PER_CONTACT:-10}"

# shellcheck source=../../scripts/lib/services.sh
source "$ROOT/scripts/lib/services.sh"
# shellcheck source=../lib/query-dataset.sh
source "$ROOT/bench/lib/query-dataset.sh"
command -v curl >/dev/null 2>&1 || die "curl not found"
svc_require postgres node
trap svc_teardown EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
svc_workdir crm-peer

# ---------------------------------------------------------------------------
# PostGraphile, autocannon and Node 22+ from bench/Peer/package-lock.json
# ---------------------------------------------------------------------------
PEER="$ROOT/bench/Peer"
NODE="$PEER/node_modules/.bin/node"
if [[ ! -x "$NODE" || "$PEER/package-lock.json" -nt "$PEER/node_modules/.package-lock.json" ]]; then
  log "installing bench/Peer's npm packages (npm ci)"
  (cd "$PEER" && npm ci --no-audit --no-fund --loglevel=error) >"$SVC_WORK/npm.log" 2>&1 ||
    { tail -n 30 "$SVC_WORK/npm.log" >&2; die "npm ci in bench/Peer failed"; }
fi
"$NODE" -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 22 ? 0 : 1)' ||
  die "$NODE is Node $("$NODE" --version), PostGraphile 5 needs 22 or later"

bench_start_postgres
bench_build
bench_dataset crm_peer "$CONTACTS" $((CONTACTS * PER_CONTACT))
PSQL=("$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d crm_peer -v ON_ERROR_STOP=1 -qAt)

# PostGraphile reads through a role that may only SELECT the scenarios' tables: it exposes nothing else and no mutation.
"${PSQL[@]}" >/dev/null <<'SQL'
CREATE ROLE peer_reader LOGIN;
ALTER ROLE peer_reader SET default_transaction_read_only = on;
GRANT USAGE ON SCHEMA public TO peer_reader;
GRANT SELECT ON "Contacts", "Conversations", "Activities" TO peer_reader;
SQL
# Our inbox hides conversations snoozed into the future, which PostGraphile has no way to say without a clock in the
# query: no conversation is snoozed in the data, so both inboxes are the same list (the generator snoozes none).
snoozed="$("${PSQL[@]}" -c 'UPDATE "Conversations" SET "SnoozedUntil" = NULL WHERE "SnoozedUntil" > now() RETURNING 1' | wc -l)"
# The timeline's contact: the one with the most activities, as in Crm.Bench's scenario.
CONTACT="$("${PSQL[@]}" -c 'SELECT "ContactId" FROM "Activities" GROUP BY "ContactId" ORDER BY count(*) DESC, "ContactId" LIMIT 1')"

bench_start_server ours "$DB"
KEY="$(bench_api_key "$SERVER_URL_ours")"

log "starting PostGraphile"
free_port || die "no free port for PostGraphile"
svc_start_command postgraphile "$FREE_PORT" "/graphql?query=%7B__typename%7D" \
  env NODE_ENV=production PEER_PORT="$FREE_PORT" PEER_DATABASE_URL="postgres://peer_reader@127.0.0.1:$PG_PORT/crm_peer" \
  "$NODE" "$PEER/node_modules/postgraphile/dist/cli-run.js" --config "$PEER/graphile.config.mjs"

pkg_version() { "$NODE" -p "require('$PEER/node_modules/$1/package.json').version"; }
report="$SVC_WORK/report.md"
{
  printf '## %s UTC, commit %s%s, %s contacts, %s cores\n\n' "$(date -u '+%Y-%m-%d %H:%M')" \
    "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" "$(git diff --quiet HEAD -- src 2>/dev/null || echo ' + uncommitted changes in src')" \
    "$CONTACTS" "$(nproc)"
  printf 'PostGraphile %s, postgraphile-plugin-connection-filter %s, autocannon %s, Node %s; our server in Release.\n' \
    "$(pkg_version postgraphile)" "$(pkg_version postgraphile-plugin-connection-filter)" "$(pkg_version autocannon)" "$("$NODE" --version)"
  printf 'Snoozed conversations cleared for the comparison: %s. The load generator runs on the same machine.\n\n' "$snoozed"
  printf 'uptime before: %s\n\n' "$(uptime)"
} >"$report"
cat "$report"

check=()
((CHECK_ONLY)) && check=(--check-only)
rc=0
PEER_OURS_KEY="$KEY" "$NODE" "$PEER/peer.mjs" --ours "$SERVER_URL_ours" --theirs "$SERVER_URL_postgraphile" --contact "$CONTACT" \
  --seconds "$ROUND_SECONDS" --rounds "$ROUNDS" --warmup "$WARMUP" --connections "$CONNECTIONS" "${check[@]}" | tee -a "$report" || rc=1
printf 'uptime after: %s\n' "$(uptime)" | tee -a "$report"

if [[ -n "$OUT" ]]; then
  mkdir -p "$(dirname "$OUT")"
  { printf '\n'; cat "$report"; } >>"$OUT"
  log "report appended to $OUT"
fi
exit "$rc"
