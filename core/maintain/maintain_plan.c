/*
 * maintain_plan.c — dbmaintain_plan: one health run, then for every check
 * that is not ok, a repair per finding. Everything a statement names comes
 * from the finding's object (health.h, its repair fields) or the model the
 * run read; names are quoted by the host, and what differs between the
 * engines' statements is the dialect's (maintenance fields).
 */
#include "maintain/maintain.h"

#include "check/check.h"

#include <string.h>

/* Relative costs (estimated_cost), in full reads of the object's table: a
 * guide to order and schedule the rows, not a time. */
#define COST_SAMPLE  0.1 /* ANALYZE reads a sample */
#define COST_SCAN    1.0 /* VACUUM, VALIDATE, a REINDEX's read */
#define COST_BUILD   1.5 /* a scan and a sort */
#define COST_REWRITE 3.0 /* a new copy of the table and every index */
#define COST_CATALOG 0.0 /* a catalog change only */

const char *dbc_maintain_safety_name(dbc_maintain_safety s)
{
	return s == DBC_MAINTAIN_LOCKING ? "locking" : s == DBC_MAINTAIN_DESTRUCTIVE ? "destructive" : "safe";
}

static dbc_maintain_step *add_step(dbc_ctx *ctx, dbc_maintain_plan *p, const char *object,
                                   const char *action, const char *reason, char *statement,
                                   dbc_maintain_safety safety, bool outside, double cost)
{
	if (dbc_grow(ctx, &p->items, p->n, &p->cap, sizeof(*p->items), 8) != DBC_OK)
		return NULL;
	dbc_maintain_step *st = &p->items[p->n];
	memset(st, 0, sizeof(*st));
	st->object = dbc_strdup(ctx, object ? object : "");
	st->action = action;
	st->reason = reason ? dbc_strdup(ctx, reason) : NULL;
	st->statement = statement;
	st->safety = safety;
	st->outside_transaction = outside;
	st->estimated_cost = cost;
	if (ctx->failed)
		return NULL;
	p->n++;
	return st;
}

/* The findings of one check the plan repairs: its graded result, its
 * fact, and the run's report (ignore list, model). */
typedef struct finding_set {
	const dbc_health_report *r;
	const dbc_health_result *res;
	const dbc_health_fact *fact;
} finding_set;

static bool wanted(const finding_set *f, const dbc_health_object *o)
{
	if (dbc_health_ignored(&f->r->ignore, o->schema, o->name, o->table))
		return false;
	/* a measured value (fragmentation, sequences): only past the warn line */
	if (f->fact->def->value_kind == DBC_VALUE_MAX)
		return f->res->warn_at >= 0 && o->value > f->res->warn_at;
	return true;
}

static char *why(dbc_ctx *ctx, const finding_set *f, const dbc_health_object *o)
{
	return o->detail ? dbc_printf(ctx, "%s: %s", f->fact->def->name, o->detail)
	                 : dbc_strdup(ctx, f->fact->def->name);
}

/* The keyword that spares writers, or "": none on this engine, nor for a
 * partitioned table's index, which is built and dropped only in one go. */
static const char *concurrently(const dbc_dialect *d, const dbc_schema *s, const char *schema,
                                const char *table)
{
	const dbc_table *t = s && table ? dbc_schema_find_table(s, schema, table) : NULL;
	if (t && strcmp(t->kind, "partitioned table") == 0)
		return "";
	return d->concurrently ? d->concurrently : "";
}

static const char *space_after(const char *s)
{
	return *s ? " " : "";
}

static int plan_statistics(dbc_ctx *ctx, const finding_set *f, dbc_maintain_plan *p)
{
	int added = 0;
	for (int i = 0; i < f->fact->nobjects; i++) {
		const dbc_health_object *o = &f->fact->objects[i];
		if (!wanted(f, o))
			continue;
		char *q = dbc_quoted_name(ctx, o->schema, o->name);
		if (!q || !add_step(ctx, p, dbc_qualified_name(ctx, o->schema, o->name), "analyze",
		                    why(ctx, f, o), dbc_printf(ctx, "ANALYZE %s", q), DBC_MAINTAIN_SAFE,
		                    false, COST_SAMPLE))
			return DBC_ERROR;
		added++;
	}
	const char *opt = ctx->host->dialect->optimize_statement;
	if (added && opt &&
	    !add_step(ctx, p, f->r->database, "optimize",
	              "statistics: keeps them current after this ANALYZE", dbc_strdup(ctx, opt),
	              DBC_MAINTAIN_SAFE, false, COST_SAMPLE))
		return DBC_ERROR;
	return DBC_OK;
}

