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

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

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
