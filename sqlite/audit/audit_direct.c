/*
 * audit_direct.c — a connection with dbcare writes each audit entry once,
 * finished (docs/audit.md, "Connections without dbcare"). The shared
 * triggers (audit_sql.c) write a pending entry that must be decoded and
 * rewritten; on a connection with dbcare a TEMP trigger per shared trigger
 * writes the finished entry with dbaudit_json instead, and the shared one
 * skips the row.
 *
 * The handshake, per row. Each shared trigger carries a token in its WHEN:
 * NOT sqlite_compileoption_used('dbcare-direct:TOKEN'). Its TEMP twin has
 * WHEN dbaudit_direct('TOKEN'), and SQLite runs a table's TEMP triggers
 * before its own (they head the table's trigger list):
 * - dbaudit_direct(T) is true when T is the token of a shared trigger of
 *   the file as it is now, and then counts T once (armed);
 * - the override of sqlite_compileoption_used('dbcare-direct:T') is true
 *   (skip) only while T is counted, and takes one count.
 * So a row is written by the TEMP trigger and skipped by the shared one, or
 * written by the shared one alone when the TEMP twin is missing (never
 * made, rolled back with a transaction, dropped with its table) or stale
 * (its token is no shared trigger's any more): never twice, never lost. A
 * connection without dbcare has the built-in, which knows no such option:
 * the shared trigger writes, as before.
 *
 * The shared triggers' tokens are read from sqlite_schema again when the
 * main schema's version changed, looked at once per change of the file's
 * data version (any commit, of any connection) and after dbcare changed
 * the triggers on this connection (sqldbc_audit_direct_forget). A count
 * left by a row that failed between the two triggers is dropped at the
 * next commit.
 */
#include "api/api.h"
#include "audit_sql.h"
#include "sqlite/host/glue.h"

#include <stdlib.h>
#include <string.h>

typedef struct armed_token {
	uint64_t token;
	int count;
} armed_token;

struct sqldbc_audit_direct {
	bool valid;             /* live is the file's as of data_version */
	unsigned data_version;  /* SQLITE_FCNTL_DATA_VERSION when last looked */
	int64_t schema_version; /* PRAGMA main.schema_version live was read at */
	uint64_t *live;         /* the shared triggers' tokens, sorted */
	int nlive;
	armed_token *armed; /* tokens counted by dbaudit_direct, not yet taken */
	int narmed;
	size_t cap;
	/* the token text parsed last and its value: each row passes the same
	 * texts (its triggers' constants) */
	char last_text[SQLDBC_AUDIT_TOKEN_LEN];
	uint64_t last_token;
	bool have_last;
	/* probe_due: the data version of the last look for pending entries,
	 * and what since then may have left some behind */
	bool probed;
	unsigned probed_version;
	int64_t probed_foreign; /* PRAGMA data_version then */
	bool pending_written;   /* a shared trigger wrote a row since the last probe */
	/* writes_main: whether a TEMP table or view shadows the log, as of
	 * temp's data version temp_version (shadow_known false: look again) */
	bool shadow_known, shadowed;
	unsigned temp_version;
	/* the tokens whose dbcare_direct_TOKEN() is made on the connection
	 * (sqldbc_audit_entry_register) */
	uint64_t *entry_tokens;
	int nentry_tokens;
	size_t entry_cap;
};

static struct sqldbc_audit_direct *state(sqldbc_conn *conn)
{
	if (!conn->audit_direct) {
		conn->audit_direct = sqlite3_malloc(sizeof(*conn->audit_direct));
		if (conn->audit_direct)
			memset(conn->audit_direct, 0, sizeof(*conn->audit_direct));
	}
	return conn->audit_direct;
}

void sqldbc_audit_direct_forget(sqldbc_conn *conn)
{
	if (conn->audit_direct)
		conn->audit_direct->valid = conn->audit_direct->probed = conn->audit_direct->shadow_known =
		    false;
}

