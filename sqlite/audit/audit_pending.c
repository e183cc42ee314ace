/*
 * audit_pending.c — completing the audit entries written without dbcare's
 * functions (docs/audit.md, "Connections without dbcare"). The shared audit
 * triggers (audit_sql.c) write every change as a pending entry: txid 0
 * (SQLDBC_AUDIT_PENDING, -1 for a hash-chained table), no actor, key and
 * values in the pending form (audit_json.c). Completing one sets its txid,
 * turns its key and values into dbcare's JSON and, when chained, links it
 * after the chain's head.
 *
 * Invariants:
 * - Pending entries are completed in id order and before any later entry
 *   is linked, so the chain links in id order (dbaudit_verify walks it so).
 *   SQLite has one writer at a time: whoever completes holds the write lock.
 * - Each completion runs inside the statement or savepoint that started it:
 *   it commits with it or not at all, so an entry is never half done.
 * - A connection with dbcare completes its own entries in the statement
 *   that wrote them, through the TEMP triggers below, with its txid and
 *   actor: after the pending entries before them (dbaudit_complete). Its
 *   TEMP triggers of the audited tables write them finished in the first
 *   place (audit_direct.c); these complete the ones its shared triggers
 *   write while those are missing or stale.
 */
#include "audit_sql.h"
#include "base/clock.h"
#include "sqlite/host/glue.h"

#include <string.h>

#define PENDING_INDEX "dbcare_audit_log_pending"
/* Whether the log holds a pending entry (1 or 0), through their index. */
#define ANY_PENDING_SQL                                                                            \
	"SELECT EXISTS (SELECT 1 FROM main.dbcare_audit_log INDEXED BY " PENDING_INDEX                 \
	" WHERE txid <= 0)"

/* The TEMP trigger that completes, in the writer's statement, the pending
 * entries this connection's shared triggers write (when its TEMP trigger
 * of a table is missing or stale: audit_direct.c): one call of
 * dbaudit_complete(NEW.id, 1), which completes the older pending entries
 * first, in id order, then this one with the writer's txid and actor (and
 * links it, chained). It fires on SQLDBC_AUDIT_WRITTEN, into which the
 * pending views' triggers insert each pending entry's id (audit_sql.c),
 * so never for the entries the TEMP triggers of the audited tables write
 * finished: SQLite makes a frame of a trigger's registers each time it
 * fires, whether its WHEN holds or not, which a trigger on the log cost
 * every audited row (the commit that moved it has the figures). */
#define HOOK_SQL                                                                                   \
	"DROP TRIGGER IF EXISTS temp." HOOK_LOG ";"                                                    \
	" CREATE TEMP TRIGGER IF NOT EXISTS dbcare_audit_complete INSTEAD OF INSERT"                   \
	" ON main." SQLDBC_AUDIT_WRITTEN " BEGIN SELECT dbaudit_complete(NEW.id, 1); END"
/* A log of bookkeeping 21 or older has no SQLDBC_AUDIT_WRITTEN: its shared
 * triggers write pending entries into the log itself, and the trigger
 * completing them is on the log, for both pending txids (until a changing
 * call upgrades the file; an AFTER trigger: a BEFORE trigger on the log
 * made SQLite build every entry's row twice). */
#define HOOK_LOG "dbcare_audit_complete_log"
#define HOOK_LOG_SQL                                                                               \
	"CREATE TEMP TRIGGER IF NOT EXISTS " HOOK_LOG " AFTER INSERT ON main.dbcare_audit_log"         \
	" WHEN NEW.txid IN (%d, %d) BEGIN SELECT dbaudit_complete(NEW.id, 1); END"

/* SQLITE_OK when the file has the index of pending entries and the
 * chain's head (the TEMP trigger links chained entries to it),
 * SQLITE_NOTFOUND when not, else the error of reading the schema (busy);
 * *written whether it has SQLDBC_AUDIT_WRITTEN. It looks in sqlite_schema
 * rather than preparing against tables that may not exist: a statement
 * that fails writes into the application's SQLITE_CONFIG_LOG, on every
 * connection that loads the module. */
