/*
 * retain_apply.c — dbretain_apply: each policy moves its due rows in
 * batches, oldest first. A batch is atomic: in its own savepoint, the rows
 * it archives are in the archive iff they are gone from the source (one
 * statement where the engine deletes and inserts together, else an INSERT
 * and a DELETE of the same rows whose counts must agree). Rows a foreign key
 * would refuse to lose are left out and counted as blocked; rows another
 * transaction holds are skipped where the engine can tell. Two runs of one
 * policy take turns (the engine's policy lock, or the write lock the policy
 * row's update takes).
 */
#include "base/clock.h"
#include "retain/retain_policy.h"
#include "settings/settings.h"

#include <stdlib.h>
#include <string.h>

#define BOOK "retain_policies"

/* A batch statement's (rows deleted, rows archived, newest age value
 * moved). */
typedef struct batch_out {
	int64_t deleted;
	int64_t archived;
	char *newest;
} batch_out;

static int64_t int_of(const dbc_value *v)
{
	return v->type == DBC_INT ? v->i : v->type == DBC_TEXT ? strtoll(v->s, NULL, 10) : 0;
}

static int take_batch(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	batch_out *o = arg;
	o->deleted = ncol > 0 ? int_of(&c[0]) : 0;
	o->archived = ncol > 1 ? int_of(&c[1]) : 0;
	o->newest = ncol > 2 && c[2].type == DBC_TEXT ? dbc_strdup(ctx, c[2].s) : NULL;
	return ctx->failed ? DBC_ERROR : DBC_OK;
}

/* An archive batch must put in the archive every row it deleted: a
 * trigger of the archive that skips rows (RETURN NULL, RAISE(IGNORE))
 * would otherwise lose them. The caller's savepoint undoes the batch. */
static int counts_agree(dbc_ctx *ctx, const dbc_policy_ctx *pc, int64_t archived, int64_t deleted)
{
	if (archived == deleted)
		return DBC_OK;
	dbc_error(ctx, DBC_SQLSTATE_BAD_STATE,
	          "retention policy \"%s\": a batch archived %lld rows but deleted %lld; it was undone",
	          pc->p->name, (long long)archived, (long long)deleted);
	dbc_error_hint(ctx, "A trigger or rule of the archive table skips rows: drop it, or archive "
	                    "into a table without one.");
	return DBC_ERROR;
}

static int64_t count_of(dbc_ctx *ctx, const char *sql, const dbc_value *cutoff, bool *ok)
{
	char *n = NULL;
	*ok = sql && dbc_query_text(ctx, sql, 1, cutoff, &n, NULL) == DBC_OK;
	return n ? strtoll(n, NULL, 10) : 0;
}

/* The columns of the source, quoted, comma-separated. */
static char *column_list(dbc_ctx *ctx, const dbc_table *t)
{
	dbc_buf b;
	dbc_buf_init(&b, ctx);
	for (int i = 0; i < t->ncolumns; i++)
		dbc_buf_appendf(&b, "%s%s", i ? ", " : "", ctx->host->quote_ident(ctx, t->columns[i].name));
	return dbc_buf_finish(&b);
}

static int changes(dbc_ctx *ctx, int64_t *n)
{
	char *text = NULL;
	if (dbc_query_text(ctx, ctx->host->dialect->changes_query, 0, NULL, &text, NULL) != DBC_OK)
		return DBC_ERROR;
	*n = text ? strtoll(text, NULL, 10) : 0;
	return DBC_OK;
}

/* Moves one batch of at most n rows (sweep: every row the rule removes),
 * starting at *resume (the newest age value the previous batch moved; NULL:
 * at the oldest row) where the engine resumes batches, and sets it for the
 * next; *moved: how many; *taken: how many it picked (more than moved when
 * rows it locked turned out kept). The rows it moves are those the one rule
 * (dbc_retain_removable) removes of its candidates. */
