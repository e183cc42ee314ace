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
#include "base/name_map.h"
#include "migrate/lint.h"
#include "migrate/migrate_store.h"
#include "migrate/migrate_trust.h"
#include "migrate/rename_log.h"
#include "schema/ddl_lex.h"
#include "schema/schema.h"
#include "settings/settings.h"

#include <stdio.h>
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
	r->identity = dbc_migrate_text(ctx, &c[0]);
	r->schema = dbc_migrate_text(ctx, &c[1]);
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
	const char *prefix = ctx->host->book_name_prefix;
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
	/* the log's own write path, open for this statement only */
	if (ctx->host->renames_writer)
		ctx->host->renames_writer(ctx, true);
	int rc = dbc_migrate_query(ctx, insert_sql, 8, v, NULL, NULL);
	if (ctx->host->renames_writer)
		ctx->host->renames_writer(ctx, false);
	if (rc == DBC_OK)
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

/* A table as the log names it: where its column chains hang, so that a
 * table's rename or drop reaches its columns in one step. */
typedef struct holder {
	char *schema, *name; /* its name now */
	int table_chain;     /* the chain of the table's own renames, or -1 */
	int epoch;           /* a forget of every table ends older holders */
	bool gone;           /* dropped or forgotten: its chains are cut */
} holder;

/* One object followed through the log: its names, oldest first, the last
 * its name now; by[k] says which migration gave names[k] (k >= 1). */
typedef struct chain {
	bool column;
	bool cut;
	int holder; /* the table (a column's, or the table's own) */
	dbc_strlist names, by;
	char *identity; /* every rename of the chain kept it */
} chain;

/* Reading is linear in the log: holders and live column chains are found
 * through maps keyed by their names now (folded where names fold), kept
 * up to date at each rename, drop and forget. */
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
	holder *holders;
	int nholders, capholders;
	int epoch;
	dbc_name_map tables;  /* "schema\x1ftable" -> holder */
	dbc_name_map columns; /* "holder\x1fcolumn" -> live column chain */
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

/* A map key: the parts joined, folded where names fold. */
static char *key_of(dbc_ctx *ctx, const log_read *r, const char *a, const char *b)
{
	char *k = dbc_printf(ctx, "%s\x1f%s", a, b);
	for (char *p = k; k && r->fold && *p; p++)
		*p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
	return k;
}

static char *column_key(dbc_ctx *ctx, const log_read *r, int holder, const char *column)
{
	char h[16];
	snprintf(h, sizeof h, "%d", holder);
	return key_of(ctx, r, h, column);
}

static bool live(const log_read *r, const chain *c)
{
	const holder *h = &r->holders[c->holder];
	return !c->cut && !h->gone && h->epoch == r->epoch;
}

/* The holder of the table named so now, or -1. */
static int holder_of(dbc_ctx *ctx, log_read *r, const char *schema, const char *table)
{
	char *k = key_of(ctx, r, schema, table);
	int h = k ? dbc_name_map_get(&r->tables, k) : -1;
	return h >= 0 && !r->holders[h].gone && r->holders[h].epoch == r->epoch ? h : -1;
}

/* The holder of the table named so now, made when there is none. */
static int holder_made(dbc_ctx *ctx, log_read *r, const char *schema, const char *table)
{
	int h = holder_of(ctx, r, schema, table);
	if (h >= 0)
		return h;
	char *k = key_of(ctx, r, schema, table);
	if (!k ||
	    dbc_grow(ctx, &r->holders, r->nholders, &r->capholders, sizeof(holder), 8) != DBC_OK ||
	    dbc_name_map_put(ctx, &r->tables, k, r->nholders) != DBC_OK)
		return -1;
	r->holders[r->nholders] = (holder){
	    .schema = (char *)schema, .name = (char *)table, .table_chain = -1, .epoch = r->epoch};
	return r->nholders++;
}

/* The table's holder ends: its chains are cut, a table of that name
 * later is another one. */
static void end_holder(dbc_ctx *ctx, log_read *r, const char *schema, const char *table)
{
	int h = holder_of(ctx, r, schema, table);
	char *k = key_of(ctx, r, schema, table);
	if (h < 0 || !k)
		return;
	r->holders[h].gone = true;
	dbc_name_map_del(&r->tables, k);
}

