#!/usr/bin/env bash
# Measures what the Graph trigger collects when Exchange Online publishes records late and
# changes their status afterwards (issue 6): two simulators with the same seed and late
# publication, one trigger against each, at the same time, in compressed time:
#   A: lookback 0 (each window queried once, timedelta behind now: the Python trigger's way)
#   B: lookback (default the trigger's default, 60 minutes), same timedelta and frequency
# and prints, for each: records published, received, recall, status changes received,
# duplicates, requests per hour; then B's recall for records published at most `lookback` late.
# Exits non-zero if B forwarded a duplicate or missed a record state published within its
# lookback, or if a trigger did not stop cleanly.
#
#   scripts/latency-recall.sh [--scale S] [--minutes N] [--lookback M] [--rate R] [--seed N]
#                             [--build-dir DIR]
#   --scale S      time compression, a fraction or a number (default 1/20: an hour of
#                  Microsoft's time passes in 3 minutes); delays, timedelta, lookback and
#                  frequency are all multiplied by it
#   --minutes N    minutes (Microsoft's time) during which records arrive (default 30)
#   --lookback M   B's lookback in minutes of Microsoft's time (default 60, the trigger's default)
#   --rate R       records per hour of Microsoft's time (default 4000, about 96,000 a day)
#   --seed N       the simulated tenant (default 11)
#   --build-dir D  build directory (default build)
# Everything runs on 127.0.0.1; a default run takes about 8 minutes after the build.
set -euo pipefail
cd "$(dirname "$0")/.."

scale_text=1/20 minutes=30 lookback=60 rate=4000 seed=11 build=build
usage() {
  echo "usage: scripts/latency-recall.sh [--scale S] [--minutes N] [--lookback M] [--rate R] [--seed N] [--build-dir DIR]" >&2
  exit 2
}
while (($#)); do
  case "$1" in
    --scale) scale_text=${2:-}; shift 2 || usage ;;
    --minutes) minutes=${2:-}; shift 2 || usage ;;
    --lookback) lookback=${2:-}; shift 2 || usage ;;
    --rate) rate=${2:-}; shift 2 || usage ;;
    --seed) seed=${2:-}; shift 2 || usage ;;
    --build-dir) build=${2:-}; shift 2 || usage ;;
    *) usage ;;
  esac
done
number='^[0-9]+([.][0-9]+)?$'
[[ $scale_text =~ ^[0-9]+([.][0-9]+)?(/[0-9]+([.][0-9]+)?)?$ ]] || { echo "--scale: a number or a fraction such as 1/20" >&2; exit 2; }
for value in "$minutes" "$lookback" "$rate"; do [[ $value =~ $number ]] || usage; done
[[ $seed =~ ^[0-9]+$ ]] || usage
scale=$(awk -v s="$scale_text" 'BEGIN { n = split(s, p, "/"); printf "%.6g", n == 2 ? p[1] / p[2] : p[1] }')
awk -v s="$scale" 'BEGIN { exit !(s > 0 && s <= 1) }' || { echo "--scale must be within (0, 1]" >&2; exit 2; }

scripts/install-deps.sh
[ -f "$build/CMakeCache.txt" ] || cmake -S . -B "$build" -DBUILD_TESTING=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j2 --target office365-messagetrace message-trace-simulator >/dev/null

calc() { awk "BEGIN { printf \"%.6g\", $1 }"; }
timedelta=$(calc "5 * $scale")                         # trigger minutes
lookback_b=$(calc "$lookback * $scale")                # trigger minutes
frequency=$(awk -v s="$scale" 'BEGIN { f = int(60 * s + 0.5); print f < 1 ? 1 : f }')  # seconds
future=$(calc "$minutes * $scale")                     # real minutes during which records arrive
records=$(awk -v r="$rate" -v m="$minutes" 'BEGIN { printf "%d", r * m / 60 + 0.5 }')
tail_seconds=$(calc "120 * 60 * $scale")               # the latest final state: two delays of 60 min
margin=$(calc "$timedelta * 60 + 2 * $frequency + 5")  # after the last publication, for B's next query
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
echo "   A: lookback 0, timedelta 5 min, frequency 60 s      B: lookback $lookback min, timedelta 5 min, frequency 60 s"
echo "   (real: timedelta ${timedelta} min, lookback ${lookback_b} min, frequency ${frequency} s)"

