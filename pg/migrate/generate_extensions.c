/*
 * generate_extensions.c — the extensions of the generator's place
 * (docs/schema-as-code.md, docs/security.md). A desired file's CREATE
 * EXTENSION of one this database has not is made in the place, by the
 * caller, as `dbcare migrate` will make it: PostgreSQL's own rule decides
 * (a superuser may make any available extension; another role a trusted
 * one, with CREATE on the database, which the place needs anyway). The
 * file's own statements never make one: they run as the one-time role,
 * which may not.
 *
 * Invariant: an extension's script (run by PostgreSQL as the caller, or
 * as the bootstrap superuser for a trusted one) never runs where the
 * file's code could have put an object for it to call. Each is made in a
 * scratch schema of its own (dbcare_gen_<pid>_x<n>), one per user schema
 * the extensions go to, made by the caller and empty, others holding
 * USAGE only: made before any of the file runs, and again by the proof
 * (the plan's CREATE EXTENSION, after its DROP EXTENSION emptied it).
 * The mapping of the place sends a name the extension holds, qualified
 * by its user schema (public.digest), there, and reads it back as the
 * user schema's.
 *
 * A live extension a whole database's dump does not make is dropped by
 * the plan (with allow_drop), last; the proof never drops it (it is the
 * database's, live): the place counts it as gone (absent), and its
 * reverse, making it again, as back.
 */
#include "pg/host/glue.h"

#include "utils/builtins.h"

#include <string.h>
#include <unistd.h>

static int find(const dbc_strlist *l, const char *s)
{
	for (int i = 0; s && i < l->n; i++)
		if (strcmp(l->items[i], s) == 0)
			return i;
	return -1;
}

static int take_text(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	(void)ncol;
	*(char **)arg = dbc_strdup(ctx, c[0].s);
	return *(char **)arg ? DBC_OK : DBC_ERROR;
}

/* The scratch schema the extensions of user schema user go to, made
 * (by the caller, USAGE for the one-time role and the rest) on first use. */
static const char *ext_scratch(dbc_ctx *ctx, pgdbc_place_ext *x, const char *user)
{
	int k = find(&x->xuser, user);
	if (k >= 0)
		return x->xscratch.items[k];
	char *name = dbc_printf(ctx, "dbcare_gen_%ld_x%d", (long)getpid(), x->xuser.n + 1);
	if (!name ||
	    ctx->host->exec(ctx,
	                    dbc_printf(ctx, "CREATE SCHEMA %s;\nGRANT USAGE ON SCHEMA %s TO PUBLIC",
	                               name, name)) != DBC_OK ||
	    dbc_strlist_add(ctx, &x->xuser, dbc_strdup(ctx, user)) != DBC_OK ||
	    dbc_strlist_add(ctx, &x->xscratch, name) != DBC_OK)
		return NULL;
	return name;
}

/* The caller's error making extension name, as the generator's. */
static int not_made(dbc_ctx *ctx, const char *name)
{
	char *why = dbc_strdup(ctx, ctx->message ? ctx->message : "unknown error");
	dbc_error_clear(ctx);
	dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
	          "the desired schema makes extension %s, which this database has not, and the "
	          "generating role cannot make it (dbcare migrate would make it as this role): %s",
	          name, why ? why : "");
	dbc_error_hint(ctx,
	               "Install it first as a role that may (CREATE EXTENSION %s), then generate; "
	               "a role that is not a superuser may make a trusted extension only.",
	               quote_identifier(name));
	return DBC_ERROR;
}

/* Extension i of the file made in its scratch schema, and the plan's
 * statements for it. */
