#!/usr/bin/env bash
# Kill tier (SQLite): every writing feature killed with SIGKILL at random
# points, DBC_KILLS rounds: 12 in the suite (about 80 s on a loaded 2-core
# machine), 20 or more in the long tier: DBC_KILLS=20 DBC_SUITES=sqlite
# DBC_ONLY=script/sqlite_kill_writes test/harness/run_tests.sh
# (docs/testing.md). Retention has its own 24 kills in sqlite_retain_crash.sh. Each round five sqlite3 processes work at once,
# each on its own database: 10-row INSERT batches into an audited,
# hash-chained table (WAL); soft delete, restore and purge of 100-row
# batches (rollback journal); dbmigrate_apply of a migration filling a
# large table (rollback journal); dbbackup_create in a loop (WAL);
# dbmaintain_run building an index it dropped again (rollback journal).
# After a random 0.1-1.9 s all five get SIGKILL. After every kill: integrity_check
# is ok everywhere; no partial batch is visible (a batch has all its rows
# or none, all marked or none) and the soft delete trigger is in place;
# audit entries equal the rows committed and the chain verifies clean; the
# migration is applied with its whole table or pending without it; each
# maintenance run is recorded if and only if its index was built; every
# catalogued backup and every file under a backup's name verifies, and the
# catalog holds each acknowledged backup once.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
rounds=${DBC_KILLS:-12}
t0=$(date +%s)
qq() { local f=$1; shift; sqlite3 -batch -cmd ".load $module" -cmd ".timeout 10000" "$work/$f.db" "$@"; }
victims=()
stop_victims() { for p in "${victims[@]}"; do kill -9 "$p" 2>/dev/null || true; done; }
trap 'stop_victims; rm -rf "$work"' EXIT

qq aw "PRAGMA journal_mode = wal;
  CREATE TABLE aw (id INTEGER PRIMARY KEY, batch INTEGER NOT NULL, n INTEGER NOT NULL);
  SELECT dbaudit_enable('aw', '{\"hash_chain\": true}');" >/dev/null
qq sd "CREATE TABLE sd (id INTEGER PRIMARY KEY, v INTEGER NOT NULL);
  WITH RECURSIVE g(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM g WHERE g < $((rounds * 10000))) INSERT INTO sd SELECT g, g FROM g;
  SELECT dbsoftdelete_enable('sd') IS NOT NULL;" >/dev/null
qq mig "SELECT dbmigrate_add('0', 'base', 'CREATE TABLE base (a);'); SELECT dbmigrate_apply();" >/dev/null
# maintenance: an unindexed foreign key whose index each run makes again;
# drops counts the committed DROPs of it: runs = drops - 1 + (the index exists)
qq mt "PRAGMA auto_vacuum = full;
  CREATE TABLE parent (id INTEGER PRIMARY KEY);
  CREATE TABLE child (id INTEGER PRIMARY KEY, p INTEGER REFERENCES parent, v);
  CREATE TABLE drops (n INTEGER NOT NULL); INSERT INTO drops VALUES (0);
  WITH RECURSIVE g(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM g WHERE g < 1000) INSERT INTO parent SELECT g FROM g;
  WITH RECURSIVE g(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM g WHERE g < 20000) INSERT INTO child SELECT g, 1 + g % 1000, g FROM g;
  ANALYZE; CREATE INDEX child_p_idx ON child (p);" >/dev/null
for _ in $(seq 1 500); do
  echo "BEGIN; UPDATE drops SET n = n + 1 WHERE EXISTS (SELECT 1 FROM sqlite_schema WHERE name = 'child_p_idx');
        DROP INDEX IF EXISTS child_p_idx; COMMIT;"
  echo "SELECT count(*) FROM dbmaintain_run('quick', 'create_index');"
done >"$work/maintain.sql"
mkdir "$work/backups"
qq bk "PRAGMA journal_mode = wal;
  CREATE TABLE t (id INTEGER PRIMARY KEY, payload BLOB);
  WITH RECURSIVE g(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM g WHERE g < 20000) INSERT INTO t SELECT g, randomblob(100) FROM g;" >/dev/null

batch="INSERT INTO aw (batch, n) WITH RECURSIVE g(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM g WHERE g < 10)
  SELECT (SELECT ifnull(max(batch), 0) + 1 FROM aw), g FROM g;"