void sqldbc_audit_direct_free(sqldbc_conn *conn)
{
	if (!conn->audit_direct)
		return;
	sqlite3_free(conn->audit_direct->live);
	sqlite3_free(conn->audit_direct->armed);
	sqlite3_free(conn->audit_direct->entry_tokens);
	sqlite3_free(conn->audit_direct);
	conn->audit_direct = NULL;
}

bool sqldbc_audit_data_version(sqlite3 *db, unsigned *out)
{
	/* NULL names main (sqlite3_file_control's documented form) without
	 * looking the name up: every audited row asks two or three times */
	return sqlite3_file_control(db, NULL, SQLITE_FCNTL_DATA_VERSION, out) == SQLITE_OK;
}

/* 16 hex digits as a number; false when text is not that. */
static bool parse_token(const char *text, int n, uint64_t *out)
{
	uint64_t v = 0;
	if (!text || n < SQLDBC_AUDIT_TOKEN_LEN)
		return false;
	for (int i = 0; i < SQLDBC_AUDIT_TOKEN_LEN; i++) {
		char c = text[i];
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
		if (d < 0)
			return false;
		v = v << 4 | (uint64_t)d;
	}
	*out = v;
	return true;
}

/* parse_token, remembering the text parsed last. */
static bool token_of(struct sqldbc_audit_direct *st, const char *text, int n, uint64_t *out)
{
	if (text && n >= SQLDBC_AUDIT_TOKEN_LEN && st->have_last &&
	    memcmp(text, st->last_text, SQLDBC_AUDIT_TOKEN_LEN) == 0) {
		*out = st->last_token;
		return true;
	}
	if (!parse_token(text, n, out))
		return false;
	memcpy(st->last_text, text, SQLDBC_AUDIT_TOKEN_LEN);
	st->last_token = *out;
	st->have_last = true;
	return true;
}

static int compare_tokens(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static bool single_int(sqlite3 *db, const char *sql, int64_t *out)
{
	sqlite3_stmt *stmt = NULL;
	bool ok = sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) == SQLITE_OK &&
	          sqlite3_step(stmt) == SQLITE_ROW;
	if (ok)
		*out = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	return ok;
}

/* Reads the tokens of main's shared triggers. */
static bool read_live(sqlite3 *db, struct sqldbc_audit_direct *st)
{
	static const char marker[] = "sqlite_compileoption_used('" SQLDBC_AUDIT_DIRECT_PREFIX;
	sqlite3_stmt *stmt = NULL;
	int n = 0, rc;
	size_t cap = 0;
	uint64_t *live = NULL;
	if (sqlite3_prepare_v2(db,
	                       "SELECT sql FROM main.sqlite_schema WHERE type = 'trigger'"
	                       " AND sql LIKE '%" SQLDBC_AUDIT_DIRECT_PREFIX "%'",
	                       -1, &stmt, NULL) != SQLITE_OK)
		return false;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		const char *sql = (const char *)sqlite3_column_text(stmt, 0);
		const char *at = sql ? strstr(sql, marker) : NULL;
		uint64_t token;
		if (!at ||
		    !parse_token(at + sizeof(marker) - 1, (int)strlen(at + sizeof(marker) - 1), &token))
			continue;
		/* in SQLite's allocator: freed with sqlite3_free */
		if (!sqldbc_reserve(&live, (size_t)n + 1, &cap, sizeof *live, 16)) {
			rc = SQLITE_NOMEM;
			break;
		}
		live[n++] = token;
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE) {
		sqlite3_free(live);
		return false;
	}
	qsort(live, (size_t)n, sizeof(*live), compare_tokens);
	sqlite3_free(st->live);
	st->live = live;
	st->nlive = n;
	return true;
}

/* Brings st up to the file's current shared triggers; false when they
 * could not be read (the caller then writes through the shared trigger).
 * *version: main's data version, read once for the row (*have_version
 * false: it could not be read). */
