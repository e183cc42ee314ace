/*
 * cmd_maintain.c — maintain: prints dbmaintain_plan(mode); without
 * --dry-run, dbmaintain_run(mode, include) does the rows that can run in a
 * transaction, and the client then runs each row returned with status
 * outside_transaction (VACUUM, CONCURRENTLY, SQLite's DROP INDEX) as its own
 * statement, outside any transaction — but only a row the safety classes
 * allow: safe, or its safety class or action named in --include, exactly
 * the rule dbmaintain_run applies to the rows it runs itself.
 */
#include "cli/cli.h"

#include <stdlib.h>
#include <string.h>

/* item is one of the comma-separated words of list (spaces ignored). */
static bool listed(const char *list, const char *item)
{
	if (!list || !item || !*item)
		return false;
	size_t n = strlen(item);
	for (const char *p = list; *p;) {
		while (*p == ' ' || *p == ',')
			p++;
		const char *end = p;
		while (*end && *end != ',')
			end++;
		const char *last = end;
		while (last > p && last[-1] == ' ')
			last--;
		if ((size_t)(last - p) == n && strncmp(p, item, n) == 0)
			return true;
		p = end;
	}
	return false;
}

static void set_cell(cli_rows *r, int row, int col, const char *v)
{
	char **cell = &r->cells[(size_t)row * (size_t)r->ncols + (size_t)col];
	free(*cell);
	*cell = strdup(v);
}

int cmd_maintain(cli_db *db, cli_opts *o)
{
	const char *mode = o->mode ? o->mode : "standard";
	cli_rows r = {0};
	if (o->dry_run) {
		const char *p[1] = {mode};
		if (cli_q(db, o,
		          "SELECT object, action, reason, statement, safety, outside_transaction, "
		          "estimated_cost FROM dbmaintain_plan($1)",
		          1, p, &r) != 0)
			return CLI_ERROR;
		cli_bool_column(&r, "outside_transaction");
		cli_print_result(db, o, "plan", &r);
		cli_note(&o->out, "%d row(s) planned, nothing run (--dry-run)", r.nrows);
		cli_rows_free(&r);
		return CLI_OK;
	}
	const char *p[2] = {mode, o->include ? o->include : ""};
	if (cli_q(db, o,
	          "SELECT object, action, statement, safety, status, duration_ms "
	          "FROM dbmaintain_run($1, $2)",
	          2, p, &r) != 0)
		return CLI_ERROR;
	int sc = cli_col(&r, "status"), fc = cli_col(&r, "safety"), ac = cli_col(&r, "action"),
	    tc = cli_col(&r, "statement");
	int outside = 0, ran = 0, rc = CLI_OK;
	for (int i = 0; i < r.nrows && rc == CLI_OK; i++) {
		const char *st = cli_cell(&r, i, sc), *safety = cli_cell(&r, i, fc),
		           *stmt = cli_cell(&r, i, tc);
		if (!st || strcmp(st, "outside_transaction") != 0 || !stmt)
			continue;
		outside++;
		bool allowed = (safety && strcmp(safety, "safe") == 0) || listed(o->include, safety) ||
		               listed(o->include, cli_cell(&r, i, ac));
		if (!allowed) {
			set_cell(&r, i, sc, "not_included");
			continue;
		}
		cli_progress(&o->out, ran, outside, stmt);
		/* autocommit: the driver sends it alone, outside any transaction */
		if (cli_q(db, o, stmt, 0, NULL, NULL) != 0) {
			set_cell(&r, i, sc, "failed");
			rc = CLI_ERROR;
			break;
		}
		set_cell(&r, i, sc, "done");
		ran++;
	}
	cli_progress_end(&o->out);
	cli_print_result(db, o, "run", &r);
	cli_note(&o->out, "%d row(s); %d of %d outside a transaction run here", r.nrows, ran, outside);
	cli_rows_free(&r);
	return rc;
}
