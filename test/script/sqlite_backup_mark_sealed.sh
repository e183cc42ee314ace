#!/usr/bin/env bash
# A mark's backup is sealed like any backup (docs/backups.md, "Restore
# points"): dbbackup_mark(label, seal) with "zstd+encrypt" takes a full
# backup sealed that way (its file starts with DBCSEAL1 and holds none of
# the rows' text), the next mark with "encrypt" an incremental one on that
# chain; both verify, the catalog names their methods, and `dbcare restore
# --to-mark` with the key gives the rows of each mark. A seal without a
# key, a key in the text, or a word that is no seal is refused, and leaves
# no mark, no backup and no file.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/built_cli.sh"
head -c 32 /dev/urandom >"$work/key"
chmod 600 "$work/key"

db="$work/app.db"
marker=dbcare-mark-marker
sqlite3 "$db" "PRAGMA journal_mode = wal;
  CREATE TABLE orders (id INTEGER PRIMARY KEY, note TEXT NOT NULL);
  INSERT INTO orders (note) SELECT '$marker ' || value FROM generate_series(1, 20000);" >/dev/null
mkdir "$work/backups"
q "SELECT dbcare_set('backup.dir', '$work/backups')" >/dev/null

# refused before anything is taken
refused() { # seal expected-text
  out=$(DBCARE_BACKUP_KEY_FILE= q "SELECT dbbackup_mark('refused', '$1')" 2>&1) && fail "seal $1 was taken"
  echo "$out" | grep -q "$2" || fail "seal $1: $out"
}
refused incremental 'dbcare: a seal is zstd, encrypt or both'
refused "key=$(printf '%064d' 7)" 'dbcare: an encryption key is never taken from SQL text'
refused encrypt 'dbcare: no encryption key'
[ "$(q "SELECT count(*) FROM dbcare_backup_marks") $(q "SELECT count(*) FROM dbcare_backups")" = "0 0" ] ||
  fail "a refused mark left a row"
[ -z "$(ls "$work/backups")" ] || fail "a refused mark left a file: $(ls "$work/backups")"

export DBCARE_BACKUP_KEY_FILE="$work/key"
out=$(q "SELECT dbbackup_mark('first', 'zstd+encrypt')")
echo "$out" | grep -q '"method":"full"' || fail "the first mark takes a full backup: $out"
echo "$out" | grep -q '"compression":"zstd","encrypted":true' || fail "the first mark is not sealed: $out"
q "INSERT INTO orders (note) VALUES ('$marker late 1'), ('$marker late 2')" >/dev/null
out=$(q "SELECT dbbackup_mark('second', 'encrypt')")
echo "$out" | grep -q '"method":"incremental"' || fail "the second mark is incremental: $out"
echo "$out" | grep -q '"compression":"none","encrypted":true' || fail "the second mark is not encrypted: $out"
[ "$(q "SELECT group_concat(method, ' ') FROM (SELECT method FROM dbcare_backups ORDER BY id)")" = \
  "full+zstd+encrypt incremental+encrypt" ] || fail "catalog: $(q "SELECT id, method FROM dbcare_backups")"
for f in "$work"/backups/*; do
  [ "$(head -c 8 "$f")" = DBCSEAL1 ] || fail "$f is not sealed"
  grep -qF "$marker" "$f" && fail "$f holds the rows' text"
  q "SELECT json_extract(dbbackup_verify('$f'), '\$.sealed')" | grep -qx 1 || fail "$f does not verify"
done
q "DELETE FROM orders WHERE id <= 5" >/dev/null

# restored to each mark, with the key
sqlite3 "$db" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
for m in first:20000 second:20002; do
  label=${m%%:*} rows=${m##*:}
  cp "$db" "$work/r.db"
  "$cli" restore --to-mark "$label" --encrypt-key-file "$work/key" --db "sqlite:$work/r.db" \
    --module "$module" --allow-origin "$db" >"$work/out" 2>&1 || fail "restore --to-mark $label: $(cat "$work/out")"
  [ "$(sqlite3 "$work/r.db" "SELECT count(*) FROM orders")" = "$rows" ] ||
    fail "the restore to $label has $(sqlite3 "$work/r.db" "SELECT count(*) FROM orders") rows"
  rm -f "$work"/r.db*
done
echo "ok: sealed marks, verified and restored"
