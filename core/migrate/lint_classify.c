/*
 * lint_classify.c — what one migration statement does to which tables, read
 * from its leading words with the DDL lexer (schema/ddl_lex.h). It never
 * judges validity (the engine does) and reads only the forms docs/lint.md
 * lists; any other statement does nothing the lint knows of.
 */
#include "migrate/lint.h"
#include "schema/ddl_lex.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

typedef struct cursor {
	dbc_ctx *ctx;
	const dbc_lint_hooks *eng;
	const char *p;
	dbc_token tok; /* the current token */
} cursor;

/* Past the parenthesis just opened, as the engine reads brackets. */
static void skip_paren(cursor *c)
{
	dbc_lex_skip_paren_in(&c->p, c->ctx->host->dialect->brackets_quote_names);
}

static void next(cursor *c)
{
	c->tok = dbc_lex_next(&c->p);
	/* the end of the statement is its end */
	if (dbc_lex_is_punct(c->tok, ';'))
		c->tok.kind = TK_END;
}

static bool is(cursor *c, const char *w)
{
	return dbc_lex_is_word(c->tok, w);
}

/* Consumes the word w when it is the current token. */
static bool accept(cursor *c, const char *w)
{
	if (!is(c, w))
		return false;
	next(c);
	return true;
}

/* SQLite also takes a string for a name where a name must stand
 * (ALTER TABLE t DROP COLUMN 'c'), as its tokenizer does; elsewhere a
 * string there is a syntax error the engine reports. */
static bool is_name(cursor *c)
{
	return c->tok.kind == TK_WORD || c->tok.kind == TK_QIDENT ||
	       (c->tok.kind == TK_STRING && c->ctx->host->dialect->names_fold_case);
}

/* The current token as a name, folded as the engine folds unquoted names. */
static char *name_of(cursor *c)
{
	char *s = dbc_lex_ident(c->ctx, c->tok);
	if (s && c->tok.kind == TK_WORD && !c->ctx->host->dialect->names_fold_case)
		for (char *q = s; *q; q++)
			*q = (char)tolower((unsigned char)*q);
	return s;
}

/* [schema .] name; false when no name stands here. */
static bool qualified(cursor *c, char **schema, char **name)
{
	*schema = NULL;
	if (!is_name(c))
		return false;
	*name = name_of(c);
	next(c);
	while (dbc_lex_is_punct(c->tok, '.')) {
		next(c);
		if (!is_name(c))
			return false;
		*schema = *name;
		*name = name_of(c);
		next(c);
	}
	return *name != NULL;
}

/* Skips to the next ',' at depth 0 (consumed) or the end; the text skipped. */
static const char *skip_item(cursor *c, const char **end)
{
	const char *start = c->tok.start;
	*end = start;
	while (c->tok.kind != TK_END && !dbc_lex_is_punct(c->tok, ',')) {
		if (dbc_lex_is_punct(c->tok, '(')) {
			skip_paren(c);
			*end = c->p;
		} else {
			*end = c->tok.start + c->tok.len;
		}
		next(c);
	}
	return start;
}

static bool is_column_stop(cursor *c)
{
	static const char *const stops[] = {"DEFAULT", "NOT",        "NULL",  "CONSTRAINT", "PRIMARY",
	                                    "UNIQUE",  "REFERENCES", "CHECK", "GENERATED",  "COLLATE",
	                                    "USING",   "AS",         NULL};
	if (c->tok.kind == TK_END || dbc_lex_is_punct(c->tok, ','))
		return true;
	for (int i = 0; stops[i]; i++)
		if (is(c, stops[i]))
			return true;
	return false;
}

/* Text from the current token up to a column-clause word, paren groups whole. */
static char *text_until_stop(cursor *c)
{
	const char *start = c->tok.start, *end = start;
	while (!is_column_stop(c)) {
		if (dbc_lex_is_punct(c->tok, '(')) {
			skip_paren(c);
			end = c->p;
		} else {
			end = c->tok.start + c->tok.len;
		}
		next(c);
	}
	return end > start ? dbc_strndup(c->ctx, start, (size_t)(end - start)) : NULL;
}

