/*
 * health_hooks.c — the health checks answered by other parts of core/:
 * migration state and drift (migrate.h), constraint and orphan checks
 * (check.h). Each feature is wired here once, for both engines.
 */
#include "health/health.h"

#include <string.h>

#include "check/check.h"
#include "migrate/migrate.h"

/* ---------------------------------------------------------------- migrations */

int dbc_health_gather_migrations(dbc_ctx *ctx, const dbc_health_hooks *eng, dbc_health_mode mode,
                                 dbc_health_fact *fact)
{
	dbc_migrate_summary sum;
	(void)mode;
	/* a step running now in another session is work in progress, not a
	 * failure: it warns, as pending work does */
	if (dbc_health_migration_summary(ctx, eng, &sum) != DBC_OK)
		return DBC_ERROR;
	fact->value = sum.pending;
	int problems = sum.changed + sum.missing + sum.failed;
	if (problems > 0)
		fact->min_status = DBC_CHECK_CRITICAL;
	else if (sum.running > 0)
		fact->min_status = DBC_CHECK_WARNING;
	char *running = sum.running > 0 ? dbc_printf(ctx, ", %d running", sum.running) : "";
	if (problems == 0 && sum.pending == 0 && sum.running == 0)
		fact->message = sum.current ? dbc_printf(ctx, "at version %s, nothing pending", sum.current)
		                            : dbc_strdup(ctx, "no migration registered or applied");
	else
		fact->message =
		    dbc_printf(ctx, "%d pending, %d changed, %d missing, %d failed%s%s%s", sum.pending,
		               sum.changed, sum.missing, sum.failed, running ? running : "",
		               sum.current ? "; at version " : "", sum.current ? sum.current : "");
	if (problems > 0)
		fact->hint = dbc_strdup(ctx, "SELECT * FROM dbmigrate_validate() lists the problems; "
		                             "dbmigrate_repair() accepts deliberate changes.");
	else if (sum.running > 0)
		fact->hint = dbc_printf(ctx,
		                        "Migration %s is running now in another session, outside a "
		                        "transaction: wait for it to end.",
		                        sum.running_label);
	else if (sum.pending > 0)
		fact->hint = dbc_strdup(ctx, "SELECT dbmigrate_apply() applies them.");
	return DBC_OK;
}

/* The drift problems of dbmigrate_validate. Once this run has its migration
 * summary (the migrations check), validate's other reads -- the same
 * bookkeeping reads and a setting of the settings read at the start -- just
 * succeeded, or a stored summary says what they find (nothing was written to
 * the bookkeeping since it was derived), and only the drift part is left to
 * do, against the schema this run reads once anyway (its cached fingerprint
 * first: a snapshot text only to diff). */
int dbc_health_gather_schema_drift(dbc_ctx *ctx, const dbc_health_hooks *eng, dbc_health_mode mode,
                                   dbc_health_fact *fact)
{
	dbc_health_shared *sh = eng->shared;
	dbc_migrate_problems problems;
	(void)mode;
	if (sh && sh->migrations && ctx->host->read_schema) {
		/* the schema this run read already, or read now and kept for it */
		if (dbc_migrate_drift(ctx, &sh->schema, &problems) != DBC_OK)
			return DBC_ERROR;
	} else if (dbc_migrate_problems_of(ctx, &problems) != DBC_OK) {
		return DBC_ERROR;
	}
	for (int i = 0; i < problems.n; i++) {
		const dbc_migrate_problem *p = &problems.items[i];
		if (strcmp(p->problem, "drift") != 0)
			continue;
		fact->value = 1;
		fact->message = dbc_printf(ctx, "the schema changed since the last migration%s%s",
		                           p->detail ? ": " : "", p->detail ? p->detail : "");
	}
	/* a step outside a transaction changes the schema before its end
	 * records the new snapshot: say so rather than leave it unexplained */
	const char *running = sh && sh->migrations ? sh->migrations->running_label : NULL;
	if (fact->value > 0 && running && fact->message)
		fact->message = dbc_printf(ctx,
		                           "%s (migration %s is running now in another session; the "
		                           "schema is recorded when it ends)",
		                           fact->message, running);
	return DBC_OK;
}

