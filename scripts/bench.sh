#!/usr/bin/env bash
# Measures what the trigger costs, side by side with the floor, on the same data, and prints
# one table. Each run starts a simulator holding the records in memory (so the server is not
# the bottleneck), runs the real trigger against it until it has forwarded them all to the
# simulator's intake and rests, then runs the floor client (tests/bench) on a second simulator
# holding the same records. Every figure is the median of the runs (3 by default).
#   scripts/bench.sh [--records N] [--api graph|legacy] [--runs N]
#
# Each run also measures the trigger at rest, as the platform runs thousands of them: threads,
# resident and private memory (/proc/PID/smaps_rollup: Private_Clean + Private_Dirty) 40 s after
# it caught up (its intake helper threads end after 30 s idle), and context switches over two
# minutes of every thread (/proc/PID/task/*/status) while caught up with the default frequency
# (one empty window a minute).
#
# The trigger paces itself at Microsoft's 100 requests per rolling 5 minutes, and keeps to it
# here too (the simulator throttles at 100 per 300 s and counts any excess): a million Graph
# records at 5,000 per page is 200 requests, so each run waits about 5 minutes after the first
# 100; a million legacy rows at 2,000 per page is 500 requests, about 20 minutes. Records per
# second are given both over the wall time and over the time not spent waiting for that budget.
set -euo pipefail
cd "$(dirname "$0")/.."
records=1000000 api=graph runs=3
usage() { echo "usage: scripts/bench.sh [--records N] [--api graph|legacy] [--runs N]" >&2; exit 2; }
while (($#)); do
  case "$1" in
    --records) records=${2:-}; shift 2 || usage ;;
    --api) api=${2:-}; shift 2 || usage ;;
    --runs) runs=${2:-}; shift 2 || usage ;;
    *) usage ;;
  esac
done
[[ "$records" =~ ^[0-9]+$ ]] && ((records >= 1000 && records <= 50000000)) || { echo "--records: 1000 to 50000000" >&2; exit 2; }
[[ "$runs" =~ ^[0-9]+$ ]] && ((runs >= 1)) || { echo "--runs: at least 1" >&2; exit 2; }
[[ "$api" == graph || "$api" == legacy ]] || usage

scripts/install-deps.sh
build=build-bench
cmake --preset bench >/dev/null  # $build, Release
cmake --build "$build" -j2 --target office365-messagetrace message-trace-simulator bench-floor-client >/dev/null

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap "exit 130" INT TERM

# The data: records spread so that the trigger reads them in full windows and pages. Graph:
# one window (up to 10 days) over the last day. Legacy: windows of at most a few hours, so the
# rows are spread over the last 4 hours. All records are older than the trigger's timedelta.
if [ "$api" = graph ]; then
  hours=24 page=5000 command=office365_messagetrace_trigger_graph sim_mode=(--mode graph) counter=graph_requests
else
  hours=4 page=2000 command=office365_messagetrace_trigger sim_mode=(--mode reporting --reporting-shape verbose)
  counter=reporting_requests
