# Building, starting and testing the five services.

build_suite() {
  command -v swift >/dev/null || die "swift is not on PATH (expected at /opt/swift/usr/bin)"
  say "building ($BIN_DIR; a first build takes several minutes)"
  local started=$SECONDS log="$RUN_DIR/logs/build.log" status=0
  mkdir -p "$RUN_DIR/logs"
  swift build "${BUILD_FLAGS[@]}" >"$log" 2>&1 || status=$?
  grep -E "error|warning: unre|Build complete" "$log" | grep -v "^\[" || true
  [ "$status" -eq 0 ] || die "swift build failed (full output: $log)"
  say "built in $((SECONDS - started)) s"
}

start_service() {
  local s=$1 pidfile="$RUN_DIR/pids/$1.pid"
  if pid_alive "$pidfile"; then return; fi
  say "starting $s on 127.0.0.1:$(http_port "$s")"
  (
    load_env
    exec "$BIN_DIR/$s" serve </dev/null >> "$RUN_DIR/logs/$s.log" 2>&1
  ) &
  echo $! > "$pidfile"
  disown
}

wait_ready() {
  local s=$1
  if ! wait_http "http://127.0.0.1:$(http_port "$s")/health/ready" 60; then
    tail -n 30 "$RUN_DIR/logs/$s.log" >&2 || true
    die "$s did not become ready within 60 s (log above: $RUN_DIR/logs/$s.log)"
  fi
}

start_services() {
  local s
  for s in "${SERVICES[@]}"; do start_service "$s"; done
  for s in "${SERVICES[@]}"; do wait_ready "$s"; done
}

stop_services() {
  local s pidfile pid i
  for s in "${SERVICES[@]}"; do
    pidfile="$RUN_DIR/pids/$s.pid"
    pid_alive "$pidfile" || continue
    pid=$(cat "$pidfile")
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 150; i++)); do pid_running "$pid" || break; sleep 0.1; done
    if pid_running "$pid"; then
      say "$s did not stop within 15 s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$pidfile"
  done
}

# Stops one service (SIGTERM, then SIGKILL after 15 s) and starts it again.
restart_service() {
  local saved=("${SERVICES[@]}")
  SERVICES=("$1")
  stop_services
  SERVICES=("${saved[@]}")
  start_service "$1"
  wait_ready "$1"
}

cmd_up() {
  start_infra
  if [ "${DEV_SKIP_SUITE:-}" = 1 ]; then say "infrastructure only (DEV_SKIP_SUITE=1)"; return; fi
  build_suite
  start_services
  python_tools
  cmd_status
  cat <<INFO

  RabbitMQ   amqp://guest:guest@127.0.0.1:$AMQP_PORT  exchange clinicledger.events
  Postgres   postgres://127.0.0.1:$PG_PORT/clinicledger  (admin: psql -h $PG_DIR/socket -p $PG_PORT -U postgres)
  HTTP       payments :$(http_port payments)  insurance :$(http_port insurance)  plans :$(http_port plans)  notifications :$(http_port notifications)  analytics :$(http_port analytics)
  Logs       $RUN_DIR/logs/
  Try        scripts/dev publish-demo
  Stop       scripts/dev down
INFO
}

cmd_down() {
  stop_services
  stop_infra
  say "stopped ($CLINICLEDGER_ENV)"
}

cmd_status() {
  local s
  show() { if [ -n "$2" ]; then printf '  %-14s running  pid %s\n' "$1" "$2"; else printf '  %-14s stopped\n' "$1"; fi; }
  say "environment $CLINICLEDGER_ENV ($RUN_DIR)"
  show postgres "$(pid_alive_pg && head -n 1 "$PG_DIR/data/postmaster.pid" || true)"
  show rabbitmq "$(pid_alive "$RUN_DIR/rabbitmq/rabbitmq.pid" && cat "$RUN_DIR/rabbitmq/rabbitmq.pid" || true)"
  for s in "${SERVICES[@]}"; do
    show "$s" "$(pid_alive "$RUN_DIR/pids/$s.pid" && cat "$RUN_DIR/pids/$s.pid" || true)"
  done
}

