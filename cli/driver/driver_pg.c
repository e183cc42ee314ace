/*
 * driver_pg.c — PostgreSQL through libpq. Statements run with
 * PQexecParams (text parameters of unknown type, which the function
 * signature resolves); the connection is in autocommit, so a command that
 * needs several statements together sends BEGIN/COMMIT itself.
 */
#include "driver.h"
#include "engine_tag.h"
#include "live_panels.h"
#include "pg_cancel.h"
#include "cli/common/files.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Type OIDs of the built-in types a dbcare function returns. */
enum {
	OID_BOOL = 16,
	OID_INT8 = 20,
	OID_INT2 = 21,
	OID_INT4 = 23,
	OID_JSON = 114,
	OID_FLOAT4 = 700,
	OID_FLOAT8 = 701,
	OID_NUMERIC = 1700,
	OID_JSONB = 3802,
	OID_TIMESTAMPTZ = 1184
};

static cli_type type_of(Oid t)
{
	switch (t) {
	case OID_BOOL:
		return CLI_T_BOOL;
	case OID_INT2:
	case OID_INT4:
	case OID_INT8:
	case OID_FLOAT4:
	case OID_FLOAT8:
	case OID_NUMERIC:
		return CLI_T_NUM;
	case OID_JSON:
	case OID_JSONB:
		return CLI_T_JSON;
	default:
		return CLI_T_TEXT;
	}
}

static int take_rows(PGresult *res, cli_rows *out)
{
	int nc = PQnfields(res), nr = PQntuples(res);
	*out = (cli_rows){.ncols = nc, .nrows = nr};
	out->names = calloc((size_t)nc + 1, sizeof(char *));
	out->types = calloc((size_t)nc + 1, sizeof(cli_type));
	out->cells = calloc((size_t)nc * (size_t)nr + 1, sizeof(char *));
	if (!out->names || !out->types || !out->cells)
		return -1;
	for (int c = 0; c < nc; c++) {
		out->names[c] = strdup(PQfname(res, c));
		out->types[c] = type_of(PQftype(res, c));
	}
	for (int r = 0; r < nr; r++)
		for (int c = 0; c < nc; c++) {
			if (PQgetisnull(res, r, c))
				continue;
			const char *v = PQgetvalue(res, r, c);
			if (out->types[c] == CLI_T_BOOL)
				v = v[0] == 't' ? "true" : "false";
			/* a time as SQLite's functions write it (RFC 3339 UTC) */
			char *utc = PQftype(res, c) == OID_TIMESTAMPTZ ? cli_time_rfc3339(v) : NULL;
			out->cells[(size_t)r * (size_t)nc + (size_t)c] = utc ? utc : strdup(v);
		}
	return 0;
}

/* PostgreSQL's own "permission denied for function dbmigrate_add" (42501,
 * no hint) names neither the role nor the way out: both are added, the
 * role as the session's; the hint is the migration role's recipe for a
 * migration function, else the GRANT of that function or the roles of
 * docs/security.md. dbcare's own 42501 errors carry their hint. */