static dbc_lint_action *add(cursor *c, dbc_lint_actions *out, dbc_lint_op op, const char *schema,
                            const char *table)
{
	if (dbc_grow(c->ctx, &out->items, out->n, &out->cap, sizeof(*out->items), 4) != DBC_OK)
		return NULL;
	dbc_lint_action *a = &out->items[out->n++];
	memset(a, 0, sizeof(*a));
	a->op = op;
	a->schema = (char *)schema;
	a->table = (char *)table;
	return a;
}

/* The column clauses after ADD COLUMN name type. */
static void column_clauses(cursor *c, dbc_lint_action *a)
{
	while (c->tok.kind != TK_END && !dbc_lex_is_punct(c->tok, ',')) {
		if (accept(c, "DEFAULT")) {
			a->flags |= DBC_LF_HAS_DEFAULT;
			a->default_expr = text_until_stop(c);
		} else if (accept(c, "NOT")) {
			if (accept(c, "NULL"))
				a->flags |= DBC_LF_NOT_NULL;
			else
				a->flags |= DBC_LF_MORE_CLAUSES;
		} else if (accept(c, "NULL")) {
			/* the default: nothing to keep */
		} else if (is(c, "PRIMARY") || is(c, "UNIQUE")) {
			a->flags |= DBC_LF_KEY;
			next(c);
		} else if (accept(c, "GENERATED")) {
			/* ALWAYS AS (expr) STORED, or AS IDENTITY: both fill every row */
			a->flags |= DBC_LF_STORED;
		} else if (dbc_lex_is_punct(c->tok, '(')) {
			a->flags |= DBC_LF_MORE_CLAUSES;
			skip_paren(c);
			next(c);
		} else {
			/* CHECK, REFERENCES, COLLATE, CONSTRAINT ...: kept by no recipe
			 * that rebuilds the column from its type */
			a->flags |= DBC_LF_MORE_CLAUSES;
			next(c);
		}
	}
}

static bool type_is_serial(const char *type)
{
	static const char *const serials[] = {"serial",  "bigserial", "smallserial", "serial4",
	                                      "serial8", "serial2",   NULL};
	for (int i = 0; type && serials[i]; i++)
		if (strcasecmp(type, serials[i]) == 0)
			return true;
	return false;
}

/* ALTER TABLE t ADD [COLUMN] ...: the column, its type and clauses. */
static int alter_add_column(cursor *c, dbc_lint_actions *out, char *schema, char *table)
{
	dbc_lint_action *a;
	const char *end;
	accept(c, "COLUMN");
	if (accept(c, "IF")) {
		accept(c, "NOT");
		accept(c, "EXISTS");
	}
	if (!(a = add(c, out, DBC_LOP_ADD_COLUMN, schema, table)))
		return DBC_ERROR;
	if (is_name(c)) {
		a->column = name_of(c);
		next(c);
	}
	a->type = text_until_stop(c);
	if (type_is_serial(a->type))
		a->flags |= DBC_LF_SERIAL;
	column_clauses(c, a);
	a->what = "ADD COLUMN";
	skip_item(c, &end);
	return DBC_OK;
}

/* ALTER TABLE t ADD [CONSTRAINT name] CHECK | FOREIGN KEY | UNIQUE |
 * PRIMARY KEY | EXCLUDE ..., with NOT VALID and USING INDEX. */
