# Throwaway services for scripts/test.sh and the benchmarks: PostgreSQL, Redis and the server as a process,
# on free 127.0.0.1 ports under one work directory that svc_teardown removes. Source it, then:
#
#   svc_require postgres redis      # installs missing Debian packages (root + apt-get; CRM_TEST_INSTALL=0 forbids)
#   svc_require promtool            # PROMTOOL: on PATH, or unpacked from the Debian package into a cache (no service)
#   svc_workdir crm-test            # SVC_WORK; call svc_teardown from the caller's EXIT trap
#   svc_start_postgres [--durable] [CONF]  # PG_PORT, PG_DATA, PG_USER, RUN_PG; CONF: extra postgresql.conf lines
#   svc_createdb NAME               # prints the Npgsql connection string
#   svc_start_redis                 # REDIS_PORT
#   svc_start_server NAME DLL [VAR=value ...]  # SERVER_URL_<NAME>; the server's log is $SVC_WORK/NAME.log
#   svc_start_simulator NAME DLL PORT [VAR=value ...]  # the OpenPhone simulator, likewise
#   svc_start_command NAME PORT READY_PATH COMMAND...  # any other server process (bench/Peer's PostGraphile), likewise
#   svc_stop_server NAME
#
# Functions exit the script with a message (and the tail of the service's log) when a service cannot start, except
# svc_start_server and svc_start_simulator, which print the same and return 1: a server that does not start is a
# test failure for scripts/test.sh to count, not the end of its run (under `set -e` a bare call still stops the script).

log() { printf '==> %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }
now() { printf '%s' "${EPOCHREALTIME:-$(date +%s.%N)}"; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1fs", b - a }'; }

SVC_WORK=""
PG_BIN=""
PG_DATA=""
PG_PORT=""
PG_USER="$(id -un)"
RUN_PG=()
REDIS_PID=""
REDIS_PORT=""
declare -A SVC_SERVER_PIDS=()
SVC_PORTS=()

_find_pg_bin() {
  local d
  d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
  if [[ -n "$d" && -x "$d/initdb" && -x "$d/pg_ctl" ]]; then printf '%s' "$d"; return 0; fi
  if command -v pg_config >/dev/null 2>&1; then
    d="$(pg_config --bindir 2>/dev/null || true)"
    if [[ -n "$d" && -x "$d/initdb" && -x "$d/pg_ctl" ]]; then printf '%s' "$d"; return 0; fi
  fi
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    dirname "$(command -v initdb)"; return 0
  fi
  return 1
}

PROMTOOL=""

# _find_promtool: promtool on PATH, else the one _fetch_promtool unpacked into the cache.
_promtool_cache() { printf '%s' "${CRM_TOOL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/attackacrack}/prometheus"; }
_find_promtool() {
  if command -v promtool >/dev/null 2>&1; then command -v promtool; return 0; fi
  local cached
  cached="$(_promtool_cache)/usr/bin/promtool"
  [[ -x "$cached" ]] && { printf '%s' "$cached"; return 0; }
  return 1
}

# _fetch_promtool: the Debian package `prometheus` ships promtool; downloaded and unpacked (apt-get download + dpkg -x),
# never installed, so no Prometheus service is set up or started on this machine. Needs no root.
_fetch_promtool() {
  local cache tmp deb
  cache="$(_promtool_cache)"
  command -v apt-get >/dev/null 2>&1 && command -v dpkg >/dev/null 2>&1 || die "promtool not found and apt-get/dpkg are not available"
  log "unpacking promtool from the Debian package prometheus into $cache"
  tmp="$(mktemp -d "${TMPDIR:-/tmp}/promtool.XXXXXXXX")"
  # apt-get download writes to the working directory; as root it warns that _apt cannot reach a private directory.
  chmod 755 "$tmp"
  (cd "$tmp" && apt-get download -qq prometheus >/dev/null 2>&1) ||
    { [[ "$(id -u)" == "0" ]] && apt-get update -qq && (cd "$tmp" && apt-get download -qq prometheus >/dev/null 2>&1); } ||
    { rm -rf "$tmp"; die "apt-get download prometheus failed (for promtool)"; }
  deb="$(ls "$tmp"/prometheus_*.deb 2>/dev/null | head -n 1)"
  [[ -n "$deb" ]] || { rm -rf "$tmp"; die "apt-get download prometheus left no package"; }
  mkdir -p "$cache"
  dpkg -x "$deb" "$tmp/x" && install -D -m 755 "$tmp/x/usr/bin/promtool" "$cache/usr/bin/promtool"
  rm -rf "$tmp"
}

# svc_require [postgres] [redis] [node] [chromium] [promtool]
svc_require() {
  command -v dotnet >/dev/null 2>&1 || die "dotnet SDK not found on PATH"
  local missing=() want
  for want in "$@"; do
    case "$want" in
      promtool)
        if ! _find_promtool >/dev/null; then
          [[ "${CRM_TEST_INSTALL:-1}" == "0" ]] && die "missing: promtool (CRM_TEST_INSTALL=0, not fetching). Put promtool on PATH"
          _fetch_promtool
        fi
        PROMTOOL="$(_find_promtool)" || die "promtool not found after unpacking it"
        "$PROMTOOL" --version >/dev/null 2>&1 || die "$PROMTOOL does not run"
        ;;
      postgres) _find_pg_bin >/dev/null || missing+=(postgresql) ;;
      redis)
        command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
        command -v redis-cli >/dev/null 2>&1 || missing+=(redis-tools) ;;
      node) command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || missing+=(nodejs npm) ;;
      chromium) [[ -x /usr/bin/chromium ]] || missing+=(chromium) ;;
    esac
  done
  if ((${#missing[@]})); then
    [[ "${CRM_TEST_INSTALL:-1}" == "0" ]] &&
      die "missing: ${missing[*]} (CRM_TEST_INSTALL=0, not installing). Install with: apt-get install -y ${missing[*]}"
    [[ "$(id -u)" == "0" ]] || die "missing: ${missing[*]}; not root, cannot install. Run: sudo apt-get install -y ${missing[*]}"
    command -v apt-get >/dev/null 2>&1 || die "missing: ${missing[*]} and apt-get is not available"
    log "installing missing packages: ${missing[*]}"
    apt-get update -qq
    local pkgs=() p
    for p in "${missing[@]}"; do
      if [[ "$p" == postgresql ]] && apt-cache show postgresql-15 >/dev/null 2>&1; then pkgs+=(postgresql-15); else pkgs+=("$p"); fi
    done
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
  fi
  for want in "$@"; do
    case "$want" in
      postgres) PG_BIN="$(_find_pg_bin)" || die "PostgreSQL server binaries (initdb, pg_ctl) not found" ;;
      redis) command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1 || die "redis-server/redis-cli not found" ;;
    esac
  done
}

