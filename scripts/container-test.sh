#!/usr/bin/env bash
# Builds the trigger image with podman and runs it the way the Sekoia.io platform does,
# against the message-trace simulator on loopback:
#   image built (base images made from Debian's mirror when missing), no missing library,
#   non-root user; the trigger collects every record of the simulated tenant into the
#   simulated intake; /health answers 200; /metrics has the forwarded-events counter;
#   the checkpoint lands in the /symphony_data volume; `podman stop -t 10` ends it with
#   exit code 0 within 10 seconds. The container runs with a read-only root filesystem (only
#   the data volume writable), no capabilities and no-new-privileges; no layer, environment
#   variable or build step of the image holds a secret.
# Exits non-zero with a message on the first failed check. Run as root (apt-get, podman).
#
# Environment (all optional):
#   IMAGE            image tag to build and run (office365-messagetrace:test)
#   BUILD_DIR        host build tree for the simulator (<repo>/build)
#   SIMULATOR        a simulator executable to use instead of building one
#   RECORDS          records in the simulated tenant (3000)
#   DAYS             days back the oldest record lies (0.99: inside START_TIME with 14 minutes
#                    to spare, so none falls before the trigger's first window)
#   FRESH_MINUTES    minutes before start-up the newest record lies (2: more than TIMEDELTA,
#                    so the trigger's first catch-up must bring every record)
#   START_TIME       trigger's start_time, hours back (24)
#   FREQUENCY        trigger's frequency, seconds between runs (10)
#   TIMEDELTA        trigger's timedelta, minutes kept back from now (1)
#   COMPLETE_TIMEOUT seconds to wait for every record to arrive (240)
#   KEEP_TMP=1       keep the temporary directory (simulator log, data volume) afterwards
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CONTAINERS_CONF="$repo/scripts/containers.conf"
image="${IMAGE:-office365-messagetrace:test}"
build_dir="${BUILD_DIR:-$repo/build}"
records="${RECORDS:-3000}"
days="${DAYS:-0.99}"
fresh_minutes="${FRESH_MINUTES:-2}"
start_time="${START_TIME:-24}"
frequency="${FREQUENCY:-10}"
timedelta="${TIMEDELTA:-1}"
complete_timeout="${COMPLETE_TIMEOUT:-240}"
command_name="office365_messagetrace_trigger_graph"
container="office365-messagetrace-test-$$"

# Simulator defaults (dummies, not secrets).
tenant_id="00000000-0000-0000-0000-0000000000aa"
client_id="11111111-2222-3333-4444-555555555555"
client_secret="sim-secret"
intake_key="sim-intake-key"
platform_token="sim-platform-token"

tmp=""
sim_pid=""
passed=0
step_names=()
step_secs=()

log() { printf '[container-test] %s\n' "$*"; }

fail() {
  printf '[container-test] FAIL: %s\n' "$*" >&2
  printf 'container-test: %d passed, 1 failed\n' "$passed"
  exit 1
}

pass() {
  passed=$((passed + 1))
  log "ok: $*"
}

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# step NAME FUNCTION: runs FUNCTION and records how long it took.
step() {
  local name="$1" t0 t1
  shift
  log "== $name"
  t0="$(now)"
  "$@"
  t1="$(now)"
  step_names+=("$name")
  step_secs+=("$(elapsed "$t0" "$t1")")
  log "-- $name: ${step_secs[-1]} s"
}