static int alter_add_constraint(cursor *c, dbc_lint_actions *out, char *schema, char *table)
{
	dbc_lint_action *a;
	char *cname = NULL;
	if (accept(c, "CONSTRAINT") && is_name(c)) {
		cname = name_of(c);
		next(c);
	}
	dbc_lint_op op = is(c, "CHECK")     ? DBC_LOP_ADD_CHECK
	                 : is(c, "FOREIGN") ? DBC_LOP_ADD_FOREIGN_KEY
	                 : is(c, "EXCLUDE") ? DBC_LOP_ALTER_CONSTRAINT
	                                    : DBC_LOP_ADD_UNIQUE;
	if (!(a = add(c, out, op, schema, table)))
		return DBC_ERROR;
	a->constraint = cname;
	a->what = op == DBC_LOP_ADD_CHECK         ? "ADD CHECK"
	          : op == DBC_LOP_ADD_FOREIGN_KEY ? "ADD FOREIGN KEY"
	          : is(c, "PRIMARY")              ? "ADD PRIMARY KEY"
	          : op == DBC_LOP_ADD_UNIQUE      ? "ADD UNIQUE"
	                                          : "ADD EXCLUDE";
	if (op == DBC_LOP_ADD_CHECK) {
		next(c);
		if (dbc_lex_is_punct(c->tok, '(')) {
			const char *open = c->p;
			skip_paren(c);
			a->expr = dbc_strndup(c->ctx, open, (size_t)(c->p - open - 1));
			next(c);
		}
	}
	while (c->tok.kind != TK_END && !dbc_lex_is_punct(c->tok, ',')) {
		if (accept(c, "NOT")) {
			if (accept(c, "VALID"))
				a->flags |= DBC_LF_NOT_VALID;
		} else if (accept(c, "USING")) {
			if (is(c, "INDEX"))
				a->flags |= DBC_LF_USING_INDEX;
		} else if (dbc_lex_is_punct(c->tok, '(')) {
			skip_paren(c);
			next(c);
		} else {
			next(c);
		}
	}
	return DBC_OK;
}

/* ALTER TABLE t ALTER [COLUMN] c ...; start: the action's first token. */
static int alter_column(cursor *c, dbc_lint_actions *out, char *schema, char *table,
                        const char *start)
{
	dbc_lint_action *a;
	const char *end;
	accept(c, "COLUMN");
	char *col = is_name(c) ? name_of(c) : NULL;
	next(c);
	dbc_lint_op op = DBC_LOP_ALTER_OTHER;
	const char *what = "ALTER COLUMN";
	if (accept(c, "SET")) {
		if (accept(c, "DATA") || is(c, "TYPE")) {
			op = DBC_LOP_ALTER_TYPE;
		} else if (is(c, "NOT")) {
			op = DBC_LOP_SET_NOT_NULL;
			what = "ALTER COLUMN SET NOT NULL";
		} else if (is(c, "DEFAULT")) {
			what = "ALTER COLUMN SET DEFAULT";
		}
	} else if (is(c, "TYPE")) {
		op = DBC_LOP_ALTER_TYPE;
	} else if (is(c, "DROP")) {
		what = "ALTER COLUMN DROP";
	}
	if (!(a = add(c, out, op, schema, table)))
		return DBC_ERROR;
	a->column = col;
	a->what = (char *)what;
	if (op == DBC_LOP_ALTER_TYPE) {
		a->what = "ALTER COLUMN TYPE";
		accept(c, "TYPE");
		a->type = text_until_stop(c);
	}
	skip_item(c, &end);
	/* the limited ALTER of some engines has no ALTER COLUMN at all */
	if (op == DBC_LOP_ALTER_OTHER)
		a->expr = dbc_strndup(c->ctx, start, (size_t)(end - start));
	return DBC_OK;
}

/* ALTER TABLE t DROP CONSTRAINT | PRIMARY KEY | [COLUMN] ... */
static int alter_drop(cursor *c, dbc_lint_actions *out, char *schema, char *table)
{
	dbc_lint_action *a;
	const char *end;
	if (accept(c, "CONSTRAINT") || is(c, "PRIMARY")) {
		if (!(a = add(c, out, DBC_LOP_ALTER_CONSTRAINT, schema, table)))
			return DBC_ERROR;
		a->what = "DROP CONSTRAINT";
		skip_item(c, &end);
		return DBC_OK;
	}
	accept(c, "COLUMN");
	if (!(a = add(c, out, DBC_LOP_DROP_COLUMN, schema, table)))
		return DBC_ERROR;
	if (accept(c, "IF")) {
		accept(c, "EXISTS");
		a->flags |= DBC_LF_IF_EXISTS;
	}
	a->column = is_name(c) ? name_of(c) : NULL;
	a->what = "DROP COLUMN";
	skip_item(c, &end);
	return DBC_OK;
}

