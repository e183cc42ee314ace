#!/usr/bin/env bash
# A sealed point-in-time log (docs/backups.md, "Back to any moment"):
# `dbcare log --compress zstd --encrypt-key-file KEY` seals every closed
# segment and every base: each starts as a sealed file does, and no closed
# file holds a plain byte of the rows. A moment restores row for row with
# the key, from the files alone; without the key or with another one the
# restore fails with a dbcare: error and nothing at the new name. A capture
# killed and started again goes on sealing. A sealed segment changed
# afterwards (its record's SHA-256 changed to match) fails its seal's tag:
# the restore refuses it, nothing made.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/built_cli.sh"
. "$(dirname "$0")/lib/pitr.sh"
db="$work/app.db" log="$work/log"
mkdir "$log"
head -c 32 /dev/urandom >"$work/key"; head -c 32 /dev/urandom >"$work/other"; chmod 600 "$work/key" "$work/other"
sqlite3 -cmd '.timeout 30000' "$db" "PRAGMA journal_mode = wal; CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);
  INSERT INTO t (v) VALUES ('secret-marker-0')" >/dev/null
capture() {
  "$cli" log "$log" --sleep-ms 20 --segment-interval 200ms --compress zstd --encrypt-key-file "$work/key" \
    --db "sqlite:$db" --module "$module" 2>>"$work/capture.err" &
  pid=$!
}
# the writer keeps the database open: the WAL stays across the kill
sqlite3 -cmd '.timeout 30000' "$db" >/dev/null <<'SQL' &
.timeout 5000
INSERT INTO t (v) SELECT 'secret-marker-' || value FROM generate_series(1, 50);
SELECT 1 FROM (WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < 3000000) SELECT count(*) FROM r);
INSERT INTO t (v) SELECT 'secret-marker-' || value FROM generate_series(51, 100);
SQL
writer=$!
capture
pitr_wait_started "$work/capture.err" 1
sleep 1
kill -9 "$pid"; wait "$pid" 2>/dev/null || true
capture
pitr_wait_started "$work/capture.err" 2
# the writer's commits all before the moment (it kept the WAL across the kill)
wait "$writer" || true
for i in 1 2 3; do sqlite3 -cmd '.timeout 30000' "$db" "INSERT INTO t (v) VALUES ('secret-marker-x$i')"; done
key=(--encrypt-key-file "$work/key")
# every row counted at the moment is logged before it, and the moment
# before the DELETE after it
pitr_wait_vouched "$log" "$(pitr_now)" "${key[@]}"
moment=$(pitr_now) rows=$(sqlite3 -cmd '.timeout 30000' "$db" "SELECT count(*) FROM t")
pitr_wait_vouched "$log" "$moment" "${key[@]}"
sqlite3 -cmd '.timeout 30000' "$db" "DELETE FROM t"
kill -TERM "$pid"; wait "$pid" || fail "capture: $(cat "$work/capture.err")"

ls "$log"/*.dbclog >/dev/null 2>&1 || fail "no closed segment"
for f in "$log"/*.dbclog "$log"/base-*.db; do
  [ "$(head -c 8 "$f")" = DBCSEAL1 ] || fail "$f is not sealed"
  grep -q "secret-marker" "$f" && fail "$f holds plain rows"
done
rm -f "$db" "$db-wal" "$db-shm"
restore() { "$cli" restore --to-time "$moment" "$log" --db "sqlite:$work/$1" --module "$module" "${@:2}"; }
out=$(restore nokey.db 2>&1) && fail "restored without the key"
[ ! -e "$work/nokey.db" ] && grep -q "^dbcare:" <<<"$out" || fail "without the key: $out"
out=$(restore other.db --encrypt-key-file "$work/other" 2>&1) && fail "restored with another key"
[ ! -e "$work/other.db" ] && grep -q "^dbcare:" <<<"$out" || fail "another key: $out"
restore r.db --encrypt-key-file "$work/key" >"$work/out" 2>&1 || fail "restore with the key: $(cat "$work/out")"
[ "$(sqlite3 "$work/r.db" "PRAGMA integrity_check; SELECT count(*) FROM t")" = "$(printf 'ok\n%s' "$rows")" ] ||
  fail "the restored moment does not have its $rows rows"
# a sealed segment changed after it was sealed, its record's SHA-256 made to
# match (as by whoever changed it): the seal's tag fails, and the restore
# refuses it with the key before any record of it is used
seg=$(ls "$log"/log-*.dbclog | head -n 1)
"$py" - "$seg" <<'PY'
import hashlib, json, sys
seg = sys.argv[1]
b = bytearray(open(seg, "rb").read())
b[len(b) // 2] ^= 0x40
open(seg, "wb").write(b)
rec = seg[:-len(".dbclog")] + ".json"
doc = json.load(open(rec))
doc["sha256"] = hashlib.sha256(b).hexdigest()
json.dump(doc, open(rec, "w"))
PY
out=$(restore changed.db --encrypt-key-file "$work/key" 2>&1) && fail "restored from a changed sealed segment"
[ ! -e "$work/changed.db" ] && grep -q "^dbcare: cannot open the sealed log segment $seg" <<<"$out" ||
  fail "a changed sealed segment: $out"
echo "ok: sealed log, $rows rows restored with the key, refused without it and once changed"
