/*
 * rename_log.c — the renames and drops the migration runner saw (see
 * rename_log.h). Each row names the object as the statement did and the
 * identity the engine gives it (dialect object_identity): under its new
 * name for a rename, as it was just before for a drop.
 *
 * Invariant of dbc_rename_log_formers: a name is reported as a live
 * object's former name only when a chain of logged renames leads from it
 * to the object's live name, no logged drop cut the chain since, and the
 * object's identity now equals the one recorded with the chain's last
 * rename. An object dropped and made again under the same name, by a
 * migration or by hand, has another identity, so a name is never carried
 * over to a different object; a rename the runner did not see (by hand, or
 * run by a shell from dbmigrate_script) breaks the chain: no former name,
 * never a wrong one.
 */
#include "migrate/lint.h"
#include "migrate/migrate_store.h"
#include "migrate/rename_log.h"
#include "schema/schema.h"

#include <string.h>
#include <strings.h>

typedef struct dbc_rename_pending {
	bool drop;
	char *schema; /* as written, NULL when not */
	char *table, *column, *new_name;
	char *identity, *resolved; /* drops: looked up before the statement */
} pending;

/* ------------------------------------------------------------ identity */

typedef struct identity_rows {
	dbc_ctx *ctx;
	int n;
	char *identity, *schema;
} identity_rows;

static int take_identity(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	identity_rows *r = arg;
	if (++r->n > 1 || ncol < 2)
		return DBC_OK;
	r->identity = dbc_mig_text(ctx, &c[0]);
	r->schema = dbc_mig_text(ctx, &c[1]);
	return DBC_OK;
}

/* The identity of schema.table (column) and the schema it is in; both NULL
 * when there is no such object, it is ambiguous or the engine has no
 * identity. An unqualified name is looked for where the caller's session
 * looks (host name_path), else in the whole database (one match only). */
static int identity_of(dbc_ctx *ctx, const char *schema, const char *table, const char *column,
                       char **identity, char **resolved)
{
	const char *sql = ctx->host->dialect->object_identity;
	*identity = *resolved = NULL;
	if (!sql)
		return DBC_OK;
	char **path = !schema && ctx->host->name_path ? ctx->host->name_path(ctx) : NULL;
	const char *one[] = {schema ? schema : "", NULL};
	for (char **s = path ? path : (char **)one; *s; s++) {
		identity_rows r = {.ctx = ctx};
		dbc_value p[3] = {dbc_text(*s), dbc_text(table), dbc_text(column ? column : "")};
		if (ctx->host->query(ctx, sql, 3, p, take_identity, &r) != DBC_OK)
			return DBC_ERROR;
		if (r.n == 1) {
			*identity = r.identity;
			*resolved = r.schema;
			return DBC_OK;
		}
		if (r.n > 1)
			return DBC_OK;
	}
	return DBC_OK;
}

/* ------------------------------------------------------------ recording */

/* Whether text holds RENAME or DROP in any case: one pass, a byte compare
 * per character (every statement of every applied migration passes here). */
static bool renames_or_drops(const char *text, size_t len)
{
	for (size_t i = 0; i + 4 <= len; i++) {
		char c = (char)(text[i] | 0x20);
		if (c == 'd' && strncasecmp(text + i, "drop", 4) == 0)
			return true;
		if (c == 'r' && i + 6 <= len && strncasecmp(text + i, "rename", 6) == 0)
			return true;
	}
	return false;
}

static bool may_log(dbc_ctx *ctx, const char *text, size_t len)
{
	return ctx->host->dialect->object_identity && renames_or_drops(text, len);
}

int dbc_rename_log_prepare(dbc_ctx *ctx, const char *script)
{
	return script && may_log(ctx, script, strlen(script)) ? dbc_book_ensure_part(ctx, "renames")
	                                                      : DBC_OK;
}

/* dbcare's own tables are not followed (a migration must not touch them;
 * the runner's bookkeeping reports one that does). */
static bool own_table(dbc_ctx *ctx, const char *schema, const char *table)
{
	const char *prefix = ctx->host->book_prefix;
	char *q = dbc_printf(ctx, "%s.%s", schema ? schema : "", table);
	return !q || strncasecmp(q, prefix, strlen(prefix)) == 0;
}

