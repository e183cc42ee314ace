#!/usr/bin/env bash
# dbmaintain_plan / dbmaintain_run end to end on SQLite: every finding the
# plan repairs is planted (names with quotes, spaces and unicode), the run
# executes the safe rows inside the call, locking ones only when included,
# the test runs the rows returned for outside a transaction as a caller
# would, and the health checks go back to ok with every row still there --
# except the orphans, removed only by the destructive cleanup when included.
# A unique index over duplicate keys gets the query listing them, never a
# statement that deletes.
set -euo pipefail
. "$(dirname "$0")/lib/sqlite.sh"
db="$work/maintain.db"

q "PRAGMA auto_vacuum = INCREMENTAL;
   CREATE TABLE \"pa\"\"rent é\" (id INTEGER PRIMARY KEY, n TEXT);
   CREATE TABLE \"chi ld\" (id INTEGER PRIMARY KEY, \"pa rent\" INTEGER REFERENCES \"pa\"\"rent é\"(id),
                            v TEXT, w INTEGER);
   CREATE TABLE \"or phan\" (id INTEGER PRIMARY KEY, parent_id INTEGER);
   CREATE INDEX \"v one\" ON \"chi ld\" (v);
   CREATE INDEX \"v two\" ON \"chi ld\" (v);
   CREATE INDEX \"w ü\" ON \"chi ld\" (w);
   INSERT INTO \"pa\"\"rent é\" SELECT value, 'x' FROM generate_series(1, 100);
   INSERT INTO \"chi ld\" SELECT value, 1 + value % 100, 'v' || value, value * 2 FROM generate_series(1, 2000);
   INSERT INTO \"or phan\" VALUES (1, 1), (2, 999);
   CREATE TABLE big (x BLOB);
   INSERT INTO big SELECT randomblob(1000) FROM generate_series(1, 1000);
   DROP TABLE big;
   SELECT dbcheck_add_relation('orphan rel', 'or phan', 'parent_id', 'pa\"rent é', 'id');
   PRAGMA writable_schema = ON;
   UPDATE sqlite_schema SET sql = 'CREATE INDEX \"w ü\" ON \"chi ld\" (id)' WHERE name = 'w ü';" >/dev/null

counts() { q "SELECT (SELECT count(*) FROM \"pa\"\"rent é\") || ' ' || (SELECT count(*) FROM \"chi ld\") || ' ' || (SELECT count(*) FROM \"or phan\")"; }
before=$(counts)
[ "$before" = "100 2000 2" ] || fail "planted rows: $before"
planted="integrity statistics fragmentation duplicate_indexes unindexed_foreign_keys orphans"
for c in $planted; do
  st=$(q "SELECT status FROM dbhealth_checks('full') WHERE name = '$c'")
  case "$st" in warning|critical) echo "ok: planted $c ($st)" ;; *) fail "$c is $st after planting" ;; esac
done

hint=$(q "SELECT hint FROM dbhealth_checks('full') WHERE name = 'duplicate_indexes'")
case "$hint" in *"See dbmaintain_plan(): drop_index v two.") echo "ok: the hint points to the plan row" ;;
  *) fail "the duplicate_indexes hint does not point to the plan: $hint" ;; esac

