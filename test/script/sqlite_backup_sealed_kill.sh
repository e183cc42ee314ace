#!/usr/bin/env bash
# Kill tier for encrypted, compressed incremental backups and their
# restores (docs/testing.md, "Kill tier"): DBC_KILLS rounds (default 3 in
# the suite; the long tier runs 20 or more) each SIGKILL an
# `incremental+zstd+encrypt` dbbackup_create and a `dbcare restore
# --encrypt-key-file` of the chain at a random moment within 1.5 times an
# uninterrupted run's time. After each kill: a file under the
# incremental's name has its catalog row and verifies (a sealed file is
# named only once read back), or, killed in the moment between its name
# and its row, is a whole sealed file nothing records (docs/backups.md);
# no plain byte of the database is left on disk: nothing in the backups'
# directory holds the rows' marker text (the plain copy is made, verified
# and opened only in files without a name), no temporary file at all is
# left there (the sealed file has no name until it is published), and a
# killed restore leaves no image beside the target; the restore target is
# wholly the database it was or wholly the restored backup, and
# integrity-clean; and the chain made so far still restores.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/built_cli.sh"
rounds=${DBC_KILLS:-3}
head -c 32 /dev/urandom >"$work/key"
chmod 600 "$work/key"
export DBCARE_BACKUP_KEY_FILE="$work/key"

db="$work/app.db"
bk="$work/backups"
mkdir "$bk"
marker=dbcare-plain-marker
sqlite3 "$db" "PRAGMA journal_mode = wal;
  CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB NOT NULL, s TEXT NOT NULL DEFAULT '$marker');
  INSERT INTO t (b) SELECT randomblob(400) FROM generate_series(1, 40000);" >/dev/null
q "SELECT dbbackup_create('$bk/full.db', 'full+zstd+encrypt')" >/dev/null
last="$bk/full.db"
# plain bytes of the database anywhere among the backups: a kill left them
no_plain() {
  left=$(grep -rlF "$marker" "$bk" || true)
  [ -z "$left" ] || fail "$1: plain rows left on disk: $left ($(ls -la "$bk"))"
  # nor a sealed file half written: it has no name until it is published
  left=$(ls "$bk" | grep '\.tmp-' || true)
  [ -z "$left" ] || fail "$1: a temporary file was left: $left"
}
no_plain "the first backup"
sum() { sqlite3 "$1" "SELECT hex(sha3_query('SELECT * FROM t ORDER BY id'))"; }
# kills land at a random moment within 1.5 times an uninterrupted run of
# each (a measured backup, kept as part of the chain, and restore)
ms_of() { local t0; t0=$(date +%s%N); "$@" >/dev/null 2>&1 || fail "the measured run failed: $*"; echo $(( ($(date +%s%N) - t0) / 1000000 )); }
share() { awk -v ms="$1" -v r="$RANDOM" 'BEGIN { printf "%.3f", 1.5 * ms * r / 32768 / 1000 }'; }
q "UPDATE t SET b = randomblob(400) WHERE id % 97 = 0" >/dev/null
backup_ms=$(ms_of q "SELECT dbbackup_create('$bk/measured.db', 'incremental+zstd+encrypt')")
last="$bk/measured.db"
sqlite3 "$db" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
cp "$db" "$work/measure.db"
restore_ms=$(ms_of "$cli" restore "$last" --encrypt-key-file "$work/key" --db "sqlite:$work/measure.db" --module "$module" --allow-origin "$db")
rm -f "$work"/measure.db*
published=0 killed=0 unrecorded=0
for i in $(seq 1 "$rounds"); do
  q "UPDATE t SET b = randomblob(400) WHERE id % 97 = $i" >/dev/null
  inc="$bk/inc$i.db"
  sqlite3 -batch -cmd ".load $module" "$db" "SELECT dbbackup_create('$inc', 'incremental+zstd+encrypt')" >/dev/null 2>&1 &
  pid=$!
  sleep "$(share "$backup_ms")"
  kill -9 "$pid" 2>/dev/null && killed=$((killed + 1)) || true
  wait "$pid" 2>/dev/null || true
  no_plain "round $i, a killed backup"
  rows=$(q "SELECT count(*) FROM dbcare_backups WHERE path = '$inc'")
  if [ -e "$inc" ] && [ "$rows" = 0 ]; then
    # killed in the moment between the name and the catalog row: a whole
    # sealed file (named only once read back) that nothing records
    [ "$(head -c 8 "$inc")" = DBCSEAL1 ] || fail "round $i: $inc, named without its row, is not sealed"
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
  "$cli" restore "$last" --encrypt-key-file "$work/key" --db "sqlite:$target" --module "$module" --allow-origin "$db" >/dev/null 2>&1 &
  pid=$!
  sleep "$(share "$restore_ms")"
  kill -9 "$pid" 2>/dev/null && killed=$((killed + 1)) || true
  wait "$pid" 2>/dev/null || true
  [ "$(sqlite3 "$target" "PRAGMA integrity_check")" = ok ] || fail "round $i: the target is damaged"
  no_plain "round $i, a killed restore"
  leftover=$(ls "$work" | grep "\.restore-" || true)
  [ -z "$leftover" ] || fail "round $i: a killed restore left its image: $leftover"
  now=$(sum "$target")
  n=$(sqlite3 "$target" "SELECT count(*) FROM t")
  [ "$now" = "$old" ] || [ "$n" = 40000 ] || fail "round $i: the target is half restored ($n rows)"
  rm -f "$target"*
done
# the chain still restores, whole
sqlite3 "$db" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
cp "$db" "$work/final.db"
"$cli" restore "$last" --encrypt-key-file "$work/key" --db "sqlite:$work/final.db" --module "$module" --allow-origin "$db" >"$work/out" 2>&1 ||
  fail "the chain does not restore after the kills: $(cat "$work/out")"
[ "$(sqlite3 "$work/final.db" "PRAGMA integrity_check; SELECT count(*) FROM t")" = "$(printf 'ok\n40000')" ] ||
  fail "the final restore"
echo "ok: $rounds rounds, $killed kills (backup ${backup_ms} ms, restore ${restore_ms} ms uninterrupted), $published sealed incrementals published, $unrecorded named but unrecorded"