# Both simulators place their records from the same reference time: the same tenant, exactly.
sim_start=$(date +%s)
reference=$(iso "$sim_start")
declare -A sim_url trigger_pid
for run in A B; do
  mkdir -p "$work/$run/config" "$work/$run/data"
  "$build/message-trace-simulator" --port 0 --port-file "$work/$run/port" --seed "$seed" --records "$records" \
    --days 0.00002 --future-minutes "$future" --late-publication --delay-scale "$scale" --reference-time "$reference" \
    >"$work/$run/simulator.log" 2>&1 &
done
for run in A B; do
  for _ in $(seq 300); do [ -s "$work/$run/port" ] && break; sleep 0.1; done
  [ -s "$work/$run/port" ] || { echo "simulator $run did not start:"; cat "$work/$run/simulator.log"; exit 1; }
  sim_url[$run]="http://127.0.0.1:$(cat "$work/$run/port")"
done
until_epoch=$((sim_start + $(awk -v f="$future" 'BEGIN { printf "%d", f * 60 + 1.999 }')))
until=$(iso "$until_epoch")

for run in A B; do
  lb=0
  [ "$run" = B ] && lb=$lookback_b
  cat >"$work/$run/config/trigger_configuration" <<JSON
{"tenant_id": "00000000-0000-0000-0000-0000000000aa", "client_id": "11111111-2222-3333-4444-555555555555",
 "client_secret": "sim-secret", "intake_key": "sim-intake-key", "intake_server": "${sim_url[$run]}",
 "graph_url": "${sim_url[$run]}", "login_url": "${sim_url[$run]}", "start_time": 0,
 "timedelta": $timedelta, "lookback": $lb, "frequency": $frequency}
JSON
  LIVENESS_PORT=$(free_port) METRICS_PORT=$(free_port) \
    "$build/office365-messagetrace" office365_messagetrace_trigger_graph \
    --config-dir "$work/$run/config" --data-dir "$work/$run/data" >"$work/$run/trigger.log" 2>&1 &
  trigger_pid[$run]=$!
done
trigger_start=$(date +%s.%N)
since=$(iso $(( ${trigger_start%.*} + 2 )))
echo "   measured: records received from $since to $until (both simulators)"

stats() { curl -fsS "${sim_url[$1]}/stats?since=$since&until=$until&delay_at_most=$lookback"; }
checkpoint() { jq -r '.most_recent_date_requested // ""' "$work/$1/data/context.json" 2>/dev/null || true; }

# Run until every record state of the measured period is published, then long enough for B's
# next query; bounded by the latest possible publication plus a minute.
deadline=$(awk -v u="$until_epoch" -v t="$tail_seconds" -v m="$margin" 'BEGIN { printf "%d", u + t + m + 60 }')
published_at="" last_report=0
while :; do
  sleep 2
  now=$(date +%s)
  for run in A B; do
    kill -0 "${trigger_pid[$run]}" 2>/dev/null || { echo "trigger $run stopped early:"; tail -20 "$work/$run/trigger.log"; exit 1; }
  done
  sa=$(stats A) sb=$(stats B)
  unpublished=$(( $(jq .unpublished <<<"$sa") + $(jq .unpublished <<<"$sb") ))
  if ((now - last_report >= 30)); then
    last_report=$now
    printf '   %4ds  A received %5s  B received %5s  not yet published (A+B) %5s\n' $((now - sim_start)) \
      "$(jq .published_received <<<"$sa")" "$(jq .published_received <<<"$sb")" "$unpublished"
  fi
  if ((now >= until_epoch && unpublished == 0)) && [ -z "$published_at" ]; then published_at=$now; fi
  if [ -n "$published_at" ] && awk -v n="$now" -v p="$published_at" -v m="$margin" 'BEGIN { exit !(n >= p + m) }'; then
    passed=yes
    for run in A B; do [[ "$(checkpoint $run)" > "$until" || "$(checkpoint $run)" == "$until" ]] || passed=no; done
    [ "$passed" = yes ] && break
  fi
  ((now < deadline)) || { echo "   deadline reached before every record was published and read"; break; }
done

declare -A code
for run in A B; do kill -TERM "${trigger_pid[$run]}"; done
for run in A B; do
  set +e
  for _ in $(seq 150); do kill -0 "${trigger_pid[$run]}" 2>/dev/null || break; sleep 0.1; done
  wait "${trigger_pid[$run]}"
  code[$run]=$?
  set -e
done
trigger_seconds=$(awk -v s="$trigger_start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
sa=$(stats A) sb=$(stats B)

field() { jq -r "$2" <<<"$1"; }
pct() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "-"; else printf "%.1f%%", 100 * a / b }'; }
rph() { awk -v r="$1" -v t="$trigger_seconds" -v s="$2" 'BEGIN { printf "%.0f", r / t * 3600 * s }'; }
budget_waits() { grep -c "budget of .* is used up" "$work/$1/trigger.log" || true; }
row() { printf '   %-44s %-22s %s\n' "$1" "$2" "$3"; }