/* ALTER TABLE t RENAME TO | CONSTRAINT | [COLUMN] ... */
static int alter_rename(cursor *c, dbc_lint_actions *out, char *schema, char *table)
{
	dbc_lint_action *a;
	const char *end;
	if (accept(c, "TO")) {
		if (!(a = add(c, out, DBC_LOP_RENAME_TABLE, schema, table)))
			return DBC_ERROR;
		a->new_name = is_name(c) ? name_of(c) : NULL;
		a->what = "RENAME TO";
	} else if (accept(c, "CONSTRAINT")) {
		if (!(a = add(c, out, DBC_LOP_ALTER_CONSTRAINT, schema, table)))
			return DBC_ERROR;
		a->what = "RENAME CONSTRAINT";
	} else {
		accept(c, "COLUMN");
		if (!(a = add(c, out, DBC_LOP_RENAME_COLUMN, schema, table)))
			return DBC_ERROR;
		a->column = is_name(c) ? name_of(c) : NULL;
		next(c);
		if (accept(c, "TO") && is_name(c))
			a->new_name = name_of(c);
		a->what = "RENAME COLUMN";
	}
	skip_item(c, &end);
	return DBC_OK;
}

/* ALTER TABLE t <action>: one action, up to its ',' at depth 0. */
static int alter_action(cursor *c, dbc_lint_actions *out, char *schema, char *table)
{
	dbc_lint_action *a;
	const char *end;
	const char *start = c->tok.start;
	if (accept(c, "ADD")) {
		bool constraint = is(c, "CONSTRAINT") || is(c, "CHECK") || is(c, "FOREIGN") ||
		                  is(c, "UNIQUE") || is(c, "PRIMARY") || is(c, "EXCLUDE");
		return constraint ? alter_add_constraint(c, out, schema, table)
		                  : alter_add_column(c, out, schema, table);
	}
	if (accept(c, "ALTER"))
		return alter_column(c, out, schema, table, start);
	if (accept(c, "DROP"))
		return alter_drop(c, out, schema, table);
	if (accept(c, "RENAME"))
		return alter_rename(c, out, schema, table);
	if (accept(c, "VALIDATE")) {
		accept(c, "CONSTRAINT");
		if (!(a = add(c, out, DBC_LOP_VALIDATE, schema, table)))
			return DBC_ERROR;
		a->constraint = is_name(c) ? name_of(c) : NULL;
		a->what = "VALIDATE CONSTRAINT";
		skip_item(c, &end);
		return DBC_OK;
	}
	if (!(a = add(c, out, DBC_LOP_ALTER_OTHER, schema, table)))
		return DBC_ERROR;
	skip_item(c, &end);
	a->what = dbc_strndup(c->ctx, start, (size_t)(end - start));
	a->expr = a->what;
	return DBC_OK;
}

static int alter_table(cursor *c, dbc_lint_actions *out)
{
	char *schema, *table;
	if (accept(c, "IF"))
		accept(c, "EXISTS");
	accept(c, "ONLY");
	if (!qualified(c, &schema, &table))
		return DBC_OK;
	if (c->tok.kind == TK_OTHER && c->tok.start[0] == '*')
		next(c);
	while (c->tok.kind != TK_END) {
		if (alter_action(c, out, schema, table) != DBC_OK)
			return DBC_ERROR;
		if (dbc_lex_is_punct(c->tok, ','))
			next(c);
	}
	return DBC_OK;
}

