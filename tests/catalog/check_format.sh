#!/usr/bin/env bash
# The tree stays as .clang-format formats it: every .cpp/.hpp of module/, triggers/ and tests/
# (tests/s3/.node, npm's folder, aside). Prints the first differences and fails when one file
# differs. Usage: check_format.sh CLANG_FORMAT SOURCE_DIR
set -euo pipefail
clang_format=$1
cd "$2"
mapfile -d '' files < <(find module triggers tests -path tests/s3/.node -prune -o \
  \( -name '*.cpp' -o -name '*.hpp' \) -type f -print0)
if ! out=$("$clang_format" --dry-run --Werror "${files[@]}" 2>&1); then
  printf '%s\n' "$out" | head -40
  echo "check_format: $(printf '%s\n' "$out" | grep -c 'error:') lines are not as .clang-format" \
    "formats them; run: git clang-format (or clang-format -i FILE)" >&2
  exit 1
fi
echo "check_format: ${#files[@]} files formatted as .clang-format says"
