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
# last re-read age, did not keep up, or if a trigger did not stop cleanly.
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
cmake --build "$build" -j2 --target office365-messagetrace message-trace-simulator >/dev/null

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
declare -A sim_url trigger_pid
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
  OFFICE365_BUDGET_PERIOD_SECONDS=$period LIVENESS_PORT=$(free_port) METRICS_PORT=$(free_port) \
    "$build/office365-messagetrace" office365_messagetrace_trigger_graph \
    --config-dir "$work/$run/config" --data-dir "$work/$run/data" >"$work/$run/trigger.log" 2>&1 &
  trigger_pid[$run]=$!
done
trigger_start=$(date +%s.%N)
since=$(iso $(( ${trigger_start%.*} + 2 )))
echo "   measured: records received from $since to $until (both simulators)"

stats() { curl -fsS "${sim_url[$1]}/stats?since=$since&until=$until&delay_at_most=$last_age"; }
checkpoint() { jq -r '.most_recent_date_requested // ""' "$work/$1/data/context.json" 2>/dev/null || true; }
passed_until() { [[ "$(checkpoint "$1")" > "$until" || "$(checkpoint "$1")" == "$until" ]]; }

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
  sa=$(stats A) sb=$(stats B)
  unpublished=$(( $(jq .unpublished <<<"$sa") + $(jq .unpublished <<<"$sb") ))
  if ((now - last_report >= 30)); then
    last_report=$now
    printf '   %4ds  A received %7s  B received %7s  not yet published (A+B) %7s\n' $((now - sim_start)) \
      "$(jq .published_received <<<"$sa")" "$(jq .published_received <<<"$sb")" "$unpublished"
  fi
  if ((now >= until_epoch && (unpublished == 0 || now >= done_rereading))) && [ -z "$published_at" ]; then published_at=$now; fi
  if [ -n "$published_at" ] && ((now >= done_rereading)) &&
    awk -v n="$now" -v p="$published_at" -v m="$margin" 'BEGIN { exit !(n >= p + m) }' && passed_until A && passed_until B; then
    break
  fi
  ((now < deadline)) || { echo "   deadline reached before both triggers had read past the period"; break; }
done

declare -A code behind
for run in A B; do
  position=$(checkpoint $run)
  behind[$run]=$(awk -v n="$(date +%s)" -v p="$(date -u -d "${position:-@0}" +%s)" -v s="$scale" -v t="$timedelta" \
    'BEGIN { b = (n - p) / 60 / s - t / s; printf "%.0f", b < 0 ? 0 : b }')
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
sa=$(stats A) sb=$(stats B)

field() { jq -r "$2" <<<"$1"; }
pct() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "-"; else printf "%.1f%%", 100 * a / b }'; }
rph() { awk -v r="$1" -v t="$trigger_seconds" -v s="$2" 'BEGIN { printf "%.0f", r / t * 3600 * s }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "-"; else printf "%.2f", a / b }'; }
budget_waits() { grep -c "budget of .* is used up" "$work/$1/trigger.log" || true; }
minutes_of() { jq -r "if .freshness_minutes then (.freshness_minutes.$2 * 10 | round / 10 | tostring) + \" min\" else \"-\" end" <<<"$1"; }
# The largest rate within the budget, from this run's figures: rows read per record of the
# tenant (k) and requests per hour (q); at the rate R the full pages are R k / 5000 an hour, the
# other requests (about one a query) do not grow with the rate: R max = (960 - (q - R k / 5000))
# x 5000 / k. Meaningful for a run that kept up (a run held back by the budget reads less).
sustained() {
  awk -v q="$(rph "$(field "$1" .graph_requests)" "$scale")" -v rows="$(field "$1" .graph_records_served)" \
    -v n="$(field "$1" .tenant_records)" -v r="$rate" 'BEGIN {
      if (n == 0 || rows == 0) { print "-"; exit }
      k = rows / n; fixed = q - r * k / 5000; if (fixed < 0) fixed = 0
      printf "%.0f", (960 - fixed) * 5000 / k }'
}
row() { printf '   %-52s %-22s %s\n' "$1" "$2" "$3"; }

