/*
 * generate_plan_alter.c — a changed table: its constraints, new, kept and
 * dropped columns by ALTER TABLE where the engine can say it all, columns
 * added at the end where it cannot, a rebuild otherwise.
 */
#include "migrate/generate_plan.h"
#include "migrate/generate_render.h"

#include <string.h>

static int add_constraint(planner *pl, const dbc_table *w, const dbc_constraint *k, int64_t rows)
{
	dbc_ctx *ctx = pl->ctx;
	char *qt = dbc_gen_qt(ctx, w), *qn = dbc_gen_q(ctx, k->name);
	char *def = dbc_gen_constraint_def(ctx, k);
	char *drop = dbc_printf(ctx, "ALTER TABLE %s DROP CONSTRAINT %s", qt, qn);
	bool safe = pl->in->opt->lock_safe;
	if (safe && pl->ctx->host->dialect->not_valid &&
	    (k->kind == DBC_CON_FOREIGN_KEY || k->kind == DBC_CON_CHECK)) {
		dbc_gen_step *s = dbc_gen_plan_add(
		    pl, dbc_printf(ctx, "ALTER TABLE %s ADD %s NOT VALID", qt, def), drop,
		    dbc_gen_lock_of(pl, k->kind == DBC_CON_FOREIGN_KEY ? DBC_LOP_ADD_FOREIGN_KEY
		                                                       : DBC_LOP_ADD_CHECK));
		if (!s)
			return DBC_ERROR;
		s->hazard = dbc_strdup(ctx, "checks new rows only until the next step validates");
		s = dbc_gen_plan_add(pl, dbc_printf(ctx, "ALTER TABLE %s VALIDATE CONSTRAINT %s", qt, qn),
		                     NULL, dbc_gen_lock_of(pl, DBC_LOP_VALIDATE));
		if (!s)
			return DBC_ERROR;
		s->rows = rows;
		s->hazard = dbc_strdup(ctx, "scans the table; writes go on");
		return DBC_OK;
	}
	if (safe && pl->conc && pl->ctx->host->dialect->unique_using_index &&
	    (k->kind == DBC_CON_UNIQUE || k->kind == DBC_CON_PRIMARY_KEY)) {
		char *cols = dbc_strlist_join(ctx, &k->columns, ", ");
		dbc_buf b;
		dbc_buf_init(&b, ctx);
		for (int i = 0; i < k->columns.n; i++)
			dbc_buf_appendf(&b, "%s%s", i ? ", " : "", dbc_gen_q(ctx, k->columns.items[i]));
		char *qcols = dbc_buf_finish(&b);
		(void)cols;
		char *make =
		    dbc_printf(ctx, "CREATE UNIQUE INDEX %s %s ON %s (%s)", pl->conc, qn, qt, qcols);
		dbc_gen_step *s = dbc_gen_plan_add(pl, make,
		                                   dbc_printf(ctx, "DROP INDEX %s IF EXISTS %s", pl->conc,
		                                              dbc_quoted_name(ctx, w->schema, k->name)),
		                                   dbc_gen_lock_of(pl, DBC_LOP_CREATE_INDEX));
		if (!s)
			return DBC_ERROR;
		s->transactional = false;
		s->rows = rows;
		s->hazard = dbc_strdup(ctx, "builds the index while writes go on");
		s->proof = dbc_printf(ctx, "CREATE UNIQUE INDEX %s ON %s (%s)", qn, qt, qcols);
		s->proof_reverse =
		    dbc_printf(ctx, "DROP INDEX IF EXISTS %s", dbc_quoted_name(ctx, w->schema, k->name));
		s = dbc_gen_plan_add(pl,
		                     dbc_printf(ctx, "ALTER TABLE %s ADD CONSTRAINT %s %s USING INDEX %s",
		                                qt, qn,
		                                k->kind == DBC_CON_UNIQUE ? "UNIQUE" : "PRIMARY KEY", qn),
		                     drop, dbc_gen_lock_of(pl, DBC_LOP_ADD_UNIQUE));
		return s ? DBC_OK : DBC_ERROR;
	}
	dbc_gen_step *s = dbc_gen_plan_add(pl, dbc_printf(ctx, "ALTER TABLE %s ADD %s", qt, def), drop,
	                                   dbc_gen_lock_of(pl, DBC_LOP_ADD_UNIQUE));
	if (s)
		s->rows = rows;
	return s ? DBC_OK : DBC_ERROR;
}

