#!/usr/bin/env bash
# The fault-injecting soak (issue 4): the real Graph trigger against the simulator with every
# fault at once, SIGKILLed and restarted again and again, and then a table of what arrived.
#   scripts/soak.sh [--minutes N] [--records N] [--seed N] [--build-dir DIR]
# Default: 10 minutes over 200,000 records. scripts/test.sh runs a short one (--minutes 1.5).
#
# Faults, all at once:
# - Microsoft: 500 and 503; 429 with Retry-After in seconds and as an HTTP date; connections
#   closed mid-body; truncated JSON with status 200; answers slower than http_timeout; token
#   endpoint 503s; tokens that die long before the lifetime they announce; 401s in the middle
#   of paging. Each is drawn at a rate, and each is also forced once, so a short run has all.
# - Sekoia: intake 503 bursts, a full intake outage (a fifth of the run), 413s for bodies over
#   a limit lower than the real one, url_logs failing.
# - The process: SIGKILL at random moments (mostly while a page is at the intake: accepted
#   there, not yet in the checkpoint), SIGKILL while the checkpoint is being written (watched
#   with inotify), restarts on a context.json that is truncated, empty, not JSON or dated in
#   the future, and a data directory made read-only for a while.
#
# What it checks (tests/checkers/soak_check.cpp does the accounting, from the simulator's /stats
# and /logs-received and the data directory's context.json; this script only starts, kills and
# restarts processes, waits, and calls it): nothing lost (every record of the tenant received);
# no crash (the trigger only ever ends by our signals); every duplicate comes from a kill that
# fell after the intake accepted a page and before the checkpoint moved past it, at most one page
# per such kill (each kill's share is read from the checkpoint it left and the simulator's
# ledger); the warnings of the unusable checkpoints and the error of the read-only directory
# reached the platform (the simulator's /logs-received); SIGTERM at the end exits 0. The trigger
# runs as nobody when this runs as root, so that a read-only directory is read-only for it.
#
# The tenant: three quarters of the records in the past (as much time before the start as the
# records arrive live during it, three times), the rest arriving live. The backfill starts from
# a context.json as the platform's Python trigger leaves it, just before the oldest record.
# The configuration: start_time 0 and a full lookback of 30 s (reread_after_minutes "full": every
# query starts 30 s before its window, which the accounting below relies on). An unusable checkpoint therefore
# restarts from now, and the lookback re-reads what lies between the lost position and now
# (the damage comes only once the running trigger finished a window ending at most 25 s ago);
# each state it re-reads is already in the forwarded keys. (With start_time N hours, an
# unusable checkpoint re-sends up to N hours, by design.) The lookback is short because the tenant is dense: 200,000 records
# in half an hour; the default 60 minutes would re-read every record at every window.
set -euo pipefail
cd "$(dirname "$0")/.."

minutes=10 records=200000 seed=7 build=build
usage() { echo "usage: scripts/soak.sh [--minutes N] [--records N] [--seed N] [--build-dir DIR]" >&2; exit 2; }
while (($#)); do
  case "$1" in
    --minutes) minutes=${2:-}; shift 2 || usage ;;
    --records) records=${2:-}; shift 2 || usage ;;
    --seed) seed=${2:-}; shift 2 || usage ;;
    --build-dir) build=${2:-}; shift 2 || usage ;;
    *) usage ;;
  esac
done
[[ $minutes =~ ^[0-9]+([.][0-9]+)?$ ]] && awk -v m="$minutes" 'BEGIN { exit !(m >= 1 && m <= 600) }' ||
  { echo "--minutes: a number of minutes from 1 to 600, e.g. 10 or 1.5" >&2; exit 2; }
[[ $records =~ ^[0-9]+$ ]] && ((records >= 1000 && records <= 5000000)) ||
  { echo "--records: a whole number from 1000 to 5000000" >&2; exit 2; }
[[ $seed =~ ^[0-9]+$ ]] || { echo "--seed: a whole number" >&2; exit 2; }

