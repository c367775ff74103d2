#!/usr/bin/env bash
# Measures what the Graph trigger collects when Exchange Online publishes records late and
# changes their status afterwards, and what it costs: two simulators with the same seed and late
# publication, one trigger against each, at the same time, in compressed time:
#   A: full lookback (reread_after_minutes "full": every query starts `lookback` before its
#      window, the way before re-read schedules)
#   B: re-read schedule (reread_after_minutes, default 5,15,30,60: each window read when due,
#      then again at those ages after its end)
# both with timedelta 5 min and 1-minute windows, and prints for each: recall (all, and of the
# record states published within the last re-read age), status changes received, duplicates,
# rows read per distinct record state, requests per hour against the budget of 80 per 5 minutes,
# the freshness of forwarded records (publication to intake, median and 99th percentile), how far
# behind the first reads are at the end, and the largest rate the run's figures allow within the
# budget. Exits non-zero if B forwarded a duplicate, missed a record state published within its
# last re-read age, did not keep up, or if a trigger did not stop cleanly. The accounting is
# tests/checkers/latency_recall_check.cpp's, from the simulators' /stats, the triggers'
# context.json and Prometheus metrics; this script only starts, waits for and stops processes.
#
#   scripts/latency-recall.sh [--scale S] [--minutes N] [--rate R] [--ages LIST] [--lookback M]
#                             [--seed N] [--build-dir DIR]
#   --scale S      time compression, a fraction or a number (default 1/20: an hour of
#                  Microsoft's time passes in 3 minutes); delays, timedelta, ages, lookback,
#                  frequency and the request budget's 5 minutes are all multiplied by it
#   --minutes N    minutes (Microsoft's time) during which records arrive (default 30)
#   --rate R       records per hour of Microsoft's time (default 4000, about 96,000 a day)
#   --ages LIST    B's re-read ages, minutes after a window's end (default 5,15,30,60)
#   --lookback M   A's lookback in minutes (default: B's last age)
#   --seed N       the simulated tenant (default 11)
#   --build-dir D  build directory (default build)
# Everything runs on 127.0.0.1; a run takes the arrival minutes, then about 80 minutes of
# Microsoft's time (at most 6 real minutes at 1/20 with the default ages) after the build.
set -euo pipefail
cd "$(dirname "$0")/.."

scale_text=1/20 minutes=30 rate=4000 ages=5,15,30,60 lookback="" seed=11 build=build
usage() {
  echo "usage: scripts/latency-recall.sh [--scale S] [--minutes N] [--rate R] [--ages LIST] [--lookback M] [--seed N] [--build-dir DIR]" >&2
  exit 2
}
while (($#)); do
  case "$1" in
    --scale) scale_text=${2:-}; shift 2 || usage ;;
    --minutes) minutes=${2:-}; shift 2 || usage ;;
    --rate) rate=${2:-}; shift 2 || usage ;;
    --ages) ages=${2:-}; shift 2 || usage ;;
    --lookback) lookback=${2:-}; shift 2 || usage ;;
    --seed) seed=${2:-}; shift 2 || usage ;;
    --build-dir) build=${2:-}; shift 2 || usage ;;
    *) usage ;;
  esac
