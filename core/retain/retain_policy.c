/*
 * retain_policy.c — retention policies: dbretain_add validates a policy
 * completely when it is added (so a mistake shows now, not at 3 a.m.),
 * dbretain_drop and dbretain_policies, and what plan and apply share: a
 * policy resolved against the live schema, its due condition, the foreign
 * keys that block deleting a row. Policies live in <prefix>retain_policies.
 */
#include "retain/retain_policy.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define BOOK "retain_policies"

/* dbcare's own tables that may be a policy's table: logs that grow. The
 * migration history is never pruned; the rest is configuration. */
static const char *const own_allowed[] = {"health_snapshots", "audit_log", NULL};

const char *dbc_retain_action_name(dbc_retain_action a)
{
	return a == DBC_RETAIN_ARCHIVE ? "archive" : a == DBC_RETAIN_PURGE ? "purge" : "delete";
}

static int parse_action(dbc_ctx *ctx, const char *text, dbc_retain_action *out)
{
	if (text && strcmp(text, "delete") == 0)
		*out = DBC_RETAIN_DELETE;
	else if (text && strcmp(text, "archive") == 0)
		*out = DBC_RETAIN_ARCHIVE;
	else if (text && strcmp(text, "purge") == 0)
		*out = DBC_RETAIN_PURGE;
	else
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		                 "argument \"action\" must be delete, archive or purge, not \"%s\"",
		                 text ? dbc_excerpt(ctx, text, DBC_EXCERPT) : "");
	return DBC_OK;
}

/* ------------------------------------------------------------- the tables */

typedef struct column_list {
	dbc_table *t;
} column_list;

static int take_column(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	column_list *l = arg;
	(void)ncol;
	dbc_column *col = dbc_table_add_column(ctx, l->t, c[0].type == DBC_TEXT ? c[0].s : "");
	if (!col)
		return DBC_ERROR;
	col->type = c[1].type == DBC_TEXT ? dbc_strdup(ctx, c[1].s) : dbc_strdup(ctx, "");
	return ctx->failed ? DBC_ERROR : DBC_OK;
}

/* The columns of schema.name as the engine reads them; *t NULL when there
 * is no such table. */
static int read_columns(dbc_ctx *ctx, const dbc_retain_hooks *eng, const char *schema,
                        const char *name, dbc_table **t)
{
	*t = dbc_zalloc(ctx, sizeof(**t));
	if (!*t)
		return DBC_ERROR;
	(*t)->schema = schema ? dbc_strdup(ctx, schema) : NULL;
	(*t)->name = dbc_strdup(ctx, name);
	(*t)->kind = "table";
	column_list l = {*t};
	if (eng->columns(ctx, schema, name, take_column, &l) != DBC_OK)
		return DBC_ERROR;
	if ((*t)->ncolumns == 0)
		*t = NULL;
	return DBC_OK;
}

/* dbcare's own table named name (with the bookkeeping prefix), if it is one
 * a policy may have; *t NULL when name is no own table. */
static int own_table(dbc_ctx *ctx, const dbc_retain_hooks *eng, const char *name,
                     const dbc_table **t)
{
	*t = NULL;
	const char *prefix = ctx->host->book_name_prefix;
	size_t n = strlen(prefix);
	if (strncmp(name, prefix, n) != 0)
		return DBC_OK;
	const char *suffix = name + n;
	bool allowed = false;
	for (const char *const *a = own_allowed; *a; a++)
		allowed = allowed || strcmp(*a, suffix) == 0;
	if (!allowed) {
		dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		          "table %s is dbcare's own and keeps what it must: no policy may delete from it",
		          name);
		dbc_error_hint(ctx,
		               "dbcare's logs (%shealth_snapshots, %saudit_log) may have policies; "
		               "the migration history is never pruned.",
		               prefix, prefix);
		return DBC_ERROR;
	}
	/* "dbcare." names a schema; "dbcare_" is part of the table's name */
	char *schema = prefix[n - 1] == '.' ? dbc_strndup(ctx, prefix, n - 1) : NULL;
	const char *table = prefix[n - 1] == '.' ? suffix : name;
	dbc_table *found;
	if (read_columns(ctx, eng, schema, table, &found) != DBC_OK)
		return DBC_ERROR;
	if (!found)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "table %s does not exist yet", name);
	*t = found;
	return DBC_OK;
}

