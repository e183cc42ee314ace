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
 * the same respelling of the same expression), each step that makes the
 * check (its named text in a table statement) writes that spelling in
 * its place, and no other text changes. A check's text is written only by
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
#include "schema/ddl_lex.h"

#include <string.h>
#include <strings.h>

/* Whether the statement of text holding at starts with ALTER TABLE or
 * CREATE TABLE: a step's text is its statements, each ending ";\n" (one
 * statement alone: no ";"), and the plan writes a constraint only in
 * those two (dbc_gen_constraint_def); text elsewhere (a function's body,
 * a view's) is never a constraint the plan makes. */
static bool in_table_statement(const char *text, const char *at)
{
	const char *start = text;
	for (const char *p = text; (p = strstr(p, ";\n")) && p < at; p += 2)
		start = p + 2;
	start = dbc_lex_skip_space(start);
	return strncasecmp(start, "ALTER TABLE ", 12) == 0 ||
	       strncasecmp(start, "CREATE TABLE ", 13) == 0;
}

/* text with each occurrence of from that a table statement of it holds
 * replaced by to; text itself where there is none. */
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
		dbc_buf_append(&b, in_table_statement(text, hit) ? to : from);
	}
	return dbc_buf_finish(&b);
}

/* Each step's texts that make constraint c (named: "CONSTRAINT c CHECK
 * (...)" in a table statement, as dbc_gen_constraint_def writes it) write
 * spelling as its text; no other text changes. */
static int respell(dbc_ctx *ctx, dbc_gen_plan *plan, const dbc_constraint *c, const char *spelling)
{
	char *from = dbc_gen_constraint_def(ctx, c);
	char *head = dbc_printf(ctx, "CONSTRAINT %s ", dbc_gen_q(ctx, c->name));
	char *to = head ? dbc_printf(ctx, "%s%s", head, spelling) : NULL;
	if (!from || !to || strncmp(from, head, strlen(head)) != 0)
		return ctx->failed ? DBC_ERROR : DBC_OK; /* unnamed: no step names it */
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
			    (spellings.n && respell(ctx, plan, c, spellings.items[0]) != DBC_OK))
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

/* The "CHECK (...)" text stmt writes for its constraint name, NULL where
 * it writes none there or has no closing parenthesis. The text is
 * PostgreSQL's (only its engine offers spellings): a string holding ']'
 * inside ARRAY[...] is a string. */
static char *written_check(dbc_ctx *ctx, const char *text, const char *name)
{
	char *head = dbc_printf(ctx, "CONSTRAINT %s CHECK (", dbc_gen_q(ctx, name));
	const char *at = head ? strstr(text, head) : NULL;
	if (!at)
		return NULL;
	const char *check = at + strlen(head) - strlen("CHECK ("), *p = at + strlen(head);
	return dbc_lex_skip_paren_pg(&p) ? dbc_strndup(ctx, check, (size_t)(p - check)) : NULL;
}

int dbc_gen_checks_as_written(dbc_ctx *ctx, const dbc_migrate_hooks *env, const dbc_gen_desired *d,
                              const dbc_schema *want, bool *remade)
{
	for (int i = 0; env->index_spellings && i < want->ntables; i++) {
		const dbc_table *t = &want->tables[i];
		const dbc_gen_stmt *st = dbc_gen_desired_stmt(d, "table", t->name, t->schema);
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