/* The live table's row count, read once, when a step first needs it. */
typedef struct lazy_rows {
	bool read;
	int64_t n;
} lazy_rows;

static int64_t rows_once(planner *pl, const dbc_table *l, lazy_rows *r)
{
	if (!r->read) {
		r->read = true;
		r->n = dbc_gen_rows_of(pl, l);
	}
	return r->n;
}

/* Whether check k of w names a column whose type changes and has a text
 * the engine offers another spelling of (env->index_spellings): its own
 * text parses back as another check, and ALTER COLUMN TYPE makes a
 * check again from its text. */
static bool check_remade_by_retype(planner *pl, const dbc_table *l, const dbc_table *w,
                                   const dbc_constraint *k)
{
	bool retyped = false;
	if (k->kind != DBC_CON_CHECK || !k->expr || strncmp(k->expr, "CHECK", 5) != 0 ||
	    !pl->in->env->index_spellings)
		return false;
	for (int i = 0; i < k->columns.n && !retyped; i++) {
		const dbc_column *c = dbc_table_find_column(w, k->columns.items[i]);
		bool renamed;
		const dbc_column *lc = c ? dbc_gen_column_from(pl, l, w, c, &renamed) : NULL;
		retyped = lc && !dbc_gen_same_text(lc->type, c->type);
	}
	dbc_strlist spellings = {0};
	return retyped && pl->in->env->index_spellings(pl->ctx, k->expr, &spellings) == DBC_OK &&
	       spellings.n > 0;
}

/* Whether live constraint lk stays as desired wk through alter_full: the
 * same, and not a check a type change would make otherwise (that one is
 * dropped before and added after, from its text the plan respells). */
static bool kept_k(planner *pl, const dbc_table *l, const dbc_table *w, const dbc_constraint *lk,
                   const dbc_constraint *wk)
{
	return dbc_gen_same_k(pl, lk, wk) && !check_remade_by_retype(pl, l, w, wk);
}

/* alter_full: the constraints that go or change, first (a type change may
 * need it); a renamed one is renamed. */
static int drop_changed_constraints(planner *pl, const dbc_table *l, const dbc_table *w,
                                    const char *qt)
{
	dbc_ctx *ctx = pl->ctx;
	for (int i = 0; i < l->nconstraints; i++) {
		const dbc_constraint *k = &l->constraints[i];
		if (k->kind == DBC_CON_NOT_NULL)
			continue;
		const dbc_constraint *wk = dbc_gen_find_constraint(w, k);
		if ((wk && kept_k(pl, l, w, k, wk)) || dbc_gen_key_dropped_first(pl, k))
			continue;
		const dbc_constraint *rk = dbc_gen_renamed_constraint(pl, l, w, k, true);
		if (rk && strcmp(l->name, w->name) != 0)
			continue; /* renamed with its table (renames()) */
		if (rk) {
			if (!dbc_gen_plan_add(pl,
			                      dbc_printf(ctx, "ALTER TABLE %s RENAME CONSTRAINT %s TO %s", qt,
			                                 dbc_gen_q(ctx, k->name), dbc_gen_q(ctx, rk->name)),
			                      dbc_printf(ctx, "ALTER TABLE %s RENAME CONSTRAINT %s TO %s", qt,
			                                 dbc_gen_q(ctx, rk->name), dbc_gen_q(ctx, k->name)),
			                      dbc_gen_lock_of(pl, DBC_LOP_ALTER_CONSTRAINT)))
				return DBC_ERROR;
			continue;
		}
		if (!dbc_gen_plan_add(
		        pl,
		        dbc_printf(ctx, "ALTER TABLE %s DROP CONSTRAINT %s", qt, dbc_gen_q(ctx, k->name)),
		        dbc_printf(ctx, "ALTER TABLE %s ADD %s", qt, dbc_gen_constraint_def(ctx, k)),
		        dbc_gen_lock_of(pl, DBC_LOP_ALTER_CONSTRAINT)))
			return DBC_ERROR;
	}
	return DBC_OK;
}

