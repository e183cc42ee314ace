/*
 * migrate_keys.c — foreign keys around a run of migrations (apply,
 * rollback), so that one migration does the same to the data whatever the
 * client's foreign key setting (docs/migrations.md, "Foreign keys").
 *
 * SQLite's procedure for schema changes ALTER TABLE cannot make (the table
 * rebuild: new table, copy, DROP TABLE, RENAME) turns enforcement off
 * outside the transaction, because while it is on DROP TABLE deletes the
 * table's rows first and the children's ON DELETE actions empty or change
 * theirs. The rule, decided here for every engine whose hooks say so:
 *  - enforcement on and no transaction open: off for the run, every key
 *    checked before the commit (a broken one fails the run, all or
 *    nothing), the caller's setting back on every path;
 *  - enforcement on inside the caller's transaction (the pragma cannot
 *    change there): a statement whose DROP TABLE would delete or change
 *    rows of such children is refused before it runs;
 *  - enforcement off: nothing deletes through a key, and nothing is checked
 *    (the connection does not enforce keys for any other write either).
 */
#include "migrate/migrate_flow.h"
#include "migrate/lint.h"
#include "migrate/migrate_script.h"

#include <strings.h>

/* The run whose statements are guarded (one per thread: runs do not nest,
 * dbc_migrate_guard_enter refuses it). */
static _Thread_local const dbc_migrate_keys *guarded_run;

int dbc_migrate_keys_begin(dbc_ctx *ctx, const dbc_migrate_hooks *env, dbc_migrate_keys *k)
{
	bool enforced = false;
	k->h = env ? env->keys : NULL;
	k->suspended = k->guarded = false;
	if (!k->h)
		return DBC_OK;
	if (k->h->suspend(ctx, &enforced, &k->suspended) != DBC_OK)
		return DBC_ERROR;
	k->guarded = enforced;
	if (k->guarded)
		guarded_run = k;
	return DBC_OK;
}

int dbc_migrate_keys_check(dbc_ctx *ctx, const dbc_migrate_keys *k)
{
	int64_t n = 0;
	char *first = NULL;
	if (!k->suspended)
		return DBC_OK;
	if (k->h->violations(ctx, &n, &first) != DBC_OK)
		return DBC_ERROR;
	if (n == 0)
		return DBC_OK;
	dbc_error(ctx, "23503", "after the migrations %lld row(s) break a foreign key; the first: %s",
	          (long long)n, first ? first : "?");
	dbc_error_detail(ctx, "Foreign keys are off while dbcare runs migrations (SQLite's procedure "
	                      "for table changes) and every key is checked before the commit: "
	                      "nothing was applied. A row that broke its key before the call (one "
	                      "written with foreign keys off) counts too.");
	dbc_error_hint(ctx, "Keep the parent's keys when a migration rebuilds it (copy its rows "
	                    "with their ids), or change or delete the referencing rows in the "
	                    "migration itself.");
	return DBC_ERROR;
}

int dbc_migrate_keys_end(dbc_ctx *ctx, dbc_migrate_keys *k, int rc)
{
	if (k->suspended)
		k->h->restore(ctx);
	if (guarded_run == k)
		guarded_run = NULL;
	k->suspended = k->guarded = false;
	return rc;
}

/* Whether the statement mentions DROP at all (the classifier costs more). */
static bool says_drop(const char *text, size_t len)
{
	for (size_t i = 0; i + 4 <= len; i++)
		if (strncasecmp(text + i, "drop", 4) == 0)
			return true;
	return false;
}

/* Refuses a statement whose DROP TABLE would make enforced children's ON
 * DELETE actions delete or change rows; hint says what to do instead. */
static int refuse_drop(dbc_ctx *ctx, const dbc_keys_hooks *h, const char *text, size_t len,
                       const char *label, int line, const char *hint)
{
	if (!h->deleting_children || !says_drop(text, len))
		return DBC_OK;
	dbc_lint_actions acts = {0};
	if (dbc_lint_classify(ctx, NULL, text, len, &acts) != DBC_OK)
		return DBC_ERROR;
	for (int i = 0; i < acts.n; i++) {
		const dbc_lint_action *a = &acts.items[i];
		char *children = NULL;
		if (a->op != DBC_LOP_DROP_TABLE || !a->table)
			continue;
		if (h->deleting_children(ctx, a->schema, a->table, &children) != DBC_OK)
			return DBC_ERROR;
		if (!children)
			continue;
		dbc_error(ctx, DBC_SQLSTATE_BAD_STATE,
		          "migration %s, line %d: DROP TABLE %s would delete or change the rows of %s "
		          "through their foreign keys, which this connection enforces inside a "
		          "transaction",
		          label, line, a->table, children);
		dbc_error_detail(ctx, "With foreign keys enforced DROP TABLE deletes the table's rows "
		                      "first, and each child's ON DELETE action follows; foreign keys "
		                      "cannot be turned off inside a transaction.");
		dbc_error_hint(ctx, "%s", hint);
		ctx->error_line = line;
		return DBC_ERROR;
	}
	return DBC_OK;
}

int dbc_migrate_keys_statement(dbc_ctx *ctx, const char *text, size_t len, const char *label,
                               int line)
{
	const dbc_migrate_keys *k = guarded_run;
	if (!k || !k->guarded)
		return DBC_OK;
	return refuse_drop(ctx, k->h, text, len, label, line,
	                   "Call it outside a transaction (dbcare then turns foreign keys off for "
	                   "the run and checks every key before it commits), or on a connection "
	                   "with PRAGMA foreign_keys = OFF.");
}

int dbc_migrate_keys_script(dbc_ctx *ctx, const dbc_migrate_hooks *env, const char *script,
                            const char *label)
{
	bool on = false;
	dbc_script_info info;
	if (!env || !env->keys || !script || !env->lint || !env->lint->foreign_keys_on)
		return DBC_OK;
	if (env->lint->foreign_keys_on(ctx, &on) != DBC_OK)
		return DBC_ERROR;
	if (!on)
		return DBC_OK;
	if (dbc_script_analyse(ctx, ctx->host->dialect, script, &info) != DBC_OK)
		return DBC_ERROR;
	dbc_keys_track track = {false, false};
	for (int i = 0; i < info.nstmts; i++) {
		const dbc_stmt *st = &info.stmts[i];
		/* a no-transaction script (dbmigrate_rebuild_script's) may turn
		 * them off itself, as SQLite's procedure does */
		if (info.no_transaction && dbc_keys_track_stmt(ctx, &track, st->text, st->len) != DBC_OK)
			return DBC_ERROR;
		if (!track.off &&
		    refuse_drop(ctx, env->keys, st->text, st->len, label, st->line,
		                "Run the script on a connection with foreign keys off (the sqlite3 "
		                "shell's default; PRAGMA foreign_keys = OFF before it), or apply with "
		                "dbmigrate_apply() outside a transaction, which turns them off for the "
		                "run and checks every key before it commits.") != DBC_OK)
			return DBC_ERROR;
	}
	return DBC_OK;
}
