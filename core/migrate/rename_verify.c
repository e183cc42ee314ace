/*
 * rename_verify.c — a rename row of the log counts only when the migration
 * it names did that rename (issue 49): the registered script of the row's
 * direction (the up script, or the down script for a down), whose checksum
 * the registry keeps, holds a statement that renames that table, or that
 * table's column, to the row's new name, as the lint's classifier reads it
 * (the same reading the runner logged it by). A row anyone inserted by hand
 * names a migration that never did it, or none: it is not followed, and the
 * generator plans no rename from it. Drops and forgets need no proof: they
 * can only cut a chain, never make a wrong one.
 */
#include "migrate/lint.h"
#include "migrate/migrate_script.h"
#include "migrate/rename_log.h"

#include <string.h>
#include <strings.h>

static bool same(bool fold, const char *a, const char *b)
{
	return a && b && (fold ? strcasecmp(a, b) == 0 : strcmp(a, b) == 0);
}

int dbc_rename_in_script(dbc_ctx *ctx, const char *script, const char *schema, const char *table,
                         const char *column, const char *new_name, bool *yes)
{
	bool fold = ctx->host->dialect->names_fold_case;
	dbc_script_info info;
	*yes = false;
	if (!script || !table || !new_name)
		return DBC_OK;
	if (dbc_script_analyse(ctx, ctx->host->dialect, script, &info) != DBC_OK)
		return DBC_ERROR;
	for (int i = 0; i < info.nstmts && !*yes; i++) {
		dbc_lint_actions acts = {0};
		if (dbc_lint_classify(ctx, NULL, info.stmts[i].text, info.stmts[i].len, &acts) != DBC_OK)
			return DBC_ERROR;
		for (int k = 0; k < acts.n && !*yes; k++) {
			const dbc_lint_action *a = &acts.items[k];
			bool kind = column ? a->op == DBC_LOP_RENAME_COLUMN : a->op == DBC_LOP_RENAME_TABLE;
			*yes = kind && same(fold, a->table, table) && same(fold, a->new_name, new_name) &&
			       (!column || same(fold, a->column, column)) &&
			       (!a->schema || same(fold, a->schema, schema));
		}
	}
	return DBC_OK;
}
