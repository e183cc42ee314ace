/*
 * fn_audit.c — dbaudit_* for SQLite: the wrappers around core/audit/, what
 * only SQLite does for it (dbc_audit_hooks: resolving a table in
 * sqlite_schema, the generated triggers of audit_sql.c), and the
 * INNOCUOUS functions that complete their entries (audit_pending.c): the
 * session's actor, the id of the current transaction and the time. Every
 * reading call completes the pending entries first.
 */
#include "audit_sql.h"
#include "sqlite/host/glue.h"
#include "sqlite/health/health_glue.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* ------------------------------------------------------------ the session */

/* dbaudit_actor('...'): the application's user, recorded by the triggers of
 * this connection until it is set again (NULL clears it). DIRECTONLY. */
void sqldbc_dbaudit_actor(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	(void)argc;
	sqldbc_conn *conn = sqldbc_conn_of(c);
	char *actor = NULL;
	if (sqlite3_value_type(argv[0]) != SQLITE_NULL) {
		const char *text = (const char *)sqlite3_value_text(argv[0]);
		/* an actor cut at a NUL byte would be logged short: refused */
		if (text && (size_t)sqlite3_value_bytes(argv[0]) != strlen(text)) {
			sqlite3_result_error(c, "dbcare: argument \"actor\" contains a NUL character", -1);
			return;
		}
		actor = sqlite3_mprintf("%s", text);
		if (!actor) {
			sqlite3_result_error_nomem(c);
			return;
		}
	}
	sqlite3_free(conn->audit_actor);
	conn->audit_actor = actor;
	/* a connection that names its actor records it: its entries are
	 * completed as it writes them */
	sqldbc_audit_hook(conn->db);
	if (actor)
		sqlite3_result_text(c, actor, -1, SQLITE_TRANSIENT);
	else
		sqlite3_result_null(c);
}

/* dbaudit_actor(): the actor set on this connection, NULL when none. */
void sqldbc_dbaudit_current_actor(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	(void)argc, (void)argv;
	sqldbc_conn *conn = sqldbc_conn_of(c);
	if (conn->audit_actor)
		sqlite3_result_text(c, conn->audit_actor, -1, SQLITE_TRANSIENT);
	else
		sqlite3_result_null(c);
}

/* dbaudit_txid(): one id for all the entries of a transaction. The main
 * database's data version (SQLITE_FCNTL_DATA_VERSION) does not change while
 * a transaction writes and changes with every commit, so a fresh random id
 * is drawn whenever it differs from the one the last id was drawn at. A
 * transaction that rolled back may leave its id to the next one: none of its
 * entries exist. Random, not counted, so ids of different connections do not
 * meet (2^-63 per pair). No commit hook: that belongs to the application. */
void sqldbc_dbaudit_txid(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	(void)argc, (void)argv;
	sqldbc_conn *conn = sqldbc_conn_of(c);
	unsigned version = 0;
	if (!sqldbc_audit_data_version(conn->db, &version))
		version = 0;
	if (!conn->audit_txid_set || version != conn->audit_data_version) {
		int64_t id;
		sqlite3_randomness(sizeof(id), &id);
		id &= INT64_MAX;
		conn->audit_txid = id ? id : 1;
		conn->audit_data_version = version;
		conn->audit_txid_set = true;
	}
	sqlite3_result_int64(c, conn->audit_txid);
}

/* dbaudit_now(): the time as the log stores it (ISO-8601 UTC, milliseconds),
 * from the connection's VFS's clock. Every audited row calls it: the date and time of day
 * are formatted once per second per connection, and only the milliseconds
 * are written into that text when the clock moved within the second
 * (strftime('%Y-%m-%dT%H:%M:%fZ', 'now') in every audited row's trigger was
 * a sixth of the trigger's cost). */
