#!/usr/bin/env bash
# An application boots while `dbcare migrate` runs a long migration on
# PostgreSQL: its start-up check, dbmigrate_assert('2') from psycopg2 (with
# the lock_timeout it would set), gets what docs/migrations.md promises
# (Application start-up): a `dbcare:` error (55000) it can retry on, whose
# hint says a run holds the migration lock, never true while the migration
# is half applied (checked against the rows the same snapshot reads) and
# never a wait past its lock timeout; once the migration has committed, the
# same check passes.
set -eu
db=dbcare_j_boot_during_migration
. "$(dirname "$0")/lib/pg.sh"
py=/usr/bin/python3
. "$(dirname "$0")/lib/cli.sh"
"$py" -c 'import psycopg2' 2>/dev/null || fail "python3-psycopg2 missing (test/harness/packages.txt)"
url="postgresql:///$db?host=$PGHOST&port=$PGPORT"
fresh_db

mkdir m
echo 'CREATE TABLE big (id int PRIMARY KEY);' >m/V1__big.sql
cat >m/V2__fill.sql <<'EOF'
INSERT INTO big SELECT generate_series(1, 1000);
SELECT pg_sleep(3);
INSERT INTO big SELECT generate_series(1001, 2000);
EOF
run 0 migrate --db "$url" --dir m --to 1

cat >boot.py <<'EOF'
import os, sys, time
import psycopg2
dsn, stop = sys.argv[1], sys.argv[2]
lock_timeout = 1.0
errors, passes = {}, 0
while True:
    done = os.path.exists(stop)
    t0 = time.time()
    c = psycopg2.connect(dsn, options=f"-c lock_timeout={int(lock_timeout * 1000)}")
    c.set_session(isolation_level="REPEATABLE READ")
    try:
        with c.cursor() as cur:
            cur.execute("SELECT dbmigrate_assert(%s)", ("2",))
            ok = cur.fetchone()[0]
            cur.execute("SELECT count(*) FROM big")  # the same snapshot
            n = cur.fetchone()[0]
        if ok is not True or n != 2000:
            sys.exit(f"assert said {ok!r} with {n} of 2000 rows: a half-applied migration passed")
        passes += 1
    except psycopg2.Error as e:
        msg = e.diag.message_primary or str(e)
        if not msg.startswith("dbcare:"):
            sys.exit(f"dbmigrate_assert failed with an error that is not dbcare's: {msg}")
        if e.pgcode != "55000":
            sys.exit(f"dbmigrate_assert failed with {e.pgcode}, not 55000: {msg}")
        key = msg[:60] + " | " + (e.diag.message_hint or "")[:50]
        errors[key] = errors.get(key, 0) + 1
    finally:
        c.close()
    spent = time.time() - t0
    if spent > lock_timeout + 2:
        sys.exit(f"the check took {spent:.1f} s, past its lock timeout of {lock_timeout} s")
    if done:
        break
    time.sleep(0.05)
if passes == 0:
    sys.exit(f"the check never passed after the migration committed: {errors}")
if not errors:
    sys.exit("the check never ran while the migration did (the migration was too short)")
if not any("migration lock" in k for k in errors):
    sys.exit(f"no hint named the run holding the migration lock: {errors}")
print("errors while migrating:", errors, "passes:", passes)
EOF

set +e
"$cli" migrate --db "$url" --dir m >mig.out 2>mig.err &
mig=$!
pids+=("$mig")
set -e
"$py" boot.py "dbname=$db host=$PGHOST port=$PGPORT" stop >boot.out 2>&1 &
app=$!
pids+=("$app")
rc=0; wait "$mig" || rc=$?
[ "$rc" = 0 ] || { cat mig.out mig.err; fail "migrate exited $rc"; }
touch stop
rc=0; wait "$app" || rc=$?
[ "$rc" = 0 ] || { cat boot.out; fail "the application's start-up check"; }
cat boot.out
[ "$(q -c "SELECT dbmigrate_assert('2')")" = t ] || fail "dbmigrate_assert('2') after migrate"
echo ok
