#!/usr/bin/env bash
# The online bench's reading of the server log and of its windows
# (test/bench/online_trace.py, bench_online.py): a migration statement's
# interval from its logged duration, a checkpoint from its start to its
# completion, an autovacuum of the table from its elapsed time (a message
# of several lines), the clients' lock waits by application; the slow
# transactions put down to a batch, a rest, a checkpoint and an autovacuum,
# each beside the share of all; the short windows' p99s and their
# medians, an operation's against its baseline's; the backfill's batches'
# holds of their rows, and the slow transactions put down by their
# client's slowest since it was last on time.
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
# a batch's rows held from its statement to the COMMIT after it (a batch
# in the command's BEGIN ... COMMIT), or its statement alone
st = [(0.0, 0.001, "BEGIN"), (0.001, 0.011, "WITH"), (0.012, 0.013, "SELECT"),
      (0.013, 0.014, "COMMIT"), (0.05, 0.06, "WITH"), (0.07, 0.071, "SELECT"),
      (0.08, 0.09, "WITH"), (0.1, 0.2, "BEGIN"), (0.3, 0.4, "COMMIT")]
if ot.batch_holds(st) != [(0.001, 0.014), (0.05, 0.06), (0.08, 0.09)]:
    fail(f"batch holds {ot.batch_holds(st)}")
# a client's late transactions put down to its slowest since it was on
# time: an UPDATE (script 1) of 20 ms ended as a batch ended, the two
# after it late; another client late from many a little slow each
streams = {"a": [(0.005, 0.3, 0.0, 0), (0.0141, 12.0, 0.0, 1), (0.0142, 11.0, 10.9, 0),
                 (0.0150, 3.0, 2.5, 0), (0.2, 0.3, 0.0, 0)],
           "b": [(1.0, 6.0, 5.5, 0), (1.001, 6.2, 6.0, 0), (1.5, 0.2, 0.0, 0)],
           "c": [(0.055, 9.0, 0.0, 0), (0.5, 9.0, 0.0, 2)]}
got = list(ot.chains(streams, 5.0))
if got != [(0.0141, 12.0, (0.0141, 12.0, 1)), (0.0142, 11.0, (0.0141, 12.0, 1)),
           (1.0, 6.0, None), (1.001, 6.2, None), (0.055, 9.0, (0.055, 9.0, 0)),
           (0.5, 9.0, (0.5, 9.0, 2))]:
    fail(f"chains {got}")
text = bo.chain_attribution(streams, [(0.0, 2.0)], 5.0, ot.batch_holds(st))
want = ("by their client's slowest transaction since it was last on time (pgbench -R: one "
        "slow transaction makes its client's next ones late): one that ran while a batch of "
        "the backfill held its rows 3 (50%; 3 batches; of them after an UPDATE that ended "
        "within 3 ms of its batch's end, as one waiting for its row locks would, 2), one "
        "with no batch running 1 (17%), none over the baseline p99 by itself (late from many "
        "a little slow: the CPU short for all) 2 (33%)")
if text != want:
    fail(f"chain attribution:\n {text}\nnot\n {want}")
print("ok: the server log read into intervals; slow transactions put down; windows' p99s")
PY
