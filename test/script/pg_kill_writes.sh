#!/usr/bin/env bash
# Kill tier (PostgreSQL): every writing feature killed with SIGKILL at random
# points, DBC_KILLS rounds: 6 in the suite (about 80 s on a loaded 2-core
# machine, each round waits for crash recovery); the long tier runs 20 or
# more: DBC_KILLS=20 DBC_SUITES=pg DBC_ONLY=script/pg_kill_writes
# test/harness/run_tests.sh (docs/testing.md). Each round six sessions work at
# once: an audited, hash-chained table taking 10-row INSERT batches; soft
# delete, restore and purge of 100-row batches; dbmigrate_apply of a
# migration that fills a 50,000-row table; CALL dbretain_run archiving in
# batches of 25; dbbackup_record calls; dbmaintain_run validating a CHECK
# made NOT VALID again. After a random 0.1-0.9 s one backend gets SIGKILL,
# so the postmaster ends every session and recovers (one crash kills all
# six features: 20 rounds are 20 kills of each). After
# every kill: no partial batch is visible (a batch has all its rows or
# none, all marked or none), audit entries equal the rows committed and the
# chain verifies clean, the migration is applied with its whole table or
# pending without it, archived + remaining rows equal the original count
# with no row twice, every acknowledged backup record is there once, and a
# maintenance run is recorded if and only if its validation took effect.
set -eu
db=dbcare_kill_writes
. "$(dirname "$0")/lib/pg.sh"
rounds=${DBC_KILLS:-6}
owner=$(stat -c %U "$PGHOST/.s.PGSQL.$PGPORT")
as_owner=()
[ "$(id -un)" = "$owner" ] || [ "$(id -u)" != 0 ] || as_owner=(runuser -u "$owner" --)
# A crash loses commits still in the WAL buffers (the test cluster runs
# with synchronous_commit = off): here every acknowledged commit is durable.
export PGOPTIONS="${PGOPTIONS:-} -c synchronous_commit=on"
fresh_db
t0=$(date +%s)
src_rows=20000
q -c "SET client_min_messages = warning" \
  -c "CREATE TABLE aw (id bigserial PRIMARY KEY, batch bigint NOT NULL, n int NOT NULL)" \
  -c "CREATE SEQUENCE aw_batch" \
  -c "SELECT dbaudit_enable('aw', '{\"hash_chain\": true}')" \
  -c "CREATE TABLE sd (id int PRIMARY KEY, v int NOT NULL)" \
  -c "INSERT INTO sd SELECT g, g FROM generate_series(1, 400000) g" \
  -c "SELECT count(*) FROM dbsoftdelete_enable('sd')" \
  -c "CREATE SCHEMA archive" \
  -c "CREATE TABLE src (id int PRIMARY KEY, at timestamptz NOT NULL, payload text)" \
  -c "CREATE INDEX ON src (at)" \
  -c "INSERT INTO src SELECT g, now() - interval '40 days' - g * interval '1 minute', md5(g::text)
        FROM generate_series(1, $src_rows) g" \
  -c "CREATE TABLE mt (id int PRIMARY KEY, v int NOT NULL)" \
  -c "INSERT INTO mt SELECT g, g FROM generate_series(1, 100000) g" \
  -c "ALTER TABLE mt ADD CONSTRAINT mt_ck CHECK (v > 0)" \
  -c "CREATE TABLE drops (n int NOT NULL)" -c "INSERT INTO drops VALUES (0)" -c "ANALYZE" \
  -c "SELECT dbretain_add('p', 'src', 'at', '30 days', 'archive', 'archive.src')" \
  -c "SELECT dbcare_set('retain.batch_size', '25')" \
  -c "SELECT dbcare_set('retain.sleep_ms', '5')" \
  -c "SELECT count(*) FROM dbretain_apply('p', 1)" -c "INSERT INTO src SELECT id, at, payload FROM archive.src" \
  -c "TRUNCATE archive.src" >/dev/null

