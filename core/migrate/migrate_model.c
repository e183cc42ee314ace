/*
 * migrate_model.c — state derivation, validation and planning over one
 * in-memory read of the registry and the applied list. Everything is a sort
 * plus a merge, so 10,000 migrations cost O(n log n), never a query each.
 */
#include "migrate/migrate_model.h"
#include "migrate/migrate_checksum.h"
#include "migrate/migrate_version.h"

#include <stdlib.h>
#include <string.h>

/* The arrays grow in the call's arena (dbc_grow), 32 slots first. */
#define GROW(ctx, arr, n, cap)                                                                     \
	do {                                                                                           \
		if (dbc_grow((ctx), &(arr), (n), &(cap), sizeof(*(arr)), 32) != DBC_OK)                    \
			return DBC_ERROR;                                                                      \
	} while (0)

int dbc_migrate_set_add(dbc_ctx *ctx, dbc_migrate_set *set, const dbc_migration *m)
{
	GROW(ctx, set->migs, set->nmigs, set->capmigs);
	set->migs[set->nmigs++] = *m;
	return DBC_OK;
}

int dbc_migrate_set_add_applied(dbc_ctx *ctx, dbc_migrate_set *set, const dbc_applied *a)
{
	GROW(ctx, set->applied, set->napplied, set->capapplied);
	set->applied[set->napplied++] = *a;
	return DBC_OK;
}

int dbc_migrate_set_add_failed(dbc_ctx *ctx, dbc_migrate_set *set, const dbc_failed *f)
{
	GROW(ctx, set->failed, set->nfailed, set->capfailed);
	set->failed[set->nfailed++] = *f;
	return DBC_OK;
}

const char *dbc_migrate_state_name(dbc_migrate_state s)
{
	switch (s) {
	case DBC_MS_PENDING:
		return "pending";
	case DBC_MS_APPLIED:
		return "applied";
	case DBC_MS_CHANGED:
		return "changed";
	case DBC_MS_MISSING:
		return "missing";
	case DBC_MS_OUT_OF_ORDER:
		return "out_of_order";
	case DBC_MS_OUTDATED:
		return "outdated";
	}
	return "unknown";
}

/* Versioned first (by version), then repeatables (by name). */
static int cmp_mig(const void *a, const void *b)
{
	const dbc_migration *x = a, *y = b;
	if (x->repeatable != y->repeatable)
		return x->repeatable ? 1 : -1;
	return x->repeatable ? strcmp(x->name, y->name) : dbc_version_cmp(x->version, y->version);
}

static bool applied_repeatable(const dbc_applied *a)
{
	return strcmp(a->kind, "repeatable") == 0;
}

static int cmp_applied(const void *a, const void *b)
{
	const dbc_applied *x = a, *y = b;
	bool rx = applied_repeatable(x), ry = applied_repeatable(y);
	if (rx != ry)
		return rx ? 1 : -1;
	return rx ? strcmp(x->name, y->name) : dbc_version_cmp(x->version, y->version);
}

/* Both lists are read in insertion order, which is version order for almost
 * every project: one pass that confirms it costs n comparisons of versions
 * instead of the sort's n log n (a third of a status derivation at 10,000). */
static void sort_unless_sorted(void *base, int n, size_t size,
                               int (*cmp)(const void *, const void *))
{
	const char *p = base;
	for (int i = 1; i < n; i++)
		if (cmp(p + (size_t)(i - 1) * size, p + (size_t)i * size) > 0) {
			qsort(base, (size_t)n, size, cmp);
			return;
		}
}

/* Registered and applied checksums differ. A stored checksum of another
 * algorithm cannot be compared and is not called a change. */
bool dbc_migrate_up_differs(const dbc_migration *m, const dbc_applied *a)
{
	if (!a->checksum || !dbc_checksum_current(a->checksum))
		return false;
	return strcmp(m->checksum, a->checksum) != 0;
}