static int find_source(dbc_ctx *ctx, const dbc_retain_hooks *eng, const dbc_schema *s,
                       const char *name, const dbc_table **t)
{
	if (!name || !*name)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "argument \"table\" must name a table");
	if (own_table(ctx, eng, name, t) != DBC_OK)
		return DBC_ERROR;
	if (*t)
		return DBC_OK;
	return dbc_retain_find_table(ctx, s, name, "table", t);
}

/* Whether c holds points in time: its declared type, or (where dates are
 * text) every value stored in it. */
static int temporal_column(dbc_ctx *ctx, const dbc_retain_hooks *eng, const dbc_table *t,
                           const dbc_column *c, bool *yes)
{
	*yes = dbc_retain_temporal(ctx->host->dialect->temporal_words, c->type);
	if (*yes || !eng->text_dates_probe)
		return DBC_OK;
	const char *type = c->type ? c->type : "";
	if (*type && !dbc_retain_temporal((const char *const[]){"text", "char", "clob", NULL}, type))
		return DBC_OK;
	char *sql = eng->text_dates_probe(ctx, dbc_quoted_name(ctx, t->schema, t->name),
	                                  ctx->host->quote_ident(ctx, c->name));
	char *bad = NULL;
	if (!sql || dbc_query_text(ctx, sql, 0, NULL, &bad, NULL) != DBC_OK)
		return DBC_ERROR;
	*yes = bad && strcmp(bad, "0") == 0;
	return DBC_OK;
}

/* --------------------------------------------------------------- targets */

/* "schema.table" or "table" (in the source's schema). */
static int split_target(dbc_ctx *ctx, const char *target, const dbc_table *src, char **schema,
                        char **name)
{
	const char *dot = strchr(target, '.');
	if (!*target || (dot && (dot == target || !dot[1] || strchr(dot + 1, '.'))))
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		                 "argument \"target\" must be table or schema.table, not \"%s\"",
		                 dbc_excerpt(ctx, target, DBC_EXCERPT));
	*schema = dot ? dbc_strndup(ctx, target, (size_t)(dot - target))
	              : (src->schema ? dbc_strdup(ctx, src->schema) : NULL);
	*name = dbc_strdup(ctx, dot ? dot + 1 : target);
	return ctx->failed ? DBC_ERROR : DBC_OK;
}

bool dbc_retain_external(const dbc_policy *p)
{
	return p->action == DBC_RETAIN_ARCHIVE && p->target_schema &&
	       strcmp(p->target_schema, DBC_RETAIN_ARCHIVE_DB) == 0;
}

/* "archive-db:NAME": the archive NAME of the database the command names
 * (--archive-db); NAME is a label of letters, digits, '_', '-' and '.'. */
static int external_target(dbc_ctx *ctx, const char *name, dbc_policy *p)
{
	size_t n = strlen(name);
	bool ok = n > 0 && n <= 63;
	for (size_t i = 0; ok && i < n; i++)
		ok = (name[i] >= 'a' && name[i] <= 'z') || (name[i] >= 'A' && name[i] <= 'Z') ||
		     (name[i] >= '0' && name[i] <= '9') || strchr("_-.", name[i]);
	if (!ok)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		                 "argument \"target\": an archive in another database is "
		                 "archive-db:NAME, NAME up to 63 letters, digits, '_', '-' or '.', not "
		                 "\"%s\"",
		                 dbc_excerpt(ctx, name, DBC_EXCERPT));
	p->target_schema = DBC_RETAIN_ARCHIVE_DB;
	p->target_name = dbc_strdup(ctx, name);
	return p->target_name ? DBC_OK : DBC_ERROR;
}

