#!/usr/bin/env bash
# Builds everything and runs every test (unit and integration) through ctest.
#   scripts/test.sh             Release-like build in build/
#   scripts/test.sh --sanitize  AddressSanitizer + UndefinedBehaviorSanitizer build in build-sanitize/
set -euo pipefail
cd "$(dirname "$0")/.."
build=build
flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo)
for arg in "$@"; do
  case "$arg" in
    --sanitize) build=build-sanitize; flags=(-DCMAKE_BUILD_TYPE=Debug -DSANITIZE=ON) ;;
    *) echo "usage: scripts/test.sh [--sanitize]" >&2; exit 2 ;;
  esac
done
scripts/install-deps.sh
start=$(date +%s)
cmake -S . -B "$build" -DBUILD_TESTING=ON -DWERROR=ON "${flags[@]}" >/dev/null
cmake --build "$build" -j2
echo "build: $(( $(date +%s) - start )) s"
cd "$build"
ctest --output-on-failure -j2 --timeout 300
