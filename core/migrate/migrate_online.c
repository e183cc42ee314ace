/*
 * migrate_online.c — dbmigrate_online_plan (docs/migrations.md, "Online"):
 * the steps `dbcare migrate --online` runs for one pending migration. Its
 * plain SQL is read as the lint reads it (classified, judged against the
 * tables as the earlier statements leave them); each statement the lint
 * finds blocking on a table holding rows becomes the engine's lock-safe
 * recipe, every other statement runs as written. Nothing runs here: the
 * command drives the steps (cli/cmd/migrate_online.c).
 *
 * A step belongs to a unit: the command runs a unit's "transaction" steps
 * in one transaction and its other steps one by one outside a transaction,
 * and starts a unit again from its first step when a lock was not granted
 * in time. Modes: "transaction"; "outside" (at top level: CONCURRENTLY);
 * "batches" (a backfill by ranges of pages: passes over the table, each
 * from page 0 to its size when the pass began, one transaction a range,
 * until a pass fills no row; see dbc_dialect.online_backfill_range);
 * "probe" (one statement, each run in a transaction of its own, again
 * until it fills no row: dbc_dialect.online_backfill_probe); "generated" (a query
 * whose rows are statements, each run outside a transaction). Every
 * recipe ends in the schema the statement as written gives: the same
 * names, defaults and attributes (the fingerprint of both is equal).
 * ALTER COLUMN TYPE's recipe, a shadow column, is migrate_online_type.c's;
 * the plan of a run that stopped after its swap keeps it (the version's
 * step records say it started), though the column no longer needs it.
 */
#include "migrate/migrate_online.h"
#include "migrate/migrate_store.h"
#include "base/json.h"
#include "migrate/migrate_version.h"
#include "schema/ddl_lex.h"

#include <string.h>

/* The index a names, quoted (in its table's schema when written so). */
static char *index_sql(dbc_ctx *ctx, const dbc_lint_action *a)
{
	const dbc_host *h = ctx->host;
	char *i = h->quote_ident(ctx, a->index);
	return a->schema && i ? dbc_printf(ctx, "%s.%s", h->quote_ident(ctx, a->schema), i) : i;
}

/* CREATE [UNIQUE] INDEX ... → the same with CONCURRENTLY after INDEX (and
 * IF NOT EXISTS when if_absent and not written already); NULL when the
 * words are not there as expected. */
static char *with_concurrently(dbc_ctx *ctx, const char *text, size_t len, const char *word,
                               bool if_absent)
{
	const char *p = text, *end;
	size_t n = dbc_online_body_end(text, len, &end);
	for (int i = 0; i < 3; i++) {
		dbc_token t = dbc_lex_next(&p);
		if (dbc_lex_is_word(t, "INDEX")) {
			size_t head = (size_t)(t.start + t.len - text);
			const char *peek = p;
			if (if_absent && !dbc_lex_is_word(dbc_lex_next(&peek), "IF"))
				word = dbc_printf(ctx, "%s IF NOT EXISTS", word);
			return dbc_printf(ctx, "%.*s %s%.*s", (int)head, text, word, (int)(n - head),
			                  text + head);
		}
		if (!dbc_lex_is_word(t, "CREATE") && !dbc_lex_is_word(t, "UNIQUE"))
			return NULL;
	}
	return NULL;
}

static int online_index(online_out *o, const dbc_lint_action *a, const dbc_stmt *st)
{
	dbc_ctx *ctx = o->ctx;
	const dbc_host *h = ctx->host;
	const dbc_dialect *d = h->dialect;
	char *sql = with_concurrently(ctx, st->text, st->len, d->concurrently, false);
	if (!sql)
		return dbc_online_as_written(o, st, false, d->lint_locks[a->op]);
	dbc_online_new_unit(o);
	if (!a->index) /* an unnamed index: the name the build chose is not known here */
		return o->undo = NULL,
		       dbc_online_step(o, "outside", NULL, sql, "CREATE INDEX, built CONCURRENTLY");
	/* A named one: built IF NOT EXISTS only when the index of that name is
	 * this migration's -- it was absent when the migration first came to
	 * this step (recorded as step -k, k the build's step) -- so that a run
	 * killed after the build, before it was recorded, resumes past it; an
	 * index of that name there before the migration fails the build, as
	 * the statement as written fails, and is never dropped as a leftover. */
	char *lit = dbc_online_name_literal(ctx, a->schema, a->index);
	char *ver = h->quote_literal(ctx, o->version);
	char *again = with_concurrently(ctx, st->text, st->len, d->concurrently, true);
	int marker = -(o->step + 2);
	if (!lit || !ver || !again ||
	    dbc_online_step(
	        o, "generated", NULL, dbc_printf(ctx, d->online_index_leftover, lit, ver, marker),
	        "an invalid index a failed build of this migration left, dropped") != DBC_OK)
		return DBC_ERROR;
	/* the undo of a "generated" step is a query too: the index dropped
	 * only when it is this migration's (the mark), never one there before */
	char *drop = dbc_printf(ctx, "DROP INDEX %s IF EXISTS %s", d->concurrently, index_sql(ctx, a));
	o->undo =
	    dbc_printf(ctx, d->online_index_build, ver, marker, "NULL", h->quote_literal(ctx, drop));
	return dbc_online_step(o, "generated", NULL,
	                       dbc_printf(ctx, d->online_index_build, ver, marker,
	                                  h->quote_literal(ctx, sql), h->quote_literal(ctx, again)),
	                       "CREATE INDEX, built CONCURRENTLY");
}