/* alter_full: column i of the wanted table, which the live one lacks:
 * ADD COLUMN (appended: a hazard when the file has it before a kept one). */
static int add_new_column(planner *pl, const dbc_table *l, const dbc_table *w, const char *qt,
                          int i)
{
	dbc_ctx *ctx = pl->ctx;
	const dbc_column *c = &w->columns[i];
	char *qc = dbc_gen_q(ctx, c->name);
	const dbc_gen_coldef *cd = dbc_gen_find_coldef(pl->in->desired, w->name, c->name);
	bool plain = cd && !dbc_gen_names_token(ctx, cd->text, "REFERENCES") &&
	             !dbc_gen_names_token(ctx, cd->text, "CHECK") &&
	             !dbc_gen_names_token(ctx, cd->text, "UNIQUE") &&
	             !dbc_gen_names_token(ctx, cd->text, "PRIMARY") &&
	             !dbc_gen_names_token(ctx, cd->text, "CONSTRAINT");
	/* pg_dump writes an identity as an ALTER TABLE of its own */
	plain = plain && (!dbc_gen_is_identity(c) || dbc_gen_names_token(ctx, cd->text, "IDENTITY"));
	dbc_gen_step *s =
	    dbc_gen_plan_add(pl,
	                     dbc_printf(ctx, "ALTER TABLE %s ADD COLUMN %s", qt,
	                                plain ? cd->text : dbc_gen_identity_named(pl, w, c)),
	                     dbc_printf(ctx, "ALTER TABLE %s DROP COLUMN %s", qt, qc),
	                     dbc_gen_lock_of(pl, DBC_LOP_ADD_COLUMN));
	if (!s)
		return DBC_ERROR;
	if (c->not_null && !c->default_expr)
		s->hazard = dbc_strdup(ctx, "NOT NULL without a default: fails on a table with rows");
	/* written before a column the table keeps: ADD COLUMN appends (the
	 * plan's end puts it in its place where it makes the table again) */
	if (pl->reorder[dbc_gen_table_index(pl->in->want, w)])
		return DBC_OK;
	const char *next = NULL;
	for (int k = i + 1; k < w->ncolumns && !next; k++) {
		bool r2;
		if (dbc_gen_column_from(pl, l, w, &w->columns[k], &r2))
			next = w->columns[k].name;
	}
	pl->out->appended_moves |= next != NULL;
	if (next)
		s->hazard = dbc_printf(ctx,
		                       "%s%sadds column %s.%s after the table's other columns "
		                       "(ADD COLUMN appends; the desired file has it before %s%s%s)",
		                       s->hazard ? s->hazard : "", s->hazard ? "; " : "", w->name, c->name,
		                       next, pl->kept_order_why ? "; " : "",
		                       pl->kept_order_why ? pl->kept_order_why : "");
	/* every added column goes last, in the order of the steps */
	if (dbc_grow(ctx, &pl->out->appended, pl->out->nappended, &pl->out->capappended,
	             sizeof(dbc_gen_moved), 8) != DBC_OK)
		return DBC_ERROR;
	pl->out->appended[pl->out->nappended++] = (dbc_gen_moved){.table = w, .column = c};
	return DBC_OK;
}

/* alter_full: a column both have (lc live, c wanted): its type, default,
 * NOT NULL; a changed collation or generation is refused. */
/* Whether type (a column's, as the catalog writes it: bare or
 * schema-qualified) is an enum of schema s: a value converts to or from
 * it through its text only. */
static bool is_enum(const dbc_schema *s, const char *type)
{
	for (int i = 0; type && i < s->nobjects; i++) {
		const dbc_object *o = &s->objects[i];
		size_t n = strlen(o->name), t = strlen(type);
		if (strcmp(o->type, "type") == 0 && o->definition &&
		    strncmp(o->definition, "ENUM", 4) == 0 && t >= n &&
		    strcmp(type + t - n, o->name) == 0 && (t == n || type[t - n - 1] == '.'))
			return true;
	}
	return false;
}

