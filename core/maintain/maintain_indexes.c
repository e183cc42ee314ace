/*
 * maintain_indexes.c — the repairs of indexes: rebuilding an invalid or a
 * damaged one (or, for a unique index over duplicate keys, the query that
 * lists them), dropping a duplicate, creating the index a foreign key lacks.
 */
#include "maintain/maintain_private.h"

#include <string.h>

/* The rows blocking a unique index's rebuild, listed, never deleted. */
static int plan_listing(dbc_ctx *ctx, dbc_maintain_plan *p, const char *object, const char *index,
                        const char *listing, bool unread)
{
	char *reason =
	    unread ? dbc_printf(ctx,
	                        "unique index %s may hold duplicate keys, which this role may not "
	                        "read its table to see: rebuilding it fails while any remain; a role "
	                        "that may read the table runs this query first",
	                        index)
	           : dbc_printf(ctx,
	                        "unique index %s holds duplicate keys: rebuilding it fails while they "
	                        "remain; change or delete the rows this query lists, then plan again",
	                        index);
	dbc_maintain_step *st =
	    dbc_maintain_add_step(ctx, p, object, "list_duplicates", reason, dbc_strdup(ctx, listing),
	                          DBC_MAINTAIN_SAFE, false, COST_BUILD);
	if (!st)
		return DBC_ERROR;
	st->lists_rows = true;
	return DBC_OK;
}

/* A rebuild: it spares writers only where the engine rebuilds
 * concurrently; elsewhere (SQLite) it blocks them while it runs, so it is
 * locking, run only when asked for. */
int dbc_maintain_plan_reindex(dbc_ctx *ctx, dbc_maintain_plan *p, const char *schema,
                              const char *index, const char *reason)
{
	const dbc_dialect *d = ctx->host->dialect;
	char *q = dbc_quoted_name(ctx, schema, index);
	const char *c = d->concurrently ? d->concurrently : "";
	if (!q || !dbc_maintain_add_step(
	              ctx, p, dbc_qualified_name(ctx, schema, index), "reindex", reason,
	              dbc_printf(ctx, "%s %s%s%s", d->reindex_index, c, dbc_maintain_space_after(c), q),
	              d->concurrently ? DBC_MAINTAIN_SAFE : DBC_MAINTAIN_LOCKING,
	              d->concurrently != NULL, COST_BUILD))
		return DBC_ERROR;
	return DBC_OK;
}

static int any_row(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *cols)
{
	(void)ctx, (void)ncol, (void)cols;
	*(bool *)arg = true;
	return DBC_OK;
}

/* Whether the listing of an invalid unique index finds any row. The
 * listing evaluates the index's expressions and predicate, code the table's
 * owner wrote, so where the engine has roles it runs inside the constraint
 * checks' scope (dbc.h: check_enter): the owner's rights in a
 * security-restricted operation, never the caller's. A table that cannot be
 * probed now (locked by DDL) counts as having duplicates: listing them is
 * safe, a rebuild over them would fail. */
static int has_duplicates(dbc_ctx *ctx, const dbc_health_object *o, bool *dups, bool *unread)
{
	char *probe = dbc_printf(ctx, "SELECT 1 FROM (%s) d LIMIT 1", o->listing);
	char *skip = NULL;
	if (!probe)
		return DBC_ERROR;
	if (!ctx->host->check_enter)
		return ctx->host->query(ctx, probe, 0, NULL, any_row, dups);
	if (ctx->host->check_enter(ctx, o->schema, o->table, false, &skip) != DBC_OK) {
		/* a caller who may not read the table (pg_monitor) still gets a
		 * plan: the listing, as for a table that cannot be probed now */
		if (strcmp(ctx->sqlstate, DBC_SQLSTATE_PRIVILEGE) != 0)
			return DBC_ERROR;
		dbc_error_clear(ctx);
		*dups = *unread = true;
		return DBC_OK;
	}
	if (skip) {
		*dups = true;
		return DBC_OK;
	}
	int rc = ctx->host->query(ctx, probe, 0, NULL, any_row, dups);
	ctx->host->check_leave(ctx, false);
	return rc;
}

/* Whether name ends in suffix, then digits or nothing ("_ccnew",
 * "_ccnew1"), and the length of what comes before. */
static bool ends_in(const char *name, const char *suffix, size_t *base)
{
	size_t n = strlen(name);
	while (n > 0 && name[n - 1] >= '0' && name[n - 1] <= '9')
		n--;
	size_t k = strlen(suffix);
	if (n <= k || strncmp(name + n - k, suffix, k) != 0)
		return false;
	*base = n - k;
	return true;
}

/* The valid index that the invalid index o is the leftover of, or NULL: a
 * REINDEX CONCURRENTLY that failed or was cancelled leaves its new copy
 * (<index>_ccnew, then _ccnew1, ...), or, when only its last drop failed,
 * the old index (<index>_ccold), invalid beside the valid one on the same
 * table. The engine may cut the original's name to make room for the
 * suffix, so the name before the suffix may be a prefix of it. */