static bool refresh(sqlite3 *db, struct sqldbc_audit_direct *st, unsigned *version,
                    bool *have_version)
{
	*version = 0;
	*have_version = sqldbc_audit_data_version(db, version);
	if (!*have_version)
		st->valid = false;
	else if (st->valid && *version == st->data_version)
		return true;
	/* a new transaction (or a change of the triggers): counts of rows that
	 * failed between the two triggers are dropped */
	st->narmed = 0;
	int64_t schema_version;
	if (!single_int(db, "PRAGMA main.schema_version", &schema_version))
		return false;
	if (!st->valid || schema_version != st->schema_version || !st->live) {
		if (!read_live(db, st))
			return false;
		st->schema_version = schema_version;
	}
	st->data_version = *version;
	st->valid = true;
	return true;
}

/* Whether a TEMP table or view is named like the log or the chain head: a
 * TEMP trigger names its INSERT's, UPDATE's and DELETE's table unqualified
 * (SQLite allows nothing else there) and SQLite looks for such a name in
 * temp first, so the TEMP trigger would write into it. True also when the
 * question could not be answered. */
static bool book_shadowed(sqlite3 *db)
{
	sqlite3_stmt *stmt = NULL;
	bool shadowed = true;
	if (sqlite3_prepare_v2(db,
	                       "SELECT EXISTS (SELECT 1 FROM temp.sqlite_schema WHERE type IN"
	                       " ('table', 'view') AND lower(name) IN ('dbcare_audit_log',"
	                       " 'dbcare_audit_chain'))",
	                       -1, &stmt, NULL) == SQLITE_OK &&
	    sqlite3_step(stmt) == SQLITE_ROW)
		shadowed = sqlite3_column_int(stmt, 0) != 0;
	sqlite3_finalize(stmt);
	return shadowed;
}

/* Whether the TEMP triggers write into main's log, remembered for the
 * connection (a trigger program's frame drops auxiliary data, so a memo
 * there lasts one row). The answer can change only with the temp schema,
 * which changes only by a write to temp's sqlite_schema:
 * - committed, it moves temp's data version (SQLITE_FCNTL_DATA_VERSION of
 *   "temp", moved by every commit that wrote temp, this connection's too);
 * - not committed yet, temp's transaction is a write transaction; and a
 *   ROLLBACK brings back the schema of the data version remembered.
 * So the answer is kept with temp's data version while temp is not being
 * written, and looked at every row while it is (a transaction writing a
 * TEMP table or trigger) or when the version cannot be read. Shadowed, the
 * shared trigger writes the row instead (its names are main's: a trigger
 * of main looks in main only). */
static bool writes_main(struct sqldbc_audit_direct *st, sqlite3 *db)
{
	unsigned version = 0;
	bool steady =
	    sqlite3_txn_state(db, "temp") != SQLITE_TXN_WRITE &&
	    sqlite3_file_control(db, "temp", SQLITE_FCNTL_DATA_VERSION, &version) == SQLITE_OK;
	if (steady && st->shadow_known && version == st->temp_version)
		return !st->shadowed;
	bool shadowed = book_shadowed(db);
	st->shadow_known = steady;
	st->temp_version = version;
	st->shadowed = shadowed;
	return !shadowed;
}

/* Whether the row written now looks for pending entries first (and
 * completes them: the chain links in id order), main's data version read
 * by the caller (have_version false: it could not be read, and the look is
 * due). Such entries appear on the file only through
 * - another connection's commit, which moves PRAGMA data_version (which
 *   this connection's own commits leave as it is; the look runs inside
 *   the writing statement, which holds the write lock until its
 *   transaction ends, so no other commit comes between a look and the
 *   rows after it);
 * - a shared trigger of this connection (its TEMP twin missing or stale),
 *   which asks the override below first: pending_written;
 * - a completion of this connection undone by ROLLBACK TO or ROLLBACK,
 *   which no hook reports: after any completion every row looks until
 *   the data version changes (a commit or another connection's).
 * So the look runs at the first audited row after another connection's
 * commit, not at every row (1.25 k instructions an audited row), nor after
 * each commit of this one (a prepared look, 37 k instructions a
 * transaction of one INSERT); main's data version (SQLITE_FCNTL_DATA_VERSION,
 * moved by every commit, read for the row anyway) says when the pragma is
 * worth reading. The look is due when the pragma cannot be read. */
