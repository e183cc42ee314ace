/*
 * maintain_tables.c — the repairs of tables and their data: statistics
 * (ANALYZE), fragmentation (VACUUM, or freeing pages in steps), NOT VALID
 * constraints whose rows all pass (VALIDATE), sequences near their limit
 * (widening the sequence and the column it feeds) and orphans of declared
 * relations (the cleanup).
 */
#include "maintain/maintain_private.h"

#include "check/check.h"

#include <string.h>

int dbc_maintain_plan_statistics(dbc_ctx *ctx, const dbc_maintain_findings *f, dbc_maintain_plan *p)
{
	int added = 0;
	for (int i = 0; i < f->fact->nobjects; i++) {
		const dbc_health_object *o = &f->fact->objects[i];
		if (!dbc_maintain_wanted(f, o))
			continue;
		char *q = dbc_quoted_name(ctx, o->schema, o->name);
		if (!q ||
		    !dbc_maintain_add_step(ctx, p, dbc_qualified_name(ctx, o->schema, o->name), "analyze",
		                           dbc_maintain_why(ctx, f, o), dbc_printf(ctx, "ANALYZE %s", q),
		                           DBC_MAINTAIN_SAFE, false, COST_SAMPLE))
			return DBC_ERROR;
		added++;
	}
	const char *opt = ctx->host->dialect->optimize_statement;
	if (added && opt &&
	    !dbc_maintain_add_step(ctx, p, f->r->database, "optimize",
	                           "statistics: keeps them current after this ANALYZE",
	                           dbc_strdup(ctx, opt), DBC_MAINTAIN_SAFE, false, COST_SAMPLE))
		return DBC_ERROR;
	return DBC_OK;
}

int dbc_maintain_plan_fragmentation(dbc_ctx *ctx, const dbc_maintain_findings *f,
                                    dbc_maintain_plan *p)
{
	const dbc_dialect *d = ctx->host->dialect;
	/* while a holder keeps the xmin horizon back, VACUUM cannot remove the
	 * dead tuples newer than it: the row names the holder instead */
	const char *holder = dbc_health_xmin_holder(f->r);
	for (int i = 0; i < f->fact->nobjects; i++) {
		const dbc_health_object *o = &f->fact->objects[i];
		if (!dbc_maintain_wanted(f, o))
			continue;
		char *reason = dbc_printf(ctx, "fragmentation: %.1f%% %s", o->value,
		                          d->vacuum_table ? "dead tuples" : "free pages");
		dbc_maintain_step *st;
		if (d->vacuum_table && holder) {
			st = dbc_maintain_add_step(
			    ctx, p, dbc_qualified_name(ctx, o->schema, o->name), "vacuum",
			    dbc_printf(ctx,
			               "%s; VACUUM cannot remove them while %s holds the xmin horizon "
			               "back: first its end_holder row, then VACUUM",
			               reason, holder),
			    NULL, DBC_MAINTAIN_SAFE, false, COST_SCAN);
		} else if (d->vacuum_table) {
			char *q = dbc_quoted_name(ctx, o->schema, o->name);
			st = q ? dbc_maintain_add_step(ctx, p, dbc_qualified_name(ctx, o->schema, o->name),
			                               "vacuum", reason,
			                               dbc_printf(ctx, "VACUUM (ANALYZE) %s", q),
			                               DBC_MAINTAIN_SAFE, true, COST_SCAN)
			       : NULL;
		} else if (d->incremental_vacuum && o->type && strcmp(o->type, "incremental") == 0) {
			st = dbc_maintain_add_step(ctx, p, o->name, "incremental_vacuum", reason,
			                           dbc_strdup(ctx, d->incremental_vacuum), DBC_MAINTAIN_SAFE,
			                           false, COST_SAMPLE);
		} else {
			/* the whole file is written anew, outside a transaction */
			st = dbc_maintain_add_step(ctx, p, o->name, "vacuum", reason, dbc_strdup(ctx, "VACUUM"),
			                           DBC_MAINTAIN_LOCKING, true, COST_REWRITE);
		}
		if (!st)
			return DBC_ERROR;
	}
	return DBC_OK;
}

/* A bloated table (the table_bloat check, an engine with per-table
 * VACUUM): VACUUM FULL writes it anew at the size its rows need. It holds
 * an ACCESS EXCLUSIVE lock while it runs (locking) and cannot run inside a
 * transaction; it needs no extension. A bloated B-tree index the check
 * measured (o->index) is rebuilt instead. */
