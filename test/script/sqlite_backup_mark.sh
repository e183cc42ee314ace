#!/usr/bin/env bash
# Restore points (docs/backups.md, "Restore points"): dbbackup_mark(label)
# takes a backup for the mark (full first, then incremental on the chain)
# and records the label, the schema fingerprint and the audit chain's
# head; `dbcare restore --to-mark LABEL` gives the database as it was at
# the mark: rows committed before it present, rows after it absent. Eight
# writers commit during a mark; every row the mark's restore holds was
# committed, and each writer's rows are a prefix of what it wrote (the
# mark is one snapshot). A label is unique; a mark cannot be restored
# when its backup fails verification (the database stays).
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/built_cli.sh"
start=$(date +%s)

db="$work/app.db"
sqlite3 "$db" "PRAGMA journal_mode = wal;
  CREATE TABLE orders (id INTEGER PRIMARY KEY, note TEXT NOT NULL);
  INSERT INTO orders (note) SELECT 'initial ' || value FROM generate_series(1, 100000);
  CREATE TABLE w (writer INTEGER NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (writer, n));" >/dev/null
mkdir "$work/backups"
q "SELECT dbcare_set('backup.dir', '$work/backups'); SELECT dbaudit_enable('orders', '{\"hash_chain\": true}')" >/dev/null

out=$(q "SELECT dbbackup_mark('before-import')")
echo "$out" | grep -q '"label":"before-import"' || fail "mark: $out"
echo "$out" | grep -q '"method":"full"' || fail "the first mark takes a full backup: $out"
q "INSERT INTO orders (note) VALUES ('imported 1'), ('imported 2')" >/dev/null
out=$(q "SELECT dbbackup_mark('after-import')")
echo "$out" | grep -q '"method":"incremental"' || fail "the next mark is incremental: $out"
head=$(q "SELECT last_hash FROM dbcare_audit_chain LIMIT 1" 2>/dev/null || true)
heads=$(q "SELECT audit_heads FROM dbcare_backup_marks WHERE label = 'after-import'")
[ -n "$heads" ] && [ "$heads" != "{}" ] || fail "the mark has no audit head: $heads"
[ -z "$head" ] || echo "$heads" | grep -q "$head" || fail "the mark's head is not the chain's: $heads / $head"
[ "$(q "SELECT fingerprint = dbschema_fingerprint() FROM dbcare_backup_marks WHERE label = 'after-import'")" = 1 ] ||
  fail "the mark's fingerprint is not the schema's"
q "DELETE FROM orders WHERE id <= 10; INSERT INTO orders (note) VALUES ('late')" >/dev/null

# a label is unique, and never half-recorded
out=$(q "SELECT dbbackup_mark('after-import')" 2>&1) && fail "a second mark of one label"
echo "$out" | grep -q 'dbcare: a restore point named "after-import" exists already' || fail "dup: $out"
[ "$(q "SELECT count(*) FROM dbcare_backup_marks")" = 2 ] || fail "the refused mark left a row"
out=$(q "SELECT dbbackup_mark('')" 2>&1) && fail "an empty label"

# restore to each mark: rows before it present, after it absent (into
# copies of the database: the original named as the backups' origin)
copy_db() { sqlite3 "$db" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null; cp "$db" "$1"; }
copy_db "$work/r1.db"
"$cli" restore --to-mark before-import --db "sqlite:$work/r1.db" --module "$module" --allow-origin "$db" >"$work/out" 2>&1 ||
  fail "restore --to-mark before-import: $(cat "$work/out")"
[ "$(sqlite3 "$work/r1.db" "SELECT count(*), sum(note LIKE 'imported%'), sum(note = 'late') FROM orders")" = "100000|0|0" ] ||
  fail "before-import restored other rows: $(sqlite3 "$work/r1.db" "SELECT count(*) FROM orders")"
copy_db "$work/r2.db"
"$cli" restore --to-mark after-import --db "sqlite:$work/r2.db" --module "$module" --allow-origin "$db" >"$work/out" 2>&1 ||
  fail "restore --to-mark after-import: $(cat "$work/out")"
[ "$(sqlite3 "$work/r2.db" "SELECT count(*), sum(note LIKE 'imported%'), sum(note = 'late'), min(id) FROM orders")" = "100002|2|0|1" ] ||
  fail "after-import restored other rows"