static void name_denied_role(cli_db *db, PGconn *conn)
{
	static const char denied[] = "permission denied for ", function[] = "function ";
	const char *m = db->error.message;
	if (strcmp(db->error.sqlstate, "42501") != 0 || db->error.hint || !m ||
	    strncmp(m, denied, sizeof denied - 1) != 0)
		return;
	const char *role = PQparameterStatus(conn, "session_authorization");
	role = role ? role : PQuser(conn);
	const char *what = m + sizeof denied - 1;
	const char *fn =
	    strncmp(what, function, sizeof function - 1) == 0 ? what + sizeof function - 1 : NULL;
	bool migrating = strstr(m, " dbmigrate_") || strstr(m, " migrations");
	char *msg = NULL, *hint = NULL;
	int made = fn ? asprintf(&msg, "role \"%s\" may not run %s(): %s", role, fn, m)
	              : asprintf(&msg, "role \"%s\" lacks a grant: %s", role, m);
	if (made < 0)
		msg = NULL;
	/* dbcare's objects are the installing role's (a superuser, as a rule),
	 * not the database owner's: no hint sends the user there */
	if (migrating && fn && strncmp(fn, "dbmigrate_add", strlen("dbmigrate_add") + 1) != 0)
		made = asprintf(&hint,
		                "Run dbcare as a role holding the grants of the migration role in "
		                "docs/migrations.md (Privileges), e.g. GRANT EXECUTE ON FUNCTION %s TO "
		                "\"%s\" with the rest of that recipe, or as the role that installed "
		                "the extension (it owns its objects).",
		                fn, role);
	else if (migrating)
		made = asprintf(&hint,
		                "Run dbcare as a role holding the grants of the migration role in "
		                "docs/migrations.md (Privileges), e.g. GRANT EXECUTE ON FUNCTION "
		                "dbmigrate_add(text, text, text, text) TO \"%s\" with the rest of "
		                "that recipe, or as the role that installed the extension (it owns its "
		                "objects).",
		                role);
	else if (fn)
		made =
		    asprintf(&hint,
		             "Run it as a role that may, or have a superuser GRANT EXECUTE ON FUNCTION %s "
		             "TO \"%s\"; with the grants of its recipe in docs/security.md (a monitoring "
		             "role, a migration role).",
		             fn, role);
	else
		made = asprintf(&hint,
		                "Grant \"%s\" the rights docs/security.md lists for this job, or "
		                "run dbcare as the role that installed dbcare (it owns dbcare's "
		                "tables).",
		                role);
	if (made < 0)
		hint = NULL;
	if (msg && hint) {
		char *detail = db->error.detail ? strdup(db->error.detail) : NULL;
		cli_error_set(db, "42501", msg, detail, hint);
		free(detail);
	}
	free(msg);
	free(hint);
}

/* The statements kept prepared on a connection with keep_plans: serve
 * runs the same few on its kept sessions every scrape, and the server then
 * parses and plans each once (the replicas' statement over
 * pg_stat_replication cost most of a refresh's server CPU planned anew
 * each time). At most PG_PLANS_MAX, by their text; the rest run unnamed. */
#define PG_PLANS_MAX 32
typedef struct pg_plans {
	int n;
	char *sql[PG_PLANS_MAX];
} pg_plans;

static void plans_free(cli_db *db)
{
	pg_plans *p = db->plans;
	for (int i = 0; p && i < p->n; i++)
		free(p->sql[i]);
	free(p);
	db->plans = NULL;
}

/* sql's prepared statement on db (named dbcare_plan_<i> in *name),
 * prepared now when it is new and there is room; false: run it unnamed
 * (*res: a failed prepare's result, else NULL). */
static bool plan_of(cli_db *db, const char *sql, int nparams, char *name, size_t size,
                    PGresult **res)
{
	*res = NULL;
	if (!db->plans && !(db->plans = calloc(1, sizeof(pg_plans))))
		return false;
	pg_plans *p = db->plans;
	int i = 0;
	while (i < p->n && strcmp(p->sql[i], sql) != 0)
		i++;
	if (i == PG_PLANS_MAX)
		return false;
	snprintf(name, size, "dbcare_plan_%d", i);
	if (i < p->n)
		return true;
	char *copy = strdup(sql);
	PGresult *made = copy ? PQprepare(db->handle, name, sql, nparams, NULL) : NULL;
	if (PQresultStatus(made) != PGRES_COMMAND_OK) {
		free(copy);
		*res = made; /* the statement's own error, as running it would give */
		return false;
	}
	PQclear(made);
	p->sql[p->n++] = copy;
	return true;
}

