/*
 * migrate_hooks.c — what the migrate part needs of PostgreSQL (dbc_migrate_hooks,
 * reached through dbc_api_hooks.migrate): the migration lock (a
 * transaction-level advisory lock polled up to migrate.lock_timeout_ms), the
 * registrant's rights, dbmigrate_load's privilege check, and the JSON list
 * read in the server's encoding, and the mark of a script step running
 * outside a transaction. Every decision is in core/migrate/.
 */
#include "pg/host/glue.h"

#include "migrate/migrate.h"

#include "access/xact.h"
#include "catalog/pg_authid.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "storage/lock.h"
#include "utils/acl.h"
#include "utils/timestamp.h"

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
	dbc_value key = dbc_int(PGDBC_MIGRATION_LOCK_KEY);
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

/* Whether another backend of this database holds the migration lock (a
 * bigint advisory lock shows in pg_locks as classid = its high 32 bits,
 * objid = its low 32 bits, objsubid = 1); pg_locks is readable by all. */
static int pg_migration_run_elsewhere(dbc_ctx *ctx, bool *running)
{
	dbc_value key = dbc_int(PGDBC_MIGRATION_LOCK_KEY);
	*running = false;
	return ctx->host->query(
	    ctx,
	    "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_locks l WHERE l.locktype = 'advisory' "
	    "AND l.granted AND l.pid <> pg_catalog.pg_backend_pid() AND l.objsubid = 1 "
	    "AND l.database = (SELECT d.oid FROM pg_catalog.pg_database d "
	    "WHERE d.datname = pg_catalog.current_database()) "
	    "AND l.classid = ($1::bigint >> 32)::oid AND l.objid = ($1::bigint & 4294967295)::oid)",
	    1, &key, take_first_bool, running);
}

/* ------------------------------------------------------------ step marks */

/* A step's mark is a session-level lock of the user lock method whose tag
 * is of type LOCKTAG_USERLOCK ("userlock" in pg_locks; database, "dbst",
 * the low 32 bits of the history event's id, 2). No SQL function takes a
 * lock of that type (pg_advisory_lock's tags are LOCKTAG_ADVISORY), so only
 * this code, in the session that recorded the step's started event, can
 * hold it: a role that takes any advisory key cannot make a step that died
 * read as running (issue 64). A session lock outlives the statement that
 * took it, survives an abort (user lock method) and ends with the session
 * (a killed client, a crashed backend), so another session reads in
 * pg_locks whether the step is alive.
 *
 * Invariant: this session holds at most one mark (step_held). It is let go
 * at the commit after step_unmark (the step's completion is visible then),
 * by the abort of the transaction that took it (its started event is
 * rolled back with it), or when another step of this session is marked.
 * An abort after the started event committed keeps it: the step has not
 * ended while its session may still complete it. */
#define STEP_MARK_KEY1 0x64627374

static int64 step_held = 0;
static bool step_taken_here = false;
static bool step_release_at_commit = false;
static bool step_callback_registered = false;

static void step_tag(LOCKTAG *tag, int64 id)
{
	SET_LOCKTAG_ADVISORY(*tag, MyDatabaseId, STEP_MARK_KEY1, (uint32)id, 2);
	tag->locktag_type = LOCKTAG_USERLOCK; /* same lock method, no SQL access */
}

static void step_release(void)
{
	LOCKTAG tag;
	if (!step_held)
		return;
	step_tag(&tag, step_held);
	LockRelease(&tag, ExclusiveLock, true);
	step_held = 0;
	step_taken_here = step_release_at_commit = false;
}

static void step_xact_callback(XactEvent event, void *arg)
{
	(void)arg;
	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_PARALLEL_COMMIT) {
		if (step_release_at_commit)
			step_release();
		step_taken_here = false;
	} else if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT) {
		if (step_taken_here)
			step_release();
		step_release_at_commit = false;
	}
}