/* CREATE [UNIQUE] INDEX [CONCURRENTLY] [IF NOT EXISTS] [name] ON [ONLY] t */
static int create_index(cursor *c, dbc_lint_actions *out)
{
	unsigned flags = 0;
	char *schema = NULL, *index = NULL, *ischema, *table;
	if (accept(c, "CONCURRENTLY"))
		flags |= DBC_LF_CONCURRENTLY;
	if (accept(c, "IF")) {
		accept(c, "NOT");
		accept(c, "EXISTS");
	}
	if (!is(c, "ON") && !qualified(c, &ischema, &index))
		return DBC_OK;
	if (!accept(c, "ON"))
		return DBC_OK;
	accept(c, "ONLY");
	if (!qualified(c, &schema, &table))
		return DBC_OK;
	dbc_lint_action *a = add(c, out, DBC_LOP_CREATE_INDEX, schema, table);
	if (!a)
		return DBC_ERROR;
	a->flags = flags;
	a->index = index;
	/* the rest: the key list and any WHERE (the statement's copy, ended at its end) */
	a->expr = (char *)c->tok.start;
	a->what = flags & DBC_LF_CONCURRENTLY ? "CREATE INDEX CONCURRENTLY" : "CREATE INDEX";
	return DBC_OK;
}

static int create(cursor *c, dbc_lint_actions *out)
{
	char *schema, *name;
	if (accept(c, "OR"))
		accept(c, "REPLACE");
	accept(c, "UNIQUE");
	if (accept(c, "INDEX"))
		return create_index(c, out);
	while (accept(c, "TEMP") || accept(c, "TEMPORARY") || accept(c, "UNLOGGED") ||
	       accept(c, "GLOBAL") || accept(c, "LOCAL") || accept(c, "RECURSIVE") ||
	       accept(c, "MATERIALIZED"))
		;
	bool view = accept(c, "VIEW");
	if (!view && !accept(c, "TABLE"))
		return DBC_OK;
	if (accept(c, "IF")) {
		accept(c, "NOT");
		accept(c, "EXISTS");
	}
	if (!qualified(c, &schema, &name))
		return DBC_OK;
	dbc_lint_action *a =
	    add(c, out, view ? DBC_LOP_CREATE_VIEW : DBC_LOP_CREATE_TABLE, schema, name);
	if (!a)
		return DBC_ERROR;
	/* the rest of the statement: a view's body, a table's AS query */
	a->expr = dbc_strdup(c->ctx, c->tok.start);
	if (!view) {
		if (dbc_lex_is_punct(c->tok, '(')) {
			skip_paren(c);
			next(c);
		}
		while (c->tok.kind != TK_END && !is(c, "AS"))
			next(c);
		if (is(c, "AS"))
			a->flags |= DBC_LF_AS_QUERY;
	}
	return DBC_OK;
}

/* DROP TABLE a, b / DROP INDEX [CONCURRENTLY] i */
static int drop(cursor *c, dbc_lint_actions *out)
{
	bool index = accept(c, "INDEX");
	if (!index && !accept(c, "TABLE"))
		return DBC_OK;
	unsigned flags = 0;
	if (index && accept(c, "CONCURRENTLY"))
		flags |= DBC_LF_CONCURRENTLY;
	if (accept(c, "IF")) {
		accept(c, "EXISTS");
		flags |= DBC_LF_IF_EXISTS;
	}
	for (;;) {
		char *schema, *name;
		if (!qualified(c, &schema, &name))
			return DBC_OK;
		dbc_lint_action *a = add(c, out, index ? DBC_LOP_DROP_INDEX : DBC_LOP_DROP_TABLE,
		                         index ? NULL : schema, index ? NULL : name);
		if (!a)
			return DBC_ERROR;
		a->flags = flags;
		if (index) {
			a->index = name;
			a->schema = schema;
		}
		a->what = index ? (flags & DBC_LF_CONCURRENTLY ? "DROP INDEX CONCURRENTLY" : "DROP INDEX")
		                : "DROP TABLE";
		if (!dbc_lex_is_punct(c->tok, ','))
			return DBC_OK;
		next(c);
	}
}

/* TRUNCATE [TABLE] [ONLY] a [*], b ... */
static int truncate(cursor *c, dbc_lint_actions *out)
{
	accept(c, "TABLE");
	for (;;) {
		char *schema, *name;
		accept(c, "ONLY");
		if (!qualified(c, &schema, &name))
			return DBC_OK;
		dbc_lint_action *a = add(c, out, DBC_LOP_TRUNCATE, schema, name);
		if (!a)
			return DBC_ERROR;
		a->what = "TRUNCATE";
		if (c->tok.kind == TK_OTHER && c->tok.start[0] == '*')
			next(c);
		if (!dbc_lex_is_punct(c->tok, ','))
			return DBC_OK;
		next(c);
	}
}