static int alter_kept_column(planner *pl, const dbc_table *l, const dbc_table *w, const char *qt,
                             const dbc_column *lc, const dbc_column *c, lazy_rows *rows)
{
	dbc_ctx *ctx = pl->ctx;
	char *qc = dbc_gen_q(ctx, c->name);
	bool retyped = !dbc_gen_same_text(lc->type, c->type);
	char *up_default = NULL, *down_default = NULL;
	if (!dbc_gen_same_text(lc->default_expr, c->default_expr)) {
		up_default = dbc_gen_column_default(
		    pl, &(default_change){pl->in->live, pl->in->want, l, w, qt}, c, lc);
		down_default = dbc_gen_column_default(
		    pl, &(default_change){pl->in->want, pl->in->live, w, l, qt}, lc, c);
	}
	/* a default that changes with the type (an integer becoming an enum)
	 * fits one type only: the live one goes before the type changes (the
	 * down sets it back after the type is back), the desired one comes
	 * after */
	bool split = retyped && up_default && lc->default_expr && !dbc_gen_is_identity(lc) &&
	             !dbc_gen_is_identity(c);
	char *no_default = dbc_printf(ctx, "ALTER TABLE %s ALTER COLUMN %s DROP DEFAULT", qt, qc);
	if (split &&
	    !dbc_gen_plan_add(pl, no_default, down_default, dbc_gen_lock_of(pl, DBC_LOP_ALTER_OTHER)))
		return DBC_ERROR;
	if (retyped) {
		bool rewrites = true;
		if (pl->eng && pl->eng->type_rewrites &&
		    pl->eng->type_rewrites(ctx, lc->type, c->type, &rewrites) != DBC_OK)
			return DBC_ERROR;
		const char *via =
		    is_enum(pl->in->live, lc->type) || is_enum(pl->in->want, c->type) ? "::text" : "";
		dbc_gen_step *s = dbc_gen_plan_add(
		    pl,
		    dbc_printf(ctx, "ALTER TABLE %s ALTER COLUMN %s TYPE %s USING %s%s::%s", qt, qc,
		               c->type, qc, via, c->type),
		    dbc_printf(ctx, "ALTER TABLE %s ALTER COLUMN %s TYPE %s USING %s%s::%s", qt, qc,
		               lc->type, qc, via, lc->type),
		    dbc_gen_lock_of(pl, DBC_LOP_ALTER_TYPE));
		if (!s)
			return DBC_ERROR;
		s->rows = rows_once(pl, l, rows);
		s->hazard =
		    rewrites ? dbc_printf(ctx, "rewrites the table: %s to %s", lc->type, c->type) : NULL;
	}
	if (up_default && !dbc_gen_plan_add(pl, up_default, split ? no_default : down_default,
	                                    dbc_gen_lock_of(pl, DBC_LOP_ALTER_OTHER)))
		return DBC_ERROR;
	if (!lc->not_null && c->not_null && dbc_gen_refuse_nulls(pl, l, w, lc->name, c->name) != DBC_OK)
		return DBC_ERROR;
	if (lc->not_null != c->not_null) {
		char *set = dbc_printf(ctx, "ALTER TABLE %s ALTER COLUMN %s SET NOT NULL", qt, qc);
		char *unset = dbc_printf(ctx, "ALTER TABLE %s ALTER COLUMN %s DROP NOT NULL", qt, qc);
		if (!c->not_null) {
			if (!dbc_gen_plan_add(pl, unset, set, dbc_gen_lock_of(pl, DBC_LOP_ALTER_OTHER)))
				return DBC_ERROR;
		} else if (pl->in->opt->lock_safe && pl->ctx->host->dialect->not_valid) {
			/* a validated CHECK lets SET NOT NULL skip its scan under the lock */
			char *cn = dbc_gen_q(ctx, dbc_printf(ctx, "%s_%s_not_null", w->name, c->name));
			char *addc = dbc_printf(ctx, "ALTER TABLE %s ADD CONSTRAINT %s CHECK (%s IS NOT NULL)",
			                        qt, cn, qc);
			char *dropc = dbc_printf(ctx, "ALTER TABLE %s DROP CONSTRAINT %s", qt, cn);
			dbc_gen_step *s = dbc_gen_plan_add(pl, dbc_printf(ctx, "%s NOT VALID", addc), dropc,
			                                   dbc_gen_lock_of(pl, DBC_LOP_ADD_CHECK));
			if (!s || !(s = dbc_gen_plan_add(
			                pl, dbc_printf(ctx, "ALTER TABLE %s VALIDATE CONSTRAINT %s", qt, cn),
			                NULL, dbc_gen_lock_of(pl, DBC_LOP_VALIDATE))))
				return DBC_ERROR;
			s->rows = rows_once(pl, l, rows);
			s->hazard = dbc_strdup(ctx, "scans the table; writes go on");
			if (!dbc_gen_plan_add(pl, set, unset, dbc_gen_lock_of(pl, DBC_LOP_SET_NOT_NULL)) ||
			    !dbc_gen_plan_add(pl, dropc, dbc_printf(ctx, "%s NOT VALID", addc),
			                      dbc_gen_lock_of(pl, DBC_LOP_ALTER_CONSTRAINT)))
				return DBC_ERROR;
		} else {
			dbc_gen_step *s =
			    dbc_gen_plan_add(pl, set, unset, dbc_gen_lock_of(pl, DBC_LOP_SET_NOT_NULL));
			if (!s)
				return DBC_ERROR;
			s->rows = rows_once(pl, l, rows);
			s->hazard = dbc_strdup(ctx, "scans the table under the lock");
		}
	}
	if (!dbc_gen_same_text(lc->collation, c->collation) ||
	    !dbc_gen_same_text(lc->generated, c->generated))
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		                 "column %s.%s changes its collation or generation, which the "
		                 "generator does not write; write that step by hand",
		                 w->name, c->name);
	return DBC_OK;
}