static PGresult *run(cli_db *db, const char *sql, int nparams, const char *const *params)
{
	char name[32];
	PGresult *res = NULL;
	if (!db->keep_plans || !plan_of(db, sql, nparams, name, sizeof name, &res))
		return res ? res : PQexecParams(db->handle, sql, nparams, NULL, params, NULL, NULL, 0);
	res = PQexecPrepared(db->handle, name, nparams, params, NULL, NULL, 0);
	/* what a statement returns changed under its plan (an extension
	 * updated: 0A000), or the plan is not there (a pooler in transaction
	 * mode sent it to another server: 26000): this run is unnamed, and
	 * the session keeps no plans any more */
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	if (state && (strcmp(state, "0A000") == 0 || strcmp(state, "26000") == 0)) {
		PQclear(res);
		PQclear(PQexec(db->handle, "DEALLOCATE ALL"));
		plans_free(db);
		db->keep_plans = false;
		res = PQexecParams(db->handle, sql, nparams, NULL, params, NULL, NULL, 0);
	}
	return res;
}

static int pg_query(cli_db *db, const char *sql, int nparams, const char *const *params,
                    cli_rows *out)
{
	PGconn *conn = db->handle;
	/* once stopped, only the ROLLBACK that ends the command runs */
	if (cli_stop_signal() && strcmp(sql, "ROLLBACK") != 0) {
		cli_error_set(db, "57014", "dbcare: stopped by a signal", NULL, NULL);
		return -1;
	}
	cli_pg_cancel_state cancel;
	cli_pg_cancel_arm(conn, &cancel);
	PGresult *res = run(db, sql, nparams, params);
	cli_pg_cancel_disarm(&cancel);
	ExecStatusType st = PQresultStatus(res);
	int rc = 0;
	if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
		if (out && take_rows(res, out) != 0) {
			cli_error_set(db, NULL, "dbcare: out of memory", NULL, NULL);
			rc = -1;
		}
	} else {
		if (res)
			cli_error_set(db, PQresultErrorField(res, PG_DIAG_SQLSTATE),
			              PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY),
			              PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL),
			              PQresultErrorField(res, PG_DIAG_MESSAGE_HINT));
		else
			cli_error_set(db, NULL, PQerrorMessage(conn), NULL, NULL);
		/* a message from libpq itself (the connection was lost) */
		if (!db->error.message || strcmp(db->error.message, "unknown error") == 0)
			cli_error_set(db, NULL, PQerrorMessage(conn), NULL, NULL);
		name_denied_role(db, conn);
		rc = -1;
	}
	PQclear(res);
	return rc;
}

static bool pg_read_only(cli_db *db)
{
	cli_rows r = {0};
	bool ro = false;
	if (pg_query(db, "SELECT pg_catalog.pg_is_in_recovery()", 0, NULL, &r) == 0)
		ro = cli_cell(&r, 0, 0) && strcmp(cli_cell(&r, 0, 0), "true") == 0;
	cli_rows_free(&r);
	return ro;
}

static bool pg_lost_to_failover(cli_db *db)
{
	bool by_role = false;
	if (PQstatus(db->handle) != CONNECTION_BAD)
		return false;
	PQconninfoOption *opts = PQconninfo(db->handle);
	for (PQconninfoOption *op = opts; op && op->keyword; op++)
		if (strcmp(op->keyword, "target_session_attrs") == 0 && op->val && *op->val)
			by_role = strcmp(op->val, "any") != 0;
	PQconninfoFree(opts);
	return by_role;
}

static bool pg_reusable(cli_db *db)
{
	return db->handle && PQstatus(db->handle) == CONNECTION_OK &&
	       PQtransactionStatus(db->handle) == PQTRANS_IDLE;
}

static void pg_close(cli_db *db)
{
	plans_free(db);
	PQfinish(db->handle);
	db->handle = NULL;
}

static void *pg_interrupter(cli_db *db)
{
	return PQgetCancel(db->handle);
}

static void pg_interrupt(void *h)
{
	char buf[256];
	(void)PQcancel(h, buf, (int)sizeof buf);
}

static void pg_interrupter_free(void *h)
{
	PQfreeCancel(h);
}

const cli_engine_tag cli_engine_pg = {"postgresql"};

/* This server's position now: lags are counted from it (or from $1, when
 * later), so a replica caught up to $1 still shows what it has not
 * replayed of what was written since. */
#define PG_NOW                                                                                     \
	" CROSS JOIN (SELECT CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() "             \
	"ELSE pg_current_wal_lsn() END AS lsn) h "