/* ALTER TABLE ... ADD [CONSTRAINT] FOREIGN KEY / CHECK → NOT VALID, then
 * VALIDATE in a transaction of its own (a lock that lets writes go on). */
static int online_constraint(online_out *o, const dbc_lint_action *a, const dbc_stmt *st)
{
	dbc_ctx *ctx = o->ctx;
	const dbc_dialect *d = ctx->host->dialect;
	const char *end;
	size_t n = dbc_online_body_end(st->text, st->len, &end);
	bool fk = a->op == DBC_LOP_ADD_FOREIGN_KEY;
	dbc_online_new_unit(o);
	/* an unnamed constraint: the name it got is not known here */
	o->undo = a->constraint ? dbc_printf(ctx, "ALTER TABLE %s DROP CONSTRAINT IF EXISTS %s",
	                                     dbc_online_table_sql(ctx, a),
	                                     ctx->host->quote_ident(ctx, a->constraint))
	                        : NULL;
	if (dbc_online_step(o, "transaction", d->lint_locks[a->op],
	                    dbc_printf(ctx, "%.*s NOT VALID", (int)n, st->text),
	                    fk ? "ADD FOREIGN KEY, NOT VALID" : "ADD CHECK, NOT VALID") != DBC_OK)
		return DBC_ERROR;
	dbc_online_new_unit(o);
	const char *lock = d->lint_locks[DBC_LOP_VALIDATE];
	if (a->constraint)
		return dbc_online_step(o, "transaction", lock,
		                       dbc_printf(ctx, "ALTER TABLE %s VALIDATE CONSTRAINT %s",
		                                  dbc_online_table_sql(ctx, a),
		                                  ctx->host->quote_ident(ctx, a->constraint)),
		                       "VALIDATE CONSTRAINT, writes go on");
	char *tab = dbc_online_name_literal(ctx, a->schema, a->table);
	return tab ? dbc_online_step(o, "generated", lock,
	                             dbc_printf(ctx, d->online_validate_latest, tab,
	                                        ctx->host->quote_literal(ctx, fk ? "f" : "c")),
	                             "VALIDATE CONSTRAINT, writes go on")
	           : DBC_ERROR;
}

/* ADD COLUMN c type NOT NULL DEFAULT volatile() → the column nullable with
 * its default (new rows get it), the old rows filled in batches, NOT NULL
 * proved by a CHECK validated without blocking writes, then SET NOT NULL
 * (which reads the validated check instead of the rows) and the check
 * dropped, in one short transaction. */
