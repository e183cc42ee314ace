/*
 * retain_keys.c — the foreign keys referencing a table whose rows
 * retention, soft delete's purge and their plans delete: those that keep
 * referenced rows (ON DELETE NO ACTION or RESTRICT), as SQL a batch leaves
 * them out with; those whose ON DELETE action changes other tables; and the
 * refusals when an action would be lost (an archive's CASCADE, an action
 * the engine does not enforce on this connection). A declared key counts
 * whatever the engine enforces now.
 */
#include "retain/retain_policy.h"

#include <string.h>
#include <strings.h>

/* A declared key protects its rows whether or not the engine enforces it
 * now (SQLite's foreign_keys pragma is off by default, and a PostgreSQL
 * key's triggers may be disabled): retention moves a row only where the
 * engine, enforcing every key, would let it go. */
static bool blocks_delete(const dbc_constraint *c)
{
	return c->kind == DBC_CON_FOREIGN_KEY && !c->declared &&
	       (!c->on_delete || strcasecmp(c->on_delete, "no action") == 0 ||
	        strcasecmp(c->on_delete, "restrict") == 0);
}

bool dbc_retain_fk_cascades(const dbc_constraint *c)
{
	return c->on_delete && strcasecmp(c->on_delete, "cascade") == 0;
}

static bool acts_on_delete(const dbc_constraint *c)
{
	return c->kind == DBC_CON_FOREIGN_KEY && !c->declared && c->on_delete &&
	       (dbc_retain_fk_cascades(c) || strcasecmp(c->on_delete, "set null") == 0 ||
	        strcasecmp(c->on_delete, "set default") == 0);
}

/* fn for each foreign key referencing t that keep() accepts. */
static int each_fk(dbc_ctx *ctx, const dbc_schema *s, const dbc_table *t,
                   bool (*keep)(const dbc_constraint *), dbc_fk_fn fn, void *arg)
{
	for (int i = 0; i < s->ntables; i++) {
		const dbc_table *child = &s->tables[i];
		for (int k = 0; k < child->nconstraints; k++) {
			const dbc_constraint *c = &child->constraints[k];
			if (!keep(c) || !dbc_retain_same_name(ctx, c->ref_table, t->name) ||
			    !dbc_retain_same_name(ctx, c->ref_schema, t->schema))
				continue;
			if (fn(ctx, arg, child, c) != DBC_OK)
				return DBC_ERROR;
		}
	}
	return DBC_OK;
}

int dbc_retain_blocking_fks(dbc_ctx *ctx, const dbc_schema *s, const dbc_table *t, dbc_fk_fn fn,
                            void *arg)
{
	return each_fk(ctx, s, t, blocks_delete, fn, arg);
}

int dbc_retain_acting_fks(dbc_ctx *ctx, const dbc_schema *s, const dbc_table *t, dbc_fk_fn fn,
                          void *arg)
{
	return each_fk(ctx, s, t, acts_on_delete, fn, arg);
}

typedef struct cascade_refusal {
	const dbc_table *parent;
	const dbc_policy *p;
} cascade_refusal;

static int refuse_one(dbc_ctx *ctx, void *arg, const dbc_table *child, const dbc_constraint *c)
{
	cascade_refusal *r = arg;
	if (!dbc_retain_fk_cascades(c))
		return DBC_OK;
	const char *ct = dbc_qualified_name(ctx, child->schema, child->name);
	dbc_error(ctx, DBC_SQLSTATE_BAD_STATE,
	          "retention policy \"%s\": archiving table %s would delete rows of table %s "
	          "without archiving them (foreign key %s is ON DELETE CASCADE)",
	          r->p->name, dbc_qualified_name(ctx, r->parent->schema, r->parent->name), ct,
	          c->name ? c->name : "");
	dbc_error_hint(ctx,
	               "Archive %s first with a policy of its own and make the key ON DELETE "
	               "NO ACTION (rows still referenced are then kept and counted as "
	               "blocked), or use action delete.",
	               ct);
	return DBC_ERROR;
}

int dbc_retain_refuse_cascade(dbc_ctx *ctx, const dbc_schema *s, const dbc_table *t,
                              const dbc_policy *p)
{
	if (p->action != DBC_RETAIN_ARCHIVE)
		return DBC_OK;
	cascade_refusal r = {t, p};
	return dbc_retain_acting_fks(ctx, s, t, refuse_one, &r);
}

typedef struct unenforced_refusal {
	const dbc_table *parent;
	const char *who;
} unenforced_refusal;

