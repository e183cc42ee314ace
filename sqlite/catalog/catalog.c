/*
 * catalog.c — the SQLite catalog reader: fills the core's schema model from
 * sqlite_schema and the pragma table-valued functions, one query per kind of
 * object (never one per table), and caches it per connection. Columns and
 * index keys come from the CREATE texts where catalog_text.c understands them
 * (schema.catalog_reader = auto); only the rest goes through the pragmas.
 * Constraint names and CHECK expressions exist only in the CREATE text, so
 * that text is read by core/schema/ddl_text.
 * Unnamed constraints get stable names: <table>_pkey, <table>_<cols>_key,
 * <table>_fk_<n>, <table>_check_<n> (n counts from 0 in declaration order).
 */
#include "catalog.h"
#include "settings/settings.h"
#include "base/sha256.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* dbcare's own tables and SQLite's internal ones are not user schema. */
#define USER_OBJECT                                                                                \
	"m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND m.name NOT LIKE 'dbcare\\_%' ESCAPE '\\'"

/* Rows: type, name, tbl_name, sql, and pragma_table_list's type, wr, strict
 * (NULL when the options are read from the text). */
static int on_object(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	(void)ncol;
	sqldbc_reader *r = arg;
	const char *type = sqldbc_text_or(&c[0], ""), *name = sqldbc_text_or(&c[1], "");
	const char *sql = sqldbc_text_or(&c[3], NULL), *ltype = sqldbc_text_or(&c[4], "");
	if (strcmp(type, "table") == 0) {
		if (strcmp(ltype, "shadow") == 0)
			return DBC_OK; /* storage of a virtual table, not a user table */
		dbc_table *t = dbc_schema_add_table(r->s, NULL, name);
		if (!t)
			return DBC_ERROR;
		if (strcmp(ltype, "virtual") == 0) {
			t->kind = "virtual table";
			t->options = sql ? dbc_sql_normalise(ctx, sql) : NULL;
		} else {
			t->options = (char *)sqldbc_table_options(c[5].i, c[6].i);
		}
		/* the CREATE text, parsed once all tables are known */
		if (dbc_grow(ctx, &r->sql, r->nsql, &r->sqlcap, sizeof(*r->sql), 64) != DBC_OK)
			return DBC_ERROR;
		r->sql[r->nsql++] = sql && strcmp(ltype, "virtual") != 0 ? dbc_strdup(ctx, sql) : NULL;
	} else {
		dbc_object *o = dbc_schema_add_object(r->s, type, NULL, name);
		if (!o)
			return DBC_ERROR;
		o->definition = sql ? dbc_sql_normalise(ctx, sql) : NULL;
		if (strcmp(type, "trigger") == 0)
			o->table = dbc_strdup(ctx, sqldbc_text_or(&c[2], ""));
	}
	return ctx->failed ? DBC_ERROR : DBC_OK;
}

/* Rows: name, wr, strict of the tables whose options the text did not give. */
static int on_options(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	(void)ctx, (void)ncol;
	sqldbc_reader *r = arg;
	int i = sqldbc_reader_table(r, sqldbc_text_or(&c[0], ""));
	if (i >= 0)
		r->s->tables[i].options = (char *)sqldbc_table_options(c[1].i, c[2].i);
	return DBC_OK;
}

static bool same_columns(const dbc_strlist *a, const dbc_strlist *b)
{
	if (a->n != b->n)
		return false;
	for (int i = 0; i < a->n; i++)
		if (strcasecmp(a->items[i], b->items[i]) != 0)
			return false;
	return true;
}

/* The declared constraint of this kind and columns (first not yet taken). */
static dbc_ddl_constraint *declared(dbc_ddl_table *d, dbc_constraint_kind kind,
                                    const dbc_strlist *cols, int *ordinal)
{
	int n = 0;
	for (int k = 0; k < d->n; k++) {
		if (d->items[k].kind != kind)
			continue;
		if (!d->items[k].taken && same_columns(&d->items[k].columns, cols)) {
			d->items[k].taken = true;
			*ordinal = n;
			return &d->items[k];
		}
		n++;
	}
	return NULL;
}