static int online_not_null(online_out *o, const dbc_lint_action *a)
{
	dbc_ctx *ctx = o->ctx;
	const dbc_host *h = ctx->host;
	const char *ax = h->dialect->exclusive_lock;
	char *t = dbc_online_table_sql(ctx, a), *c = h->quote_ident(ctx, a->column);
	char *chk = h->quote_ident(ctx, dbc_printf(ctx, "dbcare_online_nn_%s", a->column));
	if (!t || !c || !chk)
		return DBC_ERROR;
	dbc_online_new_unit(o);
	/* the column dropped takes its default, CHECK and NOT NULL with it */
	o->undo = dbc_printf(ctx, "ALTER TABLE %s DROP COLUMN IF EXISTS %s", t, c);
	if (dbc_online_step(o, "transaction", ax,
	                    dbc_printf(ctx, "ALTER TABLE %s ADD COLUMN %s %s", t, c, a->type),
	                    "ADD COLUMN, nullable first") != DBC_OK ||
	    dbc_online_step(
	        o, "transaction", ax,
	        dbc_printf(ctx, "ALTER TABLE %s ALTER COLUMN %s SET DEFAULT %s", t, c, a->default_expr),
	        "its default, for the rows written from now on") != DBC_OK)
		return DBC_ERROR;
	dbc_online_new_unit(o);
	char *tab = dbc_online_name_literal(ctx, a->schema, a->table);
	if (!tab ||
	    dbc_online_step(o, "batches", NULL,
	                    dbc_printf(ctx, h->dialect->online_backfill_range, DBC_ONLINE_RANGE_PAGES,
	                               tab, t, c, a->default_expr, dbc_printf(ctx, "%s IS NULL", c)),
	                    "the existing rows filled, a range of pages at a time") != DBC_OK)
		return DBC_ERROR;
	/* the passes by ranges miss a row moved past their cursor while still
	 * NULL: the probe fills what is left, until it finds none, before the
	 * CHECK would refuse the writers of such a row */
	if (dbc_online_step(o, "probe", NULL,
	                    dbc_printf(ctx, h->dialect->online_backfill_probe, t, c, a->default_expr,
	                               dbc_printf(ctx, "%s IS NULL", c)),
	                    "the rows still NULL filled, until none is") != DBC_OK)
		return DBC_ERROR;
	dbc_online_new_unit(o);
	if (dbc_online_step(
	        o, "transaction", ax,
	        dbc_printf(ctx, "ALTER TABLE %s ADD CONSTRAINT %s CHECK (%s IS NOT NULL) NOT VALID", t,
	                   chk, c),
	        "a temporary CHECK (column IS NOT NULL), NOT VALID") != DBC_OK)
		return DBC_ERROR;
	dbc_online_new_unit(o);
	if (dbc_online_step(o, "transaction", h->dialect->lint_locks[DBC_LOP_VALIDATE],
	                    dbc_printf(ctx, "ALTER TABLE %s VALIDATE CONSTRAINT %s", t, chk),
	                    "the temporary CHECK validated, writes go on") != DBC_OK)
		return DBC_ERROR;
	dbc_online_new_unit(o);
	if (dbc_online_step(o, "transaction", ax,
	                    dbc_printf(ctx, "ALTER TABLE %s ALTER COLUMN %s SET NOT NULL", t, c),
	                    "SET NOT NULL, proved by the CHECK: no scan") != DBC_OK)
		return DBC_ERROR;
	return dbc_online_step(o, "transaction", ax,
	                       dbc_printf(ctx, "ALTER TABLE %s DROP CONSTRAINT %s", t, chk),
	                       "the temporary CHECK dropped");
}

/* Which recipe the one action a statement does gets; NULL: as written. */
typedef int (*recipe)(online_out *o, const dbc_lint_action *a, const dbc_stmt *st);

static int recipe_not_null(online_out *o, const dbc_lint_action *a, const dbc_stmt *st)
{
	(void)st;
	return online_not_null(o, a);
}

static recipe recipe_of(const dbc_dialect *d, const dbc_lint_action *a, int64_t rows)
{
	/* the NOT NULL recipe rebuilds the column from its name, type and
	 * default alone: any other clause runs the statement as written */
	const unsigned not_plain = DBC_LF_STORED | DBC_LF_SERIAL | DBC_LF_KEY | DBC_LF_MORE_CLAUSES;
	if (rows == 0)
		return NULL; /* a table this migration made or emptied: nobody waits */
	switch (a->op) {
	case DBC_LOP_CREATE_INDEX:
		return d->concurrently && d->online_index_leftover && d->online_index_build &&
		               !(a->flags & DBC_LF_CONCURRENTLY)
		           ? online_index
		           : NULL;
	case DBC_LOP_ADD_FOREIGN_KEY:
	case DBC_LOP_ADD_CHECK:
		return d->not_valid && d->online_validate_latest && !(a->flags & DBC_LF_NOT_VALID)
		           ? online_constraint
		           : NULL;
	case DBC_LOP_ADD_COLUMN:
		return d->not_valid && d->online_backfill_range && d->online_backfill_probe &&
		               (a->flags & DBC_LF_NOT_NULL) && (a->flags & DBC_LF_VOLATILE_DEFAULT) &&
		               !(a->flags & not_plain) && a->column && a->type && a->default_expr
		           ? recipe_not_null
		           : NULL;
	case DBC_LOP_ALTER_TYPE:
		/* one that rewrites the table; what keeps a column from a shadow
		 * column (its place, objects using it) is refused when the step
		 * runs, named, rather than the table rewritten under the lock */
		return d->online_shadow && d->online_backfill_range && (a->flags & DBC_LF_REWRITES) &&
		               a->column && a->type
		           ? dbc_online_alter_type
		           : NULL;
	default:
		return NULL;
	}
}