done
number='^[0-9]+([.][0-9]+)?$'
[[ $scale_text =~ ^[0-9]+([.][0-9]+)?(/[0-9]+([.][0-9]+)?)?$ ]] || { echo "--scale: a number or a fraction such as 1/20" >&2; exit 2; }
[[ $ages =~ ^[0-9]+([.][0-9]+)?(,[0-9]+([.][0-9]+)?)*$ ]] || { echo "--ages: minutes separated by commas, such as 5,15,30,60" >&2; exit 2; }
last_age=${ages##*,}
[ -n "$lookback" ] || lookback=$last_age
for value in "$minutes" "$lookback" "$rate"; do [[ $value =~ $number ]] || usage; done
[[ $seed =~ ^[0-9]+$ ]] || usage
scale=$(awk -v s="$scale_text" 'BEGIN { n = split(s, p, "/"); printf "%.6g", n == 2 ? p[1] / p[2] : p[1] }')
awk -v s="$scale" 'BEGIN { exit !(s > 0 && s <= 1) }' || { echo "--scale must be within (0, 1]" >&2; exit 2; }

scripts/install-deps.sh
[ -f "$build/CMakeCache.txt" ] || cmake -S . -B "$build" -DBUILD_TESTING=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j2 --target office365-messagetrace message-trace-simulator latency_recall_check >/dev/null
checker=$build/latency_recall_check

calc() { awk "BEGIN { printf \"%.6g\", $1 }"; }
timedelta=$(calc "5 * $scale")                         # trigger minutes
lookback_a=$(calc "$lookback * $scale")                # trigger minutes
ages_b=$(awk -v a="$ages" -v s="$scale" 'BEGIN { n = split(a, p, ","); for (i = 1; i <= n; i++) printf "%s%.6g", (i > 1 ? "," : ""), p[i] * s }')
frequency=$(awk -v s="$scale" 'BEGIN { f = int(60 * s + 0.5); print f < 1 ? 1 : f }')  # seconds
period=$(awk -v s="$scale" 'BEGIN { p = int(300 * s + 0.5); print p < 1 ? 1 : p }')  # the budget's 5 minutes, seconds
future=$(calc "$minutes * $scale")                     # real minutes during which records arrive
records=$(awk -v r="$rate" -v m="$minutes" 'BEGIN { printf "%d", r * m / 60 + 0.5 }')
# After the last record arrives: B's last re-read of it (its age, a quarter more to merge, timedelta).
last_reread=$(calc "($last_age * 1.25 + 5) * 60 * $scale + 2 * $frequency")
margin=$(calc "$timedelta * 60 + 2 * $frequency + 5")  # after the last publication, for the next query
label=$(awk -v s="$scale" 'BEGIN { i = 1 / s; r = int(i + 0.5); if (i - r < 1e-3 && r - i < 1e-3) printf "1/%d", r; else printf "%g", s }')

work=$(mktemp -d)
cleanup() {
  # Only this shell's own children still running: the simulators, and triggers not yet stopped.
  local running
  running=$(jobs -p)
  [ -z "$running" ] || kill $running 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { local p; while :; do p=$(shuf -i 20000-60000 -n 1); (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }; done; }
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }

echo "== latency-recall, scale $label: Microsoft's time passes $(calc "1 / $scale") times faster"
echo "   tenant: $records records over $minutes minutes (${rate}/hour), seed $seed, each published late"
echo "   (80% 1-5 min, 15% 5-30 min, 5% 30-60 min), 20% first as pending then changing status once"
echo "   A: full lookback $lookback min      B: re-reads at $ages min after each window's end"
echo "   both: timedelta 5 min, frequency 60 s, 80 requests per 5 minutes"
echo "   (real: timedelta ${timedelta} min, frequency ${frequency} s, A's lookback ${lookback_a} min, B's ages ${ages_b} min,"
echo "   budget 80 requests per ${period} s, the simulators' throttle 100 per ${period} s)"

# Both simulators place their records from the same reference time: the same tenant, exactly.
sim_start=$(date +%s)
reference=$(iso "$sim_start")
declare -A sim_url trigger_pid metrics_port
for run in A B; do
  mkdir -p "$work/$run/config" "$work/$run/data"
  "$build/message-trace-simulator" --port 0 --port-file "$work/$run/port" --seed "$seed" --records "$records" \
    --days 0.00002 --future-minutes "$future" --late-publication --delay-scale "$scale" --reference-time "$reference" \
    --throttle-window "$period" >"$work/$run/simulator.log" 2>&1 &
done
for run in A B; do
  for _ in $(seq 600); do [ -s "$work/$run/port" ] && break; sleep 0.1; done
  [ -s "$work/$run/port" ] || { echo "simulator $run did not start:"; cat "$work/$run/simulator.log"; exit 1; }
  sim_url[$run]="http://127.0.0.1:$(cat "$work/$run/port")"
done
until_epoch=$((sim_start + $(awk -v f="$future" 'BEGIN { printf "%d", f * 60 + 1.999 }')))
until=$(iso "$until_epoch")

for run in A B; do
  if [ "$run" = A ]; then schedule="\"reread_after_minutes\": \"full\", \"lookback\": $lookback_a"
  else schedule="\"reread_after_minutes\": \"$ages_b\""; fi
  cat >"$work/$run/config/trigger_configuration" <<JSON
{"tenant_id": "00000000-0000-0000-0000-0000000000aa", "client_id": "11111111-2222-3333-4444-555555555555",
 "client_secret": "sim-secret", "intake_key": "sim-intake-key", "intake_server": "${sim_url[$run]}",
 "graph_url": "${sim_url[$run]}", "login_url": "${sim_url[$run]}", "start_time": 0,
 "timedelta": $timedelta, "frequency": $frequency, $schedule}
JSON
  metrics_port[$run]=$(free_port)
  OFFICE365_BUDGET_PERIOD_SECONDS=$period LIVENESS_PORT=$(free_port) METRICS_PORT=${metrics_port[$run]} \
    "$build/office365-messagetrace" office365_messagetrace_trigger_graph \
    --config-dir "$work/$run/config" --data-dir "$work/$run/data" >"$work/$run/trigger.log" 2>&1 &
  trigger_pid[$run]=$!
done
trigger_start=$(date +%s.%N)
since=$(iso $(( ${trigger_start%.*} + 2 )))
echo "   measured: records received from $since to $until (both simulators)"

measured=(--sim-a "${sim_url[A]}" --sim-b "${sim_url[B]}" --since "$since" --until "$until" --age "$last_age")

# Run until B has made its last re-read of the last window and both have read past the period,
# and every record state of the measured period is published or the latest state within the last
# age has been for a while; bounded by that plus a minute (a trigger that cannot keep up is
# measured as it stands then). States published later than the last re-read may still come.
done_rereading=$(awk -v u="$until_epoch" -v l="$last_reread" 'BEGIN { printf "%d", u + l + 0.999 }')
deadline=$(awk -v d="$done_rereading" -v m="$margin" 'BEGIN { printf "%d", d + m + 60 }')
published_at="" last_report=0
while :; do
  sleep 2
  now=$(date +%s)
  for run in A B; do
    kill -0 "${trigger_pid[$run]}" 2>/dev/null || { echo "trigger $run stopped early:"; tail -20 "$work/$run/trigger.log"; exit 1; }
  done
  # The checker's first line: states not yet published (A+B), whether A and B read past $until.
  progress=$("$checker" progress "${measured[@]}" --data-a "$work/A/data" --data-b "$work/B/data" \
    --elapsed $((now - sim_start)))
  { read -r unpublished passed_a passed_b; IFS= read -r progress_line; } <<<"$progress"
  if ((now - last_report >= 30)); then
    last_report=$now
    echo "$progress_line"
  fi
  if ((now >= until_epoch && (unpublished == 0 || now >= done_rereading))) && [ -z "$published_at" ]; then published_at=$now; fi
  if [ -n "$published_at" ] && ((now >= done_rereading)) &&
    awk -v n="$now" -v p="$published_at" -v m="$margin" 'BEGIN { exit !(n >= p + m) }' && ((passed_a && passed_b)); then
    break
  fi
  ((now < deadline)) || { echo "   deadline reached before both triggers had read past the period"; break; }
done

# What the checker measures at the end: the checkpoints and the triggers' metrics, before SIGTERM.
declare -A code
measured_at=$(date +%s)
for run in A B; do
  cp "$work/$run/data/context.json" "$work/$run/context-at-end.json" 2>/dev/null || true
  curl -fsS "http://127.0.0.1:${metrics_port[$run]}/metrics" >"$work/$run/metrics" ||
    { echo "trigger $run: no metrics on port ${metrics_port[$run]}"; exit 1; }
done
for run in A B; do kill -TERM "${trigger_pid[$run]}"; done
for run in A B; do
  set +e
  for _ in $(seq 150); do kill -0 "${trigger_pid[$run]}" 2>/dev/null || break; sleep 0.1; done
  wait "${trigger_pid[$run]}"
  code[$run]=$?
  set -e
done
trigger_seconds=$(awk -v s="$trigger_start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
"$checker" report "${measured[@]}" --context-a "$work/A/context-at-end.json" --context-b "$work/B/context-at-end.json" \
  --metrics-a "$work/A/metrics" --metrics-b "$work/B/metrics" --exit-a "${code[A]}" --exit-b "${code[B]}" \
  --ages "$ages" --lookback "$lookback" --scale "$scale" --scale-label "$label" --rate "$rate" \
  --measured-at "$measured_at" --trigger-seconds "$trigger_seconds"