/* Rows: table, id, seq, parent, from, to, on_update, on_delete, match; one
 * foreign key spans several rows (one per column). */
static int on_fk(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	(void)ncol;
	sqldbc_reader *r = arg;
	int i = sqldbc_reader_table(r, sqldbc_text_or(&c[0], ""));
	if (i < 0)
		return DBC_OK;
	dbc_table *t = &r->s->tables[i];
	dbc_constraint *fk = t->nconstraints ? &t->constraints[t->nconstraints - 1] : NULL;
	if (c[2].i == 0) { /* first column of a new foreign key */
		fk = dbc_table_add_constraint(ctx, t, DBC_CON_FOREIGN_KEY, "");
		if (!fk)
			return DBC_ERROR;
		fk->ref_table = dbc_strdup(ctx, sqldbc_text_or(&c[3], ""));
		fk->on_update = dbc_strdup(ctx, sqldbc_text_or(&c[6], "NO ACTION"));
		fk->on_delete = dbc_strdup(ctx, sqldbc_text_or(&c[7], "NO ACTION"));
		fk->match = strcasecmp(sqldbc_text_or(&c[8], "NONE"), "FULL") == 0 ? "full" : "simple";
		for (char *p = fk->on_update; p && *p; p++)
			*p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
		for (char *p = fk->on_delete; p && *p; p++)
			*p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
		fk->enforced = r->fk_enforced;
		fk->engine_fk_known = c[1].type == DBC_INT;
		fk->engine_fk_id = (int)c[1].i;
	}
	if (!fk || fk->kind != DBC_CON_FOREIGN_KEY)
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "unexpected foreign key rows for %s", t->name);
	if (dbc_strlist_add(ctx, &fk->columns, sqldbc_text_or(&c[4], "")) != DBC_OK)
		return DBC_ERROR;
	/* "to" is NULL when the key names the parent's primary key implicitly */
	if (c[5].type != DBC_NULL && dbc_strlist_add(ctx, &fk->ref_columns, c[5].s) != DBC_OK)
		return DBC_ERROR;
	return DBC_OK;
}

/* UNIQUE constraints are the indexes of origin 'u'; name them from the text. */
static int unique_constraints(dbc_ctx *ctx, sqldbc_reader *r)
{
	for (int k = 0; k < r->s->nindexes; k++) {
		dbc_index *ix = &r->s->indexes[k];
		if (!ix->constraint || ix->primary)
			continue;
		int i = sqldbc_reader_table(r, ix->table), ordinal;
		dbc_ddl_constraint *d = declared(&r->ddl[i], DBC_CON_UNIQUE, &ix->keys, &ordinal);
		char *name = d && d->name ? d->name : NULL;
		if (!name) {
			char *cols = dbc_strlist_join(ctx, &ix->keys, "_");
			name = cols ? dbc_printf(ctx, "%s_%s_key", ix->table, cols) : NULL;
		}
		dbc_constraint *u =
		    name ? dbc_table_add_constraint(ctx, &r->s->tables[i], DBC_CON_UNIQUE, name) : NULL;
		if (!u)
			return DBC_ERROR;
		u->generated_name = !(d && d->name);
		u->columns = ix->keys;
	}
	return DBC_OK;
}

/* Foreign keys: pragma ids count from the last declared one, so walk them
 * backwards to number them in declaration order; CHECKs come from the text. */