# svc_workdir PREFIX: the directory everything lives in; removed by svc_teardown.
svc_workdir() {
  SVC_WORK="$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXXXX")"
  chmod 755 "$SVC_WORK" # the postgres user must be able to traverse it
}

# free_port: FREE_PORT = a free TCP port on 127.0.0.1 below the ephemeral range, never one handed out before in
# this script (a variable, not output: a command substitution's subshell would forget the ports handed out).
free_port() {
  local p
  p="$(python3 - "${SVC_PORTS[@]}" 2>/dev/null <<'PY'
import random, socket, sys
exclude = {int(a) for a in sys.argv[1:]}
for _ in range(500):
    port = random.randint(20000, 32000)
    if port in exclude:
        continue
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        continue
    finally:
        s.close()
    print(port)
    sys.exit(0)
sys.exit(1)
PY
  )" || p=""
  if [[ -z "$p" ]]; then
    local i ex
    for ((i = 0; i < 500; i++)); do
      p=$((20000 + RANDOM % 12000))
      for ex in "${SVC_PORTS[@]}"; do [[ "$p" == "$ex" ]] && continue 2; done
      [[ -z "$(ss -Hltn "sport = :$p" 2>/dev/null)" ]] && break
      p=""
    done
  fi
  [[ -n "$p" ]] || return 1
  SVC_PORTS+=("$p")
  FREE_PORT="$p"
}

_tail_warn() { # _tail_warn MESSAGE LOGFILE
  printf 'error: %s\n--- tail of %s ---\n' "$1" "$2" >&2
  tail -n 30 "$2" >&2 2>/dev/null || true
}
_tail_fail() { _tail_warn "$@"; exit 1; }

