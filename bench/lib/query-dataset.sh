# The read benchmarks' common ground, for bench/run-query-bench.sh and bench/Peer/run.sh: PostgreSQL tuned for the
# largest dataset, the server and Crm.Bench in Release, a generated dataset, the server on it and an API key. Source it
# after scripts/lib/services.sh, from the repository root, once svc_workdir has run:
#
#   bench_start_postgres                      # svc_start_postgres, durability off, memory for 100k contacts
#   bench_build                               # SERVER_DLL, BENCH (an array: dotnet Crm.Bench.dll)
#   bench_dataset NAME CONTACTS ACTIVITIES    # DB: a fresh database NAME filled by `Crm.Bench generate`
#   bench_start_server NAME DB                # the server on DB as svc server NAME (SERVER_URL_<NAME>)
#   bench_api_key URL                         # prints an ADMIN API key, minted through the admin's session
#
# The admin the server seeds and the benchmarks sign in as: BENCH_ADMIN_EMAIL, BENCH_ADMIN_PASSWORD (fresh per run).

BENCH_ADMIN_EMAIL="bench@example.com"
BENCH_ADMIN_PASSWORD="Bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')-Z9"
SERVER_DLL="src/Crm.GraphQL/bin/Release/net10.0/Crm.GraphQL.dll"
BENCH=(dotnet bench/Crm.Bench/bin/Release/net10.0/Crm.Bench.dll)
DB=""

bench_start_postgres() {
  # Throwaway, durability off (nothing here must survive), memory for the largest dataset.
  svc_start_postgres "shared_buffers = 1GB
effective_cache_size = 4GB
work_mem = 16MB
maintenance_work_mem = 512MB
max_wal_size = 8GB
checkpoint_timeout = 30min
# Off, as on most OLTP deployments: JIT compilation adds tens of ms to any statement over its cost threshold.
jit = off"
}

# The server exactly as deployed (Release), and the benchmark; one build after the other on a 2-core machine.
bench_build() {
  log "building the server and Crm.Bench in Release"
  dotnet build -c Release src/Crm.GraphQL -nologo -v q >"$SVC_WORK/build-server.log" 2>&1 ||
    { tail -n 30 "$SVC_WORK/build-server.log" >&2; die "server build failed"; }
  dotnet build -c Release bench/Crm.Bench -nologo -v q >"$SVC_WORK/build-bench.log" 2>&1 ||
    { tail -n 30 "$SVC_WORK/build-bench.log" >&2; die "Crm.Bench build failed"; }
}

bench_dataset() {
  local name="$1" contacts="$2" activities="$3"
  log "dataset: $contacts contacts, $activities activities"
  DB="$(svc_createdb "$name")"
  "${BENCH[@]}" generate --db "$DB" --contacts "$contacts" --activities "$activities"
}

bench_start_server() {
  log "starting the server"
  svc_start_server "$1" "$SERVER_DLL" ConnectionStrings__Crm="$2" Crm__SeedDemoData=false \
    Crm__Admin__Email="$BENCH_ADMIN_EMAIL" Crm__Admin__Password="$BENCH_ADMIN_PASSWORD" Auth__RequestsPerMinute=100000000
}

# The session cookie is Secure outside Development, so curl's cookie jar would not send it back over loopback http:
# it is carried by hand, as Crm.Bench's GraphQLClient does.
bench_api_key() {
  local url="$1" headers cookie body key
  headers="$(curl -sf -o /dev/null -D - -X POST -H 'Content-Type: application/json' "$url/auth/login" \
    --data "{\"email\":\"$BENCH_ADMIN_EMAIL\",\"password\":\"$BENCH_ADMIN_PASSWORD\"}")" ||
    die "POST /auth/login failed: is the admin seeded?"
  cookie="$(printf '%s\n' "$headers" | tr -d '\r' | sed -n -E 's/^[Ss]et-[Cc]ookie: *([^;]*).*/\1/p' | paste -sd ';' -)"
  [[ -n "$cookie" ]] || die "POST /auth/login set no cookie"
  body="$(curl -sf -X POST -H 'Content-Type: application/json' -H 'GraphQL-Preflight: 1' -H "Cookie: $cookie" "$url/graphql" \
    --data '{"query":"mutation { createApiKey(input: { name: \"bench\", role: ADMIN }) { key errors { __typename } } }"}')" ||
    die "createApiKey failed"
  key="$(printf '%s' "$body" | sed -n -E 's/.*"createApiKey":\{"key":"([^"]+)".*/\1/p')"
  [[ -n "$key" ]] || die "createApiKey returned no key: ${body:0:300}"
  printf '%s' "$key"
}