static int name_fks_and_checks(dbc_ctx *ctx, sqldbc_reader *r)
{
	for (int i = 0; i < r->s->ntables; i++) {
		dbc_table *t = &r->s->tables[i];
		int seen = 0;
		for (int k = t->nconstraints - 1; k >= 0; k--) {
			dbc_constraint *fk = &t->constraints[k];
			if (fk->kind != DBC_CON_FOREIGN_KEY)
				continue;
			int ordinal;
			dbc_ddl_constraint *d =
			    declared(&r->ddl[i], DBC_CON_FOREIGN_KEY, &fk->columns, &ordinal);
			fk->generated_name = !(d && d->name);
			fk->name =
			    d && d->name ? d->name : dbc_printf(ctx, "%s_fk_%d", t->name, d ? ordinal : seen);
			seen++;
		}
		int nchecks = 0;
		for (int k = 0; k < r->ddl[i].n; k++) {
			dbc_ddl_constraint *d = &r->ddl[i].items[k];
			if (d->kind != DBC_CON_CHECK)
				continue;
			const char *name = d->name ? d->name : dbc_printf(ctx, "%s_check_%d", t->name, nchecks);
			dbc_constraint *ck = dbc_table_add_constraint(ctx, t, DBC_CON_CHECK, name);
			if (!ck)
				return DBC_ERROR;
			ck->generated_name = d->name == NULL;
			ck->columns = d->columns;
			ck->expr = d->expr ? d->expr : "";
			ck->enforced = r->check_enforced;
			nchecks++;
		}
	}
	return ctx->failed ? DBC_ERROR : DBC_OK;
}

/* Each ON CONFLICT clause of the text on the constraint (or NOT NULL
 * column) it belongs to. */
static int on_conflict_clauses(dbc_ctx *ctx, dbc_table *t, const dbc_ddl_table *d)
{
	(void)ctx;
	for (int k = 0; k < d->n; k++) {
		const dbc_ddl_constraint *dc = &d->items[k];
		if (!dc->on_conflict)
			continue;
		if (dc->kind == DBC_CON_NOT_NULL && dc->columns.n == 1) {
			for (int c = 0; c < t->ncolumns; c++)
				if (strcasecmp(t->columns[c].name, dc->columns.items[0]) == 0)
					t->columns[c].not_null_on_conflict = dc->on_conflict;
			continue;
		}
		for (int c = 0; c < t->nconstraints; c++) {
			dbc_constraint *con = &t->constraints[c];
			if (con->kind == dc->kind && !con->on_conflict &&
			    (dc->kind == DBC_CON_PRIMARY_KEY || same_columns(&con->columns, &dc->columns))) {
				con->on_conflict = dc->on_conflict;
				break;
			}
		}
	}
	return DBC_OK;
}

/* What the column list and index rows do not say, but changes how the table
 * behaves, so drift that drops it must show in the snapshot: a column's
 * COLLATE (its default collation, from sqlite3_table_column_metadata),
 * AUTOINCREMENT, and a one-column INTEGER PRIMARY KEY that is not the rowid
 * (declared "INTEGER PRIMARY KEY DESC": SQLite then keeps a separate key
 * index). The last two go to the table's options. ON CONFLICT clauses of
 * PRIMARY KEY, UNIQUE and NOT NULL come from the CREATE text. */
static int table_details(dbc_ctx *ctx, sqldbc_reader *r)
{
	/* tables with a key index of origin 'pk', in one pass over the indexes */
	bool *key_index = dbc_zalloc(ctx, sizeof(bool) * (size_t)(r->s->ntables + 1));
	if (!key_index)
		return DBC_ERROR;
	for (int x = 0; x < r->s->nindexes; x++) {
		int i = r->s->indexes[x].primary ? sqldbc_reader_table(r, r->s->indexes[x].table) : -1;
		if (i >= 0)
			key_index[i] = true;
	}
	for (int i = 0; i < r->s->ntables; i++) {
		dbc_table *t = &r->s->tables[i];
		if (t->kind && strcmp(t->kind, "table") != 0)
			continue;
		if (on_conflict_clauses(ctx, t, &r->ddl[i]) != DBC_OK)
			return DBC_ERROR;
		bool autoinc = false, separate_key = false;
		for (int c = 0; c < t->ncolumns; c++) {
			dbc_column *col = &t->columns[c];
			const char *coll = NULL;
			int nn = 0, pk = 0, ai = 0;
			if (col->hidden ||
			    sqlite3_table_column_metadata(r->db, "main", t->name, col->name, NULL, &coll, &nn,
			                                  &pk, &ai) != SQLITE_OK)
				continue;
			if (coll && strcasecmp(coll, "BINARY") != 0 &&
			    !(col->collation = dbc_strdup(ctx, coll)))
				return DBC_ERROR;
			autoinc = autoinc || ai;
		}
		bool rowid_table = !t->options || !strstr(t->options, "without rowid");
		for (int k = 0; rowid_table && key_index[i] && k < t->nconstraints; k++) {
			const dbc_constraint *pk = &t->constraints[k];
			if (pk->kind != DBC_CON_PRIMARY_KEY || pk->columns.n != 1)
				continue;
			const dbc_column *col = dbc_table_find_column(t, pk->columns.items[0]);
			separate_key = col && col->type && strcasecmp(col->type, "INTEGER") == 0;
		}
		if (!autoinc && !separate_key)
			continue;
		t->options = dbc_printf(ctx, "%s%s%s%s%s", t->options ? t->options : "",
		                        t->options && autoinc ? ", " : "", autoinc ? "autoincrement" : "",
		                        (t->options || autoinc) && separate_key ? ", " : "",
		                        separate_key ? "integer primary key not the rowid" : "");
		if (!t->options)
			return DBC_ERROR;
	}
	return DBC_OK;
}