/* The live chain of the table (column NULL) or column named so now. */
static chain *find(dbc_ctx *ctx, log_read *r, const char *schema, const char *table,
                   const char *column)
{
	int h = holder_of(ctx, r, schema, table), i = -1;
	if (h < 0)
		return NULL;
	if (!column)
		i = r->holders[h].table_chain;
	else {
		char *k = column_key(ctx, r, h, column);
		i = k ? dbc_name_map_get(&r->columns, k) : -1;
	}
	return i >= 0 && live(r, &r->items[i]) ? &r->items[i] : NULL;
}

/* The table's name now, for a chain. */
static const char *table_of(const log_read *r, const chain *c)
{
	return r->holders[c->holder].name;
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
		if (dbc_migrate_trusts(ctx, r->env, who, r->trusted_list, &r->asked_trusted) != DBC_OK)
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
	r->rows[r->nrows++] = (log_row){dbc_migrate_text(ctx, &v[0]), dbc_migrate_text(ctx, &v[1]),
	                                dbc_migrate_text(ctx, &v[2]), dbc_migrate_text(ctx, &v[3]),
	                                dbc_migrate_text(ctx, &v[4]), dbc_migrate_text(ctx, &v[5]),
	                                dbc_migrate_text(ctx, &v[6]), dbc_migrate_text(ctx, &v[7]),
	                                dbc_migrate_text(ctx, &v[8]), dbc_migrate_text(ctx, &v[9])};
	return DBC_OK;
}

/* c (a column chain) now named name: its key follows. */
static int rekey_column(dbc_ctx *ctx, log_read *r, chain *c, const char *old, const char *name)
{
	char *was = old ? column_key(ctx, r, c->holder, old) : NULL;
	char *k = column_key(ctx, r, c->holder, name);
	if (!k || (old && !was))
		return DBC_ERROR;
	if (was && dbc_name_map_get(&r->columns, was) == (int)(c - r->items))
		dbc_name_map_del(&r->columns, was);
	return dbc_name_map_put(ctx, &r->columns, k, (int)(c - r->items));
}

/* The table of holder h now named name: a table still named so without a
 * logged drop is one the log lost track of, and ends. */
static int rename_holder(dbc_ctx *ctx, log_read *r, int h, const char *name)
{
	holder *t = &r->holders[h];
	char *was = key_of(ctx, r, t->schema, t->name);
	if (!was)
		return DBC_ERROR;
	if (holder_of(ctx, r, t->schema, name) != h)
		end_holder(ctx, r, t->schema, name);
	dbc_name_map_del(&r->tables, was);
	t->name = (char *)name;
	char *k = key_of(ctx, r, t->schema, name);
	return k ? dbc_name_map_put(ctx, &r->tables, k, h) : DBC_ERROR;
}

/* A chain for the object named so, starting at that name. */
static chain *start_chain(dbc_ctx *ctx, log_read *r, const char *schema, const char *table,
                          const char *column)
{
	int h = holder_made(ctx, r, schema, table);
	if (h < 0 || dbc_grow(ctx, &r->items, r->n, &r->cap, sizeof(chain), 8) != DBC_OK)
		return NULL;
	chain *c = &r->items[r->n++];
	*c = (chain){.column = column != NULL, .holder = h};
	if (dbc_strlist_add(ctx, &c->names, column ? column : table) != DBC_OK ||
	    dbc_strlist_add(ctx, &c->by, "") != DBC_OK)
		return NULL;
	if (!column)
		r->holders[h].table_chain = r->n - 1;
	else if (rekey_column(ctx, r, c, NULL, column) != DBC_OK)
		return NULL;
	return c;
}