/* The strongest lock the statement's actions take, as the lint names it. */
static const char *lock_of(const dbc_dialect *d, const dbc_lint_actions *acts)
{
	const char *lock = NULL;
	for (int k = 0; d->lint_locks && k < acts->n; k++) {
		const char *l = d->lint_locks[acts->items[k].op];
		if (l && (!lock || (d->exclusive_lock && strcmp(l, d->exclusive_lock) == 0)))
			lock = l;
	}
	return lock;
}

/* Whether step+1, the first step a recipe added (its statement sql), was
 * recorded done with that statement. */
static bool recorded_first(const online_out *o, int step, const char *sql)
{
	char key[24];
	snprintf(key, sizeof key, "%d", step + 1);
	const char *was = json_string_value(json_object_get(o->done, key));
	return was && sql && strcmp(was, sql) == 0;
}

/* The step records of the version's stopped run: step → statement. */
static int take_done(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	(void)ctx;
	if (ncol >= 2 && c[0].s && c[1].s)
		dbc_json_set(arg, c[0].s, dbc_json_str(c[1].s));
	return DBC_OK;
}

/* At the rebuild's RENAME, the frame's statements so far: its recipe when
 * the old table holds rows, else the statements from the views dropped
 * first to the RENAME as written (a no-transaction migration's in one
 * transaction, as its BEGIN had them). */
static int rebuild_at_rename(online_out *o, const dbc_script_info *info,
                             const dbc_online_rebuild_group *g, int64_t rows)
{
	if (rows != 0)
		return dbc_online_table_rebuild(o, g, info->stmts);
	if (info->no_transaction)
		dbc_online_new_unit(o);
	for (int k = g->first; k <= g->at + 3; k++) {
		o->line = info->stmts[k].line;
		o->rel = NULL;
		if (dbc_online_as_written(o, &info->stmts[k], false, NULL) != DBC_OK)
			return DBC_ERROR;
	}
	return DBC_OK;
}

/* After the swap of a no-transaction migration without BEGIN, the
 * PRAGMAs among the statements that joined it, as written. */
static int put_off_pragmas(online_out *o, const dbc_script_info *info,
                           const dbc_online_rebuild_group *g)
{
	for (int k = g->at + 4; k < g->swap_end; k++)
		if (dbc_online_frame_pragma(g, info, k)) {
			o->line = info->stmts[k].line;
			o->rel = NULL;
			if (dbc_online_as_written(o, &info->stmts[k], true, NULL) != DBC_OK)
				return DBC_ERROR;
		}
	return DBC_OK;
}

