/*
 * catalog_text.c — columns and index keys read from the CREATE texts in
 * sqlite_schema instead of one internal PRAGMA statement per table and per
 * index (SQLite prepares a statement for every pragma table-valued call; at
 * 1,000 tables that was most of a cold schema read). The text only decides
 * what it fully understands (core/schema/ddl_columns.c); each column it names is
 * then looked up with sqlite3_table_column_metadata, which also gives the
 * declared type, NOT NULL and collation exactly as the pragmas do. Automatic
 * (UNIQUE / PRIMARY KEY) indexes have no text: their keys come from one
 * pragma_index_xinfo query for all of them. Anything else — a text not
 * understood, a column the engine does not confirm, an index with an
 * expression key, an automatic index whose origin is ambiguous, a WITHOUT
 * ROWID table — is read through the pragmas as before, table by table.
 */
#include "catalog.h"
#include "base/json.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* One column's metadata from the engine; false when it does not confirm the
 * column or its primary-key membership. */
static bool confirm(dbc_ctx *ctx, sqlite3 *db, const char *table, const dbc_ddl_column *col,
                    const char **type, bool *not_null, const char **coll)
{
	const char *t = NULL, *cs = NULL;
	int nn = 0, pk = 0, autoinc = 0;
	if (sqlite3_table_column_metadata(db, "main", table, col->name, &t, &cs, &nn, &pk, &autoinc) !=
	    SQLITE_OK)
		return false;
	if ((pk != 0) != (col->pk > 0))
		return false;
	*type = dbc_strdup(ctx, t ? t : "");
	*coll = dbc_strdup(ctx, cs ? cs : "BINARY");
	*not_null = nn != 0;
	return *type && *coll;
}

/* The columns of table i from its text, or false to read it by pragma. */
static int text_table(dbc_ctx *ctx, sqldbc_reader *r, int i, bool *done)
{
	dbc_table *t = &r->s->tables[i];
	const dbc_ddl_columns *dc = &r->cols[i];
	*done = false;
	/* a WITHOUT ROWID table's key index has no sqlite_schema row: pragmas */
	if (!dc->sure || dc->without_rowid)
		return DBC_OK;
	const char **types = dbc_alloc(ctx, sizeof(char *) * (size_t)dc->n);
	const char **colls = dbc_alloc(ctx, sizeof(char *) * (size_t)dc->n);
	bool *nn = dbc_alloc(ctx, sizeof(bool) * (size_t)dc->n);
	if (!types || !colls || !nn)
		return DBC_ERROR;
	for (int k = 0; k < dc->n; k++)
		if (!confirm(ctx, r->db, t->name, &dc->items[k], &types[k], &nn[k], &colls[k]))
			return ctx->failed ? DBC_ERROR : DBC_OK;
	for (int k = 0; k < dc->n; k++) {
		const dbc_ddl_column *col = &dc->items[k];
		dbc_value row[8] = {
		    dbc_text(t->name),
		    dbc_int(k),
		    dbc_text(col->name),
		    dbc_text(types[k]),
		    dbc_int(nn[k]),
		    col->generated || !col->default_expr ? dbc_null() : dbc_text(col->default_expr),
		    dbc_int(col->pk),
		    dbc_int(!col->generated                         ? 0
		            : strcmp(col->generated, "stored") == 0 ? 3
		                                                    : 2),
		};
		if (sqldbc_reader_column(ctx, r, 8, row) != DBC_OK)
			return DBC_ERROR;
	}
	t->options = (char *)sqldbc_table_options(dc->without_rowid, dc->strict);
	r->colls[i] = colls;
	*done = true;
	return DBC_OK;
}

int sqldbc_text_columns(dbc_ctx *ctx, sqldbc_reader *r)
{
	for (int i = 0; i < r->s->ntables; i++) {
		bool done;
		if (r->by_pragma[i])
			continue;
		if (text_table(ctx, r, i, &done) != DBC_OK)
			return DBC_ERROR;
		r->by_pragma[i] = !done;
	}
	return DBC_OK;
}