static int run(dbc_ctx *ctx, sqldbc_reader *r, const char *sql, dbc_row_fn fn)
{
	return ctx->host->query(ctx, sql, 0, NULL, fn, r);
}

static int on_flags(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	(void)ctx;
	sqldbc_reader *r = arg;
	r->fk_enforced = c[0].i != 0;
	r->check_enforced = c[1].i == 0;
	r->has_virtual = ncol > 2 && c[2].i != 0;
	return DBC_OK;
}

#define FLAGS_QUERY                                                                                \
	"SELECT (SELECT foreign_keys FROM pragma_foreign_keys),"                                       \
	" (SELECT ignore_check_constraints FROM pragma_ignore_check_constraints)"

/* Tables whose columns and indexes come from the pragmas: every table when
 * reading by pragma ($1 NULL), else those named in the JSON array $1. */
#define BY_PRAGMA "($1 IS NULL OR m.name IN (SELECT value FROM json_each($1)))"

static const char index_rows_sql[] =
    /* sqlite_schema has no index on name: materialise the index texts so the
     * join gets an automatic index instead of a scan per index */
    "WITH s AS MATERIALIZED"
    " (SELECT name, sql FROM main.sqlite_schema WHERE type = 'index')"
    " SELECT m.name, il.name, il.\"unique\", il.origin, il.partial, ii.seqno, ii.cid,"
    " ii.name, s.sql, ii.desc, ii.coll"
    " FROM main.sqlite_schema m JOIN pragma_index_list(m.name, 'main') il"
    " JOIN pragma_index_xinfo(il.name, 'main') ii"
    " LEFT JOIN s ON s.name = il.name"
    " WHERE m.type = 'table' AND ii.key = 1 AND " USER_OBJECT " AND " BY_PRAGMA
    " ORDER BY m.name, il.name, ii.seqno";

static int read_objects(dbc_ctx *ctx, sqldbc_reader *r)
{
	if (!r->text)
		return run(ctx, r,
		           /* pragma_table_list lists every table per call: materialise
		            * it once, or joining it per schema row is quadratic */
		           "WITH tl AS MATERIALIZED"
		           " (SELECT name, type, wr, strict FROM pragma_table_list WHERE schema = 'main')"
		           " SELECT m.type, m.name, m.tbl_name, m.sql, tl.type, tl.wr, tl.strict"
		           " FROM main.sqlite_schema m LEFT JOIN tl ON tl.name = m.name"
		           " WHERE m.type IN ('table', 'view', 'trigger') AND " USER_OBJECT
		           " ORDER BY m.name",
		           on_object);
	/* no virtual table, hence no shadow table: options come from the text */
	return run(ctx, r,
	           "SELECT m.type, m.name, m.tbl_name, m.sql, NULL, 0, 0 FROM main.sqlite_schema m"
	           " WHERE m.type IN ('table', 'view', 'trigger') AND " USER_OBJECT " ORDER BY m.name",
	           on_object);
}

