/*
 * pg/host/call_errors.c — how a call ends on an error: the subtransactions the
 * core left open are ended innermost first, the arena set back, and the
 * error raised with the "dbcare: " prefix (pg/host/call_private.h). Below the
 * call helpers (pg/host/call.c) and the guarded runner (pg/host/guard.c), which both
 * end calls through it.
 */
#include "glue.h"
#include "call_private.h"

#include "access/xact.h"
#include "lib/stringinfo.h"
#include "utils/memutils.h"
#include "utils/resowner.h"

void pgdbc_restore_arena(pgdbc_call *call)
{
	pgdbc_arena_set(call->prev_arena);
}

/* Ends the call's subtransactions until n are left open, innermost first:
 * released or rolled back, then the memory context and resource owner of the
 * moment each was opened made current again (as PL/pgSQL does), so the code
 * around finds its own state. */
void pgdbc_end_subxacts(pgdbc_call *call, int n, bool commit)
{
	while (call->nsubxacts > n) {
		/* off the stack first: should ending it fail, PostgreSQL's abort
		 * cleans up a subtransaction caught half-way, and it must not be
		 * ended twice */
		pgdbc_subxact *sx = &call->subxacts[--call->nsubxacts];
		/* nothing opened after it is left: its creators all end theirs */
		Assert(GetCurrentSubTransactionId() == sx->id);
		if (commit)
			ReleaseCurrentSubTransaction();
		else
			RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(sx->saved_cxt);
		CurrentResourceOwner = sx->saved_owner;
	}
}

/* Rolls back every subtransaction the core left open, so an enclosing
 * PL/pgSQL exception block (or the top level) finds its own current. */
void pgdbc_unwind_all(pgdbc_call *call, bool commit)
{
	pgdbc_end_subxacts(call, 0, commit);
}

/*
 * An error PostgreSQL raised leaves the call with the "dbcare: " prefix every
 * dbcare error has ("permission denied for schema dbcare", "cannot execute
 * INSERT in a read-only transaction"), once (a nested dbcare call's error has
 * it already), and all else kept: SQLSTATE, detail, hint, context, position.
 * A cancel or timeout (57014) stays exactly as PostgreSQL raised it: it is the
 * caller's own doing, not dbcare's finding.
 */
static void prefix_error(ErrorData *ed)
{
	/* a cancel dbcare.generate_timeout made is dbcare's own: said so */
	if (pgdbc_deadline_rewrite(ed))
		return;
	if (ed->elevel != ERROR || ed->sqlerrcode == ERRCODE_QUERY_CANCELED ||
	    (ed->message && strncmp(ed->message, "dbcare: ", 8) == 0))
		return;
	ed->message = psprintf("dbcare: %s", ed->message ? ed->message : "unknown error");
	if (!ed->hint)
		ed->hint = pgdbc_grant_hint(unpack_sql_state(ed->sqlerrcode), ed->message + 8);
}

/*
 * An ERROR that ends the call, caught (and copied into ed, in the call's
 * memory) by one of the call's frames: every subtransaction the core has open
 * is rolled back, then the error is raised again, prefixed but otherwise
 * unchanged. Why: PostgreSQL's top-level error handling aborts a
 * subtransaction left open but keeps it on the stack as an aborted
 * savepoint, so after an internal one escaped, every later statement failed
 * with 25P02 even in autocommit and ROLLBACK ended the connection.
 */
void pgdbc_escape(pgdbc_call *call, ErrorData *ed)
{
	pgdbc_unwind_all(call, false);
	pgdbc_restore_arena(call);
	prefix_error(ed);
	ReThrowError(ed);
}

/* The error being handled, copied into the call's memory, the error state
 * flushed: what a PG_CATCH block of the call starts with. */
ErrorData *pgdbc_take_error(pgdbc_call *call)
{
	ErrorData *ed;
	pgdbc_arena_set(call->call_cxt);
	MemoryContextSwitchTo(call->call_cxt);
	ed = CopyErrorData();
	FlushErrorState();
	return ed;
}

int pgdbc_run(pgdbc_call *call, int (*body)(dbc_ctx *ctx, void *arg), void *arg)
{
	volatile int rc = DBC_ERROR;
	PG_TRY();
	{
		rc = body(&call->ctx, arg);
	}
	PG_CATCH();
	{
		pgdbc_escape(call, pgdbc_take_error(call));
	}
	PG_END_TRY();
	return rc;
}

void pgdbc_error(const char *sqlstate, const char *fmt, ...)
{
	StringInfoData buf;
	initStringInfo(&buf);
	for (;;) {
		va_list ap;
		int needed;
		va_start(ap, fmt);
		needed = appendStringInfoVA(&buf, fmt, ap);
		va_end(ap);
		if (needed == 0)
			break;
		enlargeStringInfo(&buf, needed);
	}
	ereport(ERROR, (errcode(MAKE_SQLSTATE(sqlstate[0], sqlstate[1], sqlstate[2], sqlstate[3],
	                                      sqlstate[4])),
	                errmsg("dbcare: %s", buf.data)));
	pg_unreachable();
}

/* A glue-level error on a running call: leave the call's state clean first. */
void pgdbc_call_error(pgdbc_call *call, const char *sqlstate, const char *msg, const char *name)
{
	pgdbc_unwind_all(call, false);
	pgdbc_restore_arena(call);
	pgdbc_error(sqlstate, msg, name);
}
