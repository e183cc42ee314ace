#!/usr/bin/env bash
# Loading the module twice on one connection while dbmonitor traces is a
# no-op, not a use-after-free: run under valgrind so a freed tracer shows.
set -euo pipefail
module=${DBCARE_SQLITE_MODULE:?}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat > "$work/t.sql" <<SQL
SELECT dbmonitor_start(0, 1);
.load $module
SELECT 'after second load';
SELECT count(*) > 0 FROM dbmonitor_slow;
SELECT dbmonitor_stop();
SQL
run=(sqlite3)
if command -v valgrind >/dev/null; then
  run=(valgrind -q --error-exitcode=99 --leak-check=no sqlite3)
fi
out=$("${run[@]}" -batch -cmd ".load $module" "$work/t.db" < "$work/t.sql" 2>&1)
expected=$'1\nafter second load\n1\n1'
if [ "$out" != "$expected" ]; then
  echo "unexpected output:"; echo "$out"; exit 1
fi
echo ok