/* A forget cuts whatever any writer says: it can only lose history. */
static void forget(dbc_ctx *ctx, log_read *r, const char *schema, const char *table)
{
	if (strcmp(table, "*") == 0)
		r->epoch++;
	else if (schema)
		end_holder(ctx, r, schema, table);
	else
		for (int i = 0; i < r->nholders; i++) /* a forget without a schema: rare */
			if (same(r, r->holders[i].name, table))
				r->holders[i].gone = true;
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
	if (strcmp(op, "forget") == 0) {
		forget(ctx, r, schema, table);
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
	chain *c = find(ctx, r, schema, table, column);
	if (strcmp(op, "drop") == 0) {
		if (c)
			c->cut = true;
		if (!column)
			end_holder(ctx, r, schema, table); /* its columns go with it */
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
	if (!c && !(c = start_chain(ctx, r, schema, table, column)))
		return DBC_ERROR;
	const char *by = direction && strcmp(direction, "down") == 0
	                     ? dbc_printf(ctx, "%s (its down script)", version ? version : "?")
	                     : (version ? version : "?");
	const char *old = now_name(c);
	if (dbc_strlist_add(ctx, &c->names, new_name) != DBC_OK ||
	    dbc_strlist_add(ctx, &c->by, by) != DBC_OK)
		return DBC_ERROR;
	c->identity = identity;
	/* a table's columns follow it to its new name (they hang on its holder) */
	return column ? rekey_column(ctx, r, c, old, new_name)
	              : rename_holder(ctx, r, c->holder, new_name);
}

/* names[k] of c as a former name, with the migrations that took it to the
 * live name. */
static int add_former(dbc_ctx *ctx, const log_read *r, dbc_former_names *out, const chain *c, int k)
{
	dbc_strlist by = {0};
	for (int i = k + 1; i < c->names.n; i++)
		if (dbc_strlist_add(ctx, &by, c->by.items[i]) != DBC_OK)
			return DBC_ERROR;
	if (dbc_grow(ctx, &out->items, out->n, &out->cap, sizeof(dbc_former_name), 8) != DBC_OK)
		return DBC_ERROR;
	out->items[out->n++] = (dbc_former_name){.schema = r->holders[c->holder].schema,
	                                         .table = table_of(r, c),
	                                         .column = c->column ? now_name(c) : NULL,
	                                         .former = c->names.items[k],
	                                         .by = dbc_strlist_join(ctx, &by, ", ")};
	return out->items[out->n - 1].by ? DBC_OK : DBC_ERROR;
}

/* Each former name of c once, with the migrations since it last held
 * it: newest first, a name seen later (or the name now) is not again. */
static int add_formers(dbc_ctx *ctx, const log_read *r, dbc_former_names *out, const chain *c)
{
	dbc_name_map seen = {0};
	for (int k = c->names.n - 1; k >= 0; k--) {
		char *key = key_of(ctx, r, "", c->names.items[k]);
		if (!key)
			return DBC_ERROR;
		if (dbc_name_map_get(&seen, key) >= 0)
			continue;
		if (dbc_name_map_put(ctx, &seen, key, k) != DBC_OK ||
		    (k < c->names.n - 1 && add_former(ctx, r, out, c, k) != DBC_OK))
			return DBC_ERROR;
	}
	return DBC_OK;
}

/* The log's rows in order, each with its writer and the registered script
 * of its migration (a repeatable one's by its name) in its direction;
 * each lookup by an index (version's, or the repeatable ones' name's),
 * never a scan of the registry per row. */
#define SCRIPT_OF_ROW "CASE WHEN l.direction = 'down' THEN m.down_script ELSE m.script END"
#define ROWS_SQL(writer)                                                                           \
	"SELECT l.op, l.schema_name, l.table_name, l.column_name, l.new_name, l.identity, "            \
	"l.version, l.direction, " writer ", CASE WHEN EXISTS (SELECT 1 FROM @migrations m "           \
	"WHERE m.version = l.version) THEN (SELECT " SCRIPT_OF_ROW " FROM @migrations m "              \
	"WHERE m.version = l.version) ELSE (SELECT " SCRIPT_OF_ROW " FROM @migrations m "              \
	"WHERE m.kind = 'repeatable' AND m.name = l.version) END "                                     \
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
	    dbc_migrate_query(
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
		if (!live(&r, c))
			continue;
		char *identity, *schema;
		if (identity_of(ctx, r.holders[c->holder].schema, table_of(&r, c),
		                c->column ? now_name(c) : NULL, &identity, &schema) != DBC_OK)
			return DBC_ERROR;
		if (!identity || strcmp(identity, c->identity) != 0)
			continue;
		if (add_formers(ctx, &r, out, c) != DBC_OK)
			return DBC_ERROR;
	}
	return DBC_OK;
}
