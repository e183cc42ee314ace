#!/usr/bin/env bash
# PostgreSQL: sealed pg_dump backups and restore points (docs/backups.md).
# `dbcare backup --compress zstd --encrypt-key-file K` seals the dump (no
# plain dump left beside it); the catalog keeps the sealed file's SHA-256;
# `dbcare verify` opens it and restores it into a scratch database whose
# 100,000-row content must match; a wrong key is an error that leaves the
# row as it was; a byte flipped in the file fails verification. Then
# dbbackup_mark: a restore point with its LSN, the schema fingerprint and
# the audit heads recorded; a label is unique; a seal (the backup's, on
# SQLite) is refused; the function is not granted to PUBLIC. (Restoring to a mark: pg_pgbackrest.sh.)
set -eu
db=dbcare_backup_sealed_mark
. "$(dirname "$0")/lib/pg.sh"
. "$(dirname "$0")/lib/cli.sh"
py=/usr/bin/python3
url="postgresql://$PGUSER@/$db?host=$PGHOST&port=$PGPORT"
start_s=$(date +%s)

fresh_db
q -c "CREATE TABLE big (id bigint PRIMARY KEY, note text);
      INSERT INTO big SELECT g, 'order ' || (g % 1000) FROM generate_series(1, 100000) g"
head -c 32 /dev/urandom >key; chmod 600 key
head -c 32 /dev/urandom >other.key; chmod 600 other.key

# --- sealed dumps: compressed, encrypted, both
for m in zstd enc both; do
  case $m in zstd) opts=(--compress zstd) ;; enc) opts=(--encrypt-key-file key) ;;
             both) opts=(--compress zstd --encrypt-key-file key) ;; esac
  run 0 backup "$m.dump" "${opts[@]}" --db "$url" --json
  head -c 8 "$m.dump" | grep -q DBCSEAL1 || fail "$m: not a sealed file"
  [ "$(json "d['backup']['sha256']")" = "$(sha256sum "$m.dump" | cut -d' ' -f1)" ] ||
    fail "$m: the recorded SHA-256 is not the sealed file's"
  ls | grep -q "\.plain-\|\.tmp-" && fail "$m: a plain or temporary dump was left: $(ls)"
  run 0 verify "$m.dump" --encrypt-key-file key --db "$url" --json
  [ "$(json "d['verify']['verified']")" = True ] || fail "$m did not verify: $(cat out)"
done
grep -q "order 1" enc.dump both.dump && fail "plain text in an encrypted dump"
[ "$(stat -c %s zstd.dump)" -lt "$(( $(stat -c %s enc.dump) * 3 / 4 ))" ] || fail "zstd did not compress"

# --- a wrong or missing key: an error, the row stays verified
run 1 verify both.dump --encrypt-key-file other.key --db "$url"
has "another key" err
run 1 verify enc.dump --db "$url"
has "no key" err
[ "$(q -c "SELECT count(*) FROM dbcare.backups WHERE status <> 'verified'")" = 0 ] ||
  fail "a key problem marked a row failed"
run 2 backup x.dump --compress lz4 --db "$url"

# --- another database's sealed dump copied over a catalogued one, its
# row's columns copied too: its header names the path it was published
# under, which is not the row's: failed, naming both
other=${db}_other
"$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $other" -c "CREATE DATABASE $other" >/dev/null
"$B/psql" -X -q -d "$other" -c "SET client_min_messages = warning" -c "CREATE EXTENSION dbcare" \
  -c "CREATE TABLE big (id bigint PRIMARY KEY, note text)" \
  -c "INSERT INTO big SELECT g, 'mallory' FROM generate_series(1, 100000) g" >/dev/null
run 0 backup other.dump --compress zstd --db "postgresql://$PGUSER@/$other?host=$PGHOST&port=$PGPORT"
cols=$("$B/psql" -X -q -At -d "$other" -c "SELECT format('bytes = %s, fingerprint = %L, sha256 = %L, content = %L',
  bytes, fingerprint, sha256, content) FROM dbcare.backups WHERE path = '$work/other.dump'")
