/*
 * generate_rights_plan.c — the rights a desired schema writes are planned
 * (docs/schema-as-code.md, docs/security.md): a REVOKE left out of a plan
 * leaves a SECURITY DEFINER function callable by anyone, so no right of a
 * desired object is dropped in silence. The engine reads the rights of the
 * live objects and of the desired ones (dbc_migrate_hooks.rights); each
 * difference, for an object (or a column) the desired schema has, is one
 * GRANT or REVOKE step per object, column, grantee and direction, its
 * reverse the way back. An object the live schema lacks, or one the plan
 * drops and makes again (a changed function, a view made again), starts
 * from the rights its kind gives a new object (a function's EXECUTE for
 * PUBLIC); one the desired schema lacks is left to the rest of the plan.
 * Rights are planned only for an object the file writes rights for (a
 * GRANT or REVOKE on it or a column of it: its ACL set in the scratch
 * place); any other keeps its live rights, so a hand-written schema
 * without GRANTs revokes nothing, and one the plan makes again gets them
 * back.
 *
 * Invariant: nothing of the file is pasted: the object's text is the
 * engine's, built from its catalog with every name quoted; a grantee is
 * quoted here; a privilege must be one of the SQL keywords listed.
 */
#include "migrate/generate.h"

#include <string.h>

static bool same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static bool known_privilege(const char *p)
{
	static const char *const ok[] = {"SELECT",   "INSERT",     "UPDATE",  "DELETE",
	                                 "TRUNCATE", "REFERENCES", "TRIGGER", "EXECUTE",
	                                 "USAGE",    "CREATE",     NULL};
	for (int i = 0; ok[i]; i++)
		if (strcmp(ok[i], p) == 0)
			return true;
	return false;
}

/* Whether r holds a marker row for object (column). */
static bool has_object(const dbc_gen_rights *r, const char *object, const char *column)
{
	for (int i = 0; i < r->n; i++)
		if (!r->items[i].privilege && same(r->items[i].object, object) &&
		    same(r->items[i].column, column))
			return true;
	return false;
}

/* The right of r on (object, column, grantee, privilege), fallback or
 * not; NULL. */
static const dbc_gen_right *find_right(const dbc_gen_rights *r, const dbc_gen_right *k,
                                       bool fallback)
{
	for (int i = 0; i < r->n; i++) {
		const dbc_gen_right *x = &r->items[i];
		if (x->privilege && x->fallback == fallback && same(x->object, k->object) &&
		    same(x->column, k->column) && same(x->grantee, k->grantee) &&
		    strcmp(x->privilege, k->privilege) == 0)
			return x;
	}
	return NULL;
}

/* What a step does: grant, grant with the grant option, revoke, revoke
 * the grant option only. */
typedef enum { GRANT, GRANT_OPTION, REVOKE, REVOKE_OPTION } rights_op;

/* One step of the plan in the making: the privileges of one object,
 * column, grantee and op. */
typedef struct rights_step {
	const dbc_gen_right *key;
	rights_op op;
	bool had_option; /* a REVOKE's rights carried the grant option: given back with it */
	dbc_strlist privileges;
} rights_step;

typedef struct rights_steps {
	rights_step *items;
	int n, cap;
} rights_steps;

static int add_to(dbc_ctx *ctx, rights_steps *s, const dbc_gen_right *k, rights_op op,
                  bool had_option)
{
	if (!known_privilege(k->privilege))
		return dbc_error(ctx, DBC_SQLSTATE_BAD_STATE,
		                 "the catalog gives a right the generator does not know: %s on %s",
		                 k->privilege, k->object);
	for (int i = 0; i < s->n; i++) {
		rights_step *x = &s->items[i];
		if (x->op == op && x->had_option == had_option && same(x->key->object, k->object) &&
		    same(x->key->column, k->column) && same(x->key->grantee, k->grantee))
			return dbc_strlist_add(ctx, &x->privileges, k->privilege);
	}
	if (dbc_grow(ctx, &s->items, s->n, &s->cap, sizeof(*s->items), 8) != DBC_OK)
		return DBC_ERROR;
	s->items[s->n] = (rights_step){.key = k, .op = op, .had_option = had_option};
	return dbc_strlist_add(ctx, &s->items[s->n++].privileges, k->privilege);
}

/* GRANT|REVOKE [GRANT OPTION FOR] privileges [(column)] ON object TO|FROM
 * grantee [WITH GRANT OPTION]. */
static char *render(dbc_ctx *ctx, const rights_step *s, rights_op op)
{
	const dbc_gen_right *k = s->key;
	dbc_buf b;
	dbc_buf_init(&b, ctx);
	bool grant = op == GRANT || op == GRANT_OPTION;
	dbc_buf_append(&b, grant ? "GRANT " : "REVOKE ");
	if (op == REVOKE_OPTION)
		dbc_buf_append(&b, "GRANT OPTION FOR ");
	for (int i = 0; i < s->privileges.n; i++)
		dbc_buf_appendf(&b, "%s%s", i ? ", " : "", s->privileges.items[i]);
	if (k->column)
		dbc_buf_appendf(&b, " (%s)", ctx->host->quote_ident(ctx, k->column));
	dbc_buf_appendf(&b, " ON %s %s %s", k->object, grant ? "TO" : "FROM",
	                k->grantee ? ctx->host->quote_ident(ctx, k->grantee) : "PUBLIC");
	if (op == GRANT_OPTION)
		dbc_buf_append(&b, " WITH GRANT OPTION");
	return dbc_buf_finish(&b);
}

