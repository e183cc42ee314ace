#!/usr/bin/env bash
# Every C file of the repository (core, both glues, the command, the tests
# and fuzz targets) is formatted as .clang-format says: a file that
# clang-format would change fails, with the first lines of the change.
# Format before committing: git ls-files '*.c' '*.h' | xargs clang-format -i
# One clang-format reads all the files (--dry-run -Werror: an error at each
# change it would make, the file named): its start-up, LLVM's libraries
# loaded, cost more than formatting a file, once a file 30 CPU seconds.
set -eu
cd "$(dirname "$0")/../.."
command -v clang-format >/dev/null || { echo "FAIL: clang-format missing (test/harness/packages.txt)"; exit 1; }
mapfile -t files < <(git ls-files '*.c' '*.h')
checked=${#files[@]}
[ "$checked" -gt 100 ] || { echo "FAIL: only $checked C files found"; exit 1; }
rc=0
out=$(clang-format --dry-run -Werror "${files[@]}" 2>&1) || rc=$?
mapfile -t unformatted < <(sed -n 's/^\(.*\):[0-9]*:[0-9]*: error: code should be clang-formatted.*/\1/p' <<<"$out" | sort -u)
if [ "$rc" != 0 ] && [ ${#unformatted[@]} = 0 ]; then
  echo "FAIL: clang-format failed (exit $rc):"; head -20 <<<"$out" | sed 's/^/    /'; exit 1
fi
[ "$rc" != 0 ] || [ -z "$out" ] || { echo "FAIL: clang-format said:"; head -20 <<<"$out" | sed 's/^/    /'; exit 1; }
for f in "${unformatted[@]}"; do
  echo "FAIL: $f is not formatted:"
  clang-format "$f" | diff -u "$f" - | sed -n '3,12p' | sed 's/^/    /'
done
bad=${#unformatted[@]}
[ "$bad" = 0 ] || { echo "FAIL: $bad of $checked files not formatted"; exit 1; }
echo "ok: $checked C files formatted"