static const dbc_column *column_named(const dbc_ctx *ctx, const dbc_table *t, const char *name)
{
	for (int i = 0; i < t->ncolumns; i++)
		if (dbc_retain_same_name(ctx, t->columns[i].name, name))
			return &t->columns[i];
	return NULL;
}

/* Words that begin a column constraint: after a type they would make one. */
static const char *const constraint_words[] = {"constraint", "primary",   "not",     "null",
                                               "unique",     "check",     "default", "collate",
                                               "references", "generated", "as",      NULL};

/* Whether a declared type (catalog text the table's author wrote) can be
 * written into CREATE TABLE as it is: names (bare or double-quoted, dotted,
 * with [] after them) and one list of signed numbers in parentheses, so
 * nothing in it ends the column, the statement or starts a comment, and no
 * bare word starts a constraint. */
static bool type_writable(const char *type)
{
	bool in_parens = false, after_parens = false;
	for (const char *p = type; *p;) {
		char ch = *p;
		if (ch == ' ' || ch == '\t' || ch == '\n') {
			p++;
		} else if (!in_parens && (isalpha((unsigned char)ch) || ch == '_')) {
			const char *w = p;
			while (isalnum((unsigned char)*p) || *p == '_' || *p == '$')
				p++;
			for (const char *const *c = constraint_words; *c; c++)
				if (strlen(*c) == (size_t)(p - w) && strncasecmp(w, *c, (size_t)(p - w)) == 0)
					return false;
		} else if (!in_parens && ch == '"') {
			for (p++; *p && !(p[0] == '"' && p[1] != '"'); p += *p == '"' ? 2 : 1)
				;
			if (!*p++)
				return false;
		} else if (!in_parens && (ch == '.' || ch == '[' || ch == ']')) {
			p++;
		} else if (isdigit((unsigned char)ch)) {
			p++;
		} else if (ch == '(' && !in_parens && !after_parens) {
			in_parens = true;
			p++;
		} else if (ch == ')' && in_parens) {
			in_parens = false;
			after_parens = true;
			p++;
		} else if (in_parens && (ch == ',' || ch == '.' ||
		                         ((ch == '-' || ch == '+') && isdigit((unsigned char)p[1])))) {
			p++;
		} else {
			return false;
		}
	}
	return !in_parens;
}

/* An existing archive must take every source column with its type, and
 * archived_at; a missing one is made on first use. */
static int check_target(dbc_ctx *ctx, const dbc_retain_hooks *eng, const dbc_table *src,
                        const char *schema, const char *name)
{
	const char *display = dbc_qualified_name(ctx, schema, name);
	if (dbc_retain_same_name(ctx, schema, src->schema) &&
	    dbc_retain_same_name(ctx, name, src->name))
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		                 "argument \"target\" names the policy's own table %s", display);
	if (column_named(ctx, src, "archived_at"))
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		                 "table %s has a column archived_at, which the archive adds",
		                 dbc_qualified_name(ctx, src->schema, src->name));
	if (schema) {
		bool any = false;
		if (eng->schema_exists(ctx, schema, &any) != DBC_OK)
			return DBC_ERROR;
		if (!any) {
			dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "the schema of target %s does not exist",
			          display);
			dbc_error_hint(ctx, "Create it (PostgreSQL: CREATE SCHEMA; SQLite: ATTACH the "
			                    "archive database) before adding the policy.");
			return DBC_ERROR;
		}
	}
	dbc_table *t;
	if (read_columns(ctx, eng, schema, name, &t) != DBC_OK)
		return DBC_ERROR;
	for (int i = 0; i < src->ncolumns && !t; i++)
		if (!type_writable(src->columns[i].type ? src->columns[i].type : "")) {
			dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
			          "column \"%s\" of table %s has declared type \"%s\", which dbcare will "
			          "not write into the archive's CREATE TABLE",
			          src->columns[i].name, dbc_qualified_name(ctx, src->schema, src->name),
			          dbc_excerpt(ctx, src->columns[i].type, DBC_EXCERPT));
			dbc_error_hint(ctx,
			               "Create the archive %s yourself with the table's columns and "
			               "archived_at, or give the column a plain type name.",
			               display);
			return DBC_ERROR;
		}
	if (!t)
		return DBC_OK;
	for (int i = 0; i < src->ncolumns; i++) {
		const dbc_column *c = &src->columns[i];
		const dbc_column *a = column_named(ctx, t, c->name);
		if (!a)
			return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
			                 "target %s has no column \"%s\" of table %s", display, c->name,
			                 dbc_qualified_name(ctx, src->schema, src->name));
		if (strcasecmp(a->type ? a->type : "", c->type ? c->type : "") != 0)
			return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
			                 "column \"%s\" of target %s has type %s, of table %s type %s", c->name,
			                 display, a->type, dbc_qualified_name(ctx, src->schema, src->name),
			                 c->type);
	}
	if (!column_named(ctx, t, "archived_at"))
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "target %s has no column archived_at",
		                 display);
	return DBC_OK;
}