# the session scripts of round r
audit_sql() {
  for _ in $(seq 1 3000); do
    echo "WITH b AS (SELECT nextval('aw_batch') AS b) INSERT INTO aw (batch, n) SELECT b.b, g FROM b, generate_series(1, 10) g;"
  done
}
softdelete_sql() { # batches of 100 ids, 100 batches a round
  local k lo hi
  for k in $(seq $(($1 * 100)) $(($1 * 100 + 99))); do
    lo=$((k * 100 + 1)); hi=$((k * 100 + 100))
    echo "DELETE FROM sd WHERE id BETWEEN $lo AND $hi;"
    echo "SELECT dbsoftdelete_restore('sd', (SELECT jsonb_agg(jsonb_build_object('id', id)) FROM sd WHERE id BETWEEN $lo AND $hi));"
    echo "DELETE FROM sd WHERE id BETWEEN $lo AND $hi;"
    echo "SELECT dbsoftdelete_purge('sd');"
  done
}
maintain_sql() { # a CHECK made NOT VALID again (counted), then a run validating it
  for _ in $(seq 1 300); do
    echo "BEGIN;
      UPDATE drops SET n = n + 1 WHERE (SELECT convalidated FROM pg_constraint WHERE conname = 'mt_ck');
      ALTER TABLE mt DROP CONSTRAINT mt_ck;
      ALTER TABLE mt ADD CONSTRAINT mt_ck CHECK (v > 0) NOT VALID;
      COMMIT;"
    echo "SELECT count(*) FROM dbmaintain_run('quick');"
  done
}
backup_sql() {
  for i in $(seq 1 3000); do echo "SELECT 'ack:' || dbbackup_record('pg_dump', 'r$1-$i');"; done
}
start() { # name sql-file: one session of the round
  PGAPPNAME="kill_$1" "$B/psql" -X -q -At -v ON_ERROR_STOP=1 -d "$db" -f "$2" >"$work/$1.out" 2>&1 &
  eval "pid_$1=$!"
}

check() { # the invariants after round $1, read in one session
  local r=$1 acks v
  acks=$(grep '^ack:' "$work/backup.out" | cut -d: -f2 | paste -sd, -)
  v=$(q -c "SELECT
    -- audit: whole batches only, one insert entry per committed row, chain clean
    (SELECT count(*) FROM (SELECT batch FROM aw GROUP BY batch HAVING count(*) <> 10) s),
    (SELECT count(*) FROM aw),
    (SELECT count(*) FROM dbcare.audit_log WHERE table_name = 'public.aw' AND operation = 'insert'),
    (SELECT count(*) FROM dbcare.audit_log a WHERE table_name = 'public.aw'
        AND NOT EXISTS (SELECT FROM aw WHERE aw.id = (a.key->>'id')::bigint)),
    (SELECT checked || '/' || coalesce(broken_id::text, '') || '/' || coalesce(problem, '') FROM dbaudit_verify()),
    -- soft delete: every 100-row batch whole or purged, all marked or none
    (SELECT count(*) FROM (SELECT (id - 1) / 100 FROM sd GROUP BY (id - 1) / 100
                            HAVING count(*) <> 100 OR count(deleted_at) NOT IN (0, 100)) b),
    -- migration: applied with its whole table, or pending without it
    coalesce((SELECT state FROM dbmigrate_status() WHERE version = '$r'), 'none'),
    (SELECT CASE WHEN to_regclass('public.m_$r') IS NULL THEN -1 ELSE
       (xpath('//c/text()', query_to_xml('SELECT count(*) AS c FROM public.m_$r', false, false, '')))[1]::text::int END),
    -- (the maintenance session changes public.mt outside any migration: drift there is expected)
    (SELECT count(*) FROM dbmigrate_validate() WHERE NOT (problem = 'drift' AND name = 'public.mt')),
    -- retention: archived + remaining = the rows there were, none twice
    (SELECT count(*) FROM src) + (SELECT count(*) FROM archive.src),
    (SELECT count(*) - count(DISTINCT id) FROM archive.src) + (SELECT count(*) FROM src JOIN archive.src USING (id)),
    -- backups: every acknowledged record there, once
    (SELECT count(*) FROM dbbackup_list() WHERE path LIKE 'r$r-%'),
    (SELECT count(DISTINCT path) FROM dbbackup_list() WHERE path LIKE 'r$r-%'),
    (SELECT count(*) FROM unnest('{$acks}'::bigint[]) a(id) WHERE a.id NOT IN (SELECT id FROM dbbackup_list())),
    -- maintenance: a validation is recorded if and only if it took effect
    (SELECT count(*) FROM dbmaintain_history() WHERE action = 'validate_constraint' AND status = 'done'),
    (SELECT n FROM drops),
    (SELECT convalidated::int FROM pg_constraint WHERE conname = 'mt_ck')" -F ' ')
  read -r partial rows entries orphans verify sd_partial mstate mrows invalid total twice backups bdistinct lost \
    validations drops valid <<<"$v"
  [ "$partial" = 0 ] || fail "round $r: $partial audit batches are partial"
  [ "$entries" = "$rows" ] && [ "$orphans" = 0 ] || fail "round $r: $rows rows, $entries entries, $orphans entries of no row"
  [ "$verify" = "$entries//" ] || fail "round $r: dbaudit_verify: $verify (want $entries//)"
  [ "$sd_partial" = 0 ] || fail "round $r: $sd_partial soft delete batches are partial"
  case "$mstate:$mrows" in
    applied:50000 | pending:-1) ;;
    *) fail "round $r: migration $mstate with $mrows rows in its table" ;;
  esac
  [ "$invalid" = 0 ] || fail "round $r: validate: $(q -c "SELECT * FROM dbmigrate_validate()")"
  [ "$total:$twice" = "$src_rows:0" ] || fail "round $r: retention total $total (want $src_rows), $twice rows twice"
  acked=$(grep -c '^ack:' "$work/backup.out" || true)
  [ "$backups" = "$bdistinct" ] || fail "round $r: backup records twice: $backups rows, $bdistinct paths"
  [ "$backups" -ge "$acked" ] && [ "$backups" -le $((acked + 1)) ] && [ "$lost" = 0 ] ||
    fail "round $r: $backups backup records, $acked acknowledged, $lost of those lost"
  [ "$validations" = $((drops - 1 + valid)) ] ||
    fail "round $r: $validations validations recorded, the CHECK made NOT VALID $drops times, valid now: $valid"
}

