/*
 * generate_step.c — the generator's list of steps: the planner and the
 * table rebuild both append to it (generate_plan.c, generate_rebuild.c).
 */
#include "migrate/generate.h"

#include <string.h>

dbc_gen_step *dbc_gen_add(dbc_ctx *ctx, dbc_gen_plan *p, char *statement, char *reverse)
{
	if (!statement || dbc_grow(ctx, &p->items, p->n, &p->cap, sizeof(dbc_gen_step), 16) != DBC_OK)
		return NULL;
	dbc_gen_step *s = &p->items[p->n++];
	memset(s, 0, sizeof(*s));
	s->statement = statement;
	s->reverse = reverse;
	s->rows = -1;
	s->transactional = true;
	return s;
}
