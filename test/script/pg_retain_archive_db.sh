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
#  5. Another role's trigger on the source, and an ON DELETE CASCADE child,
#     are refused (nothing deleted).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
db=dbcare_archive_src
adb=dbcare_archive_dst
rows=100000
. "$(dirname "$0")/lib/pg.sh"
py=/usr/bin/python3
. "$(dirname "$0")/lib/cli.sh"
. "$here/lib/retain_archive_pg.sh"

# ---- 1. 100,000 rows with 8 writers
cat > "$work/writer.sql" <<'SQL'
BEGIN;
INSERT INTO ev SELECT nextval('writer_ids'), now() - CASE WHEN random() < 0.5 THEN interval '50 days' ELSE interval '0 days' END, 'w', 1.5;
INSERT INTO ev_all SELECT * FROM ev WHERE id = currval('writer_ids');
COMMIT;
SQL
q -c "CREATE SEQUENCE writer_ids START 1000001" >/dev/null
"$B/pgbench" -n -c 8 -j 2 -R 100 -T 600 -f "$work/writer.sql" "$db" >"$work/writers.log" 2>&1 &
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
counts "codecs"
echo "$(($(date +%s) - t0)) s: codecs"

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