declare -A hits=()
for r in $(seq 1 "$rounds"); do
  # the round's migration: fills a table, then waits (killed in either part)
  q -c "SELECT dbmigrate_add('$r', 'fill $r', 'CREATE TABLE m_$r (a int);
          INSERT INTO m_$r SELECT generate_series(1, 50000); SELECT pg_sleep(3.$((RANDOM % 10)));')" >/dev/null
  # put archived rows back when most are gone (a test of the kill, not of the data)
  q -c "DO \$\$ BEGIN IF (SELECT count(*) FROM src) < 2000 THEN
          INSERT INTO src SELECT id, at, payload FROM archive.src; TRUNCATE archive.src; END IF; END \$\$" >/dev/null
  audit_sql >"$work/audit.sql"; softdelete_sql "$r" >"$work/softdelete.sql"; backup_sql "$r" >"$work/backup.sql"; maintain_sql >"$work/maintain.sql"
  echo "SELECT dbmigrate_apply();" >"$work/migrate.sql"
  echo "CALL dbretain_run('p');" >"$work/retain.sql"
  for f in audit softdelete backup maintain migrate retain; do start "$f" "$work/$f.sql"; done
  # all five connected, then a random moment
  for _ in $(seq 1 200); do
    [ "$(q -c "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'kill\_%'")" = 6 ] && break
    sleep 0.02
  done
  sleep "0.$((RANDOM % 9 + 1))"
  # a feature is hit when its session is still at its work (its client runs)
  active=$(for f in audit softdelete backup maintain migrate retain; do eval "kill -0 \$pid_$f" 2>/dev/null && echo "$f"; done)
  victim=$(q -c "SELECT pid FROM pg_stat_activity WHERE application_name = 'kill_audit'")
  [ -n "$victim" ] || fail "round $r: the audit writer is not running: $(cat "$work/audit.out")"
  "${as_owner[@]}" kill -9 "$victim"
  for f in audit softdelete backup maintain migrate retain; do eval "wait \$pid_$f" 2>/dev/null || true; done
  wait_ready || fail "round $r: the cluster did not come back"
  for f in $active; do hits[$f]=$((${hits[$f]:-0} + 1)); done
  check "$r"
  # the killed migration, without its wait, applies afresh
  [ "$mstate" = applied ] ||
    q -c "SELECT dbmigrate_add('$r', 'fill $r', 'CREATE TABLE m_$r (a int); INSERT INTO m_$r SELECT generate_series(1, 50000);')" \
      -c "SELECT dbmigrate_apply()" >/dev/null
done
summary=$(for f in audit softdelete backup maintain migrate retain; do printf '%s %s, ' "$f" "${hits[$f]:-0}"; done)
echo "kills while at work: ${summary%, } ($(($(date +%s) - t0)) s)"
# every feature was mid-work at most kills
for f in audit softdelete backup maintain migrate retain; do
  [ "${hits[$f]:-0}" -ge $((rounds * 3 / 4)) ] || fail "$f was at work for only ${hits[$f]:-0} of $rounds kills"
done
# the sessions got work done between the kills
done_runs=$(q -c "SELECT count(*) FROM dbmaintain_history() WHERE action = 'validate_constraint'")
done_audit=$(q -c "SELECT count(DISTINCT batch) FROM aw")
echo "committed: $done_runs validations by dbmaintain_run, $done_audit audit batches"
[ "$done_runs" -ge 1 ] && [ "$done_audit" -ge "$rounds" ] || fail "too little work committed"
echo "ok: $rounds crashes, each feature's invariants held after every one"