out=$("$cli" restore --to-mark nothing --db "sqlite:$work/r2.db" --module "$module" 2>&1) && fail "an unknown mark"
echo "$out" | grep -q 'no restore point named "nothing"' || fail "unknown mark: $out"

# eight writers during a mark
cat >"$work/writer.py" <<'PY'
import os, sqlite3, sys, time
db, writer, stop = sys.argv[1], int(sys.argv[2]), sys.argv[3]
c = sqlite3.connect(db, timeout=30, isolation_level=None)
# writes until the mark is made and then a few more (so the mark lies
# strictly inside the writes however long the mark waits for the lock)
n, after, end = 0, 0, time.time() + 120
while after < 5 and time.time() < end:
    n += 1
    c.execute("INSERT INTO w VALUES (?, ?)", (writer, n))
    after += os.path.exists(stop)
print(n)
PY
pids=()
for i in 1 2 3 4 5 6 7 8; do
  "$py" "$work/writer.py" "$db" "$i" "$work/marked" >"$work/w$i" 2>&1 & pids+=($!)
done
sleep 1
# (the mark's catalog writes wait for the writers like any write: a busy
# timeout, as an application sets one)
out=$(sqlite3 -batch -cmd ".load $module" -cmd ".timeout 30000" "$db" "SELECT dbbackup_mark('under-load')") ||
  fail "mark under load: $out"
touch "$work/marked"
for p in "${pids[@]}"; do wait "$p" || fail "a writer failed: $(cat "$work"/w[1-8])"; done
copy_db "$work/r3.db"
"$cli" restore --to-mark under-load --db "sqlite:$work/r3.db" --module "$module" --allow-origin "$db" >"$work/out" 2>&1 ||
  fail "restore --to-mark under-load: $(cat "$work/out")"
# each writer's rows at the mark: 1..k with no gap, k at most what it wrote
for i in 1 2 3 4 5 6 7 8; do
  got=$(sqlite3 "$work/r3.db" "SELECT count(*) || '|' || coalesce(max(n), 0) FROM w WHERE writer = $i")
  [ "${got%%|*}" = "${got#*|}" ] || fail "writer $i: rows at the mark are not a prefix: $got"
  [ "${got%%|*}" -le "$(cat "$work/w$i")" ] || fail "writer $i: more rows than written"
done
total=$(sqlite3 "$work/r3.db" "SELECT count(*) FROM w")
written=0
for i in 1 2 3 4 5 6 7 8; do written=$(( written + $(cat "$work/w$i") )); done
echo "under load: the mark holds $total of the $written rows the writers committed"
[ "$total" -gt 0 ] && [ "$total" -lt "$written" ] || fail "the mark under load holds $total rows of $written"

# a mark whose backup is damaged is not restored; the database stays
f=$(q "SELECT b.path FROM dbcare_backup_marks m JOIN dbcare_backups b ON b.id = m.backup_id WHERE m.label = 'after-import'")
# dbbackup_marks() is how the command finds it (never the tables)
[ "$(q "SELECT backup_path FROM dbbackup_marks() WHERE label = 'after-import'")" = "$f" ] ||
  fail "dbbackup_marks names another file than the catalog: $(q "SELECT * FROM dbbackup_marks()")"
[ "$(q "SELECT count(*) FROM dbbackup_marks() WHERE lsn IS NULL AND created_at LIKE '____-__-__T%Z'")" = \
  "$(q "SELECT count(*) FROM dbcare_backup_marks")" ] || fail "dbbackup_marks: $(q "SELECT * FROM dbbackup_marks()")"
[ "$(q "SELECT dbbackup_identity() = database_id FROM dbcare_bookkeeping")" = 1 ] ||
  fail "dbbackup_identity is not the bookkeeping's identity"
printf 'X' | dd of="$f" bs=1 seek=200 conv=notrunc 2>/dev/null
before=$(sqlite3 "$work/r1.db" "SELECT count(*) FROM orders")
"$cli" restore --to-mark after-import --db "sqlite:$work/r1.db" --module "$module" --allow-origin "$db" >"$work/out" 2>&1 &&
  fail "a damaged mark was restored"
[ "$(sqlite3 "$work/r1.db" "SELECT count(*) FROM orders")" = "$before" ] || fail "the failed restore changed the database"
echo "ok: restore points ($(( $(date +%s) - start ))s)"