static int plan_fragmentation(dbc_ctx *ctx, const finding_set *f, dbc_maintain_plan *p)
{
	const dbc_dialect *d = ctx->host->dialect;
	for (int i = 0; i < f->fact->nobjects; i++) {
		const dbc_health_object *o = &f->fact->objects[i];
		if (!wanted(f, o))
			continue;
		char *reason = dbc_printf(ctx, "fragmentation: %.1f%% %s", o->value,
		                          d->vacuum_table ? "dead tuples" : "free pages");
		dbc_maintain_step *st;
		if (d->vacuum_table) {
			char *q = dbc_quoted_name(ctx, o->schema, o->name);
			st = q ? add_step(ctx, p, dbc_qualified_name(ctx, o->schema, o->name), "vacuum", reason,
			                  dbc_printf(ctx, "VACUUM (ANALYZE) %s", q), DBC_MAINTAIN_SAFE, true,
			                  COST_SCAN)
			       : NULL;
		} else if (d->incremental_vacuum && o->type && strcmp(o->type, "incremental") == 0) {
			st = add_step(ctx, p, o->name, "incremental_vacuum", reason,
			              dbc_strdup(ctx, d->incremental_vacuum), DBC_MAINTAIN_SAFE, false,
			              COST_SAMPLE);
		} else {
			/* the whole file is written anew, outside a transaction */
			st = add_step(ctx, p, o->name, "vacuum", reason, dbc_strdup(ctx, "VACUUM"),
			              DBC_MAINTAIN_LOCKING, true, COST_REWRITE);
		}
		if (!st)
			return DBC_ERROR;
	}
	return DBC_OK;
}

/* The rows blocking a unique index's rebuild, listed, never deleted. */
static int plan_listing(dbc_ctx *ctx, dbc_maintain_plan *p, const char *object, const char *index,
                        const char *listing)
{
	char *reason = dbc_printf(ctx,
	                          "unique index %s holds duplicate keys: rebuilding it fails while they "
	                          "remain; change or delete the rows this query lists, then plan again",
	                          index);
	dbc_maintain_step *st = add_step(ctx, p, object, "list_duplicates", reason,
	                                 dbc_strdup(ctx, listing), DBC_MAINTAIN_SAFE, false, COST_BUILD);
	if (!st)
		return DBC_ERROR;
	st->lists_rows = true;
	return DBC_OK;
}

static int plan_reindex(dbc_ctx *ctx, dbc_maintain_plan *p, const char *schema, const char *index,
                        const char *reason)
{
	const dbc_dialect *d = ctx->host->dialect;
	char *q = dbc_quoted_name(ctx, schema, index);
	const char *c = d->concurrently ? d->concurrently : "";
	if (!q || !add_step(ctx, p, dbc_qualified_name(ctx, schema, index), "reindex", reason,
	                    dbc_printf(ctx, "%s %s%s%s", d->reindex_index, c, space_after(c), q),
	                    DBC_MAINTAIN_SAFE, d->concurrently != NULL, COST_BUILD))
		return DBC_ERROR;
	return DBC_OK;
}

static int any_row(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *cols)
{
	(void)ctx, (void)ncol, (void)cols;
	*(bool *)arg = true;
	return DBC_OK;
}

/* An invalid index is rebuilt where it stands; an invalid unique one may
 * have failed on duplicate keys: while its listing finds any, the plan
 * lists them instead. */
static int plan_invalid_indexes(dbc_ctx *ctx, const finding_set *f, dbc_maintain_plan *p)
{
	for (int i = 0; i < f->fact->nobjects; i++) {
		const dbc_health_object *o = &f->fact->objects[i];
		if (!wanted(f, o))
			continue;
		bool dups = false;
		if (o->listing) {
			char *probe = dbc_printf(ctx, "SELECT 1 FROM (%s) d LIMIT 1", o->listing);
			if (!probe || ctx->host->query(ctx, probe, 0, NULL, any_row, &dups) != DBC_OK)
				return DBC_ERROR;
		}
		if (dups ? plan_listing(ctx, p, dbc_qualified_name(ctx, o->schema, o->name), o->name,
		                        o->listing)
		         : plan_reindex(ctx, p, o->schema, o->name, "invalid_indexes: not used by queries"))
			return DBC_ERROR;
	}
	return DBC_OK;
}

/* A problem naming an index whose table is sound is repaired by rebuilding
 * the index; a unique index with duplicate keys gets their listing; damage
 * that names no index is for a backup. Each index once. */
