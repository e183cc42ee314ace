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
 *   actor: after the pending entries before them (dbaudit_complete). An
 *   entry of a table without hash_chain is written finished in the first
 *   place (HOOK_DIRECT_SQL).
 */
#include "audit_sql.h"
#include "base/clock.h"
#include "conn.h"

#include <string.h>

#define PENDING_INDEX "dbcare_audit_log_pending"

/* Completes the entry just inserted pending (a chained one, whose link
 * needs its id, or one inserted with its id), in the writer's statement:
 * %s the trigger's name, %d the pending txid it handles, %s the link
 * (chained entries) or nothing. Unqualified names: SQLite refuses
 * qualified ones as the target of a trigger's UPDATE. The key is written
 * only when it is in the pending form: an integer primary key's is
 * written as final JSON, and rewriting it would move its index entry. */
#define HOOK_SQL                                                                                   \
	"CREATE TEMP TRIGGER IF NOT EXISTS %s AFTER INSERT ON main.dbcare_audit_log"                   \
	" WHEN NEW.txid = %d BEGIN"                                                                    \
	" SELECT dbaudit_complete(NEW.id) WHERE EXISTS (SELECT 1 FROM main.dbcare_audit_log"           \
	"  INDEXED BY " PENDING_INDEX " WHERE txid <= 0 AND id < NEW.id);"                             \
	" UPDATE dbcare_audit_log SET txid = dbaudit_txid(), actor = dbaudit_actor(),"                 \
	"  old_values = dbaudit_decode(old_values, new_values),"                                       \
	"  new_values = dbaudit_decode(new_values, old_values) WHERE id = NEW.id;"                     \
	" UPDATE dbcare_audit_log SET key = dbaudit_decode(key, NULL)"                                 \
	"  WHERE id = NEW.id AND NEW.key LIKE 'P{%%';"                                                 \
	" %s END"

/* Writes the final entry in place of the pending one the shared trigger is
 * inserting (tables without hash_chain): BEFORE the INSERT, the finished
 * row is inserted and the pending one dropped (RAISE(IGNORE) skips that
 * one row of the trigger's INSERT, nothing else), so the entry is written
 * once, never rewritten: an UPDATE of the row, of the pending index and of
 * its values cost more than a tenth of an audited INSERT. Only rows whose id
 * SQLite assigns (NEW.id is -1 before then): a pending row inserted with its
 * id (copied by hand) keeps it, completed in place by HOOK_SQL. Pending entries
 * written before (by connections without dbcare) are completed first, so
 * ids stay in the order of the writes. The inner INSERT takes the next id
 * (the skipped row took none). */
#define HOOK_DIRECT_SQL                                                                            \
	"CREATE TEMP TRIGGER IF NOT EXISTS dbcare_audit_write BEFORE INSERT ON main.dbcare_audit_log"  \
	" WHEN NEW.txid = %d AND NEW.id = -1 BEGIN"                                                    \
	" SELECT dbaudit_complete(9223372036854775807) WHERE EXISTS (SELECT 1"                         \
	"  FROM main.dbcare_audit_log INDEXED BY " PENDING_INDEX " WHERE txid <= 0);"                  \
	" INSERT INTO dbcare_audit_log (at, txid, db_user, actor, operation, table_name, key,"         \
	"  old_values, new_values) VALUES (NEW.at, dbaudit_txid(), NEW.db_user, dbaudit_actor(),"      \
	"  NEW.operation, NEW.table_name,"                                                             \
	"  CASE WHEN NEW.key LIKE 'P{%%' THEN dbaudit_decode(NEW.key, NULL) ELSE NEW.key END,"         \
	"  dbaudit_decode(NEW.old_values, NEW.new_values),"                                            \
	"  dbaudit_decode(NEW.new_values, NEW.old_values));"                                           \
	" SELECT RAISE(IGNORE); END"

/* SQLITE_OK when the file has the index of pending entries and the
 * chain's head (the TEMP trigger links chained entries to it). */