# svc_start_postgres [--durable] [CONF]: fsync off unless --durable (a benchmark of commits must pay for them).
svc_start_postgres() {
  local durable=0
  [[ "${1:-}" == --durable ]] && { durable=1; shift; }
  local extra="${1:-}"
  # PostgreSQL refuses to run as root: use the `postgres` system user, or create one.
  if [[ "$(id -u)" == "0" ]]; then
    if id -u postgres >/dev/null 2>&1; then
      PG_USER=postgres
    else
      PG_USER=crmtest
      id -u crmtest >/dev/null 2>&1 ||
        useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin crmtest
    fi
    RUN_PG=(runuser -u "$PG_USER" --)
  fi
  mkdir -p "$SVC_WORK/pg/sock"
  [[ "$(id -u)" == "0" ]] && chown -R "$PG_USER" "$SVC_WORK/pg"
  chmod 700 "$SVC_WORK/pg"
  PG_DATA="$SVC_WORK/pg/data"
  local pg_log="$SVC_WORK/pg/postgres.log" t0 i
  free_port || die "no free port for PostgreSQL"
  PG_PORT="$FREE_PORT"
  log "starting PostgreSQL $(basename "$(dirname "$PG_BIN")") on port $PG_PORT"
  t0="$(now)"
  (cd "$SVC_WORK" && "${RUN_PG[@]}" "$PG_BIN/initdb" -D "$PG_DATA" -U postgres --auth=trust \
    -E UTF8 --locale=C.UTF-8 --no-sync) >"$SVC_WORK/pg/initdb.log" 2>&1 ||
    { cat "$SVC_WORK/pg/initdb.log" >>"$pg_log"; _tail_fail "initdb failed" "$pg_log"; }
  # Settings live in postgresql.conf so a test that restarts the server keeps them.
  {
    printf '\n# --- scripts/lib/services.sh ---\n'
    printf "listen_addresses = '127.0.0.1'\nport = %s\nunix_socket_directories = '%s'\nmax_connections = 200\n" "$PG_PORT" "$SVC_WORK/pg/sock"
    ((durable)) || printf 'fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n'
    printf '%s\n' "$extra"
  } >>"$PG_DATA/postgresql.conf"
  printf 'local all all trust\nhost all all 127.0.0.1/32 trust\n' >"$PG_DATA/pg_hba.conf"
  (cd "$SVC_WORK" && "${RUN_PG[@]}" "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$pg_log" -w -t 60 start) >/dev/null 2>&1 ||
    _tail_fail "PostgreSQL failed to start" "$pg_log"
  for i in {1..100}; do
    "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" && break
    ((i == 100)) && _tail_fail "PostgreSQL not ready after 20s" "$pg_log"
    sleep 0.2
  done
  log "PostgreSQL ready in $(elapsed "$t0")"
}

# svc_createdb NAME: a fresh (dropped if present) database; prints its connection string.
svc_createdb() {
  "$PG_BIN/dropdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres --if-exists "$1" >/dev/null 2>&1
  "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres -O postgres "$1" >>"$SVC_WORK/pg/postgres.log" 2>&1 ||
    _tail_fail "createdb $1 failed" "$SVC_WORK/pg/postgres.log"
  printf 'Host=127.0.0.1;Port=%s;Database=%s;Username=postgres;Pooling=true' "$PG_PORT" "$1"
}

