/*
 * fn_migrate.c — the dbmigrate_* functions for PostgreSQL: argument decoding,
 * the migration lock (a transaction-level advisory lock polled up to
 * migrate.lock_timeout_ms), the privilege check of dbmigrate_load, and result
 * encoding. Every decision is in core/migrate/.
 */
#include "glue.h"

#include "migrate/migrate.h"
#include "settings/settings.h"

#include "access/xact.h"
#include "catalog/pg_authid.h"
#include "executor/spi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "storage/lock.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

/* The advisory lock key of the migration lock ("dbcare" + 1 in ASCII). */
#define MIGRATION_LOCK_KEY INT64CONST(0x6462636172650001)

static int take_first_bool(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	(void)ctx;
	if (ncol > 0)
		*(bool *)arg = (c[0].type == DBC_BOOL || c[0].type == DBC_INT) && c[0].i != 0;
	return DBC_OK;
}

/* Waits for the advisory lock in short polls so the wait is bounded and a
 * cancel is noticed; 0 means wait without bound (lock_timeout still applies). */
static int pg_migration_lock(dbc_ctx *ctx, int64_t timeout_ms)
{
	dbc_value key = dbc_int(MIGRATION_LOCK_KEY);
	TimestampTz start = GetCurrentTimestamp();
	if (timeout_ms <= 0)
		return ctx->host->query(ctx, "SELECT pg_catalog.pg_advisory_xact_lock($1)", 1, &key, NULL,
		                        NULL);
	for (;;) {
		bool got = false;
		if (ctx->host->query(ctx, "SELECT pg_catalog.pg_try_advisory_xact_lock($1)", 1, &key,
		                     take_first_bool, &got) != DBC_OK)
			return DBC_ERROR;
		if (got)
			return DBC_OK;
		if (TimestampDifferenceExceeds(start, GetCurrentTimestamp(), (int)timeout_ms)) {
			dbc_error(ctx, DBC_SQLSTATE_LOCK_TIMEOUT,
			          "could not obtain the migration lock within %lld ms", (long long)timeout_ms);
			dbc_error_detail(ctx, "Another session is applying, rolling back or repairing "
			                      "migrations.");
			dbc_error_hint(ctx, "Retry later, or raise migrate.lock_timeout_ms with dbcare_set.");
			return DBC_ERROR;
		}
		pg_usleep(10000L);
		if (ctx->host->interrupted(ctx))
			return DBC_ERROR;
	}
}

typedef struct rights_row {
	bool rights, can_set;
	char *applier;
} rights_row;

static int take_rights(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	rights_row *r = arg;
	if (ncol < 3)
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "unexpected role row");
	r->rights = c[0].type == DBC_BOOL && c[0].i != 0;
	/* unknown (a dropped role): as if it could */
	r->can_set = !(c[1].type == DBC_BOOL && c[1].i == 0);
	r->applier = c[2].type == DBC_TEXT ? dbc_strdup(ctx, c[2].s) : NULL;
	return DBC_OK;
}

/* The registrant has the current role's rights already when it is that role,
 * a superuser, or holds its privileges (pg_has_role USAGE, as SET ROLE
 * would give); it can change dbcare's settings when it may write
 * dbcare.config. A registrant that no longer exists has neither. */
static int pg_registrant_rights(dbc_ctx *ctx, const char *registrant, bool *rights, bool *can_set,
                                char **applier)
{
	rights_row r = {false, true, NULL};
	dbc_value p = dbc_text(registrant);
	if (ctx->host->query(ctx,
	                     "SELECT r.rolsuper OR pg_catalog.pg_has_role(r.oid, u.oid, 'USAGE'), "
	                     "pg_catalog.has_table_privilege(r.oid, "
	                     "'dbcare.config'::pg_catalog.regclass::pg_catalog.oid, 'INSERT, UPDATE'), "
	                     "u.rolname::pg_catalog.text "
	                     "FROM pg_catalog.pg_roles u "
	                     "LEFT JOIN pg_catalog.pg_roles r ON r.rolname = $1 "
	                     "WHERE u.rolname = CURRENT_USER",
	                     1, &p, take_rights, &r) != DBC_OK)
		return DBC_ERROR;
	*rights = r.rights;
	*can_set = r.can_set;
	*applier = r.applier;
	return DBC_OK;
}

