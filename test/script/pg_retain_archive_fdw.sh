#!/usr/bin/env bash
# dbcare-test-plain-too: 6 rounds of terminations on the plain module, 3 under the sanitizer
# Archives in another database reached through postgres_fdw
# (docs/retention.md, "Archives in an attached database"): the archive
# database's dbcare.retain_archive imported as a foreign table, and
# dbretain_archive_attached(policy, schema) run in the source, one stage
# per call, moves an archive-db:NAME policy's due rows into it.
#  1. The stages picked, stored, done, idle; 2,000 due rows move, each
#     once, with their content (compared row by row); a schema without
#     the foreign table, or with a local table of that name, is refused,
#     and so is another role's trigger on the archive table.
#  2. The calling session terminated at random moments, DBC_KILLS times
#     (6 in the pg suite, 3 under ASan), 1,500 more due rows in batches of
#     50 each time (at least half the terminations must find it at work):
#     the next run finishes what was in flight; nothing lost, nothing twice.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
db=dbcare_archive_fdw_src
adb=dbcare_archive_fdw_dst
rows=2000
. "$(dirname "$0")/lib/pg.sh"
py=/usr/bin/python3
. "$(dirname "$0")/lib/cli.sh"
. "$here/lib/retain_archive_pg.sh"
rounds=${DBC_KILLS:-6}
# Under AddressSanitizer (the pg_asan suite) 3 rounds: each round runs the
# same termination and resume code, which is what the sanitizer watches; the
# terminations' coverage is the pg suite's 6 rounds.
[ "${DBC_PG_TAG:-}" != pg_asan/ ] || rounds=${DBC_KILLS:-3}

q <<SQL >/dev/null
SET client_min_messages = warning;
CREATE EXTENSION postgres_fdw;
CREATE SERVER archive FOREIGN DATA WRAPPER postgres_fdw
  OPTIONS (dbname '$adb', host '$PGHOST', port '$PGPORT');
CREATE USER MAPPING FOR CURRENT_USER SERVER archive;
CREATE SCHEMA cold;
IMPORT FOREIGN SCHEMA dbcare LIMIT TO (retain_archive) FROM SERVER archive INTO cold;
SELECT dbcare_set('retain.batch_size', '500');
SQL
step() { q -c "SELECT dbretain_archive_attached('old_ev', 'cold')::json ->> 'stage'"; }
# to_end W: stage calls until one answers idle (at most 400), all in one
# session (a psql start-up and a postgres_fdw connection per call cost more
# than the call): psql sets idle from each call's answer and quits at the
# first idle one. A call that fails leaves idle false and the next one runs,
# as a loop of one psql per call would.
{
  echo '\set idle false'
  for _ in $(seq 1 400); do
    printf '%s\n' "SELECT dbretain_archive_attached('old_ev', 'cold')::json ->> 'stage' = 'idle' AS idle \\gset" \
      '\if :idle' '\echo idle' '\q' '\endif'
  done
} >"$work/to_end.sql"
to_end() {
  local out
  out=$("$B/psql" -X -q -At -d "$db" -f "$work/to_end.sql") || true
  [ "$out" = idle ] || fail "$1: never idle"
}

# ---- 1. the stages, then the whole run
[ "$(step)" = picked ] || fail "the first call does not pick"
[ "$(step)" = stored ] || fail "the second call does not store"
[ "$(aq -c "SELECT count(*), sum(row_count) FROM dbcare.retain_archive")" = "1|500" ] ||
  fail "the archive database does not hold the batch: $(aq -c "SELECT count(*), sum(row_count) FROM dbcare.retain_archive")"
[ "$(step)" = done ] || fail "the stored batch is not deleted"
to_end "the first run"
exact "the first run"
out=$(q -c "SELECT dbretain_archive_attached('old_ev', 'public')" 2>&1) && fail "public taken as an archive"
case "$out" in *'dbcare: schema "public" holds no foreign table retain_archive'*) ;; *) fail "public: $out" ;; esac
q -c "CREATE SCHEMA localcopy; CREATE TABLE localcopy.retain_archive (LIKE dbcare.retain_archive)" >/dev/null
out=$(q -c "SELECT dbretain_archive_attached('old_ev', 'localcopy')" 2>&1) && fail "a local table taken as an archive"
case "$out" in *'holds no foreign table retain_archive'*) ;; *) fail "local: $out" ;; esac

# another role's trigger on the archive table would run with the caller's
# rights: the store is refused, nothing moves until it is gone
q <<'SQL' >/dev/null
SET client_min_messages = warning;
CREATE ROLE regress_fdw_planter;
CREATE FUNCTION public.planted() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;
ALTER FUNCTION public.planted() OWNER TO regress_fdw_planter;
CREATE TRIGGER planted BEFORE INSERT ON cold.retain_archive FOR EACH ROW EXECUTE FUNCTION public.planted();
INSERT INTO ev VALUES (9000001, now() - interval '40 days', 'planted', 1);
INSERT INTO ev_all SELECT * FROM ev WHERE id = 9000001;
SQL
[ "$(step)" = picked ] || fail "the batch beside the trigger is not picked"
out=$(step 2>&1) && fail "stored through another role's trigger"
case "$out" in *"the INSERT on table cold.retain_archive would run"*) ;; *) fail "trigger: $out" ;; esac
q -c "DROP TRIGGER planted ON cold.retain_archive; DROP FUNCTION public.planted(); DROP ROLE regress_fdw_planter" >/dev/null
to_end "after the trigger"
counts "after the trigger"

# ---- 2. the calling session terminated at random moments
landed=0 next=$((rows + rows / 5 + 1))
q -c "SELECT dbcare_set('retain.batch_size', '50')" >/dev/null
for k in $(seq 1 "$rounds"); do
  q <<SQL >/dev/null
INSERT INTO ev SELECT i, now() - interval '40 days', 'round $k row ' || i, i FROM generate_series($next, $next + 1499) i;
INSERT INTO ev_all SELECT * FROM ev WHERE id BETWEEN $next AND $next + 1499;
SQL
  next=$((next + 1500))
  for _ in $(seq 1 120); do echo "SELECT dbretain_archive_attached('old_ev', 'cold');"; done >"$work/loop.sql"
  PGAPPNAME=dbc_fdw_loop "$B/psql" -X -q -At -d "$db" -f "$work/loop.sql" >/dev/null 2>&1 &
  victim=$!
  sleep "0.$(( RANDOM % 5 ))$(( RANDOM % 10 ))"
  n=$(q -c "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'dbc_fdw_loop'")
  landed=$((landed + n))
  wait "$victim" 2>/dev/null || true
  to_end "round $k"
  counts "round $k"
done
exact "after the terminations"
[ "$landed" -ge $(((rounds + 1) / 2)) ] || fail "only $landed of $rounds terminations found the session at work"
echo "ok: stages, $landed of $rounds sessions terminated at work, every row archived once"