static int find_index(sqlite3 *db)
{
	sqlite3_stmt *stmt = NULL;
	int rc = sqlite3_prepare_v2(db,
	                            "SELECT 1 FROM main.dbcare_audit_log INDEXED BY " PENDING_INDEX
	                            ", main.dbcare_audit_chain WHERE txid <= 0",
	                            -1, &stmt, NULL);
	sqlite3_finalize(stmt);
	return rc;
}

static bool has_index(sqlite3 *db)
{
	return find_index(db) == SQLITE_OK;
}

static bool busy(int rc)
{
	return (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED;
}

void sqldbc_audit_hook(sqlite3 *db)
{
	/* A file without the log (or from before pending entries) has nothing
	 * to complete. The schema is read here, often right after the file was
	 * opened and before the application set a busy timeout: while another
	 * connection holds it (a WAL recovered after a crash) this waits up to
	 * 2 s, as a connection left without the trigger records no txid or
	 * actor (its entries are completed by the next connection with dbcare). */
	char *sql = sqlite3_mprintf(HOOK_DIRECT_SQL ";" HOOK_SQL ";" HOOK_SQL, SQLDBC_AUDIT_PENDING,
	                            "dbcare_audit_complete", SQLDBC_AUDIT_PENDING, "",
	                            "dbcare_audit_complete_chained", SQLDBC_AUDIT_PENDING_CHAINED,
	                            sqldbc_audit_link_new_sql());
	/* 2 s of wall time, not a count of tries: each try also waits the
	 * connection's own busy timeout when one is set (5 s in the dbcare
	 * command), so 200 tries could have been 1,000 s. */
	double deadline = dbc_monotonic_ms() + 2000;
	while (sql) {
		int rc = find_index(db);
		if (rc == SQLITE_OK)
			rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
		if (!busy(rc) || dbc_monotonic_ms() >= deadline)
			break;
		sqlite3_sleep(10);
	}
	sqlite3_free(sql);
}

typedef struct pending {
	int64_t *ids, *txids;
	char **ats;
	int n, cap;
} pending;

static int collect(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	pending *p = arg;
	(void)ncol;
	if (p->n == p->cap) {
		int cap = p->cap ? p->cap * 2 : 256;
		int64_t *ids = dbc_alloc(ctx, sizeof(*ids) * (size_t)cap);
		int64_t *txids = dbc_alloc(ctx, sizeof(*txids) * (size_t)cap);
		char **ats = dbc_alloc(ctx, sizeof(*ats) * (size_t)cap);
		if (!ids || !txids || !ats)
			return DBC_ERROR;
		if (p->n) {
			memcpy(ids, p->ids, sizeof(*ids) * (size_t)p->n);
			memcpy(txids, p->txids, sizeof(*txids) * (size_t)p->n);
			memcpy(ats, p->ats, sizeof(*ats) * (size_t)p->n);
		}
		p->ids = ids, p->txids = txids, p->ats = ats, p->cap = cap;
	}
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
	if (ctx->host->query_each(ctx,
	                          "UPDATE main.dbcare_audit_log SET txid = $2,"
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
	if (ctx->host->query(
	        ctx,
	        "SELECT EXISTS (SELECT 1 FROM main.dbcare_audit_log INDEXED BY " PENDING_INDEX
	        " WHERE txid <= 0)",
	        0, NULL, count_pending, &any) != DBC_OK)
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

/* dbaudit_complete(before_id): the completing TEMP trigger's call, inside
 * the writer's statement (which undoes it with the rest should it fail). */
void sqldbc_dbaudit_complete(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	(void)argc;
	sqldbc_call call;
	sqldbc_begin(&call, c);
	int rc = complete_before(&call.ctx, sqlite3_value_int64(argv[0]));
	if (rc == DBC_OK)
		sqlite3_result_int(c, 1);
	sqldbc_finish(&call, c, rc);
}