cp zstd.dump zstd.saved
cp other.dump zstd.dump
q -c "UPDATE dbcare.backups SET $cols WHERE path = '$work/zstd.dump'" >/dev/null
run 1 verify zstd.dump --db "$url"
has "it is the sealed dump of database $other published as $work/other.dump, not the one this database $db catalogues as $work/zstd.dump" err
[ "$(q -c "SELECT status FROM dbcare.backups WHERE path = '$work/zstd.dump'")" = failed ] ||
  fail "another database's dump: the row is not failed"
"$B/psql" -X -q -d postgres -c "DROP DATABASE $other" >/dev/null

# --- a flipped byte fails verification, and the row becomes failed
"$py" - both.dump <<'PY'
import sys
p = sys.argv[1]
with open(p, "r+b") as f:
    f.seek(200); b = f.read(1); f.seek(200); f.write(bytes([b[0] ^ 1]))
PY
run 1 verify both.dump --encrypt-key-file key --db "$url"
has "failed verification" err
[ "$(q -c "SELECT status FROM dbcare.backups WHERE path = '$work/both.dump'")" = failed ] ||
  fail "the damaged dump's row is not failed"

# --- restore points
q -c "SELECT dbaudit_enable('big', '{\"hash_chain\": true}')" >/dev/null
q -c "UPDATE big SET note = 'changed' WHERE id <= 3" >/dev/null
out=$(q -c "SELECT dbbackup_mark('before release 2')")
case "$out" in *'"label":"before release 2"'*'"lsn":"'*) ;; *) fail "mark: $out" ;; esac
[ "$(q -c "SELECT count(*) FROM dbcare.backup_marks WHERE label = 'before release 2'
             AND fingerprint = dbschema_fingerprint() AND lsn IS NOT NULL
             AND audit_heads::jsonb <> '{}'::jsonb")" = 1 ] ||
  fail "the mark's row: $(q -c "SELECT * FROM dbcare.backup_marks")"
[ "$(q -c "SELECT (audit_heads::jsonb -> 'public.big' ->> 'id')::bigint = (SELECT max(id) FROM dbcare.audit_log)
             FROM dbcare.backup_marks")" = t ] || fail "the mark's audit head is not the log's newest entry: $(q -c "SELECT audit_heads FROM dbcare.backup_marks")"
if out=$(q -c "SELECT dbbackup_mark('before release 2')" 2>&1); then fail "a label twice"; fi
case "$out" in *'dbcare: a restore point named "before release 2" exists already'*) ;; *) fail "dup: $out" ;; esac
if out=$(q -c "SELECT dbbackup_mark(repeat('x', 64))" 2>&1); then fail "a 64-character label"; fi
# a seal is the backup's, which PostgreSQL's mark does not take
if out=$(q -c "SELECT dbbackup_mark('sealed', 'zstd')" 2>&1); then fail "a sealed mark on PostgreSQL"; fi
case "$out" in *"dbcare: this engine's restore point is a WAL record, with no backup file to seal"*) ;;
  *) fail "sealed mark: $out" ;; esac
[ "$(q -c "SELECT count(*) FROM dbcare.backup_marks")" = 1 ] || fail "a refused mark left a row"
q -c "CREATE ROLE regress_mark_plain LOGIN" >/dev/null
if out=$(q -c "SET ROLE regress_mark_plain" -c "SELECT dbbackup_mark('by anyone')" 2>&1); then
  fail "PUBLIC may mark"; fi
case "$out" in *"permission denied"*) ;; *) fail "PUBLIC mark: $out" ;; esac
q -c "DROP ROLE regress_mark_plain" >/dev/null
echo "ok: sealed dumps and restore points ($(( $(date +%s) - start_s ))s)"
