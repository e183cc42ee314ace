#!/usr/bin/env bash
# What an audited transaction of one INSERT costs on SQLite beside the same
# transaction unaudited, each statement prepared anew as the sqlite3 shell,
# scripts and applications that build SQL text run them (issue 54: "one
# transaction per INSERT"; docs/benchmarks.md, "The log's triggers one call
# each"). Preparing an INSERT into an audited table codes its trigger
# programs, and within them the log's own triggers, every time: when the
# log's completing TEMP triggers held whole statements (a BEFORE trigger
# inserting the finished row, whose own INSERT coded the log's triggers
# again) an audited statement cost 38 times the unaudited one in
# instructions; one call each makes it about 21 times. Counted by callgrind
# (instructions, not time: the count does not move with the machine's
# load), the run with the rows minus the run with none, per row. Also
# checks every write has its finished entry, so the ratio cannot pass by
# recording nothing.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
command -v valgrind > /dev/null || fail "valgrind is not installed (test/harness/packages.txt)"
rows=150
limit=26
count() { # side rows -> instructions of the whole run
  local db="$work/$1-$2.db" sql="$work/$1-$2.sql"
  rm -f "$db" "$db-journal"
  { echo "CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER, name TEXT, at TEXT);"
    [ "$1" = audited ] && echo "SELECT dbaudit_enable('t');"
    for i in $(seq 1 "$2"); do echo "INSERT INTO t VALUES ($i, $((i % 100)), 'name $i', '2026-01-01');"; done
    echo "SELECT count(*) FROM t;"
  } > "$sql"
  valgrind --tool=callgrind --callgrind-out-file=/dev/null --log-file="$work/vg.log" \
    sqlite3 -batch -cmd ".load $module" "$db" < "$sql" > "$work/out.txt" 2>&1 ||
    { cat "$work/out.txt" "$work/vg.log"; fail "the $1 run failed under valgrind"; }
  [ "$(tail -1 "$work/out.txt")" = "$2" ] || { cat "$work/out.txt"; fail "the $1 run lost rows"; }
  if [ "$1" = audited ]; then
    entries=$(sqlite3 "$db" "SELECT count(*) FROM dbcare_audit_log WHERE operation = 'insert' AND txid > 0")
    [ "$entries" = "$2" ] || fail "expected $2 finished entries, got $entries"
  fi
  sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$work/vg.log"
}
plain=$(( ($(count plain $rows) - $(count plain 0)) / rows ))
audited=$(( ($(count audited $rows) - $(count audited 0)) / rows ))
ratio=$(awk -v a="$audited" -v p="$plain" 'BEGIN { printf "%.2f", a / p }')
echo "a transaction of one INSERT: $plain instructions, audited $audited ($ratio×, limit $limit×)"
awk -v r="$ratio" -v l="$limit" 'BEGIN { exit !(r <= l) }' ||
  fail "an audited transaction of one INSERT costs $ratio× the unaudited one (limit $limit×)"
echo "ok"
