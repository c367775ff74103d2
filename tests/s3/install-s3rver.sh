#!/usr/bin/env bash
# Installs s3rver (a Node implementation of the S3 REST API) where the integration tests look for
# it, tests/s3/.node/node_modules/.bin/s3rver, when it is not there yet. The object storage tests
# run the trigger against it on loopback; they fail (not skip) without it.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
prefix="$here/.node"
version=3.7.1
if [ -x "$prefix/node_modules/.bin/s3rver" ] &&
   [ "$(node -p "require('$prefix/node_modules/s3rver/package.json').version" 2>/dev/null)" = "$version" ]; then
  exit 0
fi
command -v npm >/dev/null || { echo "npm is missing: install the Debian packages nodejs and npm (scripts/install-deps.sh)" >&2; exit 1; }
echo "installing s3rver $version into $prefix"
mkdir -p "$prefix"
# --no-save --no-package-lock: only node_modules/ is written (no package.json beside it for the
# catalog's JSON checks to find).
npm install --no-audit --no-fund --no-save --no-package-lock --loglevel=error --prefix "$prefix" "s3rver@$version" >/dev/null
"$prefix/node_modules/.bin/s3rver" --version >/dev/null