for _ in $(seq 1 3000); do echo "$batch"; done >"$work/audit.sql"

check() { # the invariants after round $1: one process per database
  local r=$1 v f state files
  # audit
  v=$(qq aw "PRAGMA integrity_check;
    SELECT (SELECT count(*) FROM (SELECT batch FROM aw GROUP BY batch HAVING count(*) <> 10)) || ' ' ||
           (SELECT count(*) FROM aw) || ' ' ||
           (SELECT count(*) FROM dbcare_audit_log WHERE table_name = 'aw' AND operation = 'insert') || ' ' ||
           (SELECT count(*) FROM dbcare_audit_log a WHERE table_name = 'aw'
              AND NOT EXISTS (SELECT 1 FROM aw WHERE aw.id = json_extract(a.key, '$.id'))) || ' ' ||
           (SELECT checked || '|' || ifnull(broken_id, '') || '|' || ifnull(problem, '') FROM dbaudit_verify);" | paste -sd ' ')
  read -r ok partial rows entries orphans verify <<<"$v"
  [ "$ok" = ok ] || fail "round $r: audit database: $v"
  [ "$partial" = 0 ] || fail "round $r: $partial audit batches are partial"
  [ "$entries" = "$rows" ] && [ "$orphans" = 0 ] || fail "round $r: $rows rows, $entries entries, $orphans entries of no row"
  [ "$verify" = "$entries||" ] || fail "round $r: dbaudit_verify: $verify (want $entries||)"
  # soft delete: whole batches, all marked or none, the trigger in place
  v=$(qq sd "PRAGMA integrity_check;
    SELECT count(*) FROM (SELECT (id - 1) / 100 FROM sd GROUP BY (id - 1) / 100
                           HAVING count(*) <> 100 OR count(deleted_at) NOT IN (0, 100));
    SELECT count(*) FROM sqlite_schema WHERE type = 'trigger' AND name = 'dbcare_softdelete_sd';
    SELECT count(*) FROM sd;" | paste -sd ' ')
  read -r ok partial trigger left <<<"$v"
  [ "$ok" = ok ] || fail "round $r: soft delete database: $v"
  [ "$partial" = 0 ] || fail "round $r: $partial soft delete batches are partial"
  [ "$trigger" = 1 ] || fail "round $r: the soft delete trigger is gone"
  # migration: applied with its whole table or pending without it
  v=$(qq mig "PRAGMA integrity_check;
    SELECT ifnull((SELECT state FROM dbmigrate_status WHERE version = '$r'), 'none');
    SELECT count(*) FROM sqlite_schema WHERE name = 'm_$r';
    SELECT count(*) FROM dbmigrate_validate;" | paste -sd ' ')
  read -r ok state table invalid <<<"$v"
  [ "$ok" = ok ] || fail "round $r: migration database: $v"
  case "$state:$table" in
    applied:1) [ "$(qq mig "SELECT count(*) FROM m_$r;")" = 20000000 ] || fail "round $r: applied, m_$r partial" ;;
    pending:0) qq mig "SELECT dbmigrate_add('$r', 'fill $r', 'CREATE TABLE m_$r (a); INSERT INTO m_$r VALUES (1);');
                       SELECT dbmigrate_apply();" >/dev/null ;;
    *) fail "round $r: migration $state, table m_$r: $table" ;;
  esac
  [ "$invalid" = 0 ] || fail "round $r: validate: $(qq mig "SELECT * FROM dbmigrate_validate;")"
  # maintenance: each run whole (its index and its history row together)
  v=$(qq mt "PRAGMA integrity_check;
    SELECT (SELECT count(DISTINCT run) FROM dbmaintain_history) || ' ' || (SELECT n FROM drops) || ' ' ||
           (SELECT count(*) FROM sqlite_schema WHERE name = 'child_p_idx') || ' ' ||
           (SELECT count(*) FROM dbmaintain_history WHERE action <> 'create_index' OR status <> 'done');" 2>&1 | paste -sd ' ')
  read -r ok runs drops index other <<<"$v"
  [ "$ok" = ok ] || fail "round $r: maintenance database: $v"
  [ "$runs" = $((drops - 1 + index)) ] && [ "$other" = 0 ] ||
    fail "round $r: $runs maintenance runs recorded, $drops drops, index there: $index, other rows: $other"
  # backups: each acknowledged once; every catalogued one and every file under a backup's name verifies
  acked=$(grep -c '"verified":true' "$work/backup.out" || true)
  files=$(for f in "$work"/backups/r"$r"-*.db; do [ ! -e "$f" ] || echo "SELECT json_extract(dbbackup_verify('$f'), '$.verified');"; done)
  v=$(qq bk "PRAGMA integrity_check;
    SELECT count(*) || ' ' || count(DISTINCT path) FROM dbbackup_list WHERE path LIKE '%/r$r-%';
    SELECT count(*) FROM dbbackup_list WHERE NOT \"exists\" OR status <> 'verified';
    $files" 2>&1 | paste -sd ' ')
  read -r ok got distinct bad verified <<<"$v"
  [ "$ok" = ok ] || fail "round $r: backup database: $v"
  [ "$got" = "$distinct" ] || fail "round $r: a backup catalogued twice"
  [ "$got" -ge "$acked" ] && [ "$got" -le $((acked + 1)) ] || fail "round $r: $got backups catalogued, $acked acknowledged"
  [ "$bad" = 0 ] || fail "round $r: catalogued backups missing or failed"
  [ -z "$files" ] || [ "$verified" = "$(echo "$files" | sed 's/.*/1/' | paste -sd ' ')" ] ||
    fail "round $r: backup files that do not verify: $verified"
}

declare -A hits=()
for r in $(seq 1 "$rounds"); do
  qq mig "SELECT dbmigrate_add('$r', 'fill $r', 'CREATE TABLE m_$r (a, b);
INSERT INTO m_$r WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 20000000) SELECT x, randomblob(20) FROM c;');" >/dev/null
  for k in $(seq $((r * 100)) $((r * 100 + 99))); do
    lo=$((k * 100 - 9999)); hi=$((lo + 99))
    echo "DELETE FROM sd WHERE id BETWEEN $lo AND $hi;"
    echo "SELECT dbsoftdelete_restore('sd', (SELECT json_group_array(json_object('id', id)) FROM sd WHERE id BETWEEN $lo AND $hi));"
    echo "DELETE FROM sd WHERE id BETWEEN $lo AND $hi;"
    echo "SELECT dbsoftdelete_purge('sd');"
  done >"$work/softdelete.sql"
  for i in $(seq 1 200); do echo "SELECT dbbackup_create('$work/backups/r$r-$i.db');"; done >"$work/backup.sql"
  victims=()
  for f in audit:aw softdelete:sd backup:bk maintain:mt; do
    stdbuf -oL sqlite3 -batch -cmd ".load $module" -cmd ".timeout 10000" "$work/${f#*:}.db" <"$work/${f%:*}.sql" >"$work/${f%:*}.out" 2>&1 &
    victims+=($!)
  done
  sqlite3 -batch -cmd ".load $module" "$work/mig.db" "SELECT dbmigrate_apply();" >"$work/migrate.out" 2>&1 &
  victims+=($!)
  sleep "$((RANDOM % 2)).$((RANDOM % 9 + 1))"
  i=0
  for f in audit softdelete backup maintain migrate; do
    kill -0 "${victims[$i]}" 2>/dev/null && hits[$f]=$((${hits[$f]:-0} + 1))
    i=$((i + 1))
  done
  stop_victims
  for p in "${victims[@]}"; do wait "$p" 2>/dev/null || true; done
  victims=()
  check "$r"
done
summary=$(for f in audit softdelete backup maintain migrate; do printf '%s %s, ' "$f" "${hits[$f]:-0}"; done)
echo "kills while at work: ${summary%, } ($(($(date +%s) - t0)) s)"
for f in audit softdelete backup maintain migrate; do
  [ "${hits[$f]:-0}" -ge $((rounds * 3 / 4)) ] || fail "$f was at work for only ${hits[$f]:-0} of $rounds kills"
done
# the loops got work done between the kills
done_runs=$(qq mt "SELECT count(DISTINCT run) FROM dbmaintain_history;")
done_audit=$(qq aw "SELECT count(DISTINCT batch) FROM aw;")
echo "committed: $done_runs maintenance runs, $done_audit audit batches"
[ "$done_runs" -ge 1 ] && [ "$done_audit" -ge "$rounds" ] || fail "too little work committed: $(tail -3 "$work/maintain.out")"
echo "ok: $rounds kills of each, every invariant held after every one"
