/*
 * generate_index_texts.c — an index made as its definition reads. The
 * engine's own text of an index need not make that index again
 * (PostgreSQL writes a cast ARRAY[...] as a text it reads back otherwise,
 * generate_round_trip.c), so a step making an index from its definition
 * (the up making a desired one, the down making a live one again) would
 * leave another index than the definition says, and a desired file that
 * is a database's pg_dump, applied, would make another database than the
 * one dumped. Where the engine offers other spellings of a definition
 * (env->index_spellings), the one index_round_trip proves to give the
 * definition back on the table is the text every step writes for it
 * (dbc_gen_index_text); an index no spelling gives is made from its
 * definition, as before, and the proof says where that falls short.
 */
#include "migrate/generate.h"
#include "migrate/generate_plan.h"
#include "migrate/generate_render.h"
#include "schema/ddl_lex.h"

#include <string.h>

static const char *listed(const dbc_gen_index_texts *t, const char *definition)
{
	for (int i = 0; t && i < t->definition.n; i++)
		if (strcmp(t->definition.items[i], definition) == 0)
			return t->text.items[i];
	return NULL;
}

const char *dbc_gen_index_text(const dbc_gen_input *in, const char *definition)
{
	const char *text = definition ? listed(in->index_texts, definition) : NULL;
	return text ? text : definition;
}

static int add(dbc_ctx *ctx, dbc_gen_index_texts *t, const char *definition, const char *text)
{
	return dbc_strlist_add(ctx, &t->definition, definition) == DBC_OK
	           ? dbc_strlist_add(ctx, &t->text, text)
	           : DBC_ERROR;
}

/* A spelling of definition (of schema) that makes it on the desired table
 * (or on the one the CREATE TABLE statement table_stmt makes) into *out,
 * NULL where none does or (unless made_otherwise, known to make another)
 * definition makes itself. No spelling offered, nothing is made. */
static int text_that_makes(dbc_ctx *ctx, const dbc_migrate_hooks *env, const char *schema,
                           const char *table_stmt, const char *definition, bool made_otherwise,
                           const char **out)
{
	dbc_strlist spellings = {0};
	bool makes = false;
	*out = NULL;
	if (!env->index_spellings || !env->index_round_trip)
		return DBC_OK;
	if (env->index_spellings(ctx, definition, &spellings) != DBC_OK)
		return DBC_ERROR;
	if (spellings.n && !made_otherwise &&
	    dbc_gen_index_makes_on(ctx, env, schema, table_stmt, definition, definition, &makes) !=
	        DBC_OK)
		return DBC_ERROR;
	for (int i = 0; i < spellings.n && !makes; i++) {
		if (dbc_gen_index_makes_on(ctx, env, schema, table_stmt, spellings.items[i], definition,
		                           &makes) != DBC_OK)
			return DBC_ERROR;
		if (makes)
			*out = spellings.items[i];
	}
	return DBC_OK;
}

/* The CREATE TABLE of x's table where the place lacks it (NULL where it
 * has it, or s does not hold it either). */
static const char *table_to_make(dbc_ctx *ctx, const dbc_schema *s, const dbc_schema *place,
                                 const dbc_index *x)
{
	if (!place || !x->table || dbc_schema_find_table(place, x->schema, x->table))
		return NULL;
	const dbc_table *t = dbc_schema_find_table(s, x->schema, x->table);
	return t ? dbc_gen_create_table(ctx, t, false) : NULL;
}

int dbc_gen_index_texts_of(dbc_ctx *ctx, const dbc_migrate_hooks *env, const dbc_schema *s,
                           const dbc_schema *place, dbc_gen_index_texts *texts)
{
	for (int i = 0; i < s->nindexes; i++) {
		const dbc_index *x = &s->indexes[i];
		const char *text = NULL;
		if (x->constraint || x->primary || !x->definition || listed(texts, x->definition))
			continue;
		if (text_that_makes(ctx, env, x->schema, table_to_make(ctx, s, place, x), x->definition,
		                    false, &text) != DBC_OK ||
		    add(ctx, texts, x->definition, text ? text : x->definition) != DBC_OK)
			return DBC_ERROR;
	}
	return DBC_OK;
}

int dbc_gen_indexes_as_written(dbc_ctx *ctx, const dbc_migrate_hooks *env, const dbc_gen_desired *d,
                               const dbc_schema *want, dbc_gen_index_texts *texts, bool *remade)
{
	*remade = false;
	for (int i = 0; i < want->nindexes; i++) {
		const dbc_index *x = &want->indexes[i];
		/* the desired file's CREATE INDEX, from its first word */
		const dbc_gen_stmt *st = x->constraint || x->primary || !x->definition
		                             ? NULL
		                             : dbc_gen_desired_stmt(d, "index", x->name, x->schema);
		const char *file = st ? dbc_lex_skip_space(st->text) : NULL;
		const char *text = NULL;
		/* the file's text made another index: where a spelling of it
		 * makes the one it says, the place holds that one */
		if (!file || dbc_gen_same_text(file, x->definition))
			continue;
		if (text_that_makes(ctx, env, x->schema, NULL, file, true, &text) != DBC_OK)
			return DBC_ERROR;
		if (!text)
			continue;
		char *drop = dbc_printf(ctx, "DROP INDEX %s", dbc_quoted_name(ctx, x->schema, x->name));
		if (!drop || ctx->host->exec(ctx, drop) != DBC_OK || ctx->host->exec(ctx, text) != DBC_OK ||
		    add(ctx, texts, file, text) != DBC_OK)
			return DBC_ERROR;
		*remade = true;
	}
	return DBC_OK;
}