static int move_batch(dbc_ctx *ctx, const dbc_retain_hooks *eng, const dbc_policy_ctx *pc,
                      const char *cols, int64_t n, bool sweep, char **resume, int64_t *moved,
                      int64_t *taken)
{
	*moved = *taken = 0;
	const dbc_host *h = ctx->host;
	bool resumed = !sweep && h->dialect->dead_index_entries && *resume;
	char *pick = dbc_retain_pick(ctx, eng, pc, n, resumed, sweep);
	/* a sweep's pick is already what the rule removes of its candidates */
	char *rows = !sweep ? dbc_retain_removable(ctx, eng, pc, pick)
	             : pick ? eng->rows_in(ctx, dbc_printf(ctx, "s.%s", pc->row_id), pick)
	                    : NULL;
	if (!rows)
		return DBC_ERROR;
	dbc_value params[2] = {dbc_text(pc->cutoff), dbc_text(resumed ? *resume : NULL)};
	int nparams = resumed ? 2 : 1;
	bool archive = pc->p->action == DBC_RETAIN_ARCHIVE;
	if (eng->locked_ids && pc->blocked) {
		/* Rows a foreign key protects are left out by the pick's snapshot;
		 * a child row committed after it, but before the pick locked its
		 * parent (the child's key-share lock gone with its commit), would
		 * fail the DELETE with the key's 23503. So the pick only locks
		 * (SKIP LOCKED), and a second statement deletes the locked rows
		 * still unblocked: its snapshot is newer than every lock taken,
		 * and no child can reference a locked row until the batch ends.
		 * Locked rows do not change in between: each is still due. */
		char *ids;
		if (dbc_retain_lock_rows(ctx, eng, pick, nparams, params, &ids, taken) != DBC_OK)
			return DBC_ERROR;
		char *among = eng->rows_among(ctx, dbc_printf(ctx, "s.%s", pc->row_id), 1);
		char *locked = among ? dbc_printf(ctx, "SELECT s.%s FROM %s%s AS s WHERE %s", pc->row_id,
		                                  dbc_retain_only(ctx), pc->qt, among)
		                     : NULL;
		rows = dbc_retain_removable(ctx, eng, pc, locked);
		params[0] = dbc_text(ids);
		nparams = 1;
		if (!rows)
			return DBC_ERROR;
	}
	if (h->dialect->writable_cte) {
		/* moved is read twice (the INSERT and the newest value) but runs
		 * once, as every data-modifying WITH does */
		char *newest = dbc_retain_time_text(ctx, eng, dbc_printf(ctx, "max(%s)", pc->qc));
		char *sql =
		    !newest ? NULL
		    : archive
		        ? dbc_printf(ctx,
		                     "WITH moved AS (DELETE FROM %s%s AS s WHERE %s RETURNING %s), "
		                     "ins AS (INSERT INTO %s (%s, archived_at) SELECT %s, %s FROM moved "
		                     "RETURNING 1) SELECT count(*), (SELECT count(*) FROM ins), %s "
		                     "FROM moved",
		                     dbc_retain_only(ctx), pc->qt, rows, cols, pc->qtarget, cols, cols,
		                     ctx->host->dialect->column_now, newest)
		        : dbc_printf(ctx,
		                     "WITH moved AS (DELETE FROM %s%s AS s WHERE %s RETURNING %s) "
		                     "SELECT count(*), count(*), %s FROM moved",
		                     dbc_retain_only(ctx), pc->qt, rows, pc->qc, newest);
		batch_out o = {0, 0, NULL};
		if (!sql || h->query(ctx, sql, nparams, params, take_batch, &o) != DBC_OK ||
		    counts_agree(ctx, pc, o.archived, o.deleted) != DBC_OK)
			return DBC_ERROR;
		*moved = o.deleted;
		if (!pc->blocked)
			*taken = o.deleted;
		if (o.newest)
			*resume = o.newest;
		return DBC_OK;
	}
	dbc_value cut = params[0];
	int64_t inserted = 0;
	if (archive) {
		char *ins =
		    dbc_printf(ctx, "INSERT INTO %s (%s, archived_at) SELECT %s, %s FROM %s AS s WHERE %s",
		               pc->qtarget, cols, cols, ctx->host->dialect->column_now, pc->qt, rows);
		if (!ins || h->query(ctx, ins, 1, &cut, NULL, NULL) != DBC_OK ||
		    changes(ctx, &inserted) != DBC_OK)
			return DBC_ERROR;
	}
	char *del = dbc_printf(ctx, "DELETE FROM %s AS s WHERE %s", pc->qt, rows);
	if (!del || h->query(ctx, del, 1, &cut, NULL, NULL) != DBC_OK || changes(ctx, moved) != DBC_OK)
		return DBC_ERROR;
	*taken = *moved;
	return archive ? counts_agree(ctx, pc, inserted, *moved) : DBC_OK;
}