/* The archive of a policy, made on first use with the source's columns
 * and archived_at; an existing one is checked as at dbretain_add (the
 * source may have changed since). */
int dbc_retain_ensure_target(dbc_ctx *ctx, const dbc_retain_hooks *eng, const dbc_table *src,
                             const char *schema, const char *name)
{
	if (check_target(ctx, eng, src, schema, name) != DBC_OK)
		return DBC_ERROR;
	dbc_table *t;
	if (read_columns(ctx, eng, schema, name, &t) != DBC_OK)
		return DBC_ERROR;
	if (t)
		return DBC_OK;
	dbc_buf b;
	dbc_buf_init(&b, ctx);
	dbc_buf_appendf(&b, "CREATE TABLE %s (", dbc_quoted_name(ctx, schema, name));
	for (int i = 0; i < src->ncolumns; i++)
		dbc_buf_appendf(&b, "%s %s, ", ctx->host->quote_ident(ctx, src->columns[i].name),
		                src->columns[i].type ? src->columns[i].type : "");
	dbc_buf_appendf(&b, "archived_at %s NOT NULL)", ctx->host->dialect->timestamp_type);
	char *sql = dbc_buf_finish(&b);
	/* the types were checked writable (check_target); read back, the new
	 * table must have exactly the source's types, or the call is undone */
	return sql && ctx->host->exec(ctx, sql) == DBC_OK ? check_target(ctx, eng, src, schema, name)
	                                                  : DBC_ERROR;
}

/* ------------------------------------------------------------------ load */

static int take_policy(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	dbc_policies *l = arg;
	(void)ncol;
	if (dbc_grow(ctx, &l->items, l->n, &l->cap, sizeof(*l->items), 8) != DBC_OK)
		return DBC_ERROR;
	dbc_policy *p = &l->items[l->n];
	memset(p, 0, sizeof(*p));
	char **f[8] = {&p->name, &p->table_schema,  &p->table_name, &p->column, &p->keep,
	               NULL,     &p->target_schema, &p->target_name};
	for (int i = 0; i < 8; i++)
		if (f[i])
			*f[i] = c[i].type == DBC_TEXT ? dbc_strdup(ctx, c[i].s) : NULL;
	if (parse_action(ctx, c[5].type == DBC_TEXT ? c[5].s : NULL, &p->action) != DBC_OK)
		return DBC_ERROR;
	p->archived = c[8].type == DBC_INT ? c[8].i : 0;
	p->deleted = c[9].type == DBC_INT ? c[9].i : 0;
	l->n++;
	return ctx->failed ? DBC_ERROR : DBC_OK;
}

/* Whether the policies can be read (see dbc_retain_book_readable). */
static int book_readable(dbc_ctx *ctx, bool *readable)
{
	return dbc_retain_book_readable(ctx, "dbcare_" BOOK, "keep", readable);
}

