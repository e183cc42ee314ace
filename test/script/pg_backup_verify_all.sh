#!/usr/bin/env bash
# dbcare verify --all-backups on PostgreSQL (docs/backups.md, docs/cli.md):
# every catalogued backup dbcare made (pg_dump rows: the file's SHA-256 and
# a restore into a scratch database; pgBackRest rows: test/script/
# pg_pgbackrest_verify.sh covers one) is verified again, oldest first, one
# line each, progress on stderr; backups recorded by other tools are not
# dbcare's to verify and are skipped; the exit status is 1 when any fails,
# and each row is marked.
set -eu
db=dbcare_backup_verify_all
. "$(dirname "$0")/lib/pg.sh"
. "$(dirname "$0")/lib/cli.sh"
py=/usr/bin/python3
url="postgresql://$PGUSER@/$db?host=$PGHOST&port=$PGPORT"
status() { q -c "SELECT string_agg(status, ' ' ORDER BY id) FROM dbcare.backups WHERE kind = 'pg_dump'"; }

fresh_db
q -c "CREATE TABLE t (id int PRIMARY KEY, note text);
      INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 20000) g"
run 0 backup one.dump --db "$url"
q -c "DELETE FROM t WHERE id % 3 = 0"
run 0 backup two.dump --db "$url"
q -c "SELECT dbbackup_record('barman', 'barman:main/20260101T000000')" >/dev/null

t0=$(date +%s%N)
run 0 verify --all-backups --db "$url"
echo "verify of two dumps: $((($(date +%s%N) - t0) / 1000000)) ms"
[ "$(cat out)" = "verified $work/one.dump
verified $work/two.dump" ] || fail "not one verified line per dump: $(cat out)"
has "verifying backup 2 of 2: $work/two.dump" err
[ "$(status)" = "verified verified" ] || fail "the rows: $(status)"

# a byte of the first dump changed: it fails, the second still verifies
"$py" - "$work/one.dump" <<'PY'
import os, sys
with open(sys.argv[1], 'r+b') as f:
    f.seek(os.path.getsize(sys.argv[1]) // 2)
    b = f.read(1)
    f.seek(-1, 1)
    f.write(bytes([b[0] ^ 1]))
PY
run 1 verify --all-backups --db "$url" --json
[ "$(json "[(b['path'], b['status']) for b in d['verify']]")" = "[('$work/one.dump', 'failed'), ('$work/two.dump', 'verified')]" ] ||
  fail "JSON: $(cat out)"
[ "$(json "d['verify'][0]['detail']")" = "its content differs from the copy that was verified (the file's SHA-256)" ] ||
  fail "the reason: $(cat out)"
[ "$(status)" = "failed verified" ] || fail "the rows: $(status)"
[ "$("$B/psql" -X -At -d postgres -c "SELECT count(*) FROM pg_database WHERE datname ~ '^dbcare_verify_[0-9]'")" = 0 ] ||
  fail "a scratch database was left"
echo "ok: every catalogued dump re-verified, one line each"
