/*
 * stmt_cache.c — the statements of one dbcare call, prepared once. A call
 * that runs the same statement many times (dbmigrate_add_all's registry
 * INSERT per migration, whose program holds the summary triggers; the
 * interrupt probe of a long apply) would otherwise pay SQLite's parser and
 * planner each time, more than the statement's own work.
 *
 * Lifetime: the call. The cache is finalized when the call settles
 * (txn_guard.c), before control returns to the application, so no
 * statement of dbcare is alive between calls: sqlite3_close() refuses a
 * connection with unfinalized statements and sqlite3_close_v2() would keep
 * it as a zombie that no destructor could finish. Between uses a statement
 * is reset and its bindings cleared, so it holds no lock or read
 * transaction (DROP TABLE and VACUUM in a migration see no pending reader).
 *
 * Schema changes: a statement prepared before DDL expires, and sqlite3_step
 * would compile it again, logging "database schema has changed" (SQLITE_SCHEMA)
 * to the application's error log each time. So whatever may change the
 * schema through this call (host.c: a script, a savepoint rollback) drops
 * the cached statements first: a migration's DDL never meets one of them.
 */
#include "conn.h"

#include <stdio.h>
#include <string.h>

#define CACHE_SLOTS 32

typedef struct slot {
	char *sql; /* sqlite3_malloc'd copy: the key */
	size_t len;
	sqlite3_stmt *stmt;
	int *params; /* the statement's slot of each $1..$n */
	int nparam;
	bool busy; /* handed out and not yet put back (a nested use prepares its own) */
} slot;

struct sqldbc_stmt_cache {
	slot slots[CACHE_SLOTS];
	int n;
};

/* The statement's slot of each parameter $1..$n (0: not used by it). */
void sqldbc_param_slots(sqlite3_stmt *stmt, int nparam, int *slots)
{
	for (int i = 0; i < nparam; i++) {
		char name[16];
		snprintf(name, sizeof name, "$%d", i + 1);
		slots[i] = sqlite3_bind_parameter_index(stmt, name);
	}
}

static slot *find(struct sqldbc_stmt_cache *c, const char *sql, size_t len, int nparam)
{
	for (int i = 0; c && i < c->n; i++)
		if (c->slots[i].len == len && c->slots[i].nparam == nparam &&
		    memcmp(c->slots[i].sql, sql, len) == 0)
			return &c->slots[i];
	return NULL;
}

/* A new slot for sql, or NULL when the cache is full or memory is short
 * (the statement is then prepared for one use, as without a cache). */
static slot *add(sqldbc_call *call, const char *sql, size_t len, int nparam)
{
	if (!call->stmts) {
		call->stmts = sqlite3_malloc(sizeof(struct sqldbc_stmt_cache));
		if (!call->stmts)
			return NULL;
		call->stmts->n = 0;
	}
	struct sqldbc_stmt_cache *c = call->stmts;
	if (c->n == CACHE_SLOTS)
		return NULL;
	slot *s = &c->slots[c->n];
	s->sql = sqlite3_malloc64(len + 1);
	s->params = sqlite3_malloc64(sizeof(int) * (size_t)(nparam > 0 ? nparam : 1));
	if (!s->sql || !s->params) {
		sqlite3_free(s->sql);
		sqlite3_free(s->params);
		return NULL;
	}
	memcpy(s->sql, sql, len + 1);
	s->len = len;
	s->nparam = nparam;
	s->stmt = NULL;
	s->busy = false;
	return s;
}

int sqldbc_stmt_get(sqldbc_call *call, const char *sql, int nparam, sqlite3_stmt **stmt,
                    int *params_out, const int **params)
{
	size_t len = strlen(sql);
	slot *s = find(call->stmts, sql, len, nparam);
	*stmt = NULL;
	if (s && !s->busy) {
		s->busy = true;
		*stmt = s->stmt;
		*params = s->params;
		return SQLITE_OK;
	}
	slot *fresh = s ? NULL : add(call, sql, len, nparam);
	int rc =
	    sqlite3_prepare_v3(call->db, sql, -1, fresh ? SQLITE_PREPARE_PERSISTENT : 0, stmt, NULL);
	if (rc != SQLITE_OK || !*stmt) {
		if (fresh) {
			sqlite3_free(fresh->sql);
			sqlite3_free(fresh->params);
		}
		return rc;
	}
	int *p = fresh ? fresh->params : params_out;
	sqldbc_param_slots(*stmt, nparam, p);
	*params = p;
	if (fresh) {
		fresh->stmt = *stmt;
		fresh->busy = true;
		call->stmts->n++;
	}
	return SQLITE_OK;
}

void sqldbc_stmt_put(sqldbc_call *call, sqlite3_stmt *stmt)
{
	struct sqldbc_stmt_cache *c = call->stmts;
	for (int i = 0; c && i < c->n; i++)
		if (c->slots[i].stmt == stmt) {
			sqlite3_reset(stmt);
			sqlite3_clear_bindings(stmt);
			c->slots[i].busy = false;
			return;
		}
	sqlite3_finalize(stmt);
}

void sqldbc_stmt_cache_clear(sqldbc_call *call)
{
	struct sqldbc_stmt_cache *c = call->stmts;
	int kept = 0;
	for (int i = 0; c && i < c->n; i++) {
		slot s = c->slots[i];
		if (s.busy) { /* its user puts it back: it stays until then */
			c->slots[kept++] = s;
			continue;
		}
		sqlite3_finalize(s.stmt);
		sqlite3_free(s.sql);
		sqlite3_free(s.params);
	}
	if (c)
		c->n = kept;
}

void sqldbc_stmt_cache_free(sqldbc_call *call)
{
	struct sqldbc_stmt_cache *c = call->stmts;
	if (!c)
		return;
	for (int i = 0; i < c->n; i++) {
		sqlite3_finalize(c->slots[i].stmt);
		sqlite3_free(c->slots[i].sql);
		sqlite3_free(c->slots[i].params);
	}
	sqlite3_free(c);
	call->stmts = NULL;
}