static int refuse_unenforced_one(dbc_ctx *ctx, void *arg, const dbc_table *child,
                                 const dbc_constraint *c)
{
	unenforced_refusal *r = arg;
	if (c->enforced)
		return DBC_OK;
	const char *ct = dbc_qualified_name(ctx, child->schema, child->name);
	dbc_error(ctx, DBC_SQLSTATE_BAD_STATE,
	          "%s: foreign key %s of table %s is ON DELETE %s but is not enforced on this "
	          "connection: deleting rows of table %s would leave rows of %s pointing at nothing",
	          r->who, c->name ? c->name : "", ct,
	          dbc_retain_fk_cascades(c)                   ? "CASCADE"
	          : strcasecmp(c->on_delete, "set null") == 0 ? "SET NULL"
	                                                      : "SET DEFAULT",
	          dbc_qualified_name(ctx, r->parent->schema, r->parent->name), ct);
	dbc_error_hint(ctx, "On SQLite run PRAGMA foreign_keys = ON on this connection, outside a "
	                    "transaction (the dbcare retain command does), then call again; on "
	                    "PostgreSQL enable the table's triggers.");
	return DBC_ERROR;
}

int dbc_retain_refuse_unenforced(dbc_ctx *ctx, const dbc_schema *s, const dbc_table *t,
                                 const char *who)
{
	unenforced_refusal r = {t, who};
	return dbc_retain_acting_fks(ctx, s, t, refuse_unenforced_one, &r);
}

typedef struct blocker_sql {
	const dbc_retain_hooks *eng;
	const dbc_table *parent;
	dbc_buf none; /* AND NOT EXISTS ... */
	dbc_buf any;  /* EXISTS ... OR ... */
	int n;
	dbc_blocker_key *keys; /* each key's own EXISTS, in the order of n */
	const char *leaving;   /* the rows of parent the same statement deletes, over alias c */
} blocker_sql;

/* Whether a reference from row c of the parent itself goes with it: the
 * delete takes row c in the same statement, and a key without ON DELETE
 * action (NO ACTION) is checked at the end of the statement, when c is gone
 * too. RESTRICT is checked as each row goes (SQLite) and keeps its rows. */
static const char *leaving_filter(dbc_ctx *ctx, const blocker_sql *b, const dbc_table *child,
                                  const dbc_constraint *c)
{
	bool no_action = !c->on_delete || strcasecmp(c->on_delete, "no action") == 0;
	if (!b->leaving || !no_action || !dbc_retain_same_name(ctx, child->schema, b->parent->schema) ||
	    !dbc_retain_same_name(ctx, child->name, b->parent->name))
		return "";
	return dbc_printf(ctx, " AND NOT (%s)", b->leaving);
}

/* The parent's key columns a foreign key names (its primary key when it
 * names none). */
static const dbc_strlist *parent_columns(const dbc_table *parent, const dbc_constraint *c)
{
	if (c->ref_columns.n > 0)
		return &c->ref_columns;
	for (int i = 0; i < parent->nconstraints; i++)
		if (parent->constraints[i].kind == DBC_CON_PRIMARY_KEY)
			return &parent->constraints[i].columns;
	return &c->ref_columns;
}

/* "row c references row <alias> through key c", compared with "=" where the
 * host writes no key's own operators (SQLite). */
static char *column_match(dbc_ctx *ctx, const dbc_constraint *c, const dbc_strlist *refs,
                          const char *alias)
{
	dbc_buf m;
	dbc_buf_init(&m, ctx);
	for (int k = 0; k < refs->n; k++)
		dbc_buf_appendf(&m, "%sc.%s = %s.%s", k ? " AND " : "",
		                ctx->host->quote_ident(ctx, c->columns.items[k]), alias,
		                ctx->host->quote_ident(ctx, refs->items[k]));
	return dbc_buf_finish(&m);
}