echo
echo "== results (scale $label; requests per hour in Microsoft's time = real x $scale)"
row "" "A: lookback 0" "B: lookback $lookback min"
row "records published (states visible at the end)" "$(field "$sa" .published)" "$(field "$sb" .published)"
row "records received (in their current state)" "$(field "$sa" .published_received)" "$(field "$sb" .published_received)"
row "recall" "$(pct "$(field "$sa" .published_received)" "$(field "$sa" .published)")" \
  "$(pct "$(field "$sb" .published_received)" "$(field "$sb" .published)")"
row "status changes received / published" "$(field "$sa" .status_changes_received) / $(field "$sa" .status_changes_published)" \
  "$(field "$sb" .status_changes_received) / $(field "$sb" .status_changes_published)"
row "stale (only the pending state received)" "$(field "$sa" .stale)" "$(field "$sb" .stale)"
row "record states received (pending included)" "$(field "$sa" .received_states)" "$(field "$sb" .received_states)"
row "duplicates" "$(field "$sa" .duplicates)" "$(field "$sb" .duplicates)"
row "Graph requests" "$(field "$sa" .graph_requests)" "$(field "$sb" .graph_requests)"
row "records read from Graph (repeats included)" "$(field "$sa" .graph_records_served)" "$(field "$sb" .graph_records_served)"
row "requests per hour, real" "$(rph "$(field "$sa" .graph_requests)" 1)" "$(rph "$(field "$sb" .graph_requests)" 1)"
row "requests per hour, Microsoft's time" "$(rph "$(field "$sa" .graph_requests)" "$scale")" \
  "$(rph "$(field "$sb" .graph_requests)" "$scale")"
row "budget waits logged" "$(budget_waits A)" "$(budget_waits B)"
row "recall, published at most $lookback min late" \
  "$(pct "$(field "$sa" .within_delay.received)" "$(field "$sa" .within_delay.published)") ($(field "$sa" .within_delay.received) / $(field "$sa" .within_delay.published))" \
  "$(pct "$(field "$sb" .within_delay.received)" "$(field "$sb" .within_delay.published)") ($(field "$sb" .within_delay.received) / $(field "$sb" .within_delay.published))"
row "status changes within $lookback min received" \
  "$(field "$sa" .within_delay.status_changes_received) / $(field "$sa" .within_delay.status_changes_published)" \
  "$(field "$sb" .within_delay.status_changes_received) / $(field "$sb" .within_delay.status_changes_published)"
row "trigger exit code (SIGTERM)" "${code[A]}" "${code[B]}"
if (( $(budget_waits A) + $(budget_waits B) > 0 )); then
  echo "   (budget waits: the trigger's budget runs in real time, 100 requests per 5 minutes, and one"
  echo "   request per ${frequency}-second cycle reaches it; at scale ${label} that is an artefact of the"
  echo "   compression: in Microsoft's time the runs make $(rph "$(field "$sa" .graph_requests)" "$scale") and" \
    "$(rph "$(field "$sb" .graph_requests)" "$scale") of the 1,200 requests an hour allows)"
fi
echo
echo "   by publication delay (minutes of Microsoft's time): received / published"
for i in $(seq 0 $(( $(jq '.by_delay | length' <<<"$sb") - 1 ))); do
  bucket=$(jq -r ".by_delay[$i] | \"\(.from_minutes)-\(.to_minutes // \"\")\"" <<<"$sb")
  row "  $bucket" "$(jq -r ".by_delay[$i] | \"\(.received) / \(.published)\"" <<<"$sa")" \
    "$(jq -r ".by_delay[$i] | \"\(.received) / \(.published)\"" <<<"$sb")"
done

failures=()
[ "$(field "$sb" .duplicates)" = 0 ] || failures+=("B forwarded duplicates")
[ "$(field "$sb" .within_delay.received)" = "$(field "$sb" .within_delay.published)" ] ||
  failures+=("B missed record states published within its lookback")
[ "${code[A]}" = 0 ] && [ "${code[B]}" = 0 ] || failures+=("a trigger did not exit 0 on SIGTERM")
for run in A B; do
  [[ "$(checkpoint $run)" > "$until" || "$(checkpoint $run)" == "$until" ]] || failures+=("trigger $run did not pass $until")
done
echo
if ((${#failures[@]})); then
  printf '== FAILED: %s\n' "${failures[@]}"
  exit 1
fi
echo "== B: 0 duplicates, every record state published within the lookback received"