static int make_one(dbc_ctx *ctx, pgdbc_place_ext *x, int i, const dbc_strlist *user,
                    const char *path_first)
{
	const char *name = x->want.make.items[i], *schema = x->want.make_schema.items[i];
	const char *version = x->want.make_version.items[i];
	const char *to = *schema ? schema : path_first;
	if (!to || find(user, to) < 0)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		                 "the desired schema makes extension %s in schema %s, which is neither "
		                 "a schema of this database nor one the file makes: name one (CREATE "
		                 "EXTENSION %s WITH SCHEMA public)",
		                 name, to ? to : "(none: the search_path is empty)", name);
	const char *xs = ext_scratch(ctx, x, to);
	if (!xs)
		return DBC_ERROR;
	const char *qn = quote_identifier(name);
	char *made = dbc_printf(ctx, "CREATE EXTENSION %s WITH SCHEMA %s%s%s", qn, xs,
	                        *version ? " VERSION " : "",
	                        *version ? ctx->host->quote_literal(ctx, version) : "");
	if (!made)
		return DBC_ERROR;
	if (ctx->host->exec(ctx, made) != DBC_OK)
		return not_made(ctx, name);
	char *v = NULL;
	if (ctx->host->query(ctx,
	                     dbc_printf(ctx,
	                                "SELECT extversion::text FROM pg_catalog.pg_extension "
	                                "WHERE extname = %s",
	                                ctx->host->quote_literal(ctx, name)),
	                     0, NULL, take_text, &v) != DBC_OK ||
	    !v)
		return DBC_ERROR;
	const char *ver = ctx->host->quote_literal(ctx, v);
	return dbc_strlist_add(ctx, &x->name, dbc_strdup(ctx, name)) == DBC_OK &&
	               dbc_strlist_add(ctx, &x->make,
	                               dbc_printf(ctx, "CREATE EXTENSION %s WITH SCHEMA %s VERSION %s",
	                                          qn, quote_identifier(to), ver)) == DBC_OK &&
	               dbc_strlist_add(ctx, &x->real_make,
	                               dbc_printf(ctx, "CREATE EXTENSION %s WITH SCHEMA %s VERSION %s",
	                                          qn, xs, ver)) == DBC_OK &&
	               dbc_strlist_add(ctx, &x->drop, dbc_printf(ctx, "DROP EXTENSION %s", qn)) ==
	                   DBC_OK
	           ? DBC_OK
	           : DBC_ERROR;
}

static int take_member(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	pgdbc_place_ext *x = arg;
	int k = find(&x->xscratch, c[0].s);
	(void)ncol;
	if (k < 0)
		return DBC_OK;
	return dbc_strlist_add(ctx, &x->member_user, x->xuser.items[k]) == DBC_OK
	           ? dbc_strlist_add(ctx, &x->member_name, dbc_strdup(ctx, c[1].s))
	           : DBC_ERROR;
}

#define MEMBER(cat, name, ns)                                                                      \
	"SELECT n.nspname::text, x." name "::text FROM pg_catalog." cat                                \
	" x JOIN pg_catalog.pg_namespace n ON n.oid = x." ns " JOIN pg_catalog.pg_depend d ON "        \
	"d.classid = 'pg_catalog." cat "'::pg_catalog.regclass AND d.objid = x.oid AND d.deptype = "   \
	"'e' WHERE n.nspname LIKE 'dbcare\\_gen\\_%\\_x%' "

/* The statements the plan drops live extension name with (and makes it
 * again with: its version, in its schema). */
static int gone_one(dbc_ctx *ctx, pgdbc_place_ext *x, const char *name)
{
	char *make = NULL;
	const char *qn = quote_identifier(name);
	char *sql =
	    dbc_printf(ctx,
	               "SELECT format('CREATE EXTENSION %%s WITH SCHEMA %%I VERSION %%L', %s, "
	               "n.nspname, e.extversion) FROM pg_catalog.pg_extension e JOIN "
	               "pg_catalog.pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = %s",
	               ctx->host->quote_literal(ctx, qn), ctx->host->quote_literal(ctx, name));
	if (!sql || ctx->host->query(ctx, sql, 0, NULL, take_text, &make) != DBC_OK || !make)
		return DBC_ERROR;
	return dbc_strlist_add(ctx, &x->gone_name, dbc_strdup(ctx, name)) == DBC_OK &&
	               dbc_strlist_add(ctx, &x->gone_make, make) == DBC_OK &&
	               dbc_strlist_add(ctx, &x->gone_drop, dbc_printf(ctx, "DROP EXTENSION %s", qn)) ==
	                   DBC_OK &&
	               dbc_strlist_add(ctx, &x->absent, dbc_strdup(ctx, name)) == DBC_OK
	           ? DBC_OK
	           : DBC_ERROR;
}

int pgdbc_ext_open(dbc_ctx *ctx, pgdbc_place_ext *x, const dbc_strlist *user,
                   const char *path_first)
{
	for (int i = 0; i < x->want.make.n; i++)
		if (make_one(ctx, x, i, user, path_first) != DBC_OK)
			return DBC_ERROR;
	for (int i = 0; i < x->want.drop.n; i++)
		if (gone_one(ctx, x, x->want.drop.items[i]) != DBC_OK)
			return DBC_ERROR;
	if (x->xscratch.n == 0)
		return DBC_OK;
	/* clang-format off */
	return ctx->host->query(ctx,
	    MEMBER("pg_type", "typname", "typnamespace") "UNION "
	    MEMBER("pg_proc", "proname", "pronamespace") "UNION "
	    MEMBER("pg_opclass", "opcname", "opcnamespace") "UNION "
	    MEMBER("pg_opfamily", "opfname", "opfnamespace") "UNION "
	    MEMBER("pg_operator", "oprname", "oprnamespace"),
	    0, NULL, take_member, x);
	/* clang-format on */
}

