/*
 * generate_lint.c — the migration lint (docs/lint.md) over a generated plan:
 * each run of steps that becomes one migration is linted as that migration
 * would be, against the live tables, and each finding is shown as a notice
 * naming the step it is about. The plan's own hazards say what it knows;
 * the lint is the second opinion the issue asks for, never a silent one.
 */
#include "migrate/generate.h"
#include "migrate/lint.h"

#include <string.h>

typedef struct group {
	dbc_migration mig;
	dbc_migrate_row row;
	int first_step; /* index of its first step */
	int *line_step; /* by line of its script (1-based): the step index */
	int nlines;
} group;

static int count_lines(const char *s)
{
	int n = 1;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

int dbc_gen_lint(dbc_ctx *ctx, const dbc_migrate_hooks *env, const dbc_gen_plan *plan)
{
	if (!env || !env->lint || !ctx->host->notice || plan->n == 0)
		return DBC_OK;
	group *g = dbc_zalloc(ctx, sizeof(group) * (size_t)plan->n);
	dbc_migrate_row **rows = dbc_zalloc(ctx, sizeof(dbc_migrate_row *) * (size_t)plan->n);
	int ng = 0;
	if (!g || !rows)
		return DBC_ERROR;
	bool *txs = dbc_alloc(ctx, sizeof(bool) * (size_t)plan->n);
	if (!txs)
		return DBC_ERROR;
	for (int i = 0; i < plan->n; i++)
		txs[i] = plan->items[i].transactional;
	for (int i = 0; i < plan->n;) {
		bool tx = txs[i];
		int end = dbc_gen_migration_end(txs, plan->n, i), lines = 2;
		for (int k = i; k < end; k++)
			lines += count_lines(plan->items[k].statement);
		group *x = &g[ng];
		x->line_step = dbc_zalloc(ctx, sizeof(int) * (size_t)(lines + 1));
		if (!x->line_step)
			return DBC_ERROR;
		dbc_buf b;
		dbc_buf_init(&b, ctx);
		int line = 1;
		if (!tx) {
			dbc_buf_append(&b, "-- dbcare:no-transaction\n");
			x->line_step[line++] = i;
		}
		for (int k = i; k < end; k++) {
			const char *s = plan->items[k].statement;
			size_t n = strlen(s);
			while (n && (s[n - 1] == ';' || s[n - 1] == ' ' || s[n - 1] == '\n'))
				n--;
			dbc_buf_appendn(&b, s, n);
			dbc_buf_append(&b, ";\n");
			for (int l = count_lines(dbc_strndup(ctx, s, n)); l > 0; l--)
				x->line_step[line++] = k;
		}
		x->nlines = line - 1;
		x->first_step = i;
		x->mig.version = dbc_printf(ctx, "%d", ng + 1);
		x->mig.version_text = x->mig.version;
		x->mig.name = "generated";
		x->mig.no_transaction = !tx;
		x->mig.script = dbc_buf_finish(&b);
		if (!x->mig.script)
			return DBC_ERROR;
		x->row.mig = &x->mig;
		rows[ng++] = &x->row;
		i = end;
	}
	dbc_lint_findings f;
	if (dbc_lint_plan(ctx, env->lint, rows, ng, &f) != DBC_OK)
		return DBC_ERROR;
	for (int i = 0; i < f.n; i++) {
		const dbc_lint_finding *x = &f.items[i];
		const group *gr = NULL;
		for (int k = 0; k < ng && !gr; k++)
			if (x->mig == &g[k].mig)
				gr = &g[k];
		int step = gr && x->line >= 1 && x->line <= gr->nlines ? gr->line_step[x->line]
		           : gr                                        ? gr->first_step
		                                                       : 0;
		ctx->host->notice(ctx,
		                  dbc_printf(ctx, "lint %s %s at generated step %d: %s",
		                             dbc_lint_severity_name(x->rule->severity), x->rule->id,
		                             step + 1, x->message),
		                  x->suggestion);
	}
	return DBC_OK;
}
