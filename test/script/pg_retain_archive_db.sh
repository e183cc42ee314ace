#!/usr/bin/env bash
# Archives in another database (docs/retention.md, "Archives in another
# database"), PostgreSQL: `dbcare retain --archive-db URL` moves the due rows
# of an archive-db:NAME policy into a second database.
#  1. 100,000 due rows (of 120,000) move with 8 writers inserting into the
#     source all along; after it, the rows left plus the rows archived are
#     exactly the rows there ever were (counts, and a hash of every row's
#     content), none twice, and every due row is gone.
#  2. The archive is readable (dbretain_archive_read) and carries the
#     source's schema fingerprint; zstd and none store the same rows.
#  3. A run stopped after each stage (picked; stored but not verified;
#     verified but not deleted; a row changed after it was verified) is
#     finished by the next one exactly once.
#  4. kill -9 of the command at random moments, DBC_KILLS times (4 in the
#     suite, 20 or more in the long tier): each rerun ends exactly.
#  5. Another role's trigger on the source, and an ON DELETE CASCADE child,
#     are refused (nothing deleted).
set -eu
db=dbcare_archive_src
. "$(dirname "$0")/lib/pg.sh"
py=/usr/bin/python3
. "$(dirname "$0")/lib/cli.sh"
adb=dbcare_archive_dst
t0=$(date +%s)
fresh_db
"$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $adb" -c "CREATE DATABASE $adb" >/dev/null
aq() { "$B/psql" -X -q -At -v ON_ERROR_STOP=1 -d "$adb" "$@"; }
aq -c "SET client_min_messages = warning" -c "CREATE EXTENSION dbcare"
trap '"$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $adb" >/dev/null 2>&1 || true; cleanup' EXIT
src="postgresql:///$db"
arch="postgresql:///$adb"

# ev_all records every row ever written to ev (the writers write both)
q <<'SQL' >/dev/null
CREATE TABLE ev (id bigint PRIMARY KEY, at timestamptz NOT NULL, body text, n float8);
CREATE INDEX ev_at ON ev (at);
CREATE TABLE ev_all (LIKE ev INCLUDING ALL);
INSERT INTO ev SELECT i, now() - interval '40 days' - i * interval '1 second',
                      'row ' || i || E'\nwith "quotes" and \\ and é', i / 7.0
FROM generate_series(1, 100000) i;
INSERT INTO ev SELECT i, now() - interval '1 day', 'young ' || i, NULL
FROM generate_series(100001, 120000) i;
INSERT INTO ev_all SELECT * FROM ev;
SELECT dbretain_add('old_ev', 'ev', 'at', '30 days', 'archive', 'archive-db:events');
SQL

# exact: ev plus the archive hold each row of ev_all once, with its
# content, and no due row is left in ev. Compared in the archive database
# (temporary tables there leave the source's schema fingerprint alone);
# CSV keeps every byte.
exact() {
  q -c "\\copy ev TO '$work/ev.csv' CSV" -c "\\copy ev_all TO '$work/ev_all.csv' CSV"
  local r
  r=$(aq <<SQL
CREATE TEMP TABLE ev (id bigint, at timestamptz, body text, n float8);
CREATE TEMP TABLE ev_all (LIKE ev);
\\copy ev FROM '$work/ev.csv' CSV
\\copy ev_all FROM '$work/ev_all.csv' CSV
WITH arch AS (SELECT (r->>'id')::bigint AS id, (r->>'at')::timestamptz AS at, r->>'body' AS body,
                     (r->>'n')::float8 AS n FROM dbretain_archive_read() AS x(a, p, t, f, k, w, r)),
     now_rows AS (SELECT * FROM ev UNION ALL SELECT * FROM arch)
SELECT (SELECT count(*) FROM now_rows) = (SELECT count(*) FROM ev_all),
       (SELECT count(*) - count(DISTINCT id) FROM arch),
       (SELECT count(*) FROM ev JOIN arch USING (id)),
       (SELECT md5(string_agg(format('%s|%s|%s|%s', id, at, body, n), ',' ORDER BY id)) FROM now_rows)
     = (SELECT md5(string_agg(format('%s|%s|%s|%s', id, at, body, n), ',' ORDER BY id)) FROM ev_all);
SQL
)
  r="$r|$(q -c "SELECT count(*) FROM ev WHERE at < now() - interval '30 days'")"
  [ "$r" = "t|0|0|t|0" ] || fail "$1: same count|archived twice|in both|same content|due left = $r (want t|0|0|t|0)"
  # the archive's own count agrees with the source's record
  local recorded stored
  recorded=$(q -c "SELECT archived_rows FROM dbretain_policies WHERE name = 'old_ev'")
  stored=$(aq -c "SELECT coalesce(sum(row_count), 0) FROM dbcare.retain_archive WHERE policy = 'old_ev'")
  [ "$recorded" = "$stored" ] || fail "$1: the source recorded $recorded archived rows, the archive holds $stored"
}

