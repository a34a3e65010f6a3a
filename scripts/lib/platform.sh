# Tokens, keys, the movable clock and the audit check of an environment.

# Secrets of a dev/test environment, made once under .run/<env>/keys and named in its env file.
write_platform_env() {
  local keys="$RUN_DIR/keys"
  mkdir -p "$keys" && chmod 700 "$keys"
  [ -s "$keys/jwt-hs256.secret" ] || head -c 48 /dev/urandom | base64 | tr -dc A-Za-z0-9 > "$keys/jwt-hs256.secret"
  [ -s "$keys/field-keys" ] || printf 'k1:%s\n' "$(head -c 32 /dev/urandom | base64)" > "$keys/field-keys"
  [ -s "$keys/blind-index.key" ] || head -c 32 /dev/urandom | base64 > "$keys/blind-index.key"
  chmod 600 "$keys"/*
  [ -f "$RUN_DIR/clock" ] || echo 0 > "$RUN_DIR/clock"
  {
    echo "CLINICLEDGER_JWT_ALGORITHM=HS256"
    echo "CLINICLEDGER_JWT_SECRET_FILE=$keys/jwt-hs256.secret"
    echo "CLINICLEDGER_FIELD_KEYS_FILE=$keys/field-keys"
    echo "CLINICLEDGER_BLIND_INDEX_KEY_FILE=$keys/blind-index.key"
    echo "CLINICLEDGER_CLOCK_FILE=$RUN_DIR/clock"
  } >> "$RUN_DIR/env"
}

# scripts/dev token --role ROLE --clinic CLINIC [--patient ID] [--subject SUB] [--ttl 1h|30m|5s]
cmd_token() {
  load_env
  exec "$BIN_DIR/payments" token "$@"
}

# scripts/dev audit SERVICE verify
cmd_audit() {
  local service=${1:?usage: scripts/dev audit SERVICE verify}
  shift
  load_env
  exec "$BIN_DIR/$service" audit "$@"
}

# scripts/dev clock show | advance 3d|4h|30m|90s | set 2027-01-31T09:00 | reset
# Every running service of the environment re-reads the offset within a quarter of a second.
cmd_clock() {
  load_env
  [ "${CLINICLEDGER_ENV:-production}" != production ] || die "the clock of a production configuration never moves"
  local file="$CLINICLEDGER_CLOCK_FILE" offset now target
  [ -n "$file" ] || die "this environment has no movable clock (CLINICLEDGER_CLOCK_FILE is not set)"
  offset=$(cat "$file" 2>/dev/null || echo 0)
  case "${1:-show}" in
    show) ;;
    advance)
      local amount=${2:?usage: scripts/dev clock advance 3d|4h|30m|90s} number unit
      number=${amount%[smhd]} unit=${amount##*[0-9]}
      [[ "$number" =~ ^-?[0-9]+$ ]] || die "advance takes a whole number with s, m, h or d, e.g. 3d"
      case "$unit" in s) number=$((number));; m) number=$((number * 60));; h) number=$((number * 3600));; d) number=$((number * 86400));;
        *) die "advance takes a whole number with s, m, h or d, e.g. 3d";; esac
      offset=$((offset + number)); echo "$offset" > "$file.tmp" && mv "$file.tmp" "$file" ;;
    set)
      target=$(date -u -d "${2:?usage: scripts/dev clock set 2027-01-31T09:00}" +%s 2>/dev/null) || die "cannot read the time '$2' (e.g. 2027-01-31T09:00, UTC)"
      now=$(date -u +%s)
      offset=$((target - now)); echo "$offset" > "$file.tmp" && mv "$file.tmp" "$file" ;;
    reset) offset=0; echo 0 > "$file" ;;
    *) die "usage: scripts/dev clock show | advance 3d | set 2027-01-31T09:00 | reset" ;;
  esac
  printf 'service clock: %s (offset %+d s from wall time)\n' "$(date -u -d "@$(( $(date -u +%s) + offset ))" +%Y-%m-%dT%H:%M:%SZ)" "$offset"
}

# scripts/dev openapi: rewrite each service's checked-in OpenAPI document from its routes.
cmd_openapi() {
  build_suite >/dev/null
  load_env
  local s folder
  for s in "${SERVICES[@]}"; do
    folder="$(echo "${s:0:1}" | tr a-z A-Z)${s:1}"
    "$BIN_DIR/$s" openapi > "Services/$folder/openapi.json"
    say "wrote Services/$folder/openapi.json"
  done
}