static const rights_op undo[] = {[GRANT] = REVOKE,
                                 [GRANT_OPTION] = REVOKE_OPTION,
                                 [REVOKE] = GRANT,
                                 [REVOKE_OPTION] = GRANT_OPTION};

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
	       c == '"' || c == '$' || (unsigned char)c >= 0x80;
}

/* Whether a step of plan drops object (its text after the kind: the name
 * the engine writes in the plan's DROP too), so the object the plan makes
 * again starts from its kind's rights, not from the live ones. */
static bool remade(const dbc_gen_plan *plan, const char *object)
{
	static const char *const drops[] = {
	    "DROP TABLE ",     "DROP VIEW ",          "DROP MATERIALIZED VIEW ",
	    "DROP SEQUENCE ",  "DROP FUNCTION ",      "DROP PROCEDURE ",
	    "DROP AGGREGATE ", "DROP FOREIGN TABLE ", NULL};
	const char *name = strchr(object, ' ');
	if (!name)
		return false;
	name++;
	size_t n = strlen(name);
	for (int i = 0; i < plan->n; i++)
		for (int k = 0; drops[k]; k++)
			for (const char *p = plan->items[i].statement; p && (p = strstr(p, drops[k])); p++) {
				const char *at = p + strlen(drops[k]);
				if (strncmp(at, "IF EXISTS ", 10) == 0)
					at += 10;
				if (strncmp(at, name, n) == 0 && !name_char(at[n]) && at[n] != '.')
					return true;
			}
	return false;
}

/* A set of rights read as one side of a comparison: its fallback rows
 * (the rights a new object of the kind starts from) or the others. */
typedef struct rights_side {
	const dbc_gen_rights *set;
	bool fallback;
} rights_side;

/* Whether the desired file wrote rights for object: a GRANT or REVOKE on
 * it or on one of its columns (an object's rights, the table's and its
 * columns', are planned together, as pg_dump writes them). */
static bool writes_rights(const dbc_gen_rights *want, const char *object)
{
	for (int i = 0; i < want->n; i++)
		if (!want->items[i].privilege && want->items[i].written &&
		    same(want->items[i].object, object))
			return true;
	return false;
}

/* Whether x is one of the rights of object on side s that a step may
 * name: a column's only while the desired object keeps that column. */
static bool on_side(const dbc_gen_rights *want, rights_side s, const dbc_gen_right *x,
                    const char *object)
{
	return x->privilege && x->fallback == s.fallback && same(x->object, object) &&
	       (!x->column || has_object(want, object, x->column));
}

/* The steps that take object's rights from those of side from to those
 * of side to. */
static int object_steps(dbc_ctx *ctx, const dbc_gen_rights *want, const char *object,
                        rights_side from, rights_side to, rights_steps *out)
{
	for (int i = 0; i < to.set->n; i++) {
		const dbc_gen_right *t = &to.set->items[i];
		if (!on_side(want, to, t, object))
			continue;
		const dbc_gen_right *b = find_right(from.set, t, from.fallback);
		if (!b && add_to(ctx, out, t, t->grantable ? GRANT_OPTION : GRANT, false) != DBC_OK)
			return DBC_ERROR;
		if (b && b->grantable != t->grantable &&
		    add_to(ctx, out, t, t->grantable ? GRANT_OPTION : REVOKE_OPTION, false) != DBC_OK)
			return DBC_ERROR;
	}
	for (int i = 0; i < from.set->n; i++) {
		const dbc_gen_right *f = &from.set->items[i];
		if (on_side(want, from, f, object) && !find_right(to.set, f, to.fallback) &&
		    add_to(ctx, out, f, REVOKE, f->grantable) != DBC_OK)
			return DBC_ERROR;
	}
	return DBC_OK;
}

/* For each desired object, the steps from the rights it starts from (the
 * live ones, or its kind's for an object the live schema lacks or the plan
 * makes again) to those it ends with: the desired ones when the file
 * writes rights for it; else the live ones are kept (an object the plan
 * makes again gets them back) and a live object plans nothing. */
static int compare(dbc_ctx *ctx, const dbc_gen_plan *plan, const dbc_gen_rights *live,
                   const dbc_gen_rights *want, rights_steps *out)
{
	const rights_side live_now = {live, false}, kind = {want, true}, desired = {want, false};
	for (int i = 0; i < want->n; i++) {
		const dbc_gen_right *w = &want->items[i];
		if (w->privilege || w->column)
			continue; /* one pass per object, at its marker row */
		bool in_live = has_object(live, w->object, NULL);
		bool again = in_live && remade(plan, w->object);
		bool written = writes_rights(want, w->object);
		if (in_live && !again && !written)
			continue;
		rights_side from = in_live && !again ? live_now : kind;
		rights_side to = written || !in_live ? desired : live_now;
		if (object_steps(ctx, want, w->object, from, to, out) != DBC_OK)
			return DBC_ERROR;
	}
	return DBC_OK;
}

int dbc_gen_plan_rights(dbc_ctx *ctx, const dbc_gen_rights *live, const dbc_gen_rights *want,
                        dbc_gen_plan *plan)
{
	rights_steps steps = {0};
	if (compare(ctx, plan, live, want, &steps) != DBC_OK)
		return DBC_ERROR;
	for (int i = 0; i < steps.n; i++) {
		const rights_step *s = &steps.items[i];
		rights_op back = s->had_option ? GRANT_OPTION : undo[s->op];
		char *up = render(ctx, s, s->op), *down = render(ctx, s, back);
		if (!up || !down)
			return DBC_ERROR;
		dbc_gen_step *st = dbc_gen_add(ctx, plan, up, down);
		if (!st)
			return DBC_ERROR;
		st->rows = -1;
		st->transactional = true;
	}
	return DBC_OK;
}
