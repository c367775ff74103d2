#!/usr/bin/env bash
# Builds the trigger and the simulator, then runs the Graph trigger against a simulated tenant
# for a short bounded run: it backfills the tenant's last days, shows its progress, and ends
# with a summary: records served, forwarded, lost, duplicated. Exits non-zero if any was lost
# or duplicated.
#   scripts/demo.sh [--records N] [--days D] [--page-size N]
set -euo pipefail
cd "$(dirname "$0")/.."
records=30000 days=2.9 page_size=1000
while (($#)); do
  case "$1" in
    --records) records=$2; shift 2 ;;
    --days) days=$2; shift 2 ;;
    --page-size) page_size=$2; shift 2 ;;
    *) echo "usage: scripts/demo.sh [--records N] [--days D] [--page-size N]" >&2; exit 2 ;;
  esac
done
scripts/install-deps.sh
cmake -S . -B build -DBUILD_TESTING=ON >/dev/null
cmake --build build -j2 --target office365-messagetrace message-trace-simulator

work=$(mktemp -d)
sim_pid="" trigger_pid=""
cleanup() {
  [ -n "$trigger_pid" ] && kill "$trigger_pid" 2>/dev/null || true
  [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "== simulated tenant: $records message traces over the last $days days"
build/message-trace-simulator --port 0 --port-file "$work/port" --records "$records" --days "$days" \
  >"$work/simulator.log" 2>&1 &
sim_pid=$!
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.1; done
[ -s "$work/port" ] || { echo "the simulator did not start:"; cat "$work/simulator.log"; exit 1; }
sim="http://127.0.0.1:$(cat "$work/port")"

mkdir -p "$work/config" "$work/data"
hours=$(awk -v d="$days" 'BEGIN { printf "%d", d * 24 + 1 }')
cat >"$work/config/trigger_configuration" <<JSON
{"tenant_id": "00000000-0000-0000-0000-0000000000aa", "client_id": "11111111-2222-3333-4444-555555555555",
 "client_secret": "sim-secret", "intake_key": "sim-intake-key", "intake_server": "$sim",
 "graph_url": "$sim", "login_url": "$sim", "start_time": $hours, "page_size": $page_size}
JSON
echo "== trigger: office365_messagetrace_trigger_graph, start_time ${hours} h, page_size $page_size"
free_port() { local p; while :; do p=$(shuf -i 20000-60000 -n 1); (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }; done; }
LIVENESS_PORT=$(free_port) METRICS_PORT=$(free_port) TOKEN=sim-platform-token URL_LOGS="$sim/logs" \
  build/office365-messagetrace office365_messagetrace_trigger_graph \
  --config-dir "$work/config" --data-dir "$work/data" 2>&1 | sed 's/^/   | /' &
trigger_pid=$(jobs -p | tail -1)

# Caught up: the checkpoint holds no window in progress and is within 6 minutes of now.
caught_up=no
for _ in $(seq 240); do
  sleep 0.5
  [ -s "$work/data/context.json" ] || continue
  if jq -e 'has("window") | not' "$work/data/context.json" >/dev/null; then
    at=$(jq -r .most_recent_date_requested "$work/data/context.json")
    if (( $(date +%s) - $(date -d "$at" +%s) < 360 )); then caught_up=yes; break; fi
  fi
done
until=$(jq -r .most_recent_date_requested "$work/data/context.json")
pkill -TERM -f "office365-messagetrace office365_messagetrace_trigger_graph --config-dir $work/config" || true
wait "$trigger_pid" 2>/dev/null || true
trigger_pid=""

stats=$(curl -fsS "$sim/stats?until=$until")
served=$(jq .served_distinct <<<"$stats")
expected=$(jq .expected <<<"$stats")
forwarded=$(jq .received_total <<<"$stats")
lost=$(jq .missing <<<"$stats")
duplicated=$(jq .duplicates <<<"$stats")
requests=$(jq .graph_requests <<<"$stats")
echo
echo "== summary (caught up: $caught_up, checkpoint at $until)"
printf '   %-34s %s\n' "records in the collected period" "$expected" "records served by Microsoft (sim)" "$served" \
  "records forwarded to the intake" "$forwarded" "lost" "$lost" "duplicated" "$duplicated" \
  "Graph requests" "$requests"
[ "$caught_up" = yes ] && [ "$lost" -eq 0 ] && [ "$duplicated" -eq 0 ]
