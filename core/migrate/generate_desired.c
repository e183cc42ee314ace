/*
 * generate_desired.c — the desired schema's text, read for what the engine's
 * catalog does not keep: each CREATE statement as written (the generator
 * reuses it, so a new table or view is made exactly as the author wrote it),
 * each column definition of a CREATE TABLE, and the rename marks
 * "-- dbcare: renamed from OLD" on a table's or a column's line. Renames are
 * never guessed: only a mark makes one.
 */
#include "migrate/generate.h"
#include "migrate/generate_plan.h"
#include "migrate/migrate_script.h"
#include "schema/ddl_lex.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#define MARK "-- dbcare: renamed from "

/* A name token, folded as the engine folds unquoted names. */
static char *name_of(dbc_ctx *ctx, dbc_token t)
{
	char *s = dbc_lex_ident(ctx, t);
	if (s && t.kind == TK_WORD && !ctx->host->dialect->names_fold_case)
		for (char *p = s; *p; p++)
			*p = (char)tolower((unsigned char)*p);
	return s;
}

static bool is_name(dbc_token t)
{
	return t.kind == TK_WORD || t.kind == TK_QIDENT;
}

const dbc_gen_stmt *dbc_gen_find_stmt(const dbc_gen_desired *d, const char *kind, const char *name)
{
	for (int i = 0; i < d->nstmts; i++)
		if (strcmp(d->stmts[i].kind, kind) == 0 && strcasecmp(d->stmts[i].name, name) == 0)
			return &d->stmts[i];
	return NULL;
}

const dbc_gen_stmt *dbc_gen_desired_stmt(const dbc_gen_desired *d, const char *kind,
                                         const char *name, const char *schema)
{
	for (int i = 0; i < d->nstmts; i++) {
		const dbc_gen_stmt *st = &d->stmts[i];
		if (strcmp(st->kind, kind) == 0 && strcmp(st->name, name) == 0 &&
		    (!st->schema || dbc_gen_same_schema(st->schema, schema)))
			return st;
	}
	return NULL;
}

const dbc_gen_stmt *dbc_gen_find_trigger_stmt(const dbc_gen_desired *d, const char *name,
                                              const char *table)
{
	for (int i = 0; i < d->nstmts; i++)
		if (strcmp(d->stmts[i].kind, "trigger") == 0 && strcasecmp(d->stmts[i].name, name) == 0 &&
		    (!d->stmts[i].table || strcasecmp(d->stmts[i].table, table) == 0))
			return &d->stmts[i];
	return NULL;
}

const dbc_gen_coldef *dbc_gen_find_coldef(const dbc_gen_desired *d, const char *table,
                                          const char *column)
{
	for (int i = 0; i < d->ncols; i++)
		if (strcasecmp(d->cols[i].table, table) == 0 && strcasecmp(d->cols[i].name, column) == 0)
			return &d->cols[i];
	return NULL;
}

const dbc_gen_rename *dbc_gen_rename_of(const dbc_gen_desired *d, const char *table,
                                        const char *column)
{
	for (int i = 0; i < d->nrenames; i++) {
		const dbc_gen_rename *r = &d->renames[i];
		if (strcasecmp(r->table, table) != 0)
			continue;
		if (column ? r->column && strcasecmp(r->column, column) == 0 : !r->column)
			return r;
	}
	return NULL;
}

/* A mark's line: [start, end) of the text, and the old name it gives. */
typedef struct mark {
	const char *start, *end;
	char *from;
	bool used;
} mark;

typedef struct marks {
	mark *items;
	int n, cap;
} marks;