const char *dbc_migrate_down_to_record(const dbc_migration *m)
{
	if (m->repeatable)
		return NULL;
	return m->has_down ? m->down_checksum : NULL;
}

/* Nothing bound, nothing registered (rollback refuses then anyway), or a
 * registered down script of unknown checksum (an older SQLite build) cannot
 * be a change. */
bool dbc_migrate_down_differs(const dbc_migration *m, const dbc_applied *a)
{
	const char *now = dbc_migrate_down_to_record(m);
	if (!a->down_checksum || !now || !dbc_checksum_current(a->down_checksum))
		return false;
	return strcmp(now, a->down_checksum) != 0;
}

static bool checksum_differs(const dbc_migration *m, const dbc_applied *a)
{
	return dbc_migrate_up_differs(m, a) || dbc_migrate_down_differs(m, a);
}

static int add_row(dbc_ctx *ctx, dbc_migrate_derived *st, int *cap, dbc_migration *m,
                   dbc_applied *a, dbc_migrate_state s)
{
	GROW(ctx, st->rows, st->nrows, *cap);
	st->rows[st->nrows++] = (dbc_migrate_row){m, a, s};
	switch (s) {
	case DBC_MS_PENDING:
		st->npending++;
		break;
	case DBC_MS_APPLIED:
		st->napplied++;
		break;
	case DBC_MS_CHANGED:
		st->nchanged++;
		break;
	case DBC_MS_MISSING:
		st->nmissing++;
		break;
	case DBC_MS_OUT_OF_ORDER:
		st->nout_of_order++;
		break;
	case DBC_MS_OUTDATED:
		st->noutdated++;
		break;
	}
	return DBC_OK;
}

int dbc_migrate_derive(dbc_ctx *ctx, dbc_migrate_set *set, dbc_migrate_derived *out)
{
	memset(out, 0, sizeof(*out));
	sort_unless_sorted(set->migs, set->nmigs, sizeof(dbc_migration), cmp_mig);
	sort_unless_sorted(set->applied, set->napplied, sizeof(dbc_applied), cmp_applied);
	int cap = 0;

	/* the current version: the highest applied non-repeatable */
	for (int j = set->napplied - 1; j >= 0; j--)
		if (!applied_repeatable(&set->applied[j])) {
			out->current = set->applied[j].version;
			break;
		}

	int i = 0, j = 0;
	while (i < set->nmigs || j < set->napplied) {
		dbc_migration *m = i < set->nmigs ? &set->migs[i] : NULL;
		dbc_applied *a = j < set->napplied ? &set->applied[j] : NULL;
		int c;
		if (!m)
			c = 1;
		else if (!a)
			c = -1;
		else {
			bool ra = applied_repeatable(a);
			if (m->repeatable != ra)
				c = m->repeatable ? 1 : -1;
			else
				c = m->repeatable ? strcmp(m->name, a->name)
				                  : dbc_version_cmp(m->version, a->version);
		}
		int rc;
		if (c == 0) {
			dbc_migrate_state s = !checksum_differs(m, a) ? DBC_MS_APPLIED
			                      : m->repeatable         ? DBC_MS_OUTDATED
			                                              : DBC_MS_CHANGED;
			rc = add_row(ctx, out, &cap, m, a, s);
			i++, j++;
		} else if (c < 0) {
			dbc_migrate_state s = DBC_MS_PENDING;
			if (!m->repeatable && out->current && dbc_version_cmp(m->version, out->current) < 0)
				s = DBC_MS_OUT_OF_ORDER;
			rc = add_row(ctx, out, &cap, m, NULL, s);
			i++;
		} else {
			/* applied, not registered: a baseline marker stands for scripts the
			 * database never ran, so it is not "missing" */
			bool marker = strcmp(a->kind, "baseline") == 0;
			rc = add_row(ctx, out, &cap, NULL, a, marker ? DBC_MS_APPLIED : DBC_MS_MISSING);
			j++;
		}
		if (rc != DBC_OK)
			return DBC_ERROR;
	}
	return DBC_OK;
}

