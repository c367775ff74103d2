#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang (ASan + UBSan) in build-fuzz/ and runs
# each for N seconds, two at a time, with corpora seeded from ../shared/samples (else tests/data).
#   scripts/fuzz.sh [--seconds N] [--jobs J] [--only target,...]
# Exits non-zero if a target found a crash, a leak or a sanitizer report; the input that caused it
# is kept in build-fuzz/artifacts/<target>/, the log in build-fuzz/logs/<target>.log.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
seconds=600
jobs=2
only=""
while (($#)); do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --jobs) jobs="$2"; shift 2 ;;
    --only) only="$2"; shift 2 ;;
    *) echo "usage: scripts/fuzz.sh [--seconds N] [--jobs J] [--only target,...]" >&2; exit 2 ;;
  esac
done
targets=(graph_page_fuzzer reporting_verbose_fuzzer reporting_light_fuzzer retry_after_fuzzer config_fuzzer
         checkpoint_fuzzer url_fuzzer header_fuzzer)
if [ -n "$only" ]; then IFS=, read -r -a targets <<<"$only"; fi

scripts/install-deps.sh
need=()
for p in clang-14 libclang-rt-14-dev openssl; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if ((${#need[@]})); then
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

build=build-fuzz
cmake --preset fuzz >/dev/null  # $build: clang++-14, RelWithDebInfo, FUZZ=ON, no tests
cmake --build "$build" -j2 --target "${targets[@]}"

samples="$root/../shared/samples"
[ -d "$samples" ] || samples="$root/tests/data"
seeds="$build/seeds"
rm -rf "$seeds"
mkdir -p "$seeds"/{graph_page,reporting_verbose,reporting_light,retry_after,config,checkpoint,url,header}
cp "$samples"/graph_page.json "$samples"/graph_record.json "$seeds/graph_page/"
cp "$samples"/legacy_verbose_page.json "$seeds/reporting_verbose/"
cp "$samples"/legacy_light_page.json "$seeds/reporting_light/"
# Inputs that once failed stay in every run: tests/fuzz/regressions/<target>/.
for dir in tests/fuzz/regressions/*/; do
  name=$(basename "$dir")
  if [ -d "$seeds/$name" ]; then cp "$dir"* "$seeds/$name/"; fi
done
i=0
for value in "120" "0" " 7 " "Wed, 21 Oct 2015 07:28:00 GMT" "Sun, 06 Nov 2044 08:49:37 GMT" "1.5" "-3"; do
  printf '%s' "$value" >"$seeds/retry_after/seed$((i++))"
done
printf '%s' '{"most_recent_date_requested":"2026-01-21T14:12:34Z"}' >"$seeds/checkpoint/fresh"
i=0
for value in "https://graph.microsoft.com/v1.0/admin/exchange/tracing/messageTraces?\$skiptoken=abc" \
             "http://[::1]:8080/ecp/reportingwebservice/reporting.svc/MessageTrace?\$format=json" \
             "https://user:p%40ss@graph.test/" "http://127.0.0.1:9/a#frag" "HTTPS://[2001:DB8::1]:443" \
             "https://graph.test/a\r\nHost: evil"; do
  printf '%b' "$value" >"$seeds/url/seed$((i++))"
done
i=0
for value in 'eyJ0eXAi.eyJhdWQi.c2ln\0{"error_description":"eyJ0eXAi.eyJhdWQi.c2ln"}' \
             'pa ss/w"rd&\xc3\xa9\0client_secret=pa%20ss%2Fw%22rd%26%C3%A9&scope=x' \
             'token\r\nX-Injected: 1\0Authorization: Bearer token' 'QWxhZGRpbjpvcGVu\0https://a:b@host/'; do
  printf '%b' "$value" >"$seeds/header/seed$((i++))"
done
printf '%s' '{"most_recent_date_requested":"2026-01-21T14:12:34Z","window":{"start":"2026-01-20T00:00:00Z","end":"2026-01-21T14:12:34.123456Z","rows_read":4000,"next_link":"https://graph.microsoft.com/v1.0/admin/exchange/tracing/messageTraces?$skiptoken=abc"}}' \
  >"$seeds/checkpoint/window"
common='"intake_key":"k3y-of-the-intake","intake_server":"https://intake.sekoia.io","frequency":60,"timedelta":5,"start_time":"1","chunk_size":1000'
printf '{"tenant_id":"00000000-0000-0000-0000-0000000000aa","client_id":"c","client_secret":"s3cret",%s,"page_size":500,"api_version":"beta","graph_url":"http://127.0.0.1:8080/"}' \
  "$common" >"$seeds/config/graph"
printf '{"account_name":"a@b.c","account_password":"p4ss",%s,"reporting_url":"https://reports.office365.com/x"}' \
  "$common" >"$seeds/config/basic"
# A certificate credential, generated now (never committed): the loader parses both PEMs.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/key.pem" -out "$tmp/cert.pem" -days 2 \
  -subj "/CN=fuzz-test-only" 2>/dev/null
jq -n --rawfile cert "$tmp/cert.pem" --rawfile key "$tmp/key.pem" \
  '{tenant_id:"contoso.onmicrosoft.com",client_id:"c",client_certificate:$cert,client_private_key:$key,
    intake_key:"k3y-of-the-intake",ca_bundle:$cert}' >"$seeds/config/certificate"

run() {
  local target=$1 name=${1%_fuzzer}
  local corpus="$build/corpus/$name" artifacts="$build/artifacts/$name/" log="$build/logs/$target.log"
  # URLs and header values have their own dictionary; every other target reads JSON.
  local dict="$root/tests/fuzz/json.dict"
  case "$name" in url | header) dict="$root/tests/fuzz/url.dict" ;; esac
  mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
  local start=$(date +%s) status=0
  "$build/tests/fuzz/$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -dict="$dict" -artifact_prefix="$artifacts" "$corpus" "$seeds/$name" >"$log" 2>&1 || status=$?
  local runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  local result=ok
  if ((status != 0)) || grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:' "$log"; then
    result="FAILED (exit $status; see $log)"
  fi
  printf '%-26s %5d s  %12s runs  %s\n' "$target" "$(( $(date +%s) - start ))" "${runs:-?}" "$result" \
    | tee -a "$build/logs/summary.txt"
  [ "$result" = ok ]
}

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
mkdir -p "$build/logs"
: >"$build/logs/summary.txt"
echo "fuzzing ${#targets[@]} target(s), $seconds s each, $jobs at a time"
failed=0
pids=()
for target in "${targets[@]}"; do
  while (($(jobs -rp | wc -l) >= jobs)); do wait -n || failed=1; done
  run "$target" &
done
while (($(jobs -rp | wc -l) > 0)); do wait -n || failed=1; done
exit "$failed"
