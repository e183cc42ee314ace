/*
 * rename_log.c — the renames and drops the migration runner saw (see
 * rename_log.h). Each row names the object as the statement did, in the
 * schema its name resolved to, with the identity the engine gives it
 * (dialect object_identity).
 *
 * Recording: the statement's object is found before it runs, as the
 * engine resolves its name (the temporary schema first, then the caller's
 * path, or the schema written); only an ordinary table of a followed
 * schema (or its column) has an identity. A rename is logged only when,
 * afterwards, that schema holds the new name with the same identity (a
 * rename keeps it), so what is logged is the object the statement renamed,
 * never another one that happens to bear the new name.
 *
 * Invariant of dbc_rename_log_formers: a name is reported as a live
 * object's former name only when a chain of logged renames, each written
 * by a role the caller trusts, leads from it to the object's live name, no
 * logged drop cut the chain since, every rename of the chain kept the
 * identity, and the object's identity now is the one recorded. A rename
 * the runner did not see (by hand, or run by a shell from
 * dbmigrate_script) breaks the chain: no former name, never a wrong one,
 * as far as the engine's identity tells objects apart (SQLite's cannot
 * tell a column dropped and added again at the same position: see
 * docs/schema-as-code.md).
 */
#include "migrate/lint.h"
#include "migrate/migrate_store.h"
#include "migrate/migrate_trust.h"
#include "migrate/rename_log.h"
#include "schema/ddl_lex.h"
#include "schema/schema.h"
#include "settings/settings.h"

#include <string.h>
#include <strings.h>

typedef struct dbc_rename_pending {
	bool drop;
	/* a rename or drop whose names could not be read: what is known of the
	 * object loses its history (table NULL: every object's) */
	bool forget;
	char *table, *column, *new_name;
	char *identity, *schema; /* the object's, found before the statement ran */
} pending;

/* ------------------------------------------------------------ identity */