const char *dbc_migrate_row_kind(const dbc_migrate_row *r)
{
	if (r->applied)
		return r->applied->kind;
	return r->mig->repeatable ? "repeatable" : "versioned";
}

const char *dbc_migrate_row_version(const dbc_migrate_row *r)
{
	return r->mig ? r->mig->version : r->applied->version;
}

const char *dbc_migrate_row_name(const dbc_migrate_row *r)
{
	return r->mig ? r->mig->name : r->applied->name;
}

/* "3 (add orders)" or "R (refresh views)" for messages. */
static char *row_label(dbc_ctx *ctx, const dbc_migrate_row *r)
{
	const char *v = dbc_migrate_row_version(r);
	return v ? dbc_printf(ctx, "%s (%s)", v, dbc_migrate_row_name(r))
	         : dbc_printf(ctx, "repeatable (%s)", dbc_migrate_row_name(r));
}

#define LIST_MAX 20

typedef struct {
	dbc_buf b;
	int n;
} name_list;

static void list_add(dbc_ctx *ctx, name_list *l, const char *text)
{
	if (l->n < LIST_MAX) {
		if (l->n)
			dbc_buf_append(&l->b, ", ");
		dbc_buf_append(&l->b, text);
	}
	l->n++;
	(void)ctx;
}

static char *list_finish(dbc_ctx *ctx, name_list *l)
{
	if (l->n > LIST_MAX)
		dbc_buf_appendf(&l->b, " and %d more", l->n - LIST_MAX);
	(void)ctx;
	return dbc_buf_finish(&l->b);
}

const dbc_failed *dbc_migrate_running(const dbc_migrate_set *set)
{
	for (int i = 0; i < set->nfailed; i++)
		if (set->failed[i].live)
			return &set->failed[i];
	return NULL;
}

bool dbc_migrate_failed_resumable(const dbc_failed *f)
{
	return !f->live && f->version && f->error && strcmp(f->error, DBC_ONLINE_STARTED) == 0;
}

char *dbc_migrate_failed_label(dbc_ctx *ctx, const dbc_failed *f)
{
	return f->version ? dbc_printf(ctx, "%s (%s)", f->version, f->name ? f->name : "")
	                  : dbc_printf(ctx, "repeatable (%s)", f->name ? f->name : "");
}

