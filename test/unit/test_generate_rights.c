/*
 * test_generate_rights.c — the generator marks each plan step that hands
 * out rights (generate_rights.c): a SECURITY DEFINER function, an owner
 * given, a GRANT or REVOKE, an event trigger, row level security turned off
 * or no longer forced, a security_invoker view dropped or turned off; the words inside a string or
 * a comment do not count, and a step's own hazard is kept before the mark.
 */
#include "migrate/generate.h"
#include "unit.h"

static const char *mark_undone(dbc_ctx *ctx, const char *statement, const char *reverse,
                               const char *hazard)
{
	dbc_gen_plan plan = {0};
	dbc_gen_step *s = dbc_gen_add(ctx, &plan, dbc_strdup(ctx, statement),
	                              reverse ? dbc_strdup(ctx, reverse) : NULL);
	if (!s)
		return "(no step)";
	s->hazard = hazard ? dbc_strdup(ctx, hazard) : NULL;
	if (dbc_gen_mark_rights(ctx, &plan) != DBC_OK)
		return "(error)";
	return plan.items[0].hazard;
}

static const char *mark(dbc_ctx *ctx, const char *statement, const char *hazard)
{
	return mark_undone(ctx, statement, NULL, hazard);
}

int main(void)
{
	dbc_ctx ctx;
	dbc_ctx_init(&ctx, &unit_host, NULL);
	CHECK_STR(mark(&ctx,
	               "CREATE FUNCTION f() RETURNS int LANGUAGE sql SECURITY DEFINER AS 'SELECT 1'",
	               NULL),
	          "makes a SECURITY DEFINER function: it runs with its owner's rights",
	          "SECURITY DEFINER is a hazard");
	CHECK_STR(mark(&ctx, "ALTER TABLE public.t OWNER TO app", NULL), "gives an object an owner",
	          "OWNER TO is a hazard");
	CHECK_STR(mark(&ctx, "CREATE SCHEMA sales AUTHORIZATION app", NULL), "gives an object an owner",
	          "AUTHORIZATION is a hazard");
	CHECK_STR(mark(&ctx, "GRANT SELECT ON t TO app", NULL), "grants or revokes rights",
	          "GRANT is a hazard");
	CHECK_STR(mark(&ctx, "revoke all on t from public", NULL), "grants or revokes rights",
	          "REVOKE in lower case is a hazard");
	CHECK_STR(mark(&ctx, "CREATE EVENT TRIGGER e ON ddl_command_start EXECUTE FUNCTION f()", NULL),
	          "makes an event trigger: it runs on every DDL command of the database",
	          "an event trigger is a hazard");
	CHECK_STR(
	    mark(&ctx, "CREATE TABLE t (note text DEFAULT 'SECURITY DEFINER') -- OWNER TO x", NULL),
	    NULL, "words in a string or a comment are not a hazard");
	CHECK_STR(mark(&ctx, "CREATE TABLE t (id int)", NULL), NULL, "a plain table is no hazard");
	static const char off[] = "turns row level security off: whoever may read the table reads "
	                          "every row";
	CHECK_STR(mark(&ctx, "SET LOCAL lock_timeout = '3s';\nALTER TABLE t DISABLE ROW LEVEL SECURITY",
	               NULL),
	          off, "row security turned off is a hazard");
	CHECK_STR(mark(&ctx, "ALTER TABLE t NO FORCE ROW LEVEL SECURITY", NULL),
	          "no longer forces row level security on the table's owner: the owner (and a view "
	          "it owns) reads every row",
	          "row security no longer forced is a hazard");
	CHECK_STR(mark(&ctx, "ALTER TABLE t ENABLE ROW LEVEL SECURITY", NULL), NULL,
	          "row security turned on is none");
	static const char view[] = "drops or replaces a view that reads with its caller's rights "
	                           "(security_invoker): made without it, it reads with its owner's";
	CHECK_STR(mark_undone(&ctx, "DROP VIEW public.v",
	                      "CREATE VIEW public.v WITH (security_invoker=true) AS SELECT 1", NULL),
	          view, "an invoker view dropped is a hazard");
	CHECK_STR(mark_undone(&ctx, "DROP VIEW public.v", "CREATE VIEW public.v AS SELECT 1", NULL),
	          NULL, "a plain view dropped is none");
	CHECK_STR(mark_undone(&ctx, "DROP VIEW public.v",
	                      "CREATE VIEW public.v WITH (security_invoker='off') AS SELECT 1", NULL),
	          NULL, "a view with security_invoker off dropped is none");
	CHECK_STR(mark(&ctx, "ALTER VIEW v RESET (check_option, security_invoker)", NULL), view,
	          "security_invoker reset is a hazard");
	CHECK_STR(mark(&ctx, "ALTER VIEW v SET (security_invoker = false)", NULL), view,
	          "security_invoker set off is a hazard");
	CHECK_STR(mark(&ctx, "ALTER VIEW v SET (security_invoker)", NULL), NULL,
	          "security_invoker set on is none");
	CHECK_STR(mark(&ctx,
	               "CREATE FUNCTION g() RETURNS int LANGUAGE sql SECURITY DEFINER AS 'SELECT 1'",
	               "drops g"),
	          "drops g; makes a SECURITY DEFINER function: it runs with its owner's rights",
	          "the step's own hazard comes first");
	dbc_ctx_finish(&ctx);
	return unit_done();
}
