#!/usr/bin/env bash
# Kill tier for incremental backups and chain restores (docs/testing.md,
# "Kill tier"): DBC_KILLS rounds (default 6; the long tier runs 20 or
# more) each SIGKILL an incremental `dbbackup_create` and a `dbcare
# restore` of the chain at a random point. After each kill: no file under
# the incremental's name unless its catalog row is there and it verifies,
# or, killed between the name and the row, it is a whole incremental
# nothing records (nothing published half-written); the restore target is either wholly
# the database it was or wholly the restored backup, and integrity-clean;
# and the chain made so far still restores.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/built_cli.sh"
rounds=${DBC_KILLS:-6}

db="$work/app.db"
sqlite3 "$db" "PRAGMA journal_mode = wal;
  CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB NOT NULL);
  INSERT INTO t (b) SELECT randomblob(400) FROM generate_series(1, 40000);" >/dev/null
q "SELECT dbbackup_create('$work/full.db')" >/dev/null
last="$work/full.db"
sum() { sqlite3 "$1" "SELECT sha3_query('SELECT * FROM t ORDER BY id')"; }
published=0 killed=0 unrecorded=0
for i in $(seq 1 "$rounds"); do
  q "UPDATE t SET b = randomblob(400) WHERE id % 97 = $i" >/dev/null
  inc="$work/inc$i.db"
  sqlite3 -batch -cmd ".load $module" "$db" "SELECT dbbackup_create('$inc', 'incremental')" >/dev/null 2>&1 &
  pid=$!
  sleep "$(( RANDOM % 2 )).$(( RANDOM % 10 ))"
  kill -9 "$pid" 2>/dev/null && killed=$((killed + 1)) || true
  wait "$pid" 2>/dev/null || true
  rows=$(q "SELECT count(*) FROM dbcare_backups WHERE path = '$inc'")
  if [ -e "$inc" ] && [ "$rows" = 0 ]; then
    # killed in the moment between the name and the catalog row (the row
    # commits with the call's statement): a whole incremental, named only
    # once synced, that nothing records (docs/backups.md)
    [ "$(head -c 8 "$inc")" = DBCPAGE1 ] || fail "round $i: $inc, named without its row, is not an incremental"
    unrecorded=$((unrecorded + 1))
  elif [ -e "$inc" ]; then
    [ "$rows" = 1 ] || fail "round $i: $inc has $rows catalog rows"
    q "SELECT json_extract(dbbackup_verify('$inc'), '\$.verified')" | grep -qx 1 ||
      fail "round $i: the published incremental does not verify"
    last="$inc" published=$((published + 1))
  else
    [ "$rows" = 0 ] || fail "round $i: a catalog row names $inc, which is not there"
  fi

  # a restore of the chain so far, killed: the target is the old or the new
  target="$work/target$i.db"
  sqlite3 "$db" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
  cp "$db" "$target"
  sqlite3 "$target" "DELETE FROM t WHERE id > 39000" >/dev/null
  old=$(sum "$target")
  # (a copy of the database: the original named as the backups' origin)
  "$cli" restore "$last" --db "sqlite:$target" --module "$module" --allow-origin "$db" >/dev/null 2>&1 &
  pid=$!
  sleep "0.$(( RANDOM % 900 ))"
  kill -9 "$pid" 2>/dev/null && killed=$((killed + 1)) || true
  wait "$pid" 2>/dev/null || true
  [ "$(sqlite3 "$target" "PRAGMA integrity_check")" = ok ] || fail "round $i: the target is damaged"
  now=$(sum "$target")
  n=$(sqlite3 "$target" "SELECT count(*) FROM t")
  [ "$now" = "$old" ] || [ "$n" = 40000 ] || fail "round $i: the target is half restored ($n rows)"
  rm -f "$target"* "$work"/*.restore-*
done
# the chain still restores, whole
sqlite3 "$db" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
cp "$db" "$work/final.db"
"$cli" restore "$last" --db "sqlite:$work/final.db" --module "$module" --allow-origin "$db" >"$work/out" 2>&1 ||
  fail "the chain does not restore after the kills: $(cat "$work/out")"
[ "$(sqlite3 "$work/final.db" "PRAGMA integrity_check; SELECT count(*) FROM t")" = "$(printf 'ok\n40000')" ] ||
  fail "the final restore"
echo "ok: $rounds rounds, $killed kills, $published incrementals published, $unrecorded unrecorded"