plan=$(q "SELECT action || ' | ' || coalesce(statement, '-') || ' | ' || safety || ' | ' || outside_transaction
          FROM dbmaintain_plan('full') ORDER BY action, statement")
echo "$plan"
want() { grep -qxF -- "$1" <<<"$plan" || fail "the plan lacks: $1"; echo "ok: planned: $1"; }
want 'analyze | ANALYZE "chi ld" | safe | 0'
want 'optimize | PRAGMA optimize | safe | 0'
want 'incremental_vacuum | PRAGMA incremental_vacuum | safe | 0'
want 'reindex | REINDEX "w ü" | locking | 0'
want 'drop_index | DROP INDEX "v two" | locking | 1'
want 'create_index | CREATE INDEX "chi ld_pa rent_idx" ON "chi ld" ("pa rent") | locking | 0'
want 'cleanup_orphans | SELECT dbcheck_cleanup_orphans(false) | destructive | 0'

run=$(q "SELECT action || ' ' || status FROM dbmaintain_run('full') ORDER BY action")
echo "$run"
for line in "analyze done" "optimize done" "incremental_vacuum done" "reindex not_included" \
            "drop_index outside_transaction" "create_index not_included" "cleanup_orphans not_included"; do
  grep -qxF "$line" <<<"$run" || fail "the run lacks: $line"
done
echo "ok: the run did the safe rows and returned the others"

q "SELECT * FROM dbmaintain_run('full', 'locking')" >/dev/null
# what a caller runs itself: the rows outside a transaction
q "SELECT statement FROM dbmaintain_plan('full') WHERE outside_transaction" > "$work/outside.sql"
[ -s "$work/outside.sql" ] || fail "no statement outside a transaction"
q < "$work/outside.sql"
after=$(counts)
[ "$after" = "$before" ] || fail "rows changed: $before -> $after"
echo "ok: every row is still there ($after)"
for c in $planted; do
  st=$(q "SELECT status FROM dbhealth_checks('full') WHERE name = '$c'")
  if [ "$c" = orphans ]; then
    [ "$st" = warning ] || fail "orphans is $st before the destructive cleanup"
  else
    [ "$st" = ok ] || fail "$c is $st after the repairs: $(q "SELECT message FROM dbhealth_checks('full') WHERE name = '$c'")"
  fi
done
echo "ok: the planted checks are ok again (orphans left for the destructive cleanup)"

q "SELECT * FROM dbmaintain_run('full', 'destructive')" >/dev/null
[ "$(counts)" = "100 2000 1" ] || fail "after the cleanup: $(counts)"
[ "$(q "SELECT status FROM dbhealth_checks('full') WHERE name = 'orphans'")" = ok ] || fail "orphans not ok"
echo "ok: the destructive cleanup removed the one orphan only"
left=$(q "SELECT action FROM dbmaintain_plan('full')")
[ -z "$left" ] || fail "the plan is not empty: $left"
echo "ok: nothing left to plan"
hist=$(q "SELECT count(DISTINCT run) || ' ' || count(*) FILTER (WHERE status = 'done') FROM dbmaintain_history")
[ "$hist" = "3 6" ] || fail "history: $hist"
echo "ok: three runs and their six done rows recorded"

# the bad include is refused, and nothing of that run is recorded
if q "SELECT * FROM dbmaintain_run('full', 'everything')" 2>"$work/err"; then fail "a bad include ran"; fi
grep -q 'dbcare: unknown item "everything" in argument "include"' "$work/err" || fail "$(cat "$work/err")"
[ "$(q "SELECT count(DISTINCT run) FROM dbmaintain_history")" = 3 ] || fail "the refused run was recorded"
echo "ok: a bad include is refused"

# duplicates under a unique index: the query listing them, nothing deleting
db="$work/unique.db"
q "CREATE TABLE \"u'q\" (id INTEGER PRIMARY KEY, \"e mail\" TEXT);
   INSERT INTO \"u'q\" VALUES (1, 'a'), (2, 'b'), (3, 'a');
   CREATE INDEX \"u e\" ON \"u'q\" (\"e mail\");
   PRAGMA writable_schema = ON;
   UPDATE sqlite_schema SET sql = 'CREATE UNIQUE INDEX \"u e\" ON \"u''q\" (\"e mail\")' WHERE name = 'u e';" >/dev/null
row=$(q "SELECT action || ' | ' || statement FROM dbmaintain_plan('full') WHERE object = 'u e'")
echo "$row"
[ "$row" = "list_duplicates | SELECT \"e mail\", count(*) FROM \"main\".\"u'q\" GROUP BY \"e mail\" HAVING count(*) > 1" ] \
  || fail "unique duplicates: $row"
[ "$(q "$(q "SELECT statement FROM dbmaintain_plan('full') WHERE object = 'u e'")")" = "a|2" ] \
  || fail "the listing does not find the duplicate"
[ "$(q "SELECT status FROM dbmaintain_run('full') WHERE object = 'u e'")" = not_run ] || fail "the listing ran"
[ "$(q "SELECT count(*) FROM \"u'q\"")" = 3 ] || fail "rows were deleted"
echo "ok: duplicates are listed, never deleted"

# all or nothing: a step that fails undoes the steps before it and leaves no
# history; the connection and its transaction state are as before the call
db="$work/fails.db"
# (the failing step: the orphan cleanup, whose DELETE a trigger of c refuses)
q "CREATE TABLE p (id INTEGER PRIMARY KEY);
   CREATE TABLE c (id INTEGER PRIMARY KEY, p INTEGER, w INTEGER);
   CREATE INDEX cw ON c (w);
   INSERT INTO c SELECT value, 1000 + value, value * 3 FROM generate_series(1, 50);
   CREATE TRIGGER c_kept BEFORE DELETE ON c BEGIN SELECT RAISE(ABORT, 'rows of c are kept'); END;
   SELECT dbcheck_add_relation('c_p', 'c', 'p', 'p', 'id');
   PRAGMA writable_schema = ON;
   UPDATE sqlite_schema SET sql = 'CREATE INDEX cw ON c (id)' WHERE name = 'cw';" >/dev/null
out=$(printf '%s\n' "BEGIN;" "INSERT INTO p VALUES (7);" "SELECT * FROM dbmaintain_run('full', 'locking,destructive');" \
         "SELECT 'still open: ' || count(*) FROM p;" "COMMIT;" | q 2>&1 || true)
echo "$out"
case "$out" in *"dbcare: rows of c are kept"*) echo "ok: the failing step ends the run with its error" ;; *) fail "no error: $out" ;; esac
case "$out" in *"still open: 1"*) ;; *) fail "the caller's transaction lost its row: $out" ;; esac
case "$out" in *"no transaction"*) fail "the caller's transaction was ended: $out" ;; esac
[ "$(q "SELECT count(*) FROM p")" = 1 ] || fail "the caller's COMMIT did not keep its row"
echo "ok: the caller's transaction stays open with its own work"
[ "$(q "SELECT status FROM dbhealth_checks('full') WHERE name = 'integrity'")" = critical ] \
  || fail "the REINDEX before the failing step was kept"