echo
echo "== results (scale $label; per hour = Microsoft's time; the budget: 80 per 5 minutes = 960 an hour)"
row "" "A: full lookback $lookback" "B: re-reads $ages"
row "records published (states visible at the end)" "$(field "$sa" .published)" "$(field "$sb" .published)"
row "recall, published at most $last_age min late" \
  "$(pct "$(field "$sa" .within_delay.received)" "$(field "$sa" .within_delay.published)") ($(field "$sa" .within_delay.received) / $(field "$sa" .within_delay.published))" \
  "$(pct "$(field "$sb" .within_delay.received)" "$(field "$sb" .within_delay.published)") ($(field "$sb" .within_delay.received) / $(field "$sb" .within_delay.published))"
row "recall, all" "$(pct "$(field "$sa" .published_received)" "$(field "$sa" .published)")" \
  "$(pct "$(field "$sb" .published_received)" "$(field "$sb" .published)")"
row "status changes received / published (within $last_age min)" \
  "$(field "$sa" .within_delay.status_changes_received) / $(field "$sa" .within_delay.status_changes_published)" \
  "$(field "$sb" .within_delay.status_changes_received) / $(field "$sb" .within_delay.status_changes_published)"
row "duplicates" "$(field "$sa" .duplicates)" "$(field "$sb" .duplicates)"
row "rows read from Graph" "$(field "$sa" .graph_records_served)" "$(field "$sb" .graph_records_served)"
row "distinct record states received" "$(field "$sa" .received_distinct)" "$(field "$sb" .received_distinct)"
row "rows read per record of the tenant" "$(ratio "$(field "$sa" .graph_records_served)" "$(field "$sa" .tenant_records)")" \
  "$(ratio "$(field "$sb" .graph_records_served)" "$(field "$sb" .tenant_records)")"
row "rows read per distinct record state" "$(ratio "$(field "$sa" .graph_records_served)" "$(field "$sa" .received_distinct)")" \
  "$(ratio "$(field "$sb" .graph_records_served)" "$(field "$sb" .received_distinct)")"
row "Graph requests" "$(field "$sa" .graph_requests)" "$(field "$sb" .graph_requests)"
row "requests per hour (budget 960)" "$(rph "$(field "$sa" .graph_requests)" "$scale")" "$(rph "$(field "$sb" .graph_requests)" "$scale")"
row "budget waits logged / 429s" "$(budget_waits A) / $(field "$sa" .throttled)" "$(budget_waits B) / $(field "$sb" .throttled)"
row "freshness, publication to intake: median" "$(minutes_of "$sa" median)" "$(minutes_of "$sb" median)"
row "freshness: 99th percentile" "$(minutes_of "$sa" p99)" "$(minutes_of "$sb" p99)"
row "first reads behind at the end (beyond timedelta)" "${behind[A]} min" "${behind[B]} min"
row "largest rate within the budget (from this run)" "$(sustained "$sa")/h" "$(sustained "$sb")/h"
row "trigger exit code (SIGTERM)" "${code[A]}" "${code[B]}"
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
  failures+=("B missed record states published within its last re-read age")
[ "${code[A]}" = 0 ] && [ "${code[B]}" = 0 ] || failures+=("a trigger did not exit 0 on SIGTERM")
passed_until B || failures+=("trigger B did not pass $until")
passed_until A || echo "   A did not keep up: its first reads ended ${behind[A]} minutes behind"
echo
if ((${#failures[@]})); then
  printf '== FAILED: %s\n' "${failures[@]}"
  exit 1
fi
echo "== B: 0 duplicates, every record state published within $last_age minutes received"
