#!/usr/bin/env bash
# Installs the Debian 12 packages the build and the tests need, when some are missing.
set -euo pipefail
packages=(g++ cmake make pkg-config libcurl4-openssl-dev libcpp-httplib-dev zlib1g-dev
          nlohmann-json3-dev libboost-program-options-dev libssl-dev
          googletest libgtest-dev clang-format curl jq ca-certificates inotify-tools nodejs)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# npm comes with some nodejs builds (NodeSource's), as its own Debian package otherwise.
command -v npm >/dev/null || missing+=(npm)
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then echo "run as root (or install them): ${missing[*]}" >&2; exit 1; fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The S3 server the object-storage integration tests run (npm, into tests/s3/.node).
"$(dirname "$0")/../tests/s3/install-s3rver.sh"