int dbc_migrate_check_applicable(dbc_ctx *ctx, const dbc_migrate_set *set,
                                 const dbc_migrate_derived *st, bool allow_out_of_order)
{
	name_list changed = {{0}, 0}, missing = {{0}, 0}, ooo = {{0}, 0};
	dbc_buf_init(&changed.b, ctx);
	dbc_buf_init(&missing.b, ctx);
	dbc_buf_init(&ooo.b, ctx);
	for (int i = 0; i < st->nrows; i++) {
		const dbc_migrate_row *r = &st->rows[i];
		if (r->state == DBC_MS_CHANGED)
			list_add(ctx, &changed, row_label(ctx, r));
		else if (r->state == DBC_MS_MISSING)
			list_add(ctx, &missing, row_label(ctx, r));
		else if (r->state == DBC_MS_OUT_OF_ORDER)
			list_add(ctx, &ooo, row_label(ctx, r));
	}
	if (changed.n || missing.n) {
		dbc_error(ctx, DBC_SQLSTATE_BAD_STATE,
		          "cannot migrate: %d applied migration(s) changed and %d missing", changed.n,
		          missing.n);
		dbc_error_detail(ctx, "changed: %s; missing: %s",
		                 changed.n ? list_finish(ctx, &changed) : "none",
		                 missing.n ? list_finish(ctx, &missing) : "none");
		dbc_error_hint(ctx, "Restore the scripts as they were applied, or accept the current state "
		                    "with SELECT dbmigrate_repair().");
		return DBC_ERROR;
	}
	if (set->nfailed && dbc_migrate_running(set)) {
		const dbc_failed *f = dbc_migrate_running(set);
		dbc_error(ctx, DBC_SQLSTATE_BAD_STATE,
		          "cannot migrate: migration %s is running now in another session: wait for it",
		          dbc_migrate_failed_label(ctx, f));
		dbc_error_detail(ctx, "It runs outside a transaction (dbmigrate_script, dbcare migrate) "
		                      "and holds its mark until it ends.");
		dbc_error_hint(ctx, "Migrate again when it has finished. Its record is not a failure: "
		                    "dbmigrate_repair() refuses to remove it while it runs.");
		return DBC_ERROR;
	}
	/* a half-done online run (killed or failed part way) left the schema
	 * between the old and the new one: the migration as written would run
	 * on that. Only its own resumption (step_begin 'online' takes its event
	 * over before these checks) or its undo may follow. */
	for (int i = 0; i < set->nfailed; i++)
		if (dbc_migrate_failed_resumable(&set->failed[i])) {
			dbc_error(ctx, DBC_SQLSTATE_BAD_STATE,
			          "cannot migrate: migration %s was stopped part way by dbcare migrate "
			          "--online",
			          dbc_migrate_failed_label(ctx, &set->failed[i]));
			dbc_error_detail(ctx, "The schema holds part of its online steps; its statements as "
			                      "written would run on that.");
			dbc_error_hint(ctx, "Resume it with dbcare migrate --online, or undo what it did with "
			                    "dbcare rollback.");
			return DBC_ERROR;
		}
	int nfailed = 0;
	const dbc_failed *f = NULL;
	for (int i = set->nfailed - 1; i >= 0; i--)
		if (!dbc_migrate_failed_resumable(&set->failed[i])) {
			f = &set->failed[i];
			nfailed++;
		}
	if (f) {
		dbc_error(ctx, DBC_SQLSTATE_BAD_STATE,
		          "cannot migrate: migration %s did not finish in an earlier dbmigrate_script run",
		          dbc_migrate_failed_label(ctx, f));
		dbc_error_detail(ctx,
		                 "The history holds %d unfinished event(s); the schema may hold part "
		                 "of a non-transactional migration.",
		                 nfailed);
		dbc_error_hint(ctx, "Check the schema by hand, then remove the record with SELECT "
		                    "dbmigrate_repair().");
		return DBC_ERROR;
	}
	if (ooo.n && !allow_out_of_order) {
		dbc_error(ctx, DBC_SQLSTATE_BAD_STATE,
		          "cannot migrate: %d pending migration(s) older than the current version %s",
		          ooo.n, st->current);
		dbc_error_detail(ctx, "out of order: %s", list_finish(ctx, &ooo));
		dbc_error_hint(ctx,
		               "Give them a version above %s, or apply them anyway after "
		               "SELECT dbcare_set('migrate.out_of_order', 'allow').",
		               st->current);
		return DBC_ERROR;
	}
	return ctx->failed ? DBC_ERROR : DBC_OK;
}

/* Whether some row (registered, or applied only as with a baseline marker)
 * has version v; applied_only: only rows with an applied record. */
static bool has_version(const dbc_migrate_derived *st, const char *v, bool applied_only)
{
	for (int i = 0; i < st->nrows; i++) {
		const dbc_migrate_row *r = &st->rows[i];
		const char *rv = dbc_migrate_row_version(r);
		if (rv && (!applied_only || r->applied) && dbc_version_cmp(rv, v) == 0)
			return true;
	}
	return false;
}

/* A target must name a migration exactly, as Flyway's and golang-migrate's
 * do: a typo (1.5 for 1.50) must not quietly apply or undo less. */
static int unknown_target(dbc_ctx *ctx, const char *target, const char *what, const char *hint)
{
	dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "target version %s names no %s migration", target,
	          what);
	dbc_error_hint(ctx, "%s", hint);
	return DBC_ERROR;
}

