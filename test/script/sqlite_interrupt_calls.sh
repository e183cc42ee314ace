#!/usr/bin/env bash
# An interrupt at any moment of every SQLite dbcare call that writes or
# makes bookkeeping (sqlite_interrupt_calls.py lists them), on a fresh
# database (first use: the bookkeeping made) and on a used one, in WAL and
# rollback-journal modes: a progress handler run at every VM step that
# returns non-zero from step N on, or that calls sqlite3_interrupt at step N
# exactly (as another thread would), N spread over the call's whole range,
# and a thread's conn.interrupt() after a delay. After each: no transaction
# open (sqlite3_get_autocommit), a failed call changed nothing (but the
# bookkeeping a first use makes whole in a transaction of its own), the
# call again works and gives an uninterrupted run's state, and the
# application's next write survives reopening. DBC_INTERRUPTS points per
# method (default 2; the long tier: DBC_INTERRUPTS=50, or all),
# DBC_INTERRUPT_SEED replays a run.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
work_in_memory 1024  # about 900 database folders copied, checked and deleted
"$py" "$(dirname "$0")/lib/interrupt_calls.py" "$mod" "$work"
echo ok
