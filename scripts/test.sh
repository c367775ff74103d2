#!/usr/bin/env bash
# Builds everything once and runs every test (unit and integration) through ctest, then a short
# fault-injecting soak (scripts/soak.sh, about 90 s) on the same build.
#   scripts/test.sh             Release-like build in build/
#   scripts/test.sh --sanitize  AddressSanitizer + UndefinedBehaviorSanitizer build in build-sanitize/:
#                               the same tests and soak, every report fatal. CI runs this one only, so
#                               the project is compiled once for the tests (and once in the image).
set -euo pipefail
cd "$(dirname "$0")/.."
# The configure presets of CMakePresets.json: release (build/) and sanitize (build-sanitize/).
build=build preset=release
for arg in "$@"; do
  case "$arg" in
    --sanitize) build=build-sanitize preset=sanitize ;;
    *) echo "usage: scripts/test.sh [--sanitize]" >&2; exit 2 ;;
  esac
done
scripts/install-deps.sh
if [ "$build" = build-sanitize ]; then
  # Any report fails the test that caused it: UBSan stops the process, ASan and LeakSanitizer
  # exit non-zero. The suppression files would name reports inside third-party code the project
  # cannot avoid, each with its reason; there are none since cpprestsdk left.
  export ASAN_OPTIONS="detect_leaks=1:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1"
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:suppressions=$PWD/tests/sanitizers/ubsan.supp"
  export LSAN_OPTIONS="suppressions=$PWD/tests/sanitizers/lsan.supp:print_suppressions=0"
fi
start=$(date +%s)
cmake --preset "$preset" >/dev/null
cmake --build "$build" -j2
echo "build: $(( $(date +%s) - start )) s"
(cd "$build" && ctest --output-on-failure -j2 --timeout 300)
scripts/soak.sh --minutes 1.5 --records 20000 --build-dir "$build"