/* One batch in its own savepoint; a purge lets its deletes through the
 * soft-delete trigger. */
static int run_batch(dbc_ctx *ctx, const dbc_retain_hooks *eng, const dbc_policy_ctx *pc,
                     const char *cols, int64_t n, bool sweep, char **resume, int64_t *moved,
                     int64_t *taken)
{
	const dbc_host *h = ctx->host;
	int level = h->savepoint(ctx);
	if (level < 0)
		return DBC_ERROR;
	int rc = DBC_OK;
	bool purge = pc->p->action == DBC_RETAIN_PURGE;
	if (purge && eng->purge_through) {
		int mark;
		rc = eng->purge_through(ctx, pc->t, &mark);
		if (rc == DBC_OK) {
			rc = move_batch(ctx, eng, pc, cols, n, sweep, resume, moved, taken);
			eng->purge_end(mark);
		}
	} else if (purge) {
		rc = h->exec(ctx, pc->bypass_drop) == DBC_OK &&
		             move_batch(ctx, eng, pc, cols, n, sweep, resume, moved, taken) == DBC_OK &&
		             h->exec(ctx, pc->bypass_create) == DBC_OK
		         ? DBC_OK
		         : DBC_ERROR;
	} else {
		rc = move_batch(ctx, eng, pc, cols, n, sweep, resume, moved, taken);
	}
	if (rc == DBC_OK)
		return h->release(ctx, level);
	h->rollback(ctx, level);
	*moved = *taken = 0;
	return DBC_ERROR;
}

/* Takes the policy's turn and stamps its run. */
static int start_run(dbc_ctx *ctx, const dbc_retain_hooks *eng, const dbc_policy *p)
{
	if (eng->policy_lock && eng->policy_lock(ctx, p->name) != DBC_OK)
		return DBC_ERROR;
	char *sql = dbc_printf(ctx, "UPDATE %s" BOOK " SET last_run_at = %s WHERE name = $1",
	                       ctx->host->book_prefix, ctx->host->dialect->column_now);
	dbc_value v = dbc_text(p->name);
	return sql ? ctx->host->query(ctx, sql, 1, &v, NULL, NULL) : DBC_ERROR;
}

static int record_totals(dbc_ctx *ctx, const dbc_policy *p, int64_t archived, int64_t deleted)
{
	if (archived == 0 && deleted == 0)
		return DBC_OK;
	char *sql = dbc_printf(ctx,
	                       "UPDATE %s" BOOK " SET archived_rows = archived_rows + $2, "
	                       "deleted_rows = deleted_rows + $3 WHERE name = $1",
	                       ctx->host->book_prefix);
	dbc_value v[3] = {dbc_text(p->name), dbc_int(archived), dbc_int(deleted)};
	return sql ? ctx->host->query(ctx, sql, 3, v, NULL, NULL) : DBC_ERROR;
}

/* The count of sql's rows, sql binding the cutoff as $1. */
static int64_t rows_of(dbc_ctx *ctx, const dbc_policy_ctx *pc, const char *sql, bool *ok)
{
	dbc_value cut = dbc_text(pc->cutoff);
	char *count = sql ? dbc_printf(ctx, "SELECT count(*) FROM (%s) AS x", sql) : NULL;
	return *ok ? count_of(ctx, count, &cut, ok) : 0;
}

/* The error of a sweep that took nothing while the rule removes due rows:
 * every group of them that must go in one statement (rows referencing each
 * other through the table's own key, such as a cycle, and what they alone
 * reference) is larger than the n rows a batch may take (the smaller of
 * max_rows and retain.batch_size), so no call with these limits ever
 * removes them. Names the smallest limit under which a sweep takes rows
 * (found by bisection over the sweep's pick: the error path only) and the
 * setting to raise. DBC_OK when nothing is stuck (no row the rule removes,
 * or only rows another transaction holds). */