void sqldbc_dbaudit_now(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	(void)argc, (void)argv;
	sqldbc_conn *conn = sqldbc_conn_of(c);
	if (!conn->audit_vfs && sqlite3_file_control(conn->db, NULL, SQLITE_FCNTL_VFS_POINTER,
	                                             &conn->audit_vfs) != SQLITE_OK)
		conn->audit_vfs = NULL;
	/* not sqlite3_vfs_find per row: it takes a global mutex, 40 % of
	 * dbaudit_now's instructions an audited row */
	sqlite3_vfs *vfs = conn->audit_vfs ? conn->audit_vfs : sqlite3_vfs_find(NULL);
	sqlite3_int64 jd_ms = 0; /* Julian day number times 86,400,000: positive */
	if (vfs && vfs->iVersion >= 2 && vfs->xCurrentTimeInt64) {
		vfs->xCurrentTimeInt64(vfs, &jd_ms);
	} else if (vfs) {
		double jd = 0;
		vfs->xCurrentTime(vfs, &jd);
		jd_ms = (sqlite3_int64)(jd * 86400000.0);
	}
	if (jd_ms < 0)
		jd_ms = 0;
	sqlite3_int64 sec = jd_ms / 1000;
	if (conn->audit_now_len == 0 || sec != conn->audit_now_sec) {
		/* the Unix epoch is Julian day 2440587.5: 210,866,760,000 s */
		time_t secs = (time_t)(sec - (sqlite3_int64)210866760000);
		struct tm tm;
		if (!gmtime_r(&secs, &tm)) {
			sqlite3_result_error(c, "dbcare: the clock is out of range", -1);
			return;
		}
		sqlite3_snprintf((int)sizeof(conn->audit_now), conn->audit_now,
		                 "%04d-%02d-%02dT%02d:%02d:%02d.000Z", tm.tm_year + 1900, tm.tm_mon + 1,
		                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
		conn->audit_now_len = (int)strlen(conn->audit_now);
		conn->audit_now_sec = sec;
		conn->audit_now_ms = sec * 1000;
	}
	if (jd_ms != conn->audit_now_ms) {
		int ms = (int)(jd_ms % 1000);
		char *digits = conn->audit_now + conn->audit_now_len - 4; /* "mmmZ" */
		digits[0] = (char)('0' + ms / 100);
		digits[1] = (char)('0' + ms / 10 % 10);
		digits[2] = (char)('0' + ms % 10);
		conn->audit_now_ms = jd_ms;
	}
	sqlite3_result_text(c, conn->audit_now, conn->audit_now_len, SQLITE_TRANSIENT);
}

/* ------------------------------------------------------------ the engine */

static int install(dbc_ctx *ctx, const dbc_audit_target *t, const dbc_audit_options *o)
{
	char *sql;
	if (sqldbc_audit_triggers_sql(ctx, t, o, &sql) != DBC_OK)
		return DBC_ERROR;
	return ctx->host->exec(ctx, sql);
}

/* The shared triggers, then their pending views (with the views'
 * triggers): a shared trigger left without its view would refuse the
 * table's writes. */
static int uninstall(dbc_ctx *ctx, const char *name)
{
	static const char *const ops[] = {"insert", "update", "delete"};
	for (int i = 0; i < 3; i++) {
		char *trigger = sqldbc_audit_trigger_name(ctx, name, ops[i]);
		char *view = sqldbc_audit_pending_view(ctx, name, ops[i]);
		char *sql = trigger && view ? dbc_printf(ctx,
		                                         "DROP TRIGGER IF EXISTS main.%s;"
		                                         " DROP VIEW IF EXISTS main.%s",
		                                         trigger, view)
		                            : NULL;
		if (!sql || ctx->host->exec(ctx, sql) != DBC_OK)
			return DBC_ERROR;
	}
	return DBC_OK;
}

typedef struct id_list {
	int64_t *ids;
	int n, cap;
} id_list;

static int collect_id(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	id_list *l = arg;
	(void)ncol;
	if (dbc_grow(ctx, &l->ids, l->n, &l->cap, sizeof(*l->ids), 64) != DBC_OK)
		return DBC_ERROR;
	l->ids[l->n++] = c[0].i;
	return DBC_OK;
}

/* Logs every row as a snapshot; a chained table's snapshots are linked into
 * the chain like every other entry (in id order, after the head), so an
 * edited snapshot fails dbaudit_verify. */
static int baseline(dbc_ctx *ctx, const dbc_audit_target *t, const dbc_audit_options *o)
{
	char *sql;
	id_list l = {0};
	if (sqldbc_audit_baseline_sql(ctx, t, o, &sql) != DBC_OK)
		return DBC_ERROR;
	/* pending entries before the snapshots are linked first */
	if (o->hash_chain && sqldbc_audit_complete(ctx) != DBC_OK)
		return DBC_ERROR;
	/* SQLite has one writer: the entries after the newest before the
	 * insert are this baseline's */
	id_list before = {0};
	if (o->hash_chain &&
	    ctx->host->query(ctx, "SELECT coalesce(max(id), 0) FROM main.dbcare_audit_log", 0, NULL,
	                     collect_id, &before) != DBC_OK)
		return DBC_ERROR;
	if (ctx->host->exec(ctx, sql) != DBC_OK)
		return DBC_ERROR;
	if (!o->hash_chain)
		return DBC_OK;
	dbc_value from = dbc_int(before.ids[0]);
	if (ctx->host->query(ctx, "SELECT id FROM main.dbcare_audit_log WHERE id > $1 ORDER BY id", 1,
	                     &from, collect_id, &l) != DBC_OK)
		return DBC_ERROR;
	dbc_value *ids = l.n ? dbc_alloc(ctx, sizeof(*ids) * (size_t)l.n) : NULL;
	if (l.n && !ids)
		return DBC_ERROR;
	for (int i = 0; i < l.n; i++)
		ids[i] = dbc_int(l.ids[i]);
	return l.n ? ctx->host->query_each(ctx, sqldbc_audit_link_sql(), 1, l.n, ids) : DBC_OK;
}

static int tables_exist(dbc_ctx *ctx, bool *exists)
{
	bool log = false;
	if (sqldbc_table_probe(ctx, "main", "dbcare_audit_log", NULL, &log) != DBC_OK)
		return DBC_ERROR;
	*exists = log;
	return log ? sqldbc_table_probe(ctx, "main", "dbcare_audit_tables", NULL, exists) : DBC_OK;
}

static char *display(dbc_ctx *ctx, const char *name)
{
	return ctx->host->quote_ident(ctx, name);
}

static int collect_count(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	(void)ctx, (void)ncol;
	*(int64_t *)arg = c[0].type == DBC_INT ? c[0].i : 0;
	return DBC_OK;
}

/* The table exists, each of its three triggers (audit_sql.c) is still
 * there (SQLite has no disabled trigger: DROP TRIGGER is the one way to
 * switch one off), and its columns are those the triggers were made for (a
 * column added since is not recorded). */
static int recording(dbc_ctx *ctx, const dbc_audit_table *row, dbc_audit_recording *out)
{
	static const char *const ops[] = {"insert", "update", "delete"};
	dbc_audit_target t = {0};
	bool found = false;
	out->operations = 3;
	if (sqldbc_audit_resolve(ctx, row->name, &t, &found) != DBC_OK)
		return DBC_ERROR;
	if (!found) {
		/* gone by its name: renamed, when its triggers (named after the
		 * stored name, which they record) followed it */
		char *now = NULL;
		char *first = dbc_printf(ctx, "dbcare_audit_insert_%s", row->name);
		dbc_value arg = dbc_text(first ? first : "");
		if (!first ||
		    dbc_query_text(ctx,
		                   "SELECT tbl_name FROM main.sqlite_schema WHERE type = 'trigger'"
		                   " AND name = $1 COLLATE NOCASE",
		                   1, &arg, &now, NULL) != DBC_OK)
			return DBC_ERROR;
		if (now && sqldbc_audit_resolve(ctx, now, &t, &found) != DBC_OK)
			return DBC_ERROR;
		out->renamed_to = found ? now : NULL;
	}
	out->exists = found && t.kind == DBC_AUDIT_TABLE;
	if (!out->exists)
		return DBC_OK;
	for (int i = 0; i < 3; i++) {
		int64_t n = 0;
		char *name = dbc_printf(ctx, "dbcare_audit_%s_%s", ops[i], row->name);
		char *view = dbc_printf(ctx, SQLDBC_AUDIT_PENDING_VIEW "%s_%s", ops[i], row->name);
		dbc_value args[3] = {dbc_text(name ? name : ""), dbc_text(t.name),
		                     dbc_text(view ? view : "")};
		/* a shared trigger inserting into its pending view (bookkeeping
		 * 22) records only while the view and the view's trigger are there */
		if (!name || !view ||
		    ctx->host->query(ctx,
		                     "SELECT count(*) FROM main.sqlite_schema AS s WHERE type = 'trigger'"
		                     " AND name = $1 COLLATE NOCASE AND tbl_name = $2 COLLATE NOCASE"
		                     " AND (instr(s.sql, $3) = 0 OR (SELECT count(*)"
		                     " FROM main.sqlite_schema AS v WHERE v.type IN ('view', 'trigger')"
		                     " AND v.name = $3 COLLATE NOCASE AND v.tbl_name = $3 COLLATE NOCASE)"
		                     " = 2)",
		                     3, args, collect_count, &n) != DBC_OK)
			return DBC_ERROR;
		if (n == 0 && dbc_strlist_add(ctx, &out->missing, ops[i]) != DBC_OK)
			return DBC_ERROR;
	}
	char *now = dbc_audit_columns_json(ctx, &t.columns);
	if (!now)
		return DBC_ERROR;
	if (!row->columns || strcmp(now, row->columns) != 0)
		out->stale = "its columns changed since its triggers were made";
	return DBC_OK;
}

/* A file whose bookkeeping is older than the chains' heads has none to
 * compare (a read upgrades nothing). */
static int head_layout(dbc_ctx *ctx, int *layout)
{
	bool exists = false;
	if (sqldbc_table_probe(ctx, "main", "dbcare_audit_chain", NULL, &exists) != DBC_OK)
		return DBC_ERROR;
	*layout = exists ? DBC_AUDIT_HEADS_CHAINS : DBC_AUDIT_HEADS_NONE;
	return DBC_OK;
}

/* A file of an older layout that only a reader opened keeps its
 * (table_name, key) index. */
static bool has_row_hash(dbc_ctx *ctx)
{
	return sqldbc_audit_has_row_hash(sqldbc_call_conn(ctx)->db);
}

/* The entries of the row index in range (SQL), and the pending ones: a
 * read-only file keeps those pending (no row hash yet) and its readers see
 * them as written. An IN list of ids, which SQLite reads in id order. */
#define INDEXED_IDS                                                                                \
	"id IN (SELECT id FROM main.dbcare_audit_log INDEXED BY dbcare_audit_log_row WHERE %s"         \
	" UNION ALL SELECT id FROM main.dbcare_audit_log INDEXED BY dbcare_audit_log_pending"          \
	" WHERE txid <= 0) AND "

/* The log's row index (core/book/tables.c, audit_log): one row's entries
 * share its row hash, which collisions only widen (the exact test of
 * table_name and key follows). */
static char *row_range(dbc_ctx *ctx, const char *table_sql, const char *key_sql)
{
	if (!has_row_hash(ctx))
		return dbc_strdup(ctx, "");
	char *hashed = dbc_printf(ctx, "row_hash = dbaudit_row_hash(%s, %s)", table_sql, key_sql);
	return hashed ? dbc_printf(ctx, INDEXED_IDS, hashed) : NULL;
}

static const dbc_audit_hooks audit_hooks = {
    .display = display,
    .recording = recording,
    .tables_exist = tables_exist,
    .resolve = sqldbc_audit_resolve,
    .install = install,
    .uninstall = uninstall,
    .baseline = baseline,
    .head_layout = head_layout,
    .heads = dbc_audit_heads,
    .row_range = row_range,
    /* no table_range: a table's entries are read by scanning the log in id
     * order, which costs less than visiting them in the row index's order
     * (0.5 s against 7.8 s to count 1,000,000 entries: docs/benchmarks.md) */
};

void sqldbc_audit_register(dbc_api_hooks *api)
{
	api->audit = &audit_hooks;
	api->audit_read = sqldbc_audit_complete;
}

static int store_columns(dbc_ctx *ctx, const dbc_audit_target *t)
{
	char *cols = dbc_audit_columns_json(ctx, &t->columns);
	dbc_value args[2] = {dbc_text(t->name), dbc_text(cols ? cols : "")};
	return cols ? ctx->host->query(ctx,
	                               "UPDATE main.dbcare_audit_tables SET columns = $2"
	                               " WHERE table_name = $1",
	                               2, args, NULL, NULL)
	            : DBC_ERROR;
}

/* As dbaudit_refresh() (core/audit/audit_tables.c) within the bookkeeping
 * upgrade's savepoint; a table that is gone, or whose stored options no
 * longer fit it, keeps the triggers it has (the health check "audit" and
 * dbaudit_refresh say why). */
int sqldbc_audit_remake_triggers(dbc_ctx *ctx)
{
	dbc_audit_table *rows;
	int n;
	if (dbc_audit_load_tables(ctx, &audit_hooks, NULL, &rows, &n) != DBC_OK)
		return DBC_ERROR;
	for (int i = 0; i < n; i++) {
		dbc_audit_target t = {0};
		dbc_audit_options o;
		bool found = false;
		if (sqldbc_audit_resolve(ctx, rows[i].name, &t, &found) != DBC_OK)
			return DBC_ERROR;
		if (!found || t.kind != DBC_AUDIT_TABLE)
			continue;
		if (dbc_audit_parse_options(ctx, &t, rows[i].options, &o) != DBC_OK) {
			dbc_error_clear(ctx);
			continue;
		}
		if (uninstall(ctx, t.name) != DBC_OK || install(ctx, &t, &o) != DBC_OK ||
		    store_columns(ctx, &t) != DBC_OK)
			return DBC_ERROR;
	}
	sqldbc_audit_direct_forget(sqldbc_call_conn(ctx));
	return DBC_OK;
}

/* After a call changed the shared triggers: this connection's TEMP ones
 * made again. A failure is not the call's: the connection then writes
 * through the shared triggers (pending entries it completes). */
static void direct_again(sqldbc_call *call)
{
	sqldbc_audit_direct_forget(call->conn);
	if (sqldbc_audit_direct_install(&call->ctx) != DBC_OK)
		dbc_error_clear(&call->ctx);
}

/* ------------------------------------------------------------ the calls */

static const char *opt_text(int argc, const dbc_value *args, int i)
{
	return i < argc && args[i].type == DBC_TEXT ? args[i].s : NULL;
}

void sqldbc_dbaudit_enable(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	sqldbc_call call;
	const char *table, *options = NULL;
	char *name = NULL;
	sqldbc_begin(&call, c);
	int rc = sqldbc_arg_text(&call, argv, 0, "table", &table);
	if (rc == DBC_OK && argc > 1 && sqlite3_value_type(argv[1]) != SQLITE_NULL)
		rc = sqldbc_arg_text(&call, argv, 1, "options", &options);
	const char *mode = NULL;
	bool wal;
	if (rc == DBC_OK && argc > 2 && sqlite3_value_type(argv[2]) != SQLITE_NULL)
		rc = sqldbc_arg_text(&call, argv, 2, "mode", &mode);
	/* the mode into the options: the core refuses "wal" here */
	if (rc == DBC_OK && mode)
		rc = dbc_audit_options_mode(&call.ctx, &options, mode, &wal);
	if (rc == DBC_OK)
		rc = dbc_audit_enable(&call.ctx, &audit_hooks, table, options, &name);
	if (rc == DBC_OK) {
		sqldbc_audit_hook(call.db);
		direct_again(&call);
	}
	if (rc == DBC_OK)
		sqlite3_result_text(c, name, -1, SQLITE_TRANSIENT);
	sqldbc_finish(&call, c, rc);
}

void sqldbc_dbaudit_disable(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	(void)argc;
	sqldbc_call call;
	const char *table;
	sqldbc_begin(&call, c);
	int rc = sqldbc_arg_text(&call, argv, 0, "table", &table);
	if (rc == DBC_OK)
		rc = dbc_audit_disable(&call.ctx, &audit_hooks, table);
	if (rc == DBC_OK) {
		direct_again(&call);
		sqlite3_result_int(c, 1);
	}
	sqldbc_finish(&call, c, rc);
}

void sqldbc_dbaudit_refresh(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	sqldbc_call call;
	const char *table = NULL;
	int count = 0;
	sqldbc_begin(&call, c);
	int rc = DBC_OK;
	if (argc > 0 && sqlite3_value_type(argv[0]) != SQLITE_NULL)
		rc = sqldbc_arg_text(&call, argv, 0, "table", &table);
	if (rc == DBC_OK)
		rc = dbc_audit_refresh(&call.ctx, &audit_hooks, table, &count);
	if (rc == DBC_OK) {
		sqldbc_audit_hook(call.db);
		direct_again(&call);
	}
	if (rc == DBC_OK)
		sqlite3_result_int(c, count);
	sqldbc_finish(&call, c, rc);
}

void sqldbc_dbaudit_row_at(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	(void)argc;
	sqldbc_call call;
	const char *table, *key, *at;
	char *row = NULL;
	sqldbc_begin(&call, c);
	int rc = sqldbc_arg_text(&call, argv, 0, "table", &table);
	if (rc == DBC_OK)
		rc = sqldbc_arg_text(&call, argv, 1, "key", &key);
	if (rc == DBC_OK)
		rc = sqldbc_arg_text(&call, argv, 2, "at", &at);
	if (rc == DBC_OK)
		rc = sqldbc_audit_complete(&call.ctx);
	if (rc == DBC_OK)
		rc = dbc_audit_row_at(&call.ctx, &audit_hooks, table, key, at, &row);
	if (rc == DBC_OK && row)
		sqlite3_result_text(c, row, -1, SQLITE_TRANSIENT);
	else if (rc == DBC_OK)
		sqlite3_result_null(c);
	sqldbc_finish(&call, c, rc);
}

int sqldbc_dbaudit_history(dbc_ctx *ctx, int argc, const dbc_value *args, dbc_rows *out)
{
	dbc_rows_init(out, ctx, DBC_AUDIT_HISTORY_NCOLS);
	if (sqldbc_audit_complete(ctx) != DBC_OK)
		return DBC_ERROR;
	return dbc_audit_history(ctx, &audit_hooks, opt_text(argc, args, 0), opt_text(argc, args, 1),
	                         out);
}

int sqldbc_dbaudit_verify(dbc_ctx *ctx, int argc, const dbc_value *args, dbc_rows *out)
{
	(void)argc, (void)args;
	dbc_rows_init(out, ctx, DBC_AUDIT_VERIFY_NCOLS);
	if (sqldbc_audit_complete(ctx) != DBC_OK)
		return DBC_ERROR;
	return dbc_audit_verify(ctx, &audit_hooks, out);
}

/* ------------------------------------------------------------ health */

int sqldbc_audit_health(dbc_ctx *ctx, const dbc_health_hooks *eng, dbc_health_mode mode,
                        dbc_health_fact *fact)
{
	(void)eng;
	if (dbc_audit_health(ctx, &audit_hooks, fact) != DBC_OK)
		return DBC_ERROR;
	if (mode < DBC_HEALTH_FULL)
		return DBC_OK;
	/* full mode: the hash chains too, read as dbaudit_verify reads them
	 * (entries a writer left to complete are completed first) */
	if (sqldbc_audit_complete(ctx) != DBC_OK)
		return DBC_ERROR;
	return dbc_audit_health_chain(ctx, &audit_hooks, fact);
}