/* alter_full: the columns that go, the last first (see there). */
static int drop_gone_columns(planner *pl, const dbc_table *l, const dbc_table *w)
{
	bool kept_after = false; /* a column after this one stays */
	for (int i = l->ncolumns - 1; i >= 0; i--) {
		const dbc_column *lc = &l->columns[i];
		bool kept = dbc_gen_column_kept(pl, l, w, lc);
		if (kept) {
			kept_after = true;
			continue;
		}
		if (!dbc_gen_dropped_first(pl, lc) &&
		    dbc_gen_drop_column(pl, l, w, lc, kept_after) != DBC_OK)
			return DBC_ERROR;
	}
	return DBC_OK;
}

/* alter_full: the constraints that come or change. */
static int add_new_constraints(planner *pl, const dbc_table *l, const dbc_table *w, lazy_rows *rows,
                               bool after_indexes)
{
	for (int i = 0; i < w->nconstraints; i++) {
		const dbc_constraint *k = &w->constraints[i];
		if (k->kind == DBC_CON_NOT_NULL || dbc_gen_key_needs_new_index(pl, k) != after_indexes)
			continue;
		const dbc_constraint *lk = dbc_gen_find_constraint(l, k);
		if ((lk && kept_k(pl, l, w, lk, k)) || dbc_gen_renamed_constraint(pl, w, l, k, false))
			continue;
		if (add_constraint(pl, w, k, rows_once(pl, l, rows)) != DBC_OK)
			return DBC_ERROR;
	}
	return DBC_OK;
}

/* w's columns in the order ALTER TABLE leaves them: those kept in the live
 * table's order, then the added ones (ADD COLUMN appends). */
