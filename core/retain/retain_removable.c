/*
 * retain_removable.c — the one rule deciding which rows a retention batch
 * removes, shared by dbretain_apply (retain_apply.c), the archive in another
 * database (retain_export.c, whose archived rows must be exactly the rows it
 * deletes) and dbretain_plan's counts.
 *
 * A batch starts from candidates (due rows it may take). A candidate stays
 * when a row that stays references it through a key without an ON DELETE
 * action: a row of another table, a row of the table that is no candidate,
 * or a candidate that stays itself (kept, recursively). Every other
 * candidate goes in one statement: the engine checks NO ACTION keys (and on
 * PostgreSQL RESTRICT ones) at the end of the statement, when the rows
 * referencing each other (a tree of due comments, a cycle) are gone
 * together. A key the engine checks as each row goes (SQLite's RESTRICT)
 * keeps a row while any other row references it: such rows go leaves
 * first, a pass each, and never as part of a cycle.
 *
 * Invariant: the rows a batch removes are closed under "referenced by": no
 * row left after the statement references one of them through such a key,
 * so the engine with every key enforced accepts the DELETE, and with a key
 * it does not enforce now (SQLite's foreign_keys off) no row is left
 * pointing at nothing.
 */
#include "retain/retain_policy.h"

/* " FROM <source> AS <alias>" */
static char *source_as(dbc_ctx *ctx, const dbc_policy_ctx *pc, const char *alias)
{
	return dbc_printf(ctx, " FROM %s%s AS %s", dbc_retain_only(ctx), pc->qt, alias);
}

/* "row s is referenced through key k by a row that keeps it": any row of
 * another table; for the table's own key a row that is no candidate (or,
 * for a key checked as each row goes, any other row). Rows of the table
 * kept themselves are added by the recursion. */
static char *seed_part(dbc_ctx *ctx, const dbc_policy_ctx *pc, const dbc_blocker_key *k)
{
	if (!k->self)
		return k->exists;
	const char *id = pc->row_id;
	char *stays = k->at_end
	                  ? dbc_printf(ctx, "NOT (c.%s IN (SELECT d.id FROM dbcare_cand AS d))", id)
	                  : dbc_printf(ctx, "NOT (c.%s = s.%s)", id, id);
	char *from = source_as(ctx, pc, "c");
	return stays && from ? dbc_printf(ctx, "EXISTS (SELECT 1%s%s WHERE (%s) AND %s)", from,
	                                  k->from_s, k->match_s, stays)
	                     : NULL;
}

/* Whether pc's table has a key of its own that keeps rows (a tree). */
bool dbc_retain_self_keyed(const dbc_policy_ctx *pc)
{
	for (int i = 0; i < pc->nblockers; i++)
		if (pc->blocker_keys[i].self)
			return true;
	return false;
}

char *dbc_retain_kept_with(dbc_ctx *ctx, const dbc_policy_ctx *pc, const char *cands)
{
	const char *id = pc->row_id;
	dbc_buf seed, step;
	dbc_buf_init(&seed, ctx);
	dbc_buf_init(&step, ctx);
	dbc_buf_append(&seed, "");
	dbc_buf_append(&step, "");
	for (int i = 0; i < pc->nblockers; i++) {
		const dbc_blocker_key *k = &pc->blocker_keys[i];
		char *part = seed_part(ctx, pc, k);
		if (!part)
			return NULL;
		dbc_buf_appendf(&seed, "%s%s", i ? " OR " : "", part);
		if (k->self)
			dbc_buf_appendf(&step, "%s(%s)", step.len ? " OR " : "", k->match_p);
	}
	char *seeds = dbc_buf_finish(&seed), *steps = dbc_buf_finish(&step);
	char *from_s = source_as(ctx, pc, "s");
	if (!seeds || !steps || !from_s)
		return NULL;
	char *recursion =
	    !*steps ? ""
	            : dbc_printf(ctx,
	                         " UNION SELECT p.%s FROM dbcare_kept AS k JOIN %s%s AS c ON c.%s = "
	                         "k.id JOIN %s%s AS p ON %s WHERE p.%s IN (SELECT d.id FROM "
	                         "dbcare_cand AS d)",
	                         id, dbc_retain_only(ctx), pc->qt, id, dbc_retain_only(ctx), pc->qt,
	                         steps, id);
	return recursion ? dbc_printf(ctx,
	                              "WITH RECURSIVE dbcare_cand(id) AS (%s), dbcare_kept(id) AS "
	                              "(SELECT s.%s%s WHERE s.%s IN (SELECT d.id FROM dbcare_cand "
	                              "AS d) AND (%s)%s) ",
	                              cands, id, from_s, id, *seeds ? seeds : "1 = 0", recursion)
	                 : NULL;
}