svc_start_redis() {
  local redis_log="$SVC_WORK/redis/redis.log" t0 i
  mkdir -p "$SVC_WORK/redis"
  free_port || die "no free port for Redis"
  REDIS_PORT="$FREE_PORT"
  log "starting Redis on port $REDIS_PORT"
  t0="$(now)"
  # DEBUG SLEEP (local clients only) lets a test stall Redis the way a busy one would.
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no --enable-debug-command local \
    --daemonize no --dir "$SVC_WORK/redis" >"$redis_log" 2>&1 &
  REDIS_PID=$!
  for i in {1..100}; do
    [[ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" == PONG ]] && break
    kill -0 "$REDIS_PID" 2>/dev/null || _tail_fail "redis-server exited" "$redis_log"
    ((i == 100)) && _tail_fail "Redis not answering PING after 20s" "$redis_log"
    sleep 0.2
  done
  log "Redis ready in $(elapsed "$t0")"
}

# svc_start_server NAME DLL [VAR=value ...]: the built server as a process on a free port, Production settings
# unless overridden, ready when /health/ready answers. Its content root is the build output: from elsewhere the
# host finds no appsettings.json and logs every request and SQL command at Information.
svc_start_server() {
  local name="$1" dll="$2"
  shift 2
  free_port || die "no free port for the server"
  _svc_launch "$name" "$FREE_PORT" /health/ready env ASPNETCORE_ENVIRONMENT=Production "$@" \
    dotnet "$dll" --urls "http://127.0.0.1:$FREE_PORT" --contentRoot "$(cd "$(dirname "$dll")" && pwd -P)"
}

# svc_start_simulator NAME DLL PORT [VAR=value ...]: the server binary's `simulator` command (OpenPhone's API) on
# PORT, from free_port, so servers started before it can already be pointed there; settings as OpenPhone__Simulator__….
# Ready when /_simulator/stats answers; stopped like a server (svc_stop_server NAME).
svc_start_simulator() {
  local name="$1" dll="$2" port="$3"
  shift 3
  _svc_launch "$name" "$port" /_simulator/stats env "$@" dotnet "$dll" simulator --urls "http://127.0.0.1:$port"
}

# svc_start_command NAME PORT READY_PATH COMMAND...: COMMAND, listening on PORT (from free_port), as server NAME; ready
# when GET READY_PATH answers 2xx. Stopped like a server (svc_stop_server NAME) and by svc_teardown.
svc_start_command() { _svc_launch "$@"; }

# _svc_launch NAME PORT READY_PATH COMMAND...: COMMAND in the background as server NAME (SERVER_URL_<NAME>, log
# $SVC_WORK/NAME.log); returns once READY_PATH answers, or 1 with the log's tail when it exits or is not ready in 60s.
_svc_launch() {
  local name="$1" port="$2" ready="$3" i
  shift 3
  "$@" >"$SVC_WORK/$name.log" 2>&1 &
  SVC_SERVER_PIDS[$name]=$!
  printf -v "SERVER_URL_${name//[^A-Za-z0-9_]/_}" '%s' "http://127.0.0.1:$port"
  for i in {1..240}; do
    curl -sf "http://127.0.0.1:$port$ready" >/dev/null 2>&1 && return 0
    kill -0 "${SVC_SERVER_PIDS[$name]}" 2>/dev/null || { _tail_warn "the server '$name' exited" "$SVC_WORK/$name.log"; return 1; }
    sleep 0.25
  done
  _tail_warn "the server '$name' is not ready after 60s" "$SVC_WORK/$name.log"
  svc_stop_server "$name"
  return 1
}

# Safe under `set -e`: the process may be gone by the time each kill runs, and wait returns its exit status.
_stop_pid() {
  kill -0 "$1" 2>/dev/null || return 0
  kill -TERM "$1" 2>/dev/null || true
  for _ in {1..100}; do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

svc_stop_server() {
  if [[ -n "${SVC_SERVER_PIDS[$1]:-}" ]]; then
    _stop_pid "${SVC_SERVER_PIDS[$1]}"
    unset "SVC_SERVER_PIDS[$1]"
  fi
}

# Stops everything started and removes the work directory; safe to call twice, never fails.
svc_teardown() {
  set +e
  local name pid
  for name in "${!SVC_SERVER_PIDS[@]}"; do svc_stop_server "$name"; done
  if [[ -n "$REDIS_PORT" ]]; then
    # Also reaches a redis a test may have restarted on the same port.
    timeout 5 redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1
  fi
  [[ -n "$REDIS_PID" ]] && _stop_pid "$REDIS_PID"
  REDIS_PID="" REDIS_PORT=""
  if [[ -n "$PG_DATA" && -f "$PG_DATA/postmaster.pid" ]]; then
    (cd "$SVC_WORK" && "${RUN_PG[@]}" "$PG_BIN/pg_ctl" -D "$PG_DATA" -m immediate -t 30 stop) >/dev/null 2>&1
    if [[ -f "$PG_DATA/postmaster.pid" ]]; then
      pid="$(head -n 1 "$PG_DATA/postmaster.pid" 2>/dev/null)"
      [[ "$pid" =~ ^[0-9]+$ ]] && kill -9 "$pid" 2>/dev/null
    fi
  fi
  PG_DATA=""
  [[ -n "$SVC_WORK" && -d "$SVC_WORK" ]] && rm -rf "$SVC_WORK"
  SVC_WORK=""
  return 0
}