const char *pgdbc_ext_schema_of(const pgdbc_place_ext *x, const char *user, const char *member)
{
	for (int i = 0; member && i < x->member_name.n; i++)
		if (strcmp(x->member_name.items[i], member) == 0 &&
		    strcmp(x->member_user.items[i], user) == 0)
			return x->xscratch.items[find(&x->xuser, user)];
	return NULL;
}

const char *pgdbc_ext_user_of(const pgdbc_place_ext *x, const char *scratch, size_t len)
{
	for (int i = 0; i < x->xscratch.n; i++)
		if (strlen(x->xscratch.items[i]) == len && strncmp(x->xscratch.items[i], scratch, len) == 0)
			return x->xuser.items[i];
	return NULL;
}

bool pgdbc_ext_absent(const pgdbc_place_ext *x, const char *name)
{
	return find(&x->absent, name) >= 0;
}

/* Removes name from l (order kept). */
static void unlist(dbc_strlist *l, const char *name)
{
	int k = find(l, name);
	if (k < 0)
		return;
	memmove(&l->items[k], &l->items[k + 1], sizeof(char *) * (size_t)(l->n - k - 1));
	l->n--;
}

int pgdbc_ext_exec(dbc_ctx *ctx, pgdbc_place_ext *x, const dbc_host *real, const char *sql,
                   bool *done)
{
	*done = true;
	int i;
	if ((i = find(&x->make, sql)) >= 0)
		return real->exec(ctx, x->real_make.items[i]);
	if ((i = find(&x->drop, sql)) >= 0)
		return real->exec(ctx, sql);
	if ((i = find(&x->gone_drop, sql)) >= 0) {
		if (!pgdbc_ext_absent(x, x->gone_name.items[i]) &&
		    dbc_strlist_add(ctx, &x->absent, x->gone_name.items[i]) != DBC_OK)
			return DBC_ERROR;
		return DBC_OK;
	}
	if ((i = find(&x->gone_make, sql)) >= 0) {
		unlist(&x->absent, x->gone_name.items[i]);
		return DBC_OK;
	}
	*done = false;
	return DBC_OK;
}

#define CLASH                                                                                      \
	"SELECT 'function ' || p.proname || '(' || "                                                   \
	"pg_catalog.pg_get_function_identity_arguments(p.oid) || ')' FROM pg_catalog.pg_proc p "       \
	"JOIN pg_catalog.pg_proc f ON f.proname = p.proname AND f.proargtypes = p.proargtypes "        \
	"WHERE p.pronamespace = %1$s::pg_catalog.regnamespace "                                        \
	"AND f.pronamespace = %2$s::pg_catalog.regnamespace "                                          \
	"UNION ALL SELECT 'type ' || t.typname FROM pg_catalog.pg_type t JOIN pg_catalog.pg_type f "   \
	"ON f.typname = t.typname WHERE t.typnamespace = %1$s::pg_catalog.regnamespace "               \
	"AND f.typnamespace = %2$s::pg_catalog.regnamespace "                                          \
	"UNION ALL SELECT 'operator ' || o.oprname FROM pg_catalog.pg_operator o JOIN "                \
	"pg_catalog.pg_operator f ON f.oprname = o.oprname AND f.oprleft = o.oprleft AND "             \
	"f.oprright = o.oprright WHERE o.oprnamespace = %1$s::pg_catalog.regnamespace "                \
	"AND f.oprnamespace = %2$s::pg_catalog.regnamespace LIMIT 1"

int pgdbc_ext_clash(dbc_ctx *ctx, const pgdbc_place_ext *x, const dbc_strlist *user,
                    const dbc_strlist *scratch)
{
	for (int i = 0; i < x->xuser.n; i++) {
		int k = find(user, x->xuser.items[i]);
		char *what = NULL;
		if (k < 0)
			continue;
		char *sql = dbc_printf(ctx, CLASH, ctx->host->quote_literal(ctx, x->xscratch.items[i]),
		                       ctx->host->quote_literal(ctx, scratch->items[k]));
		if (!sql || ctx->host->query(ctx, sql, 0, NULL, take_text, &what) != DBC_OK)
			return DBC_ERROR;
		if (what)
			return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
			                 "the desired schema makes %s in schema %s, which an extension it "
			                 "makes there has already: no database can hold both (rename it, or "
			                 "put the extension in a schema of its own)",
			                 what, x->xuser.items[i]);
	}
	return DBC_OK;
}