static int pg_step_mark(dbc_ctx *ctx, int64_t id)
{
	LOCKTAG tag;
	if (!step_callback_registered) {
		RegisterXactCallback(step_xact_callback, NULL);
		step_callback_registered = true;
	}
	step_release(); /* an earlier step of this session that never ended */
	step_tag(&tag, id);
	if (LockAcquire(&tag, ExclusiveLock, true, true) == LOCKACQUIRE_NOT_AVAIL)
		return dbc_error(ctx, DBC_SQLSTATE_LOCK_TIMEOUT,
		                 "the mark of migration step %lld is held by another session",
		                 (long long)id);
	step_held = id;
	step_taken_here = true;
	return DBC_OK;
}

static void pg_step_unmark(dbc_ctx *ctx, int64_t id)
{
	(void)ctx;
	if (step_held == id)
		step_release_at_commit = true;
}

static int pg_step_live(dbc_ctx *ctx, int64_t id, bool *live)
{
	dbc_value p[2] = {dbc_int(STEP_MARK_KEY1), dbc_int((int64_t)(uint32)id)};
	*live = false;
	return ctx->host->query(
	    ctx,
	    "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_locks l WHERE l.locktype = 'userlock' "
	    "AND l.granted AND l.pid <> pg_catalog.pg_backend_pid() AND l.objsubid = 2 "
	    "AND l.database = (SELECT d.oid FROM pg_catalog.pg_database d "
	    "WHERE d.datname = pg_catalog.current_database()) "
	    "AND l.classid = $1::bigint::oid AND l.objid = $2::bigint::oid)",
	    2, p, take_first_bool, live);
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

/* The list's text is in the server's encoding, but the decoder writes a
 * \u escape as UTF-8: in a database of another encoding the text goes to
 * UTF-8 first and every decoded string back (an error for a character the
 * encoding lacks, as jsonb's input gives), so an escaped and a literal
 * character register the same bytes. */
static int pg_add_all(dbc_ctx *ctx, const char *json, int64_t *count)
{
	if (GetDatabaseEncoding() == PG_UTF8)
		return dbc_migrate_add_all_json(ctx, json, count);
	dbc_migrate_item *items = NULL;
	int n = 0;
	const char *utf8 = pg_server_to_any(json, (int)strlen(json), PG_UTF8);
	if (dbc_migrate_list_parse(ctx, utf8, &items, &n) != DBC_OK)
		return DBC_ERROR;
	for (int i = 0; i < n; i++) {
		const char **fields[] = {&items[i].version, &items[i].name, &items[i].up, &items[i].down};
		for (size_t f = 0; f < sizeof fields / sizeof fields[0]; f++)
			if (*fields[f])
				*fields[f] = pg_any_to_server(*fields[f], (int)strlen(*fields[f]), PG_UTF8);
	}
	return dbc_migrate_add_many(ctx, items, n, count);
}

/* dbmigrate_load reads files of the server's file system, like COPY FROM a
 * file (on a standby the glue has refused it with 25006 already). */
static int pg_may_read_files(dbc_ctx *ctx)
{
	if (!superuser() && !has_privs_of_role(GetUserId(), ROLE_PG_READ_SERVER_FILES))
		return dbc_error(ctx, DBC_SQLSTATE_PRIVILEGE,
		                 "dbmigrate_load needs superuser or the pg_read_server_files role");
	return DBC_OK;
}

const dbc_migrate_hooks pgdbc_migrate_hooks = {
    .lock = pg_migration_lock,
    .run_elsewhere = pg_migration_run_elsewhere,
    .step_mark = pg_step_mark,
    .step_unmark = pg_step_unmark,
    .step_live = pg_step_live,
    .registrant_rights = pg_registrant_rights,
    .lint = &pgdbc_lint_hooks,
    .trace = &pgdbc_trace_hooks,
    .replica = &pgdbc_replica_hooks,
    .add_all = pg_add_all,
    .may_read_files = pg_may_read_files,
    .desired_schema = pgdbc_desired_schema,
    .scratch_desired = pgdbc_scratch_desired,
    .row_security = pgdbc_generate_row_security,
    .comments = pgdbc_generate_comments,
    .index_round_trip = pgdbc_generate_index_round_trip,
    .index_spellings = pgdbc_index_spellings,
    .extensions = pgdbc_generate_extensions,
    .rights = pgdbc_generate_rights,
};

void pgdbc_migrate_register(dbc_api_hooks *api)
{
	api->migrate = &pgdbc_migrate_hooks;
}