static const dbc_migrate_env env = {pg_migration_lock, pg_registrant_rights, &pgdbc_lint_engine,
                                    &pgdbc_trace_engine};

/* The core call, with the re-entrancy guard restored should PostgreSQL unwind
 * past the core (an error raised where no savepoint catches it, a cancel);
 * pgdbc_run has rolled back the core's savepoints by then. */
typedef struct mig_args {
	const char *a, *b, *c, *d;
	char *text;
	int64_t count;
	bool flag;
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

static int do_add(dbc_ctx *ctx, mig_args *x)
{
	return dbc_migrate_add(ctx, x->a, x->b, x->c, x->d, &x->text);
}
static int do_add_repeatable(dbc_ctx *ctx, mig_args *x)
{
	return dbc_migrate_add_repeatable(ctx, x->a, x->b, &x->text);
}
/* The list's text is in the server's encoding, but the decoder writes a
 * \u escape as UTF-8: in a database of another encoding the text goes to
 * UTF-8 first and every decoded string back (an error for a character the
 * encoding lacks, as jsonb's input gives), so an escaped and a literal
 * character register the same bytes. */
static int do_add_all(dbc_ctx *ctx, mig_args *x)
{
	if (GetDatabaseEncoding() == PG_UTF8)
		return dbc_migrate_add_all_json(ctx, x->a, &x->count);
	dbc_migrate_item *items = NULL;
	int n = 0;
	const char *utf8 = pg_server_to_any(x->a, (int)strlen(x->a), PG_UTF8);
	if (dbc_migrate_list_parse(ctx, utf8, &items, &n) != DBC_OK)
		return DBC_ERROR;
	for (int i = 0; i < n; i++) {
		const char **fields[] = {&items[i].version, &items[i].name, &items[i].up, &items[i].down};
		for (size_t f = 0; f < sizeof fields / sizeof fields[0]; f++)
			if (*fields[f])
				*fields[f] = pg_any_to_server(*fields[f], (int)strlen(*fields[f]), PG_UTF8);
	}
	return dbc_migrate_add_many(ctx, items, n, &x->count);
}
static int do_load(dbc_ctx *ctx, mig_args *x)
{
	return dbc_migrate_load(ctx, x->a, &x->count, &x->text);
}
static int do_apply(dbc_ctx *ctx, mig_args *x)
{
	return dbc_migrate_apply(ctx, &env, x->a, &x->count);
}
static int do_apply_next(dbc_ctx *ctx, mig_args *x)
{
	return dbc_migrate_apply_next(ctx, &env, x->a, &x->count);
}
static int do_rollback(dbc_ctx *ctx, mig_args *x)
{
	return dbc_migrate_rollback(ctx, &env, x->a, &x->count);
}
static int do_baseline(dbc_ctx *ctx, mig_args *x)
{
	return dbc_migrate_baseline(ctx, &env, x->a, &x->count);
}
static int do_repair(dbc_ctx *ctx, mig_args *x)
{
	return dbc_migrate_repair(ctx, &env, &x->count);
}
static int do_verify(dbc_ctx *ctx, mig_args *x)
{
	return dbc_migrate_verify(ctx, &env, x->a, &x->rows);
}
static int do_trace(dbc_ctx *ctx, mig_args *x)
{
	return dbc_migrate_trace(ctx, &env, x->a, &x->rows);
}
static int do_step_begin(dbc_ctx *ctx, mig_args *x)
{
	return dbc_migrate_step_begin(ctx, &env, x->a, x->b, x->c, &x->flag);
}
static int do_step_end(dbc_ctx *ctx, mig_args *x)
{
	return dbc_migrate_step_end(ctx, &env, x->a, x->b);
}

Datum dbmigrate_add(PG_FUNCTION_ARGS)
{
	pgdbc_call call;
	mig_args x = {0};
	int rc;
	pgdbc_begin(&call, fcinfo);
	x.a = pgdbc_arg_text(&call, 0, "version");
	x.b = pgdbc_arg_text(&call, 1, "name");
	x.c = pgdbc_arg_text(&call, 2, "up_sql");
	x.d = pgdbc_arg_text_opt(&call, 3);
	rc = guarded(&call, do_add, &x);
	return pgdbc_return_text(&call, rc, x.text);
}

Datum dbmigrate_add_repeatable(PG_FUNCTION_ARGS)
{
	pgdbc_call call;
	mig_args x = {0};
	int rc;
	pgdbc_begin(&call, fcinfo);
	x.a = pgdbc_arg_text(&call, 0, "name");
	x.b = pgdbc_arg_text(&call, 1, "sql");
	rc = guarded(&call, do_add_repeatable, &x);
	return pgdbc_return_text(&call, rc, x.text);
}

/* The jsonb and the text signature: the list's text either way (jsonb's
 * own, with its keys in jsonb's order), decoded by the core. */
Datum dbmigrate_add_all(PG_FUNCTION_ARGS)
{
	pgdbc_call call;
	mig_args x = {0};
	int rc;
	pgdbc_begin(&call, fcinfo);
	x.a = pgdbc_arg_json(&call, 0, "migrations");
	rc = guarded(&call, do_add_all, &x);
	return pgdbc_return_int32(&call, rc, (int32)x.count);
}

Datum dbmigrate_add_all_text(PG_FUNCTION_ARGS)
{
	return dbmigrate_add_all(fcinfo);
}

Datum dbmigrate_load(PG_FUNCTION_ARGS)
{
	pgdbc_call call;
	mig_args x = {0};
	int rc;
	/* on a standby 25006 first, as pgdbc_begin would, before the privilege
	 * check below */
	pgdbc_refuse_changes_when_read_only(fcinfo);
	/* it reads files of the server's file system, like COPY FROM a file */
	if (!superuser() && !has_privs_of_role(GetUserId(), ROLE_PG_READ_SERVER_FILES))
		pgdbc_error(DBC_SQLSTATE_PRIVILEGE,
		            "dbmigrate_load needs superuser or the pg_read_server_files role");
	pgdbc_begin(&call, fcinfo);
	x.a = pgdbc_arg_text(&call, 0, "path");
	rc = guarded(&call, do_load, &x);
	/* Flyway callbacks are skipped, not run: said so as a NOTICE */
	if (rc == DBC_OK && x.text)
		ereport(NOTICE, (errmsg("dbcare: Flyway callback file(s) skipped: %s", x.text),
		                 errhint("dbcare does not run Flyway callbacks; run their SQL "
		                         "yourself or make it a migration.")));
	return pgdbc_return_int32(&call, rc, (int32)x.count);
}

Datum dbmigrate_plan(PG_FUNCTION_ARGS)
{
	pgdbc_call call;
	dbc_rows rows;
	int rc;
	pgdbc_begin(&call, fcinfo);
	rc = dbc_migrate_plan(&call.ctx, &env, pgdbc_arg_text_opt(&call, 0), &rows);
	return pgdbc_return_rows(&call, rc, &rows);
}

Datum dbmigrate_lint(PG_FUNCTION_ARGS)
{
	pgdbc_call call;
	dbc_rows rows;
	int rc;
	pgdbc_begin(&call, fcinfo);
	rc = dbc_migrate_lint(&call.ctx, &env, pgdbc_arg_text_opt(&call, 0), &rows);
	return pgdbc_return_rows(&call, rc, &rows);
}

Datum dbmigrate_apply(PG_FUNCTION_ARGS)
{
	pgdbc_call call;
	mig_args x = {0};
	int rc;
	pgdbc_begin(&call, fcinfo);
	x.a = pgdbc_arg_text_opt(&call, 0);
	rc = guarded(&call, do_apply, &x);
	return pgdbc_return_int32(&call, rc, (int32)x.count);
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
	uint64 key = (uint64)MIGRATION_LOCK_KEY;
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
		if (timeout_ms > 0 && TimestampDifferenceExceeds(start, GetCurrentTimestamp(), (int)timeout_ms))
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
	ereport(NOTICE, (errmsg("dbcare: dbmigrate_run applied %lld migration(s)", (long long)applied)));
	PG_RETURN_VOID();
}

Datum dbmigrate_rollback(PG_FUNCTION_ARGS)
{
	pgdbc_call call;
	mig_args x = {0};
	int rc;
	pgdbc_begin(&call, fcinfo);
	x.a = pgdbc_arg_text_opt(&call, 0);
	rc = guarded(&call, do_rollback, &x);
	return pgdbc_return_int32(&call, rc, (int32)x.count);
}

Datum dbmigrate_validate(PG_FUNCTION_ARGS)
{
	pgdbc_call call;
	dbc_rows rows;
	int rc;
	pgdbc_begin(&call, fcinfo);
	rc = dbc_migrate_validate(&call.ctx, &rows);
	return pgdbc_return_rows(&call, rc, &rows);
}

Datum dbmigrate_verify(PG_FUNCTION_ARGS)
{
	pgdbc_call call;
	mig_args x = {0};
	int rc;
	pgdbc_begin(&call, fcinfo);
	x.a = pgdbc_arg_text_opt(&call, 0);
	rc = guarded(&call, do_verify, &x);
	return pgdbc_return_rows(&call, rc, &x.rows);
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

Datum dbmigrate_baseline(PG_FUNCTION_ARGS)
{
	pgdbc_call call;
	mig_args x = {0};
	int rc;
	pgdbc_begin(&call, fcinfo);
	x.a = pgdbc_arg_text(&call, 0, "version");
	rc = guarded(&call, do_baseline, &x);
	return pgdbc_return_int32(&call, rc, (int32)x.count);
}

Datum dbmigrate_repair(PG_FUNCTION_ARGS)
{
	pgdbc_call call;
	mig_args x = {0};
	int rc;
	pgdbc_begin(&call, fcinfo);
	rc = guarded(&call, do_repair, &x);
	return pgdbc_return_int32(&call, rc, (int32)x.count);
}

Datum dbmigrate_script(PG_FUNCTION_ARGS)
{
	pgdbc_call call;
	char *script = NULL;
	int rc;
	pgdbc_begin(&call, fcinfo);
	rc = dbc_migrate_script(&call.ctx, &env, pgdbc_arg_text_opt(&call, 0), &script);
	return pgdbc_return_text(&call, rc, script);
}

/* dbmigrate_script(direction, target): 'apply' or 'rollback' */
Datum dbmigrate_script_direction(PG_FUNCTION_ARGS)
{
	pgdbc_call call;
	char *script = NULL;
	const char *direction;
	int rc;
	pgdbc_begin(&call, fcinfo);
	direction = pgdbc_arg_text(&call, 0, "direction");
	rc = dbc_migrate_script_direction(&call.ctx, &env, direction, pgdbc_arg_text_opt(&call, 1),
	                                  &script);
	return pgdbc_return_text(&call, rc, script);
}

Datum dbmigrate_step_begin(PG_FUNCTION_ARGS)
{
	pgdbc_call call;
	mig_args x = {0};
	int rc;
	pgdbc_begin(&call, fcinfo);
	x.a = pgdbc_arg_text(&call, 0, "kind");
	x.b = pgdbc_arg_text(&call, 1, "key");
	x.c = pgdbc_arg_text(&call, 2, "checksum");
	rc = guarded(&call, do_step_begin, &x);
	return pgdbc_return_bool(&call, rc, x.flag);
}

Datum dbmigrate_step_end(PG_FUNCTION_ARGS)
{
	pgdbc_call call;
	mig_args x = {0};
	int rc;
	pgdbc_begin(&call, fcinfo);
	x.a = pgdbc_arg_text(&call, 0, "kind");
	x.b = pgdbc_arg_text(&call, 1, "key");
	rc = guarded(&call, do_step_end, &x);
	return pgdbc_return_bool(&call, rc, true);
}
