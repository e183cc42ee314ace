/*
 * generate_plan_base.c — the planner's small helpers every pass uses:
 * comparing names, the lock a step takes, a live table's row count, adding
 * a step.
 */
#include "migrate/generate_plan.h"

#include <string.h>

bool dbc_gen_same_text(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

bool dbc_gen_same_schema(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

const char *dbc_gen_lock_of(planner *pl, dbc_lint_op op)
{
	const dbc_dialect *d = pl->ctx->host->dialect;
	return d->lint_locks ? d->lint_locks[op] : NULL;
}

int64_t dbc_gen_rows_of(planner *pl, const dbc_table *t)
{
	int64_t rows = -1;
	if (pl->eng && pl->eng->rows && pl->eng->rows(pl->ctx, t->schema, t->name, &rows) != DBC_OK) {
		dbc_error_clear(pl->ctx);
		rows = -1;
	}
	return rows;
}

dbc_gen_step *dbc_gen_plan_add(planner *pl, char *statement, char *reverse, const char *lock)
{
	dbc_gen_step *s = dbc_gen_add(pl->ctx, pl->out, statement, reverse);
	if (s)
		s->lock = (char *)lock;
	return s;
}

int dbc_gen_table_index(const dbc_schema *s, const dbc_table *t)
{
	return (int)(t - s->tables);
}