static int find_marks(dbc_ctx *ctx, const char *sql, marks *out)
{
	for (const char *p = strstr(sql, MARK); p; p = strstr(p + 1, MARK)) {
		const char *ls = p, *le = strchr(p, '\n');
		while (ls > sql && ls[-1] != '\n')
			ls--;
		const char *q = p + strlen(MARK);
		dbc_token t = dbc_lex_next(&q);
		if (!is_name(t) || (le && t.start >= le))
			return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "a \"%s\" mark names no old name",
			                 &MARK[3]);
		if (dbc_grow(ctx, &out->items, out->n, &out->cap, sizeof(mark), 4) != DBC_OK)
			return DBC_ERROR;
		mark *m = &out->items[out->n++];
		m->start = ls;
		m->end = le ? le : ls + strlen(ls);
		m->from = name_of(ctx, t);
		m->used = false;
		if (!m->from)
			return DBC_ERROR;
	}
	return DBC_OK;
}

static mark *mark_at(marks *ms, const char *p)
{
	for (int i = 0; i < ms->n; i++)
		if (p >= ms->items[i].start && p < ms->items[i].end)
			return &ms->items[i];
	return NULL;
}

static int add_rename(dbc_ctx *ctx, dbc_gen_desired *d, const char *table, const char *column,
                      mark *m)
{
	if (dbc_grow(ctx, &d->renames, d->nrenames, &d->caprenames, sizeof(dbc_gen_rename), 4) !=
	    DBC_OK)
		return DBC_ERROR;
	dbc_gen_rename *r = &d->renames[d->nrenames++];
	r->table = (char *)table;
	r->column = column ? dbc_strdup(ctx, column) : NULL;
	r->from = m->from;
	r->recorded = NULL;
	m->used = true;
	return DBC_OK;
}

/* The items of "( ... )" after a CREATE TABLE name: each column's
 * definition as written, and the marks on their lines. */
static int read_columns(dbc_ctx *ctx, dbc_gen_desired *d, const char *table, const char *p,
                        const char *stop, marks *ms)
{
	dbc_token t = dbc_lex_next(&p);
	if (!dbc_lex_is_punct(t, '('))
		return DBC_OK; /* CREATE TABLE ... AS, PARTITION OF, ...: no column list */
	for (;;) {
		const char *item = NULL, *last = NULL;
		dbc_token first = {0};
		int depth = 0;
		for (;;) {
			t = dbc_lex_next(&p);
			if (t.kind == TK_END || t.start >= stop)
				return DBC_OK;
			if (depth == 0 && (dbc_lex_is_punct(t, ',') || dbc_lex_is_punct(t, ')')))
				break;
			if (!item)
				item = t.start, first = t;
			if (dbc_lex_is_punct(t, '('))
				depth++;
			else if (dbc_lex_is_punct(t, ')'))
				depth--;
			last = t.start + t.len;
		}
		static const char *const table_items[] = {"CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK",
		                                          "FOREIGN",    "EXCLUDE", "LIKE",   NULL};
		bool column = item && is_name(first);
		for (int k = 0; column && table_items[k]; k++)
			if (first.kind == TK_WORD && dbc_lex_is_word(first, table_items[k]))
				column = false;
		if (column) {
			if (dbc_grow(ctx, &d->cols, d->ncols, &d->capcols, sizeof(dbc_gen_coldef), 16) !=
			    DBC_OK)
				return DBC_ERROR;
			dbc_gen_coldef *c = &d->cols[d->ncols++];
			c->table = (char *)table;
			c->name = name_of(ctx, first);
			c->text = dbc_strndup(ctx, item, (size_t)(last - item));
			if (!c->name || !c->text)
				return DBC_ERROR;
			mark *m = mark_at(ms, item);
			if (m && add_rename(ctx, d, table, c->name, m) != DBC_OK)
				return DBC_ERROR;
		}
		if (dbc_lex_is_punct(t, ')'))
			return DBC_OK;
	}
}

/* The routine an ALTER FUNCTION (PROCEDURE, ...) names, after those words
 * at p, into d->altered_routines; not when it gives an owner (pg_dump's
 * ALTER FUNCTION ... OWNER TO), which the definition does not hold. */