int dbc_rename_log_before(dbc_ctx *ctx, const char *text, size_t len, dbc_rename_note *out)
{
	out->items = NULL;
	out->n = 0;
	if (!may_log(ctx, text, len))
		return DBC_OK;
	dbc_lint_actions acts = {0};
	if (dbc_lint_classify(ctx, NULL, text, len, &acts) != DBC_OK)
		return DBC_ERROR;
	int cap = 0;
	for (int i = 0; i < acts.n; i++) {
		const dbc_lint_action *a = &acts.items[i];
		bool drop = a->op == DBC_LOP_DROP_TABLE || a->op == DBC_LOP_DROP_COLUMN;
		bool column = a->op == DBC_LOP_RENAME_COLUMN || a->op == DBC_LOP_DROP_COLUMN;
		if (!drop && a->op != DBC_LOP_RENAME_TABLE && a->op != DBC_LOP_RENAME_COLUMN)
			continue;
		if (!a->table || (column && !a->column) || (!drop && !a->new_name))
			continue;
		if (dbc_grow(ctx, &out->items, out->n, &cap, sizeof(pending), 2) != DBC_OK)
			return DBC_ERROR;
		pending *p = &out->items[out->n++];
		*p = (pending){.drop = drop,
		               .schema = a->schema,
		               .table = a->table,
		               .column = column ? a->column : NULL,
		               .new_name = drop ? NULL : a->new_name};
		if (drop &&
		    identity_of(ctx, p->schema, p->table, p->column, &p->identity, &p->resolved) != DBC_OK)
			return DBC_ERROR;
	}
	return DBC_OK;
}

static const char insert_sql[] =
    "INSERT INTO @migrations_renames (version, direction, op, schema_name, table_name, "
    "column_name, new_name, identity) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

static dbc_value text_or_null(const char *s)
{
	return s ? dbc_text(s) : dbc_null();
}

/* A role that may apply migrations but not write the log (granted before
 * the log existed) applies them still: the row is left out, with a warning
 * saying what the generator will not know. */
static int insert_row(dbc_ctx *ctx, const dbc_value *v)
{
	int level = ctx->host->savepoint(ctx);
	if (level < 0)
		return DBC_ERROR;
	if (dbc_mig_query(ctx, insert_sql, 8, v, NULL, NULL) == DBC_OK)
		return ctx->host->release(ctx, level);
	if (strcmp(ctx->sqlstate, DBC_SQLSTATE_PRIVILEGE) != 0)
		return DBC_ERROR;
	dbc_error_clear(ctx);
	if (ctx->host->rollback(ctx, level) != DBC_OK || ctx->failed)
		return DBC_ERROR;
	dbc_warning(ctx,
	            "GRANT SELECT, INSERT ON the rename log and USAGE on its sequence to the role "
	            "that applies migrations (docs/migrations.md, the migrator role).",
	            "the %s of %s.%s%s%s is not logged: this role may not write dbcare's rename "
	            "log, so the generator will not follow it",
	            v[2].s, v[3].s, v[4].s, v[5].type == DBC_TEXT ? "." : "",
	            v[5].type == DBC_TEXT ? v[5].s : "");
	return DBC_OK;
}

int dbc_rename_log_after(dbc_ctx *ctx, const dbc_rename_source *src, const dbc_rename_note *note)
{
	if (!src || !note->n)
		return DBC_OK;
	for (int i = 0; i < note->n; i++) {
		pending *p = &note->items[i];
		if (!p->drop) {
			/* the object under its new name: a column keeps its table's */
			const char *table = p->column ? p->table : p->new_name;
			if (identity_of(ctx, p->schema, table, p->column ? p->new_name : NULL, &p->identity,
			                &p->resolved) != DBC_OK)
				return DBC_ERROR;
		}
		if (!p->identity || own_table(ctx, p->resolved, p->table))
			continue; /* not a table here (a view, a temporary table), ambiguous, or dbcare's */
		dbc_value v[8] = {text_or_null(src->version),
		                  dbc_text(src->direction),
		                  dbc_text(p->drop ? "drop" : "rename"),
		                  dbc_text(p->resolved),
		                  dbc_text(p->table),
		                  text_or_null(p->column),
		                  text_or_null(p->new_name),
		                  dbc_text(p->identity)};
		if (insert_row(ctx, v) != DBC_OK)
			return DBC_ERROR;
	}
	return DBC_OK;
}

/* ------------------------------------------------------------ reading */

/* One object followed through the log: its names, oldest first, the last
 * its name now. */
typedef struct chain {
	bool column;
	bool cut;
	char *schema;
	char *table; /* a column's table, by the name it has now */
	dbc_strlist names;
	char *identity; /* recorded with the last rename */
	char *version;
} chain;

typedef struct log_read {
	dbc_ctx *ctx;
	bool fold; /* names match without regard to case */
	chain *items;
	int n, cap;
} log_read;

static bool same(const log_read *r, const char *a, const char *b)
{
	return a && b && (r->fold ? strcasecmp(a, b) == 0 : strcmp(a, b) == 0);
}

static const char *now_name(const chain *c)
{
	return c->names.items[c->names.n - 1];
}

/* The live chain of the table (column NULL) or column named so now. */
static chain *find(log_read *r, const char *schema, const char *table, const char *column)
{
	for (int i = r->n - 1; i >= 0; i--) {
		chain *c = &r->items[i];
		if (c->cut || c->column != (column != NULL) || !same(r, c->schema, schema))
			continue;
		if (column ? same(r, c->table, table) && same(r, now_name(c), column)
		           : same(r, now_name(c), table))
			return c;
	}
	return NULL;
}