char *sqldbc_pragma_tables(dbc_ctx *ctx, sqldbc_reader *r, const bool *which)
{
	json_t *a = json_array();
	int n = 0;
	for (int i = 0; a && i < r->s->ntables; i++)
		if (which[i] && json_array_append_new(a, dbc_json_str(r->s->tables[i].name)) == 0)
			n++;
	char *text = a && n ? dbc_json_dump(ctx, a, JSON_COMPACT) : NULL;
	json_decref(a);
	return text;
}

/* ---------------------------------------------------------------- indexes */

typedef struct ix_row {
	const char *table, *index;
	int64_t seqno;
	dbc_value v[11];
} ix_row;

typedef struct ix_rows {
	ix_row *items;
	int n, cap;
} ix_rows;

static ix_row *add_row(dbc_ctx *ctx, ix_rows *rows)
{
	if (dbc_grow(ctx, &rows->items, rows->n, &rows->cap, sizeof(*rows->items), 64) != DBC_OK)
		return NULL;
	return &rows->items[rows->n++];
}

typedef struct ix_text {
	int table;
	const char *name, *sql;
	dbc_ddl_index parsed;
} ix_text;

typedef struct ix_scan {
	sqldbc_reader *r;
	ix_text *items;
	int n, cap;
	int nauto;       /* automatic indexes among the items (sql NULL) */
	bool *by_pragma; /* per table: its indexes come from the pragmas */
	ix_rows rows;
} ix_scan;

/* Column position of each key in table i, or false when a key is not a plain
 * column of it (rowid, a string SQLite may read as an expression) or repeats. */
static bool resolve_keys(const dbc_table *t, const dbc_ddl_index *ix, int *cids)
{
	for (int k = 0; k < ix->nkeys; k++) {
		cids[k] = -1;
		for (int c = 0; c < t->ncolumns; c++)
			if (strcasecmp(t->columns[c].name, ix->keys[k].column) == 0)
				cids[k] = c;
		if (cids[k] < 0)
			return false;
		for (int j = 0; j < k; j++)
			if (cids[j] == cids[k])
				return false;
	}
	return true;
}

static int on_index_text(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	(void)ncol;
	ix_scan *sc = arg;
	int i = sqldbc_reader_table(sc->r, c[1].type == DBC_TEXT ? c[1].s : "");
	if (i < 0 || sc->by_pragma[i])
		return DBC_OK;
	if (dbc_grow(ctx, &sc->items, sc->n, &sc->cap, sizeof(*sc->items), 64) != DBC_OK)
		return DBC_ERROR;
	ix_text *x = &sc->items[sc->n++];
	memset(x, 0, sizeof(*x));
	x->table = i;
	x->name = dbc_strdup(ctx, c[0].type == DBC_TEXT ? c[0].s : "");
	if (!x->name)
		return DBC_ERROR;
	if (c[2].type != DBC_TEXT) { /* an automatic index of a UNIQUE or PRIMARY KEY */
		sc->nauto++;
		return DBC_OK;
	}
	x->sql = dbc_strdup(ctx, c[2].s);
	if (!x->sql || dbc_ddl_parse_index(ctx, x->sql, &x->parsed) != DBC_OK)
		return DBC_ERROR;
	if (!x->parsed.sure || strcmp(x->parsed.table, sc->r->s->tables[i].name) != 0)
		sc->by_pragma[i] = true;
	return DBC_OK;
}

static int text_index_rows(dbc_ctx *ctx, ix_scan *sc, const ix_text *x)
{
	if (!x->sql)
		return DBC_OK; /* automatic: read by automatic_indexes */
	const dbc_table *t = &sc->r->s->tables[x->table];
	const char **colls = sc->r->colls[x->table];
	int *cids = dbc_alloc(ctx, sizeof(int) * (size_t)x->parsed.nkeys);
	if (!cids)
		return DBC_ERROR;
	if (!resolve_keys(t, &x->parsed, cids)) {
		sc->by_pragma[x->table] = true;
		return DBC_OK;
	}
	for (int k = 0; k < x->parsed.nkeys; k++) {
		const dbc_ddl_index_key *key = &x->parsed.keys[k];
		ix_row *row = add_row(ctx, &sc->rows);
		if (!row)
			return DBC_ERROR;
		*row = (ix_row){t->name,
		                x->name,
		                k,
		                {dbc_text(t->name), dbc_text(x->name), dbc_int(x->parsed.unique),
		                 dbc_text("c"), dbc_int(x->parsed.partial), dbc_int(k), dbc_int(cids[k]),
		                 dbc_text(t->columns[cids[k]].name), dbc_text(x->sql), dbc_int(key->desc),
		                 dbc_text(key->collation ? key->collation : colls[cids[k]])}};
	}
	return DBC_OK;
}