static int plan_integrity(dbc_ctx *ctx, const finding_set *f, dbc_maintain_plan *p)
{
	dbc_strlist done = {0};
	for (int i = 0; i < f->fact->nobjects; i++) {
		const dbc_health_object *o = &f->fact->objects[i];
		if (!o->index) {
			if (!add_step(ctx, p, o->table ? o->table : f->r->database, "restore",
			              dbc_printf(ctx, "integrity: %s; no statement repairs it: restore the "
			                              "damaged object from a backup",
			                         o->name),
			              NULL, DBC_MAINTAIN_SAFE, false, COST_CATALOG))
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
		if (listing ? plan_listing(ctx, p, o->index, o->index, listing)
		            : plan_reindex(ctx, p, o->schema, o->index,
		                           dbc_printf(ctx, "integrity: %s", o->name)))
			return DBC_ERROR;
	}
	return DBC_OK;
}

static const dbc_constraint *find_constraint(const dbc_table *t, const char *name)
{
	for (int k = 0; t && k < t->nconstraints; k++)
		if (strcmp(t->constraints[k].name, name) == 0)
			return &t->constraints[k];
	return NULL;
}

static const dbc_check_finding *find_finding(const dbc_check_findings *found, const char *table,
                                             const char *name)
{
	for (int i = 0; i < found->n; i++)
		if (strcmp(found->items[i].table, table) == 0 && strcmp(found->items[i].name, name) == 0)
			return &found->items[i];
	return NULL;
}

/* One pass over the constraints not proven by validation, as
 * dbcheck_constraints counts them. A caller who may not read a table (a
 * monitoring role) gets no counts -- every such constraint is "could not
 * be checked" -- rather than no plan: the pass runs under a savepoint. */
static int count_violations(dbc_ctx *ctx, const dbc_schema *s, dbc_check_findings *found)
{
	dbc_check_options opt = {
		.kinds = DBC_CHECK_KIND(DBC_CON_CHECK) | DBC_CHECK_KIND(DBC_CON_FOREIGN_KEY),
		.skip_trusted = ctx->host->dialect->enforced_binds_rows};
	int level = ctx->host->savepoint(ctx);
	if (level < 0)
		return DBC_ERROR;
	if (dbc_check_constraint_findings(ctx, s, &opt, found) == DBC_OK && !ctx->failed)
		return ctx->host->release(ctx, level);
	if (strcmp(ctx->sqlstate, DBC_SQLSTATE_PRIVILEGE) != 0) {
		ctx->host->rollback(ctx, level);
		return DBC_ERROR;
	}
	dbc_error_clear(ctx); /* rollback needs a clean slot to report its own trouble */
	found->n = 0;
	return ctx->host->rollback(ctx, level);
}

/* VALIDATE CONSTRAINT only for a constraint whose rows all pass, as
 * dbcheck_constraints counts them (validating one that fails would fail the
 * whole run); otherwise the violations are named instead. */
static int plan_not_valid(dbc_ctx *ctx, const finding_set *f, dbc_maintain_plan *p)
{
	const dbc_schema *s = f->r->schema;
	dbc_check_findings found = {0};
	bool checked = false;
	for (int i = 0; i < f->fact->nobjects; i++) {
		const dbc_health_object *o = &f->fact->objects[i];
		if (!wanted(f, o))
			continue;
		const dbc_table *t = s ? dbc_schema_find_table(s, o->schema, o->table) : NULL;
		const dbc_constraint *con = find_constraint(t, o->name);
		char *object = dbc_printf(ctx, "%s on %s", o->name, dbc_qualified_name(ctx, o->schema, o->table));
		if (!con) {
			/* a domain's constraint: its rows are columns of many tables */
			if (!add_step(ctx, p, object, "validate_constraint",
			              "not_valid_constraints: a domain's constraint; SELECT * FROM "
			              "dbcheck_constraints() counts its violations, then ALTER DOMAIN ... "
			              "VALIDATE CONSTRAINT",
			              NULL, DBC_MAINTAIN_SAFE, false, COST_SCAN))
				return DBC_ERROR;
			continue;
		}
		if (!checked && count_violations(ctx, s, &found) != DBC_OK)
			return DBC_ERROR;
		checked = true;
		char *display = dbc_qualified_name(ctx, o->schema, o->table);
		const dbc_check_finding *cf = find_finding(&found, display, o->name);
		char *tq = dbc_quoted_name(ctx, o->schema, o->table);
		char *cq = ctx->host->quote_ident(ctx, o->name);
		char *lit = ctx->host->quote_literal(ctx, display);
		if (!tq || !cq || !lit)
			return DBC_ERROR;
		dbc_maintain_step *st;
		if (cf && cf->checked && cf->count == 0)
			st = add_step(ctx, p, object, "validate_constraint",
			              "not_valid_constraints: every row passes (dbcheck_constraints)",
			              dbc_printf(ctx, "ALTER TABLE %s VALIDATE CONSTRAINT %s", tq, cq),
			              DBC_MAINTAIN_SAFE, false, COST_SCAN);
		else if (cf && cf->checked)
			st = add_step(ctx, p, object, "validate_constraint",
			              dbc_printf(ctx,
			                         "not_valid_constraints: %lld row%s violate%s it, e.g. %s; fix "
			                         "them first (SELECT * FROM dbcheck_constraints(%s) lists them)",
			                         (long long)cf->count, cf->count == 1 ? "" : "s",
			                         cf->count == 1 ? "s" : "", cf->sample, lit),
			              NULL, DBC_MAINTAIN_SAFE, false, COST_SCAN);
		else
			st = add_step(ctx, p, object, "validate_constraint",
			              dbc_printf(ctx, "not_valid_constraints: its rows could not be checked%s%s",
			                         cf ? ": " : "", cf ? cf->sample : ""),
			              NULL, DBC_MAINTAIN_SAFE, false, COST_SCAN);
		if (!st)
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
static int plan_duplicates(dbc_ctx *ctx, const finding_set *f, dbc_maintain_plan *p)
{
	const dbc_dialect *d = ctx->host->dialect;
	for (int i = 0; i < f->fact->nobjects; i++) {
		const dbc_health_object *o = &f->fact->objects[i];
		if (!wanted(f, o))
			continue;
		const dbc_index *x = find_index(f->r->schema, o->schema, o->name);
		char *object = dbc_qualified_name(ctx, o->schema, o->name);
		char *q = dbc_quoted_name(ctx, o->schema, o->name);
		const char *c = concurrently(d, f->r->schema, o->schema, o->table);
		if (!q || !add_step(ctx, p, object, "drop_index", why(ctx, f, o),
		                    x && x->constraint
		                        ? NULL
		                        : dbc_printf(ctx, "DROP INDEX %s%s%s", c, space_after(c), q),
		                    *c ? DBC_MAINTAIN_SAFE : DBC_MAINTAIN_LOCKING,
		                    *c || !d->drop_in_call, COST_CATALOG))
			return DBC_ERROR;
	}
	return DBC_OK;
}

static int plan_unindexed_fk(dbc_ctx *ctx, const finding_set *f, dbc_maintain_plan *p)
{
	const dbc_dialect *d = ctx->host->dialect;
	for (int i = 0; i < f->fact->nobjects; i++) {
		const dbc_health_object *o = &f->fact->objects[i];
		if (!wanted(f, o) || o->columns.n == 0)
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
		char *named = d->index_name_optional ? dbc_strdup(ctx, "")
		                                     : dbc_printf(ctx, "%s ", ctx->host->quote_ident(ctx, iname));
		const char *c = concurrently(d, f->r->schema, o->schema, o->table);
		char *sql = named ? dbc_printf(ctx, "CREATE INDEX %s%s%sON %s (%s)", c, space_after(c),
		                               named, tq, collist)
		                  : NULL;
		if (!sql ||
		    !add_step(ctx, p, dbc_qualified_name(ctx, o->schema, o->name), "create_index",
		              why(ctx, f, o), sql, *c ? DBC_MAINTAIN_SAFE : DBC_MAINTAIN_LOCKING, *c,
		              COST_BUILD))
			return DBC_ERROR;
	}
	return DBC_OK;
}

/* A sequence near its limit: the sequence widened to bigint where its own
 * type is narrower, and the column it feeds where that is (a rewrite of the
 * table under an exclusive lock). */
static int plan_sequences(dbc_ctx *ctx, const finding_set *f, dbc_maintain_plan *p)
{
	for (int i = 0; i < f->fact->nobjects; i++) {
		const dbc_health_object *o = &f->fact->objects[i];
		if (!wanted(f, o))
			continue;
		char *reason = why(ctx, f, o);
		if (o->type && strcmp(o->type, "bigint") != 0) {
			char *q = dbc_quoted_name(ctx, o->schema, o->name);
			if (!q || !add_step(ctx, p, dbc_qualified_name(ctx, o->schema, o->name),
			                    "widen_sequence", reason,
			                    dbc_printf(ctx, "ALTER SEQUENCE %s AS bigint", q),
			                    DBC_MAINTAIN_LOCKING, false, COST_CATALOG))
				return DBC_ERROR;
		}
		if (o->column && o->column_table) {
			char *tq = dbc_quoted_name(ctx, o->column_schema, o->column_table);
			char *cq = ctx->host->quote_ident(ctx, o->column);
			char *object = dbc_printf(ctx, "%s.%s",
			                          dbc_qualified_name(ctx, o->column_schema, o->column_table),
			                          o->column);
			if (!tq || !cq || !object ||
			    !add_step(ctx, p, object, "widen_column", reason,
			              dbc_printf(ctx, "ALTER TABLE %s ALTER COLUMN %s TYPE bigint", tq, cq),
			              DBC_MAINTAIN_LOCKING, false, COST_REWRITE))
				return DBC_ERROR;
		}
	}
	return DBC_OK;
}

static int plan_orphans(dbc_ctx *ctx, const finding_set *f, dbc_maintain_plan *p)
{
	dbc_buf names;
	int64_t rows = 0;
	int n = 0;
	dbc_buf_init(&names, ctx);
	for (int i = 0; i < f->fact->nobjects; i++) {
		const dbc_health_object *o = &f->fact->objects[i];
		if (!wanted(f, o))
			continue;
		dbc_buf_appendf(&names, "%s%s", n++ ? ", " : "", o->table ? o->table : o->name);
		rows += (int64_t)o->value;
	}
	char *list = dbc_buf_finish(&names);
	if (!list)
		return DBC_ERROR;
	if (n == 0)
		return DBC_OK;
	dbc_maintain_step *st = add_step(
	    ctx, p, list, "cleanup_orphans",
	    dbc_printf(ctx, "orphans: deletes %lld orphan row%s of the declared relations",
	               (long long)rows, rows == 1 ? "" : "s"),
	    dbc_strdup(ctx, "SELECT dbcheck_cleanup_orphans(false)"), DBC_MAINTAIN_DESTRUCTIVE, false,
	    COST_SCAN);
	if (!st)
		return DBC_ERROR;
	st->cleans_orphans = true;
	return DBC_OK;
}

typedef int (*plan_fn)(dbc_ctx *ctx, const finding_set *f, dbc_maintain_plan *p);

/* The checks whose findings have a repair, by check id. */
static const plan_fn planners[DBC_HC_COUNT] = {
	[DBC_HC_INTEGRITY] = plan_integrity,
	[DBC_HC_ORPHANS] = plan_orphans,
	[DBC_HC_UNINDEXED_FOREIGN_KEYS] = plan_unindexed_fk,
	[DBC_HC_DUPLICATE_INDEXES] = plan_duplicates,
	[DBC_HC_FRAGMENTATION] = plan_fragmentation,
	[DBC_HC_STATISTICS] = plan_statistics,
	[DBC_HC_INVALID_INDEXES] = plan_invalid_indexes,
	[DBC_HC_NOT_VALID_CONSTRAINTS] = plan_not_valid,
	[DBC_HC_SEQUENCE_EXHAUSTION] = plan_sequences,
};

int dbc_maintain_plan_build(dbc_ctx *ctx, const dbc_health_engine *eng, dbc_health_mode mode,
                            dbc_maintain_plan *out)
{
	dbc_health_report r;
	memset(out, 0, sizeof(*out));
	if (dbc_health_run(ctx, eng, mode, &r) != DBC_OK)
		return DBC_ERROR;
	out->schema = r.schema;
	for (int i = 0; i < r.nresults; i++) {
		const dbc_health_result *res = &r.results[i];
		plan_fn planner = planners[res->def->id];
		if (!planner || (res->status != DBC_CHECK_WARNING && res->status != DBC_CHECK_CRITICAL))
			continue;
		finding_set f = {&r, res, &r.facts[i]};
		if (planner(ctx, &f, out) != DBC_OK)
			return DBC_ERROR;
	}
	return ctx->failed ? DBC_ERROR : DBC_OK;
}

int dbc_maintain_plan_rows(dbc_ctx *ctx, const dbc_maintain_plan *plan, dbc_rows *out)
{
	dbc_rows_init(out, ctx, DBC_MAINTAIN_PLAN_NCOLS);
	for (int i = 0; i < plan->n; i++) {
		const dbc_maintain_step *st = &plan->items[i];
		dbc_value row[DBC_MAINTAIN_PLAN_NCOLS] = {
			dbc_text(st->object),
			dbc_text(st->action),
			st->reason ? dbc_text(st->reason) : dbc_null(),
			st->statement ? dbc_text(st->statement) : dbc_null(),
			dbc_text(dbc_maintain_safety_name(st->safety)),
			dbc_bool(st->outside_transaction),
			dbc_float(st->estimated_cost),
		};
		if (dbc_rows_add(out, row) != DBC_OK)
			return DBC_ERROR;
	}
	return DBC_OK;
}
