/*
 * fn_migrate.c — the dbmigrate_* functions for PostgreSQL that keep their own
 * glue: the procedure dbmigrate_run (it commits between migrations, under a
 * session-level migration lock) and the table dbmigrate_trace. The others
 * have the generic glue (pg/api/api.c); the part's hooks are pg/migrate/migrate_hooks.c.
 * Every decision is in core/migrate/.
 */
#include "pg/host/glue.h"

#include "migrate/migrate.h"
#include "settings/settings.h"

#include "access/xact.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "storage/lock.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

static const dbc_migrate_hooks *const env = &pgdbc_migrate_hooks;

/* The core call, with the re-entrancy guard restored should PostgreSQL unwind
 * past the core (an error raised where no savepoint catches it, a cancel);
 * pgdbc_run has rolled back the core's savepoints by then. */
typedef struct mig_args {
	const char *a;
	int64_t count;
	dbc_rows rows;
} mig_args;

typedef int (*mig_body)(dbc_ctx *ctx, mig_args *x);

typedef struct mig_run {
	mig_body body;
	mig_args *x;
} mig_run;

static int run_body(dbc_ctx *ctx, void *arg)
{
	mig_run *m = arg;
	return m->body(ctx, m->x);
}

static int guarded(pgdbc_call *call, mig_body body, mig_args *x)
{
	int saved = dbc_migrate_guard_save();
	mig_run m = {body, x};
	volatile int rc = DBC_ERROR;
	PG_TRY();
	{
		rc = pgdbc_run(call, run_body, &m);
	}
	PG_CATCH();
	{
		dbc_migrate_guard_restore(saved);
		PG_RE_THROW();
	}
	PG_END_TRY();
	return rc;
}

static int do_apply_next(dbc_ctx *ctx, mig_args *x)
{
	return dbc_migrate_apply_next(ctx, env, x->a, &x->count);
}
static int do_trace(dbc_ctx *ctx, mig_args *x)
{
	return dbc_migrate_trace(ctx, env, x->a, &x->rows);
}

/* ------------------------------------------------------------ dbmigrate_run
 *
 * CALL dbmigrate_run([target]): dbmigrate_apply one migration at a time,
 * committing after each, so a migration may use what an earlier one made
 * that PostgreSQL lets a transaction use only once committed (an enum value
 * added by ALTER TYPE ... ADD VALUE). Between the steps the migration lock is
 * held at session level, so no other session migrates in between; each step
 * also takes the usual transaction-level lock (granted at once to the
 * session that holds it) and makes every check dbmigrate_apply makes. The
 * session lock is released when the procedure returns, and on every other
 * path by the abort of the transaction the error or cancel ends (the
 * transaction callback below): it never outlives the call.
 */

static bool run_lock_held = false;
static bool run_callback_registered = false;

static void run_lock_tag(LOCKTAG *tag)
{
	uint64 key = (uint64)PGDBC_MIGRATION_LOCK_KEY;
	SET_LOCKTAG_ADVISORY(*tag, MyDatabaseId, (uint32)(key >> 32), (uint32)key, 1);
}

static void run_lock_release(void)
{
	LOCKTAG tag;
	if (!run_lock_held)
		return;
	run_lock_held = false;
	run_lock_tag(&tag);
	LockRelease(&tag, ExclusiveLock, true);
}

static void run_xact_callback(XactEvent event, void *arg)
{
	(void)arg;
	if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT)
		run_lock_release();
}

/* The session-level migration lock, waited for like the transaction-level
 * one (migrate.lock_timeout_ms, polled so a cancel is noticed). */
