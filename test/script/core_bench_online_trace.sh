#!/usr/bin/env bash
# The online bench's reading of the server log and of its windows
# (test/bench/online_trace.py, bench_online.py): a migration statement's
# interval from its logged duration, a checkpoint from its start to its
# completion, an autovacuum of the table from its elapsed time (a message
# of several lines), the clients' lock waits by application; the slow
# transactions put down to a batch, a rest, a checkpoint and an autovacuum,
# each beside the share of all; the short windows' p99s and their
# medians, an operation's against its baseline's.
set -eu
cd "$(dirname "$0")/../.."
/usr/bin/python3 - <<'PY'
import sys
sys.path.insert(0, "test/bench")
import bench_online as bo
import online_trace as ot

def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)

log = "\n".join([
    "100.000 [7]  LOG:  checkpoint starting: wal",
    "101.000 [9] dbcare LOG:  duration: 500.000 ms  execute <unnamed>: WITH dbcare_range AS (x)",
    "102.000 [9] dbcare LOG:  duration: 10.000 ms  statement: SELECT dbmigrate_step_end($1)",
    "103.000 [8] pgbench LOG:  process 8 still waiting for RowExclusiveLock on relation 1 after 1000 ms",
    '104.000 [6]  LOG:  automatic vacuum of table "db.public.items": index scans: 1',
    "\tpages: 0 removed, 3143 remain, 3143 scanned (100.00% of total)",
    "\tsystem usage: CPU: user: 0.50 s, system: 0.25 s, elapsed: 2.00 s",
    '104.500 [6]  LOG:  automatic analyze of table "db.public.items_other"',
    "\tsystem usage: CPU: user: 0.10 s, system: 0.00 s, elapsed: 1.00 s",
    "106.000 [7]  LOG:  checkpoint complete: wrote 10 buffers (0.1%); total=6.0 s",
    "107.000 [7]  LOG:  checkpoint starting: time",
])
recs = ot.records(log)
st = ot.statements(recs, "dbcare")
if st != [(100.5, 101.0, "WITH"), (101.99, 102.0, "dbmigrate_step_end")]:
    fail(f"statements {st}")
cp = ot.checkpoints(recs, 200.0)
if cp != [(100.0, 106.0, "wal"), (107.0, 200.0, "time")]:
    fail(f"checkpoints {cp}")
av = ot.autovacuums(recs, "items")
if av != [(102.0, 104.0, "vacuum", 0.75)]:
    fail(f"autovacuums {av}")
if ot.lock_waits(recs) != {"pgbench": 1}:
    fail(f"lock waits {ot.lock_waits(recs)}")
# ends: 100.7 in a batch (slow), 101.5 in a rest (slow, in the checkpoint
# and the autovacuum), 103.0 in a rest (fast), 99.0 before the first (slow)
win = [(100.7, 9.0), (101.5, 9.0), (103.0, 1.0), (99.0, 9.0)]
text = bo.slow_attribution(win, st, 5.0, cp, [a[:2] for a in av])
want = ("3 over the baseline p99 ended during a statement of the migration 1 (33%; of all "
        "the window's transactions 25%: WITH 1), "
        "between its statements (a rest) 1, before its first 1; during a checkpoint 2 (67%; "
        "of all the window's transactions 75%); during an autovacuum of items 0 (0%; of all "
        "the window's transactions 25%)")
if text != want:
    fail(f"slow attribution:\n {text}\nnot\n {want}")
# 4 windows of 2 s, the last with too few transactions to count
win = [(t / 1000.0, 1.0 + (t % 7 == 0) * 9) for t in range(0, 6000)]
win += [(6000.5 / 1000 + 6 + i * 0.001, 1.0) for i in range(5)]
p99s = bo.slice_p99s([(e, ms) for e, ms in win], 0.0, 8.0)
if p99s != [10.0, 10.0, 10.0]:
    fail(f"windows {p99s}")
# the medians of the windows' p99s, a burst in one baseline window aside
got = bo.against([4.0, 6.0, 9.0], 8.0, [2.0, 3.0, 50.0], 40.0)
if got != (6.0, 3.0, 2.0, 3.0):
    fail(f"against {got}")
if bo.against([], 8.0, [2.0, 4.0, 3.0], 40.0) != (8.0, 3.0, 8.0 / 3.0, None):
    fail("an operation shorter than a window is not its whole window's p99")
print("ok: the server log read into intervals; slow transactions put down; windows' p99s")
PY
