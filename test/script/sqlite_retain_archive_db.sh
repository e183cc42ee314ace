#!/usr/bin/env bash
# Archives in another database (docs/retention.md, "Archives in another
# database"), SQLite: `dbcare retain --archive-db FILE` moves the due rows of
# an archive-db:NAME policy into a second database file.
#  1. 100,000 due rows (of 120,000) move with 8 writer processes inserting
#     into the source all along; after it, the rows left plus the rows
#     archived are exactly the rows there ever were (counts, and a hash of
#     every row's content), none twice, and every due row is gone.
#  2. The archive is readable (dbretain_archive_read) and carries the
#     source's schema fingerprint; zstd and none store the same rows.
#  5. An ON DELETE CASCADE child is refused (nothing deleted).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/cli.sh"
rows=100000
. "$here/lib/retain_archive_sqlite.sh"

# ---- 1. 100,000 rows with 8 writers
for w in $(seq 1 8); do
  (
    i=0
    while [ ! -e "$work/stop" ]; do
      i=$((i + 1))
      id=$((1000000 + w * 100000 + i))
      age=$([ $((i % 2)) = 0 ] && echo "-50 days" || echo "-0 days")
      sqlite3 -batch -cmd ".timeout 10000" "$db" \
        "BEGIN IMMEDIATE; INSERT INTO ev VALUES ($id, datetime('now', '$age'), 'w', 1.5);
         INSERT INTO ev_all SELECT * FROM ev WHERE id = $id; COMMIT;" >/dev/null 2>>"$work/writers.err" || true
      sleep 0.02
    done
  ) &

done
s1=$(date +%s.%N)
retain --json
s2=$(date +%s.%N)
touch "$work/stop"
wait
[ "$(json "d['policies'][0]['archived']")" -ge 100000 ] || fail "the run archived only $(json "d['policies'][0]['archived']")"
retain --quiet
inserted=$(q "SELECT count(*) FROM ev_all WHERE id > 1000000;")
[ "$inserted" -gt 0 ] || fail "the writers inserted nothing: $(tail -3 "$work/writers.err")"
exact "8 writers"
echo "$(($(date +%s) - t0)) s: 100,000+ rows with 8 writers ($inserted rows written meanwhile): $(echo "$s2 - $s1" | bc) s"

# ---- 2. readable, with the fingerprint; zstd and none
fp=$(q "SELECT dbschema_fingerprint();")
[ "$(aq "SELECT count(DISTINCT fingerprint) || '|' || min(fingerprint) FROM dbretain_archive_read;")" = "1|$fp" ] ||
  fail "the archive's fingerprint is not the source's"
[ "$(aq "SELECT DISTINCT codec FROM dbcare_retain_archive;")" = zstd ] || fail "not stored with zstd"
aq "SELECT sum(length(payload)) * 3 < (SELECT sum(length(\"row\")) FROM dbretain_archive_read)
    FROM dbcare_retain_archive;" | grep -qx 1 || fail "zstd did not compress"
q "WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < 50)
   INSERT INTO ev SELECT -i, datetime('now', '-45 days'), 'plain ' || i, i FROM g;
   INSERT INTO ev_all SELECT * FROM ev WHERE id < 0;" >/dev/null
retain --archive-codec none --quiet
[ "$(aq "SELECT codec, row_count FROM dbcare_retain_archive WHERE codec = 'none';")" = "none|50" ] || fail "codec none"
[ "$(aq "SELECT count(*) FROM dbretain_archive_read WHERE json_extract(\"row\", '$.body') LIKE 'plain %';")" = 50 ] ||
  fail "codec none: rows not readable"
counts "codecs"
echo "$(($(date +%s) - t0)) s: codecs"

# ---- 5. a cascade
q "CREATE TABLE parent (id INTEGER PRIMARY KEY, at TEXT NOT NULL);
   CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent ON DELETE CASCADE);
   INSERT INTO parent VALUES (1, datetime('now', '-60 days')); INSERT INTO child VALUES (1, 1);" >/dev/null
out=$(q "PRAGMA foreign_keys = ON; SELECT dbretain_add('par', 'parent', 'at', '30 days', 'archive', 'archive-db:p');" 2>&1) &&
  fail "a cascading archive policy was added"
case "$out" in *"would delete rows of table"*) ;; *) fail "cascade: $out" ;; esac
echo "sqlite_retain_archive_db: ok ($(($(date +%s) - t0)) s)"
