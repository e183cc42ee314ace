#!/usr/bin/env bash
# A fleet migration killed at random moments resumes from what each member
# recorded in its own history: DBC_KILLS (default 50) times `dbcare
# migrate` over a fleet of SQLite files gets kill -9 after a random delay,
# on alternate rounds its whole process group (a machine that loses power
# mid-run: workers die inside a transaction) or its parent alone (workers
# left orphaned, finishing their database while the next run starts beside
# them). After every kill each member is whole: a migration's effects are
# there exactly when its history records it, once (each migration is one
# transaction per member; --commit-each on alternate rounds so a member can
# stop between two). A final run without a kill brings every member to the
# target with each migration recorded exactly once.
# dbcare-test-timeout: 600
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/cli.sh"
command -v setsid > /dev/null || fail "setsid is missing (util-linux)"
export DBCARE_MODULE="$module"
kills=${DBC_KILLS:-50}
members=24
mkdir -p m tenants
# each migration writes enough rows to take a few milliseconds, so kills
# land inside transactions as well as between them
cat > m/V1__t1.sql <<'SQL'
CREATE TABLE t1 (id INTEGER PRIMARY KEY, v TEXT);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000)
INSERT INTO t1 (v) SELECT hex(randomblob(16)) FROM n;
SQL
cat > m/V2__t2.sql <<'SQL'
CREATE TABLE t2 (id INTEGER PRIMARY KEY, t1_id INTEGER REFERENCES t1 (id));
INSERT INTO t2 (t1_id) SELECT id FROM t1;
SQL
cat > m/V3__c.sql <<'SQL'
ALTER TABLE t1 ADD COLUMN c INTEGER;
UPDATE t1 SET c = id * 2;
SQL
cat > m/V4__idx.sql <<'SQL'
CREATE INDEX t1_c ON t1 (c);
SQL
cat > m/V5__more.sql <<'SQL'
INSERT INTO t1 (v, c) SELECT v, c + 1 FROM t1;
SQL
fresh_fleet() {
  rm -f tenants/*
  for i in $(seq -w 1 $members); do : > tenants/m$i.db; done
}
fresh_fleet

# every member whole; prints "done" when all are at the target
cat > check.py <<'PY'
import glob, sqlite3, sys
module, want = sys.argv[1], int(sys.argv[2])
done = mid = 0
for f in sorted(glob.glob("tenants/*.db")):
    c = sqlite3.connect(f, timeout=30, isolation_level=None)
    c.enable_load_extension(True)
    c.load_extension(module)
    # one read transaction: an orphaned worker may commit between two reads,
    # which would show a migration's effects beside a history read before it
    c.execute("BEGIN")
    tables = {r[0] for r in c.execute("SELECT name FROM sqlite_master")}
    hist = {int(v): n for v, n in c.execute(
        "SELECT version, count(*) FROM dbmigrate_history() "
        "WHERE direction = 'up' AND success GROUP BY version")}
    twice = {v: n for v, n in hist.items() if n != 1}
    assert not twice, f"{f}: applied more than once: {twice}"
    cols = {r[1] for r in c.execute("PRAGMA table_info(t1)")}
    idx = {r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    rows = c.execute("SELECT count(*) FROM t1").fetchone()[0] if "t1" in tables else 0
    effects = {
        1: "t1" in tables and rows in (3000, 6000),
        2: "t2" in tables and c.execute("SELECT count(*) FROM t2").fetchone()[0] == 3000,
        3: "c" in cols and c.execute("SELECT count(*) FROM t1 WHERE c IS NULL").fetchone()[0] == 0,
        4: "t1_c" in idx,
        5: rows == 6000,
    }
    for v, there in effects.items():
        assert there == (v in hist), \
            f"{f}: migration {v} half-applied: effects {'present' if there else 'absent'}, " \
            f"history {'records' if v in hist else 'lacks'} it ({sorted(hist)})"
    # a member stops between migrations, never with a gap
    assert sorted(hist) == list(range(1, len(hist) + 1)), f"{f}: history {sorted(hist)}"
    done += len(hist) == want
    mid += 0 < len(hist) < want
    c.close()
print("done" if done == len(glob.glob("tenants/*.db")) else "partial %d" % mid)
PY

# the check can fail: a member with a migration's effects and no history of it
mkdir half && (cd half && mkdir tenants && sqlite3 tenants/x.db < ../m/V1__t1.sql &&
  ! "$py" ../check.py "$module" 5 > /dev/null 2>&1) || fail "check.py passed a half-applied member"

orphans=()
# (kill -0 -- -G: is any process of group G left, asked by the shell itself;
# a pgrep reads every process of the machine, tens of ms of CPU each time)
reap_orphans() {
  local g
  for g in "${orphans[@]}"; do
    for _ in $(seq 300); do kill -0 -- "-$g" 2> /dev/null || break; sleep 0.02; done
    kill -9 -- "-$g" 2> /dev/null || true
  done
  orphans=()
}
trap 'for g in "${orphans[@]}"; do kill -9 -- "-$g" 2>/dev/null || true; done; rm -rf "$work"' EXIT

completed=0 between=0
for round in $(seq 1 "$kills"); do
  flags=()
  [ $((round % 2)) = 0 ] && flags=(--commit-each)
  setsid "$cli" migrate --quiet --jobs 2 --canary 2 --max-failures 30 \
    --db 'sqlite:tenants/*.db' --dir m "${flags[@]}" > out 2> err &
  pid=$!
  sleep "0.$(printf '%03d' $((RANDOM % 400)))"
  if [ $((round % 3)) = 0 ]; then
    kill -9 "$pid" 2> /dev/null || true # the parent alone: its workers finish their member
    orphans+=("$pid")
  else
    kill -9 -- "-$pid" 2> /dev/null || true
  fi
  wait "$pid" 2> /dev/null || true
  # a run beside orphaned workers is the point; the check waits for none
  state=$("$py" check.py "$module" 5) || fail "round $round: a member is not whole"
  case "$state" in partial\ 0) ;; partial*) between=$((between + 1)) ;; esac
  if [ "$state" = done ]; then
    completed=$((completed + 1))
    reap_orphans
    fresh_fleet # the kill came after the run: start again from empty files
  fi
  [ $((round % 10)) = 0 ] && reap_orphans
done
reap_orphans
# the resume is exercised: kills left members between migrations
[ "$kills" -lt 50 ] || [ "$between" -gt 0 ] || fail "no kill of $kills left a member between migrations"

# the rerun: every member at the target, each migration once
"$cli" migrate --quiet --jobs 2 --canary 2 --max-failures 30 \
  --db 'sqlite:tenants/*.db' --dir m > out 2> err || { cat out err; fail "the resuming run failed"; }
state=$("$py" check.py "$module" 5) || fail "after the rerun: a member is not whole"
[ "$state" = done ] || fail "after the rerun: $state members at the target of $members"
echo "$kills kills ($completed after a whole run, $between leaving members between migrations), every member whole after each; resumed to V5"