/* VACUUM FULL t / VACUUM (FULL, ...) t; CLUSTER [VERBOSE] t */
static int vacuum_or_cluster(cursor *c, dbc_lint_actions *out, bool cluster)
{
	bool full = cluster;
	if (!cluster && dbc_lex_is_punct(c->tok, '(')) {
		for (next(c); c->tok.kind != TK_END && !dbc_lex_is_punct(c->tok, ')'); next(c))
			if (is(c, "FULL")) {
				next(c);
				/* FULL false / FULL off / FULL 0 */
				full = !(is(c, "false") || is(c, "off") || is(c, "0"));
				if (dbc_lex_is_punct(c->tok, ')'))
					break;
			}
		next(c);
	}
	while (is(c, "FULL") || is(c, "FREEZE") || is(c, "VERBOSE") || is(c, "ANALYZE") ||
	       is(c, "ANALYSE")) {
		if (is(c, "FULL"))
			full = true;
		next(c);
	}
	if (!full)
		return DBC_OK;
	for (;;) {
		char *schema, *name;
		if (!qualified(c, &schema, &name))
			return DBC_OK;
		dbc_lint_action *a =
		    add(c, out, cluster ? DBC_LOP_CLUSTER : DBC_LOP_VACUUM_FULL, schema, name);
		if (!a)
			return DBC_ERROR;
		a->what = cluster ? "CLUSTER" : "VACUUM FULL";
		if (dbc_lex_is_punct(c->tok, '(')) {
			skip_paren(c);
			next(c);
		}
		if (!dbc_lex_is_punct(c->tok, ','))
			return DBC_OK;
		next(c);
	}
}

/* SET [LOCAL | SESSION] lock_timeout {TO | =} value */
static int set(cursor *c, dbc_lint_actions *out)
{
	if (!accept(c, "LOCAL"))
		accept(c, "SESSION");
	if (!accept(c, "lock_timeout"))
		return DBC_OK;
	if (!accept(c, "TO") && c->tok.kind == TK_OTHER && c->tok.start[0] == '=')
		next(c);
	dbc_lint_action *a = add(c, out, DBC_LOP_SET_LOCK_TIMEOUT, NULL, NULL);
	if (!a)
		return DBC_ERROR;
	char *v = c->tok.kind == TK_END ? NULL : dbc_lex_ident(c->ctx, c->tok);
	/* 0, '0', '0ms', DEFAULT: no timeout */
	if (v && !is(c, "DEFAULT")) {
		const char *q = v;
		while (*q == '0' || *q == ' ')
			q++;
		if (q == v || isdigit((unsigned char)*q) || *q == '.')
			return DBC_OK;
	}
	a->flags |= DBC_LF_LOCK_TIMEOUT_OFF;
	return DBC_OK;
}

int dbc_lint_classify(dbc_ctx *ctx, const dbc_lint_hooks *eng, const char *text, size_t len,
                      dbc_lint_actions *out)
{
	char *s = dbc_strndup(ctx, text, len);
	if (!s)
		return DBC_ERROR;
	cursor c = {ctx, eng, s, {TK_END, s, 0}};
	next(&c);
	if (accept(&c, "CREATE"))
		return create(&c, out);
	if (accept(&c, "ALTER"))
		return accept(&c, "TABLE") ? alter_table(&c, out) : DBC_OK;
	if (accept(&c, "DROP"))
		return drop(&c, out);
	if (accept(&c, "TRUNCATE"))
		return truncate(&c, out);
	if (accept(&c, "VACUUM"))
		return vacuum_or_cluster(&c, out, false);
	if (accept(&c, "CLUSTER")) {
		accept(&c, "VERBOSE");
		return vacuum_or_cluster(&c, out, true);
	}
	if (accept(&c, "SET"))
		return set(&c, out);
	return DBC_OK;
}