int dbc_retain_load(dbc_ctx *ctx, const char *name, dbc_policies *out)
{
	memset(out, 0, sizeof(*out));
	bool readable;
	if (book_readable(ctx, &readable) != DBC_OK)
		return DBC_ERROR;
	if (readable) {
		char *sql =
		    dbc_printf(ctx,
		               "SELECT name, table_schema, table_name, column_name, keep, action, "
		               "target_schema, target_name, archived_rows, deleted_rows FROM %s" BOOK
		               "%s ORDER BY name",
		               ctx->host->book_prefix, name ? " WHERE name = $1" : "");
		dbc_value p = dbc_text(name);
		if (!sql || ctx->host->query(ctx, sql, name ? 1 : 0, &p, take_policy, out) != DBC_OK)
			return DBC_ERROR;
	}
	if (name && out->n == 0) {
		dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "retention policy \"%s\" does not exist",
		          dbc_excerpt(ctx, name, DBC_EXCERPT));
		dbc_error_hint(ctx, "dbretain_policies lists them.");
		return DBC_ERROR;
	}
	return DBC_OK;
}

/* ------------------------------------------------------------------- add */

static bool same_policy(const dbc_policy *a, const dbc_policy *b)
{
	const char *x[7] = {a->table_schema,
	                    a->table_name,
	                    a->column,
	                    a->keep,
	                    a->target_schema,
	                    a->target_name,
	                    dbc_retain_action_name(a->action)};
	const char *y[7] = {b->table_schema,
	                    b->table_name,
	                    b->column,
	                    b->keep,
	                    b->target_schema,
	                    b->target_name,
	                    dbc_retain_action_name(b->action)};
	for (int i = 0; i < 7; i++)
		if ((!x[i]) != (!y[i]) || (x[i] && strcmp(x[i], y[i]) != 0))
			return false;
	return true;
}

/* A policy's action against the table's soft delete: purge only on a
 * soft-delete table, by its soft-delete column; no other action there (a
 * delete only marks rows). */
static int check_softdelete(dbc_ctx *ctx, const dbc_table *t, const dbc_column *c,
                            const char *display, dbc_retain_action action)
{
	char *sd;
	if (dbc_softdelete_column(ctx, t, &sd) != DBC_OK)
		return DBC_ERROR;
	if (action == DBC_RETAIN_PURGE && (!sd || strcmp(sd, c->name) != 0)) {
		if (!sd)
			return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
			                 "action purge needs a soft-delete table; %s is not one", display);
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		                 "action purge ages rows by the soft-delete column \"%s\" of table %s", sd,
		                 display);
	}
	if (action != DBC_RETAIN_PURGE && sd) {
		dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		          "table %s is soft-delete enabled: a delete there only marks rows", display);
		dbc_error_hint(ctx,
		               "Use action purge on its soft-delete column \"%s\", or "
		               "dbsoftdelete_disable the table first.",
		               sd);
		return DBC_ERROR;
	}
	return DBC_OK;
}

/* The archive target into p: another database's (DBC_RETAIN_ARCHIVE_DB_PREFIX)
 * or a table; a target is for action archive only. */
static int resolve_target(dbc_ctx *ctx, const dbc_retain_hooks *eng, const dbc_table *t,
                          const char *target, dbc_policy *p)
{
	if (p->action == DBC_RETAIN_ARCHIVE && target &&
	    strncmp(target, DBC_RETAIN_ARCHIVE_DB_PREFIX, strlen(DBC_RETAIN_ARCHIVE_DB_PREFIX)) == 0)
		return external_target(ctx, target + strlen(DBC_RETAIN_ARCHIVE_DB_PREFIX), p);
	if (p->action == DBC_RETAIN_ARCHIVE) {
		if (!target)
			return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
			                 "action archive needs argument \"target\": the archive table");
		if (split_target(ctx, target, t, &p->target_schema, &p->target_name) != DBC_OK ||
		    check_target(ctx, eng, t, p->target_schema, p->target_name) != DBC_OK)
			return DBC_ERROR;
		return DBC_OK;
	}
	if (target)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		                 "argument \"target\" is for action archive only");
	return DBC_OK;
}

/* Stores the policy: nothing when one of its name has the same definition,
 * an error when it has another. */