static bool probe_due(sqldbc_conn *conn, struct sqldbc_audit_direct *st, bool have_version,
                      unsigned version)
{
	if (!have_version) {
		st->probed = false;
		return true;
	}
	bool due = !st->probed || conn->audit_completed || st->pending_written;
	if (!st->probed || version != st->probed_version) {
		int64_t foreign = 0;
		bool read = single_int(conn->db, "PRAGMA main.data_version", &foreign);
		due = due || !read || foreign != st->probed_foreign;
		st->probed = read;
		st->probed_version = version;
		st->probed_foreign = foreign;
		conn->audit_completed = false;
	}
	st->pending_written = false;
	return due;
}

/* Whether the TEMP trigger of token writes the row (1: counted, the
 * shared trigger with that token skips it) or the shared trigger does (0);
 * -1: completing the pending entries before the row failed, the error set
 * on c. The pending entries before this row's first are completed in the
 * writer's statement: here, not in the TEMP trigger's body, whose every
 * statement adds registers and cursors to the frame SQLite allocates and
 * zeroes at each execution of a writing statement (0.6 k instructions a
 * one-row INSERT). */
static int direct_answer(sqlite3_context *c, sqldbc_conn *conn, struct sqldbc_audit_direct *st,
                         uint64_t token)
{
	unsigned version;
	bool have_version;
	if (!writes_main(st, conn->db) || !refresh(conn->db, st, &version, &have_version) ||
	    !bsearch(&token, st->live, (size_t)st->nlive, sizeof(token), compare_tokens))
		return 0;
	if (probe_due(conn, st, have_version, version) && !sqldbc_audit_complete_due(c, conn)) {
		st->probed = false; /* the look failed: the next row looks again */
		return -1;
	}
	for (int i = 0; i < st->narmed; i++) {
		if (st->armed[i].token == token) {
			st->armed[i].count++;
			return 1;
		}
	}
	if (!sqldbc_reserve(&st->armed, (size_t)st->narmed + 1, &st->cap, sizeof *st->armed, 8))
		return 0; /* the shared trigger writes it */
	st->armed[st->narmed++] = (armed_token){token, 1};
	return 1;
}

/* dbaudit_direct(token): whether the TEMP trigger of this token writes the
 * row (and then the shared trigger with it skips it). DIRECTONLY (TEMP
 * triggers may call it): a trigger or view of the file calling it could
 * make a shared trigger skip a row no TEMP trigger wrote. The override
 * below is INNOCUOUS (the shared triggers call it): taking a count early
 * can only make a row written twice, never lost. */
void sqldbc_dbaudit_direct(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	(void)argc;
	sqldbc_conn *conn = sqldbc_conn_of(c);
	struct sqldbc_audit_direct *st = state(conn);
	uint64_t token;
	if (!st || !token_of(st, (const char *)sqlite3_value_text(argv[0]),
	                     sqlite3_value_bytes(argv[0]), &token)) {
		sqlite3_result_int(c, 0);
		return;
	}
	int answer = direct_answer(c, conn, st, token);
	if (answer >= 0)
		sqlite3_result_int(c, answer);
}

/* A dbcare_direct_TOKEN() function's own: its connection and the entry
 * of its trigger. */
typedef struct entry_fn {
	sqldbc_conn *conn;
	sqldbc_audit_entry *entry;
} entry_fn;

static void entry_fn_free(void *p)
{
	entry_fn *f = p;
	sqldbc_conn_release(f->conn);
	sqlite3_free(f->entry);
	sqlite3_free(f);
}

