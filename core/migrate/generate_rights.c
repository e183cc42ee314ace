/*
 * generate_rights.c — the steps of a generated plan that hand out rights
 * are marked as hazards, so a reviewer reading the migration a desired
 * schema from someone else produced sees them (docs/security.md): a
 * SECURITY DEFINER function (it runs with its owner's rights, whoever calls
 * it), an owner given (ALTER ... OWNER TO, CREATE SCHEMA ... AUTHORIZATION),
 * a GRANT or REVOKE, an event trigger (it runs on every DDL command of the
 * database). Read from the statement's words, outside strings and comments;
 * a function body's words count too (a false mark costs a look, a missed
 * one a privilege).
 */
#include "migrate/generate.h"
#include "schema/ddl_lex.h"

#include <string.h>

static const char *rights_hazard(const char *statement)
{
	const char *p = statement;
	dbc_token prev = {0}, t;
	bool first = true;
	while ((t = dbc_lex_next(&p)).kind != TK_END) {
		if (first && (dbc_lex_is_word(t, "GRANT") || dbc_lex_is_word(t, "REVOKE")))
			return "grants or revokes rights";
		if (dbc_lex_is_word(prev, "SECURITY") && dbc_lex_is_word(t, "DEFINER"))
			return "makes a SECURITY DEFINER function: it runs with its owner's rights";
		if ((dbc_lex_is_word(prev, "OWNER") && dbc_lex_is_word(t, "TO")) ||
		    dbc_lex_is_word(t, "AUTHORIZATION"))
			return "gives an object an owner";
		if (dbc_lex_is_word(prev, "EVENT") && dbc_lex_is_word(t, "TRIGGER"))
			return "makes an event trigger: it runs on every DDL command of the database";
		first = false;
		prev = t;
	}
	return NULL;
}

int dbc_gen_mark_rights(dbc_ctx *ctx, dbc_gen_plan *plan)
{
	for (int i = 0; i < plan->n; i++) {
		dbc_gen_step *s = &plan->items[i];
		const char *why = rights_hazard(s->statement);
		if (!why)
			continue;
		s->hazard = s->hazard ? dbc_printf(ctx, "%s; %s", s->hazard, why) : dbc_strdup(ctx, why);
		if (!s->hazard)
			return DBC_ERROR;
	}
	return DBC_OK;
}
