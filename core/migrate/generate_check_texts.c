/*
 * generate_check_texts.c — a CHECK constraint made as its definition
 * reads. PostgreSQL writes `v IN ('a', 'b')` on a varchar column as
 * `CHECK (((v)::text = ANY ((ARRAY['a'::character varying, ...])::text[])))`,
 * a text it parses back as another check (the cast of the ARRAY[...]
 * pushed into its elements, generate_round_trip.c), so a step adding a
 * check from its definition (the up making a desired one, the down making
 * a live one again, a table made again with its checks) made another check
 * than the definition says, and the plan failed its proof. Where the
 * engine offers another spelling of a check's text (env->index_spellings:
 * the same respelling of the same expression), every step of the plan
 * writes that spelling in its place. A check's text is written only by
 * the plan's steps, which the proof runs and compares, table by table, as
 * read back: a spelling that made another check still fails the proof,
 * never a plan in silence.
 *
 * A desired file that is a database's pg_dump writes its checks as the
 * engine's text, so the place made another check than the dumped one (and
 * the plan changed a live check that was the same): where a spelling of
 * the file's text is offered, the place's check is made again from it
 * (dbc_gen_checks_as_written), as generate_index_texts.c does for indexes.
 */
#include "migrate/generate.h"
#include "migrate/generate_plan.h"
#include "migrate/generate_render.h"

#include <string.h>

/* text with every whole occurrence of from replaced by to; text itself
 * where from is not in it. */
static char *replaced(dbc_ctx *ctx, char *text, const char *from, const char *to)
{
	if (!text || !strstr(text, from))
		return text;
	dbc_buf b;
	dbc_buf_init(&b, ctx);
	size_t n = strlen(from);
	for (const char *p = text, *hit; *p; p = hit + n) {
		hit = strstr(p, from);
		if (!hit) {
			dbc_buf_append(&b, p);
			break;
		}
		dbc_buf_appendn(&b, p, (size_t)(hit - p));
		dbc_buf_append(&b, to);
	}
	return dbc_buf_finish(&b);
}

static int respell(dbc_ctx *ctx, dbc_gen_plan *plan, const char *from, const char *to)
{
	for (int i = 0; i < plan->n; i++) {
		dbc_gen_step *st = &plan->items[i];
		char **texts[] = {&st->statement, &st->reverse, &st->proof, &st->proof_reverse};
		for (size_t k = 0; k < sizeof texts / sizeof texts[0]; k++) {
			*texts[k] = replaced(ctx, *texts[k], from, to);
			if (ctx->failed)
				return DBC_ERROR;
		}
	}
	return DBC_OK;
}

static int checks_of(dbc_ctx *ctx, const dbc_migrate_hooks *env, const dbc_schema *s,
                     dbc_gen_plan *plan)
{
	for (int i = 0; i < s->ntables; i++)
		for (int k = 0; k < s->tables[i].nconstraints; k++) {
			const dbc_constraint *c = &s->tables[i].constraints[k];
			dbc_strlist spellings = {0};
			if (c->kind != DBC_CON_CHECK || !c->expr || strncmp(c->expr, "CHECK", 5) != 0)
				continue;
			if (env->index_spellings(ctx, c->expr, &spellings) != DBC_OK ||
			    (spellings.n && respell(ctx, plan, c->expr, spellings.items[0]) != DBC_OK))
				return DBC_ERROR;
		}
	return DBC_OK;
}

int dbc_gen_check_texts(dbc_ctx *ctx, const dbc_migrate_hooks *env, const dbc_schema *live,
                        const dbc_schema *want, dbc_gen_plan *plan)
{
	if (!env->index_spellings || !plan->n)
		return DBC_OK;
	return checks_of(ctx, env, live, plan) == DBC_OK ? checks_of(ctx, env, want, plan) : DBC_ERROR;
}

/* Past the quoted text at p ('...' or "...", doubled quotes inside). */
static const char *past_quoted(const char *p)
{
	char q = *p++;
	while (*p) {
		if (*p == q && p[1] == q)
			p += 2;
		else if (*p++ == q)
			break;
	}
	return p;
}

/* The "CHECK (...)" text stmt writes for its constraint name, NULL where
 * it writes none there. */
static char *written_check(dbc_ctx *ctx, const char *text, const char *name)
{
	char *head = dbc_printf(ctx, "CONSTRAINT %s CHECK (", dbc_gen_q(ctx, name));
	const char *at = head ? strstr(text, head) : NULL;
	if (!at)
		return NULL;
	const char *check = at + strlen(head) - strlen("CHECK ("), *p = check + strlen("CHECK ");
	for (int depth = 0; *p;) {
		if (*p == '\'' || *p == '"') {
			p = past_quoted(p);
			continue;
		}
		if (*p == '(')
			depth++;
		else if (*p == ')' && --depth == 0)
			return dbc_strndup(ctx, check, (size_t)(p + 1 - check));
		p++;
	}
	return NULL;
}

static const dbc_gen_stmt *table_stmt(const dbc_gen_desired *d, const dbc_table *t)
{
	for (int i = 0; i < d->nstmts; i++) {
		const dbc_gen_stmt *st = &d->stmts[i];
		if (strcmp(st->kind, "table") == 0 && strcmp(st->name, t->name) == 0 &&
		    (!st->schema || dbc_gen_same_schema(st->schema, t->schema)))
			return st;
	}
	return NULL;
}

int dbc_gen_checks_as_written(dbc_ctx *ctx, const dbc_migrate_hooks *env, const dbc_gen_desired *d,
                              const dbc_schema *want, bool *remade)
{
	for (int i = 0; env->index_spellings && i < want->ntables; i++) {
		const dbc_table *t = &want->tables[i];
		const dbc_gen_stmt *st = table_stmt(d, t);
		for (int k = 0; st && k < t->nconstraints; k++) {
			const dbc_constraint *c = &t->constraints[k];
			dbc_strlist spellings = {0};
			/* NO INHERIT is after the parenthesis: such a check is left
			 * as the file made it */
			if (c->kind != DBC_CON_CHECK || !c->expr || strstr(c->expr, "NO INHERIT"))
				continue;
			char *file = written_check(ctx, st->text, c->name);
			if (!file || dbc_gen_same_text(file, c->expr))
				continue;
			if (env->index_spellings(ctx, file, &spellings) != DBC_OK)
				return DBC_ERROR;
			if (!spellings.n)
				continue;
			char *qt = dbc_quoted_name(ctx, t->schema, t->name);
			char *drop =
			    dbc_printf(ctx, "ALTER TABLE %s DROP CONSTRAINT %s", qt, dbc_gen_q(ctx, c->name));
			char *add = dbc_printf(ctx, "ALTER TABLE %s ADD CONSTRAINT %s %s", qt,
			                       dbc_gen_q(ctx, c->name), spellings.items[0]);
			if (!drop || !add || ctx->host->exec(ctx, drop) != DBC_OK ||
			    ctx->host->exec(ctx, add) != DBC_OK)
				return DBC_ERROR;
			*remade = true;
		}
	}
	return DBC_OK;
}