fi
days=$(awk -v h="$hours" 'BEGIN { printf "%.6f", (h * 3600 - 60) / 86400 }')
clk=$(getconf CLK_TCK)
rest_after=40  # seconds after "caught up after": past the helpers' 30 s idle end, with a margin
now_ms() { date +%s%3N; }
# A log line's timestamp (2026-01-21T14:12:34.567Z ...) in milliseconds since the epoch.
log_ms() { local t=${1%%Z*}; echo $(( $(date -u -d "${t%.*}" +%s) * 1000 + 10#${t##*.} )); }
free_port() { local p; while :; do p=$(shuf -i 20000-60000 -n 1); (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }; done; }

start_simulator() {  # dir, extra options...; sets sim and sim_pid
  local dir=$1; shift
  "$build/message-trace-simulator" --port 0 --port-file "$dir/port" --records "$records" --days "$days" \
    --fresh-minutes 10 "${sim_mode[@]}" "$@" >"$dir/simulator.log" 2>&1 &
  sim_pid=$!
  pids+=("$sim_pid")
  for _ in $(seq 600); do [ -s "$dir/port" ] && break; sleep 0.1; done
  [ -s "$dir/port" ] || { echo "the simulator did not start:" >&2; cat "$dir/simulator.log" >&2; exit 1; }
  sim="http://127.0.0.1:$(cat "$dir/port")"
}
stop_process() { kill -TERM "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

# One run of the trigger; appends a line of results to $work/trigger.txt.
run_trigger() {
  local dir=$work/trigger-$1
  mkdir -p "$dir/config" "$dir/data"
  start_simulator "$dir"
  if [ "$api" = graph ]; then
    cat >"$dir/config/trigger_configuration" <<JSON
{"tenant_id": "00000000-0000-0000-0000-0000000000aa", "client_id": "11111111-2222-3333-4444-555555555555",
 "client_secret": "sim-secret", "intake_key": "sim-intake-key", "intake_server": "$sim",
 "graph_url": "$sim", "login_url": "$sim", "start_time": $((hours + 1)), "page_size": $page, "frequency": 3600}
JSON
  else
    cat >"$dir/config/trigger_configuration" <<JSON
{"account_name": "reporter@contoso.onmicrosoft.com", "account_password": "sim-password",
 "intake_key": "sim-intake-key", "intake_server": "$sim",
 "reporting_url": "$sim/ecp/reportingwebservice/reporting.svc/MessageTrace", "start_time": $hours, "frequency": 3600}
JSON
  fi
  # frequency 3600: once caught up, the next window is an hour away, so the run ends at rest
  # with every request it made spent on the records.
  local started
  started=$(now_ms)
  LIVENESS_PORT=$(free_port) METRICS_PORT=$(free_port) \
    "$build/office365-messagetrace" "$command" --config-dir "$dir/config" --data-dir "$dir/data" \
    2>"$dir/trigger.log" &
  local pid=$!
  pids+=("$pid")
  # Caught up: the trigger says so once, when its backlog is read (the checkpoint alone is saved
  # at start, before any window).
  local deadline=$(( $(date +%s) + 7200 ))
  until grep -q "caught up after" "$dir/trigger.log" 2>/dev/null; do
    kill -0 "$pid" 2>/dev/null || { echo "the trigger stopped:" >&2; tail -20 "$dir/trigger.log" >&2; exit 1; }
    (( $(date +%s) < deadline )) || { echo "the trigger did not catch up in 2 hours" >&2; exit 1; }
    sleep 0.1
  done
  local stat cpu_ticks sys_ticks peak
  stat=$(cut -d' ' -f14,15 "/proc/$pid/stat")
  cpu_ticks=$(( ${stat% *} + ${stat#* } )) sys_ticks=${stat#* }
  peak=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status")
  # At rest: started, configured, waiting for its next window, and the intake's helper threads
  # gone (they end after 30 s idle, IntakeOptions::helper_idle), which is how it rests for hours.
  sleep "$rest_after"
  local rest threads private
  rest=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status")
  threads=$(awk '/^Threads:/ { print $2 }' "/proc/$pid/status")
  private=$(awk '/^Private_(Clean|Dirty):/ { kib += $2 } END { print kib }' "/proc/$pid/smaps_rollup")
  # Of which clean: pages of the program's and libraries' files that no other process maps now
  # (a second trigger on the host shares them).
  private_clean=$(awk '/^Private_Clean:/ { print $2 }' "/proc/$pid/smaps_rollup")
  local stats
  stats=$(curl -fsS "$sim/stats?until=$(jq -r .most_recent_date_requested "$dir/data/context.json")")
  stop_process "$pid"
  stop_process "$sim_pid"

  # Times from the trigger's own log: the end of the last window, and each budget wait from its
  # announcement to the next line (the first page after it), which slightly overstates the wait.
  local done_ms waits_ms=0 wait_start=""
  while IFS= read -r line; do
    [[ "$line" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z ]] || continue
    if [ -n "$wait_start" ]; then
      waits_ms=$(( waits_ms + $(log_ms "$line") - wait_start ))
      wait_start=""
    fi
    if [[ "$line" == *"is used up; waiting"* ]]; then wait_start=$(log_ms "$line"); fi
    if [[ "$line" == *"window "*" done"* ]]; then done_ms=$(log_ms "$line"); fi
  done <"$dir/trigger.log"
  [ -n "${done_ms:-}" ] || { echo "no finished window in the trigger's log" >&2; exit 1; }
  local forwarded lost duplicated requests peak_window throttled tokens
  forwarded=$(jq .received_total <<<"$stats")
  lost=$(jq .missing <<<"$stats")
  duplicated=$(jq .duplicates <<<"$stats")
  requests=$(jq ".$counter" <<<"$stats")
  peak_window=$(jq .peak_requests_in_window <<<"$stats")
  throttled=$(jq .throttled <<<"$stats")
  tokens=$(jq .token_requests <<<"$stats")
  if [ "$forwarded" -ne "$records" ] || [ "$lost" -ne 0 ] || [ "$duplicated" -ne 0 ]; then
    echo "run $1: forwarded $forwarded of $records records, $lost lost, $duplicated duplicated" >&2
    exit 1
  fi
  echo "$cpu_ticks $peak $rest $((done_ms - started)) $((done_ms - started - waits_ms)) $requests $peak_window $throttled $tokens $sys_ticks $threads $private $private_clean" \
    >>"$work/trigger.txt"
  echo "   run $1: trigger $(awk -v t="$cpu_ticks" -v k="$clk" 'BEGIN { printf "%.2f", t / k }') CPU s," \
    "$(( (done_ms - started) / 1000 )) s wall ($(( waits_ms / 1000 )) s waiting for the budget)," \
    "peak $((peak / 1024)) MiB, rest $((rest / 1024)) MiB, $requests requests" >&2
}

# Context switches of every thread of `pid` (voluntary + involuntary), summed.
switches() { cat /proc/"$1"/task/*/status 2>/dev/null | awk '/ctxt_switches:/ { n += $2 } END { print n + 0 }'; }

# The trigger caught up with the default frequency (60 s): one window a minute, nearly empty.
# Appends "context switches a minute" to $work/rest.txt.
run_rest() {
  local dir=$work/rest-$1
  mkdir -p "$dir/config" "$dir/data"
  local saved_records=$records
  records=1000
  start_simulator "$dir"
  records=$saved_records
  if [ "$api" = graph ]; then
    cat >"$dir/config/trigger_configuration" <<JSON
{"tenant_id": "00000000-0000-0000-0000-0000000000aa", "client_id": "11111111-2222-3333-4444-555555555555",
 "client_secret": "sim-secret", "intake_key": "sim-intake-key", "intake_server": "$sim",
 "graph_url": "$sim", "login_url": "$sim", "start_time": 1}
JSON
  else
    cat >"$dir/config/trigger_configuration" <<JSON
{"account_name": "reporter@contoso.onmicrosoft.com", "account_password": "sim-password",
 "intake_key": "sim-intake-key", "intake_server": "$sim",
 "reporting_url": "$sim/ecp/reportingwebservice/reporting.svc/MessageTrace", "start_time": 1}
JSON
  fi
  LIVENESS_PORT=$(free_port) METRICS_PORT=$(free_port) \
    "$build/office365-messagetrace" "$command" --config-dir "$dir/config" --data-dir "$dir/data" \
    2>"$dir/trigger.log" &
  local pid=$!
  pids+=("$pid")
  local deadline=$(( $(date +%s) + 300 ))
  until grep -q "caught up after" "$dir/trigger.log" 2>/dev/null; do
    kill -0 "$pid" 2>/dev/null || { echo "the trigger stopped:" >&2; tail -20 "$dir/trigger.log" >&2; exit 1; }
    (( $(date +%s) < deadline )) || { echo "the trigger did not catch up in 5 minutes" >&2; exit 1; }
    sleep 0.5
  done
  # Counted once the helper threads of the catch-up have ended: a thread's switches leave the
  # sum with it, so one ending inside the two minutes would make the count too low.
  sleep "$rest_after"
  local before after
  before=$(switches "$pid")
  sleep 120
  after=$(switches "$pid")
  stop_process "$pid"
  stop_process "$sim_pid"
  echo "$(( (after - before) / 2 ))" >>"$work/rest.txt"
  echo "   run $1: at rest, $(( (after - before) / 2 )) context switches a minute" >&2
}

# One run of the floor on a simulator holding the same records; appends to $work/floor.txt.
run_floor() {
  local dir=$work/floor-$1
  mkdir -p "$dir"
  start_simulator "$dir" --throttle 1000000
  local start end out
  start=$(date -u -d "@$(( $(date +%s) - (hours + 1) * 3600 ))" +%Y-%m-%dT%H:%M:%SZ)
  end=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  out=$("$build/bench-floor-client" --base "$sim" --api "$api" --start "$start" --end "$end" --page-size "$page")
  stop_process "$sim_pid"
  declare -A f
  for kv in $out; do f[${kv%%=*}]=${kv#*=}; done
  echo "${f[cpu_seconds]} ${f[peak_rss_kib]} ${f[wall_seconds]} ${f[pages]} ${f[system_seconds]}" >>"$work/floor.txt"
  echo "   run $1: floor ${f[cpu_seconds]} CPU s, ${f[wall_seconds]} s wall, ${f[pages]} pages," \
    "$(( f[bytes_in] / 1048576 )) MiB in, $(( f[bytes_out] / 1048576 )) MiB out" >&2
}

machine="$(nproc) CPUs ($(lscpu | sed -n 's/^Model name: *//p' | head -1)), $(free -g | awk '/^Mem:/ { print $2 }') GiB, $(uname -sr)"
echo "== $api: $records records, $runs runs (trigger, then floor, in each run); $machine" >&2
for run in $(seq "$runs"); do
  run_trigger "$run"
  run_floor "$run"
  run_rest "$run"
done

# Medians (the middle value; the mean of the two middle ones for an even count).
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
col() { awk -v c="$2" '{ print $c }' "$1" | median; }
ratios=$(paste -d' ' "$work/trigger.txt" "$work/floor.txt" | awk -v k="$clk" '{ print ($1 / k) / $14 }' | median)
t_cpu=$(col "$work/trigger.txt" 1) t_peak=$(col "$work/trigger.txt" 2) t_rest=$(col "$work/trigger.txt" 3)
t_wall=$(col "$work/trigger.txt" 4) t_active=$(col "$work/trigger.txt" 5) t_requests=$(col "$work/trigger.txt" 6)
t_window=$(col "$work/trigger.txt" 7) t_throttled=$(col "$work/trigger.txt" 8) t_sys=$(col "$work/trigger.txt" 10)
t_threads=$(col "$work/trigger.txt" 11) t_private=$(col "$work/trigger.txt" 12) t_switches=$(col "$work/rest.txt" 1)
t_private_clean=$(col "$work/trigger.txt" 13)
f_cpu=$(col "$work/floor.txt" 1) f_peak=$(col "$work/floor.txt" 2) f_wall=$(col "$work/floor.txt" 3)
f_pages=$(col "$work/floor.txt" 4) f_sys=$(col "$work/floor.txt" 5)

awk -v n="$records" -v k="$clk" -v runs="$runs" -v api="$api" -v page="$page" \
  -v tc="$t_cpu" -v tp="$t_peak" -v tr="$t_rest" -v tw="$t_wall" -v ta="$t_active" -v tq="$t_requests" \
  -v twin="$t_window" -v tt="$t_throttled" -v fc="$f_cpu" -v fp="$f_peak" -v fw="$f_wall" -v fq="$f_pages" \
  -v ratio="$ratios" -v ts="$t_sys" -v fs="$f_sys" -v machine="$machine" \
  -v tth="$t_threads" -v tpr="$t_private" -v tpc="$t_private_clean" -v tsw="$t_switches" 'BEGIN {
  m = n / 1e6; tcpu = tc / k
  printf "\n%s trigger, %d records, pages of %d; each figure is the median of %d runs%s\n", api, n, page, runs,
    runs < 3 ? " (fewer than 3: not a reliable median)" : ""
  printf "Release build (build-bench); %s\n\n", machine
  printf "| %-44s | %14s | %14s |\n", "", "trigger", "floor"
  printf "|%s|%s|%s|\n", "----------------------------------------------", "----------------", "----------------"
  printf "| %-44s | %14.0f | %14s |\n", "records/s, wall time (budget waits included)", n / (tw / 1000), "-"
  printf "| %-44s | %14.0f | %14.0f |\n", "records/s, time not waiting for the budget", n / (ta / 1000), n / fw
  printf "| %-44s | %14.3f | %14.3f |\n", "CPU s (user + system) per million records", tcpu / m, fc / m
  printf "| %-44s | %14.3f | %14.3f |\n", "CPU us per record", tcpu / n * 1e6, fc / n * 1e6
  printf "| %-44s | %14.3f | %14.3f |\n", "  of which system (kernel) us per record", ts / k / n * 1e6, fs / n * 1e6
  printf "| %-44s | %14.2f | %14s |\n", "CPU per record, trigger / floor (same run)", ratio, "1"
  printf "| %-44s | %14.1f | %14.1f |\n", "peak resident memory, MiB", tp / 1024, fp / 1024
  printf "| %-44s | %14.1f | %14s |\n", "resident memory at rest, MiB", tr / 1024, "-"
  printf "| %-44s | %14.2f | %14s |\n", "private memory at rest, MiB", tpr / 1024, "-"
  printf "| %-44s | %14.2f | %14s |\n", "  of which clean (code no other process maps)", tpc / 1024, "-"
  printf "| %-44s | %14d | %14s |\n", "threads at rest", tth, "-"
  printf "| %-44s | %14d | %14s |\n", "context switches a minute, caught up", tsw, "-"
  printf "| %-44s | %14.0f | %14.0f |\n", "requests to Microsoft per million records", tq / m, fq / m
  printf "| %-44s | %14d | %14s |\n", "most requests in any 5 minutes (limit 100)", twin, "-"
  printf "| %-44s | %14d | %14s |\n", "requests refused by the throttle (429)", tt, "-"
}'
