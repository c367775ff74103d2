#!/usr/bin/env bash
# Installs the Debian 12 packages the build and the tests need, when some are missing.
set -euo pipefail
packages=(g++ cmake make pkg-config libcpprest-dev libcpp-httplib-dev nlohmann-json3-dev
          libboost-program-options-dev libssl-dev
          googletest libgtest-dev curl jq ca-certificates inotify-tools)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then echo "run as root (or install them): ${missing[*]}" >&2; exit 1; fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
