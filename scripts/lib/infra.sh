# Debian packages, RabbitMQ, Postgres and the Python tools, without systemd.

# qpdf and poppler-utils: the PDF writer's tests check its files with `qpdf --check` and `pdftotext`.
APT_PACKAGES=(rabbitmq-server postgresql librabbitmq-dev libssl-dev pkg-config curl python3-venv qpdf poppler-utils)
# PyPI packages of the test tools, each imported under its own name (the check below imports them all):
# pika plays an outside publisher, jsonschema checks the contracts, schemathesis fuzzes the HTTP APIs,
# pyx12 validates the X12 the suite writes (837P, 999, 277CA).
PY_PACKAGES=(pika jsonschema pytest schemathesis pyx12)

install_packages() {
  local missing=() p
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return
  say "installing ${missing[*]}"
  [ "$(id -u)" = 0 ] || die "installing packages needs root: sudo apt-get install ${missing[*]}"
  apt-get update -qq
  # The packages' own start scripts fail harmlessly without systemd; we start our own instances.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

python_tools() {
  local venv="$ROOT/.run/venv" imports
  if [ ! -x "$venv/bin/python" ]; then
    say "creating Python tools in .run/venv (${PY_PACKAGES[*]})"
    python3 -m venv "$venv" || die "python3 -m venv failed: apt-get install python3-venv"
  fi
  imports=$(IFS=,; echo "${PY_PACKAGES[*]}")
  if ! "$venv/bin/python" -c "import $imports" 2>/dev/null; then
    say "installing Python tools in .run/venv (${PY_PACKAGES[*]})"
    "$venv/bin/pip" install -q "${PY_PACKAGES[@]}" >/dev/null ||
      die "pip could not install ${PY_PACKAGES[*]} into $venv (output above)"
    "$venv/bin/python" -c "import $imports" || die "$venv cannot import $imports after pip install"
  fi
  PYTHON="$venv/bin/python"
}

start_rabbitmq() {
  local dir="$RUN_DIR/rabbitmq"
  export HOME_RABBIT="$dir" ERL_EPMD_PORT=$EPMD_PORT ERL_EPMD_ADDRESS=127.0.0.1
  mkdir -p "$dir/mnesia" "$dir/log"
  # The server and rabbitmqctl read the Erlang cookie from $HOME: give both the same one.
  [ -f "$dir/.erlang.cookie" ] || { head -c 24 /dev/urandom | base64 | tr -dc A-Za-z0-9 > "$dir/.erlang.cookie"; chmod 400 "$dir/.erlang.cookie"; }
  # Our own epmd on loopback first; otherwise the first Erlang program to run starts one on all interfaces.
  if ! epmd -port "$EPMD_PORT" -names >/dev/null 2>&1; then
    epmd -address 127.0.0.1 -port "$EPMD_PORT" </dev/null >/dev/null 2>&1 &
    disown
    sleep 0.3
  fi
  # Ask the node itself rather than trust a pid file: a broker left running must not be started twice.
  if rabbitmqctl_ -q -t 5 ping >/dev/null 2>&1; then return; fi
  echo '[].' > "$dir/enabled_plugins"
  : > "$dir/rabbitmq-env.conf"
  # Classic queues v2 store persistent messages with far less work than v1 (RabbitMQ 3.10+).
  printf 'listeners.tcp.1 = 127.0.0.1:%s\nclassic_queue.default_version = 2\n' "$AMQP_PORT" > "$dir/rabbitmq.conf"
  say "starting RabbitMQ $NODE on 127.0.0.1:$AMQP_PORT"
  (
    export HOME="$dir" RABBITMQ_NODENAME="$NODE" RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT=$AMQP_PORT \
      RABBITMQ_DIST_PORT=$DIST_PORT RABBITMQ_MNESIA_BASE="$dir/mnesia" RABBITMQ_LOG_BASE="$dir/log" \
      RABBITMQ_PID_FILE="$dir/rabbitmq.pid" RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins" \
      RABBITMQ_CONF_ENV_FILE="$dir/rabbitmq-env.conf" RABBITMQ_CONFIG_FILE="$dir/rabbitmq" \
      RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}" \
      ERL_CRASH_DUMP="$dir/erl_crash.dump"
    exec /usr/lib/rabbitmq/bin/rabbitmq-server </dev/null >> "$RUN_DIR/logs/rabbitmq.log" 2>&1
  ) &
  disown
  rabbitmqctl_ wait --timeout 120 "$dir/rabbitmq.pid" >/dev/null ||
    die "RabbitMQ did not start; see $RUN_DIR/logs/rabbitmq.log and $dir/log"
}

rabbitmqctl_() {
  HOME="$RUN_DIR/rabbitmq" ERL_EPMD_PORT=$EPMD_PORT ERL_EPMD_ADDRESS=127.0.0.1 \
    /usr/lib/rabbitmq/bin/rabbitmqctl -n "$NODE" "$@"
}

stop_rabbitmq() {
  local dir="$RUN_DIR/rabbitmq"
  if pid_alive "$dir/rabbitmq.pid" || rabbitmqctl_ -q -t 5 ping >/dev/null 2>&1; then
    say "stopping RabbitMQ"
    rabbitmqctl_ shutdown >/dev/null 2>&1 || kill "$(cat "$dir/rabbitmq.pid")" 2>/dev/null || true
  fi
  epmd -port "$EPMD_PORT" -kill >/dev/null 2>&1 || true
}

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

# Postgres runs as the user `postgres`, so its folder $PG_DIR (data/, socket/, postgres.log; see
# common.sh) must be one that user can reach. Inside a checkout it cannot reach (a clone under a
# mode-700 home such as /root), or whose path is too long for a Unix socket (107 bytes), the folder is
# $PG_OUTSIDE_BASE/<hash of the checkout path>/<env>/postgres, and $RUN_DIR/postgres links to it so
# that every later command finds it. The user's own folders are never chmod-ed.
place_postgres() {
  local link="$RUN_DIR/postgres" outside reason
  if [ -L "$link" ]; then
    PG_DIR=$(readlink "$link")
    [ -d "$PG_DIR" ] && return 0
    rm -f "$link"  # its folder was removed (e.g. /var/tmp cleaned): place it again
  fi
  mkdir -p "$RUN_DIR"
  PG_DIR=$link
  if [ -f "$link/data/PG_VERSION" ]; then  # a cluster made inside the checkout stays there
    postgres_reaches "$RUN_DIR" ||
      die "Postgres runs as the user 'postgres', which cannot reach $RUN_DIR (a folder on the way is closed to it, e.g. a mode-700 home), so it cannot use the data in $link. Run 'scripts/dev down', remove $link, and run this again: Postgres then keeps its data under $PG_OUTSIDE_BASE"
    return 0
  fi
  if ! postgres_reaches "$RUN_DIR"; then
    reason="the user 'postgres' cannot reach $RUN_DIR (a folder on the way is closed to others)"
  elif [ $(( ${#link} + ${#PG_SOCKET_NAME} + 8 )) -gt 107 ]; then
    reason="$link/socket/$PG_SOCKET_NAME would be longer than a Unix socket path may be (107 bytes)"
  else
    return 0
  fi
  outside="$PG_OUTSIDE_BASE/$(printf '%s' "$ROOT" | sha256sum | cut -c 1-12)/$CLINICLEDGER_ENV/postgres"
  say "$reason: Postgres keeps its data and socket in $outside"
  # /var/tmp is writable by everyone: use a base folder only if root made it and only root can change
  # it. The folders on the way are made enterable by postgres whatever the umask.
  [ -e "$PG_OUTSIDE_BASE" ] || [ -L "$PG_OUTSIDE_BASE" ] || install -d -m 755 "$PG_OUTSIDE_BASE"
  { [ ! -L "$PG_OUTSIDE_BASE" ] && [ "$(stat -c %u "$PG_OUTSIDE_BASE")" = 0 ] &&
    [ $(( 0$(stat -c %a "$PG_OUTSIDE_BASE") & 022 )) -eq 0 ]; } ||
    die "$PG_OUTSIDE_BASE must be a folder owned by root that only root can write: remove it and run this again"
  install -d -m 755 "$(dirname "$(dirname "$outside")")" "$(dirname "$outside")"
  rm -rf "$link"  # what an earlier, failed start left there (it holds no cluster)
  mkdir -p "$outside"
  chown postgres:postgres "$outside"
  chmod 700 "$outside"
  postgres_reaches "$outside" ||
    die "the user 'postgres' cannot reach $outside either: make $PG_OUTSIDE_BASE and the folders above it enterable by all (mode 755)"
  ln -s "$outside" "$link"
  PG_DIR=$outside
}

postgres_reaches() { as_postgres test -x "$1" 2>/dev/null; }  # every folder on the way enterable

# Runs a command as the user postgres from /, so that it does not start in a folder it cannot enter.
as_postgres() { (cd / && runuser -u postgres -- "$@"); }

start_postgres() {
  local bin
  bin=$(pg_bin)
  [ -n "$bin" ] || die "no PostgreSQL server binaries under /usr/lib/postgresql"
  id postgres >/dev/null 2>&1 || die "no user 'postgres': apt-get install postgresql"
  if pid_alive_pg; then return; fi
  place_postgres
  mkdir -p "$PG_DIR/socket" "$RUN_DIR/logs"
  chown -R postgres:postgres "$PG_DIR"
  if [ ! -f "$PG_DIR/data/PG_VERSION" ]; then
    as_postgres "$bin/initdb" -D "$PG_DIR/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
      -E UTF8 --locale=C.UTF-8 >/dev/null || die "initdb failed (as user postgres, in $PG_DIR/data)"
  fi
  say "starting Postgres on 127.0.0.1:$PG_PORT"
  # Postgres writes its log itself, as the user postgres: the log lives beside its data, and
  # $RUN_DIR/logs/postgres.log points there.
  if [ -f "$RUN_DIR/logs/postgres.log" ] && [ ! -L "$RUN_DIR/logs/postgres.log" ]; then
    mv "$RUN_DIR/logs/postgres.log" "$PG_DIR/postgres.log"  # where an older scripts/dev wrote it
  fi
  touch "$PG_DIR/postgres.log" && chown postgres "$PG_DIR/postgres.log"
  ln -sfn "$PG_DIR/postgres.log" "$RUN_DIR/logs/postgres.log"
  as_postgres "$bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/postgres.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_DIR/socket -c max_connections=200" start >/dev/null ||
    die "Postgres did not start; see $RUN_DIR/logs/postgres.log"
}

pid_alive_pg() { pid_alive "$PG_DIR/data/postmaster.pid"; }

stop_postgres() {
  pid_alive_pg || return 0
  say "stopping Postgres"
  as_postgres "$(pg_bin)/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null || true
}

# An environment's data, wherever its Postgres folder is; the environment must be stopped.
remove_environment() {
  case "$PG_DIR" in
    "$PG_OUTSIDE_BASE"/*/postgres)
      rm -rf "$PG_DIR"
      rmdir "$(dirname "$PG_DIR")" "$(dirname "$(dirname "$PG_DIR")")" 2>/dev/null || true ;;  # if now empty
  esac
  rm -rf "$RUN_DIR"
  PG_DIR=$(pg_dir)
}

psql_admin() { PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 -h "$PG_DIR/socket" -p "$PG_PORT" -U postgres "$@"; }

# One database; per service a login role that owns its schema and has no rights on the others.
create_schemas() {
  psql_admin -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'clinicledger'" | grep -q 1 ||
    psql_admin -d postgres -c "CREATE DATABASE clinicledger"
  local s
  for s in "${SERVICES[@]}"; do
    psql_admin -d clinicledger <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$s') THEN
    CREATE ROLE $s LOGIN PASSWORD '$s-dev-password';
  END IF;
END \$\$;
CREATE SCHEMA IF NOT EXISTS $s AUTHORIZATION $s;
ALTER ROLE $s SET search_path = $s;
GRANT CONNECT ON DATABASE clinicledger TO $s;
SQL
  done
  psql_admin -d clinicledger -c "REVOKE ALL ON DATABASE clinicledger FROM PUBLIC; REVOKE ALL ON SCHEMA public FROM PUBLIC;"
  # The audit trail stays append-only even for the login that owns it (event triggers; superuser only).
  psql_admin -d clinicledger -f "$ROOT/compose/protect-audit.sql"
}

write_env() {
  {
    echo "CLINICLEDGER_ENV=$CLINICLEDGER_ENV"
    echo "CLINICLEDGER_AMQP_HOST=127.0.0.1"
    echo "CLINICLEDGER_AMQP_PORT=$AMQP_PORT"
    echo "CLINICLEDGER_AMQP_USER=guest"
    echo "CLINICLEDGER_AMQP_PASSWORD=guest"
    echo "CLINICLEDGER_POSTGRES_HOST=127.0.0.1"
    echo "CLINICLEDGER_POSTGRES_PORT=$PG_PORT"
    echo "CLINICLEDGER_POSTGRES_DATABASE=clinicledger"
    # Postgres's folder (data/, socket/; see place_postgres) and the superuser's socket in it.
    echo "CLINICLEDGER_POSTGRES_DIR=$PG_DIR"
    echo "CLINICLEDGER_POSTGRES_ADMIN_SOCKET=$PG_DIR/socket"
    # Tests and chaos wait for retries; short delays keep them quick. Production keeps the defaults.
    case "$CLINICLEDGER_ENV" in test|chaos)
      echo "CLINICLEDGER_AMQP_RETRY_DELAYS_MS=200,400,800"
      # Claims built and files exchanged every second, so that tests see answers quickly.
      echo "INSURANCE_CLAIMS_EVERY_SECONDS=1"
      echo "INSURANCE_EXCHANGE_EVERY_SECONDS=1" ;;
    esac
    echo "INSURANCE_FILEDROP_DIR=$RUN_DIR/filedrop"
    local s upper
    for s in "${SERVICES[@]}"; do
      upper=$(echo "$s" | tr a-z A-Z)
      echo "${upper}_POSTGRES_PASSWORD=$s-dev-password"
      echo "${upper}_HTTP_PORT=$(http_port "$s")"
    done
  } > "$RUN_DIR/env"
}

start_infra() {
  install_packages
  mkdir -p "$RUN_DIR/logs" "$RUN_DIR/pids"
  start_postgres
  create_schemas
  start_rabbitmq
  write_env
  write_platform_env
}

stop_infra() {
  stop_rabbitmq
  stop_postgres
}