cleanup() {
  local rc=$?
  set +e
  if [[ -n "$container" ]] && podman container exists "$container" 2>/dev/null; then
    if ((rc != 0)); then
      log "last lines of the container's output:"
      podman logs --tail 40 "$container" 2>&1 | sed 's/^/    /'
    fi
    podman rm -f -t 0 "$container" >/dev/null 2>&1
  fi
  if [[ -n "$sim_pid" ]]; then
    kill "$sim_pid" 2>/dev/null
    wait "$sim_pid" 2>/dev/null
    if ((rc != 0)) && [[ -f "$tmp/simulator.log" ]]; then
      log "last lines of the simulator's output:"
      tail -n 20 "$tmp/simulator.log" | sed 's/^/    /'
    fi
  fi
  if [[ -n "$tmp" ]]; then
    if [[ "${KEEP_TMP:-0}" == 1 ]]; then log "kept $tmp"; else rm -rf "$tmp"; fi
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- steps -------------------------------------------------------------------------------

install_packages() {
  local wanted=(podman buildah debootstrap runc curl jq iproute2
    g++ cmake make pkg-config libcpprest-dev libcpp-httplib-dev nlohmann-json3-dev
    libboost-program-options-dev
    libssl-dev libgtest-dev libgmock-dev)
  local missing=() p
  for p in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
      missing+=("$p")
  done
  if ((${#missing[@]})); then
    log "installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      "${missing[@]}" >/dev/null
  else
    log "all packages present"
  fi
}

make_base_images() {
  "$repo/scripts/make-base-images.sh"
}

build_image() {
  # The base images by digest (those make-base-images.sh made), the version from the manifest.
  local version build_base runtime_base
  version="$(jq -r .version "$repo/manifest.json")"
  build_base="docker.io/library/debian@$(podman image inspect --format '{{.Digest}}' docker.io/library/debian:bookworm)"
  runtime_base="docker.io/library/debian@$(podman image inspect --format '{{.Digest}}' docker.io/library/debian:bookworm-slim)"
  log "base images: $build_base, $runtime_base"
  podman build --pull=never -t "$image" --build-arg "VERSION=$version" \
    --build-arg "BUILD_IMAGE=$build_base" --build-arg "RUNTIME_IMAGE=$runtime_base" \
    -f "$repo/Dockerfile" "$repo" >"$tmp/build.log" 2>&1 ||
    { tail -n 40 "$tmp/build.log" >&2; fail "podman build failed"; }
  # Build-stage images from earlier sources stay behind as the layer cache; drop old ones.
  podman image prune -f --filter until=24h >/dev/null 2>&1 || true
  local size
  size="$(podman image inspect --format '{{.Size}}' "$image")"
  log "image $image: $size bytes ($(numfmt --to=si --suffix=B "$size"))"
  image_size="$size"
}

check_image() {
  local user missing
  local workdir entrypoint ports label version
  user="$(podman image inspect --format '{{.Config.User}}' "$image")"
  [[ "$user" == 1000 ]] || fail "image user is '$user', expected 1000 (sekoiaio-runtime)"
  podman run --rm --network=none --entrypoint sh "$image" -c \
    'test "$(id -un)" = sekoiaio-runtime && test "$(id -u)" = 1000' ||
    fail "uid 1000 is not the user sekoiaio-runtime in the image"
  workdir="$(podman image inspect --format '{{.Config.WorkingDir}}' "$image")"
  [[ "$workdir" == /app ]] || fail "image WORKDIR is '$workdir', expected /app"
  entrypoint="$(podman image inspect --format '{{json .Config.Entrypoint}}' "$image")"
  [[ "$entrypoint" == '["/usr/local/bin/office365-messagetrace"]' ]] ||
    fail "image ENTRYPOINT is $entrypoint, expected the binary"
  ports="$(podman image inspect --format '{{range $p, $v := .Config.ExposedPorts}}{{$p}} {{end}}' "$image")"
  [[ "$ports" == *8000/tcp* && "$ports" == *8020/tcp* ]] || fail "image exposes '$ports', expected 8000 and 8020"
  version="$(jq -r .version "$repo/manifest.json")"
  for label in title version source licenses; do
    [[ -n "$(podman image inspect --format "{{index .Config.Labels \"org.opencontainers.image.$label\"}}" "$image")" ]] ||
      fail "image has no org.opencontainers.image.$label label"
  done
  [[ "$(podman image inspect --format '{{index .Config.Labels "org.opencontainers.image.version"}}' "$image")" == "$version" ]] ||
    fail "the image's version label is not manifest.json's $version"
  missing="$(podman run --rm --network=none --entrypoint ldd "$image" \
    /usr/local/bin/office365-messagetrace | grep 'not found' || true)"
  [[ -z "$missing" ]] || fail "libraries missing in the image: $missing"
  podman run --rm --network=none --entrypoint sh "$image" -c \
    'test -f /app/manifest.json && ls /app/trigger_*.json /app/connector_*.json >/dev/null &&
     test -z "$(ls -A /var/lib/apt/lists 2>/dev/null | grep -v "^partial$")"' ||
    fail "image lacks /app/manifest.json, /app/trigger_*.json or /app/connector_*.json, or keeps apt lists"
  pass "image runs as sekoiaio-runtime (uid 1000) in /app with manifest and catalog, binary as ENTRYPOINT, ports 8000 8020, OCI labels (version $version), every library resolves"
}

# No secret is baked into the image: configuration arrives at run time only. Checks the image's
# environment, its build history, and every file of every layer for credentials.
check_image_secrets() {
  local env history layers hits
  env="$(podman image inspect --format '{{range .Config.Env}}{{println .}}{{end}}' "$image")"
  if grep -Eiq '^[^=]*(secret|password|token|intake_key|private_key|configuration)[^=]*=' <<<"$env"; then
    fail "the image sets a credential variable: $(grep -Eio '^[^=]*' <<<"$env" | tr '\n' ' ')"
  fi
  history="$(podman history --no-trunc --format '{{.CreatedBy}}' "$image")"
  if grep -Eiq -- '--build-arg|ARG [A-Z_]*(SECRET|PASSWORD|TOKEN|KEY)' <<<"$history"; then
    fail "a build step of the image takes a credential argument"
  fi
  layers="$tmp/layers"
  mkdir -p "$layers"
  podman save --format docker-dir -o "$layers/image" "$image" >/dev/null ||
    fail "podman save failed"
  hits=""
  local layer
  for layer in "$layers"/image/*; do
    tar -tf "$layer" >/dev/null 2>&1 || continue  # the config and manifest are not layers
    mkdir -p "$layers/files"
    tar -xf "$layer" -C "$layers/files" --no-same-owner --no-same-permissions --exclude='dev/*' 2>/dev/null || true
  done
  # A key file is a PEM block with key material after it, outside a program or library: the
  # markers alone stand in the trigger (it reads PEM), and GnuTLS carries its self-test keys.
  local file
  hits="$( { grep -rlE -- "$client_secret|$intake_key|$platform_token" "$layers/files"
             grep -rlzP -- '-----BEGIN [A-Z ]*PRIVATE KEY-----\r?\n[A-Za-z0-9+/=]{60}' "$layers/files" |
               while read -r file; do [ "$(head -c 4 "$file" | od -An -c | tr -d ' ')" = '177ELF' ] || echo "$file"; done
           } 2>/dev/null | sed "s|$layers/files||" | sort -u || true)"
  [[ -z "$hits" ]] || fail "the image holds secret-looking files: $hits"
  [[ ! -e "$layers/files/symphony" ]] || fail "the image holds a /symphony configuration directory"
  rm -rf "$layers"
  pass "no secret in the image's layers, environment or build steps"
}

build_simulator() {
  if [[ -n "${SIMULATOR:-}" ]]; then
    simulator="$SIMULATOR"
    [[ -x "$simulator" ]] || fail "SIMULATOR=$simulator is not executable"
    return 0
  fi
  if [[ ! -f "$build_dir/CMakeCache.txt" ]] ||
    grep -q '^BUILD_TESTING:BOOL=OFF' "$build_dir/CMakeCache.txt"; then
    # The build type scripts/test.sh uses, so the two share one build tree.
    cmake -S "$repo" -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=ON \
      >"$tmp/cmake.log" 2>&1 || { tail -n 30 "$tmp/cmake.log" >&2; fail "cmake configure failed"; }
  fi
  cmake --build "$build_dir" -j2 --target message-trace-simulator >"$tmp/sim-build.log" 2>&1 ||
    { tail -n 30 "$tmp/sim-build.log" >&2; fail "simulator build failed"; }
  simulator="$build_dir/message-trace-simulator"
  [[ -x "$simulator" ]] ||
    simulator="$(find "$build_dir" -type f -name message-trace-simulator -perm -u+x | head -n 1)"
  [[ -n "$simulator" && -x "$simulator" ]] || fail "no message-trace-simulator under $build_dir"
}

start_simulator() {
  "$simulator" --port 0 --port-file "$tmp/simulator.port" --records "$records" --days "$days" \
    --fresh-minutes "$fresh_minutes" >"$tmp/simulator.log" 2>&1 &
  sim_pid=$!
  local i
  for ((i = 0; i < 300; i++)); do
    [[ -s "$tmp/simulator.port" ]] && break
    kill -0 "$sim_pid" 2>/dev/null || fail "simulator exited at start"
    sleep 0.1
  done
  sim_port="$(tr -dc 0-9 <"$tmp/simulator.port")"
  [[ -n "$sim_port" ]] || fail "simulator wrote no port within 30 s"
  sim_url="http://127.0.0.1:$sim_port"
  log "simulator: $sim_url, $records records from $days day(s) to $fresh_minutes minute(s) ago"
}

# The arguments as one line a shell would split back into the same arguments.
shell_line() {
  local out="" a
  for a in "$@"; do
    if [[ "$a" =~ ^[A-Za-z0-9_./:=@%+,-]+$ ]]; then
      out+=" $a"
    else
      out+=" '${a//\'/\'\\\'\'}'"
    fi
  done
  printf '%s' "${out# }"
}

port_in_use() { ss -Hltn "sport = :$1" | grep -q .; }

free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 30000))
    [[ "$p" != "$sim_port" && "$p" != "${liveness_port:-}" ]] && ! port_in_use "$p" && break
  done
  echo "$p"
}

run_container() {
  liveness_port="$(free_port)"
  metrics_port="$(free_port)"
  data_dir="$tmp/symphony_data"
  mkdir -p "$data_dir"
  chown 1000:1000 "$data_dir"
  chmod 0700 "$data_dir"
  local trigger_configuration
  trigger_configuration="$(jq -cn \
    --arg tenant_id "$tenant_id" --arg client_id "$client_id" \
    --arg client_secret "$client_secret" --arg intake_key "$intake_key" \
    --arg url "$sim_url" --argjson frequency "$frequency" \
    --argjson timedelta "$timedelta" --argjson start_time "$start_time" \
    '{tenant_id: $tenant_id, client_id: $client_id, client_secret: $client_secret,
      intake_key: $intake_key, intake_server: $url, graph_url: $url, login_url: $url,
      frequency: $frequency, timedelta: $timedelta, start_time: $start_time}')"
  # As the platform starts a trigger: the command as the only argument, configuration in
  # the environment, the data volume mounted; plus host networking to reach the simulator.
  run_line=(podman run -d --name "$container" --network=host --read-only
    --cap-drop=ALL --security-opt=no-new-privileges
    -v "$data_dir:/symphony_data"
    -e "TRIGGER_CONFIGURATION=$trigger_configuration"
    -e "TOKEN=$platform_token"
    -e "URL_LOGS=$sim_url/logs"
    -e "LIVENESS_PORT=$liveness_port"
    -e "METRICS_PORT=$metrics_port"
    "$image" "$command_name")
  log "run line:"
  printf '    %s\n' "$(shell_line "${run_line[@]}")"
  "${run_line[@]}" >/dev/null || fail "podman run failed"
}

container_running() {
  [[ "$(podman inspect --format '{{.State.Running}}' "$container" 2>/dev/null)" == true ]]
}

check_health() {
  local code="" i
  for ((i = 0; i < 60; i++)); do
    container_running || fail "the trigger exited: $(podman inspect --format \
      'exit code {{.State.ExitCode}}' "$container")"
    code="$(curl -s -o "$tmp/health.json" -w '%{http_code}' --max-time 2 \
      "http://127.0.0.1:$liveness_port/health" || true)"
    [[ "$code" == 200 ]] && break
    sleep 0.5
  done
  [[ "$code" == 200 ]] || fail "/health on port $liveness_port answered '$code', expected 200"
  pass "/health answered 200: $(head -c 300 "$tmp/health.json")"
  local uid
  # The process's real uid as the kernel has it (podman top prints the host's name for it).
  uid="$(awk '/^Uid:/ { print $2 }' "/proc/$(podman inspect --format '{{.State.Pid}}' "$container")/status")"
  [[ "$uid" == 1000 ]] || fail "the trigger runs as uid '$uid', expected 1000"
  pass "the trigger runs as uid 1000 (sekoiaio-runtime)"
}

check_metrics() {
  curl -sf --max-time 5 "http://127.0.0.1:$metrics_port/metrics" >"$tmp/metrics.txt" ||
    fail "/metrics on port $metrics_port did not answer"
  grep -q '^symphony_module_common_forwarded_events_total' "$tmp/metrics.txt" ||
    fail "/metrics lacks symphony_module_common_forwarded_events_total"
  pass "/metrics: $(grep '^symphony_module_common_forwarded_events_total' "$tmp/metrics.txt" |
    head -n 1)"
}

# Polls the simulator until every record up to the trigger's checkpoint has reached the
# intake (the checkpoint says how far the trigger has asked; /stats counts against it).
# With the newest record older than TIMEDELTA, that must come to every record of the tenant.
check_complete() {
  local deadline until="" stats="" missing expected tenant want_all=0
  awk -v f="$fresh_minutes" -v t="$timedelta" 'BEGIN { exit !(f > t) }' && want_all=1
  deadline=$((SECONDS + complete_timeout))
  while :; do
    container_running || fail "the trigger exited: $(podman inspect --format \
      'exit code {{.State.ExitCode}}' "$container")"
    until="$(jq -r '.most_recent_date_requested // empty' "$data_dir/context.json" 2>/dev/null ||
      true)"
    if [[ -n "$until" ]]; then
      stats="$(curl -sf --max-time 5 -G --data-urlencode "until=$until" "$sim_url/stats" ||
        true)"
      if [[ -n "$stats" ]]; then
        missing="$(jq -r '.missing' <<<"$stats")"
        expected="$(jq -r '.expected' <<<"$stats")"
        tenant="$(jq -r '.tenant_records' <<<"$stats")"
        if [[ "$missing" == 0 && "$expected" =~ ^[0-9]+$ ]] && ((expected > 0)) &&
          ((!want_all || expected == tenant)); then
          break
        fi
      fi
    fi
    ((SECONDS < deadline)) ||
      fail "records incomplete after ${complete_timeout} s: checkpoint '${until:-none}', stats ${stats:-none}"
    sleep 2
  done
  pass "all $expected records up to $until reached the intake (tenant: $tenant)"
  # Sent once each, byte for byte as served, with the connector's User-Agent.
  jq -e '.duplicates == 0 and .unknown == 0 and .bad_user_agent == 0' <<<"$stats" >/dev/null ||
    fail "intake got duplicates, unknown events or a wrong User-Agent: $stats"
  pass "no duplicate, no altered event, the connector's User-Agent on every intake request"
  stats_line="$stats"
}

check_checkpoint() {
  [[ -f "$data_dir/context.json" ]] || fail "no context.json in the data volume"
  jq -e '.most_recent_date_requested | strings' "$data_dir/context.json" >/dev/null ||
    fail "context.json lacks most_recent_date_requested: $(cat "$data_dir/context.json")"
  pass "checkpoint in the volume: $(cat "$data_dir/context.json")"
}

check_stop() {
  container_running || fail "the trigger is not running before the stop"
  local t0 t1 secs code
  t0="$(now)"
  podman stop -t 10 "$container" >/dev/null || fail "podman stop failed"
  t1="$(now)"
  secs="$(elapsed "$t0" "$t1")"
  code="$(podman inspect --format '{{.State.ExitCode}}' "$container")"
  [[ "$code" == 0 ]] || fail "exit code $code after SIGTERM (137 means killed after 10 s)"
  awk -v s="$secs" 'BEGIN { exit !(s < 10) }' || fail "stop took $secs s, over 10 s"
  pass "SIGTERM: exit code 0 after $secs s"
  # The checkpoint persisted on the way out must not run ahead of what reached the intake.
  local until stats
  until="$(jq -r '.most_recent_date_requested // empty' "$data_dir/context.json" 2>/dev/null ||
    true)"
  [[ -n "$until" ]] || fail "context.json unreadable after the stop: $(cat "$data_dir/context.json")"
  stats="$(curl -sf --max-time 5 -G --data-urlencode "until=$until" "$sim_url/stats")" ||
    fail "simulator /stats did not answer after the stop"
  [[ "$(jq -r '.missing' <<<"$stats")" == 0 ]] ||
    fail "after the stop, checkpoint $until is ahead of the intake: $stats"
  pass "after the stop, checkpoint $until is covered by the intake"
  # Logs are flushed on the way out at the latest.
  jq -e '.logs_received > 0' <<<"$stats" >/dev/null ||
    fail "no log reached URL_LOGS: $stats"
  pass "$(jq -r .logs_received <<<"$stats") log entries reached URL_LOGS"
  stats_line="$stats"
}

main() {
  [[ "$(id -u)" == 0 ]] || fail "run as root (apt-get, rootful podman)"
  tmp="$(mktemp -d /tmp/container-test.XXXXXX)"
  chmod 0755 "$tmp"
  local t_all
  t_all="$(now)"
  step "packages" install_packages
  step "base images" make_base_images
  step "image build" build_image
  step "image checks" check_image
  step "image secrets" check_image_secrets
  step "simulator build" build_simulator
  step "simulator start" start_simulator
  step "container start" run_container
  step "health" check_health
  step "metrics" check_metrics
  step "records complete" check_complete
  step "checkpoint" check_checkpoint
  step "stop" check_stop

  log "summary"
  local i
  for i in "${!step_names[@]}"; do
    printf '    %-18s %7s s\n' "${step_names[$i]}" "${step_secs[$i]}"
  done
  printf '    %-18s %7s s\n' "total" "$(elapsed "$t_all" "$(now)")"
  log "image size: $image_size bytes ($(numfmt --to=si --suffix=B "$image_size"))"
  log "simulator stats: $stats_line"
  printf 'container-test: %d passed, 0 failed\n' "$passed"
}

main "$@"