scripts/install-deps.sh
[ -f "$build/CMakeCache.txt" ] || cmake -S . -B "$build" -DBUILD_TESTING=ON >/dev/null
cmake --build "$build" -j2 --target office365-messagetrace message-trace-simulator soak_check >/dev/null
work=$(mktemp -d)
chmod 755 "$work"
# A copy, so that nobody can run it wherever the checkout is (a clone under /root, mode 700).
trigger_bin=$work/office365-messagetrace
cp "$build/office365-messagetrace" "$trigger_bin"
sim_pid="" trigger_pid="" watcher_pid=""
cleanup() {
  for pid in "$trigger_pid" "$watcher_pid" "$sim_pid"; do [ -z "$pid" ] || kill -9 "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap "exit 130" INT TERM

say() { printf '   %5.1fs  %s\n' "$(awk -v s="$soak_start" -v n="$(date +%s.%N)" 'BEGIN { print n - s }')" "$*"; }
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
free_port() { local p; while :; do p=$(shuf -i 20000-60000 -n 1); (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }; done; }

# The run's shape, from its length: records arrive live during the first 75% of it, the rest
# lets the last of them be collected.
total=$(awk -v m="$minutes" 'BEGIN { printf "%d", m * 60 }')
active=$((total * 75 / 100))
page_size=5000 chunk_size=250 latency=0.3 frequency=10
timedelta_seconds=6
# A short run: smaller pages, and windows due sooner (a damaged checkpoint waits for one).
((total < 300)) && page_size=2000 latency=0.15 frequency=5 timedelta_seconds=3
future_minutes=$(awk -v a="$active" 'BEGIN { printf "%.2f", a / 60 }')
outage=$((total / 5))
# The plan: each step in its own slot of the active time. The damaged checkpoints come once the
# backfill is over (a restart from now in the middle of it would skip the rest, by design).
plan=(random cpwrite random readonly random random outage random cpwrite random random
      damage:truncated random damage:empty cpwrite damage:not-json random damage:future random)
slot=$(awk -v a="$active" -v n="${#plan[@]}" 'BEGIN { printf "%.3f", a / (n + 1) }')
# Tokens die (401 to the next request) a slot and a half after they are issued, while they
# announce an hour, so a trigger that lives through a few steps meets one mid-paging.
token_valid=$(awk -v s="$slot" 'BEGIN { v = int(s * 1.5); print v < 3 ? 3 : v }')

data="$work/data" config="$work/config"
mkdir -p "$data" "$config"
as_trigger=()
if [ "$(id -u)" -eq 0 ]; then
  as_trigger=(setpriv --reuid=65534 --regid=65534 --clear-groups --)
  chown 65534:65534 "$data"
  "${as_trigger[@]}" test -x "$trigger_bin" ||
    { echo "the trigger cannot run as nobody: $work must be reachable by others (check TMPDIR)" >&2; exit 1; }
fi

RANDOM=$seed  # the kills' moments too come from the seed
soak_start=$(date +%s.%N)
start_epoch=${soak_start%.*}
past_days=$(awk -v f="$future_minutes" 'BEGIN { printf "%.6f", 3 * f / 1440 }')
echo "== soak: $records records, 3/4 over the $(awk -v f="$future_minutes" 'BEGIN { print 3 * f }') minutes before the start, 1/4 arriving live" \
  "over $future_minutes minutes; ${minutes} minutes in all, seed $seed"
# The rates are per request; every message-trace fault kind is also forced once below.
"$build/message-trace-simulator" --port 0 --port-file "$work/port" --seed "$seed" --records "$records" --days "$past_days" \
  --future-minutes "$future_minutes" --reference-time "$(iso "$start_epoch")" \
  --fault-500 0.02 --fault-503 0.02 --fault-429-seconds 0.01 --fault-429-date 0.01 --fault-retry-after 2 \
  --fault-close 0.02 --fault-bad-json 0.02 --fault-401 0.02 --fault-slow 7 --fault-slow-rate 0.01 \
  --fault-token 0.2 --token-valid "$token_valid" --fault-intake-503 0.02 --fault-intake-burst 4 \
  --intake-max-body 110000 --intake-latency "$latency" --fault-logs 0.2 \
  >"$work/simulator.log" 2>&1 &
sim_pid=$!
for _ in $(seq 600); do [ -s "$work/port" ] && break; sleep 0.1; done
[ -s "$work/port" ] || { echo "the simulator did not start:"; cat "$work/simulator.log"; exit 1; }
sim="http://127.0.0.1:$(cat "$work/port")"
check=("$build/soak_check" --ledger "$work/ledger.json" --sim "$sim")
"${check[@]}" init --page-size "$page_size"
until_epoch=$((start_epoch + $(awk -v f="$future_minutes" 'BEGIN { printf "%d", f * 60 + 2 }')))
until=$(iso "$until_epoch")

cat >"$config/trigger_configuration" <<JSON
{"tenant_id": "00000000-0000-0000-0000-0000000000aa", "client_id": "11111111-2222-3333-4444-555555555555",
 "client_secret": "sim-secret", "intake_key": "sim-intake-key", "intake_server": "$sim",
 "graph_url": "$sim", "login_url": "$sim", "start_time": 0, "page_size": $page_size,
 "chunk_size": $chunk_size, "frequency": $frequency, "timedelta": $(awk -v t="$timedelta_seconds" 'BEGIN { print t / 60 }'), "lookback": 0.5, "reread_after_minutes": "full", "http_timeout": 5}
JSON
# Where the platform's Python trigger left off: just before the oldest record.
past_seconds=$(awk -v d="$past_days" 'BEGIN { printf "%d", d * 86400 + 60 }')
printf '{"most_recent_date_requested": "%s"}\n' "$(iso $((start_epoch - past_seconds)))" >"$data/context.json"
[ ${#as_trigger[@]} -eq 0 ] || chown 65534:65534 "$data/context.json"
echo "   trigger: page_size $page_size, chunk_size $chunk_size, frequency ${frequency} s, timedelta ${timedelta_seconds} s, http_timeout 5 s,"
echo "   lookback 30 s, start_time 0; intake answers ${latency} s late, 413 over 110,000 bytes (about half the full chunks)"

rss_peak_kib=0

start_trigger() {
  LIVENESS_PORT=$(free_port) METRICS_PORT=$(free_port) TOKEN=sim-platform-token URL_LOGS="$sim/logs" \
    "${as_trigger[@]}" "$trigger_bin" office365_messagetrace_trigger_graph \
    --config-dir "$config" --data-dir "$data" >>"$work/trigger.log" 2>&1 &
  trigger_pid=$!
}
# A life of the trigger ended (kind: a SIGKILL's, crash, sigterm): the checker accounts for its
# duplicates and reads the checkpoint it left; its lines are said here.
life_ended() {  # kind exit-code
  local lines line
  lines=$("${check[@]}" life-ended --data "$data" --end "$1" --exit-code "$2") ||
    { echo "soak_check life-ended failed" >&2; exit 1; }
  while IFS= read -r line; do [ -z "$line" ] || say "$line"; done <<<"$lines"
}
# The trigger must only end by our signals: one that ended by itself crashed (or gave up).
check_alive() {
  if ! kill -0 "$trigger_pid" 2>/dev/null; then
    local code=0
    wait "$trigger_pid" || code=$?
    life_ended crash "$code"
    restart
  fi
}
note_memory() {
  local hwm
  hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$trigger_pid/status" 2>/dev/null || echo 0)
  ((${hwm:-0} > rss_peak_kib)) && rss_peak_kib=$hwm
  return 0
}
sigkill() {  # kind
  note_memory
  kill -9 "$trigger_pid" 2>/dev/null || true
  local code=0
  wait "$trigger_pid" 2>/dev/null || code=$?
  life_ended "$1" "$code"
}
# Restarts the trigger, and returns once it has logged its start (so that the log's last start
# is this life's).
restart() {
  local starts
  starts=$(grep -c "INFO starting the Microsoft Graph" "$work/trigger.log" || true)
  start_trigger
  for _ in $(seq 50); do
    (($(grep -c "INFO starting the Microsoft Graph" "$work/trigger.log" || true) > starts)) && break
    sleep 0.1
  done
}
# The end of the last window the running trigger finished (from its log, since its start).
last_window_end() {
  local from
  from=$(grep -n "INFO starting the Microsoft Graph" "$work/trigger.log" | tail -n 1 | cut -d: -f1)
  tail -n +"${from:-1}" "$work/trigger.log" | sed -n 's/.* window [0-9T:-]*Z -> \([0-9T:-]*Z\) done.*/\1/p' | tail -n 1
}
# Caught up: the running trigger finished a window that ends at most 15 s ago. (The checkpoint
# alone does not say so: after a damaged one, the fresh start is now, and what lies before it
# is read by the next window's lookback.)
caught_up() {
  local at
  at=$(last_window_end)
  [[ -n "$at" && "$at" > "$(iso $(($(date +%s) - 15)))" ]]
}
# Waits S seconds, watching the trigger (restarted if it ended by itself) and its memory.
pause() {
  local until_t
  until_t=$(awk -v n="$(date +%s.%N)" -v s="$1" 'BEGIN { printf "%.3f", n + s }')
  while awk -v u="$until_t" -v n="$(date +%s.%N)" 'BEGIN { exit !(n < u) }'; do
    sleep 0.2
    check_alive
    note_memory
  done
}

start_trigger
# Each message-trace fault kind once for certain, early, then drawn at their rates.
for kind in 500 503 429_seconds 429_date close bad_json 401 slow token_503 intake_503 logs_503; do
  curl -fsS -X POST "$sim/control/fault?kind=$kind" >/dev/null
done

pause "$slot"
for step in "${plan[@]}"; do
  case "$step" in
    random)
      pause "$(awk -v s="$slot" -v r="$RANDOM" 'BEGIN { printf "%.3f", s * (0.2 + 0.8 * r / 32767) }')"
      sigkill random; restart ;;
    cpwrite)
      # The next time a checkpoint is written: killed between its temporary file and the rename.
      inotifywait -q -t "$(awk -v s="$slot" 'BEGIN { printf "%d", 3 * s + 5 }')" -e create --include 'context\.json\.tmp$' \
        --format %f "$data" >"$work/inotify.out" 2>/dev/null &
      watcher_pid=$!
      sleep 0.3  # inotifywait sets its watch
      if wait "$watcher_pid" && [ -s "$work/inotify.out" ]; then sigkill checkpoint-write; else sigkill random; fi
      watcher_pid=""
      restart ;;
    outage)
      curl -fsS -X POST "$sim/control/intake-outage?seconds=$outage" >/dev/null
      say "intake outage of $outage s begins"
      pause "$slot" ;;
    readonly)
      "${check[@]}" mark-log readonly
      chmod 555 "$data"
      say "data directory read-only"
      # A slot, and longer until the trigger has reported it to the platform (a checkpoint it
      # could not save), a minute at most.
      pause "$slot"
      for _ in $(seq 300); do "${check[@]}" logged readonly && break; pause 0.2; done
      chmod 755 "$data"
      # Writable again: the next kill waits until the checkpoint was saved since.
      touch "$work/writable-since"
      for _ in $(seq 300); do [ "$data/context.json" -nt "$work/writable-since" ] && break; pause 0.2; done
      say "data directory writable again; the checkpoint was saved since" ;;
    damage:*)
      ready=no
      for _ in $(seq $((total * 5))); do caught_up && { ready=yes; break; }; pause 0.2; done
      [ "$ready" = yes ] || { say "not caught up: skipping $step"; continue; }
      sigkill "${step#damage:}"
      case "${step#damage:}" in
        truncated) head -c 25 "$data/context.json" >"$work/damaged" ;;
        empty) : >"$work/damaged" ;;
        not-json) echo "most_recent_date_requested = yesterday" >"$work/damaged" ;;
        future)
          printf '{"most_recent_date_requested": "%s"}\n' "$(iso $(($(date +%s) + 5 * 365 * 86400)))" >"$work/damaged" ;;
      esac
      cat "$work/damaged" >"$data/context.json"
      say "context.json made ${step#damage:}"
      restart
      # Each damaged file has its warning, from the start it was given to, at the platform (sent
      # within the logger's 5 s, or 10 when the log service failed once): half a minute at most.
      for _ in $(seq 100); do "${check[@]}" warned --kind "${step#damage:}" && break; pause 0.2; done ;;
  esac