/* Constraints (and, reading texts, columns) of every table's CREATE text. */
static int parse_tables(dbc_ctx *ctx, sqldbc_reader *r)
{
	int n = r->s->ntables + 1;
	r->ddl = dbc_zalloc(ctx, sizeof(dbc_ddl_table) * (size_t)n);
	r->cols = dbc_zalloc(ctx, sizeof(dbc_ddl_columns) * (size_t)n);
	r->colls = dbc_zalloc(ctx, sizeof(char **) * (size_t)n);
	r->by_pragma = dbc_zalloc(ctx, sizeof(bool) * (size_t)n);
	if (!r->ddl || !r->cols || !r->colls || !r->by_pragma)
		return DBC_ERROR;
	for (int i = 0; i < r->s->ntables; i++) {
		const char *sql = i < r->nsql ? r->sql[i] : NULL;
		r->by_pragma[i] = !r->text || !sql;
		if (sql && dbc_ddl_parse_table(ctx, sql, &r->ddl[i]) != DBC_OK)
			return DBC_ERROR;
		if (!r->by_pragma[i] && dbc_ddl_parse_columns(ctx, sql, &r->cols[i]) != DBC_OK)
			return DBC_ERROR;
	}
	return DBC_OK;
}

/* Columns: from the texts where understood and confirmed, the rest (and the
 * options of those tables) from the pragmas. */
static int read_columns(dbc_ctx *ctx, sqldbc_reader *r)
{
	char *names = NULL;
	if (r->text) {
		if (sqldbc_text_columns(ctx, r) != DBC_OK)
			return DBC_ERROR;
		names = sqldbc_pragma_tables(ctx, r, r->by_pragma);
		if (ctx->failed)
			return DBC_ERROR;
		if (!names)
			return DBC_OK;
	}
	dbc_value p = names ? dbc_text(names) : dbc_null();
	if (names &&
	    ctx->host->query(ctx,
	                     "SELECT name, wr, strict FROM pragma_table_list"
	                     " WHERE schema = 'main' AND name IN (SELECT value FROM json_each($1))",
	                     1, &p, on_options, r) != DBC_OK)
		return DBC_ERROR;
	return ctx->host->query(
	    ctx,
	    "SELECT m.name, c.cid, c.name, c.type, c.\"notnull\", c.dflt_value, c.pk,"
	    " c.hidden FROM main.sqlite_schema m"
	    " JOIN pragma_table_xinfo(m.name, 'main') c"
	    " WHERE m.type = 'table' AND " USER_OBJECT " AND " BY_PRAGMA " ORDER BY m.name, c.cid",
	    1, &p, sqldbc_reader_column, r);
}

static int read_indexes(dbc_ctx *ctx, sqldbc_reader *r)
{
	if (r->text)
		return sqldbc_text_indexes(ctx, r, index_rows_sql);
	dbc_value p = dbc_null();
	return ctx->host->query(ctx, index_rows_sql, 1, &p, sqldbc_reader_index, r);
}

static int read_schema(dbc_ctx *ctx, dbc_schema *s, bool by_text, bool *fk_enforced,
                       bool *check_enforced)
{
	sqldbc_reader r = {.s = s, .db = sqldbc_call_conn(ctx)->db, .last = -1};
	if (run(ctx, &r,
	        FLAGS_QUERY ", EXISTS (SELECT 1 FROM main.sqlite_schema"
	                    " WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL %')",
	        on_flags) != DBC_OK)
		return DBC_ERROR;
	/* a virtual table's columns exist only in its module, and its shadow
	 * tables only pragma_table_list can tell: such schemas use the pragmas */
	r.text = by_text && !r.has_virtual;
	if (read_objects(ctx, &r) != DBC_OK || parse_tables(ctx, &r) != DBC_OK ||
	    read_columns(ctx, &r) != DBC_OK ||
	    run(ctx, &r,
	        "SELECT m.name, f.id, f.seq, f.\"table\", f.\"from\", f.\"to\", f.on_update,"
	        " f.on_delete, f.\"match\""
	        " FROM main.sqlite_schema m JOIN pragma_foreign_key_list(m.name, 'main') f"
	        /* no REFERENCES in the text, no foreign key: skip the pragma */
	        " WHERE m.type = 'table' AND m.sql LIKE '%references%' AND " USER_OBJECT
	        " ORDER BY m.name, f.id, f.seq",
	        on_fk) != DBC_OK ||
	    read_indexes(ctx, &r) != DBC_OK)
		return DBC_ERROR;
	if (name_fks_and_checks(ctx, &r) != DBC_OK || unique_constraints(ctx, &r) != DBC_OK ||
	    table_details(ctx, &r) != DBC_OK)
		return DBC_ERROR;
	*fk_enforced = r.fk_enforced;
	*check_enforced = r.check_enforced;
	return DBC_OK;
}