static int store_policy(dbc_ctx *ctx, const dbc_policy *p)
{
	dbc_policies old;
	bool readable;
	if (book_readable(ctx, &readable) != DBC_OK)
		return DBC_ERROR;
	if (dbc_retain_load(ctx, NULL, &old) != DBC_OK)
		return DBC_ERROR;
	for (int i = 0; i < old.n; i++)
		if (strcmp(old.items[i].name, p->name) == 0) {
			if (same_policy(&old.items[i], p))
				return DBC_OK;
			dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
			          "retention policy \"%s\" already exists with a different definition",
			          dbc_excerpt(ctx, p->name, DBC_EXCERPT));
			dbc_error_hint(ctx, "Drop it first with dbretain_drop.");
			return DBC_ERROR;
		}
	char *sql = dbc_printf(ctx,
	                       "INSERT INTO %s" BOOK " (name, table_schema, table_name, column_name, "
	                       "keep, action, target_schema, target_name) VALUES ($1, $2, $3, $4, $5, "
	                       "$6, $7, $8)",
	                       ctx->host->book_prefix);
	dbc_value v[8] = {dbc_text(p->name),
	                  p->table_schema ? dbc_text(p->table_schema) : dbc_null(),
	                  dbc_text(p->table_name),
	                  dbc_text(p->column),
	                  dbc_text(p->keep),
	                  dbc_text(dbc_retain_action_name(p->action)),
	                  p->target_schema ? dbc_text(p->target_schema) : dbc_null(),
	                  p->target_name ? dbc_text(p->target_name) : dbc_null()};
	return sql ? ctx->host->query(ctx, sql, 8, v, NULL, NULL) : DBC_ERROR;
}

int dbc_retain_add(dbc_ctx *ctx, const dbc_retain_hooks *eng, const char *name, const char *table,
                   const char *column, const char *keep, const char *action, const char *target)
{
	if (!name || !*name)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "argument \"name\" must not be empty");
	dbc_schema s;
	dbc_schema_init(&s, ctx);
	const dbc_table *t;
	if (ctx->host->read_schema(ctx, &s) != DBC_OK || find_source(ctx, eng, &s, table, &t) != DBC_OK)
		return DBC_ERROR;
	const char *display = dbc_qualified_name(ctx, t->schema, t->name);
	if (t->kind && strcmp(t->kind, "table") != 0)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		                 "table %s is a %s: a policy needs a plain table (drop old partitions "
		                 "instead)",
		                 display, t->kind);
	if (t->options && strstr(t->options, "without rowid"))
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		                 "table %s is WITHOUT ROWID: a policy needs a rowid table", display);
	const char *row_id;
	if (dbc_retain_row_id(ctx, t, &row_id) != DBC_OK)
		return DBC_ERROR;
	const dbc_column *c = dbc_retain_find_column(ctx, t, column ? column : "");
	if (!c)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		                 "column \"%s\" named by argument \"column\" does not exist in table %s",
		                 column ? dbc_excerpt(ctx, column, DBC_EXCERPT) : "", display);
	bool temporal;
	if (temporal_column(ctx, eng, t, c, &temporal) != DBC_OK)
		return DBC_ERROR;
	if (!temporal)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		                 "column \"%s\" of table %s has type %s and holds no dates: a policy "
		                 "ages rows by a date or timestamp column",
		                 c->name, display, c->type && *c->type ? c->type : "(none)");
	dbc_interval iv;
	dbc_policy p = {0};
	if (dbc_interval_parse(ctx, keep, "keep", &iv) != DBC_OK ||
	    parse_action(ctx, action, &p.action) != DBC_OK)
		return DBC_ERROR;
	if (check_softdelete(ctx, t, c, display, p.action) != DBC_OK ||
	    resolve_target(ctx, eng, t, target, &p) != DBC_OK)
		return DBC_ERROR;
	p.name = (char *)name;
	if (dbc_retain_refuse_cascade(ctx, &s, t, &p) != DBC_OK)
		return DBC_ERROR;
	p.table_schema = t->schema;
	p.table_name = t->name;
	p.column = c->name;
	p.keep = dbc_interval_text(ctx, &iv);
	if (!p.keep || dbc_book_ensure_part(ctx, "retain") != DBC_OK)
		return DBC_ERROR;
	return store_policy(ctx, &p);
}

