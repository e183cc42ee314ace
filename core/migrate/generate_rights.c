/*
 * generate_rights.c — the steps of a generated plan that hand out rights
 * are marked as hazards, so a reviewer reading the migration a desired
 * schema from someone else produced sees them (docs/security.md): a
 * SECURITY DEFINER function (it runs with its owner's rights, whoever calls
 * it), an owner given (ALTER ... OWNER TO, CREATE SCHEMA ... AUTHORIZATION),
 * a GRANT or REVOKE, an event trigger (it runs on every DDL command of the
 * database), row level security turned off or no longer forced on the
 * owner (every row then visible to whoever reads the table, or to its
 * owner), a view that read with its caller's rights (security_invoker)
 * dropped or replaced (made again without it, it reads with its owner's).
 * Read from the statement's words, outside strings and comments;
 * a function body's words count too (a false mark costs a look, a missed
 * one a privilege).
 */
#include "migrate/generate.h"
#include "schema/ddl_lex.h"

#include <string.h>
#include <strings.h>

/* A boolean option's value token says on: true, on, yes or 1, bare or quoted. */
static bool is_true(dbc_token v)
{
	static const char *const yes[] = {"true", "on", "yes", "1", NULL};
	bool quoted = v.kind == TK_STRING && v.len >= 2;
	if (v.kind != TK_WORD && !quoted)
		return false;
	const char *s = quoted ? v.start + 1 : v.start;
	size_t n = quoted ? v.len - 2 : v.len;
	for (int i = 0; yes[i]; i++)
		if (strlen(yes[i]) == n && strncasecmp(s, yes[i], n) == 0)
			return true;
	return false;
}

/* text sets security_invoker on (WITH (security_invoker), = true, on,
 * yes or 1) or, with *off, off (= false, off, no, 0, or RESET of it). */
static bool sets_invoker(const char *text, bool *off)
{
	const char *p = text ? text : "";
	bool in_reset = false;
	dbc_token prev = {0}, t;
	while ((t = dbc_lex_next(&p)).kind != TK_END) {
		if (dbc_lex_is_punct(t, '(') && dbc_lex_is_word(prev, "RESET"))
			in_reset = true;
		else if (dbc_lex_is_punct(t, ')'))
			in_reset = false;
		else if (dbc_lex_is_word(t, "security_invoker")) {
			const char *q = p;
			dbc_token eq = dbc_lex_next(&q), v = dbc_lex_next(&q);
			bool valued = eq.kind == TK_OTHER && eq.start[0] == '=';
			*off = in_reset || (valued && !is_true(v));
			return true;
		}
		prev = t;
	}
	return false;
}

/* A step that drops or replaces a view reading with its caller's rights
 * (its reverse makes it again with security_invoker on), or turns that
 * off: the view made in its place reads the tables with its owner's. */
static bool drops_invoker_view(const dbc_gen_step *s)
{
	bool off = false, was_off = false;
	if (sets_invoker(s->statement, &off))
		return off;
	const char *p = s->statement;
	bool replaces = false;
	for (dbc_token prev = {0}, t; !replaces && (t = dbc_lex_next(&p)).kind != TK_END; prev = t)
		replaces = (dbc_lex_is_word(prev, "DROP") && dbc_lex_is_word(t, "VIEW")) ||
		           (dbc_lex_is_word(prev, "OR") && dbc_lex_is_word(t, "REPLACE"));
	return replaces && sets_invoker(s->reverse, &was_off) && !was_off;
}

static const char *rights_hazard(const char *statement)
{
	const char *p = statement;
	dbc_token prev2 = {0}, prev = {0}, t;
	bool first = true;
	while ((t = dbc_lex_next(&p)).kind != TK_END) {
		if (dbc_lex_is_word(t, "ROW") &&
		    (dbc_lex_is_word(prev, "DISABLE") ||
		     (dbc_lex_is_word(prev2, "NO") && dbc_lex_is_word(prev, "FORCE"))))
			return dbc_lex_is_word(prev, "DISABLE")
			           ? "turns row level security off: whoever may read the table reads every row"
			           : "no longer forces row level security on the table's owner: the owner "
			             "(and a view it owns) reads every row";
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
		prev2 = prev;
		prev = t;
	}
	return NULL;
}

int dbc_gen_mark_rights(dbc_ctx *ctx, dbc_gen_plan *plan)
{
	for (int i = 0; i < plan->n; i++) {
		dbc_gen_step *s = &plan->items[i];
		const char *why = rights_hazard(s->statement);
		if (!why && drops_invoker_view(s))
			why = "drops or replaces a view that reads with its caller's rights "
			      "(security_invoker): made without it, it reads with its owner's";
		if (!why)
			continue;
		s->hazard = s->hazard ? dbc_printf(ctx, "%s; %s", s->hazard, why) : dbc_strdup(ctx, why);
		if (!s->hazard)
			return DBC_ERROR;
	}
	return DBC_OK;
}