static int read_altered_routine(dbc_ctx *ctx, dbc_gen_desired *d, const char *p, const char *stop)
{
	dbc_token t = dbc_lex_next(&p);
	const char *q = p;
	if (dbc_lex_is_punct(dbc_lex_next(&q), '.'))
		t = dbc_lex_next(&q);
	if (!is_name(t))
		return DBC_OK;
	q = p;
	for (dbc_token prev = {0}, u; q < stop && (u = dbc_lex_next(&q)).kind != TK_END; prev = u)
		if (dbc_lex_is_word(prev, "OWNER") && dbc_lex_is_word(u, "TO"))
			return DBC_OK;
	if (!d->altered_routines && !(d->altered_routines = dbc_zalloc(ctx, sizeof(dbc_strlist))))
		return DBC_ERROR;
	return dbc_strlist_add(ctx, d->altered_routines, name_of(ctx, t));
}

/* What an ALTER statement (after its ALTER at p) tells: a table or a
 * routine the file completes after its CREATE. */
static int read_alter(dbc_ctx *ctx, dbc_gen_desired *d, const char *p, const char *stop)
{
	/* ALTER TABLE [IF EXISTS] [ONLY] [schema.]name: the table's
	 * statement alone is not all of it; nor a routine's CREATE
	 * where ALTER FUNCTION [schema.]name changes it */
	dbc_token t = dbc_lex_next(&p);
	if (dbc_lex_is_word(t, "FUNCTION") || dbc_lex_is_word(t, "PROCEDURE") ||
	    dbc_lex_is_word(t, "ROUTINE") || dbc_lex_is_word(t, "AGGREGATE"))
		return read_altered_routine(ctx, d, p, stop);
	if (!dbc_lex_is_word(t, "TABLE"))
		return DBC_OK;
	t = dbc_lex_next(&p);
	if (dbc_lex_is_word(t, "IF"))
		dbc_lex_next(&p), t = dbc_lex_next(&p);
	if (dbc_lex_is_word(t, "ONLY"))
		t = dbc_lex_next(&p);
	const char *q = p;
	if (dbc_lex_is_punct(dbc_lex_next(&q), '.'))
		t = dbc_lex_next(&q);
	if (!is_name(t))
		return DBC_OK;
	if (!d->altered && !(d->altered = dbc_zalloc(ctx, sizeof(dbc_strlist))))
		return DBC_ERROR;
	return dbc_strlist_add(ctx, d->altered, name_of(ctx, t));
}

/* The table of a CREATE TRIGGER (p after its name): the name after the
 * first ON, its schema left out; NULL if none. */
static char *trigger_table(dbc_ctx *ctx, const char *p, const char *stop)
{
	for (dbc_token t = dbc_lex_next(&p); t.kind != TK_END && t.start < stop; t = dbc_lex_next(&p)) {
		if (!dbc_lex_is_word(t, "ON"))
			continue;
		dbc_token name = dbc_lex_next(&p);
		const char *q = p;
		if (dbc_lex_is_punct(dbc_lex_next(&q), '.'))
			name = dbc_lex_next(&q);
		return is_name(name) ? name_of(ctx, name) : NULL;
	}
	return NULL;
}

/* kind and name of one statement; *kind NULL when it creates nothing the
 * generator names. */