static const dbc_index *reindex_leftover_of(const dbc_schema *s, const dbc_health_object *o)
{
	size_t base;
	if (!o->name || !o->table ||
	    !(ends_in(o->name, "_ccnew", &base) || ends_in(o->name, "_ccold", &base)))
		return NULL;
	for (int k = 0; s && k < s->nindexes; k++) {
		const dbc_index *x = &s->indexes[k];
		if (x->valid && x->table && strcmp(x->table, o->table) == 0 &&
		    (x->schema ? o->schema && strcmp(x->schema, o->schema) == 0 : !o->schema) &&
		    strlen(x->name) >= base && strncmp(x->name, o->name, base) == 0 &&
		    strcmp(x->name, o->name) != 0)
			return x;
	}
	return NULL;
}

/* The leftover of a REINDEX CONCURRENTLY is dropped, as PostgreSQL's
 * documentation of REINDEX recommends: the valid index beside it serves
 * the queries (rebuilding the leftover would leave a second copy). */
static int plan_drop_leftover(dbc_ctx *ctx, dbc_maintain_plan *p, const dbc_health_object *o,
                              const dbc_index *of)
{
	const dbc_dialect *d = ctx->host->dialect;
	char *q = dbc_quoted_name(ctx, o->schema, o->name);
	const char *c = dbc_maintain_concurrently(ctx, p, o->schema, o->table);
	char *why = dbc_printf(ctx,
	                       "invalid_indexes: left by a REINDEX CONCURRENTLY of %s that did not "
	                       "finish; %s is valid and serves the queries",
	                       of->name, of->name);
	if (!q || !why ||
	    !dbc_maintain_add_step(
	        ctx, p, dbc_qualified_name(ctx, o->schema, o->name), "drop_index", why,
	        dbc_printf(ctx, "DROP INDEX %s%s%s", c, dbc_maintain_space_after(c), q),
	        *c ? DBC_MAINTAIN_SAFE : DBC_MAINTAIN_LOCKING, *c || !d->drop_in_call, COST_CATALOG))
		return DBC_ERROR;
	return DBC_OK;
}

/* An invalid index is rebuilt where it stands, unless it is the leftover
 * of a REINDEX CONCURRENTLY (dropped instead); an invalid unique one may
 * have failed on duplicate keys: while its listing finds any, the plan
 * lists them instead. */
int dbc_maintain_plan_invalid_indexes(dbc_ctx *ctx, const dbc_maintain_findings *f,
                                      dbc_maintain_plan *p)
{
	for (int i = 0; i < f->fact->nobjects; i++) {
		const dbc_health_object *o = &f->fact->objects[i];
		if (!dbc_maintain_wanted(f, o))
			continue;
		const dbc_index *of = reindex_leftover_of(f->r->schema, o);
		if (of) {
			if (plan_drop_leftover(ctx, p, o, of) != DBC_OK)
				return DBC_ERROR;
			continue;
		}
		bool dups = false, unread = false;
		if (o->listing && has_duplicates(ctx, o, &dups, &unread) != DBC_OK)
			return DBC_ERROR;
		if (dups ? plan_listing(ctx, p, dbc_qualified_name(ctx, o->schema, o->name), o->name,
		                        o->listing, unread)
		         : dbc_maintain_plan_reindex(ctx, p, o->schema, o->name,
		                                     "invalid_indexes: not used by queries"))
			return DBC_ERROR;
	}
	return DBC_OK;
}

/* A problem naming an index whose table is sound is repaired by rebuilding
 * the index; a unique index with duplicate keys gets their listing; damage
 * that names no index is for a backup. Each index once. */
int dbc_maintain_plan_integrity(dbc_ctx *ctx, const dbc_maintain_findings *f, dbc_maintain_plan *p)
{
	dbc_strlist done = {0};
	for (int i = 0; i < f->fact->nobjects; i++) {
		const dbc_health_object *o = &f->fact->objects[i];
		if (!o->index) {
			if (!dbc_maintain_add_step(
			        ctx, p, o->table ? o->table : f->r->database, "restore",
			        dbc_printf(ctx,
			                   "integrity: %s; no statement repairs it: restore the "
			                   "damaged object from a backup",
			                   o->name),
			        /* a restore replaces data: destructive, never run or
			         * offered as safe (it has no statement either) */
			        NULL, DBC_MAINTAIN_DESTRUCTIVE, false, COST_CATALOG))
				return DBC_ERROR;
			continue;
		}
		if (dbc_strlist_find(&done, o->index) >= 0)
			continue;
		if (dbc_strlist_add(ctx, &done, o->index) != DBC_OK)
			return DBC_ERROR;
		const char *listing = o->listing;
		for (int k = i + 1; !listing && k < f->fact->nobjects; k++)
			if (f->fact->objects[k].index && strcmp(f->fact->objects[k].index, o->index) == 0)
				listing = f->fact->objects[k].listing;
		if (listing ? plan_listing(ctx, p, o->index, o->index, listing, false)
		            : dbc_maintain_plan_reindex(ctx, p, o->schema, o->index,
		                                        dbc_printf(ctx, "integrity: %s", o->name)))
			return DBC_ERROR;
	}
	return DBC_OK;
}