/* A pragma row, copied: host cells live only during the callback. */
static int on_index_pragma(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	ix_scan *sc = arg;
	ix_row *row = add_row(ctx, &sc->rows);
	if (!row || ncol != 11)
		return row ? dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "unexpected index rows") : DBC_ERROR;
	for (int k = 0; k < 11; k++) {
		row->v[k] = c[k];
		if (c[k].type == DBC_TEXT && !(row->v[k].s = dbc_strdup(ctx, c[k].s)))
			return DBC_ERROR;
	}
	row->table = row->v[0].type == DBC_TEXT ? row->v[0].s : "";
	row->index = row->v[1].type == DBC_TEXT ? row->v[1].s : "";
	row->seqno = row->v[5].i;
	return DBC_OK;
}

static int row_cmp(const void *a, const void *b)
{
	const ix_row *x = a, *y = b;
	int c = strcmp(x->table, y->table);
	if (!c)
		c = strcmp(x->index, y->index);
	return c ? c : (x->seqno > y->seqno) - (x->seqno < y->seqno);
}

/* Rows of automatic indexes: tbl_name, name, seqno, cid, column, desc, coll.
 * Their origin is filled in by automatic_origins. */
static int on_auto_row(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	ix_scan *sc = arg;
	if (ncol != 7)
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "unexpected automatic index rows");
	dbc_value v[11] = {c[0], c[1], dbc_int(1), dbc_text("u"), dbc_int(0), c[2],
	                   c[3], c[4], dbc_null(), c[5],          c[6]};
	return on_index_pragma(ctx, sc, 11, v);
}

/* Key positions of table i's primary key, in key order; *n is 0 for none. */
static int *primary_key_cids(dbc_ctx *ctx, const dbc_ddl_columns *dc, int *n)
{
	int *cids = dbc_alloc(ctx, sizeof(int) * (size_t)(dc->n + 1));
	*n = 0;
	for (int k = 0; cids && k < dc->n; k++)
		if (dc->items[k].pk > 0) {
			cids[dc->items[k].pk - 1] = k;
			(*n)++;
		}
	return cids;
}

static bool same_keys(const ix_row *a, int na, const ix_row *b, int nb)
{
	if (na != nb)
		return false;
	for (int k = 0; k < na; k++)
		if (a[k].v[6].i != b[k].v[6].i)
			return false;
	return true;
}

/* An automatic index is the primary key's ('pk') when its keys are the key's
 * columns, else a UNIQUE constraint's ('u'). Where that cannot tell — two
 * automatic indexes on the same columns (different collations), or an
 * INTEGER key column that may be the rowid (then an index on it is a UNIQUE) —
 * the table's indexes are read by pragma instead. Rows arrive grouped by
 * table, then index, in key order. */
static int automatic_origins(dbc_ctx *ctx, ix_scan *sc, int from)
{
	int table_start = from;
	for (int g = from; g < sc->rows.n;) {
		int e = g;
		while (e < sc->rows.n && strcmp(sc->rows.items[e].index, sc->rows.items[g].index) == 0)
			e++;
		ix_row *rows = &sc->rows.items[g];
		int i = sqldbc_reader_table(sc->r, rows->table), npk;
		if (i < 0)
			return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "automatic index of an unknown table");
		if (g == from || strcmp(sc->rows.items[g - 1].table, rows->table) != 0)
			table_start = g;
		int *pk = primary_key_cids(ctx, &sc->r->cols[i], &npk);
		if (!pk)
			return DBC_ERROR;
		bool is_pk = npk == e - g;
		for (int k = 0; is_pk && k < npk; k++)
			is_pk = rows[k].v[6].i == pk[k];
		const char *type = npk == 1 ? sc->r->s->tables[i].columns[pk[0]].type : NULL;
		if (is_pk && type && strcasecmp(type, "INTEGER") == 0)
			sc->by_pragma[i] = true;
		for (int h = table_start; h < g;) { /* earlier automatic indexes of the table */
			int he = h;
			while (he < g && strcmp(sc->rows.items[he].index, sc->rows.items[h].index) == 0)
				he++;
			if (same_keys(&sc->rows.items[h], he - h, rows, e - g))
				sc->by_pragma[i] = true;
			h = he;
		}
		for (int k = g; k < e; k++)
			sc->rows.items[k].v[3] = dbc_text(is_pk ? "pk" : "u");
		g = e;
	}
	return DBC_OK;
}

