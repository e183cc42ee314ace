/*
 * migrate_replica.c — what read-your-migration needs of PostgreSQL's
 * replication (dbc_replica_hooks, core/migrate/migrate_bookmark.c): this
 * server's WAL position and a short sleep a cancel ends. Read only: runs
 * on a hot standby.
 */
#include "pg/host/glue.h"

#include "migrate/migrate.h"

#include "access/xlog.h"
#include "access/xlog_internal.h"
#include "access/xlogrecovery.h"
#include "miscadmin.h"
#include "storage/latch.h"
#include "utils/wait_event.h"

/* A position just past a page header holds no record: a record that ends
 * at the page's start ends there, which is what a standby that replayed it
 * shows (pg_last_wal_replay_lsn), so the header is not waited for. */
static XLogRecPtr before_page_header(XLogRecPtr lsn)
{
	if (XLogSegmentOffset(lsn, wal_segment_size) == SizeOfXLogLongPHD)
		return lsn - SizeOfXLogLongPHD;
	if (lsn % XLOG_BLCKSZ == SizeOfXLogShortPHD)
		return lsn - SizeOfXLogShortPHD;
	return lsn;
}

/* On a primary the insert position: every commit a snapshot taken before
 * it sees ends there or before (the write position can lag one that was
 * committed with synchronous_commit = off), flushed here, since WAL that
 * no commit flushed (a page prune, a rolled back write) waits in memory
 * until its page fills and no standby could replay to it. On a standby
 * what it replayed. */
static int pg_wal_position(dbc_ctx *ctx, bool *standby, uint64_t *lsn)
{
	XLogRecPtr insert;
	(void)ctx;
	*standby = RecoveryInProgress();
	if (*standby) {
		*lsn = GetXLogReplayRecPtr(NULL);
		return DBC_OK;
	}
	/* a flush request past a header of a page not written yet is an
	 * error ("xlog flush request ... is not satisfied") */
	insert = before_page_header(GetXLogInsertRecPtr());
	XLogFlush(insert);
	*lsn = insert;
	return DBC_OK;
}

static int pg_replica_pause(dbc_ctx *ctx, int ms)
{
	(void)WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, ms,
	                PG_WAIT_EXTENSION);
	ResetLatch(MyLatch);
	return ctx->host->interrupted(ctx) ? DBC_ERROR : DBC_OK;
}

const dbc_replica_hooks pgdbc_replica_hooks = {
    .wal_position = pg_wal_position,
    .pause = pg_replica_pause,
};