/* ---------------------------------------------------------------- constraints */

/* Constraints that could not be checked: a CHECK the engine would not let
 * dbcare evaluate, a lock held by DDL, a parent the owner may not read.
 * Nothing is known about their rows, so the check is never "ok" while any is
 * left: a warning that names the first five, appended to whatever message
 * the check has. */
typedef struct unchecked_list {
	dbc_buf names;
	int n;
} unchecked_list;

static int unchecked_add(dbc_ctx *ctx, const dbc_health_hooks *eng, unchecked_list *u,
                         const char *name, const char *table)
{
	if (dbc_health_ignored(eng->shared ? eng->shared->ignore : NULL, NULL, name, table))
		return DBC_OK;
	if (u->n == 0)
		dbc_buf_init(&u->names, ctx);
	if (u->n++ < 5)
		dbc_buf_appendf(&u->names, "%s%s of table %s", u->n > 1 ? ", " : "", name ? name : "?",
		                table ? table : "?");
	return DBC_OK;
}

static int note_unchecked(dbc_ctx *ctx, dbc_health_fact *fact, unchecked_list *u, const char *query)
{
	if (u->n == 0)
		return DBC_OK;
	char *list = dbc_buf_finish(&u->names);
	char *more = u->n > 5 ? dbc_printf(ctx, " and %d more", u->n - 5) : "";
	fact->min_status = DBC_CHECK_WARNING;
	fact->note = list && more ? dbc_printf(ctx, "%d not checked: %s%s", u->n, list, more) : NULL;
	fact->hint = dbc_printf(ctx, "%s shows why each was not checked (its sample).", query);
	return fact->note && fact->hint ? DBC_OK : DBC_ERROR;
}

/* One row per constraint with violations: the object is the constraint, its
 * table makes health.ignore work by table name too. */
static int violations(dbc_ctx *ctx, const dbc_health_hooks *eng, dbc_health_mode mode,
                      unsigned kinds, dbc_health_fact *fact)
{
	dbc_schema *s;
	dbc_check_findings found = {0};
	/* Standard mode trusts constraints that are validated and enforced now
	 * where that binds every stored row (PostgreSQL; no scan). That trust
	 * has a gap: rows let in while RI triggers were disabled or under
	 * session_replication_role = replica stay behind once enforcement is
	 * back. Full mode closes it by scanning as dbcheck_constraints() does.
	 * SQLite's "enforced" only describes this connection now (foreign_keys,
	 * ignore_check_constraints), so there every constraint is verified in
	 * every mode. */
	dbc_check_options opt = {.kinds = kinds,
	                         .skip_trusted =
	                             ctx->host->dialect->enforced_binds_rows && mode < DBC_HEALTH_FULL,
	                         .ignore = eng->shared ? eng->shared->ignore : NULL,
	                         .keys_proven = eng->shared && eng->shared->keys_proven};
	if (dbc_health_schema(ctx, eng, &s) != DBC_OK)
		return DBC_ERROR;
	if (dbc_check_constraint_findings(ctx, s, &opt, &found) != DBC_OK)
		return DBC_ERROR;
	unchecked_list unchecked = {0};
	for (int i = 0; i < found.n; i++) {
		const dbc_check_finding *f = &found.items[i];
		if (!f->checked) {
			if (unchecked_add(ctx, eng, &unchecked, f->name, f->table) != DBC_OK)
				return DBC_ERROR;
			continue;
		}
		int64_t n = f->count;
		if (n <= 0)
			continue;
		char *detail = dbc_printf(ctx, "%s, %lld row%s", f->kind ? f->kind : "?", (long long)n,
		                          n == 1 ? "" : "s");
		if (dbc_health_add_object(ctx, fact, NULL, f->name ? f->name : "?", f->table, (double)n,
		                          detail) != DBC_OK)
			return DBC_ERROR;
	}
	return note_unchecked(ctx, fact, &unchecked,
	                      "SELECT * FROM dbcheck_constraints() WHERE violations IS NULL");
}

