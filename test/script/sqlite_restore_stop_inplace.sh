#!/usr/bin/env bash
# `dbcare restore FILE` over an existing database stopped by SIGINT,
# SIGTERM or SIGHUP: the command ends restored and saying so (exit 0), or
# interrupted and saying so with the database unchanged (docs/cli.md: a
# stopped restore is either done or leaves nothing of itself, saying so).
# It once ended of the signal wherever it came: with a hot journal and the
# database unchanged, or with the database replaced, silent (exit 130 and
# nothing said, the restore done). Stopped while it backs the database up
# beside itself: interrupted before its copy, the database unchanged.
# Stopped once that copy is published: either outcome, each told as it is.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/built_cli.sh"
cd "$work"
unset DATABASE_URL
export DBCARE_MODULE="$module"
sqlite3 big.db "CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB NOT NULL);
  INSERT INTO t (b) SELECT randomblob(400) FROM generate_series(1, 60000);"
"$cli" backup bk.db --db sqlite:big.db >/dev/null || fail "the backup failed"
# the target: big enough that its own copy beside itself takes a while
sqlite3 target.db "CREATE TABLE s (id INTEGER PRIMARY KEY, v BLOB);
  INSERT INTO s (v) SELECT randomblob(400) FROM generate_series(1, 60000);"
state() { # the target's content: restored, unchanged or something else
  case "$(sqlite3 tgt.db "SELECT group_concat(name) FROM sqlite_schema WHERE name IN ('s', 't')")" in
    t) [ "$(sqlite3 tgt.db "SELECT count(*) FROM t")" = 60000 ] && echo restored || echo partial ;;
    s) [ "$(sqlite3 tgt.db "SELECT count(*) FROM s")" = 60000 ] && echo unchanged || echo partial ;;
    *) echo other ;;
  esac
}
before=0 round=0
for glob in 'tgt.db.before-restore-*.db.tmp-*' 'tgt.db.before-restore-*.db.tmp-*' \
  'tgt.db.before-restore-*Z.db' 'tgt.db.before-restore-*Z.db' 'tgt.db.before-restore-*Z.db'; do
  round=$((round + 1))
  sig=$(echo INT TERM HUP | cut -d' ' -f$(( (round - 1) % 3 + 1 )))
  rm -f tgt.db* && cp target.db tgt.db
  env --default-signal "$cli" restore bk.db --allow-origin "$work/big.db" --db sqlite:tgt.db >out 2>err &
  pid=$!
  signal_when "$glob" "$sig" "$pid"
  set +e; wait "$pid"; rc=$?; set -e
  got=$(state)
  said="$(cat out err)"
  case "$rc:$got" in
    0:restored) grep -q '^restored bk.db' out || fail "round $round: restored, not said: $said" ;;
    0:*) fail "round $round: exit 0 with the database $got: $said" ;;
    *:unchanged)
      [ "$signalled" = 1 ] || fail "round $round: exit $rc with no signal sent: $said"
      grep -q 'dbcare: the restore was interrupted before its copy: the database is unchanged' err ||
        fail "round $round: stopped by SIG$sig (exit $rc), the database unchanged, not said: $said"
      [ ! -e tgt.db-journal ] || fail "round $round: a journal was left"
      case "$glob" in *tmp*) before=$((before + 1)) ;; esac ;;
    *) fail "round $round: exit $rc with the database $got: $said" ;;
  esac
  echo "round $round (SIG$sig at $glob): exit $rc, $got"
done
[ "$before" -ge 1 ] || fail "no round stopped the restore while it backed the database up (test premise)"
echo "ok: each stopped restore ended done or unchanged, and said which"