int dbc_retain_refuse_cut_groups(dbc_ctx *ctx, const dbc_retain_hooks *eng,
                                 const dbc_policy_ctx *pc, int64_t n, int64_t batch,
                                 int64_t max_rows, const char *fn)
{
	bool ok = true;
	char *due = dbc_printf(ctx, "SELECT s.%s FROM %s%s AS s WHERE %s", pc->row_id,
	                       dbc_retain_only(ctx), pc->qt, pc->due);
	char *gone = due ? dbc_retain_removable(ctx, eng, pc, due) : NULL;
	int64_t removable =
	    rows_of(ctx, pc, gone ? dbc_printf(ctx, "%s AND %s", due, gone) : NULL, &ok);
	if (!ok || removable <= n ||
	    rows_of(ctx, pc, dbc_retain_pick(ctx, eng, pc, removable, false, true), &ok) == 0)
		return ok ? DBC_OK : DBC_ERROR;
	int64_t lo = n + 1, hi = removable; /* a sweep of hi rows takes some */
	while (ok && lo < hi) {
		int64_t mid = lo + (hi - lo) / 2;
		if (rows_of(ctx, pc, dbc_retain_pick(ctx, eng, pc, mid, false, true), &ok) > 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	char *name = ok ? ctx->host->quote_literal(ctx, pc->p->name) : NULL;
	if (!name)
		return DBC_ERROR;
	dbc_error(ctx, DBC_SQLSTATE_BAD_STATE,
	          "retention policy \"%s\" cannot remove its oldest due rows of %s in batches of "
	          "%lld: they reference each other through the table's own foreign key (such as a "
	          "cycle) and go only whole, in one statement, and a batch takes the whole groups "
	          "among the oldest rows, which needs at least %lld of them; no call with this "
	          "limit removes them or any newer row",
	          pc->p->name, pc->qt, (long long)n, (long long)lo);
	/* max_rows equal to the batch size: its default (or as good as) */
	if (batch < lo && max_rows < lo && max_rows != batch)
		dbc_error_hint(ctx,
		               "Raise retain.batch_size to at least %lld (SELECT "
		               "dbcare_set('retain.batch_size', '%lld')) and call %s(%s, %lld).",
		               (long long)lo, (long long)lo, fn, name, (long long)lo);
	else if (batch < lo)
		dbc_error_hint(ctx,
		               "Raise retain.batch_size (the most one batch takes, and max_rows's "
		               "default) to at least %lld: SELECT dbcare_set('retain.batch_size', '%lld');",
		               (long long)lo, (long long)lo);
	else
		dbc_error_hint(ctx, "Call %s(%s, %lld) (max_rows at least %lld).", fn, name, (long long)lo,
		               (long long)lo);
	return DBC_ERROR;
}

/* A table with a key of its own (a tree: replies to replies): a batch
 * takes rows nothing references (leaves); the rows they alone referenced
 * are free once it is done, so the run takes another pass while a pass
 * frees rows: a chain of due rows goes in one run, leaves first, also where
 * the run resumed past the rows its earlier batches freed (dbretain_run's
 * steps). When a pass from the oldest row finds no leaf, a sweep takes
 * every due row no staying row references (a cycle and the rows it
 * references) in one statement, then passes go on. */
static int move_rows(dbc_ctx *ctx, const dbc_retain_hooks *eng, const dbc_policy_ctx *pc,
                     const char *cols, int64_t batch, int64_t max_rows, char **resume,
                     int64_t *moved)
{
	const bool tree = dbc_retain_self_keyed(pc);
	bool sweep = false;
	*moved = 0;
	while (*moved < max_rows) {
		int64_t n = max_rows - *moved < batch ? max_rows - *moved : batch, k = 0, picked = 0;
		if (ctx->host->interrupted && ctx->host->interrupted(ctx))
			return DBC_ERROR;
		bool from_oldest = *resume == NULL;
		if (run_batch(ctx, eng, pc, cols, n, sweep, resume, &k, &picked) != DBC_OK)
			return DBC_ERROR;
		*moved += k;
		/* a sweep that took nothing from a call that moved nothing: rows
		 * the rule removes may be stuck behind the limit (said, not left
		 * for every later call to skip in silence) */
		if (sweep && k == 0)
			return *moved == 0 ? dbc_retain_refuse_cut_groups(ctx, eng, pc, n, batch, max_rows,
			                                                  "dbretain_apply")
			                   : DBC_OK;
		if (!sweep && picked == n)
			continue;
		/* a short pass: done, unless rows it or an earlier one freed lie
		 * behind where it started (then another pass, from the oldest) */
		if (!tree)
			break;
		sweep = !sweep && k == 0 && from_oldest;
		*resume = NULL;
	}
	return DBC_OK;
}

/* What apply_one's call leaves (r->remaining, r->blocked), each counted up
 * to bound. A table with a key of its own counts by the one rule over every
 * due row (a row is kept only by a row that stays); another counts its rows
 * one by one, up to the bound. */
static int count_left(dbc_ctx *ctx, const dbc_policy_ctx *pc, int64_t bound, dbc_retain_result *r)
{
	dbc_value cut = dbc_text(pc->cutoff);
	bool ok = true;
	const char *only = dbc_retain_only(ctx);
	if (dbc_retain_self_keyed(pc)) {
		char *due = dbc_printf(ctx, "SELECT s.%s FROM %s%s AS s WHERE %s", pc->row_id, only, pc->qt,
		                       pc->due);
		char *with = due ? dbc_retain_kept_with(ctx, pc, due) : NULL;
		if (!with)
			return DBC_ERROR;
		r->remaining = count_of(ctx,
		                        dbc_printf(ctx,
		                                   "%sSELECT count(*) FROM (SELECT d.id FROM dbcare_cand "
		                                   "AS d EXCEPT SELECT k.id FROM dbcare_kept AS k "
		                                   "LIMIT %lld) AS d",
		                                   with, (long long)bound),
		                        &cut, &ok);
		if (ok)
			r->blocked = count_of(ctx,
			                      dbc_printf(ctx,
			                                 "%sSELECT count(*) FROM (SELECT k.id FROM "
			                                 "dbcare_kept AS k LIMIT %lld) AS d",
			                                 with, (long long)bound),
			                      &cut, &ok);
		return ok ? DBC_OK : DBC_ERROR;
	}
	r->remaining = count_of(ctx,
	                        dbc_printf(ctx,
	                                   "SELECT count(*) FROM (SELECT 1 FROM %s%s AS s "
	                                   "WHERE %s%s LIMIT %lld) AS d",
	                                   only, pc->qt, pc->due, pc->unblocked, (long long)bound),
	                        &cut, &ok);
	if (ok && pc->blocked)
		r->blocked = count_of(ctx,
		                      dbc_printf(ctx,
		                                 "SELECT count(*) FROM (SELECT 1 FROM %s%s AS s "
		                                 "WHERE %s AND (%s) LIMIT %lld) AS d",
		                                 only, pc->qt, pc->due, pc->blocked, (long long)bound),
		                      &cut, &ok);
	else
		r->blocked = 0;
	return ok ? DBC_OK : DBC_ERROR;
}

static int apply_one(dbc_ctx *ctx, const dbc_retain_hooks *eng, const dbc_schema *s,
                     const dbc_policy *p, int64_t batch, int64_t max_rows, bool count,
                     const char *resume, dbc_retain_result *r)
{
	const int64_t bound = max_rows > batch ? max_rows : batch;
	double started = dbc_monotonic_ms();
	memset(r, 0, sizeof(*r));
	r->policy = p->name;
	r->blocked = r->remaining = -1;
	r->resume = resume ? dbc_strdup(ctx, resume) : NULL;
	dbc_policy_ctx pc;
	if (start_run(ctx, eng, p) != DBC_OK ||
	    dbc_policy_resolve(ctx, eng, s, p, true, &pc) != DBC_OK ||
	    dbc_retain_refuse_cascade(ctx, s, pc.t, p) != DBC_OK)
		return DBC_ERROR;
	char *what = dbc_printf(ctx, "retention policy \"%s\"", p->name);
	if (!what || dbc_retain_refuse_unenforced(ctx, s, pc.t, what) != DBC_OK)
		return DBC_ERROR;
	if (p->action == DBC_RETAIN_ARCHIVE &&
	    dbc_retain_ensure_target(ctx, eng, pc.t, p->target_schema, p->target_name) != DBC_OK)
		return DBC_ERROR;
	/* the batches' DELETE (and the archive's INSERT) fire the tables'
	 * triggers and rules with the caller's rights: never another role's */
	if (dbc_retain_owner_code(ctx, eng, pc.t->schema, pc.t->name, "DELETE", what) != DBC_OK ||
	    (p->action == DBC_RETAIN_ARCHIVE &&
	     dbc_retain_owner_code(ctx, eng, p->target_schema, p->target_name, "INSERT", what) !=
	         DBC_OK))
		return DBC_ERROR;
	if (p->action == DBC_RETAIN_PURGE && !eng->purge_through &&
	    dbc_softdelete_bypass(ctx, eng, s, pc.t, &pc.bypass_drop, &pc.bypass_create) != DBC_OK)
		return DBC_ERROR;
	char *cols = column_list(ctx, pc.t);
	if (!cols)
		return DBC_ERROR;
	int64_t moved = 0;
	if (move_rows(ctx, eng, &pc, cols, batch, max_rows, &r->resume, &moved) != DBC_OK)
		return DBC_ERROR;
	if (p->action == DBC_RETAIN_ARCHIVE)
		r->archived = moved;
	else
		r->deleted = moved;
	if (record_totals(ctx, p, r->archived, r->deleted) != DBC_OK ||
	    (count && count_left(ctx, &pc, bound, r) != DBC_OK))
		return DBC_ERROR;
	r->duration_ms = dbc_monotonic_ms() - started;
	return DBC_OK;
}

/* The point resume left policy name at, or NULL. */
static const char *resume_of(const dbc_retain_results *resume, const char *name)
{
	for (int i = 0; resume && i < resume->n; i++)
		if (strcmp(resume->items[i].policy, name) == 0)
			return resume->items[i].resume;
	return NULL;
}

int dbc_retain_apply(dbc_ctx *ctx, const dbc_retain_hooks *eng, const char *name, int64_t max_rows,
                     bool count, dbc_retain_results *out)
{
	return dbc_retain_apply_from(ctx, eng, name, max_rows, count, NULL, out);
}

int dbc_retain_apply_from(dbc_ctx *ctx, const dbc_retain_hooks *eng, const char *name,
                          int64_t max_rows, bool count, const dbc_retain_results *resume,
                          dbc_retain_results *out)
{
	memset(out, 0, sizeof(*out));
	dbc_policies ps;
	int64_t batch = 0;
	/* the write lock first (SQLite): a read first would pin a snapshot a
	 * concurrent run makes stale, and the first write would then fail busy
	 * at once instead of waiting its turn */
	if (dbc_book_ensure_part(ctx, "retain") != DBC_OK ||
	    dbc_retain_load(ctx, name, &ps) != DBC_OK ||
	    dbc_setting_get_int(ctx, "retain.batch_size", &batch) != DBC_OK)
		return DBC_ERROR;
	if (batch <= 0)
		batch = 1;
	if (max_rows <= 0)
		max_rows = batch;
	if (ps.n == 0)
		return DBC_OK;
	dbc_schema s;
	dbc_schema_init(&s, ctx);
	if (ctx->host->read_schema(ctx, &s) != DBC_OK)
		return DBC_ERROR;
	/* all or nothing for the call: an error in a later policy undoes the
	 * earlier ones (dbretain_run commits batch by batch instead) */
	int level = ctx->host->savepoint(ctx);
	if (level < 0)
		return DBC_ERROR;
	int rc = DBC_OK;
	for (int i = 0; i < ps.n && rc == DBC_OK; i++) {
		/* its archive is in another database: the command moves its rows
		 * (dbretain_export_next) */
		if (dbc_retain_external(&ps.items[i]))
			continue;
		rc = dbc_grow(ctx, &out->items, out->n, &out->cap, sizeof(*out->items), 4);
		if (rc == DBC_OK)
			rc = apply_one(ctx, eng, &s, &ps.items[i], batch, max_rows, count,
			               resume_of(resume, ps.items[i].name), &out->items[out->n++]);
	}
	if (rc == DBC_OK)
		return ctx->host->release(ctx, level);
	ctx->host->rollback(ctx, level);
	return DBC_ERROR;
}

int dbc_retain_apply_rows(dbc_ctx *ctx, const dbc_retain_results *r, dbc_rows *out)
{
	dbc_rows_init(out, ctx, DBC_RETAIN_APPLY_NCOLS);
	for (int i = 0; i < r->n; i++) {
		const dbc_retain_result *x = &r->items[i];
		dbc_value row[DBC_RETAIN_APPLY_NCOLS] = {dbc_text(x->policy),
		                                         dbc_int(x->archived),
		                                         dbc_int(x->deleted),
		                                         x->blocked < 0 ? dbc_null() : dbc_int(x->blocked),
		                                         x->remaining < 0 ? dbc_null()
		                                                          : dbc_int(x->remaining),
		                                         dbc_float(x->duration_ms)};
		if (dbc_rows_add(out, row) != DBC_OK)
			return DBC_ERROR;
	}
	return DBC_OK;
}