static int read_stmt(dbc_ctx *ctx, dbc_gen_desired *d, const char *text, size_t len, marks *ms)
{
	const char *p = text, *stop = text + len;
	dbc_token t = dbc_lex_next(&p);
	if (dbc_lex_is_word(t, "ALTER"))
		return read_alter(ctx, d, p, stop);
	if (!dbc_lex_is_word(t, "CREATE"))
		return DBC_OK;
	const char *create_at = t.start;
	static const char *const skip[] = {"OR",        "REPLACE",  "UNIQUE",    "TEMP",
	                                   "TEMPORARY", "UNLOGGED", "RECURSIVE", "CONSTRAINT",
	                                   "VIRTUAL",   NULL};
	/* SQLite's CREATE VIRTUAL TABLE: a table made as written, whose
	 * columns are its module's arguments, not column definitions */
	bool is_virtual = false;
	for (;;) {
		t = dbc_lex_next(&p);
		bool skipped = false;
		for (int k = 0; skip[k] && !skipped; k++)
			skipped = dbc_lex_is_word(t, skip[k]);
		is_virtual = is_virtual || dbc_lex_is_word(t, "VIRTUAL");
		if (!skipped)
			break;
	}
	const char *kind = NULL;
	if (dbc_lex_is_word(t, "MATERIALIZED")) {
		t = dbc_lex_next(&p);
		kind = "materialized view";
	} else {
		static const char *const kinds[][2] = {
		    {"TABLE", "table"},         {"INDEX", "index"},         {"VIEW", "view"},
		    {"TRIGGER", "trigger"},     {"FUNCTION", "function"},   {"TYPE", "type"},
		    {"SEQUENCE", "sequence"},   {"SCHEMA", "schema"},       {"DOMAIN", "type"},
		    {"PROCEDURE", "procedure"}, {"AGGREGATE", "aggregate"},
		};
		for (size_t k = 0; k < sizeof kinds / sizeof kinds[0] && !kind; k++)
			if (dbc_lex_is_word(t, kinds[k][0]))
				kind = kinds[k][1];
	}
	if (!kind)
		return DBC_OK;
	const char *before = p;
	t = dbc_lex_next(&p);
	if (dbc_lex_is_word(t, "CONCURRENTLY"))
		before = p, t = dbc_lex_next(&p);
	if (dbc_lex_is_word(t, "IF")) {
		dbc_lex_next(&p), dbc_lex_next(&p); /* NOT EXISTS */
		before = p, t = dbc_lex_next(&p);
	}
	(void)before;
	if (!is_name(t))
		return DBC_OK;
	char *schema = NULL, *name = name_of(ctx, t);
	const char *q = p;
	if (dbc_lex_is_punct(dbc_lex_next(&q), '.')) {
		dbc_token t2 = dbc_lex_next(&q);
		if (is_name(t2)) {
			schema = name;
			name = name_of(ctx, t2);
			p = q;
		}
	}
	if (!name)
		return DBC_ERROR;
	if (dbc_grow(ctx, &d->stmts, d->nstmts, &d->capstmts, sizeof(dbc_gen_stmt), 16) != DBC_OK)
		return DBC_ERROR;
	size_t n = len;
	while (n && (text[n - 1] == ';' || isspace((unsigned char)text[n - 1])))
		n--;
	dbc_gen_stmt *s = &d->stmts[d->nstmts++];
	s->kind = (char *)kind;
	s->schema = schema;
	s->name = name;
	s->text = dbc_strndup(ctx, text, n);
	if (!s->text)
		return DBC_ERROR;
	if (strcmp(kind, "trigger") == 0)
		s->table = trigger_table(ctx, p, stop);
	if (strcmp(kind, "table") != 0 || is_virtual)
		return DBC_OK;
	mark *m = mark_at(ms, create_at);
	if (m && add_rename(ctx, d, name, NULL, m) != DBC_OK)
		return DBC_ERROR;
	return read_columns(ctx, d, name, p, stop, ms);
}

int dbc_gen_read_desired(dbc_ctx *ctx, const char *sql, dbc_gen_desired *out)
{
	dbc_script_info info;
	marks ms = {0};
	if (find_marks(ctx, sql, &ms) != DBC_OK ||
	    dbc_script_analyse(ctx, ctx->host->dialect, sql, &info) != DBC_OK)
		return DBC_ERROR;
	for (int i = 0; i < info.nstmts; i++)
		if (read_stmt(ctx, out, info.stmts[i].text, info.stmts[i].len, &ms) != DBC_OK)
			return DBC_ERROR;
	for (int i = 0; i < ms.n; i++)
		if (!ms.items[i].used) {
			dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
			          "the mark \"renamed from %s\" is on no table's or column's line",
			          ms.items[i].from);
			dbc_error_hint(ctx, "Put it on the line of the CREATE TABLE or of the column "
			                    "definition that has the new name.");
			return DBC_ERROR;
		}
	return DBC_OK;
}
