/*
 * migrate_generate.c — the generator's scratch places on SQLite
 * (dbc_migrate_hooks.desired_schema and .scratch): a new in-memory database
 * on a connection of its own, read and written through the same host and
 * catalog reader as the caller's database, closed afterwards. The caller's
 * database is only read (its DDL, for the proof's copy): a table-valued
 * call could not drop its tables anyway while its SELECT reads them.
 */
#include "sqlite/audit/audit_sql.h"
#include "sqlite/host/glue.h"

#include "jsonschema/jsonschema.h"
#include "migrate/migrate.h"

#include <string.h>

typedef struct scratch {
	sqldbc_conn conn;
	sqldbc_call call;
} scratch;

static int open_scratch(dbc_ctx *ctx, scratch *s)
{
	memset(s, 0, sizeof(*s));
	if (sqlite3_open_v2(":memory:", &s->conn.db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
	                    NULL) != SQLITE_OK) {
		sqlite3_close(s->conn.db);
		s->conn.db = NULL;
		return dbc_error(ctx, DBC_SQLSTATE_OUT_OF_MEMORY, "could not open a scratch database");
	}
	/* nothing of the proof attaches a file: the scratch reaches no other */
	sqlite3_limit(s->conn.db, SQLITE_LIMIT_ATTACHED, 0);
	/* a schema's CHECK (dbjson_valid(...), as docs/json.md recommends)
	 * names dbcare's pure functions: CREATE TABLE resolves them */
	char *err = NULL;
	if (sqldbc_register_pure_functions(s->conn.db, &s->conn, &err) != SQLITE_OK) {
		dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "%s", err ? err : "dbcare: could not register");
		sqlite3_free(err);
		sqlite3_close(s->conn.db);
		s->conn.db = NULL;
		return DBC_ERROR;
	}
	sqldbc_call_open(&s->call, &s->conn);
	return DBC_OK;
}

/* Closes it; an error of the scratch call becomes ctx's. */
static int close_scratch(dbc_ctx *ctx, scratch *s, int rc)
{
	dbc_ctx *sc = &s->call.ctx;
	if ((rc != DBC_OK || sc->failed) && !ctx->failed) {
		dbc_error(ctx, sc->sqlstate[0] ? sc->sqlstate : DBC_SQLSTATE_INTERNAL, "%s",
		          sc->message ? sc->message : "the scratch database failed");
		if (sc->detail)
			dbc_error_detail(ctx, "%s", sc->detail);
		if (sc->hint)
			dbc_error_hint(ctx, "%s", sc->hint);
	}
	(void)sqldbc_call_settle(&s->call, true);
	dbc_ctx_finish(sc);
	sqldbc_schema_cache_free(&s->conn);
	sqlite3_close(s->conn.db);
	dbc_js_cache_free(s->conn.json_cache);
	sqldbc_audit_json_free(&s->conn);
	return rc == DBC_OK && !ctx->failed ? DBC_OK : DBC_ERROR;
}

int sqldbc_desired_schema(dbc_ctx *ctx, const char *sql, dbc_schema *out)
{
	scratch s;
	dbc_schema read;
	if (open_scratch(ctx, &s) != DBC_OK)
		return DBC_ERROR;
	dbc_ctx *sc = &s.call.ctx;
	/* the file is someone else's: only its schema statements run (desired_guard.c) */
	int rc = sqldbc_desired_apply(sc, s.conn.db, sql);
	if (rc == DBC_OK) {
		dbc_schema_init(&read, sc);
		rc = sc->host->read_schema(sc, &read);
	}
	if (rc == DBC_OK)
		rc = dbc_schema_copy(ctx, &read, out);
	return close_scratch(ctx, &s, rc);
}

/* The live schema's DDL, as the catalog reader counts its user objects,
 * tables first; each statement's relation (an index's or trigger's
 * table, a view itself) beside it. */
typedef struct ddl {
	dbc_strlist sql, relation;
	dbc_strlist virtual_tables;
	bool fk;
} ddl;