static void run_lock_take(int64 timeout_ms)
{
	LOCKTAG tag;
	TimestampTz start = GetCurrentTimestamp();
	run_lock_tag(&tag);
	if (!run_callback_registered) {
		RegisterXactCallback(run_xact_callback, NULL);
		run_callback_registered = true;
	}
	for (;;) {
		if (LockAcquire(&tag, ExclusiveLock, true, true) != LOCKACQUIRE_NOT_AVAIL) {
			run_lock_held = true;
			return;
		}
		if (timeout_ms > 0 &&
		    TimestampDifferenceExceeds(start, GetCurrentTimestamp(), (int)timeout_ms))
			ereport(ERROR,
			        (errcode(ERRCODE_LOCK_NOT_AVAILABLE),
			         errmsg("dbcare: could not obtain the migration lock within %lld ms",
			                (long long)timeout_ms),
			         errdetail("Another session is applying, rolling back or repairing "
			                   "migrations."),
			         errhint("Retry later, or raise migrate.lock_timeout_ms with dbcare_set.")));
		pg_usleep(10000L);
		CHECK_FOR_INTERRUPTS();
	}
}

static int read_lock_timeout(dbc_ctx *ctx, void *arg)
{
	return dbc_setting_get_int(ctx, "migrate.lock_timeout_ms", (int64_t *)arg);
}

/* Applies one migration per transaction until none is due; the count. */
static int64 run_steps(FunctionCallInfo fcinfo, const char *target)
{
	int64 applied = 0;
	for (;;) {
		pgdbc_call call;
		mig_args x = {0};
		int rc;
		pgdbc_begin(&call, fcinfo);
		x.a = target;
		rc = guarded(&call, do_apply_next, &x);
		pgdbc_finish(&call, rc);
		if (x.count == 0)
			return applied;
		applied += x.count;
		SPI_commit();
	}
}

Datum dbmigrate_run(PG_FUNCTION_ARGS)
{
	CallContext *cc = fcinfo->context && IsA(fcinfo->context, CallContext)
	                      ? (CallContext *)fcinfo->context
	                      : NULL;
	char *volatile target = NULL;
	volatile int64 applied = 0;
	pgdbc_refuse_changes_when_read_only(fcinfo);
	/* In a subtransaction (a PL/pgSQL block with EXCEPTION) it could not
	 * commit, and an error caught there would abort no transaction, so
	 * nothing would release the session lock. */
	if (!cc || cc->atomic || IsSubTransaction())
		ereport(ERROR, (errcode(ERRCODE_INVALID_TRANSACTION_TERMINATION),
		                errmsg("dbcare: dbmigrate_run must be called with CALL outside a "
		                       "transaction block"),
		                errhint("It commits after each migration. Inside a transaction, use "
		                        "SELECT dbmigrate_apply(target).")));
	/* the argument must outlive the commits */
	if (!PG_ARGISNULL(0))
		target = MemoryContextStrdup(TopMemoryContext, text_to_cstring(PG_GETARG_TEXT_PP(0)));
	if (SPI_connect_ext(SPI_OPT_NONATOMIC) != SPI_OK_CONNECT)
		elog(ERROR, "dbcare: SPI_connect failed");
	PG_TRY();
	{
		pgdbc_call call;
		int64_t timeout_ms = 0;
		int rc;
		pgdbc_begin(&call, fcinfo);
		rc = pgdbc_run(&call, read_lock_timeout, &timeout_ms);
		pgdbc_finish(&call, rc);
		run_lock_take(timeout_ms);
		applied = run_steps(fcinfo, target);
	}
	PG_CATCH();
	{
		/* released here and by the abort (run_xact_callback), whichever
		 * comes first: whoever catches the error, the lock goes */
		run_lock_release();
		if (target)
			pfree(target);
		PG_RE_THROW();
	}
	PG_END_TRY();
	run_lock_release();
	SPI_finish();
	if (target)
		pfree(target);
	ereport(NOTICE,
	        (errmsg("dbcare: dbmigrate_run applied %lld migration(s)", (long long)applied)));
	PG_RETURN_VOID();
}

/* Refused on a standby by pgdbc_begin: it runs the migration's DDL, if
 * only to roll it back. */
Datum dbmigrate_trace(PG_FUNCTION_ARGS)
{
	pgdbc_call call;
	mig_args x = {0};
	int rc;
	pgdbc_begin(&call, fcinfo);
	x.a = pgdbc_arg_text(&call, 0, "version");
	rc = guarded(&call, do_trace, &x);
	return pgdbc_return_rows(&call, rc, &x.rows);
}