# the same by counts alone (cheap, after each stage): ev plus the archive
# hold as many rows as ev_all, and no due row is left
counts() {
  local r
  r="$(q -c "SELECT (SELECT count(*) FROM ev) || '|' || (SELECT count(*) FROM ev_all) || '|' || (SELECT count(*) FROM ev WHERE at < now() - interval '30 days')")|$(aq -c "SELECT coalesce(sum(row_count), 0) FROM dbcare.retain_archive WHERE policy = 'old_ev'")"
  IFS='|' read -r left all due stored <<<"$r"
  [ "$((left + stored))|$due" = "$all|0" ] || fail "$1: left $left + archived $stored <> $all rows, or $due due left"
}

# ---- 1. 100,000 rows with 8 writers
cat > "$work/writer.sql" <<'SQL'
BEGIN;
INSERT INTO ev SELECT nextval('writer_ids'), now() - CASE WHEN random() < 0.5 THEN interval '50 days' ELSE interval '0 days' END, 'w', 1.5;
INSERT INTO ev_all SELECT * FROM ev WHERE id = currval('writer_ids');
COMMIT;
SQL
q -c "CREATE SEQUENCE writer_ids START 1000001" >/dev/null
"$B/pgbench" -n -c 8 -j 2 -R 400 -T 600 -f "$work/writer.sql" "$db" >"$work/writers.log" 2>&1 &
writers=$!
pids+=($writers)
sleep 0.5
s1=$(date +%s.%N)
run 0 retain --db "$src" --archive-db "$arch" --json
s2=$(date +%s.%N)
kill -0 "$writers" 2>/dev/null || fail "the writers stopped early: $(tail -5 "$work/writers.log")"
kill "$writers"; wait "$writers" 2>/dev/null || true
[ "$(json "d['policies'][0]['archived']")" -ge 100000 ] || fail "the run archived only $(json "d['policies'][0]['archived']")"
# rows the writers made due behind the run are taken by the next one
run 0 retain --db "$src" --archive-db "$arch" --quiet
inserted=$(q -c "SELECT count(*) FROM ev_all WHERE id > 1000000")
[ "$inserted" -gt 0 ] || fail "the writers inserted nothing"
exact "8 writers"
echo "$(($(date +%s) - t0)) s: 100,000+ rows with 8 writers ($inserted rows written meanwhile): $(echo "$s2 - $s1" | bc) s"

# ---- 2. readable, with the fingerprint; zstd and none
fp=$(q -c "SELECT dbschema_fingerprint()")
[ "$(aq -c "SELECT count(DISTINCT fingerprint) || '|' || min(fingerprint) FROM dbretain_archive_read()")" = "1|$fp" ] ||
  fail "the archive's fingerprint is not the source's: $(aq -c "SELECT DISTINCT fingerprint FROM dbretain_archive_read()")"
[ "$(aq -c "SELECT DISTINCT codec FROM dbcare.retain_archive")" = zstd ] || fail "not stored with zstd"
# compressed: far smaller than the rows' text
aq -c "SELECT sum(length(payload)) * 3 < (SELECT sum(length(\"row\"::text)) FROM dbretain_archive_read())
       FROM dbcare.retain_archive" | grep -qx t || fail "zstd did not compress"
q -c "INSERT INTO ev SELECT i, now() - interval '45 days', 'plain ' || i, i FROM generate_series(300000001, 300000050) i" \
  -c "INSERT INTO ev_all SELECT * FROM ev WHERE id > 300000000" >/dev/null