/* dbcare_direct_TOKEN(value, ...): dbaudit_direct(TOKEN), and when its
 * trigger writes the row, the entry built from the row's values for its
 * body (sqldbc_audit_entry_build): a trigger's WHEN runs before its body,
 * and nothing runs between them. */
static void entry_direct(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	entry_fn *f = sqlite3_user_data(c);
	struct sqldbc_audit_direct *st = state(f->conn);
	int answer = st ? direct_answer(c, f->conn, st, f->entry->token) : 0;
	/* counted, the row must be written here or the statement fail: the
	 * shared trigger skips it */
	if (answer > 0 && argc != f->entry->n) {
		sqlite3_result_error(c, "dbcare: an audit trigger's WHEN was called with another row", -1);
		return;
	}
	if (answer > 0 && !sqldbc_audit_entry_build(c, f->conn, f->entry, argv))
		return; /* out of memory, its error set */
	if (answer >= 0)
		sqlite3_result_int(c, answer);
}

bool sqldbc_audit_entry_register(sqldbc_conn *conn, sqldbc_audit_entry *e, char *name)
{
	struct sqldbc_audit_direct *st = state(conn);
	sqlite3_snprintf((int)SQLDBC_AUDIT_ENTRY_FN_LEN + 1, name, SQLDBC_AUDIT_ENTRY_FN "%016llx",
	                 (unsigned long long)e->token);
	for (int i = 0; st && i < st->nentry_tokens; i++) {
		if (st->entry_tokens[i] == e->token) {
			sqlite3_free(e); /* made already: the same token, the same entry */
			return true;
		}
	}
	entry_fn *f = st ? sqlite3_malloc(sizeof(*f)) : NULL;
	if (!f || !sqldbc_reserve(&st->entry_tokens, (size_t)st->nentry_tokens + 1, &st->entry_cap,
	                          sizeof *st->entry_tokens, 8)) {
		sqlite3_free(f);
		sqlite3_free(e);
		return false;
	}
	f->conn = conn;
	f->entry = e;
	sqldbc_conn_hold(conn);
	/* DIRECTONLY, as dbaudit_direct; not DETERMINISTIC: called for every
	 * row. A new name, never one made before: SQLite refuses to replace a
	 * function while a statement runs (dbaudit_enable is one). On failure
	 * SQLite has called entry_fn_free already. */
	if (sqlite3_create_function_v2(conn->db, name, e->n, SQLDBC_SIDE_EFFECT, f, entry_direct, NULL,
	                               NULL, entry_fn_free) != SQLITE_OK)
		return false;
	st->entry_tokens[st->nentry_tokens++] = e->token;
	return true;
}

/* sqlite_compileoption_used(name) on a connection with dbcare: the
 * built-in's answer, but for 'dbcare-direct:TOKEN' whether the TEMP
 * trigger of that token wrote the row (its count is taken). */
static void compileoption_used(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	(void)argc;
	const char *name = (const char *)sqlite3_value_text(argv[0]);
	if (!name) {
		sqlite3_result_null(c);
		return;
	}
	size_t prefix = sizeof(SQLDBC_AUDIT_DIRECT_PREFIX) - 1;
	if (strncmp(name, SQLDBC_AUDIT_DIRECT_PREFIX, prefix) != 0) {
		sqlite3_result_int(c, sqlite3_compileoption_used(name));
		return;
	}
	struct sqldbc_audit_direct *st = sqldbc_conn_of(c)->audit_direct;
	uint64_t token;
	int skip = 0;
	if (!st) {
		sqlite3_result_int(c, 0);
		return;
	}
	if (token_of(st, name + prefix, (int)strlen(name + prefix), &token)) {
		for (int i = 0; i < st->narmed; i++) {
			if (st->armed[i].token == token && st->armed[i].count > 0) {
				st->armed[i].count--;
				skip = 1;
				break;
			}
		}
	}
	if (!skip)
		st->pending_written = true; /* the shared trigger writes the row pending */
	sqlite3_result_int(c, skip);
}

