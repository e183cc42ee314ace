#!/usr/bin/env bash
# An application boots while `dbcare migrate` runs a long migration: its
# start-up check, dbmigrate_assert('2') from Python's sqlite3 with the
# module, gets what docs/migrations.md promises (Application start-up): a
# `dbcare:` error it can retry on (behind, or `database is locked` once its
# busy timeout is out), never true while the migration is half applied, and
# never a wait past its busy timeout; once the migration has committed, the
# same check passes. Run in both journal modes (rollback journal: the
# writer keeps readers out; WAL: readers see the state before it).
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/cli.sh"
export DBCARE_MODULE="$module"
rows=2000000

mkdir m
echo 'CREATE TABLE big (id INTEGER PRIMARY KEY, v BLOB);' >m/V1__big.sql
cat >m/V2__fill.sql <<EOF
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < $rows)
INSERT INTO big SELECT x, randomblob(64) FROM c;
EOF

# the application: calls the check every 50 ms until told to stop, each
# answer checked against what the same transaction reads; it says it is
# up (ready) after its first check. The files migrating and stop hold the
# times the migration was started and had ended: a check whose time span
# meets that span ran while the migration did (an error or, once it has
# waited for the commit, a pass), and at least one must have
cat >boot.py <<'EOF'
import sqlite3, sys, time, os
module, path, rows, stop = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
timeout = 1.0
errors, passes, spans = {}, 0, []
while True:
    done = os.path.exists(stop)
    t0 = time.time()
    c = sqlite3.connect(path, timeout=timeout, isolation_level=None)
    c.enable_load_extension(True)
    c.load_extension(module)
    try:
        c.execute("BEGIN")
        ok = c.execute("SELECT dbmigrate_assert('2')").fetchone()[0]
        # the same read transaction: what the check passed on
        n = c.execute("SELECT count(*) FROM big").fetchone()[0]
        c.execute("COMMIT")
        if ok != 1 or n != rows:
            sys.exit(f"assert said {ok!r} with {n} of {rows} rows: a half-applied migration passed")
        passes += 1
    except sqlite3.OperationalError as e:
        msg = str(e)
        if not msg.startswith("dbcare:"):
            sys.exit(f"dbmigrate_assert failed with an error that is not dbcare's: {msg}")
        errors[msg.split("\n")[0][:60]] = errors.get(msg.split("\n")[0][:60], 0) + 1
    finally:
        c.close()
    spans.append((t0, time.time()))
    if not os.path.exists("ready"):
        open("ready", "w").close()
    spent = time.time() - t0
    if spent > timeout + 2:
        sys.exit(f"the check took {spent:.1f} s, past its busy timeout of {timeout} s")
    if done:
        break
    time.sleep(0.05)
if passes == 0:
    sys.exit(f"the check never passed after the migration committed: {errors}")
began, ended = (float(open(f).read()) for f in ("migrating", stop))
during = sum(1 for t0, t1 in spans if t0 < ended and t1 > began)
if during == 0:
    sys.exit(f"no check ran while the migration did ({ended - began:.2f} s)")
print(f"{during} check(s) while migrating ({ended - began:.2f} s); errors:", errors, "passes:", passes)
EOF

for mode in delete wal; do
  f="$mode.db"
  run 0 migrate --db "sqlite:$f" --dir m --to 1
  sqlite3 "$f" "PRAGMA journal_mode = $mode" >/dev/null
  rm -f stop ready migrating
  # the application up first (a loaded machine may take longer to start
  # Python than the migration takes), then the migration
  "$py" boot.py "$module" "$f" "$rows" stop >boot.out 2>&1 &
  app=$!
  for _ in $(seq 600); do [ -e ready ] && break; sleep 0.05; done
  [ -e ready ] || { cat boot.out; kill "$app" 2>/dev/null; fail "$mode: the application never started"; }
  date +%s.%N >now && mv now migrating
  set +e
  "$cli" migrate --db "sqlite:$f" --dir m >mig.out 2>mig.err &
  mig=$!
  set -e
  rc=0; wait "$mig" || rc=$?
  [ "$rc" = 0 ] || { cat mig.out mig.err; kill "$app" 2>/dev/null; fail "$mode: migrate exited $rc"; }
  date +%s.%N >now && mv now stop
  rc=0; wait "$app" || rc=$?
  [ "$rc" = 0 ] || { cat boot.out; fail "$mode: the application's start-up check"; }
  echo "$mode: $(cat boot.out)"
  # after the migration: the check passes from a new process too
  "$py" - "$module" "$f" <<'EOF' || fail "$mode: dbmigrate_assert('2') after migrate"
import sqlite3, sys
c = sqlite3.connect(sys.argv[2])
c.enable_load_extension(True)
c.load_extension(sys.argv[1])
assert c.execute("SELECT dbmigrate_assert('2')").fetchone()[0] == 1
EOF
done
echo ok