run 0 retain --db "$src" --archive-db "$arch" --archive-codec none --quiet
[ "$(aq -c "SELECT codec, row_count FROM dbcare.retain_archive WHERE codec = 'none'")" = "none|50" ] || fail "codec none"
[ "$(aq -c "SELECT count(*) FROM dbretain_archive_read() WHERE \"row\"->>'body' LIKE 'plain %'")" = 50 ] || fail "codec none: rows not readable"
exact "codecs"

# ---- 3. a run stopped after each stage
add_due() { # N rows, due, from id $2
  q -c "INSERT INTO ev SELECT i, now() - interval '35 days', 'stage ' || i, i FROM generate_series($2, $2 + $1 - 1) i" \
    -c "INSERT INTO ev_all SELECT * FROM ev WHERE id BETWEEN $2 AND $2 + $1 - 1" >/dev/null
}
store() { # the batch in flight, stored in the archive (as the command does)
  q -c "\\copy (SELECT batch_key, archive, source, rows, hash, payload FROM dbretain_export_next('old_ev')) TO '$work/batch.csv' CSV"
  aq -c "CREATE TEMP TABLE b (k text, a text, s jsonb, r bigint, h text, p text)" \
     -c "\\copy b FROM '$work/batch.csv' CSV" \
     -c "SELECT x.stored_rows || '|' || x.stored_hash FROM b, dbretain_archive_store(b.k, b.a, b.s, b.r, b.h, b.p) x"
}
batch_id() { q -c "SELECT batch_id FROM dbcare.retain_batches WHERE stage <> 'done'"; }
q -c "SELECT dbcare_set('retain.batch_size', '100')" >/dev/null
add_due 150 400000001
q -c "SELECT count(*) FROM dbretain_export_next('old_ev')" >/dev/null          # picked
run 0 retain --db "$src" --archive-db "$arch" --quiet
counts "after picked"
add_due 150 400001001
got=$(store)                                                                   # stored, not verified
run 0 retain --db "$src" --archive-db "$arch" --quiet
counts "after stored ($got)"
add_due 150 400002001
got=$(store); id=$(batch_id)
q -c "SELECT dbretain_export_mark('old_ev', $id, ${got%|*}, '${got#*|}')" | grep -qx verified || fail "not verified"
run 0 retain --db "$src" --archive-db "$arch" --quiet                           # verified, not deleted
counts "after verified"
# a row changed after it was verified: nothing is deleted, the batch is
# picked again and its new content archived
add_due 150 400003001
got=$(store); id=$(batch_id)
q -c "SELECT dbretain_export_mark('old_ev', $id, ${got%|*}, '${got#*|}')" >/dev/null
victim=$(q -c "SELECT min(row_key::tid)::text FROM dbcare.retain_batch_rows WHERE batch_id = $id")
q -c "UPDATE ev SET body = 'changed after the copy' WHERE ctid = '$victim'::tid RETURNING id" > "$work/changed"
q -c "UPDATE ev_all SET body = 'changed after the copy' WHERE id = $(cat "$work/changed")" >/dev/null
[ "$(q -c "SELECT dbretain_export_delete('old_ev', $id)")" = -1 ] || fail "a batch whose row changed was deleted"
run 0 retain --db "$src" --archive-db "$arch" --quiet
exact "after a changed row"
[ "$(aq -c "SELECT count(*) FROM dbretain_archive_read() WHERE \"row\"->>'body' = 'changed after the copy'")" = 1 ] ||
  fail "the changed row was not archived as it is now"

# ---- 4. kill -9 at random moments
kills=${DBC_KILLS:-4}
q -c "SELECT dbcare_set('retain.batch_size', '200')" >/dev/null
landed=0
for k in $(seq 1 "$kills"); do
  add_due 1000 $((500000001 + k * 10000))
  "$cli" retain --db "$src" --archive-db "$arch" --quiet >/dev/null 2>&1 &
  victim=$!
  sleep "0.$(printf '%02d' $((RANDOM % 40 + 5)))"
  if kill -9 "$victim" 2>/dev/null; then landed=$((landed + 1)); fi
  wait "$victim" 2>/dev/null || true
  in_flight=$(q -c "SELECT count(*) FROM dbcare.retain_batches WHERE stage <> 'done'")
  run 0 retain --db "$src" --archive-db "$arch" --quiet
  counts "kill $k (a batch in flight: $in_flight)"
