#!/usr/bin/env bash
# `dbcare backup --compress zstd` of a PostgreSQL database compresses the
# dump: pg_dump writes its archive uncompressed for it (zstd of pg_dump's
# own compressed archive saved nothing), and the dump still restores.
set -eu
db=dbcare_backup_compress
. "$(dirname "$0")/lib/pg.sh"
fresh_db
. "$(dirname "$0")/lib/cli.sh"
into=${db}_into
drop_into() { cleanup; "$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $into" >/dev/null 2>&1 || true; }
trap drop_into EXIT
# rows that repeat every 300 (190 kB apart: beyond deflate's 32 kB window)
q -c "CREATE TABLE doc (id int PRIMARY KEY, body text)" \
  -c "INSERT INTO doc SELECT g, repeat(md5((g % 300)::text), 20) FROM generate_series(1, 50000) g" >/dev/null
url="postgresql://$PGUSER@/$db?host=$PGHOST&port=$PGPORT"
run 0 backup "$work/plain.dump" --db "$url"
run 0 backup "$work/zstd.dump" --compress zstd --db "$url"
plain=$(stat -c %s "$work/plain.dump") zstd=$(stat -c %s "$work/zstd.dump")
[ $((zstd * 4)) -lt "$plain" ] || fail "--compress zstd wrote $zstd bytes, pg_dump's own archive $plain"
"$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $into" -c "CREATE DATABASE $into" >/dev/null
run 0 restore "$work/zstd.dump" --db "postgresql://$PGUSER@/$into?host=$PGHOST&port=$PGPORT"
has "every row count and content hash the source's" out
echo ok
