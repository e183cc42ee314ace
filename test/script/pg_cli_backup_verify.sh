#!/usr/bin/env bash
# dbcare verify BACKUP on PostgreSQL (docs/backups.md): the catalog row of a
# pg_dump backup keeps the dump's SHA-256 and, read in the dump's snapshot,
# every table's row count and an order-independent hash of its rows.
# verify re-hashes the file (a byte changed after the backup fails it, and
# the row becomes failed), then restores the dump into a scratch database
# and compares the content, so a dump that lost one row of 100,000 (or
# holds one changed value) fails although it reads back whole. A stand-in
# pg_dump on PATH that ignores the exported snapshot, after a concurrent
# delete or update, makes such a dump.
set -eu
db=dbcare_cli_backup_verify
. "$(dirname "$0")/lib/pg.sh"
. "$(dirname "$0")/lib/cli.sh"
py=/usr/bin/python3
url="postgresql://$PGUSER@/$db?host=$PGHOST&port=$PGPORT"
scratch_dbs() { "$B/psql" -X -At -d postgres -c "SELECT count(*) FROM pg_database WHERE datname LIKE 'dbcare_verify_%'"; }
status() { q -c "SELECT status FROM dbcare.backups WHERE path = '$work/$1'"; }

fresh_db
q -c "CREATE TABLE big (id bigint PRIMARY KEY, note text, at timestamptz, x float8);
      INSERT INTO big SELECT g, md5(g::text), '2026-01-01'::timestamptz + g * interval '1 s', g / 7.0
        FROM generate_series(1, 100000) g;
      CREATE SCHEMA \"odd schema\";
      CREATE TABLE \"odd schema\".\"Mixed\" (k int, v bytea);
      INSERT INTO \"odd schema\".\"Mixed\" VALUES (1, '\\x00ff'), (1, '\\x00ff'), (2, NULL);
      CREATE TABLE empty_one (a int)"

# --- a good backup verifies; its row keeps the SHA-256 and the content
t0=$(date +%s%N)
run 0 backup good.dump --db "$url" --json
echo "backup of 100,000 rows: $((($(date +%s%N) - t0) / 1000000)) ms"
[ "$(json "d['backup']['sha256']")" = "$(sha256sum good.dump | cut -d' ' -f1)" ] ||
  fail "the recorded SHA-256 is not the dump's"
[ "$(q -c "SELECT t ->> 1 FROM dbcare.backups, jsonb_array_elements(content -> 'tables') t
              WHERE path = '$work/good.dump' AND t ->> 0 = 'public.big'")" = 100000 ] ||
  fail "the content was not recorded: $(q -c "SELECT content FROM dbcare.backups")"
[ "$(q -c "SELECT t ->> 1 FROM dbcare.backups, jsonb_array_elements(content -> 'tables') t
              WHERE path = '$work/good.dump' AND t ->> 0 = '\"odd schema\".\"Mixed\"'")" = 3 ] ||
  fail "a quoted table name is missing from the content"
# session settings of the database (the text form of timestamps, floats)
# do not change what verify reads back
q -c "ALTER DATABASE $db SET DateStyle = 'SQL, DMY'" -c "ALTER DATABASE $db SET TimeZone = 'Asia/Tokyo'" \
  -c "ALTER DATABASE $db SET extra_float_digits = 0"
t0=$(date +%s%N)
run 0 verify good.dump --db "$url" --json
echo "verify of 100,000 rows: $((($(date +%s%N) - t0) / 1000000)) ms"
[ "$(json "d['verify']['verified']")" = True ] || fail "a good dump did not verify: $(cat out)"
[ "$(json "d['verify']['tables']")" = 3 ] || fail "verify did not compare three tables: $(cat out)"
[ "$(status good.dump)" = verified ] || fail "the good dump is not verified"
[ "$(scratch_dbs)" = 0 ] || fail "verify left its scratch database"

# --- one byte flipped after the backup: verify fails and says why
"$py" - "$work/good.dump" <<'PY'
import os, sys
p = sys.argv[1]
with open(p, 'r+b') as f:
    f.seek(os.path.getsize(p) // 2)
    b = f.read(1)
    f.seek(-1, 1)
    f.write(bytes([b[0] ^ 1]))
PY
run 1 verify good.dump --db "$url"
has "dbcare: backup $work/good.dump failed verification: its content differs from the copy that was verified (the file's SHA-256)" err
[ "$(status good.dump)" = failed ] || fail "the damaged dump's row is not failed"
[ "$(q -c "SELECT detail FROM dbcare.backups WHERE path = '$work/good.dump'")" != "" ] ||
  fail "the failed row does not say why"

# --- a dump that is not of the recorded snapshot: one row of 100,000 lost,
# then one value changed; the file is whole and hashes as recorded
mkdir shim
cat >shim/pg_dump <<SHIM
#!/usr/bin/env bash
args=()
for a in "\$@"; do case "\$a" in --snapshot=*) ;; *) args+=("\$a") ;; esac; done
"$B/psql" -X -q -d $db -c "\$(cat "$work/change")" >/dev/null
exec "$B/pg_dump" "\${args[@]}"
SHIM
chmod +x shim/pg_dump
echo "DELETE FROM big WHERE id = 54321" >change
PATH="$work/shim:$B:$PATH" run 0 backup lost.dump --db "$url"
run 1 verify lost.dump --db "$url"
has "dbcare: backup $work/lost.dump failed verification: table public.big has 99999 rows, the source had 100000" err
[ "$(status lost.dump)" = failed ] || fail "the dump that lost a row is not failed"
echo "UPDATE big SET note = 'changed' WHERE id = 7" >change
PATH="$work/shim:$B:$PATH" run 0 backup changed.dump --db "$url"
run 1 verify changed.dump --db "$url"
has "failed verification: table public.big holds other rows than the source (its content hash differs, with as many rows)" err
[ "$(scratch_dbs)" = 0 ] || fail "a failed verify left its scratch database"

# --- what is not a catalogued backup of the command
run 1 verify nowhere.dump --db "$url"
has "dbcare: no catalogued backup at nowhere.dump" err
q -c "SELECT dbbackup_record('barman', 'barman:main/20260101T000000')" >/dev/null
run 1 verify barman:main/20260101T000000 --db "$url"
has "was recorded by barman" err
# the migration verify still takes no argument but a backup
run 2 verify a b --db "$url"
# a catalogued dump deleted, named by a relative path: found in the catalog
# (which records absolute paths) and said gone, not "no catalogued backup"
mkdir -p rel
run 0 backup rel/gone.dump --db "$url"
rm rel/gone.dump
run 1 verify rel/gone.dump --db "$url"
grep -q "no catalogued backup" err && fail "a deleted catalogued dump was not found by its relative path: $(cat err)"
has "cannot be read" err
echo "ok: the dump's SHA-256 and content re-checked; one lost row of 100,000 found"