int dbc_maintain_plan_bloat(dbc_ctx *ctx, const dbc_maintain_findings *f, dbc_maintain_plan *p)
{
	for (int i = 0; i < f->fact->nobjects; i++) {
		const dbc_health_object *o = &f->fact->objects[i];
		if (!dbc_maintain_wanted(f, o))
			continue;
		/* a measured B-tree index: rebuilt, its table untouched */
		if (o->index) {
			if (dbc_maintain_plan_reindex(
			        ctx, p, o->schema, o->index,
			        dbc_printf(ctx, "table_bloat: %.0f%% of the index unused%s%s", o->value,
			                   o->detail ? ", " : "", o->detail ? o->detail : "")) != DBC_OK)
				return DBC_ERROR;
			continue;
		}
		char *q = dbc_quoted_name(ctx, o->schema, o->name);
		if (!q ||
		    !dbc_maintain_add_step(
		        ctx, p, dbc_qualified_name(ctx, o->schema, o->name), "vacuum_full",
		        dbc_printf(ctx,
		                   "table_bloat: %.0f%% of its pages not needed%s%s; rewrites the "
		                   "table, reads and writes wait",
		                   o->value, o->detail ? ", " : "", o->detail ? o->detail : ""),
		        dbc_printf(ctx, "VACUUM FULL %s", q), DBC_MAINTAIN_LOCKING, true, COST_REWRITE))
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
	dbc_check_options opt = {.kinds = DBC_CHECK_KIND(DBC_CON_CHECK) |
	                                  DBC_CHECK_KIND(DBC_CON_FOREIGN_KEY),
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
int dbc_maintain_plan_not_valid(dbc_ctx *ctx, const dbc_maintain_findings *f, dbc_maintain_plan *p)
{
	const dbc_schema *s = f->r->schema;
	dbc_check_findings found = {0};
	bool checked = false;
	for (int i = 0; i < f->fact->nobjects; i++) {
		const dbc_health_object *o = &f->fact->objects[i];
		if (!dbc_maintain_wanted(f, o))
			continue;
		const dbc_table *t = s ? dbc_schema_find_table(s, o->schema, o->table) : NULL;
		const dbc_constraint *con = find_constraint(t, o->name);
		char *object =
		    dbc_printf(ctx, "%s on %s", o->name, dbc_qualified_name(ctx, o->schema, o->table));
		if (!con) {
			/* a domain's constraint: its rows are columns of many tables */
			if (!dbc_maintain_add_step(
			        ctx, p, object, "validate_constraint",
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
		if (cf && cf->checked && cf->count == 0) {
			st = dbc_maintain_add_step(
			    ctx, p, object, "validate_constraint",
			    "not_valid_constraints: every row passes (dbcheck_constraints)",
			    dbc_printf(ctx, "ALTER TABLE %s VALIDATE CONSTRAINT %s", tq, cq), DBC_MAINTAIN_SAFE,
			    false, COST_SCAN);
			if (st)
				st->owner_table = tq;
		} else if (cf && cf->checked)
			st = dbc_maintain_add_step(
			    ctx, p, object, "validate_constraint",
			    dbc_printf(ctx,
			               "not_valid_constraints: %lld row%s violate%s it, e.g. %s; fix "
			               "them first (SELECT * FROM dbcheck_constraints(%s) lists them)",
			               (long long)cf->count, cf->count == 1 ? "" : "s",
			               cf->count == 1 ? "s" : "", cf->sample, lit),
			    NULL, DBC_MAINTAIN_SAFE, false, COST_SCAN);
		else
			st = dbc_maintain_add_step(
			    ctx, p, object, "validate_constraint",
			    dbc_printf(ctx, "not_valid_constraints: its rows could not be checked%s%s",
			               cf ? ": " : "", cf ? cf->sample : ""),
			    NULL, DBC_MAINTAIN_SAFE, false, COST_SCAN);
		if (!st)
			return DBC_ERROR;
	}
	return DBC_OK;
}

/* A sequence that ends at a MAXVALUE (MINVALUE) of its own: the bound is
 * raised to what its type and the column it feeds hold (NO MAXVALUE when
 * that is its type's end); nothing is widened, as nextval would still stop
 * at the bound. A catalog change, but one that undoes a limit someone set:
 * never run unasked (locking, as the sequence's other widening). */
static int plan_raise_bound(dbc_ctx *ctx, dbc_maintain_plan *p, const dbc_health_object *o,
                            const char *reason, long long room, bool type_bound, bool descending)
{
	const char *word = descending ? "MINVALUE" : "MAXVALUE";
	char *q = dbc_quoted_name(ctx, o->schema, o->name);
	char *sql = !q           ? NULL
	            : type_bound ? dbc_printf(ctx, "ALTER SEQUENCE %s NO %s", q, word)
	                         : dbc_printf(ctx, "ALTER SEQUENCE %s %s %lld", q, word, room);
	char *why =
	    dbc_printf(ctx, "%s; its own %s is the limit, not its type or column", reason, word);
	if (!sql || !why ||
	    !dbc_maintain_add_step(ctx, p, dbc_qualified_name(ctx, o->schema, o->name),
	                           "widen_sequence", why, sql, DBC_MAINTAIN_LOCKING, false,
	                           COST_CATALOG))
		return DBC_ERROR;
	return DBC_OK;
}

/* A sequence near its limit: the sequence widened to bigint where its own
 * type is narrower, and the column it feeds where that is (a rewrite of the
 * table under an exclusive lock) -- together, in that one step, with every
 * column the widening must take along (o->widen: other columns the sequence
 * feeds, and those whose foreign keys reference a widened column, through
 * any depth), and their own serial sequences: a referencing integer column
 * would overflow at the first key past 2^31-1 that it must store. */
int dbc_maintain_plan_sequences(dbc_ctx *ctx, const dbc_maintain_findings *f, dbc_maintain_plan *p)
{
	for (int i = 0; i < f->fact->nobjects; i++) {
		const dbc_health_object *o = &f->fact->objects[i];
		if (!dbc_maintain_wanted(f, o))
			continue;
		char *reason = dbc_maintain_why(ctx, f, o);
		long long room;
		bool type_bound, descending;
		if (dbc_health_sequence_capped(o, &room, &type_bound, &descending)) {
			if (plan_raise_bound(ctx, p, o, reason, room, type_bound, descending) != DBC_OK)
				return DBC_ERROR;
			continue;
		}
		if (o->type && strcmp(o->type, "bigint") != 0) {
			char *q = dbc_quoted_name(ctx, o->schema, o->name);
			if (!q || !dbc_maintain_add_step(ctx, p, dbc_qualified_name(ctx, o->schema, o->name),
			                                 "widen_sequence", reason,
			                                 dbc_printf(ctx, "ALTER SEQUENCE %s AS bigint", q),
			                                 DBC_MAINTAIN_LOCKING, false, COST_CATALOG))
				return DBC_ERROR;
		}
		if (!(o->column && o->column_table) && o->nwiden == 0)
			continue;
		dbc_buf sql, also;
		dbc_strlist owners = {0};
		char *object = NULL;
		dbc_buf_init(&sql, ctx);
		dbc_buf_init(&also, ctx);
		/* the fed column first, then the others in the gatherer's order */
		for (int k = o->column && o->column_table ? -1 : 0; k < o->nwiden; k++) {
			const dbc_health_widen *w = k < 0 ? NULL : &o->widen[k];
			const char *ws = w ? w->schema : o->column_schema;
			const char *wt = w ? w->table : o->column_table;
			const char *wc = w ? w->column : o->column;
			char *tq = dbc_quoted_name(ctx, ws, wt);
			char *cq = ctx->host->quote_ident(ctx, wc);
			char *name = dbc_printf(ctx, "%s.%s", dbc_qualified_name(ctx, ws, wt), wc);
			if (!tq || !cq || !name)
				return DBC_ERROR;
			if (!object)
				object = name;
			else
				dbc_buf_appendf(&also, "%s%s", also.len ? ", " : "", name);
			dbc_buf_appendf(&sql, "%sALTER TABLE %s ALTER COLUMN %s TYPE bigint",
			                sql.len ? "; " : "", tq, cq);
			if (dbc_strlist_find(&owners, tq) < 0 && dbc_strlist_add(ctx, &owners, tq) != DBC_OK)
				return DBC_ERROR;
			if (w && w->sequence) {
				char *sq = dbc_quoted_name(ctx, w->sequence_schema, w->sequence);
				if (!sq)
					return DBC_ERROR;
				dbc_buf_appendf(&sql, "; ALTER SEQUENCE %s AS bigint", sq);
			}
		}
		char *also_text = dbc_buf_finish(&also);
		char *statement = dbc_buf_finish(&sql);
		if (!also_text || !statement)
			return DBC_ERROR;
		if (*also_text)
			reason = dbc_printf(ctx, "%s; with the columns that must stay as wide: %s", reason,
			                    also_text);
		dbc_maintain_step *st =
		    dbc_maintain_add_step(ctx, p, object, "widen_column", reason, statement,
		                          DBC_MAINTAIN_LOCKING, false, COST_REWRITE);
		if (!st)
			return DBC_ERROR;
		st->owner_table = owners.items[0];
		for (int k = 1; k < owners.n; k++)
			if (dbc_strlist_add(ctx, &st->more_owner_tables, owners.items[k]) != DBC_OK)
				return DBC_ERROR;
	}
	return DBC_OK;
}

int dbc_maintain_plan_orphans(dbc_ctx *ctx, const dbc_maintain_findings *f, dbc_maintain_plan *p)
{
	dbc_buf names;
	int64_t rows = 0;
	int n = 0;
	dbc_buf_init(&names, ctx);
	for (int i = 0; i < f->fact->nobjects; i++) {
		const dbc_health_object *o = &f->fact->objects[i];
		if (!dbc_maintain_wanted(f, o))
			continue;
		dbc_buf_appendf(&names, "%s%s", n++ ? ", " : "", o->table ? o->table : o->name);
		rows += (int64_t)o->value;
	}
	char *list = dbc_buf_finish(&names);
	if (!list)
		return DBC_ERROR;
	if (n == 0)
		return DBC_OK;
	dbc_maintain_step *st = dbc_maintain_add_step(
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