/* an unknown position (NULL) stays unknown: GREATEST ignores NULLs */
#define PG_LAG(x)                                                                                  \
	"CASE WHEN " x " IS NOT NULL THEN greatest(pg_wal_lsn_diff(greatest($1::pg_lsn, h.lsn), " x    \
	"), 0)::bigint END"
/* The standbys: the walsenders that hold no logical slot (named by their
 * application_name: a standby's cluster_name or primary_conninfo's; a
 * name two walsenders share gets @pid, so each row's name is its own).
 * A walsender that replays nothing (replay_lsn NULL while it reports
 * writing: pg_receivewal, Barman, pg_basebackup's WAL stream) or sends a
 * base backup (state backup) is a receiver: listed, its position what it
 * flushed, never caught up and never waited on. Then
 * physical slots no walsender holds (gone standbys that keep WAL); the
 * subscribers: this database's logical slots, confirmed_flush_lsn being
 * what the subscriber has made durable. caught_up: past $1. Positions of
 * others' walsenders are NULL without pg_read_all_stats (pg_monitor):
 * never caught up. */
static const char pg_replicas[] =
    "SELECT CASE WHEN w.receiver THEN 'receiver' ELSE 'standby' END AS kind, "
    "CASE WHEN count(*) OVER (PARTITION BY r.application_name) > 1 THEN "
    "r.application_name || '@' || r.pid ELSE r.application_name END AS name, "
    "s.slot_name AS slot, r.state, w.lsn::text AS position, " PG_LAG(
        "w.lsn") " AS lag_bytes, "
                 "NOT w.receiver AND coalesce(w.lsn >= $1::pg_lsn, false) AS caught_up "
                 "FROM pg_stat_replication r LEFT JOIN pg_replication_slots s ON "
                 "s.active_pid = r.pid CROSS JOIN LATERAL (SELECT r.state = 'backup' OR "
                 "(r.replay_lsn IS NULL AND r.write_lsn IS NOT NULL) AS receiver) k "
                 "CROSS JOIN LATERAL (SELECT k.receiver, CASE WHEN k.receiver THEN "
                 "coalesce(r.flush_lsn, r.write_lsn) ELSE r.replay_lsn END AS lsn) w" PG_NOW
                 "WHERE s.slot_type IS DISTINCT FROM 'logical' "
                 "UNION ALL SELECT 'standby', slot_name, slot_name, 'disconnected', "
                 "restart_lsn::text, " PG_LAG(
                     "restart_lsn") ", false FROM pg_replication_slots" PG_NOW
                                    "WHERE slot_type = 'physical' AND NOT active "
                                    "UNION ALL SELECT 'subscriber', s.slot_name, "
                                    "s.slot_name, coalesce(r.state, 'disconnected'), "
                                    "s.confirmed_flush_lsn::text, " PG_LAG(
                                        "s.confirmed_flush_lsn") ", "
                                                                 "coalesce(s.confirmed_"
                                                                 "flush_lsn >= $1::pg_lsn, "
                                                                 "false) "
                                                                 "FROM pg_replication_slots "
                                                                 "s LEFT JOIN "
                                                                 "pg_stat_replication r ON "
                                                                 "r.pid = "
                                                                 "s.active_pid" PG_NOW
                                                                 "WHERE s.slot_type = "
                                                                 "'logical' AND s.database "
                                                                 "= current_database() "
                                                                 "ORDER BY 1, 2";
/* what a column is, the same words on both sides */
#define PG_COLUMN_LINE                                                                             \
	"quote_ident(n.nspname) || '.' || quote_ident(c.relname) || '.' || quote_ident(a.attname) "    \
	"|| ' ' || format_type(a.atttypid, a.atttypmod)"
static const char pg_published_columns[] =
    "SELECT coalesce(string_agg(line, E'\\n' ORDER BY line), '') FROM (SELECT " PG_COLUMN_LINE
    " AS line FROM (SELECT DISTINCT schemaname, tablename, unnest(attnames) AS attname "
    "FROM pg_publication_tables WHERE pubname = ANY ($1::text[])) p "
    "JOIN pg_namespace n ON n.nspname = p.schemaname "
    "JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = p.tablename "
    "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = p.attname) l";