static int find_index(sqlite3 *db, bool *written)
{
	sqlite3_stmt *stmt = NULL;
	int rc = sqlite3_prepare_v2(db,
	                            "SELECT total((type = 'index' AND name = '" PENDING_INDEX "'"
	                            " AND tbl_name = 'dbcare_audit_log')"
	                            " OR (type = 'table' AND name = 'dbcare_audit_chain')),"
	                            " total(type = 'view' AND name = '" SQLDBC_AUDIT_WRITTEN "')"
	                            " FROM main.sqlite_schema",
	                            -1, &stmt, NULL);
	*written = false;
	if (rc == SQLITE_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		*written = sqlite3_column_int(stmt, 1) > 0;
		rc = sqlite3_column_int(stmt, 0) == 2 ? SQLITE_OK : SQLITE_NOTFOUND;
	}
	sqlite3_finalize(stmt);
	return rc;
}

static bool has_index(sqlite3 *db)
{
	bool written;
	return find_index(db, &written) == SQLITE_OK;
}

static bool busy(int rc)
{
	return (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED;
}

/* The connection's busy timeout in ms (0: none, or an application's own
 * busy handler); the pragma reads no schema, so it never waits. */
static int busy_timeout_of(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	int ms = 0;
	if (sqlite3_prepare_v2(db, "PRAGMA busy_timeout", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		ms = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return ms;
}

int sqldbc_audit_hook(sqlite3 *db)
{
	/* A file without the log (or from before pending entries) has nothing
	 * to complete. The schema is read here, often right after the file was
	 * opened and before the application set a busy timeout: while another
	 * connection holds it (a WAL recovered after a crash) this tries again
	 * for 2 s, as a connection left without the trigger records no txid or
	 * actor (its entries are completed by the next connection with dbcare).
	 * A connection with a busy timeout tries once: its own wait is the
	 * load's one wait (each try would wait it again). */
	char *log_sql =
	    sqlite3_mprintf(HOOK_LOG_SQL, SQLDBC_AUDIT_PENDING, SQLDBC_AUDIT_PENDING_CHAINED);
	double deadline = dbc_monotonic_ms() + (busy_timeout_of(db) > 0 ? 0 : 2000);
	int rc = log_sql ? SQLITE_OK : SQLITE_NOMEM;
	while (log_sql) {
		bool written = false;
		rc = find_index(db, &written);
		if (rc == SQLITE_OK)
			rc = sqlite3_exec(db, written ? HOOK_SQL : log_sql, NULL, NULL, NULL);
		if (!busy(rc) || dbc_monotonic_ms() >= deadline)
			break;
		sqlite3_sleep(10);
	}
	sqlite3_free(log_sql);
	return busy(rc) ? SQLITE_BUSY : SQLITE_OK;
}

typedef struct pending {
	int64_t *ids, *txids;
	char **ats;
	int n, cap_ids, cap_txids, cap_ats; /* three arrays, each its room */
} pending;

static int collect(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	pending *p = arg;
	(void)ncol;
	if (dbc_grow(ctx, &p->ids, p->n, &p->cap_ids, sizeof *p->ids, 256) != DBC_OK ||
	    dbc_grow(ctx, &p->txids, p->n, &p->cap_txids, sizeof *p->txids, 256) != DBC_OK ||
	    dbc_grow(ctx, &p->ats, p->n, &p->cap_ats, sizeof *p->ats, 256) != DBC_OK)
		return DBC_ERROR;
	p->ids[p->n] = c[0].i;
	p->txids[p->n] = c[1].i;
	p->ats[p->n] = c[2].type == DBC_TEXT ? dbc_strdup(ctx, c[2].s) : NULL;
	if (c[2].type == DBC_TEXT && !p->ats[p->n])
		return DBC_ERROR;
	p->n++;
	return DBC_OK;
}

static int64_t fresh_txid(void)
{
	int64_t id;
	sqlite3_randomness(sizeof(id), &id);
	id &= INT64_MAX;
	return id ? id : 1;
}

/* Completes every pending entry with an id below before, in id order. A
 * transaction's entries are consecutive in id (one writer at a time) and a
 * statement's share its time, so each run of consecutive entries with the
 * same time gets one new txid: the transaction itself is not known. */
static int complete_before(dbc_ctx *ctx, int64_t before)
{
	pending p = {0};
	dbc_value arg = dbc_int(before);
	if (ctx->host->query(ctx,
	                     "SELECT id, txid, at FROM main.dbcare_audit_log INDEXED BY " PENDING_INDEX
	                     " WHERE txid <= 0 AND id < $1 ORDER BY id",
	                     1, &arg, collect, &p) != DBC_OK)
		return DBC_ERROR;
	if (p.n == 0)
		return DBC_OK;
	sqldbc_call_conn(ctx)->audit_completed = true;
	dbc_value *fill = dbc_alloc(ctx, sizeof(*fill) * 2 * (size_t)p.n);
	dbc_value *link = dbc_alloc(ctx, sizeof(*link) * (size_t)p.n);
	if (!fill || !link)
		return DBC_ERROR;
	int nlink = 0;
	int64_t txid = 0;
	for (int i = 0; i < p.n; i++) {
		bool same = i > 0 && p.ids[i] == p.ids[i - 1] + 1 && p.ats[i] && p.ats[i - 1] &&
		            strcmp(p.ats[i], p.ats[i - 1]) == 0;
		if (!same)
			txid = fresh_txid();
		fill[2 * i] = dbc_int(p.ids[i]);
		fill[2 * i + 1] = dbc_int(txid);
		if (p.txids[i] == SQLDBC_AUDIT_PENDING_CHAINED)
			link[nlink++] = dbc_int(p.ids[i]);
	}
	bool hashed = sqldbc_audit_has_row_hash(sqldbc_call_conn(ctx)->db);
	if (ctx->host->query_each(ctx,
	                          hashed ? "UPDATE main.dbcare_audit_log SET txid = $2,"
	                                   " key = dbaudit_decode(key, NULL),"
	                                   " old_values = dbaudit_decode(old_values, new_values),"
	                                   " new_values = dbaudit_decode(new_values, old_values),"
	                                   " row_hash = dbaudit_row_hash(table_name,"
	                                   " dbaudit_decode(key, NULL)) WHERE id = $1 AND txid <= 0"
	                                 : "UPDATE main.dbcare_audit_log SET txid = $2,"
	                                   " key = dbaudit_decode(key, NULL),"
	                                   " old_values = dbaudit_decode(old_values, new_values),"
	                                   " new_values = dbaudit_decode(new_values, old_values)"
	                                   " WHERE id = $1 AND txid <= 0",
	                          2, p.n, fill) != DBC_OK)
		return DBC_ERROR;
	return nlink ? ctx->host->query_each(ctx, sqldbc_audit_link_sql(), 1, nlink, link) : DBC_OK;
}

static int count_pending(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	(void)ctx, (void)ncol;
	*(bool *)arg = c[0].type == DBC_INT && c[0].i != 0;
	return DBC_OK;
}

int sqldbc_audit_complete(dbc_ctx *ctx)
{
	sqlite3 *db = sqldbc_call_conn(ctx)->db;
	bool any = false;
	if (!has_index(db))
		return DBC_OK;
	sqldbc_audit_hook(db);
	if (ctx->host->query(ctx, ANY_PENDING_SQL, 0, NULL, count_pending, &any) != DBC_OK)
		return DBC_ERROR;
	/* a read-only file keeps them pending: its readers see them as written */
	if (!any || sqlite3_db_readonly(db, "main") != 0)
		return DBC_OK;
	int level = ctx->host->savepoint(ctx);
	if (level < 0)
		return DBC_ERROR;
	if (complete_before(ctx, INT64_MAX) != DBC_OK) {
		ctx->host->rollback(ctx, level);
		return DBC_ERROR;
	}
	return ctx->host->release(ctx, level);
}

typedef struct own_entry {
	bool found;
	int64_t txid;
	bool pending_key;
} own_entry;

static int take_own(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	own_entry *e = arg;
	(void)ctx, (void)ncol;
	e->found = c[0].type == DBC_INT;
	e->txid = c[0].i;
	e->pending_key = c[1].type == DBC_INT && c[1].i != 0;
	return DBC_OK;
}

/* Completes entry id, still pending, as this connection's: its txid and
 * actor, its values as JSON, its key too when in the pending form (an
 * integer primary key's is written final), its row hash (NULL while
 * pending) and, chained, its link after the head. */
static int complete_own(dbc_ctx *ctx, int64_t id)
{
	own_entry e = {0};
	dbc_value arg = dbc_int(id);
	if (ctx->host->query(ctx,
	                     "SELECT txid, key LIKE 'P{%' FROM main.dbcare_audit_log WHERE id = $1", 1,
	                     &arg, take_own, &e) != DBC_OK)
		return DBC_ERROR;
	if (!e.found || e.txid > 0)
		return DBC_OK;
	const char *sql = e.pending_key
	                      ? "UPDATE main.dbcare_audit_log SET txid = dbaudit_txid(),"
	                        " actor = dbaudit_actor(), key = dbaudit_decode(key, NULL),"
	                        " old_values = dbaudit_decode(old_values, new_values),"
	                        " new_values = dbaudit_decode(new_values, old_values) WHERE id = $1"
	                      : "UPDATE main.dbcare_audit_log SET txid = dbaudit_txid(),"
	                        " actor = dbaudit_actor(),"
	                        " old_values = dbaudit_decode(old_values, new_values),"
	                        " new_values = dbaudit_decode(new_values, old_values) WHERE id = $1";
	if (ctx->host->query(ctx, sql, 1, &arg, NULL, NULL) != DBC_OK)
		return DBC_ERROR;
	if (sqldbc_audit_has_row_hash(sqldbc_call_conn(ctx)->db) &&
	    ctx->host->query(ctx,
	                     "UPDATE main.dbcare_audit_log SET row_hash ="
	                     " dbaudit_row_hash(table_name, key) WHERE id = $1",
	                     1, &arg, NULL, NULL) != DBC_OK)
		return DBC_ERROR;
	if (e.txid != SQLDBC_AUDIT_PENDING_CHAINED)
		return DBC_OK;
	return ctx->host->query(ctx, sqldbc_audit_link_sql(), 1, &arg, NULL, NULL);
}

/* Whether the log holds a pending entry, through their index: a statement
 * of its own, not the call's query (setting up a call and preparing
 * complete_before's query cost an autocommit INSERT 60 k instructions, and
 * most looks find none). SQLite's result code; *any the answer. */
static int any_pending(sqlite3 *db, bool *any)
{
	sqlite3_stmt *stmt = NULL;
	int rc = sqlite3_prepare_v2(db, ANY_PENDING_SQL, -1, &stmt, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		*any = sqlite3_column_int(stmt, 0) != 0;
		rc = SQLITE_OK;
	}
	sqlite3_finalize(stmt);
	return rc;
}

bool sqldbc_audit_complete_due(sqlite3_context *c, sqldbc_conn *conn)
{
	sqlite3 *db = sqlite3_context_db_handle(c);
	bool any = false;
	int rc = any_pending(db, &any);
	if (rc != SQLITE_OK) {
		char *msg = sqlite3_mprintf("dbcare: the pending entries of dbcare_audit_log could not"
		                            " be read (%s); run the write again",
		                            sqlite3_errstr(rc));
		sqlite3_result_error(c, msg ? msg : "dbcare: out of memory", -1);
		sqlite3_result_error_code(c, rc);
		sqlite3_free(msg);
		return false;
	}
	if (!any)
		return true;
	/* as sqldbc_begin, on the connection given: c's own data is not it
	 * when c is a dbcare_direct_TOKEN() call's (audit_direct.c) */
	sqldbc_call call;
	sqldbc_call_open(&call, conn);
	call.fn = c;
	rc = complete_before(&call.ctx, INT64_MAX);
	sqldbc_finish(&call, c, rc);
	return rc == DBC_OK;
}

/* dbaudit_complete(before_id[, own]): the completing TEMP triggers' call,
 * inside the writer's statement (which undoes it with the rest should it
 * fail): the pending entries before before_id, with new txids; with own,
 * then entry before_id itself as this connection's (complete_own). */
void sqldbc_dbaudit_complete(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	sqldbc_call call;
	sqldbc_begin(&call, c);
	int64_t id = sqlite3_value_int64(argv[0]);
	int rc = complete_before(&call.ctx, id);
	if (rc == DBC_OK && argc > 1 && sqlite3_value_int(argv[1]) != 0)
		rc = complete_own(&call.ctx, id);
	if (rc == DBC_OK)
		sqlite3_result_int(c, 1);
	sqldbc_finish(&call, c, rc);
}
