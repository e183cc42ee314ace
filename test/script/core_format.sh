#!/usr/bin/env bash
# Every C file of the repository (core, both glues, the command, the tests
# and fuzz targets) is formatted as .clang-format says: a file that
# clang-format would change fails, with the first lines of the change.
# Format before committing: git ls-files '*.c' '*.h' | xargs clang-format -i
set -eu
cd "$(dirname "$0")/../.."
command -v clang-format >/dev/null || { echo "FAIL: clang-format missing (test/harness/packages.txt)"; exit 1; }
bad=0
checked=0
while IFS= read -r f; do
  checked=$((checked + 1))
  if ! clang-format "$f" | cmp -s - "$f"; then
    bad=$((bad + 1))
    echo "FAIL: $f is not formatted:"
    clang-format "$f" | diff -u "$f" - | sed -n '3,12p' | sed 's/^/    /'
  fi
done < <(git ls-files '*.c' '*.h')
[ "$checked" -gt 100 ] || { echo "FAIL: only $checked C files found"; exit 1; }
[ "$bad" = 0 ] || { echo "FAIL: $bad of $checked files not formatted"; exit 1; }
echo "ok: $checked C files formatted"