/* ---------------------------------------------------------------- cache */

/*
 * The model is cached per connection, keyed by a digest of main's
 * sqlite_schema (every row's type, name, table and CREATE text): the model is
 * a function of that text alone, so the key is right whichever connection
 * changed the schema, across ROLLBACK (where PRAGMA schema_version can come
 * back to a number that later names different DDL) and after writable_schema
 * edits (which do not bump schema_version at all). The digest costs a small
 * fraction of reading the catalog (docs/benchmarks.md, "Health `quick` on
 * SQLite was 4-40x over its target"). Temp and attached schemas
 * are not in the model and do not matter.
 */
struct sqldbc_schema_cache {
	bool valid;
	char key[DBC_SHA256_HEX_LEN + 1];
	bool fk_enforced, check_enforced; /* the pragmas the model's flags describe */
	bool by_text;                     /* read with schema.catalog_reader = auto */
	dbc_ctx arena;                    /* owns the model and the memo's text */
	dbc_schema model;
	dbc_schema_memo memo;
};

void sqldbc_schema_cache_free(sqldbc_conn *conn)
{
	if (!conn->schema_cache)
		return;
	dbc_ctx_finish(&conn->schema_cache->arena);
	sqlite3_free(conn->schema_cache);
	conn->schema_cache = NULL;
}

/* Digest of sqlite_schema, read straight through the sqlite3 API: this runs
 * on every call, so no row goes through the host's value conversion. */
static int schema_key(dbc_ctx *ctx, sqlite3 *db, char key[DBC_SHA256_HEX_LEN + 1])
{
	sqlite3_stmt *st = NULL;
	dbc_buf b;
	dbc_buf_init(&b, ctx);
	int rc = sqlite3_prepare_v2(
	    db, "SELECT type, name, tbl_name, sql FROM main.sqlite_schema ORDER BY rowid", -1, &st,
	    NULL);
	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		rc = SQLITE_OK;
		for (int i = 0; i < 4; i++) {
			const char *v = (const char *)sqlite3_column_text(st, i);
			/* NUL separates fields; \001 marks NULL apart from '' */
			dbc_buf_appendn(&b, v ? v : "\001", v ? (size_t)sqlite3_column_bytes(st, i) : 1);
			dbc_buf_appendn(&b, "", 1);
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE && (rc & 0xff) == SQLITE_NOTADB) {
		dbc_error(ctx, "42000", "could not read sqlite_schema: \"%s\" is not a SQLite database: %s",
		          sqlite3_db_filename(db, "main"), sqlite3_errmsg(db));
		dbc_error_hint(ctx, "%s", DBC_SQLITE_NOTADB_HINT);
		return DBC_ERROR;
	}
	if (rc != SQLITE_DONE)
		return dbc_error(ctx, rc == SQLITE_NOMEM ? DBC_SQLSTATE_OUT_OF_MEMORY : "42000",
		                 "could not read sqlite_schema: %s", sqlite3_errmsg(db));
	if (b.oom)
		return dbc_error(ctx, DBC_SQLSTATE_OUT_OF_MEMORY, "out of memory");
	return dbc_sha256_hex(ctx, b.len ? b.data : "", b.len, key);
}