static const char pg_missing_columns[] =
    "SELECT line FROM unnest(string_to_array(nullif($1, ''), E'\\n')) AS line EXCEPT "
    "SELECT " PG_COLUMN_LINE " FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
    "JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p') ORDER BY 1";

const cli_driver cli_pg_driver = {
    .engine = &cli_engine_pg,
    .query = pg_query,
    .read_only = pg_read_only,
    .lost_to_failover = pg_lost_to_failover,
    .close = pg_close,
    .reusable = pg_reusable,
    .begin_write = "BEGIN",
    .dump = cli_pg_dump,
    .restore_from = NULL,
    .interrupter = pg_interrupter,
    .interrupt = pg_interrupt,
    .interrupter_free = pg_interrupter_free,
    .dump_schema = cli_pg_dump_schema,
    .files_host = &cli_pg_files_host,
    .register_folder_at_once = false,
    .rows_hold_statement = false,
    .attaches_files = false,
    .enforce_foreign_keys = NULL,
    .look_lock_timeout = "SET LOCAL lock_timeout = '500ms'",
    .lock_busy_sqlstate = "55P03",
    .lock_busy_holder = "a migration is running in another "
                        "session (it holds the migration registry)",
    .live_panels = cli_pg_live_panels,
    .live_panel_count = &cli_pg_live_panel_count,
    .statements_locate = cli_pg_statements_locate,
    .query_series = cli_pg_query_series,
    .cancel_session = "SELECT pg_cancel_backend(pid) FROM pg_stat_activity"
                      " WHERE pid = $1::int AND datname = current_database()",
    .terminate_session = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                         " WHERE pid = $1::int AND datname = current_database()",
    .replica_target = "SELECT substring(dbmigrate_bookmark() FROM '@([^@]*)$')",
    .replicas = pg_replicas,
    .subscriptions = "SELECT subslotname, subpublications::text "
                     "FROM pg_subscription WHERE subdbid = (SELECT oid FROM "
                     "pg_database WHERE datname = current_database()) "
                     "AND subslotname IS NOT NULL",
    .published_columns = pg_published_columns,
    .missing_columns = pg_missing_columns,
    .lock_wait_local = "SET LOCAL lock_timeout = '%dms'",
    /* one statement reads the values and sets them, so the values put
     * back are the ones this server session had; a parallel build of an
     * index takes every core of a small machine for its sort: the
     * clients' latency follows their CPU share, so one process builds it.
     * The subquery (OFFSET 0: kept a subquery) is read before its filter
     * sets them. */
    .lock_wait_session =
        "SELECT s.l, s.w FROM (SELECT pg_catalog.current_setting('lock_timeout') "
        "AS l, pg_catalog.current_setting('max_parallel_maintenance_workers') AS w "
        "OFFSET 0) s WHERE pg_catalog.set_config('lock_timeout', '%dms', false) "
        "IS NOT NULL AND pg_catalog.set_config("
        "'max_parallel_maintenance_workers', '0', false) IS NOT NULL",
    .lock_wait_restore = "SELECT pg_catalog.set_config('lock_timeout', $1, false), "
                         "pg_catalog.set_config('max_parallel_maintenance_workers', $2, false)",
    .lock_wait_found = NULL,
    .lock_not_granted = "55P03 40P01",
    .online_done_steps = "SELECT key, value FROM pg_catalog.json_each_text("
                         "dbmigrate_online_done($1)::pg_catalog.json -> $1) "
                         "WHERE key NOT LIKE '-%'",
    .online_half_done = "SELECT key FROM pg_catalog.json_object_keys("
                        "dbmigrate_online_done()::pg_catalog.json) key ORDER BY 1 DESC",
    /* a row lock's waiter waits on the holder's transaction id: its
     * blocking pids name this session; pg_blocking_pids asked only of
     * the sessions waiting for a lock */
    .online_lock_waiters = "SELECT pg_catalog.count(*) FROM pg_catalog.pg_stat_activity "
                           "WHERE wait_event_type = 'Lock' AND pg_catalog.pg_backend_pid() "
                           "OPERATOR(pg_catalog.=) ANY (pg_catalog.pg_blocking_pids(pid))",
    /* positions as bytes since 0/0; the last checkpoint completed
     * (pg_control_checkpoint); whether the checkpointer is idle (waits in
     * its main loop; not seen: never idle); the settings in their units
     * (pg_settings: bytes, MB) */
    .online_wal_state =
        "SELECT pg_catalog.pg_current_wal_insert_lsn() OPERATOR(pg_catalog.-) "
        "'0/0'::pg_catalog.pg_lsn, c.redo_lsn OPERATOR(pg_catalog.-) '0/0'::pg_catalog.pg_lsn, "
        "s.seg, s.wal, s.target, coalesce((SELECT pg_catalog.bool_or(wait_event "
        "OPERATOR(pg_catalog.=) 'CheckpointerMain') FROM pg_catalog.pg_stat_activity "
        "WHERE backend_type OPERATOR(pg_catalog.=) 'checkpointer'), false) "
        "FROM pg_catalog.pg_control_checkpoint() c, (SELECT "
        "pg_catalog.max(setting) FILTER (WHERE name OPERATOR(pg_catalog.=) 'wal_segment_size') "
        "AS seg, "
        "pg_catalog.max(setting) FILTER (WHERE name OPERATOR(pg_catalog.=) 'max_wal_size') AS wal, "
        "pg_catalog.max(setting) FILTER (WHERE name OPERATOR(pg_catalog.=) "
        "'checkpoint_completion_target') AS target FROM pg_catalog.pg_settings) s",
    .exclusive_lock = "ACCESS EXCLUSIVE",
    /* PostgreSQL's table lock conflicts, for the locks that keep the
     * table's writers out (those conflicting with their ROW EXCLUSIVE): a
     * step waiting for one of them queues every writer behind it, so the
     * sessions holding a mode it conflicts with are named first. A lock
     * that lets writes go on (SHARE UPDATE EXCLUSIVE: VALIDATE) names none.
     * Nor is a client's statement running for under 100 ms in a transaction
     * as young named: the ordinary traffic of a busy table, gone before a
     * wait behind it would count; an idle transaction, a long one and an
     * autovacuum worker are. */
    .lock_holders =
        "SELECT a.pid, a.state, "
        "coalesce(extract(epoch FROM now() - a.xact_start)::int, 0) AS seconds, "
        "left(a.query, 60) AS query FROM pg_locks l "
        "JOIN pg_stat_activity a ON a.pid = l.pid "
        "JOIN (VALUES ('ACCESS EXCLUSIVE', '{AccessShareLock,RowShareLock,RowExclusiveLock,"
        "ShareUpdateExclusiveLock,ShareLock,ShareRowExclusiveLock,ExclusiveLock,"
        "AccessExclusiveLock}'), "
        "('EXCLUSIVE', '{RowShareLock,RowExclusiveLock,ShareUpdateExclusiveLock,ShareLock,"
        "ShareRowExclusiveLock,ExclusiveLock,AccessExclusiveLock}'), "
        "('SHARE ROW EXCLUSIVE', '{RowExclusiveLock,ShareUpdateExclusiveLock,ShareLock,"
        "ShareRowExclusiveLock,ExclusiveLock,AccessExclusiveLock}'), "
        "('SHARE', '{RowExclusiveLock,ShareUpdateExclusiveLock,ShareRowExclusiveLock,"
        "ExclusiveLock,AccessExclusiveLock}')) AS c (step_lock, conflicts) "
        "ON c.step_lock = $2 AND l.mode = ANY (c.conflicts::text[]) "
        "WHERE l.relation = to_regclass($1) AND l.granted AND l.pid <> pg_backend_pid() "
        "AND (a.backend_type IS DISTINCT FROM 'client backend' "
        "OR a.state IS DISTINCT FROM 'active' "
        "OR a.xact_start < now() - interval '100 ms') GROUP BY 1, 2, 3, 4 ORDER BY 1"};
