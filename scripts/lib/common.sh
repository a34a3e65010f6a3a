# Settings and small helpers shared by scripts/dev.

CLINICLEDGER_ENV=${CLINICLEDGER_ENV:-dev}
RUN_DIR="$ROOT/.run/$CLINICLEDGER_ENV"
SERVICES=(payments insurance plans notifications analytics)

# Ports per environment, so a test run never touches a developer's data.
case "$CLINICLEDGER_ENV" in
  dev)  PG_PORT=55432 AMQP_PORT=55672 DIST_PORT=55682 EPMD_PORT=55692 HTTP_BASE=8080 ;;
  test) PG_PORT=56432 AMQP_PORT=56672 DIST_PORT=56682 EPMD_PORT=56692 HTTP_BASE=18080 ;;
  chaos) PG_PORT=58432 AMQP_PORT=58672 DIST_PORT=58682 EPMD_PORT=58692 HTTP_BASE=38080 ;;
  bench) PG_PORT=57432 AMQP_PORT=57672 DIST_PORT=57682 EPMD_PORT=57692 HTTP_BASE=28080 ;;
  *) echo "dev: CLINICLEDGER_ENV must be dev, test, chaos or bench, not '$CLINICLEDGER_ENV'" >&2; exit 2 ;;
esac
# Postgres's folder (data/, socket/, postgres.log) is $RUN_DIR/postgres, or the folder that link points
# to where the user `postgres` cannot reach the checkout (place_postgres, infra.sh). Every script uses
# $PG_DIR; the environment file hands it to tests and harnesses as CLINICLEDGER_POSTGRES_DIR.
PG_OUTSIDE_BASE=/var/tmp/clinicledger
PG_SOCKET_NAME=".s.PGSQL.$PG_PORT"
pg_dir() { if [ -L "$RUN_DIR/postgres" ]; then readlink "$RUN_DIR/postgres"; else echo "$RUN_DIR/postgres"; fi; }
PG_DIR=$(pg_dir)
# Benchmarks run release builds (a first one takes 10-20 minutes on 2 cores); everything else debug.
if [ "$CLINICLEDGER_ENV" = bench ]; then BUILD_FLAGS=(-c release --scratch-path .build-release); BIN_DIR=.build-release/release
else BUILD_FLAGS=(); BIN_DIR=.build/debug; fi
NODE="clinicledger-$CLINICLEDGER_ENV@localhost"

say() { printf 'dev: %s\n' "$*"; }
die() { printf 'dev: error: %s\n' "$*" >&2; exit 1; }

http_port() {  # payments 1, insurance 2, plans 3, notifications 4, analytics 5
  local i
  for i in "${!SERVICES[@]}"; do
    [ "${SERVICES[$i]}" = "$1" ] && { echo $((HTTP_BASE + i + 1)); return; }
  done
  die "unknown service '$1' (one of: ${SERVICES[*]})"
}

# Whether a process runs: its /proc entry exists and its state is not Z (zombie) or X (dead). Where
# PID 1 does not reap orphans, a service killed with `kill -9` stays a zombie and `kill -0` still
# succeeds, so every PID check goes through here (services, RabbitMQ, Postgres).
pid_running() {
  local pid=$1 stat state
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  read -r stat 2>/dev/null < "/proc/$pid/stat" || return 1
  state=${stat##*) }        # the command name in parentheses may itself hold spaces or ')'
  state=${state%% *}
  [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

# Whether the process whose PID is on the first line of FILE runs.
pid_alive() { [ -f "$1" ] && pid_running "$(head -n 1 "$1" 2>/dev/null)"; }

load_env() {
  [ -f "$RUN_DIR/env" ] || die "no $RUN_DIR/env: run scripts/dev up first"
  set -a; source "$RUN_DIR/env"; set +a
}

# Waits for an HTTP 200 from URL, up to SECONDS.
wait_http() {
  local url=$1 seconds=$2 i
  for ((i = 0; i < seconds * 5; i++)); do
    curl -fsS -o /dev/null "$url" 2>/dev/null && return 0
    sleep 0.2
  done
  return 1
}
