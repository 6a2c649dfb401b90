#!/usr/bin/env bash
# Throw-away PostgreSQL and Redis for the distributed test pass: fresh instances on free loopback
# ports, all state in one temporary directory, nothing needed beforehand, nothing left afterwards.
# Needs Debian's postgresql and redis-server (scripts/bootstrap.sh --services installs them).
#
#   scripts/services.sh run CMD [ARG...]  start both, run CMD with DATABASE_URL and REDIS_URL
#                                         exported, stop both (also on failure or Ctrl+C); exits
#                                         with CMD's status
#   scripts/services.sh start [DIR]       start both with their state in DIR (default: a new
#                                         temporary directory); prints the lines to eval:
#                                         export OCR_SERVICES_DIR=... DATABASE_URL=... REDIS_URL=...
#   scripts/services.sh stop DIR          stop what `start DIR` started and delete DIR
#
# PostgreSQL refuses to run as root: as root, the server runs as the `postgres` system user that
# the Debian package creates. Durability is switched off (fsync, synchronous commit): the data is
# thrown away at the end anyway.
set -euo pipefail
# Errors abort inside $(...) and functions too, and the clean-up trap of `start` follows them.
shopt -s inherit_errexit
set -E

log() { echo "services: $*" >&2; }

as_db_user() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

pg_bindir() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$dir" ] || [ ! -x "$dir/pg_ctl" ]; then
    log "PostgreSQL server binaries not found in /usr/lib/postgresql/*/bin (scripts/bootstrap.sh --services)"
    return 1
  fi
  echo "$dir"
}

free_ports() {
  # Two distinct free loopback ports, both held open until both are known.
  python3 - <<'EOF'
import socket
held = []
for _ in range(2):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    held.append(s)
print(" ".join(str(s.getsockname()[1]) for s in held))
EOF
}

wait_until() {
  local seconds=$1; shift
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.2
  done
}

start() {
  local dir=${1:-}
  [ -n "$dir" ] || dir=$(mktemp -d "${TMPDIR:-/tmp}/ocr-services.XXXXXX")
  mkdir -p "$dir"
  # If anything below fails, stop what already runs: a failed start leaves nothing behind.
  trap 'status=$?; stop "$dir"; exit $status' ERR INT TERM

  local bin ports pg_port redis_port password
  bin=$(pg_bindir)
  command -v redis-server >/dev/null || {
    log "redis-server not found (scripts/bootstrap.sh --services)"
    return 1
  }
  ports=$(free_ports)
  read -r pg_port redis_port <<<"$ports"
  password=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || { log "as root, PostgreSQL needs the postgres user"; return 1; }
    chown postgres "$dir"
  fi
  echo "$password" >"$dir/pg-password"
  chmod 600 "$dir/pg-password"
  [ "$(id -u)" -eq 0 ] && chown postgres "$dir/pg-password"

  log "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$pg_port, Redis on 127.0.0.1:$redis_port, in $dir"
  # The role owns the cluster (superuser), so pytest-django may create and drop test databases.
  as_db_user "$bin/initdb" -D "$dir/pg" -U ocr --pwfile="$dir/pg-password" -E UTF8 --no-locale \
    --auth-host=scram-sha-256 --auth-local=trust --no-sync >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; return 1; }
  as_db_user "$bin/pg_ctl" -D "$dir/pg" -l "$dir/postgres.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $pg_port -c unix_socket_directories=$dir \
        -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >/dev/null || { cat "$dir/postgres.log" >&2; return 1; }
  PGPASSWORD=$password "$bin/createdb" -h 127.0.0.1 -p "$pg_port" -U ocr ocr_test

  # Output to a file and stdin from /dev/null: `$(services.sh start)` must not wait on its pipe.
  redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
    --dir "$dir" >"$dir/redis.log" 2>&1 </dev/null &
  local redis_pid=$!
  echo "$redis_pid" >"$dir/redis.pid"
  local deadline=$((SECONDS + 30))
  until redis-cli -h 127.0.0.1 -p "$redis_port" ping 2>/dev/null | grep -q PONG; do
    if ! kill -0 "$redis_pid" 2>/dev/null || [ "$SECONDS" -ge "$deadline" ]; then
      log "Redis did not start"
      cat "$dir/redis.log" >&2
      return 1
    fi
    sleep 0.2
  done
  trap - ERR INT TERM

  echo "export OCR_SERVICES_DIR=$dir"
  echo "export DATABASE_URL=postgresql://ocr:$password@127.0.0.1:$pg_port/ocr_test"
  echo "export REDIS_URL=redis://127.0.0.1:$redis_port/0"
}

stop() {
  local dir=${1:?usage: services.sh stop DIR}
  [ -d "$dir" ] || return 0
  if [ -f "$dir/pg/postmaster.pid" ]; then
    local bin
    bin=$(pg_bindir)
    as_db_user "$bin/pg_ctl" -D "$dir/pg" -m immediate -w -t 30 stop >/dev/null 2>&1 \
      || log "PostgreSQL in $dir did not stop cleanly (see $dir/postgres.log)"
  fi
  if [ -f "$dir/redis.pid" ]; then
    local pid
    pid=$(cat "$dir/redis.pid")
    if kill "$pid" 2>/dev/null; then
      wait_until 10 bash -c "! kill -0 $pid" || kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  # A server still running means its files are in use: leave them for a look rather than lie.
  if [ -f "$dir/pg/postmaster.pid" ] && as_db_user "$(pg_bindir)/pg_ctl" -D "$dir/pg" status >/dev/null 2>&1; then
    log "PostgreSQL still runs from $dir"
    return 1
  fi
  rm -rf "$dir"
}

run() {
  [ "$#" -gt 0 ] || { echo "usage: services.sh run CMD [ARG...]" >&2; return 2; }
  local exports status=0
  # Global: the EXIT trap runs after this function has returned.
  run_dir=$(mktemp -d "${TMPDIR:-/tmp}/ocr-services.XXXXXX")
  trap 'stop "$run_dir"' EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  exports=$(start "$run_dir")
  eval "$exports"
  "$@" || status=$?
  return "$status"
}

case "${1:-}" in
  start) shift; start "$@" ;;
  stop) shift; stop "$@" ;;
  run) shift; run "$@" ;;
  *) echo "usage: $0 start [DIR] | stop DIR | run CMD [ARG...]" >&2; exit 2 ;;
esac