int dbc_retain_drop(dbc_ctx *ctx, const char *name, bool *dropped)
{
	*dropped = false;
	dbc_policies old;
	bool readable;
	if (book_readable(ctx, &readable) != DBC_OK)
		return DBC_ERROR;
	if (!readable)
		return DBC_OK;
	char *sql = dbc_printf(ctx,
	                       "SELECT name, table_schema, table_name, column_name, keep, "
	                       "action, target_schema, target_name, archived_rows, deleted_rows "
	                       "FROM %s" BOOK " WHERE name = $1",
	                       ctx->host->book_prefix);
	dbc_value p = dbc_text(name);
	memset(&old, 0, sizeof(old));
	if (!sql || ctx->host->query(ctx, sql, 1, &p, take_policy, &old) != DBC_OK)
		return DBC_ERROR;
	if (old.n == 0)
		return DBC_OK;
	if (dbc_book_ensure_part(ctx, "retain") != DBC_OK)
		return DBC_ERROR;
	sql = dbc_printf(ctx, "DELETE FROM %s" BOOK " WHERE name = $1", ctx->host->book_prefix);
	if (!sql || ctx->host->query(ctx, sql, 1, &p, NULL, NULL) != DBC_OK)
		return DBC_ERROR;
	*dropped = true;
	return DBC_OK;
}

/* ---------------------------------------------------------------- listing */

static int take_listed(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	dbc_rows *out = arg;
	(void)ncol;
	dbc_value row[DBC_RETAIN_POLICY_NCOLS] = {
	    c[0],
	    dbc_text(dbc_qualified_name(ctx, c[1].type == DBC_TEXT ? c[1].s : NULL, c[2].s)),
	    c[3],
	    c[4],
	    c[5],
	    c[7].type != DBC_TEXT ? dbc_null()
	    : c[6].type == DBC_TEXT && strcmp(c[6].s, DBC_RETAIN_ARCHIVE_DB) == 0
	        ? dbc_text(dbc_printf(ctx, DBC_RETAIN_ARCHIVE_DB_PREFIX "%s", c[7].s))
	        : dbc_text(dbc_qualified_name(ctx, c[6].type == DBC_TEXT ? c[6].s : NULL, c[7].s)),
	    c[8],
	    c[9],
	    c[10]};
	return dbc_rows_add(out, row);
}

int dbc_retain_policy_rows(dbc_ctx *ctx, dbc_rows *out)
{
	dbc_rows_init(out, ctx, DBC_RETAIN_POLICY_NCOLS);
	bool readable;
	if (book_readable(ctx, &readable) != DBC_OK)
		return DBC_ERROR;
	if (!readable)
		return DBC_OK;
	char *sql = dbc_printf(ctx,
	                       "SELECT name, table_schema, table_name, column_name, keep, action, "
	                       "target_schema, target_name, archived_rows, deleted_rows, "
	                       "CAST(last_run_at AS text) FROM %s" BOOK " ORDER BY name",
	                       ctx->host->book_prefix);
	return sql ? ctx->host->query(ctx, sql, 0, NULL, take_listed, out) : DBC_ERROR;
}

/* -------------------------------------------------------------- resolving */

/* The table of the model a policy names (its stored, canonical names),
 * matched without regard to case where the engine's names fold. */
static const dbc_table *model_table(const dbc_ctx *ctx, const dbc_schema *s, const dbc_policy *p)
{
	const dbc_table *t = dbc_schema_find_table(s, p->table_schema, p->table_name);
	for (int i = 0; !t && ctx->host->dialect->names_fold_case && i < s->ntables; i++)
		if (dbc_retain_same_name(ctx, s->tables[i].schema, p->table_schema) &&
		    strcasecmp(s->tables[i].name, p->table_name) == 0)
			t = &s->tables[i];
	return t;
}