typedef struct identity_rows {
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

/* Asks one schema ('' the temporary one); *found when it holds a relation
 * named table. */
static int ask(dbc_ctx *ctx, const char *schema, const char *table, const char *column, bool *found,
               char **identity, char **resolved)
{
	identity_rows r = {0};
	dbc_value p[3] = {dbc_text(schema), dbc_text(table), dbc_text(column ? column : "")};
	if (ctx->host->query(ctx, ctx->host->dialect->object_identity, 3, p, take_identity, &r) !=
	    DBC_OK)
		return DBC_ERROR;
	*found = r.n == 1;
	if (*found) {
		*identity = r.identity;
		*resolved = r.schema;
	}
	return DBC_OK;
}

static bool listed(char **path, const char *name)
{
	for (char **s = path; s && *s; s++)
		if (strcmp(*s, name) == 0)
			return true;
	return false;
}

/* The identity of the relation table (its column) names and the schema it
 * is in: the schema written, else the first of the temporary schema (unless
 * the path places it) and the caller's path (host name_path, or the
 * dialect's default schema) holding a relation of that name, as the engine
 * resolves it. *identity NULL: none, or not one that is followed. */
static int identity_of(dbc_ctx *ctx, const char *schema, const char *table, const char *column,
                       char **identity, char **resolved)
{
	*identity = *resolved = NULL;
	if (!ctx->host->dialect->object_identity)
		return DBC_OK;
	bool found = false;
	if (schema)
		return ask(ctx, schema, table, column, &found, identity, resolved);
	char **path = ctx->host->name_path ? ctx->host->name_path(ctx) : NULL;
	const char *plain[] = {ctx->host->dialect->default_schema, NULL};
	if (!listed(path, "pg_temp") && ask(ctx, "", table, column, &found, identity, resolved))
		return DBC_ERROR;
	for (char **s = path ? path : (char **)plain; !found && *s; s++)
		if (ask(ctx, strcmp(*s, "pg_temp") == 0 ? "" : *s, table, column, &found, identity,
		        resolved) != DBC_OK)
			return DBC_ERROR;
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
 * the runner's bookkeeping reports one that does): their names begin with
 * the bookkeeping prefix, qualified ("dbcare.") or not ("dbcare_"). */
static bool own_table(dbc_ctx *ctx, const char *schema, const char *table)
{
	const char *prefix = ctx->host->book_prefix;
	size_t n = strlen(prefix);
	char *q = dbc_printf(ctx, "%s.%s", schema, table);
	return !q || strncasecmp(q, prefix, n) == 0 || strncasecmp(table, prefix, n) == 0;
}

/* Whether text begins with ALTER TABLE or DROP TABLE. */
static bool alters_or_drops_a_table(const char *text)
{
	const char *p = text;
	dbc_token a = dbc_lex_next(&p), b = dbc_lex_next(&p);
	return (dbc_lex_is_word(a, "ALTER") || dbc_lex_is_word(a, "DROP")) &&
	       dbc_lex_is_word(b, "TABLE");
}

static int add_pending(dbc_ctx *ctx, dbc_rename_note *out, int *cap, const pending *p)
{
	if (dbc_grow(ctx, &out->items, out->n, cap, sizeof(pending), 2) != DBC_OK)
		return DBC_ERROR;
	out->items[out->n++] = *p;
	return DBC_OK;
}

int dbc_rename_log_before(dbc_ctx *ctx, const char *text, size_t len, dbc_rename_note *out)
{
	out->items = NULL;
	out->n = 0;
	if (!may_log(ctx, text, len))
		return DBC_OK;
	dbc_lint_actions acts = {0};
	char *stmt = dbc_strndup(ctx, text, len);
	if (!stmt || dbc_lint_classify(ctx, NULL, text, len, &acts) != DBC_OK)
		return DBC_ERROR;
	int cap = 0;
	/* a table statement the classifier could not read at all (a syntax it
	 * does not know) may have renamed or dropped anything */
	if (!acts.n && alters_or_drops_a_table(stmt))
		return add_pending(ctx, out, &cap, &(pending){.forget = true});
	for (int i = 0; i < acts.n; i++) {
		const dbc_lint_action *a = &acts.items[i];
		bool drop = a->op == DBC_LOP_DROP_TABLE || a->op == DBC_LOP_DROP_COLUMN;
		bool column = a->op == DBC_LOP_RENAME_COLUMN || a->op == DBC_LOP_DROP_COLUMN;
		if (!drop && a->op != DBC_LOP_RENAME_TABLE && a->op != DBC_LOP_RENAME_COLUMN)
			continue;
		if (!a->table || (column && !a->column) || (!drop && !a->new_name)) {
			pending p = {.forget = true, .table = a->table};
			if (a->table &&
			    identity_of(ctx, a->schema, a->table, NULL, &p.identity, &p.schema) != DBC_OK)
				return DBC_ERROR;
			if (a->table && !p.schema)
				continue; /* no such table where the name leads: nothing to forget */
			if (add_pending(ctx, out, &cap, &p) != DBC_OK)
				return DBC_ERROR;
			continue;
		}
		pending p = {.drop = drop,
		             .table = a->table,
		             .column = column ? a->column : NULL,
		             .new_name = drop ? NULL : a->new_name};
		if (identity_of(ctx, a->schema, p.table, p.column, &p.identity, &p.schema) != DBC_OK)
			return DBC_ERROR;
		if (!p.identity || own_table(ctx, p.schema, p.table))
			continue; /* a view, a temporary or attached table, no such one, or dbcare's */
		if (add_pending(ctx, out, &cap, &p) != DBC_OK)
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
	            "the %s of %s%s%s%s%s is not logged: this role may not write dbcare's rename "
	            "log, so the generator will not follow it",
	            v[2].s, v[3].type == DBC_TEXT ? v[3].s : "", v[3].type == DBC_TEXT ? "." : "",
	            v[4].s, v[5].type == DBC_TEXT ? "." : "", v[5].type == DBC_TEXT ? v[5].s : "");
	return DBC_OK;
}

int dbc_rename_log_after(dbc_ctx *ctx, const dbc_rename_source *src, const dbc_rename_note *note)
{
	if (!src || !note->n)
		return DBC_OK;
	for (int i = 0; i < note->n; i++) {
		const pending *p = &note->items[i];
		if (p->forget) {
			/* the table's history ends; every table's where table is '*' */
			dbc_value v[8] = {text_or_null(src->version),
			                  dbc_text(src->direction),
			                  dbc_text("forget"),
			                  text_or_null(p->table ? p->schema : NULL),
			                  dbc_text(p->table ? p->table : "*"),
			                  dbc_null(),
			                  dbc_null(),
			                  dbc_null()};
			if (insert_row(ctx, v) != DBC_OK)
				return DBC_ERROR;
			continue;
		}
		if (!p->drop) {
			/* the same object under its new name, in its schema */
			char *now = NULL, *schema = NULL;
			if (identity_of(ctx, p->schema, p->column ? p->table : p->new_name,
			                p->column ? p->new_name : NULL, &now, &schema) != DBC_OK)
				return DBC_ERROR;
			if (!now || strcmp(now, p->identity) != 0)
				continue;
		}
		dbc_value v[8] = {text_or_null(src->version),
		                  dbc_text(src->direction),
		                  dbc_text(p->drop ? "drop" : "rename"),
		                  dbc_text(p->schema),
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
 * its name now; by[k] says which migration gave names[k] (k >= 1). */
typedef struct chain {
	bool column;
	bool cut;
	char *schema;
	char *table; /* a column's table, by the name it has now */
	dbc_strlist names, by;
	char *identity; /* every rename of the chain kept it */
} chain;

typedef struct log_read {
	const dbc_migrate_hooks *env;
	bool fold;         /* names match without regard to case */
	const char *asked; /* the last writer whose trust was asked, and the answer */
	bool asked_trusted;
	char *trusted_list; /* migrate.trusted_registrants */
	int64_t untrusted;  /* rows left out: written by a role the caller does not trust */
	int64_t unproved;   /* rows left out: their migration's script makes no such rename */
	chain *items;
	int n, cap;
	struct log_row *rows; /* as read, in order; followed once the read is over */
	int nrows, caprows;
} log_read;

/* A row of the log, as read. */
typedef struct log_row {
	char *op, *schema, *table, *column, *new_name, *identity, *version, *direction, *writer;
	char *script; /* the registered script of the row's migration and direction, or NULL */
} log_row;

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

/* Whether a row written by role who counts: as a migration registered by
 * it would run (migrate_trust.h); everyone where the engine has no roles. */
static int trusted(dbc_ctx *ctx, log_read *r, const char *who, bool *yes)
{
	*yes = true;
	if (!r->env || !r->env->registrant_rights)
		return DBC_OK;
	if (!who) {
		*yes = false;
		return DBC_OK;
	}
	if (!(r->asked && strcmp(r->asked, who) == 0)) {
		if (dbc_mig_trusts(ctx, r->env, who, r->trusted_list, &r->asked_trusted) != DBC_OK)
			return DBC_ERROR;
		r->asked = who;
	}
	*yes = r->asked_trusted;
	return DBC_OK;
}

static int take_row(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *v)
{
	log_read *r = arg;
	if (ncol < 10)
		return DBC_OK;
	if (dbc_grow(ctx, &r->rows, r->nrows, &r->caprows, sizeof(log_row), 16) != DBC_OK)
		return DBC_ERROR;
	r->rows[r->nrows++] =
	    (log_row){dbc_mig_text(ctx, &v[0]), dbc_mig_text(ctx, &v[1]), dbc_mig_text(ctx, &v[2]),
	              dbc_mig_text(ctx, &v[3]), dbc_mig_text(ctx, &v[4]), dbc_mig_text(ctx, &v[5]),
	              dbc_mig_text(ctx, &v[6]), dbc_mig_text(ctx, &v[7]), dbc_mig_text(ctx, &v[8]),
	              dbc_mig_text(ctx, &v[9])};
	return DBC_OK;
}

/* Follows one row: a drop cuts, a rename extends or starts a chain. */
static int follow(dbc_ctx *ctx, log_read *r, const log_row *w)
{
	char *op = w->op, *schema = w->schema, *table = w->table, *column = w->column;
	char *new_name = w->new_name, *identity = w->identity;
	char *version = w->version, *direction = w->direction;
	bool yes;
	if (!op || !table)
		return DBC_OK;
	/* a forget cuts whatever any writer says: it can only lose history */
	if (strcmp(op, "forget") == 0) {
		bool all = strcmp(table, "*") == 0;
		for (int i = 0; i < r->n; i++) {
			chain *c = &r->items[i];
			if (all ||
			    (same(r, c->schema, schema) && same(r, c->column ? c->table : now_name(c), table)))
				c->cut = true;
		}
		return DBC_OK;
	}
	if (!schema)
		return DBC_OK;
	if (trusted(ctx, r, w->writer, &yes) != DBC_OK)
		return DBC_ERROR;
	if (!yes) {
		r->untrusted++;
		return DBC_OK;
	}
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
	if (!new_name || !identity)
		return DBC_OK;
	/* a rename counts when its migration's script made it (rename_verify.c) */
	if (dbc_rename_in_script(ctx, w->script, schema, table, column, new_name, &yes) != DBC_OK)
		return DBC_ERROR;
	if (!yes) {
		r->unproved++;
		return DBC_OK;
	}
	/* a rename keeps the identity: another one means the name went to
	 * another object unseen since (dropped and made again by hand) */
	if (c && strcmp(c->identity, identity) != 0) {
		c->cut = true;
		c = NULL;
	}
	if (!c) {
		if (dbc_grow(ctx, &r->items, r->n, &r->cap, sizeof(chain), 8) != DBC_OK)
			return DBC_ERROR;
		c = &r->items[r->n++];
		*c = (chain){.column = column != NULL, .schema = schema, .table = table};
		if (dbc_strlist_add(ctx, &c->names, column ? column : table) != DBC_OK ||
		    dbc_strlist_add(ctx, &c->by, "") != DBC_OK)
			return DBC_ERROR;
	}
	const char *by = direction && strcmp(direction, "down") == 0
	                     ? dbc_printf(ctx, "%s (its down script)", version ? version : "?")
	                     : (version ? version : "?");
	if (dbc_strlist_add(ctx, &c->names, new_name) != DBC_OK ||
	    dbc_strlist_add(ctx, &c->by, by) != DBC_OK)
		return DBC_ERROR;
	c->identity = identity;
	/* a table's columns follow it to its new name */
	for (int i = 0; !column && i < r->n; i++)
		if (r->items[i].column && !r->items[i].cut && same(r, r->items[i].schema, schema) &&
		    same(r, r->items[i].table, table))
			r->items[i].table = new_name;
	return DBC_OK;
}

/* names[k] of c as a former name, with the migrations that took it to the
 * live name. */
static int add_former(dbc_ctx *ctx, dbc_former_names *out, const chain *c, int k)
{
	dbc_strlist by = {0};
	for (int i = k + 1; i < c->names.n; i++)
		if (dbc_strlist_add(ctx, &by, c->by.items[i]) != DBC_OK)
			return DBC_ERROR;
	if (dbc_grow(ctx, &out->items, out->n, &out->cap, sizeof(dbc_former_name), 8) != DBC_OK)
		return DBC_ERROR;
	out->items[out->n++] = (dbc_former_name){.schema = c->schema,
	                                         .table = c->column ? c->table : now_name(c),
	                                         .column = c->column ? now_name(c) : NULL,
	                                         .former = c->names.items[k],
	                                         .by = dbc_strlist_join(ctx, &by, ", ")};
	return out->items[out->n - 1].by ? DBC_OK : DBC_ERROR;
}

/* The log's rows in order, each with its writer and the registered script
 * of its migration (a repeatable one's by its name) in its direction. */
#define ROWS_SQL(writer)                                                                           \
	"SELECT l.op, l.schema_name, l.table_name, l.column_name, l.new_name, l.identity, "            \
	"l.version, l.direction, " writer ", (SELECT CASE WHEN l.direction = 'down' THEN "             \
	"m.down_script ELSE m.script END FROM @migrations m WHERE m.version = l.version OR "           \
	"(m.version IS NULL AND m.name = l.version) ORDER BY m.version IS NULL LIMIT 1) "              \
	"FROM @migrations_renames l ORDER BY l.id"

int dbc_rename_log_formers(dbc_ctx *ctx, const dbc_migrate_hooks *env, dbc_former_names *out)
{
	log_read r = {.env = env, .fold = ctx->host->dialect->names_fold_case};
	if (!ctx->host->dialect->object_identity ||
	    (ctx->host->book_has_column &&
	     !ctx->host->book_has_column(ctx, "dbcare_migrations_renames", "identity")))
		return DBC_OK;
	/* a caller without the right to read dbcare's tables gets no former
	 * names (every drop is then refused as without the log), not an error */
	int level = ctx->host->savepoint(ctx);
	if (level < 0)
		return DBC_ERROR;
	if ((env && env->registrant_rights &&
	     dbc_setting_get(ctx, "migrate.trusted_registrants", &r.trusted_list) != DBC_OK) ||
	    dbc_mig_query(
	        ctx, env && env->registrant_rights ? ROWS_SQL("l.registered_by") : ROWS_SQL("NULL"), 0,
	        NULL, take_row, &r) != DBC_OK) {
		if (strcmp(ctx->sqlstate, DBC_SQLSTATE_PRIVILEGE) != 0)
			return DBC_ERROR;
		dbc_error_clear(ctx);
		return ctx->host->rollback(ctx, level) != DBC_OK || ctx->failed ? DBC_ERROR : DBC_OK;
	}
	if (ctx->host->release(ctx, level) != DBC_OK)
		return DBC_ERROR;
	for (int i = 0; i < r.nrows; i++)
		if (follow(ctx, &r, &r.rows[i]) != DBC_OK)
			return DBC_ERROR;
	if (r.untrusted)
		dbc_warning(ctx,
		            "Name the role in the setting migrate.trusted_registrants, or mark the "
		            "renames with -- dbcare: renamed from OLD.",
		            "%lld row(s) of the rename log were written by roles without your rights and "
		            "are not followed",
		            (long long)r.untrusted);
	if (r.unproved)
		dbc_warning(ctx, "Mark the renames with -- dbcare: renamed from OLD in the desired schema.",
		            "%lld rename(s) of the rename log name a migration whose script makes no such "
		            "rename (a row written by hand, or a migration registered again since) and are "
		            "not followed",
		            (long long)r.unproved);
	for (int i = 0; i < r.n; i++) {
		const chain *c = &r.items[i];
		if (c->cut)
			continue;
		char *identity, *schema;
		if (identity_of(ctx, c->schema, c->column ? c->table : now_name(c),
		                c->column ? now_name(c) : NULL, &identity, &schema) != DBC_OK)
			return DBC_ERROR;
		if (!identity || strcmp(identity, c->identity) != 0)
			continue;
		/* each former name once, with the migrations since it last held it */
		for (int k = c->names.n - 2; k >= 0; k--) {
			bool seen = same(&r, c->names.items[k], now_name(c));
			for (int j = k + 1; !seen && j < c->names.n - 1; j++)
				seen = same(&r, c->names.items[k], c->names.items[j]);
			if (!seen && add_former(ctx, out, c, k) != DBC_OK)
				return DBC_ERROR;
		}
	}
	return DBC_OK;
}