/* Keys of the automatic indexes of the tables read from text: one
 * pragma_index_xinfo per such index, no pragma_index_list per table. */
static int automatic_indexes(dbc_ctx *ctx, ix_scan *sc)
{
	json_t *a = json_array();
	int n = 0;
	for (int k = 0; a && k < sc->n; k++)
		if (!sc->items[k].sql && !sc->by_pragma[sc->items[k].table] &&
		    json_array_append_new(a, dbc_json_str(sc->items[k].name)) == 0)
			n++;
	char *names = a && n ? dbc_json_dump(ctx, a, JSON_COMPACT) : NULL;
	json_decref(a);
	if (!a || ctx->failed)
		return a ? DBC_ERROR : dbc_error(ctx, DBC_SQLSTATE_OUT_OF_MEMORY, "out of memory");
	if (!names)
		return DBC_OK;
	dbc_value p = dbc_text(names);
	int from = sc->rows.n;
	if (ctx->host->query(ctx,
	                     "SELECT s.tbl_name, s.name, ii.seqno, ii.cid, ii.name, ii.desc, ii.coll"
	                     " FROM main.sqlite_schema s JOIN pragma_index_xinfo(s.name, 'main') ii"
	                     " WHERE s.type = 'index' AND ii.key = 1"
	                     " AND s.name IN (SELECT value FROM json_each($1))"
	                     " ORDER BY s.tbl_name, s.name, ii.seqno",
	                     1, &p, on_auto_row, sc) != DBC_OK)
		return DBC_ERROR;
	return automatic_origins(ctx, sc, from);
}

int sqldbc_text_indexes(dbc_ctx *ctx, sqldbc_reader *r, const char *pragma_sql)
{
	ix_scan sc = {.r = r};
	sc.by_pragma = dbc_zalloc(ctx, sizeof(bool) * (size_t)(r->s->ntables + 1));
	if (!sc.by_pragma)
		return DBC_ERROR;
	for (int i = 0; i < r->s->ntables; i++)
		sc.by_pragma[i] = r->by_pragma[i];
	if (ctx->host->query(ctx,
	                     "SELECT name, tbl_name, sql FROM main.sqlite_schema WHERE type = 'index'",
	                     0, NULL, on_index_text, &sc) != DBC_OK)
		return DBC_ERROR;
	for (int k = 0; k < sc.n; k++)
		if (!sc.by_pragma[sc.items[k].table] && text_index_rows(ctx, &sc, &sc.items[k]) != DBC_OK)
			return DBC_ERROR;
	if (sc.nauto && automatic_indexes(ctx, &sc) != DBC_OK)
		return DBC_ERROR;
	/* a table found to need the pragmas late drops the rows made for it */
	int kept = 0;
	for (int k = 0; k < sc.rows.n; k++) {
		int i = sqldbc_reader_table(r, sc.rows.items[k].table);
		if (i >= 0 && !sc.by_pragma[i])
			sc.rows.items[kept++] = sc.rows.items[k];
	}
	sc.rows.n = kept;
	char *names = sqldbc_pragma_tables(ctx, r, sc.by_pragma);
	if (ctx->failed)
		return DBC_ERROR;
	if (names) {
		dbc_value p = dbc_text(names);
		if (ctx->host->query(ctx, pragma_sql, 1, &p, on_index_pragma, &sc) != DBC_OK)
			return DBC_ERROR;
	}
	if (sc.rows.n > 1)
		qsort(sc.rows.items, (size_t)sc.rows.n, sizeof(ix_row), row_cmp);
	for (int k = 0; k < sc.rows.n; k++)
		if (sqldbc_reader_index(ctx, r, 11, sc.rows.items[k].v) != DBC_OK)
			return DBC_ERROR;
	return DBC_OK;
}