int sqldbc_audit_direct_register(sqlite3 *db, sqldbc_conn *conn)
{
	if (!sqldbc_audit_can_skip())
		return SQLITE_OK;
	/* not DETERMINISTIC: evaluated for every row, never once per statement */
	return sqldbc_conn_function(db, "sqlite_compileoption_used", 1, SQLDBC_INNOCUOUS, conn,
	                            compileoption_used);
}

static int collect_name(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	(void)ncol;
	return dbc_strlist_add(ctx, arg, c[0].s);
}

/* Drops this connection's TEMP triggers, then makes them for every audited
 * table whose options the core reads (one that fails keeps writing through
 * its shared triggers). */
int sqldbc_audit_direct_install(dbc_ctx *ctx)
{
	sqldbc_conn *conn = sqldbc_call_conn(ctx);
	sqldbc_audit_direct_forget(conn);
	if (!sqldbc_audit_can_skip())
		return DBC_OK;
	dbc_strlist old = {0};
	if (ctx->host->query(ctx,
	                     "SELECT name FROM temp.sqlite_schema WHERE type = 'trigger'"
	                     " AND name LIKE 'dbcare\\_direct\\_%' ESCAPE '\\'",
	                     0, NULL, collect_name, &old) != DBC_OK)
		return DBC_ERROR;
	for (int i = 0; i < old.n; i++) {
		char *q = ctx->host->quote_ident(ctx, old.items[i]);
		char *sql = q ? dbc_printf(ctx, "DROP TRIGGER IF EXISTS temp.%s", q) : NULL;
		if (!sql || ctx->host->exec(ctx, sql) != DBC_OK)
			return DBC_ERROR;
	}
	/* a log of bookkeeping 16 or older (no row hash) is written through
	 * the shared triggers until a dbcare call upgrades it */
	if (sqlite3_table_column_metadata(conn->db, "main", "dbcare_audit_tables", NULL, NULL, NULL,
	                                  NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_table_column_metadata(conn->db, "main", "dbcare_audit_chain", NULL, NULL, NULL,
	                                  NULL, NULL, NULL) != SQLITE_OK ||
	    !sqldbc_audit_has_row_hash(conn->db))
		return DBC_OK;
	/* the TEMP triggers find pending entries through this index */
	sqlite3_stmt *probe = NULL;
	int rc = sqlite3_prepare_v2(conn->db,
	                            "SELECT 1 FROM main.dbcare_audit_log INDEXED BY"
	                            " dbcare_audit_log_pending WHERE txid <= 0",
	                            -1, &probe, NULL);
	sqlite3_finalize(probe);
	if (rc != SQLITE_OK)
		return DBC_OK;
	return sqldbc_audit_direct_tables(ctx);
}

/* This connection's TEMP triggers (audit_direct.c) for every audited table
 * whose stored options it reads; the others keep the shared path. */
int sqldbc_audit_direct_tables(dbc_ctx *ctx)
{
	dbc_audit_table *rows;
	int n;
	if (dbc_audit_load_tables(ctx, dbc_api_engine_of(ctx)->audit, NULL, &rows, &n) != DBC_OK)
		return DBC_ERROR;
	for (int i = 0; i < n; i++) {
		dbc_audit_target t = {0};
		dbc_audit_options o;
		bool found = false;
		char *sql;
		if (sqldbc_audit_resolve(ctx, rows[i].name, &t, &found) != DBC_OK)
			return DBC_ERROR;
		if (!found || t.kind != DBC_AUDIT_TABLE)
			continue;
		if (dbc_audit_parse_options(ctx, &t, rows[i].options, &o) != DBC_OK) {
			dbc_error_clear(ctx);
			continue;
		}
		if (sqldbc_audit_direct_sql(ctx, &t, &o, sqldbc_audit_entry_register, &sql) != DBC_OK ||
		    ctx->host->exec(ctx, sql) != DBC_OK)
			return DBC_ERROR;
	}
	return DBC_OK;
}