# A fresh test environment, every test, and the environment stopped again (KEEP=1 keeps it running).
cmd_test() {
  [ "$CLINICLEDGER_ENV" = test ] || exec env CLINICLEDGER_ENV=test "$ROOT/scripts/dev" test "$@"
  cmd_down >/dev/null 2>&1 || true
  remove_environment
  [ "${KEEP:-}" = 1 ] || trap 'cmd_down >/dev/null 2>&1 || true' EXIT
  cmd_up
  load_env
  local failed=0
  prove_the_run_can_fail || failed=1
  say "unit and integration tests (swift test)"
  swift_test_step "$RUN_DIR/logs/swift-test.log" || failed=1
  say "end-to-end tests (Tests/e2e, Python with pika)"
  DEV_SCRIPT="$ROOT/scripts/dev" "$PYTHON" -m pytest -q -p no:cacheprovider Tests/e2e "$@" || failed=1
  if [ $failed -ne 0 ]; then
    say "FAILED; logs are in $RUN_DIR/logs (kept with KEEP=1 scripts/dev test)"
    exit 1
  fi
  say "all tests passed"
}

# The one way the suite runs `swift test` (ARGS passed on): the whole output goes to LOG, the lines
# that matter to the terminal, and the status returned is swift test's own (not tee's or grep's).
swift_test_step() {
  local log=$1 status=0
  shift
  swift test "$@" 2>&1 | tee "$log" | grep --line-buffered -E "✘|error|passed after|failed after|Test run" ||
    status=${PIPESTATUS[0]}
  return "$status"
}

# A run that cannot fail proves nothing: before the real tests, one Swift test that fails on purpose
# (Tests/ContractsTests/RunCanFailTests.swift, red only with CLINICLEDGER_PROVE_RED=1) must make
# swift_test_step report a failure, or the run stops here.
prove_the_run_can_fail() {
  local log="$RUN_DIR/logs/swift-test-prove-red.log"
  say "checking that a failing Swift test fails the run (theRunCanFail, red on purpose)"
  if CLINICLEDGER_PROVE_RED=1 swift_test_step "$log" --filter theRunCanFail >/dev/null; then
    die "the test run cannot fail: swift test passed although theRunCanFail failed on purpose (see $log)"
  fi
  if ! grep -q "theRunCanFail().*failed" "$log"; then
    say "swift test failed before theRunCanFail could run: the build of the tests failed? (see $log)"
    grep -E "error:" "$log" | grep -v "^ *|" | awk '!seen[$0]++' | head -n 20 >&2 || true
    return 1
  fi
  say "it does: theRunCanFail, red on purpose, made swift test fail"
}

cmd_publish_demo() {
  python_tools
  load_env
  "$PYTHON" scripts/publish_demo.py "$@"
}

# A harness's own environment, new for each run and stopped when the harness ends.
fresh_environment() {
  cmd_down >/dev/null 2>&1 || true
  remove_environment
  trap 'cmd_down >/dev/null 2>&1 || true' EXIT
  cmd_up >/dev/null
}

# Speed and footprint on a fresh bench environment with release builds, beside the machine's raw limits.
cmd_bench() {
  [ "$CLINICLEDGER_ENV" = bench ] || exec env CLINICLEDGER_ENV=bench "$ROOT/scripts/dev" bench "$@"
  fresh_environment
  swift build "${BUILD_FLAGS[@]}" --product broker-bench >/dev/null
  swift build "${BUILD_FLAGS[@]}" --product insurance-bench >/dev/null
  load_env
  BIN_DIR="$BIN_DIR" RUN_DIR="$RUN_DIR" "$PYTHON" Tests/harness/bench.py "$@"
}

# Faults with money as the invariant, on a fresh chaos environment; the last line is a verdict.
cmd_chaos() {
  [ "$CLINICLEDGER_ENV" = chaos ] || exec env CLINICLEDGER_ENV=chaos "$ROOT/scripts/dev" chaos "$@"
  fresh_environment
  load_env
  BIN_DIR="$BIN_DIR" RUN_DIR="$RUN_DIR" "$PYTHON" Tests/harness/chaos.py "$@"
}