static int take_ddl(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	ddl *d = arg;
	(void)ncol;
	if (c[2].type == DBC_INT && c[2].i &&
	    dbc_strlist_add(ctx, &d->virtual_tables, c[3].s) != DBC_OK)
		return DBC_ERROR;
	if (dbc_strlist_add(ctx, &d->sql, c[1].s) != DBC_OK)
		return DBC_ERROR;
	return dbc_strlist_add(ctx, &d->relation, c[3].s);
}

static int take_fk(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	(void)ctx, (void)ncol;
	*(bool *)arg = c[0].type == DBC_INT && c[0].i != 0;
	return DBC_OK;
}

static int read_ddl(dbc_ctx *ctx, ddl *d)
{
	return ctx->host->query(
	           ctx,
	           "SELECT m.name, m.sql, m.sql LIKE 'CREATE VIRTUAL %', m.tbl_name"
	           " FROM main.sqlite_schema m"
	           " WHERE m.sql IS NOT NULL AND m.tbl_name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
	           " AND m.tbl_name NOT LIKE 'dbcare\\_%' ESCAPE '\\'"
	           " ORDER BY CASE m.type WHEN 'table' THEN 0 WHEN 'index' THEN 1"
	           " WHEN 'view' THEN 2 ELSE 3 END, m.rowid",
	           0, NULL, take_ddl, d) != DBC_OK ||
	               ctx->host->query(ctx, "PRAGMA main.foreign_keys", 0, NULL, take_fk, &d->fk) !=
	                   DBC_OK
	           ? DBC_ERROR
	           : DBC_OK;
}

static bool in_part(const dbc_strlist *part, const char *relation)
{
	for (int i = 0; part && i < part->n; i++)
		if (sqlite3_stricmp(part->items[i], relation) == 0)
			return true;
	return false;
}

/* A scratch database holding d's statements of the relations of part
 * (NULL: all of them), where fn runs. */
static int copy_and_run(dbc_ctx *ctx, const ddl *d, const dbc_strlist *part,
                        int (*fn)(dbc_ctx *sctx, void *arg, int k), void *arg, int k)
{
	scratch s;
	for (int i = 0; i < d->virtual_tables.n; i++)
		if (!part || in_part(part, d->virtual_tables.items[i]))
			return dbc_error(ctx, DBC_SQLSTATE_BAD_STATE,
			                 "the generator cannot copy the virtual table %s to prove a migration",
			                 d->virtual_tables.items[i]);
	if (open_scratch(ctx, &s) != DBC_OK)
		return DBC_ERROR;
	dbc_ctx *sc = &s.call.ctx;
	int rc = sc->host->exec(sc, d->fk ? "PRAGMA foreign_keys = ON" : "PRAGMA foreign_keys = OFF");
	for (int i = 0; i < d->sql.n && rc == DBC_OK; i++)
		if (!part || in_part(part, d->relation.items[i]))
			rc = sc->host->exec(sc, d->sql.items[i]);
	if (rc == DBC_OK)
		rc = fn(sc, arg, k);
	return close_scratch(ctx, &s, rc);
}

typedef struct whole {
	int (*fn)(dbc_ctx *sctx, void *arg);
	void *arg;
} whole;

static int run_whole(dbc_ctx *sctx, void *arg, int k)
{
	(void)k;
	const whole *w = arg;
	return w->fn(sctx, w->arg);
}

int sqldbc_scratch(dbc_ctx *ctx, int (*fn)(dbc_ctx *sctx, void *arg), void *arg)
{
	ddl d = {0};
	whole w = {fn, arg};
	if (read_ddl(ctx, &d) != DBC_OK)
		return DBC_ERROR;
	return copy_and_run(ctx, &d, NULL, run_whole, &w, 0);
}

int sqldbc_scratch_parts(dbc_ctx *ctx, const dbc_strlist *parts, int nparts,
                         int (*fn)(dbc_ctx *sctx, void *arg, int part), void *arg)
{
	ddl d = {0};
	if (read_ddl(ctx, &d) != DBC_OK)
		return DBC_ERROR;
	for (int k = 0; k < nparts; k++)
		if (copy_and_run(ctx, &d, &parts[k], fn, arg, k) != DBC_OK)
			return DBC_ERROR;
	return DBC_OK;
}