static int order_after_alter(planner *pl, const dbc_table *l, const dbc_table *w, dbc_table *out)
{
	*out = *w;
	out->columns = dbc_alloc(pl->ctx, sizeof(dbc_column) * (size_t)(w->ncolumns + 1));
	if (!out->columns)
		return DBC_ERROR;
	int n = 0;
	for (int k = 0; k < l->ncolumns; k++)
		for (int i = 0; i < w->ncolumns; i++) {
			bool renamed;
			if (dbc_gen_column_from(pl, l, w, &w->columns[i], &renamed) == &l->columns[k])
				out->columns[n++] = w->columns[i];
		}
	for (int i = 0; i < w->ncolumns; i++) {
		bool renamed;
		if (!dbc_gen_column_from(pl, l, w, &w->columns[i], &renamed))
			out->columns[n++] = w->columns[i];
	}
	out->ncolumns = n;
	return pl->ctx->failed ? DBC_ERROR : DBC_OK;
}

/* Whether the plan makes w again in its column order (pl->reorder), where
 * ALTER TABLE leaves them otherwise: unless the options say not to, or the
 * engine says the table has what making it again would lose
 * (pl->kept_order_why then says so). */
static int choose_reorder(planner *pl, const dbc_table *l, const dbc_table *w)
{
	dbc_ctx *ctx = pl->ctx;
	int i = dbc_gen_table_index(pl->in->want, w);
	pl->kept_order_why = NULL;
	dbc_table *after = dbc_alloc(ctx, sizeof(dbc_table));
	if (!after || order_after_alter(pl, l, w, after) != DBC_OK)
		return DBC_ERROR;
	bool same = after->ncolumns == w->ncolumns;
	for (int k = 0; same && k < w->ncolumns; k++)
		same = strcmp(after->columns[k].name, w->columns[k].name) == 0;
	if (same || !pl->eng || !pl->eng->remake_loses)
		return DBC_OK;
	char *lost = NULL;
	if (!pl->in->opt->reorder_columns)
		pl->kept_order_why = "reorder_columns is off";
	else if (pl->eng->remake_loses(ctx, l->schema, l->name, &lost) != DBC_OK)
		return DBC_ERROR;
	else if (lost)
		pl->kept_order_why = dbc_printf(ctx,
		                                "the table is not made again in that order: it would "
		                                "lose %s; write that step by hand",
		                                lost);
	else
		pl->reorder[i] = after;
	return DBC_OK;
}

/* A changed table where ALTER TABLE can say it all (PostgreSQL): the
 * constraints that go or change, the columns that go, then per wanted
 * column its addition or change, the constraints that come. */
static int alter_full(planner *pl, const dbc_table *l, const dbc_table *w)
{
	dbc_ctx *ctx = pl->ctx;
	char *qt = dbc_gen_qt(ctx, w);
	lazy_rows rows = {0};
	if (choose_reorder(pl, l, w) != DBC_OK || drop_changed_constraints(pl, l, w, qt) != DBC_OK)
		return DBC_ERROR;
	/* columns that go, the last first, before the kept ones change (a
	 * generated column that goes may read one whose type changes, which
	 * the engine refuses to convert under it; the down converts it back
	 * before adding the column again): the down adds them back in the
	 * table's order, after the columns that stay (plan->moved) */
	if (drop_gone_columns(pl, l, w) != DBC_OK)
		return DBC_ERROR;
	for (int i = 0; i < w->ncolumns; i++) {
		const dbc_column *c = &w->columns[i];
		bool renamed;
		const dbc_column *lc = dbc_gen_column_from(pl, l, w, c, &renamed);
		if (ctx->failed)
			return DBC_ERROR;
		if (!lc ? add_new_column(pl, l, w, qt, i) != DBC_OK
		        : alter_kept_column(pl, l, w, qt, lc, c, &rows) != DBC_OK)
			return DBC_ERROR;
	}
	return add_new_constraints(pl, l, w, &rows, false);
}