/* The enforcement flags are per connection and may change between calls. */
static void set_enforced(dbc_schema *s, bool fk, bool check)
{
	for (int i = 0; i < s->ntables; i++)
		for (int k = 0; k < s->tables[i].nconstraints; k++) {
			dbc_constraint *c = &s->tables[i].constraints[k];
			if (c->kind == DBC_CON_FOREIGN_KEY)
				c->enforced = fk;
			else if (c->kind == DBC_CON_CHECK)
				c->enforced = check;
		}
}

static void hand_out(dbc_ctx *ctx, struct sqldbc_schema_cache *c, dbc_schema *out)
{
	/* a shallow copy: callers only read the model; anything they add goes
	 * to their own arena */
	*out = c->model;
	out->ctx = ctx;
	out->memo = &c->memo;
}

int sqldbc_read_schema(dbc_ctx *ctx, dbc_schema *s)
{
	sqldbc_conn *conn = sqldbc_call_conn(ctx);
	struct sqldbc_schema_cache *c = conn->schema_cache;
	char key[DBC_SHA256_HEX_LEN + 1];
	sqldbc_reader flags = {0};
	char *how = NULL;
	if (schema_key(ctx, conn->db, key) != DBC_OK)
		return DBC_ERROR;
	if (dbc_setting_get(ctx, "schema.catalog_reader", &how) != DBC_OK) {
		/* Incomplete bookkeeping (a table dropped by hand) is no reason not
		 * to read the schema: the setting takes its default, and what reads
		 * the bookkeeping itself reports the problem. */
		if (strcmp(ctx->sqlstate, DBC_SQLSTATE_BAD_STATE) != 0)
			return DBC_ERROR;
		dbc_error_clear(ctx);
		how = "auto";
	}
	bool by_text = strcmp(how, "pragma") != 0;
	if (c && c->valid && c->by_text == by_text && strcmp(c->key, key) == 0) {
		if (run(ctx, &flags, FLAGS_QUERY, on_flags) != DBC_OK)
			return DBC_ERROR;
		if (flags.fk_enforced != c->fk_enforced || flags.check_enforced != c->check_enforced) {
			set_enforced(&c->model, flags.fk_enforced, flags.check_enforced);
			c->fk_enforced = flags.fk_enforced;
			c->check_enforced = flags.check_enforced;
		}
		hand_out(ctx, c, s);
		return DBC_OK;
	}
	if (!c) {
		c = sqlite3_malloc(sizeof(*c));
		if (!c)
			return dbc_error(ctx, DBC_SQLSTATE_OUT_OF_MEMORY, "out of memory");
		memset(c, 0, sizeof(*c));
		dbc_ctx_init(&c->arena, ctx->host, NULL);
		conn->schema_cache = c;
	}
	/* a fresh arena, reading through this call's connection binding */
	dbc_ctx_finish(&c->arena);
	dbc_ctx_init(&c->arena, ctx->host, ctx->host_data);
	c->valid = false;
	memset(&c->memo, 0, sizeof(c->memo));
	c->memo.ctx = &c->arena;
	dbc_schema_init(&c->model, &c->arena);
	int rc = read_schema(&c->arena, &c->model, by_text, &c->fk_enforced, &c->check_enforced);
	/* read once, its tables looked up in every call it is handed to */
	if (rc == DBC_OK)
		rc = dbc_schema_index_tables(&c->model);
	c->arena.host_data = NULL; /* the call it names ends before the next use */
	if (rc != DBC_OK) {
		dbc_error(ctx, c->arena.sqlstate[0] ? c->arena.sqlstate : DBC_SQLSTATE_INTERNAL, "%s",
		          c->arena.message ? c->arena.message : "could not read the schema");
		if (c->arena.detail)
			dbc_error_detail(ctx, "%s", c->arena.detail);
		if (c->arena.hint)
			dbc_error_hint(ctx, "%s", c->arena.hint);
		dbc_ctx_finish(&c->arena);
		dbc_ctx_init(&c->arena, ctx->host, NULL);
		return DBC_ERROR;
	}
	memcpy(c->key, key, sizeof(c->key));
	c->by_text = by_text;
	c->valid = true;
	hand_out(ctx, c, s);
	return DBC_OK;
}