char *dbc_retain_removable(dbc_ctx *ctx, const dbc_retain_hooks *eng, const dbc_policy_ctx *pc,
                           const char *cands)
{
	char *id = dbc_printf(ctx, "s.%s", pc->row_id);
	if (!id || !cands)
		return NULL;
	if (pc->nblockers == 0)
		return eng->rows_in(ctx, id, cands);
	char *with = dbc_retain_kept_with(ctx, pc, cands);
	char *ids = with ? dbc_printf(ctx,
	                              "%sSELECT d.id FROM dbcare_cand AS d EXCEPT SELECT k.id FROM "
	                              "dbcare_kept AS k",
	                              with)
	                 : NULL;
	return ids ? eng->rows_in(ctx, id, ids) : NULL;
}

char *dbc_retain_pick(dbc_ctx *ctx, const dbc_retain_hooks *eng, const dbc_policy_ctx *pc,
                      int64_t n, bool resumed, bool sweep)
{
	const dbc_dialect *d = ctx->host->dialect;
	char *lock = d->skip_locked ? dbc_printf(ctx, d->skip_locked, "s") : "";
	char *from = source_as(ctx, pc, "s");
	if (!lock || !from)
		return NULL;
	if (sweep) {
		/* The due rows the rule removes (every due row no staying row
		 * references: closed under "referenced by"), the n oldest of them,
		 * and of those the rows the rule removes again: a cycle the n cut
		 * through stays whole for a later batch, so the batch is at most n
		 * rows and still closed (the engine accepts deleting it alone). */
		char *due = dbc_printf(ctx, "SELECT s.%s%s WHERE %s", pc->row_id, from, pc->due);
		char *gone = dbc_retain_removable(ctx, eng, pc, due);
		char *oldest =
		    gone
		        ? dbc_printf(ctx, "SELECT s.%s%s WHERE %s AND %s ORDER BY s.%s%s%s LIMIT %lld",
		                     pc->row_id, from, pc->due, gone, pc->qc, d->writable_cte ? "" : ", s.",
		                     d->writable_cte ? "" : pc->row_id, (long long)n)
		        : NULL;
		char *whole = dbc_retain_removable(ctx, eng, pc, oldest);
		return whole ? dbc_printf(ctx, "SELECT s.%s%s WHERE %s AND %s%s", pc->row_id, from, pc->due,
		                          whole, lock)
		             : NULL;
	}
	char *after = resumed ? dbc_printf(ctx, " AND s.%s >= %s", pc->qc,
	                                   eng->param_as(ctx, 2, d->time_param_type))
	                      : "";
	return after ? dbc_printf(ctx, "SELECT s.%s%s WHERE %s%s%s ORDER BY s.%s%s%s LIMIT %lld%s",
	                          pc->row_id, from, pc->due, after, pc->unblocked, pc->qc,
	                          d->writable_cte ? "" : ", s.", d->writable_cte ? "" : pc->row_id,
	                          (long long)n, lock)
	             : NULL;
}

char *dbc_retain_kept_by(dbc_ctx *ctx, const dbc_policy_ctx *pc, const dbc_blocker_key *k,
                         const char *cands)
{
	const char *id = pc->row_id;
	char *with = dbc_retain_kept_with(ctx, pc, cands), *from = source_as(ctx, pc, "s");
	if (!with || !from)
		return NULL;
	char *by = k->exists;
	if (k->self) {
		char *stays =
		    k->at_end ? dbc_printf(ctx,
		                           "(NOT (c.%s IN (SELECT d.id FROM dbcare_cand AS d)) OR c.%s IN "
		                           "(SELECT e.id FROM dbcare_kept AS e))",
		                           id, id)
		              : dbc_printf(ctx, "NOT (c.%s = s.%s)", id, id);
		char *c_from = source_as(ctx, pc, "c");
		by = stays && c_from ? dbc_printf(ctx, "EXISTS (SELECT 1%s%s WHERE (%s) AND %s)", c_from,
		                                  k->from_s, k->match_s, stays)
		                     : NULL;
	}
	return by ? dbc_printf(ctx,
	                       "%sSELECT count(*)%s WHERE s.%s IN (SELECT k.id FROM dbcare_kept AS k) "
	                       "AND %s",
	                       with, from, id, by)
	          : NULL;
}