static int add_blocker_sql(dbc_ctx *ctx, void *arg, const dbc_table *child, const dbc_constraint *c)
{
	blocker_sql *b = arg;
	const dbc_strlist *refs = parent_columns(b->parent, c);
	if (refs->n != c->columns.n)
		return DBC_OK;
	if (b->eng->fk_untrusted) {
		char *fn = NULL;
		bool any = false;
		if (b->eng->fk_untrusted(ctx, child->schema, child->name, c->name, &fn, &any) != DBC_OK)
			return DBC_ERROR;
		if (any) {
			dbc_error(ctx, DBC_SQLSTATE_BAD_STATE,
			          "foreign key %s of table %s compares its keys through %s: dbcare will not "
			          "run it with your rights",
			          c->name, dbc_qualified_name(ctx, child->schema, child->name),
			          fn ? fn : "a function");
			dbc_error_hint(ctx, "A superuser may own the function, or the key may compare "
			                    "columns of one type.");
			return DBC_ERROR;
		}
	}
	const char *leaving = leaving_filter(ctx, b, child, c);
	if (!leaving)
		return DBC_ERROR;
	dbc_blocker_key key = {.fk = c};
	key.self = dbc_retain_same_name(ctx, child->schema, b->parent->schema) &&
	           dbc_retain_same_name(ctx, child->name, b->parent->name);
	key.at_end = !c->on_delete || strcasecmp(c->on_delete, "restrict") != 0 ||
	             !ctx->host->dialect->restrict_per_row;
	dbc_buf e;
	dbc_buf_init(&e, ctx);
	dbc_buf_appendf(&e, "EXISTS (SELECT 1 FROM %s AS c",
	                dbc_quoted_name(ctx, child->schema, child->name));
	if (ctx->host->key_match) {
		/* The constraint's own operators (the host's text over aliases p
		 * and c, p the source row s): "=" would be found by operator and
		 * cast resolution, where an implicit cast a table owner made could
		 * be picked and run with the caller's rights. */
		char *match = NULL, *skip = NULL;
		if (ctx->host->key_match(ctx, child->schema, child->name, c->name, false, b->parent->schema,
		                         b->parent->name, (const char *const *)c->columns.items,
		                         (const char *const *)refs->items, refs->n, &match,
		                         &skip) != DBC_OK)
			return DBC_ERROR;
		if (!match)
			return dbc_error(ctx, DBC_SQLSTATE_BAD_STATE, "foreign key %s of table %s: %s", c->name,
			                 dbc_qualified_name(ctx, child->schema, child->name), skip);
		dbc_buf_appendf(&e, ", (SELECT s.*) AS p WHERE (%s)%s)", match, leaving);
		key.match_p = key.match_s = match;
		key.from_s = ", (SELECT s.*) AS p";
	} else {
		key.match_s = column_match(ctx, c, refs, "s");
		key.match_p = column_match(ctx, c, refs, "p");
		key.from_s = "";
		if (!key.match_s || !key.match_p)
			return DBC_ERROR;
		dbc_buf_appendf(&e, " WHERE %s%s)", key.match_s, leaving);
	}
	key.exists = dbc_buf_finish(&e);
	if (!key.exists)
		return DBC_ERROR;
	dbc_buf_appendf(&b->none, " AND NOT %s", key.exists);
	dbc_buf_appendf(&b->any, "%s%s", b->n ? " OR " : "", key.exists);
	b->keys[b->n++] = key;
	return DBC_OK;
}

int dbc_retain_blockers(dbc_ctx *ctx, const dbc_retain_hooks *eng, const dbc_schema *s,
                        const dbc_table *t, char **unblocked, char **blocked,
                        dbc_blocker_key **keys, int *n)
{
	return dbc_retain_blockers_leaving(ctx, eng, s, t, NULL, unblocked, blocked, keys, n);
}

int dbc_retain_blockers_leaving(dbc_ctx *ctx, const dbc_retain_hooks *eng, const dbc_schema *s,
                                const dbc_table *t, const char *leaving, char **unblocked,
                                char **blocked, dbc_blocker_key **keys, int *n)
{
	int nfk = 0;
	for (int i = 0; i < s->ntables; i++)
		nfk += s->tables[i].nconstraints;
	blocker_sql b = {.eng = eng, .parent = t, .leaving = leaving};
	b.keys = dbc_zalloc(ctx, sizeof(*b.keys) * (size_t)(nfk + 1));
	if (!b.keys)
		return DBC_ERROR;
	dbc_buf_init(&b.none, ctx);
	dbc_buf_init(&b.any, ctx);
	dbc_buf_append(&b.none, "");
	dbc_buf_append(&b.any, "");
	if (dbc_retain_blocking_fks(ctx, s, t, add_blocker_sql, &b) != DBC_OK)
		return DBC_ERROR;
	*n = b.n;
	*keys = b.keys;
	*unblocked = dbc_buf_finish(&b.none);
	char *any = dbc_buf_finish(&b.any);
	*blocked = b.n ? any : NULL;
	return *unblocked && any ? DBC_OK : DBC_ERROR;
}