static const dbc_index *find_index(const dbc_schema *s, const char *schema, const char *name)
{
	for (int k = 0; s && k < s->nindexes; k++) {
		const dbc_index *x = &s->indexes[k];
		if ((x->schema ? schema && strcmp(x->schema, schema) == 0 : !schema) &&
		    strcmp(x->name, name) == 0)
			return x;
	}
	return NULL;
}

/* The copy is dropped; the report already keeps the one a constraint owns
 * (or the unique one), and an index a constraint owns is never dropped. */
int dbc_maintain_plan_duplicates(dbc_ctx *ctx, const dbc_maintain_findings *f, dbc_maintain_plan *p)
{
	const dbc_dialect *d = ctx->host->dialect;
	for (int i = 0; i < f->fact->nobjects; i++) {
		const dbc_health_object *o = &f->fact->objects[i];
		if (!dbc_maintain_wanted(f, o))
			continue;
		const dbc_index *x = find_index(f->r->schema, o->schema, o->name);
		char *object = dbc_qualified_name(ctx, o->schema, o->name);
		char *q = dbc_quoted_name(ctx, o->schema, o->name);
		const char *c = dbc_maintain_concurrently(ctx, p, o->schema, o->table);
		if (!q ||
		    !dbc_maintain_add_step(ctx, p, object, "drop_index", dbc_maintain_why(ctx, f, o),
		                           x && x->constraint ? NULL
		                                              : dbc_printf(ctx, "DROP INDEX %s%s%s", c,
		                                                           dbc_maintain_space_after(c), q),
		                           *c ? DBC_MAINTAIN_SAFE : DBC_MAINTAIN_LOCKING,
		                           *c || !d->drop_in_call, COST_CATALOG))
			return DBC_ERROR;
	}
	return DBC_OK;
}

/* The name of a new index where the engine needs one: base
 * (table_columns_idx), else the first of base_2, base_3, ... that nothing
 * in the table's schema takes; CREATE INDEX of a taken name fails the run
 * on every call. */
static char *free_index_name(dbc_ctx *ctx, dbc_maintain_plan *p, const char *schema,
                             const char *base)
{
	char *name = dbc_strdup(ctx, base);
	for (int k = 2; name; k++) {
		bool taken;
		if (dbc_maintain_name_taken(ctx, p, schema, name, &taken) != DBC_OK)
			return NULL;
		if (!taken)
			return dbc_maintain_name_claim(ctx, p, name) == DBC_OK ? name : NULL;
		name = dbc_printf(ctx, "%s_%d", base, k);
	}
	return NULL;
}

int dbc_maintain_plan_unindexed_fk(dbc_ctx *ctx, const dbc_maintain_findings *f,
                                   dbc_maintain_plan *p)
{
	const dbc_dialect *d = ctx->host->dialect;
	for (int i = 0; i < f->fact->nobjects; i++) {
		const dbc_health_object *o = &f->fact->objects[i];
		if (!dbc_maintain_wanted(f, o) || o->columns.n == 0)
			continue;
		dbc_buf cols, name;
		dbc_buf_init(&cols, ctx);
		dbc_buf_init(&name, ctx);
		dbc_buf_append(&name, o->table);
		for (int c = 0; c < o->columns.n; c++) {
			dbc_buf_appendf(&cols, "%s%s", c ? ", " : "",
			                ctx->host->quote_ident(ctx, o->columns.items[c]));
			dbc_buf_appendf(&name, "_%s", o->columns.items[c]);
		}
		dbc_buf_append(&name, "_idx");
		char *collist = dbc_buf_finish(&cols), *iname = dbc_buf_finish(&name);
		char *tq = dbc_quoted_name(ctx, o->schema, o->table);
		if (!collist || !iname || !tq)
			return DBC_ERROR;
		/* where the engine needs a name: table_columns_idx, in the table's schema */
		char *free = d->index_name_optional ? NULL : free_index_name(ctx, p, o->schema, iname);
		char *named = d->index_name_optional ? dbc_strdup(ctx, "")
		              : free ? dbc_printf(ctx, "%s ", ctx->host->quote_ident(ctx, free))
		                     : NULL;
		const char *c = dbc_maintain_concurrently(ctx, p, o->schema, o->table);
		char *sql = named ? dbc_printf(ctx, "CREATE INDEX %s%s%sON %s (%s)", c,
		                               dbc_maintain_space_after(c), named, tq, collist)
		                  : NULL;
		if (!sql ||
		    !dbc_maintain_add_step(ctx, p, dbc_qualified_name(ctx, o->schema, o->name),
		                           "create_index", dbc_maintain_why(ctx, f, o), sql,
		                           *c ? DBC_MAINTAIN_SAFE : DBC_MAINTAIN_LOCKING, *c, COST_BUILD))
			return DBC_ERROR;
	}
	return DBC_OK;
}