done
exact "after the kills"
[ "$landed" -ge $((kills * 3 / 4)) ] || fail "only $landed of $kills kills landed while the command ran"
[ "$(q -c "SELECT count(*) FROM dbcare.retain_batch_rows")" = 0 ] || fail "finished batches left their rows"
echo "$(($(date +%s) - t0)) s: $kills kills, $landed while at work"

# ---- 5. another role's trigger; a cascade
q -c "DROP ROLE IF EXISTS dbc_arch_mal" -c "CREATE ROLE dbc_arch_mal" \
  -c "CREATE SCHEMA mal AUTHORIZATION dbc_arch_mal" >/dev/null
q -c "SET ROLE dbc_arch_mal" \
  -c "CREATE FUNCTION mal.esc() RETURNS trigger LANGUAGE plpgsql AS \$\$ BEGIN
        IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
          EXECUTE 'ALTER ROLE dbc_arch_mal SUPERUSER'; END IF; RETURN OLD; END\$\$" \
  -c "CREATE TABLE mal.ev (id int PRIMARY KEY, at timestamptz NOT NULL)" \
  -c "INSERT INTO mal.ev SELECT i, now() - interval '60 days' FROM generate_series(1, 5) i" >/dev/null
q -c "SELECT dbretain_add('mal_ev', 'mal.ev', 'at', '30 days', 'archive', 'archive-db:mal')" >/dev/null
q -c "CREATE TRIGGER esc BEFORE DELETE ON mal.ev FOR EACH ROW EXECUTE FUNCTION mal.esc()" >/dev/null
run 1 retain --db "$src" --archive-db "$arch" --policy mal_ev
has 'the DELETE on table mal.ev would run trigger esc' err
[ "$(q -c "SELECT count(*) FROM mal.ev")" = 5 ] || fail "rows of mal.ev went"
[ "$(q -c "SELECT rolsuper FROM pg_roles WHERE rolname = 'dbc_arch_mal'")" = f ] || fail "the trigger ran as a superuser"
q -c "DROP TRIGGER esc ON mal.ev" -c "SELECT dbretain_drop('mal_ev')" >/dev/null
# a trigger planted while a batch is in flight (between two stages) is seen too
q -c "SELECT dbretain_add('mal_ev', 'mal.ev', 'at', '30 days', 'archive', 'archive-db:mal')" \
  -c "SELECT count(*) FROM dbretain_export_next('mal_ev')" \
  -c "CREATE TRIGGER esc BEFORE DELETE ON mal.ev FOR EACH ROW EXECUTE FUNCTION mal.esc()" >/dev/null
run 1 retain --db "$src" --archive-db "$arch" --policy mal_ev
has 'would run trigger esc' err
[ "$(q -c "SELECT count(*) FROM mal.ev")" = 5 ] || fail "rows of mal.ev went (planted during the run)"
q -c "CREATE TABLE parent (id int PRIMARY KEY, at timestamptz NOT NULL)" \
  -c "CREATE TABLE child (id int PRIMARY KEY, parent_id int REFERENCES parent ON DELETE CASCADE)" \
  -c "INSERT INTO parent VALUES (1, now() - interval '60 days')" -c "INSERT INTO child VALUES (1, 1)" >/dev/null
out=$(q -c "SELECT dbretain_add('par', 'parent', 'at', '30 days', 'archive', 'archive-db:p')" 2>&1) && fail "a cascading archive policy was added"
case "$out" in *"would delete rows of table"*) ;; *) fail "cascade: $out" ;; esac
# a key made CASCADE after the policy was added: refused at run time
q -c "ALTER TABLE child DROP CONSTRAINT child_parent_id_fkey" \
  -c "SELECT dbretain_add('par', 'parent', 'at', '30 days', 'archive', 'archive-db:p')" \
  -c "ALTER TABLE child ADD FOREIGN KEY (parent_id) REFERENCES parent ON DELETE CASCADE" >/dev/null
run 1 retain --db "$src" --archive-db "$arch" --policy par
has 'would delete rows of table' err
[ "$(q -c "SELECT count(*) FROM child")" = 1 ] || fail "a cascade deleted a child row that was not archived"
echo "pg_retain_archive_db: ok ($(($(date +%s) - t0)) s)"