done

# Let the trigger collect the last records: a window that ends past the newest record must be
# done since the last start.
deadline=$((start_epoch + total + 120))
while :; do
  at=$(last_window_end)
  [[ -n "$at" && ( "$at" > "$until" || "$at" == "$until" ) ]] && break
  (($(date +%s) < deadline)) || { say "deadline: the last window done ends at ${at:-?}, short of $until"; break; }
  pause 1
done
note_memory
kill -TERM "$trigger_pid"
stop_start=$(date +%s.%N)
for _ in $(seq 300); do kill -0 "$trigger_pid" 2>/dev/null || break; sleep 0.1; done
kill -9 "$trigger_pid" 2>/dev/null || true  # still there after 30 s: its exit code says so
exit_code=0
wait "$trigger_pid" || exit_code=$?
stop_seconds=$(awk -v s="$stop_start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
trigger_pid=""
say "SIGTERM: exit $exit_code after $stop_seconds s"
life_ended sigterm "$exit_code"

if ! "${check[@]}" report --from "$(iso $((start_epoch - past_seconds)))" --until "$until" \
  --exit-code "$exit_code" --stop-seconds "$stop_seconds" --rss-kib "$rss_peak_kib"; then
  echo "   the trigger's last lines:"; tail -n 15 "$work/trigger.log" | sed 's/^/   | /'
  cp "$work/trigger.log" "${TMPDIR:-/tmp}/soak-trigger.log" && echo "   its whole log: ${TMPDIR:-/tmp}/soak-trigger.log"
  exit 1
fi