int dbc_health_gather_fk_violations(dbc_ctx *ctx, const dbc_health_hooks *eng, dbc_health_mode mode,
                                    dbc_health_fact *fact)
{
	return violations(ctx, eng, mode, DBC_CHECK_KIND(DBC_CON_FOREIGN_KEY), fact);
}

int dbc_health_gather_constraint_violations(dbc_ctx *ctx, const dbc_health_hooks *eng,
                                            dbc_health_mode mode, dbc_health_fact *fact)
{
	return violations(ctx, eng, mode,
	                  DBC_CHECK_KIND(DBC_CON_CHECK) | DBC_CHECK_KIND(DBC_CON_NOT_NULL) |
	                      DBC_CHECK_KIND(DBC_CON_UNIQUE) | DBC_CHECK_KIND(DBC_CON_PRIMARY_KEY),
	                  fact);
}

/* Declared relations only: orphans of declared foreign keys are already
 * foreign_key_violations, and counting them twice would double the penalty. */
int dbc_health_gather_orphans(dbc_ctx *ctx, const dbc_health_hooks *eng, dbc_health_mode mode,
                              dbc_health_fact *fact)
{
	dbc_schema *s;
	dbc_relation *rels = NULL;
	int nrels = 0;
	dbc_check_findings found = {0};
	dbc_check_options opt = {.ignore = eng->shared ? eng->shared->ignore : NULL,
	                         .relations_only = true};
	(void)mode;
	if (dbc_relations_load(ctx, &rels, &nrels) != DBC_OK)
		return DBC_ERROR;
	if (nrels == 0) {
		fact->message = dbc_strdup(ctx, "no relation declared (dbcheck_add_relation)");
		return DBC_OK;
	}
	if (dbc_health_schema(ctx, eng, &s) != DBC_OK)
		return DBC_ERROR;
	if (dbc_check_orphan_findings(ctx, s, &opt, &found) != DBC_OK)
		return DBC_ERROR;
	unchecked_list unchecked = {0};
	for (int i = 0; i < found.n; i++) {
		const dbc_check_finding *f = &found.items[i];
		/* kept as the rows were read: the child table in the name's place,
		 * the relation in the table's ("<child> of table <relation>") */
		if (!f->checked) {
			if (unchecked_add(ctx, eng, &unchecked, f->table, f->name) != DBC_OK)
				return DBC_ERROR;
			continue;
		}
		int64_t n = f->count;
		if (n <= 0)
			continue;
		char *detail = dbc_printf(ctx, "%lld orphan%s in %s", (long long)n, n == 1 ? "" : "s",
		                          f->table ? f->table : "?");
		if (dbc_health_add_object(ctx, fact, NULL, f->name, f->table, (double)n, detail) != DBC_OK)
			return DBC_ERROR;
	}
	return note_unchecked(ctx, fact, &unchecked,
	                      "SELECT * FROM dbcheck_orphans() WHERE orphans IS NULL");
}

/* backup_drills: the hours since the newest good restore drill, critical
 * when the newest drill failed; skipped until one is recorded. */
int dbc_health_gather_backup_drills(dbc_ctx *ctx, const dbc_health_hooks *eng, dbc_health_mode mode,
                                    dbc_health_fact *fact)
{
	(void)eng, (void)mode;
	dbc_health_drill n;
	if (dbc_health_drill_read(ctx, &n) != DBC_OK)
		return DBC_ERROR;
	if (n.drills == 0) {
		dbc_health_skip(ctx, fact, "no restore drill recorded yet",
		                "dbcare backup drill restores the newest backup into scratch, compares "
		                "it with its record and records the drill.");
		return DBC_OK;
	}
	fact->value = n.good ? n.hours : -1;
	if (!n.good)
		fact->value_text = dbc_strdup(ctx, "none");
	if (n.newest_failed) {
		fact->min_status = DBC_CHECK_CRITICAL;
		fact->message = dbc_printf(ctx, "the newest restore drill failed: %s",
		                           n.detail ? n.detail : "no reason recorded");
	} else {
		fact->message = dbc_printf(ctx, "newest good restore drill %.1f h old", n.hours);
	}
	return fact->message ? DBC_OK : DBC_ERROR;
}
