/*
 * generate_sequence.c — a sequence whose options change (its type, bounds,
 * increment, cache, cycling) while its owner and persistence stay: ALTER
 * SEQUENCE, its reverse the live options, where dropping the sequence and
 * making it again fails on the defaults that call it (nextval('s')) and
 * would lose its position.
 */
#include "migrate/generate.h"

#include <string.h>

/* Where the options of a model's sequence definition end ("AS integer
 * START 1 ... NO CYCLE", then " OWNED BY s.t.c" and " UNLOGGED", either
 * absent). */
static size_t options_len(const char *d)
{
	const char *own = strstr(d, " OWNED BY ");
	const char *unlogged = strstr(d, " UNLOGGED");
	const char *end = own ? own : unlogged ? unlogged : d + strlen(d);
	return (size_t)(end - d);
}

bool dbc_gen_seq_alters(const dbc_object *live, const dbc_object *want)
{
	if (strcmp(live->type, "sequence") != 0 || strcmp(want->type, "sequence") != 0 ||
	    !live->definition || !want->definition || strncmp(live->definition, "AS ", 3) != 0 ||
	    strncmp(want->definition, "AS ", 3) != 0)
		return false;
	size_t ln = options_len(live->definition), wn = options_len(want->definition);
	return strcmp(live->definition + ln, want->definition + wn) == 0 &&
	       (ln != wn || strncmp(live->definition, want->definition, ln) != 0);
}

int dbc_gen_seq_alter(dbc_ctx *ctx, const dbc_object *live, const dbc_object *want,
                      dbc_gen_plan *out)
{
	char *q = dbc_quoted_name(ctx, want->schema, want->name);
	dbc_gen_step *s = dbc_gen_add(ctx, out,
	                              dbc_printf(ctx, "ALTER SEQUENCE %s %.*s", q,
	                                         (int)options_len(want->definition), want->definition),
	                              dbc_printf(ctx, "ALTER SEQUENCE %s %.*s", q,
	                                         (int)options_len(live->definition), live->definition));
	return s ? DBC_OK : DBC_ERROR;
}