[ "$(q "SELECT count(*) FROM dbmaintain_history")" = 0 ] || fail "the failed run was recorded"
echo "ok: the failed run undid its REINDEX and recorded nothing"

# an interrupt at any point of a run: the call ends with "interrupted" (or
# finishes), the connection stays usable outside a transaction, and a run
# that did not finish left nothing: no REINDEX kept, no history row
db="$work/interrupt.db"
q "CREATE TABLE t (id INTEGER PRIMARY KEY, w INTEGER);
   CREATE INDEX tw ON t (w);
   INSERT INTO t SELECT value, value * 3 FROM generate_series(1, 300);
   PRAGMA writable_schema = ON;
   UPDATE sqlite_schema SET sql = 'CREATE INDEX tw ON t (id)' WHERE name = 'tw';" >/dev/null
cp "$db" "$work/interrupt.template"
"$py" - "$module" "$work" <<'PY'
import shutil, sqlite3, sys
mod, work = sys.argv[1], sys.argv[2]
ended = finished = 0
for n in (1, 50, 500, 2000, 8000, 30000, 120000):
    shutil.copy(f"{work}/interrupt.template", f"{work}/i.db")
    c = sqlite3.connect(f"{work}/i.db", isolation_level=None)
    c.enable_load_extension(True)
    c.load_extension(mod)
    steps = [0]
    def handler():
        steps[0] += 1
        return 1 if steps[0] >= n else 0
    c.set_progress_handler(handler, 1)
    try:
        c.execute("SELECT * FROM dbmaintain_run('full', 'locking')").fetchall()
        finished += 1
        done = True
    except sqlite3.Error as e:
        if "interrupted" not in str(e):
            sys.exit(f"FAIL: after {n} steps: {e}")
        ended += 1
        done = False
    c.set_progress_handler(None, 0)
    if c.in_transaction:
        sys.exit(f"FAIL: after {n} steps the connection is left in a transaction")
    runs = c.execute("SELECT count(*) FROM dbmaintain_history").fetchone()[0]
    status = c.execute("SELECT status FROM dbhealth_checks('full') WHERE name = 'integrity'").fetchone()[0]
    if not done and (runs != 0 or status != "critical"):
        sys.exit(f"FAIL: an interrupted run kept something: {runs} history rows, integrity {status}")
    if done and (runs == 0 or status != "ok"):
        sys.exit(f"FAIL: a finished run: {runs} history rows, integrity {status}")
    c.close()
if ended == 0 or finished == 0:
    sys.exit(f"FAIL: {ended} interrupted, {finished} finished: the sweep missed a side")
print(f"ok: {ended} runs interrupted, {finished} finished; each left all or nothing")
PY

# the shell pipeline docs/maintenance.md gives for the rows outside a
# transaction, run as written (its module path and file replaced): with two
# such rows, statements printed without a terminator ran together into one
# syntax error and neither ran
db="$work/docs_pipe.db"
q "CREATE TABLE t (a, b);
   CREATE INDEX i1 ON t (a); CREATE INDEX i1c ON t (a);
   CREATE INDEX i2 ON t (b); CREATE INDEX i2c ON t (b);
   INSERT INTO t VALUES (1, 2);" >/dev/null
pipe=$(awk '/^In SQLite, feed them to the shell/ {f = 1; next}
            f && /^```sh/ {b = 1; next}
            b && /^```/ {exit}
            b {print}' "$(dirname "$0")/../../docs/maintenance.md")
[ -n "$pipe" ] || fail "docs/maintenance.md has no SQLite pipeline for the rows outside a transaction"
pipe=${pipe//\/opt\/dbcare\/dbcare/$module}
pipe=${pipe//app.db/$db}
(cd "$work" && bash -c "$pipe") || fail "the documented pipeline failed: $pipe"
[ "$(q "SELECT count(*) FROM sqlite_schema WHERE type = 'index'")" = 2 ] ||
  fail "the documented pipeline left: $(q "SELECT group_concat(name) FROM sqlite_schema WHERE type = 'index'")"
[ "$(q "SELECT count(*) FROM dbmaintain_plan() WHERE outside_transaction")" = 0 ] ||
  fail "rows outside a transaction remain after the documented pipeline"
echo "ok: the documented pipeline runs every row outside a transaction"
