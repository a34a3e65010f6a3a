# Debian packages, RabbitMQ, Postgres and the Python tools, without systemd.

APT_PACKAGES=(rabbitmq-server postgresql librabbitmq-dev libssl-dev pkg-config curl python3-venv)

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
  local venv="$ROOT/.run/venv"
  if [ ! -x "$venv/bin/python" ]; then
    say "creating Python tools in .run/venv (pika, jsonschema, pytest)"
    python3 -m venv "$venv" || die "python3 -m venv failed: apt-get install python3-venv"
  fi
  "$venv/bin/python" -c 'import pika, jsonschema, pytest' 2>/dev/null ||
    "$venv/bin/pip" install -q pika jsonschema pytest >/dev/null
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

start_postgres() {
  local dir="$RUN_DIR/postgres" bin
  bin=$(pg_bin)
  [ -n "$bin" ] || die "no PostgreSQL server binaries under /usr/lib/postgresql"
  if pid_alive_pg; then return; fi
  mkdir -p "$dir/socket"
  chown -R postgres:postgres "$dir"
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    runuser -u postgres -- "$bin/initdb" -D "$dir/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
      -E UTF8 --locale=C.UTF-8 >/dev/null || die "initdb failed"
  fi
  say "starting Postgres on 127.0.0.1:$PG_PORT"
  touch "$RUN_DIR/logs/postgres.log" && chown postgres "$RUN_DIR/logs/postgres.log"
  runuser -u postgres -- "$bin/pg_ctl" -D "$dir/data" -l "$RUN_DIR/logs/postgres.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $dir/socket -c max_connections=200" start >/dev/null ||
    die "Postgres did not start; see $RUN_DIR/logs/postgres.log"
}

pid_alive_pg() {
  local pidfile="$RUN_DIR/postgres/data/postmaster.pid"
  [ -f "$pidfile" ] && kill -0 "$(head -n 1 "$pidfile")" 2>/dev/null
}

stop_postgres() {
  pid_alive_pg || return 0
  say "stopping Postgres"
  runuser -u postgres -- "$(pg_bin)/pg_ctl" -D "$RUN_DIR/postgres/data" -m fast -w stop >/dev/null || true
}

psql_admin() { PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 -h "$RUN_DIR/postgres/socket" -p "$PG_PORT" -U postgres "$@"; }

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
    echo "CLINICLEDGER_POSTGRES_ADMIN_SOCKET=$RUN_DIR/postgres/socket"
    # Tests and chaos wait for retries; short delays keep them quick. Production keeps the defaults.
    case "$CLINICLEDGER_ENV" in test|chaos) echo "CLINICLEDGER_AMQP_RETRY_DELAYS_MS=200,400,800" ;; esac
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
}

stop_infra() {
  stop_rabbitmq
  stop_postgres
}