static int plan_one(online_out *o, const dbc_lint_hooks *eng, dbc_lint_model *model,
                    dbc_migration *mig, bool emit)
{
	const dbc_script_info *info;
	const dbc_dialect *d = o->ctx->host->dialect;
	if (!mig->script)
		return DBC_OK;
	if (dbc_migrate_script_info(o->ctx, mig, &info) != DBC_OK)
		return DBC_ERROR;
	/* a table rebuild's four statements (dbc_online_rebuild_match): judged
	 * one by one, written at the last, as its recipe when the old table
	 * holds rows (the DROP's judgement), else as written; the statements
	 * around them as its frame says (dbc_online_rebuild_frame) */
	dbc_online_rebuild_group group;
	bool framed = emit && d->online_rebuild && d->rebuild_check &&
	              dbc_online_rebuild_frame(o->ctx, info, 0, &group);
	int64_t group_rows = 0;
	for (int s = 0; s < info->nstmts; s++) {
		const dbc_stmt *st = &info->stmts[s];
		dbc_lint_actions acts = {0};
		if (dbc_lint_classify(o->ctx, eng, st->text, st->len, &acts) != DBC_OK)
			return DBC_ERROR;
		if (acts.n == 0)
			dbc_lint_model_rows_may_change(model);
		recipe r = NULL;
		for (int k = 0; k < acts.n; k++) {
			dbc_lint_action *a = &acts.items[k];
			int64_t rows = 0;
			char *table;
			if (a->op != DBC_LOP_SET_LOCK_TIMEOUT &&
			    dbc_lint_model_judge(model, a, &rows, &table) != DBC_OK)
				return DBC_ERROR;
			/* a statement of several actions runs as written */
			if (acts.n == 1 && !info->no_transaction)
				r = recipe_of(d, a, rows);
			if (framed && s == group.at + 2)
				group_rows = rows;
			if (a->op != DBC_LOP_SET_LOCK_TIMEOUT && dbc_lint_model_apply(model, a) != DBC_OK)
				return DBC_ERROR;
		}
		if (!emit)
			continue;
		if (framed && s >= (group.begin >= 0 ? group.begin : group.first)) {
			int rc = DBC_OK;
			if (s == group.at + 3)
				rc = rebuild_at_rename(o, info, &group, group_rows);
			else if (s > group.at + 3 && s < group.swap_end &&
			         !dbc_online_frame_pragma(&group, info, s)) {
				/* joins the swap, or the statements as written */
				o->line = st->line;
				o->rel = NULL;
				rc = dbc_online_as_written(o, st, false, lock_of(d, &acts));
			}
			/* the frame's other statements: left out (BEGIN, COMMIT) or
			 * written in the recipe */
			if (rc == DBC_OK && s == (group.commit >= 0 ? group.commit : group.swap_end - 1)) {
				rc = put_off_pragmas(o, info, &group);
				framed = dbc_online_rebuild_frame(o->ctx, info, s + 1, &group);
			}
			if (rc != DBC_OK)
				return DBC_ERROR;
			continue;
		}
		o->line = st->line;
		o->rel =
		    acts.n && acts.items[0].table ? dbc_online_table_sql(o->ctx, &acts.items[0]) : NULL;
		/* a run that swapped the shadow column in leaves a column the ALTER
		 * no longer rewrites: the recipe it started stays the plan */
		bool started = false;
		if (!r && acts.n == 1 && !info->no_transaction && acts.items[0].op == DBC_LOP_ALTER_TYPE &&
		    acts.items[0].column && acts.items[0].type && d->online_shadow && o->done)
			r = dbc_online_alter_type, started = true;
		online_out before = *o;
		int mark = o->rows->nrows;
		o->first_sql = NULL;
		int rc = r ? r(o, &acts.items[0], st) : DBC_OK;
		if (rc == DBC_OK && started && !recorded_first(o, before.step, o->first_sql)) {
			*o = before;
			o->rows->nrows = mark;
			r = NULL;
		}
		if (rc == DBC_OK && !r)
			rc = dbc_online_as_written(o, st, info->no_transaction, lock_of(d, &acts));
		if (rc != DBC_OK)
			return DBC_ERROR;
		if (r)
			dbc_online_new_unit(o);
	}
	return DBC_OK;
}

int dbc_migrate_online_plan(dbc_ctx *ctx, const dbc_migrate_hooks *env, const char *version,
                            dbc_rows *out)
{
	const dbc_lint_hooks *eng = dbc_lint_engine_of(env);
	dbc_migrate_row **plan;
	int n, k;
	char *canon = NULL;
	dbc_lint_model *model;
	online_out o = {ctx, out, 0, 0, 0, NULL, NULL, false, "", NULL, NULL};
	dbc_rows_init(out, ctx, 9);
	if (dbc_lint_pending_at(ctx, version, &plan, &n, &k, &canon) != DBC_OK)
		return DBC_ERROR;
	if (dbc_lint_model_open(ctx, eng, &model) != DBC_OK)
		return DBC_ERROR;
	o.version = canon;
	json_t *done = NULL;
	if (dbc_migrate_online_steps_kept(ctx)) {
		dbc_value p = dbc_text(canon);
		done = json_object();
		if (dbc_migrate_query(ctx,
		                      "SELECT CAST(step AS text), statement FROM @migrations_online_steps "
		                      "WHERE version = $1",
		                      1, &p, take_done, done) != DBC_OK) {
			json_decref(done);
			return DBC_ERROR;
		}
		o.done = done;
	}
	/* the earlier pending ones shape the model, as the lint reads them */
	int rc = DBC_OK;
	for (int i = 0; rc == DBC_OK && i <= k; i++)
		rc = plan_one(&o, eng, model, plan[i]->mig, i == k);
	json_decref(done);
	return rc;
}