/* Columns added at the end where the ALTER TABLE is limited. */
static int alter_add_columns(planner *pl, const dbc_table *l, const dbc_table *w)
{
	dbc_ctx *ctx = pl->ctx;
	for (int i = 0; i < w->ncolumns; i++) {
		bool renamed;
		if (dbc_gen_column_from(pl, l, w, &w->columns[i], &renamed) || ctx->failed)
			continue;
		if (dbc_gen_refuse_required(pl, l, w, &w->columns[i]) != DBC_OK)
			return DBC_ERROR;
		const dbc_gen_coldef *cd =
		    dbc_gen_find_coldef(pl->in->desired, w->name, w->columns[i].name);
		char *qt = dbc_gen_qt(ctx, w);
		if (!dbc_gen_plan_add(pl,
		                      dbc_printf(ctx, "ALTER TABLE %s ADD COLUMN %s", qt,
		                                 cd ? cd->text : dbc_gen_column_def(ctx, &w->columns[i])),
		                      dbc_printf(ctx, "ALTER TABLE %s DROP COLUMN %s", qt,
		                                 dbc_gen_q(ctx, w->columns[i].name)),
		                      dbc_gen_lock_of(pl, DBC_LOP_ADD_COLUMN)))
			return DBC_ERROR;
	}
	return ctx->failed ? DBC_ERROR : DBC_OK;
}

/* A rebuild that leaves columns behind drops them: refused without
 * allow_drop, as an ALTER TABLE ... DROP COLUMN is; with it, *what names
 * them with their counts for the rebuild's hazard (NULL: none dropped). */
static int rebuild_drops(planner *pl, const dbc_table *l, const dbc_table *w, char **what)
{
	*what = NULL;
	for (int i = 0; i < l->ncolumns; i++) {
		const dbc_column *lc = &l->columns[i];
		bool kept = dbc_gen_column_kept(pl, l, w, lc);
		if (kept || lc->hidden || dbc_gen_dropped_first(pl, lc))
			continue;
		int64_t n, values;
		char *counts;
		if (dbc_gen_count_rows(pl, l, lc->name, &n, &values, &counts) != DBC_OK)
			return DBC_ERROR;
		char *col = dbc_printf(pl->ctx, "column %s.%s (%s)", w->name, lc->name, counts);
		if (!pl->in->opt->allow_drop)
			return dbc_gen_refuse_drop(pl, col);
		col = dbc_printf(pl->ctx, "%s%s", col, dbc_gen_down_fails(lc));
		*what = *what ? dbc_printf(pl->ctx, "%s, %s", *what, col) : col;
	}
	return DBC_OK;
}

int dbc_gen_changed_tables(planner *pl)
{
	const dbc_schema *W = pl->in->want;
	for (int i = 0; i < W->ntables; i++) {
		const dbc_table *w = &W->tables[i], *l = pl->from[i];
		if (!l)
			continue;
		int rc;
		if (pl->rebuilt[i]) {
			char *drops;
			rc = rebuild_drops(pl, l, w, &drops) == DBC_OK &&
			             dbc_gen_refuse_required_all(pl, l, w) == DBC_OK
			         ? dbc_gen_rebuild(pl->ctx, pl->in, l, w, pl->out)
			         : DBC_ERROR;
			dbc_gen_step *s = pl->out->n ? &pl->out->items[pl->out->n - 1] : NULL;
			if (rc == DBC_OK && drops && s)
				s->hazard = dbc_printf(pl->ctx, "%s; drops %s, which the down brings back empty",
				                       s->hazard, drops);
		} else if (pl->limited)
			rc = alter_add_columns(pl, l, w);
		else
			rc = alter_full(pl, l, w) == DBC_OK ? dbc_gen_alter_row_security(pl, l, w) : DBC_ERROR;
		if (rc != DBC_OK)
			return DBC_ERROR;
	}
	return DBC_OK;
}

/* The foreign keys of changed and new tables that need a unique index
 * the index pass makes (dbc_gen_key_needs_new_index): added after it, so
 * that the down drops them before the index. */
int dbc_gen_keys_after_indexes(planner *pl)
{
	const dbc_schema *W = pl->in->want;
	for (int i = 0; i < W->ntables; i++) {
		const dbc_table *l = pl->from[i], *w = &W->tables[i];
		lazy_rows rows = {0};
		if (l && !pl->rebuilt[i] && !pl->limited &&
		    add_new_constraints(pl, l, w, &rows, true) != DBC_OK)
			return DBC_ERROR;
	}
	return dbc_gen_new_table_keys(pl, true);
}