char *dbc_policy_gone(dbc_ctx *ctx, const dbc_schema *s, const dbc_policy *p)
{
	const char *prefix = ctx->host->book_name_prefix;
	char *display = dbc_qualified_name(ctx, p->table_schema, p->table_name);
	if (!display || strncmp(display, prefix, strlen(prefix)) == 0)
		return NULL; /* dbcare's own tables are read by the engine (own_table) */
	const dbc_table *t = model_table(ctx, s, p);
	if (!t)
		return dbc_printf(ctx,
		                  "its table %s does not exist (dropped or renamed since the "
		                  "policy was added)",
		                  display);
	if (!dbc_retain_find_column(ctx, t, p->column))
		return dbc_printf(ctx,
		                  "its age column \"%s\" does not exist in table %s (dropped or "
		                  "renamed since the policy was added)",
		                  p->column, display);
	return NULL;
}

int dbc_policy_resolve(dbc_ctx *ctx, const dbc_retain_hooks *eng, const dbc_schema *s,
                       const dbc_policy *p, bool value, dbc_policy_ctx *out)
{
	memset(out, 0, sizeof(*out));
	out->p = p;
	char *display = dbc_qualified_name(ctx, p->table_schema, p->table_name);
	if (!display)
		return DBC_ERROR;
	/* a policy names its table and column by name: one gone since is the
	 * policy's trouble, said with its name (no argument of the call named
	 * the table) */
	char *gone = dbc_policy_gone(ctx, s, p);
	if (gone) {
		dbc_error(ctx, DBC_SQLSTATE_BAD_STATE, "retention policy \"%s\": %s", p->name, gone);
		dbc_error_hint(ctx,
		               "Drop the policy (dbretain_drop('%s')), or drop it and add it again "
		               "for the table and column as they are named now.",
		               p->name);
		return DBC_ERROR;
	}
	if (ctx->failed || find_source(ctx, eng, s, display, &out->t) != DBC_OK)
		return DBC_ERROR;
	out->qt = dbc_quoted_name(ctx, out->t->schema, out->t->name);
	out->qc = ctx->host->quote_ident(ctx, p->column);
	if (dbc_retain_row_id(ctx, out->t, &out->row_id) != DBC_OK)
		return DBC_ERROR;
	if (p->action == DBC_RETAIN_ARCHIVE && !dbc_retain_external(p))
		out->qtarget = dbc_quoted_name(ctx, p->target_schema, p->target_name);
	if (dbc_retain_blockers(ctx, eng, s, out->t, &out->unblocked, &out->blocked, &out->blocker_keys,
	                        &out->nblockers) != DBC_OK)
		return DBC_ERROR;

	dbc_interval iv;
	if (dbc_interval_parse(ctx, p->keep, "keep", &iv) != DBC_OK)
		return DBC_ERROR;
	/* the oldest value shows the form dates are stored in */
	char *sample = dbc_printf(ctx, "(SELECT min(o.%s) FROM %s%s AS o)", out->qc,
	                          dbc_retain_only(ctx), out->qt);
	out->cutoff_sql = sample ? eng->cutoff_sql(ctx, &iv, sample) : NULL;
	char *age = dbc_printf(ctx, "s.%s", out->qc);
	out->due_now = dbc_retain_before(ctx, eng, age, out->cutoff_sql);
	out->due = dbc_retain_before(ctx, eng, age,
	                             eng->param_as(ctx, 1, ctx->host->dialect->time_param_type));
	if (!out->cutoff_sql || !out->due_now || !out->due)
		return DBC_ERROR;
	if (!value)
		return DBC_OK;
	char *text = dbc_retain_time_text(ctx, eng, out->cutoff_sql);
	char *sql = text ? dbc_printf(ctx, "SELECT %s", text) : NULL;
	if (!sql || dbc_query_text(ctx, sql, 0, NULL, &out->cutoff, NULL) != DBC_OK)
		return DBC_ERROR;
	return ctx->failed ? DBC_ERROR : DBC_OK;
}