int dbc_migrate_plan_up(dbc_ctx *ctx, const dbc_migrate_derived *st, const char *target,
                        bool allow_out_of_order, dbc_migrate_row ***plan, int *n)
{
	if (target && !has_version(st, target, false))
		return unknown_target(ctx, target, "registered",
		                      "Nothing was run. Give the version of a registered migration "
		                      "(dbmigrate_status() lists them), or no target for all.");
	dbc_migrate_row **p = dbc_alloc(ctx, sizeof(dbc_migrate_row *) * (size_t)(st->nrows + 1));
	if (!p)
		return DBC_ERROR;
	int k = 0;
	for (int i = 0; i < st->nrows; i++) {
		dbc_migrate_row *r = &st->rows[i];
		if (!r->mig || r->mig->repeatable)
			continue;
		bool due =
		    r->state == DBC_MS_PENDING || (r->state == DBC_MS_OUT_OF_ORDER && allow_out_of_order);
		if (due && (!target || dbc_version_cmp(r->mig->version, target) <= 0))
			p[k++] = r;
	}
	for (int i = 0; i < st->nrows; i++) {
		dbc_migrate_row *r = &st->rows[i];
		if (r->mig && r->mig->repeatable &&
		    (r->state == DBC_MS_PENDING || r->state == DBC_MS_OUTDATED))
			p[k++] = r;
	}
	*plan = p;
	*n = k;
	return DBC_OK;
}

int dbc_migrate_plan_down(dbc_ctx *ctx, const dbc_migrate_derived *st, const char *target,
                          dbc_migrate_row ***plan, int *n)
{
	/* 0 (below every version) is the explicit "undo everything" */
	if (target && dbc_version_cmp(target, "0") != 0) {
		if (st->current && dbc_version_cmp(target, st->current) > 0) {
			dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
			          "target version %s is above the current version %s; nothing to roll back",
			          target, st->current);
			dbc_error_hint(ctx, "Roll back to an applied version below the current one; "
			                    "dbmigrate_apply(target) moves forward.");
			return DBC_ERROR;
		}
		if (!has_version(st, target, true))
			return unknown_target(ctx, target, "applied",
			                      "Nothing was rolled back. Give the version of an applied "
			                      "migration (dbmigrate_status() lists them), or 0 to undo all.");
	}
	dbc_migrate_row **p = dbc_alloc(ctx, sizeof(dbc_migrate_row *) * (size_t)(st->nrows + 1));
	if (!p)
		return DBC_ERROR;
	int k = 0;
	/* rows are in version order: walk backwards for newest first */
	for (int i = st->nrows - 1; i >= 0; i--) {
		dbc_migrate_row *r = &st->rows[i];
		const char *v = dbc_migrate_row_version(r);
		if (!r->applied || !v)
			continue;
		if (target ? dbc_version_cmp(v, target) <= 0 : k == 1)
			break;
		p[k++] = r;
	}
	name_list bad = {{0}, 0};
	dbc_buf_init(&bad.b, ctx);
	for (int i = 0; i < k; i++) {
		const dbc_migrate_row *r = p[i];
		const char *why = NULL;
		if (strcmp(r->applied->kind, "baseline") == 0)
			why = "adopted by dbmigrate_baseline, never run";
		else if (r->state == DBC_MS_MISSING)
			why = "no longer registered";
		else if (r->state == DBC_MS_CHANGED)
			why = "changed since it was applied";
		else if (!r->mig->has_down)
			why = "no down script";
		if (why)
			list_add(ctx, &bad, dbc_printf(ctx, "%s: %s", row_label(ctx, r), why));
	}
	if (bad.n) {
		dbc_error(ctx, DBC_SQLSTATE_BAD_STATE,
		          "cannot roll back: %d of the %d migration(s) to undo cannot be rolled back",
		          bad.n, k);
		dbc_error_detail(ctx, "%s", list_finish(ctx, &bad));
		dbc_error_hint(ctx, "Nothing was rolled back. Register the missing down scripts with "
		                    "dbmigrate_add(version, name, up_sql, down_sql).");
		return DBC_ERROR;
	}
	*plan = p;
	*n = k;
	return ctx->failed ? DBC_ERROR : DBC_OK;
}