static int take_row(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *v)
{
	log_read *r = arg;
	if (ncol < 7)
		return DBC_OK;
	char *op = dbc_mig_text(ctx, &v[0]), *schema = dbc_mig_text(ctx, &v[1]);
	char *table = dbc_mig_text(ctx, &v[2]), *column = dbc_mig_text(ctx, &v[3]);
	char *new_name = dbc_mig_text(ctx, &v[4]);
	if (!op || !schema || !table)
		return DBC_OK;
	chain *c = find(r, schema, table, column);
	if (strcmp(op, "drop") == 0) {
		if (c)
			c->cut = true;
		for (int i = 0; !column && i < r->n; i++)
			if (r->items[i].column && same(r, r->items[i].schema, schema) &&
			    same(r, r->items[i].table, table))
				r->items[i].cut = true;
		return DBC_OK;
	}
	char *identity = dbc_mig_text(ctx, &v[5]);
	if (!new_name || !identity)
		return DBC_OK;
	/* a rename keeps the identity: another one means the name went to
	 * another object unseen since (dropped and made again by hand) */
	if (c && c->identity && strcmp(c->identity, identity) != 0) {
		c->cut = true;
		c = NULL;
	}
	if (!c) {
		if (dbc_grow(ctx, &r->items, r->n, &r->cap, sizeof(chain), 8) != DBC_OK)
			return DBC_ERROR;
		c = &r->items[r->n++];
		*c = (chain){.column = column != NULL, .schema = schema, .table = table};
		if (dbc_strlist_add(ctx, &c->names, column ? column : table) != DBC_OK)
			return DBC_ERROR;
	}
	if (dbc_strlist_add(ctx, &c->names, new_name) != DBC_OK)
		return DBC_ERROR;
	c->identity = identity;
	c->version = dbc_mig_text(ctx, &v[6]);
	/* a table's columns follow it to its new name */
	for (int i = 0; !column && i < r->n; i++)
		if (r->items[i].column && !r->items[i].cut && same(r, r->items[i].schema, schema) &&
		    same(r, r->items[i].table, table))
			r->items[i].table = new_name;
	return DBC_OK;
}

static int add_former(dbc_ctx *ctx, dbc_former_names *out, const chain *c, const char *former)
{
	if (dbc_grow(ctx, &out->items, out->n, &out->cap, sizeof(dbc_former_name), 8) != DBC_OK)
		return DBC_ERROR;
	out->items[out->n++] = (dbc_former_name){.schema = c->schema,
	                                         .table = c->column ? c->table : now_name(c),
	                                         .column = c->column ? now_name(c) : NULL,
	                                         .former = former,
	                                         .version = c->version};
	return DBC_OK;
}

int dbc_rename_log_formers(dbc_ctx *ctx, dbc_former_names *out)
{
	log_read r = {.ctx = ctx, .fold = ctx->host->dialect->names_fold_case};
	if (!ctx->host->dialect->object_identity ||
	    (ctx->host->book_has_column &&
	     !ctx->host->book_has_column(ctx, "dbcare_migrations_renames", "identity")))
		return DBC_OK;
	/* a caller without the right to read dbcare's tables gets no former
	 * names (every drop is then refused as without the log), not an error */
	int level = ctx->host->savepoint(ctx);
	if (level < 0)
		return DBC_ERROR;
	if (dbc_mig_query(ctx,
	                  "SELECT op, schema_name, table_name, column_name, new_name, identity, "
	                  "version FROM @migrations_renames ORDER BY id",
	                  0, NULL, take_row, &r) != DBC_OK) {
		if (strcmp(ctx->sqlstate, DBC_SQLSTATE_PRIVILEGE) != 0)
			return DBC_ERROR;
		dbc_error_clear(ctx);
		return ctx->host->rollback(ctx, level) != DBC_OK || ctx->failed ? DBC_ERROR : DBC_OK;
	}
	if (ctx->host->release(ctx, level) != DBC_OK)
		return DBC_ERROR;
	for (int i = 0; i < r.n; i++) {
		const chain *c = &r.items[i];
		if (c->cut || !c->identity)
			continue;
		char *identity, *schema;
		if (identity_of(ctx, c->schema, c->column ? c->table : now_name(c),
		                c->column ? now_name(c) : NULL, &identity, &schema) != DBC_OK)
			return DBC_ERROR;
		if (!identity || strcmp(identity, c->identity) != 0)
			continue;
		for (int k = c->names.n - 2; k >= 0; k--)
			if (!same(&r, c->names.items[k], now_name(c)) &&
			    add_former(ctx, out, c, c->names.items[k]) != DBC_OK)
				return DBC_ERROR;
	}
	return DBC_OK;
}
