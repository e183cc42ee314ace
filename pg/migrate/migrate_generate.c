/*
 * migrate_generate.c — the generator's scratch place on PostgreSQL
 * (dbc_migrate_hooks.desired_schema and .scratch_desired): a subtransaction
 * of the call that is always rolled back, holding scratch schemas of its
 * own, one per user schema (dbcare_gen_<pid>_<n>), where the desired SQL is
 * applied and the proof runs. The live schemas and tables are never
 * renamed, locked for writing or rewritten: other sessions never see the
 * scratch schemas (catalog changes are transactional) and their tables are
 * empty, so no row, trigger, index expression or default of a live table
 * is touched by the proof.
 *
 * The scratch schemas stand for the user schemas under other names, so the
 * SQL run there is mapped (a user schema's name qualifying a name, or
 * following SCHEMA, becomes its scratch name; search_path maps the same
 * way) and the model read there is mapped back (the scratch names become
 * the user schemas' again, the live user schemas themselves are left out).
 */
#include "pg/host/glue.h"

#include "migrate/migrate.h"
#include "schema/ddl_lex.h"

#include "access/transam.h"
#include "catalog/namespace.h"
#include "commands/dbcommands.h"
#include "miscadmin.h"
#include "nodes/pg_list.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"

#include <string.h>
#include <unistd.h>

#define SCRATCH_PREFIX "dbcare_gen_"

/* The user schemas (live ones and the ones the desired SQL creates) and
 * their scratch names, item by item. */
typedef struct place {
	dbc_strlist user, scratch;
	int nlive;        /* user's first nlive are live; the rest the desired SQL makes */
	dbc_strlist made; /* the schemas the desired SQL makes, live ones too */
	/* the extensions' members in live user schemas (ltree in public):
	 * shared with the place, never mapped; item by item, schema and name */
	dbc_strlist shared_schema, shared_name;
	const dbc_host *real; /* the host the mapped one calls */
	pgdbc_runner runner;  /* who what is executed in the place runs as */
	pgdbc_place_ext ext;  /* the extensions made, and dropped, there */
	pgdbc_enums enums;    /* the enum labels unusable as the place opened */
} place;

/* The place the mapped host works in, set while fn runs
 * (pgdbc_scratch_desired; an outer call's is put back after an inner one).
 * An error that leaves the call without coming back leaves it stale, and
 * harmless: the next call sets it before use. */
static place *current;

static int take_name(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	(void)ncol;
	return dbc_strlist_add(ctx, arg, c[0].s);
}

static int find(const dbc_strlist *l, const char *s)
{
	for (int i = 0; s && i < l->n; i++)
		if (strcmp(l->items[i], s) == 0)
			return i;
	return -1;
}

static char *folded(dbc_ctx *ctx, dbc_token t)
{
	char *s = dbc_lex_ident(ctx, t);
	if (s && t.kind == TK_WORD)
		for (char *p = s; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
	return s;
}

/* The schema names "CREATE SCHEMA [IF NOT EXISTS] name" of sql makes. */
static int created_schemas(dbc_ctx *ctx, const char *sql, dbc_strlist *out)
{
	const char *p = sql;
	dbc_token prev = {0}, t;
	while ((t = dbc_lex_next(&p)).kind != TK_END) {
		if (dbc_lex_is_word(prev, "CREATE") && dbc_lex_is_word(t, "SCHEMA")) {
			t = dbc_lex_next(&p);
			if (dbc_lex_is_word(t, "IF")) {
				dbc_lex_next(&p), dbc_lex_next(&p);
				t = dbc_lex_next(&p);
			}
			char *name = (t.kind == TK_WORD || t.kind == TK_QIDENT) ? folded(ctx, t) : NULL;
			if (name && !dbc_lex_is_word(t, "AUTHORIZATION") && find(out, name) < 0 &&
			    dbc_strlist_add(ctx, out, name) != DBC_OK)
				return DBC_ERROR;
		}
		prev = t;
	}
	return DBC_OK;
}

/* The members of extensions (types, functions, operator classes and
 * families, operators) that live user schemas hold, by schema and name. */
#define SHARED_MEMBER(cat, name, ns)                                                               \
	"SELECT n.nspname::text, x." name "::text FROM pg_catalog." cat                                \
	" x JOIN pg_catalog.pg_namespace n ON n.oid = x." ns " JOIN pg_catalog.pg_depend d ON "        \
	"d.classid = 'pg_catalog." cat "'::pg_catalog.regclass AND d.objid = x.oid AND d.deptype = "   \
	"'e' "
/* clang-format off */
static const char *const shared_sql =
    SHARED_MEMBER("pg_type", "typname", "typnamespace") "UNION "
    SHARED_MEMBER("pg_proc", "proname", "pronamespace") "UNION "
    SHARED_MEMBER("pg_opclass", "opcname", "opcnamespace") "UNION "
    SHARED_MEMBER("pg_opfamily", "opfname", "opfnamespace") "UNION "
    SHARED_MEMBER("pg_operator", "oprname", "oprnamespace");
/* clang-format on */

static int take_shared(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	place *pl = arg;
	(void)ncol;
	if (find(&pl->user, c[0].s) < 0)
		return DBC_OK;
	return dbc_strlist_add(ctx, &pl->shared_schema, c[0].s) == DBC_OK
	           ? dbc_strlist_add(ctx, &pl->shared_name, c[1].s)
	           : DBC_ERROR;
}

/* Whether name, qualified by user schema k, is an extension's member. */
static bool shared(const place *pl, int k, const char *name)
{
	for (int i = 0; name && i < pl->shared_name.n; i++)
		if (strcmp(pl->shared_name.items[i], name) == 0 &&
		    strcmp(pl->shared_schema.items[i], pl->user.items[k]) == 0)
			return true;
	return false;
}

/* Whether user schema k holds an extension's member. */
static bool holds_shared(const place *pl, int k)
{
	return find(&pl->shared_schema, pl->user.items[k]) >= 0;
}

/* The user schemas (not the system's, not dbcare's, not an extension's),
 * then the ones sql creates; each with its scratch name. */
static int make_place(dbc_ctx *ctx, const char *sql, place *pl)
{
	memset(pl, 0, sizeof(*pl));
	pl->real = ctx->host;
	if (ctx->host->query(
	        ctx,
	        "SELECT n.nspname::text FROM pg_catalog.pg_namespace n "
	        "WHERE n.nspname NOT IN ('information_schema', 'dbcare') AND n.nspname !~ '^pg_' "
	        "AND n.nspname !~ '^" SCRATCH_PREFIX "' "
	        "AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = "
	        "'pg_catalog.pg_namespace'::pg_catalog.regclass AND d.objid = n.oid AND d.deptype = "
	        "'e') ORDER BY 1",
	        0, NULL, take_name, &pl->user) != DBC_OK)
		return DBC_ERROR;
	pl->nlive = pl->user.n;
	if (ctx->host->query(ctx, shared_sql, 0, NULL, take_shared, pl) != DBC_OK ||
	    created_schemas(ctx, sql, &pl->made) != DBC_OK)
		return DBC_ERROR;
	for (int i = 0; i < pl->made.n; i++)
		if (find(&pl->user, pl->made.items[i]) < 0 &&
		    dbc_strlist_add(ctx, &pl->user, pl->made.items[i]) != DBC_OK)
			return DBC_ERROR;
	for (int i = 0; i < pl->user.n; i++)
		if (dbc_strlist_add(ctx, &pl->scratch,
		                    dbc_printf(ctx, SCRATCH_PREFIX "%ld_%d", (long)getpid(), i + 1)) !=
		    DBC_OK)
			return DBC_ERROR;
	return DBC_OK;
}

static bool word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
	       c == '$';
}

/* The user schema a string literal starts with as the qualifier of a
 * name, as regclass and its kin read it ('public.t', 'PUBLIC.t' folded,
 * '"My Schema".t' as written); -1 when none. *skip: the string's opening
 * quote and the schema's name, up to the '.'. */
static int string_schema(dbc_ctx *ctx, const place *pl, dbc_token t, size_t *skip)
{
	const char *p = t.start + 1, *end = t.start + t.len - 1; /* inside the quotes */
	const char *q = p;
	char *name;
	if (*p == '"') {
		for (q = p + 1; q < end && *q != '"'; q++)
			;
		if (q >= end)
			return -1;
		name = dbc_strndup(ctx, p + 1, (size_t)(q - p - 1));
		q++; /* past the closing '"' */
	} else {
		while (q < end && (word_char(*q) || (unsigned char)*q >= 0x80))
			q++;
		name = dbc_strndup(ctx, p, (size_t)(q - p));
		for (char *c = name; c && *c; c++)
			if (*c >= 'A' && *c <= 'Z')
				*c = (char)(*c - 'A' + 'a');
	}
	if (!name || q >= end || *q != '.' || q == p)
		return -1;
	int k = find(&pl->user, name);
	if (k >= 0)
		*skip = (size_t)(q - t.start);
	return k;
}

/* The operator name written at p (public.~~), NULL where none is. */
static char *operator_at(dbc_ctx *ctx, const char *p)
{
	size_t n = p ? strspn(p, "+-*/<>=~!@#%^&|`?") : 0;
	return n ? dbc_strndup(ctx, p, n) : NULL;
}

/* sql with the user schemas' names where they name a schema (before a
 * '.', after SCHEMA [IF [NOT] EXISTS], at the start of a string naming a
 * relation: 'public.t', '"Sales".t') replaced by their scratch names. */
static char *to_scratch(dbc_ctx *ctx, const place *pl, const char *sql)
{
	dbc_buf b;
	dbc_buf_init(&b, ctx);
	const char *p = sql, *copied = sql;
	dbc_token t, prev = {0}, prev2 = {0};
	while ((t = dbc_lex_next(&p)).kind != TK_END) {
		int k = -1;
		const char *to = NULL; /* where a name of an extension the place made is */
		size_t skip = 0;       /* a string: its quote and the schema's name */
		if (t.kind == TK_WORD || t.kind == TK_QIDENT) {
			const char *q = p;
			bool after_schema = dbc_lex_is_word(prev, "SCHEMA") ||
			                    (dbc_lex_is_word(prev, "EXISTS") &&
			                     (dbc_lex_is_word(prev2, "IF") || dbc_lex_is_word(prev2, "NOT")));
			if (after_schema || dbc_lex_is_punct(dbc_lex_next(&q), '.'))
				k = find(&pl->user, folded(ctx, t));
			/* an extension's member keeps its schema: shared, not mapped
			 * (public.ltree, OPERATOR(public.<->)), or goes where the
			 * place made its extension (public.digest); the operator a
			 * CREATE, DROP or COMMENT ON OPERATOR names is the file's */
			if (k >= 0 && !after_schema && !dbc_lex_is_word(prev, "OPERATOR")) {
				dbc_token m = dbc_lex_next(&q);
				bool word = m.kind == TK_WORD || m.kind == TK_QIDENT;
				char *member = word ? folded(ctx, m) : operator_at(ctx, m.start);
				to = pgdbc_ext_schema_of(&pl->ext, pl->user.items[k], member);
				if (!to && holds_shared(pl, k) && shared(pl, k, member))
					k = -1;
			}
			skip = t.len;
		} else if (t.kind == TK_STRING && t.start[0] == '\'') {
			k = string_schema(ctx, pl, t, &skip);
		}
		if (k >= 0) {
			dbc_buf_appendn(&b, copied, (size_t)(t.start - copied));
			if (t.kind == TK_STRING)
				dbc_buf_appendc(&b, '\'');
			dbc_buf_append(&b, to ? to : pl->scratch.items[k]);
			copied = t.start + skip;
		}
		prev2 = prev;
		prev = t;
	}
	dbc_buf_append(&b, copied);
	return dbc_buf_finish(&b);
}

/* text with each scratch name written as its user schema's (quoted where
 * it must be); NULL stays NULL. */
static char *from_scratch(dbc_ctx *ctx, const place *pl, char *text)
{
	if (!text || !strstr(text, SCRATCH_PREFIX))
		return text;
	dbc_buf b;
	dbc_buf_init(&b, ctx);
	const char *p = text;
	for (const char *hit; (hit = strstr(p, SCRATCH_PREFIX)) != NULL;) {
		const char *end = hit;
		while (word_char(*end))
			end++;
		int k = -1;
		const char *xuser = NULL; /* an extensions' scratch schema's */
		if (hit == text || !word_char(hit[-1])) {
			for (int i = 0; i < pl->scratch.n && k < 0; i++)
				if (strlen(pl->scratch.items[i]) == (size_t)(end - hit) &&
				    strncmp(hit, pl->scratch.items[i], (size_t)(end - hit)) == 0)
					k = i;
			xuser = pgdbc_ext_user_of(&pl->ext, hit, (size_t)(end - hit));
		}
		dbc_buf_appendn(&b, p, (size_t)(hit - p));
		if (k >= 0 || xuser)
			dbc_buf_append(&b, pl->real->quote_ident(ctx, k >= 0 ? pl->user.items[k] : xuser));
		else
			dbc_buf_appendn(&b, hit, (size_t)(end - hit));
		p = end;
	}
	dbc_buf_append(&b, p);
	return dbc_buf_finish(&b);
}

/* Where a schema name read in the scratch place belongs: 1 a scratch
 * schema (*name becomes its user schema's), 0 a live user schema (left
 * out), 2 another (an extension's: kept as it is). */
static int belongs(const place *pl, char **name)
{
	if (!*name)
		return 2;
	int k = find(&pl->scratch, *name);
	if (k >= 0) {
		*name = pl->user.items[k];
		return 1;
	}
	return find(&pl->user, *name) >= 0 ? 0 : 2;
}

static void map_strlist(dbc_ctx *ctx, const place *pl, dbc_strlist *l)
{
	for (int i = 0; i < l->n; i++)
		l->items[i] = from_scratch(ctx, pl, l->items[i]);
}

/* The model read in the scratch place, as the user schemas would hold it. */
static void map_back(dbc_ctx *ctx, const place *pl, dbc_schema *s)
{
	int n = 0;
	for (int i = 0; i < s->ntables; i++) {
		dbc_table t = s->tables[i];
		if (belongs(pl, &t.schema) == 0)
			continue;
		t.partition_of = from_scratch(ctx, pl, t.partition_of);
		for (int c = 0; c < t.ncolumns; c++) {
			dbc_column *col = &t.columns[c];
			col->type = from_scratch(ctx, pl, col->type);
			col->default_expr = from_scratch(ctx, pl, col->default_expr);
			col->generated = from_scratch(ctx, pl, col->generated);
			col->collation = from_scratch(ctx, pl, col->collation);
		}
		for (int c = 0; c < t.nconstraints; c++) {
			dbc_constraint *k = &t.constraints[c];
			belongs(pl, &k->ref_schema);
			k->expr = from_scratch(ctx, pl, k->expr);
		}
		s->tables[n++] = t;
	}
	s->ntables = n;
	n = 0;
	for (int i = 0; i < s->nindexes; i++) {
		dbc_index x = s->indexes[i];
		if (belongs(pl, &x.schema) == 0)
			continue;
		map_strlist(ctx, pl, &x.keys);
		x.predicate = from_scratch(ctx, pl, x.predicate);
		x.key_detail = from_scratch(ctx, pl, x.key_detail);
		x.definition = from_scratch(ctx, pl, x.definition);
		s->indexes[n++] = x;
	}
	s->nindexes = n;
	n = 0;
	for (int i = 0; i < s->nobjects; i++) {
		dbc_object o = s->objects[i];
		bool schema = strcmp(o.type, "schema") == 0;
		/* the extensions' scratch schemas stand for no schema of their
		 * own; an extension the place counts as dropped is not there */
		if ((schema && o.name && pgdbc_ext_user_of(&pl->ext, o.name, strlen(o.name))) ||
		    (strcmp(o.type, "extension") == 0 && pgdbc_ext_absent(&pl->ext, o.name)))
			continue;
		if (schema ? belongs(pl, &o.name) == 0 : belongs(pl, &o.schema) == 0)
			continue;
		o.name = from_scratch(ctx, pl, o.name);
		o.table = from_scratch(ctx, pl, o.table);
		o.definition = from_scratch(ctx, pl, o.definition);
		s->objects[n++] = o;
	}
	s->nobjects = n;
	s->memo = NULL;
}

/* The user schema sql makes when it is "CREATE SCHEMA [IF NOT EXISTS]
 * name" alone, of a schema the place stands in for: -1 for anything
 * else. */
static int bare_create_schema(dbc_ctx *ctx, const place *pl, const char *sql)
{
	const char *p = sql;
	dbc_token t;
	if (!dbc_lex_is_word(dbc_lex_next(&p), "CREATE") ||
	    !dbc_lex_is_word(dbc_lex_next(&p), "SCHEMA"))
		return -1;
	t = dbc_lex_next(&p);
	if (dbc_lex_is_word(t, "IF")) {
		if (!dbc_lex_is_word(dbc_lex_next(&p), "NOT") ||
		    !dbc_lex_is_word(dbc_lex_next(&p), "EXISTS"))
			return -1;
		t = dbc_lex_next(&p);
	}
	if ((t.kind != TK_WORD && t.kind != TK_QIDENT) || dbc_lex_is_word(t, "AUTHORIZATION"))
		return -1;
	int k = find(&pl->user, folded(ctx, t));
	dbc_token end = dbc_lex_next(&p);
	if (dbc_lex_is_punct(end, ';'))
		end = dbc_lex_next(&p);
	return end.kind == TK_END ? k : -1;
}

/* The mapped host: SQL goes to the scratch schemas, the model comes back
 * named as the user schemas. A plan's bare CREATE SCHEMA of a schema the
 * place stands in for (the proof makes again a schema its down dropped)
 * is made as the place's schemas are, by the caller, and handed to the
 * runner: the runner itself may make no schema, and nothing of the
 * file's runs in that statement. */
static int mapped_exec(dbc_ctx *ctx, const char *sql)
{
	bool done;
	int rc = pgdbc_ext_exec(ctx, &current->ext, current->real, sql, &done);
	if (done)
		return rc;
	int k = bare_create_schema(ctx, current, sql);
	if (k >= 0) {
		const char *q = current->scratch.items[k];
		return current->real->exec(
		    ctx, dbc_printf(ctx, "CREATE SCHEMA %s;\nALTER SCHEMA %s OWNER TO %s;\n", q, q,
		                    quote_identifier(GetUserNameFromId(current->runner.role, false))));
	}
	char *m = to_scratch(ctx, current, sql);
	return m ? pgdbc_runner_exec(ctx, &current->runner, current->real, m) : DBC_ERROR;
}

/* dbcare migrate's commit between two migrations, as the proof has it
 * (generate_commit.c). */
static int place_commit(dbc_ctx *ctx)
{
	(void)ctx;
	pgdbc_enums_commit(&current->enums);
	return DBC_OK;
}

static int mapped_read_schema(dbc_ctx *ctx, dbc_schema *out)
{
	dbc_schema read;
	dbc_strlist live = current->user;
	volatile int rc = DBC_ERROR;
	dbc_schema_init(&read, ctx);
	/* the live user schemas are left out by map_back: not read at all (the
	 * reads here bypass the schema cache, so no entry holds the cut model) */
	live.n = current->nlive;
	pgdbc_catalog_skip_schemas(&live);
	PG_TRY();
	{
		rc = current->real->read_schema(ctx, &read);
	}
	PG_FINALLY();
	{
		pgdbc_catalog_skip_schemas(NULL);
	}
	PG_END_TRY();
	if (rc != DBC_OK || dbc_schema_copy(ctx, &read, out) != DBC_OK)
		return DBC_ERROR;
	map_back(ctx, current, out);
	return DBC_OK;
}

/* The scratch schemas made, search_path and the desired SQL applied
 * there: inside the caller's open subtransaction. */
static int open_place(dbc_ctx *ctx, place *pl, const char *sql)
{
	dbc_buf b;
	dbc_buf_init(&b, ctx);
	dbc_buf_append(&b, "SELECT 1;\n");
	/* every scratch schema, the ones the desired SQL makes too: its
	 * CREATE SCHEMA statements are left out (desired_statements.c), so
	 * the role it runs as needs no right on the database */
	for (int i = 0; i < pl->user.n; i++)
		dbc_buf_appendf(&b, "CREATE SCHEMA %s;\n", pl->scratch.items[i]);
	char *make = dbc_buf_finish(&b);
	dbc_strlist path = {0};
	/* the caller's path as it is now (dbcare's queries run under a pinned
	 * one, so it is read here, not by a query): its existing schemas */
	List *oids = fetch_search_path(false);
	ListCell *lc;
	foreach (lc, oids) {
		char *name = get_namespace_name(lfirst_oid(lc));
		if (name && dbc_strlist_add(ctx, &path, name) != DBC_OK)
			return DBC_ERROR;
	}
	if (!make || ctx->host->exec(ctx, make) != DBC_OK)
		return DBC_ERROR;
	/* the extensions the file makes, before any of it runs */
	const char *first = NULL;
	for (int i = 0; i < path.n && !first; i++)
		if (find(&pl->user, path.items[i]) >= 0)
			first = path.items[i];
	if (pgdbc_ext_open(ctx, &pl->ext, &pl->user, first) != DBC_OK)
		return DBC_ERROR;
	dbc_buf_init(&b, ctx);
	for (int i = 0; i < path.n; i++) {
		int k = find(&pl->user, path.items[i]);
		dbc_buf_appendf(&b, "%s%s", i ? ", " : "",
		                k >= 0 ? pl->scratch.items[k] : ctx->host->quote_ident(ctx, path.items[i]));
		int x = k >= 0 ? find(&pl->ext.xuser, path.items[i]) : -1;
		if (x >= 0)
			dbc_buf_appendf(&b, ", %s", pl->ext.xscratch.items[x]);
		/* after it, the schema itself where an extension's members are
		 * (an unqualified ltree); a name the place makes comes first */
		if (k >= 0 && holds_shared(pl, k))
			dbc_buf_appendf(&b, ", %s", ctx->host->quote_ident(ctx, path.items[i]));
	}
	if (path.n == 0)
		dbc_buf_append(&b, "''");
	char *sp = dbc_buf_finish(&b);
	/* exec, not query: query runs under dbcare's pinned path and undoes
	 * what it sets; the subtransaction's rollback undoes this */
	return ctx->host->exec(ctx, dbc_printf(ctx, "SET LOCAL search_path TO %s", sp));
}

/* The desired statements that run, one exec each from its start to the
 * next one's (so the deadline knows the line running, and an error's line
 * is the file's). */
typedef struct runnable_sql {
	const char *sql;
	const int *starts;
	int n;
} runnable_sql;

static int exec_each(dbc_ctx *ctx, const runnable_sql *r)
{
	int line = 1, counted = 0; /* the line of r->sql + counted */
	for (int i = 0; i < r->n; i++) {
		int from = i ? r->starts[i] : 0;
		int to = i + 1 < r->n ? r->starts[i + 1] : (int)strlen(r->sql);
		for (; counted < from; counted++)
			line += r->sql[counted] == '\n';
		int first = line, at = line; /* the piece's first line, its statement's */
		for (int k = from; k < r->starts[i]; k++)
			at += r->sql[k] == '\n';
		char *piece = dbc_strndup(ctx, r->sql + from, (size_t)(to - from));
		if (!piece)
			return DBC_ERROR;
		pgdbc_deadline_line(at);
		if (ctx->host->exec(ctx, piece) != DBC_OK) {
			if (ctx->error_line)
				ctx->error_line += first - 1;
			pgdbc_deadline_line(0);
			return DBC_ERROR;
		}
	}
	pgdbc_deadline_line(0);
	return DBC_OK;
}

/* The desired SQL applied in the place; its error as the generator's. */
static int apply_desired(dbc_ctx *ctx, const runnable_sql *sql)
{
	/* A schema file, pg_dump's first of all, makes functions before the
	 * tables their LANGUAGE sql bodies read: their bodies are not checked
	 * while it applies (pg_dump's own SET check_function_bodies is blanked,
	 * dbc_gen_dump_text), and are checked again for the proof, whatever the
	 * file set: the level is popped, the caller's value back. */
	int nest = NewGUCNestLevel();
	(void)set_config_option("check_function_bodies", "off", PGC_USERSET, PGC_S_SESSION,
	                        GUC_ACTION_SAVE, true, 0, false);
	int rc = exec_each(ctx, sql);
	/* a failed exec's subtransaction, rolled back, popped the level already */
	int probe = NewGUCNestLevel();
	AtEOXact_GUC(true, probe > nest ? nest : probe);
	if (rc == DBC_OK)
		return DBC_OK;
	/* named as the user schemas' (a scratch schema's name means nothing
	 * to the file's author) */
	char *why =
	    from_scratch(ctx, current, dbc_strdup(ctx, ctx->message ? ctx->message : "unknown error"));
	int line = ctx->error_line;
	dbc_error_clear(ctx);
	return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "the desired schema does not apply%s%s: %s",
	                 line ? " at line " : "", line ? dbc_printf(ctx, "%d", line) : "", why);
}

/* The scratch schemas are the caller's own, so making them needs CREATE on
 * the database: said before anything runs, with the grant that gives it. */
static int may_make_schemas(dbc_ctx *ctx)
{
	if (pg_database_aclcheck(MyDatabaseId, GetUserId(), ACL_CREATE) == ACLCHECK_OK)
		return DBC_OK;
	const char *db = get_database_name(MyDatabaseId);
	const char *role = GetUserNameFromId(GetUserId(), false);
	dbc_error(ctx, DBC_SQLSTATE_PRIVILEGE,
	          "dbmigrate_generate needs CREATE on database %s: it applies the desired schema in "
	          "scratch schemas of the caller's, rolled back before it returns",
	          db ? db : "(this database)");
	dbc_error_hint(ctx, "GRANT CREATE ON DATABASE %s TO %s;", quote_identifier(db ? db : "current"),
	               quote_identifier(role));
	return DBC_ERROR;
}

/* Every index the place builds is on a table without rows, which no
 * parallel worker helps to build: the estimate of how many could
 * (plan_create_index_workers, a planner run per index) is skipped. Set
 * LOCAL inside the place's subtransaction: its rollback, which always ends
 * the place, puts the caller's value back. */
static void no_parallel_builds(void)
{
	(void)set_config_option("max_parallel_maintenance_workers", "0", PGC_USERSET, PGC_S_SESSION,
	                        GUC_ACTION_LOCAL, true, 0, false);
}

int pgdbc_scratch_desired(dbc_ctx *ctx, const char *sql, int (*fn)(dbc_ctx *sctx, void *arg),
                          void *arg)
{
	place pl, *outer = current;
	runnable_sql runnable;
	int *starts;
	pgdbc_desired_ext ext = {0};
	/* the file is someone else's: only its schema statements run, as a
	 * role with no rights of its own (desired_statements.c, generate_runner.c) */
	if (pgdbc_desired_statements(ctx, sql, (char **)&runnable.sql, &starts, &runnable.n, &ext) !=
	        DBC_OK ||
	    may_make_schemas(ctx) != DBC_OK || make_place(ctx, sql, &pl) != DBC_OK)
		return DBC_ERROR;
	pl.ext.want = ext;
	runnable.starts = starts;
	dbc_host mapped = *ctx->host;
	mapped.exec = mapped_exec;
	mapped.read_schema = mapped_read_schema;
	mapped.proof_commit = place_commit;
	pgdbc_advisory locks;
	if (pgdbc_advisory_note(ctx, &locks) != DBC_OK || pgdbc_enums_note(ctx, &pl.enums) != DBC_OK)
		return DBC_ERROR;
	int level = ctx->host->savepoint(ctx);
	if (level < 0)
		return DBC_ERROR;
	/* each catalog state of the place is read once and rolled back: not
	 * cached, so the live schema's cache entry stays for the reads after */
	const void *outer_bypass = pgdbc_schema_cache_bypass(ctx, ctx->host_data);
	no_parallel_builds();
	int rc = open_place(ctx, &pl, sql);
	if (rc == DBC_OK)
		rc = pgdbc_runner_open(ctx, &pl.scratch, &pl.runner);
	current = &pl;
	ctx->host = &mapped;
	/* the file's code runs from here to the rollback: bounded
	 * (generate_deadline.c); an outer place's deadline goes on */
	bool bounded = !outer;
	if (bounded)
		pgdbc_deadline_start();
	if (rc == DBC_OK)
		rc = apply_desired(ctx, &runnable);
	if (rc == DBC_OK)
		rc = pgdbc_ext_clash(ctx, &pl.ext, &pl.user, &pl.scratch);
	if (rc == DBC_OK)
		rc = fn(ctx, arg);
	if (bounded)
		pgdbc_deadline_stop();
	ctx->host = pl.real;
	current = outer;
	pgdbc_schema_cache_bypass(ctx, outer_bypass);
	ctx->host->rollback(ctx, level);
	pgdbc_advisory_release_new(&locks);
	pgdbc_enums_commit(&pl.enums); /* the place's labels, rolled back, unlisted */
	return rc == DBC_OK && !ctx->failed ? DBC_OK : DBC_ERROR;
}

/* ---- row security: policies and rules
 *
 * The schema model reads neither row-level security policies, rules,
 * extended statistics nor operators (a table's ENABLE/FORCE ROW LEVEL
 * SECURITY it holds). Inside the place, those
 * of the live user schemas and of the scratch ones (named back as the
 * user schemas') are read under dbcare's pinned search_path (every name
 * qualified, alike on both sides), each as the statement that makes it,
 * keyed by what it is ("policy p on public.t"). What the desired schema
 * adds, or makes otherwise, is made among the plan's last steps (every
 * table and function it uses stands by then), its reverse a drop; what
 * the live schema has and the desired one has not (or has otherwise) is
 * dropped among the plan's first steps (before the tables and functions
 * under it go), its reverse making the live one again, the down's last.
 * A changed one is both: dropped first, made again last. Operators (the
 * user's, not an extension's) are planned alike: one the desired schema
 * adds is made after the functions it calls, one it no longer has is
 * dropped before them, so the proof holds them as the migration will. */

/* A row read on one side of a comparison of what the model does not hold
 * (live: the user schemas; scratch: the place's, named back as the user
 * schemas'): the user schema its schema stands for, NULL for a scratch
 * schema of no user schema (the row is not the user's: skipped). */
static const char *side_schema(const place *pl, bool scratch, const char *schema)
{
	if (!scratch)
		return schema;
	int k = find(&pl->scratch, schema);
	return k < 0 ? NULL : pl->user.items[k];
}

/* A copy of a text read on that side, named as the live side names it. */
static char *side_text(dbc_ctx *ctx, const place *pl, bool scratch, const char *text)
{
	char *s = dbc_strdup(ctx, text);
	return scratch ? from_scratch(ctx, pl, s) : s;
}

/* One side's policies and rules: for each key, the statement making it
 * and the one dropping it. */
typedef struct security_read {
	const place *pl;
	bool scratch;
	dbc_strlist keys, makes, drops, tables; /* tables: the relation it is on */
	dbc_strlist odd_keys, odd_texts;        /* UNPLANNED's: what it is, how it is set */
} security_read;

static int add_security(dbc_ctx *ctx, security_read *u, char *table, char *key, char *make,
                        char *drop)
{
	if (!key || !make || !drop || dbc_strlist_add(ctx, &u->tables, table) != DBC_OK ||
	    dbc_strlist_add(ctx, &u->keys, key) != DBC_OK ||
	    dbc_strlist_add(ctx, &u->makes, make) != DBC_OK)
		return DBC_ERROR;
	return dbc_strlist_add(ctx, &u->drops, drop);
}

/* A text of the catalog (an expression, a rule's definition) named back. */
static char *side_opt(dbc_ctx *ctx, const security_read *u, const dbc_value *v)
{
	return v->type == DBC_TEXT ? side_text(ctx, u->pl, u->scratch, v->s) : NULL;
}

/* kind, schema, table, name, then by kind: policy: AS, FOR, TO, USING,
 * WITH CHECK; rule: its CREATE RULE; statistics: its CREATE STATISTICS. */
static int take_security(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	security_read *u = arg;
	const dbc_host *h = u->pl->real;
	const char *schema = side_schema(u->pl, u->scratch, c[1].s);
	(void)ncol;
	if (!schema)
		return DBC_OK;
	char *table =
	    dbc_printf(ctx, "%s.%s", h->quote_ident(ctx, schema), h->quote_ident(ctx, c[2].s));
	if (!table)
		return DBC_ERROR;
	if (strcmp(c[0].s, "policy") == 0) {
		const char *name = h->quote_ident(ctx, c[3].s);
		char *qual = side_opt(ctx, u, &c[7]), *check = side_opt(ctx, u, &c[8]);
		char *make =
		    dbc_printf(ctx, "CREATE POLICY %s ON %s AS %s FOR %s TO %s%s%s%s%s", name, table,
		               c[4].s, c[5].s, c[6].s, qual ? " USING (" : "", qual ? qual : "",
		               qual ? ")" : "", check ? dbc_printf(ctx, " WITH CHECK (%s)", check) : "");
		return add_security(ctx, u, table, dbc_printf(ctx, "policy %s on %s", name, table), make,
		                    dbc_printf(ctx, "DROP POLICY %s ON %s", name, table));
	}
	if (strcmp(c[0].s, "rule") == 0) {
		const char *name = h->quote_ident(ctx, c[3].s);
		char *make = side_opt(ctx, u, &c[4]);
		size_t n = make ? strlen(make) : 0;
		while (n && (make[n - 1] == ';' || make[n - 1] == ' ' || make[n - 1] == '\n'))
			make[--n] = '\0'; /* pg_get_ruledef ends it with ';' */
		return add_security(ctx, u, table, dbc_printf(ctx, "rule %s on %s", name, table), make,
		                    dbc_printf(ctx, "DROP RULE %s ON %s", name, table));
	}
	if (strcmp(c[0].s, "statistics") == 0) { /* c[3]: its qualified name */
		char *name = side_opt(ctx, u, &c[3]);
		return add_security(ctx, u, table, dbc_printf(ctx, "statistics %s", name),
		                    side_opt(ctx, u, &c[4]), dbc_printf(ctx, "DROP STATISTICS %s", name));
	}
	if (strcmp(c[0].s, "unplanned") == 0) { /* c[3]: what, in its schema; c[4]: how */
		char *key = dbc_printf(ctx, "%s %s.%s", c[2].s, h->quote_ident(ctx, schema), c[3].s);
		char *text = side_opt(ctx, u, &c[4]);
		return key && text && dbc_strlist_add(ctx, &u->odd_keys, key) == DBC_OK
		           ? dbc_strlist_add(ctx, &u->odd_texts, text)
		           : DBC_ERROR;
	}
	if (strcmp(c[0].s, "operator") == 0) { /* keyed by its drop, which names it */
		char *drop = side_opt(ctx, u, &c[5]);
		return add_security(ctx, u, side_opt(ctx, u, &c[2]), dbc_printf(ctx, "operator %s", drop),
		                    side_opt(ctx, u, &c[4]), drop);
	}
	return DBC_OK;
}

/* The operators of the schemas of list %1$s (not an extension's, not a
 * shell): kind, schema, function, name, CREATE OPERATOR, DROP OPERATOR,
 * every name qualified (the read runs under dbcare's pinned path). */
#define OPERATOR_OF(col)                                                                           \
	"(SELECT 'OPERATOR(' || quote_ident(x.nspname) || '.' || p.oprname || ')' FROM "               \
	"pg_catalog.pg_operator p JOIN pg_catalog.pg_namespace x ON x.oid = p.oprnamespace "           \
	"WHERE p.oid = o." col ")"
#define OPERATORS                                                                                  \
	"SELECT 'operator', n.nspname::text, o.oprcode::regproc::text, o.oprname::text, "              \
	"format('CREATE OPERATOR %%s.%%s (FUNCTION = %%s%%s%%s%%s%%s%%s%%s%%s%%s)', "                  \
	"quote_ident(n.nspname), o.oprname, o.oprcode::regproc, "                                      \
	"', LEFTARG = ' || format_type(nullif(o.oprleft, 0), NULL), "                                  \
	"', RIGHTARG = ' || format_type(nullif(o.oprright, 0), NULL), "                                \
	"', COMMUTATOR = ' || " OPERATOR_OF("oprcom") ", ', NEGATOR = ' || " OPERATOR_OF(              \
	    "oprnegate") ", ', RESTRICT = ' || nullif(o.oprrest, 0)::regproc, "                        \
	                 "', JOIN = ' || nullif(o.oprjoin, 0)::regproc, CASE WHEN o.oprcanhash THEN "  \
	                 "', HASHES' END, "                                                            \
	                 "CASE WHEN o.oprcanmerge THEN ', MERGES' END), "                              \
	                 "format('DROP OPERATOR %%s.%%s (%%s, %%s)', quote_ident(n.nspname), "         \
	                 "o.oprname, "                                                                 \
	                 "coalesce(format_type(nullif(o.oprleft, 0), NULL), 'NONE'), "                 \
	                 "format_type(o.oprright, NULL)), NULL, NULL, NULL "                           \
	                 "FROM pg_catalog.pg_operator o JOIN pg_catalog.pg_namespace n ON n.oid = "    \
	                 "o.oprnamespace "                                                             \
	                 "WHERE n.nspname IN (%1$s) AND o.oprcode <> 0 AND NOT EXISTS (SELECT FROM "   \
	                 "pg_catalog.pg_depend d WHERE d.classid = "                                   \
	                 "'pg_catalog.pg_operator'::pg_catalog.regclass "                              \
	                 "AND d.objid = o.oid AND d.deptype = 'e') "

/* What a schema file may set that no step plans, of the schemas of list
 * %1$s (not an extension's): kind "unplanned", schema, what it is, its
 * name in the schema, how it is set. Where the two sides differ the call
 * is refused by name, never planned without it in silence. */
#if PG_VERSION_NUM >= 170000
#define COLLATION_LOCALE "c.colllocale"
#else
#define COLLATION_LOCALE "c.colliculocale"
#endif
#define UNPLANNED                                                                                  \
	"SELECT 'unplanned', u.s, u.what, u.name, u.how, NULL, NULL, NULL, NULL FROM ("                \
	"SELECT 'pg_collation'::regclass, c.oid, n.nspname::text, 'collation', "                       \
	"quote_ident(c.collname), concat_ws(' ', c.collprovider, c.collcollate, "                      \
	"c.collctype, " COLLATION_LOCALE ", c.collisdeterministic) FROM pg_catalog.pg_collation c "    \
	"JOIN pg_catalog.pg_namespace n ON n.oid = c.collnamespace WHERE n.nspname IN (%1$s) "         \
	"UNION ALL SELECT 'pg_ts_config'::regclass, c.oid, n.nspname::text, "                          \
	"'text search configuration', quote_ident(c.cfgname), c.cfgparser::text || ': ' || "           \
	"coalesce((SELECT string_agg(m.maptokentype || '=' || m.mapdict::regdictionary::text, ', ' "   \
	"ORDER BY m.maptokentype, m.mapseqno) FROM pg_catalog.pg_ts_config_map m "                     \
	"WHERE m.mapcfg = c.oid), '') FROM pg_catalog.pg_ts_config c "                                 \
	"JOIN pg_catalog.pg_namespace n ON n.oid = c.cfgnamespace WHERE n.nspname IN (%1$s) "          \
	"UNION ALL SELECT 'pg_ts_dict'::regclass, d.oid, n.nspname::text, 'text search dictionary', "  \
	"quote_ident(d.dictname), (SELECT quote_ident(x.nspname) || '.' || quote_ident(t.tmplname) "   \
	"FROM pg_catalog.pg_ts_template t JOIN pg_catalog.pg_namespace x ON x.oid = t.tmplnamespace "  \
	"WHERE t.oid = d.dicttemplate) || ': ' || coalesce(d.dictinitoption, '') "                     \
	"FROM pg_catalog.pg_ts_dict d JOIN pg_catalog.pg_namespace n ON n.oid = d.dictnamespace "      \
	"WHERE n.nspname IN (%1$s) "                                                                   \
	"UNION ALL SELECT 'pg_class'::regclass, c.oid, n.nspname::text, 'replica identity of table', " \
	"quote_ident(c.relname), c.relreplident::text || coalesce(' ' || (SELECT "                     \
	"i.indexrelid::regclass::text FROM pg_catalog.pg_index i WHERE i.indrelid = c.oid "            \
	"AND i.indisreplident), '') FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "        \
	"ON n.oid = c.relnamespace WHERE n.nspname IN (%1$s) AND c.relkind IN ('r', 'p') "             \
	"AND c.relreplident <> 'd' "                                                                   \
	"UNION ALL SELECT 'pg_class'::regclass, c.oid, n.nspname::text, 'CLUSTER ON of table', "       \
	"quote_ident(c.relname), i.indexrelid::regclass::text FROM pg_catalog.pg_index i "             \
	"JOIN pg_catalog.pg_class c ON c.oid = i.indrelid JOIN pg_catalog.pg_namespace n "             \
	"ON n.oid = c.relnamespace WHERE n.nspname IN (%1$s) AND i.indisclustered "                    \
	"UNION ALL SELECT 'pg_class'::regclass, c.oid, n.nspname::text, "                              \
	"'statistics target of column', quote_ident(c.relname) || '.' || quote_ident(a.attname), "     \
	"a.attstattarget::text FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c "             \
	"ON c.oid = a.attrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "              \
	"WHERE n.nspname IN (%1$s) AND a.attnum > 0 AND NOT a.attisdropped "                           \
	"AND a.attstattarget >= 0) AS u(cat, oid, s, what, name, how) WHERE NOT EXISTS (SELECT "       \
	"FROM pg_catalog.pg_depend e WHERE e.classid = u.cat AND e.objid = u.oid AND e.deptype = "     \
	"'e') "

/* schemas[0..n) as SQL literals for an IN list, quoted by the real host
 * (empty when n is 0); NULL on error. */
static char *schema_literals(dbc_ctx *ctx, const dbc_host *real, const dbc_strlist *schemas, int n)
{
	dbc_buf in;
	dbc_buf_init(&in, ctx);
	for (int i = 0; i < n; i++)
		dbc_buf_appendf(&in, "%s%s", i ? ", " : "", real->quote_literal(ctx, schemas->items[i]));
	return dbc_buf_finish(&in);
}

/* The policies, rules, statistics objects and operators of schemas[0..n)
 * into u. */
static int read_security(dbc_ctx *ctx, const dbc_strlist *schemas, int n, security_read *u)
{
	char *list = schema_literals(ctx, u->pl->real, schemas, n);
	if (!list)
		return DBC_ERROR;
	if (n == 0)
		return DBC_OK;
	char *sql = dbc_printf(
	    ctx,
	    "SELECT 'policy', schemaname::text, tablename::text, policyname::text, permissive, cmd, "
	    "array_to_string(ARRAY(SELECT quote_ident(r) FROM unnest(roles) AS r ORDER BY 1), ', '), "
	    "qual, with_check "
	    "FROM pg_catalog.pg_policies WHERE schemaname IN (%1$s) "
	    "UNION ALL SELECT 'rule', schemaname::text, tablename::text, rulename::text, definition, "
	    "NULL, NULL, NULL, NULL FROM pg_catalog.pg_rules WHERE schemaname IN (%1$s) "
	    "UNION ALL SELECT 'statistics', n.nspname::text, c.relname::text, "
	    "quote_ident(x.nspname) || '.' || quote_ident(s.stxname), "
	    "pg_catalog.pg_get_statisticsobjdef(s.oid), NULL, NULL, NULL, NULL "
	    "FROM pg_catalog.pg_statistic_ext s JOIN pg_catalog.pg_class c ON c.oid = s.stxrelid "
	    "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
	    "JOIN pg_catalog.pg_namespace x ON x.oid = s.stxnamespace WHERE n.nspname IN (%1$s) "
	    "UNION ALL " OPERATORS "UNION ALL " UNPLANNED "ORDER BY 1, 2, 3, 4",
	    list);
	return sql ? u->pl->real->query(ctx, sql, 0, NULL, take_security, u) : DBC_ERROR;
}

/* An UNPLANNED setting of side a that side b has not, or sets
 * otherwise: refused by name (22023), as no step would make b's. */
static int refuse_unplanned(dbc_ctx *ctx, const security_read *a, const security_read *b)
{
	for (int i = 0; i < a->odd_keys.n; i++) {
		int k = find(&b->odd_keys, a->odd_keys.items[i]);
		if (k >= 0 && strcmp(b->odd_texts.items[k], a->odd_texts.items[i]) == 0)
			continue;
		dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		          "the desired schema and the live one differ in the %s, which the generator "
		          "does not plan",
		          a->odd_keys.items[i]);
		dbc_error_hint(ctx, "Write that change in a migration of its own, apply it, then "
		                    "generate again.");
		return DBC_ERROR;
	}
	return DBC_OK;
}

int pgdbc_generate_row_security(dbc_ctx *ctx, dbc_gen_row_security *out)
{
	security_read live = {.pl = current}, want = {.pl = current, .scratch = true};
	if (!current)
		return DBC_OK;
	if (read_security(ctx, &current->user, current->nlive, &live) != DBC_OK ||
	    read_security(ctx, &current->scratch, current->scratch.n, &want) != DBC_OK ||
	    refuse_unplanned(ctx, &live, &want) != DBC_OK ||
	    refuse_unplanned(ctx, &want, &live) != DBC_OK)
		return DBC_ERROR;
	/* gone or otherwise: dropped first, made again by the down's last;
	 * kept as it is: named with its relation, for a plan that drops it */
	for (int k = 0; k < live.keys.n; k++) {
		int i = find(&want.keys, live.keys.items[k]);
		bool kept = i >= 0 && strcmp(want.makes.items[i], live.makes.items[k]) == 0;
		if (kept ? dbc_strlist_add(ctx, &out->kept_on, live.tables.items[k]) != DBC_OK ||
		               dbc_strlist_add(ctx, &out->kept_make, live.makes.items[k]) != DBC_OK ||
		               dbc_strlist_add(ctx, &out->kept_drop, live.drops.items[k]) != DBC_OK
		         : dbc_strlist_add(ctx, &out->first_up, live.drops.items[k]) != DBC_OK ||
		               dbc_strlist_add(ctx, &out->first_down, live.makes.items[k]) != DBC_OK)
			return DBC_ERROR;
	}
	/* new or otherwise: made last, dropped by the down's first */
	for (int i = 0; i < want.keys.n; i++) {
		int k = find(&live.keys, want.keys.items[i]);
		if (k >= 0 && strcmp(want.makes.items[i], live.makes.items[k]) == 0)
			continue;
		if (dbc_strlist_add(ctx, &out->up, want.makes.items[i]) != DBC_OK ||
		    dbc_strlist_add(ctx, &out->down, want.drops.items[i]) != DBC_OK)
			return DBC_ERROR;
	}
	return DBC_OK;
}

/* ---- comments
 *
 * COMMENT ON of the user schemas' objects, live and desired (the scratch
 * ones, named back), each keyed by the statement that sets it (its kind
 * and identity, as pg_identify_object writes them). A comment the
 * desired schema adds or changes is a step (its reverse the live comment
 * or none). The desired side is read object by object, so that a
 * comment it no longer has on an object it keeps is removed (IS NULL),
 * and one on an object the plan drops goes with it. */

typedef struct comments_read {
	const place *pl;
	bool scratch;
	bool storage;                  /* columns' storage (its word, its type's), not comments */
	dbc_strlist keys, texts, none; /* none: the text of no setting */
} comments_read;

static int take_comment(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	comments_read *u = arg;
	(void)ncol;
	char *key = side_text(ctx, u->pl, u->scratch, c[0].s);
	if (!key || dbc_strlist_add(ctx, &u->keys, key) != DBC_OK)
		return DBC_ERROR;
	if (u->storage)
		return dbc_strlist_add(ctx, &u->texts, dbc_strdup(ctx, c[1].s)) == DBC_OK
		           ? dbc_strlist_add(ctx, &u->none, dbc_strdup(ctx, c[2].s))
		           : DBC_ERROR;
	/* the public schema's comment initdb sets, which pg_dump leaves out,
	 * is none */
	bool set = c[1].type == DBC_TEXT && !(strcmp(key, "COMMENT ON SCHEMA public") == 0 &&
	                                      strcmp(c[1].s, "standard public schema") == 0);
	return dbc_strlist_add(ctx, &u->texts,
	                       set ? u->pl->real->quote_literal(ctx, c[1].s) : "NULL") == DBC_OK
	           ? dbc_strlist_add(ctx, &u->none, "NULL")
	           : DBC_ERROR;
}

/* The key of each comment: the statement that sets it, by the kind and
 * identity pg_identify_object gives ("COMMENT ON COLUMN public.t.id"). */
#define COMMENT_KEY                                                                                \
	"'COMMENT ON ' || CASE WHEN o.type LIKE '%% column' THEN 'COLUMN' "                            \
	"WHEN o.type = 'table constraint' THEN 'CONSTRAINT' "                                          \
	"WHEN o.type LIKE '%%type' THEN 'TYPE' WHEN o.type = 'statistics object' THEN 'STATISTICS' "   \
	"ELSE upper(o.type) END || ' ' || o.identity"

/* The objects that may have a comment, of the schemas in list: the
 * schema, each relation and its columns (a composite type's too), routine,
 * type, constraint of a table, trigger, policy, rule, statistics object
 * and operator (classid, objid, subid). A composite type is its pg_type
 * row, where COMMENT ON TYPE writes, not its pg_class one. */
#define COMMENTABLE                                                                                \
	"SELECT 'pg_namespace'::regclass, n.oid, 0 FROM pg_namespace n WHERE n.nspname IN (%1$s) "     \
	"UNION ALL SELECT 'pg_class'::regclass, c.oid, 0 FROM pg_class c, pg_namespace n "             \
	"WHERE n.oid = c.relnamespace AND n.nspname IN (%1$s) AND c.relkind NOT IN ('t', 'c') "        \
	"UNION ALL SELECT 'pg_class'::regclass, a.attrelid, a.attnum FROM pg_attribute a, "            \
	"pg_class c, pg_namespace n WHERE c.oid = a.attrelid AND n.oid = c.relnamespace "              \
	"AND n.nspname IN (%1$s) AND a.attnum > 0 AND NOT a.attisdropped "                             \
	"AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'c') "                                             \
	"UNION ALL SELECT 'pg_proc'::regclass, p.oid, 0 FROM pg_proc p, pg_namespace n "               \
	"WHERE n.oid = p.pronamespace AND n.nspname IN (%1$s) "                                        \
	"UNION ALL SELECT 'pg_type'::regclass, t.oid, 0 FROM pg_type t, pg_namespace n "               \
	"WHERE n.oid = t.typnamespace AND n.nspname IN (%1$s) AND t.typtype IN ('d', 'e', 'r', 'c') "  \
	"UNION ALL SELECT 'pg_constraint'::regclass, k.oid, 0 FROM pg_constraint k, "                  \
	"pg_namespace n WHERE n.oid = k.connamespace AND n.nspname IN (%1$s) AND k.conrelid <> 0 "     \
	"UNION ALL SELECT 'pg_trigger'::regclass, g.oid, 0 FROM pg_trigger g, pg_class c, "            \
	"pg_namespace n WHERE c.oid = g.tgrelid AND n.oid = c.relnamespace "                           \
	"AND n.nspname IN (%1$s) AND NOT g.tgisinternal "                                              \
	"UNION ALL SELECT 'pg_policy'::regclass, p.oid, 0 FROM pg_policy p, pg_class c, "              \
	"pg_namespace n WHERE c.oid = p.polrelid AND n.oid = c.relnamespace AND n.nspname IN (%1$s) "  \
	"UNION ALL SELECT 'pg_rewrite'::regclass, r.oid, 0 FROM pg_rewrite r, pg_class c, "            \
	"pg_namespace n WHERE c.oid = r.ev_class AND n.oid = c.relnamespace "                          \
	"AND n.nspname IN (%1$s) AND r.rulename <> '_RETURN' "                                         \
	"UNION ALL SELECT 'pg_statistic_ext'::regclass, s.oid, 0 FROM pg_statistic_ext s, "            \
	"pg_namespace n WHERE n.oid = s.stxnamespace AND n.nspname IN (%1$s) "                         \
	"UNION ALL SELECT 'pg_operator'::regclass, o.oid, 0 FROM pg_operator o, pg_namespace n "       \
	"WHERE n.oid = o.oprnamespace AND n.nspname IN (%1$s) AND o.oprcode <> 0"

/* How read_comments reads: the comments set on the objects of the
 * schemas (DESCRIBED: only the objects that have one are identified), or
 * each object that may have one, its text NULL where it has none
 * (EVERY). */
typedef enum comments_scope { DESCRIBED, EVERY } comments_scope;

/* The comments of the objects of schemas[0..n) into u ("COMMENT ON
 * COLUMN public.t.id" and its text as a literal), an extension's members
 * left out (the extension's, never planned), as scope says. Both sides
 * read the same objects (COMMENTABLE): what one side reads and the other
 * cannot is a comment planned for ever or never. */
static int read_comments(dbc_ctx *ctx, const dbc_strlist *schemas, int n, comments_scope scope,
                         comments_read *u)
{
	char *list = schema_literals(ctx, u->pl->real, schemas, n);
	if (!list)
		return DBC_ERROR;
	if (n == 0)
		return DBC_OK;
	char *sql =
	    scope == EVERY
	        ? dbc_printf(ctx,
	                     "SELECT " COMMENT_KEY ", d.description FROM (" COMMENTABLE
	                     ") AS x(classid, objid, subid) CROSS JOIN LATERAL "
	                     "pg_catalog.pg_identify_object(x.classid, x.objid, x.subid) o "
	                     "LEFT JOIN pg_catalog.pg_description d ON d.classoid = x.classid "
	                     "AND d.objoid = x.objid AND d.objsubid = x.subid "
	                     "WHERE o.type <> 'domain constraint' ORDER BY 1",
	                     list)
	        /* OFFSET 0: the objects are joined with their comments before
	         * any is identified */
	        : dbc_printf(ctx,
	                     "SELECT " COMMENT_KEY ", x.description FROM (SELECT x.classid, x.objid, "
	                     "x.subid, d.description FROM (" COMMENTABLE
	                     ") AS x(classid, objid, subid) JOIN pg_catalog.pg_description d ON "
	                     "d.classoid = x.classid AND d.objoid = x.objid AND d.objsubid = x.subid "
	                     "WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_depend e WHERE "
	                     "e.classid = x.classid AND e.objid = x.objid AND e.deptype = 'e') "
	                     "OFFSET 0) x CROSS JOIN LATERAL "
	                     "pg_catalog.pg_identify_object(x.classid, x.objid, x.subid) o "
	                     "WHERE o.type <> 'domain constraint' ORDER BY 1",
	                     list);
	return sql ? u->pl->real->query(ctx, sql, 0, NULL, take_comment, u) : DBC_ERROR;
}

/* The desired side's comments (the scratch schemas'), each object that
 * may have one with its text, NULL where it has none: what plan_settings
 * needs of it. An object without a comment counts only where the live
 * side has a comment under its key (the comment is removed, not the
 * object gone); where every live key is among the desired comments',
 * the objects without one change no step, and only the commented ones
 * are identified. */
static int read_desired_comments(dbc_ctx *ctx, const comments_read *live, comments_read *want)
{
	const place *pl = want->pl;
	if (read_comments(ctx, &pl->scratch, pl->scratch.n, DESCRIBED, want) != DBC_OK)
		return DBC_ERROR;
	for (int k = 0; k < live->keys.n; k++)
		if (find(&want->keys, live->keys.items[k]) < 0) {
			want->keys = want->texts = want->none = (dbc_strlist){0};
			return read_comments(ctx, &pl->scratch, pl->scratch.n, EVERY, want);
		}
	return DBC_OK;
}

/* The steps of one kind of setting (key, then sep, then its text) that
 * differ between live and want: up and down where want sets otherwise
 * (a key live has not is at its default there), gone where an object
 * with a setting other than its default goes. */
static int plan_settings(dbc_ctx *ctx, const comments_read *live, const comments_read *want,
                         const char *sep, dbc_strlist *up, dbc_strlist *down, dbc_strlist *gone)
{
	for (int i = 0; i < want->keys.n; i++) {
		int k = find(&live->keys, want->keys.items[i]);
		const char *to = want->texts.items[i], *none = want->none.items[i];
		/* a setting at its type's default is none, whatever the type (a
		 * column whose type the plan changes gets the new type's) */
		bool set = strcmp(to, none) != 0;
		bool was = k >= 0 && strcmp(live->texts.items[k], live->none.items[k]) != 0;
		if ((!set && !was) || (set && was && strcmp(to, live->texts.items[k]) == 0))
			continue;
		const char *key = want->keys.items[i], *from = was ? live->texts.items[k] : none;
		if (dbc_strlist_add(ctx, up, dbc_printf(ctx, "%s%s%s", key, sep, to)) != DBC_OK ||
		    dbc_strlist_add(ctx, down, dbc_printf(ctx, "%s%s%s", key, sep, from)) != DBC_OK)
			return DBC_ERROR;
	}
	/* every desired object has a key (its text its default where it sets
	 * nothing): a live key the place has not is an object that goes */
	for (int k = 0; k < live->keys.n; k++)
		if (find(&want->keys, live->keys.items[k]) < 0 &&
		    strcmp(live->texts.items[k], live->none.items[k]) != 0 &&
		    dbc_strlist_add(ctx, gone,
		                    dbc_printf(ctx, "%s%s%s", live->keys.items[k], sep,
		                               live->texts.items[k])) != DBC_OK)
			return DBC_ERROR;
	return DBC_OK;
}

/* Each column's storage (ALTER TABLE ONLY s.t ALTER COLUMN c SET
 * STORAGE, then PLAIN, EXTERNAL, MAIN or EXTENDED) and its type's, of
 * the tables of schemas[0..n), an extension's left out. */
#define STORAGE_WORD(col)                                                                          \
	"CASE " col " WHEN 'p' THEN 'PLAIN' WHEN 'e' THEN 'EXTERNAL' WHEN 'm' THEN 'MAIN' "            \
	"ELSE 'EXTENDED' END"
static int read_storage(dbc_ctx *ctx, const dbc_strlist *schemas, int n, comments_read *u)
{
	char *list = schema_literals(ctx, u->pl->real, schemas, n);
	if (!list || n == 0)
		return list ? DBC_OK : DBC_ERROR;
	char *sql = dbc_printf(
	    ctx,
	    "SELECT format('ALTER TABLE ONLY %%I.%%I ALTER COLUMN %%I SET STORAGE', n.nspname, "
	    "c.relname, a.attname), " STORAGE_WORD("a.attstorage") ", " STORAGE_WORD(
	        "t.typstorage") " FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = "
	                        "a.attrelid "
	                        "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
	                        "JOIN pg_catalog.pg_type t ON t.oid = a.atttypid "
	                        "WHERE n.nspname IN (%s) AND c.relkind IN ('r', 'p') AND a.attnum > 0 "
	                        "AND NOT a.attisdropped AND NOT EXISTS (SELECT FROM "
	                        "pg_catalog.pg_depend e WHERE "
	                        "e.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND e.objid = "
	                        "c.oid "
	                        "AND e.deptype = 'e') ORDER BY 1",
	    list);
	return sql ? u->pl->real->query(ctx, sql, 0, NULL, take_comment, u) : DBC_ERROR;
}

int pgdbc_generate_comments(dbc_ctx *ctx, dbc_strlist *up, dbc_strlist *down, dbc_strlist *gone)
{
	comments_read live = {.pl = current}, want = {.pl = current, .scratch = true};
	comments_read slive = {.pl = current, .storage = true},
	              swant = {.pl = current, .scratch = true, .storage = true};
	if (!current)
		return DBC_OK;
	if (read_comments(ctx, &current->user, current->nlive, DESCRIBED, &live) != DBC_OK ||
	    read_desired_comments(ctx, &live, &want) != DBC_OK ||
	    read_storage(ctx, &current->user, current->nlive, &slive) != DBC_OK ||
	    read_storage(ctx, &current->scratch, current->scratch.n, &swant) != DBC_OK)
		return DBC_ERROR;
	return plan_settings(ctx, &live, &want, " IS ", up, down, gone) == DBC_OK
	           ? plan_settings(ctx, &slive, &swant, " ", up, down, gone)
	           : DBC_ERROR;
}

int pgdbc_generate_extensions(dbc_ctx *ctx, dbc_strlist *first_up, dbc_strlist *first_down,
                              dbc_strlist *up, dbc_strlist *down)
{
	(void)ctx;
	if (!current)
		return DBC_OK;
	*first_up = current->ext.make;
	*first_down = current->ext.drop;
	*up = current->ext.gone_drop;
	*down = current->ext.gone_make;
	return DBC_OK;
}

static int take_text(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	(void)ncol;
	*(char **)arg = c[0].type == DBC_TEXT ? dbc_strdup(ctx, c[0].s) : NULL;
	return DBC_OK;
}

/* dbc_migrate_hooks.index_round_trip: definition made on the desired
 * table of the place (the runner makes it, as it makes everything there)
 * inside a subtransaction that is always rolled back, and the text
 * pg_get_indexdef gives it, named back as the user schemas. Where it
 * cannot be made (the desired table lacks a column it names) *out stays
 * NULL and the error is dropped with the subtransaction. */
int pgdbc_generate_index_round_trip(dbc_ctx *ctx, const char *schema, const char *name,
                                    const char *definition, char **out)
{
	*out = NULL;
	int k = current && schema ? find(&current->user, schema) : -1;
	if (k < 0)
		return DBC_OK;
	const dbc_host *real = current->real;
	char *m = to_scratch(ctx, current, definition);
	char *qualified = dbc_printf(ctx, "%s.%s", quote_identifier(current->scratch.items[k]),
	                             quote_identifier(name));
	if (!m || !qualified)
		return DBC_ERROR;
	int level = real->savepoint(ctx);
	int rc = pgdbc_runner_exec(ctx, &current->runner, real, m);
	if (rc != DBC_OK) {
		dbc_error_clear(ctx);
	} else {
		dbc_value arg = dbc_text(qualified);
		rc = real->query(ctx, "SELECT pg_catalog.pg_get_indexdef(pg_catalog.to_regclass($1)::oid)",
		                 1, &arg, take_text, out);
	}
	real->rollback(ctx, level);
	if (rc != DBC_OK)
		return ctx->failed ? DBC_ERROR : DBC_OK;
	if (*out)
		*out = from_scratch(ctx, current, *out);
	return DBC_OK;
}

static int read_into(dbc_ctx *ctx, void *arg)
{
	return ctx->host->read_schema(ctx, arg);
}

int pgdbc_desired_schema(dbc_ctx *ctx, const char *sql, dbc_schema *out)
{
	return pgdbc_scratch_desired(ctx, sql, read_into, out);
}

/* ---- rights
 *
 * The rights of the tables, views, sequences and routines of the live user
 * schemas and of the scratch ones (named back as the user schemas'), and
 * of their columns, read under dbcare's pinned search_path, the owner's
 * own left aside (dbc_gen_right; the plan: generate_rights_plan.c), each
 * marker row saying whether the object's (column's) ACL is set. Each
 * object's text is built here from the catalog, every name quoted. */

typedef struct rights_read {
	const place *pl;
	bool scratch;
	dbc_gen_rights *out;
} rights_read;

static int take_right(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	rights_read *u = arg;
	const char *schema = side_schema(u->pl, u->scratch, c[1].s);
	(void)ncol;
	if (!schema)
		return DBC_OK;
	char *rest = side_text(ctx, u->pl, u->scratch, c[2].s);
	if (!rest ||
	    dbc_grow(ctx, &u->out->items, u->out->n, &u->out->cap, sizeof(dbc_gen_right), 32) != DBC_OK)
		return DBC_ERROR;
	dbc_gen_right *r = &u->out->items[u->out->n++];
	*r = (dbc_gen_right){
	    .object = dbc_printf(ctx, "%s %s.%s", c[0].s, u->pl->real->quote_ident(ctx, schema), rest),
	    .column = c[3].type == DBC_TEXT ? dbc_strdup(ctx, c[3].s) : NULL,
	    .grantee = c[4].type == DBC_TEXT ? dbc_strdup(ctx, c[4].s) : NULL,
	    .privilege = c[5].type == DBC_TEXT ? dbc_strdup(ctx, c[5].s) : NULL,
	    .grantable = c[6].type == DBC_BOOL && c[6].i,
	    .fallback = c[7].type == DBC_BOOL && c[7].i,
	    .written = c[8].type == DBC_BOOL && c[8].i};
	return r->object ? DBC_OK : DBC_ERROR;
}

/* The rights of the objects of schemas[0..n) into u. */
static int read_rights(dbc_ctx *ctx, const dbc_strlist *schemas, int n, rights_read *u)
{
	if (n == 0)
		return DBC_OK;
	char *list = schema_literals(ctx, u->pl->real, schemas, n);
	if (!list)
		return DBC_ERROR;
	char *sql = dbc_printf(
	    ctx,
	    "WITH o AS ("
	    " SELECT CASE c.relkind WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END AS kind,"
	    "  n.nspname::text AS sch, pg_catalog.quote_ident(c.relname) AS rest, c.relacl AS acl,"
	    "  c.relowner AS own, (CASE c.relkind WHEN 'S' THEN 's' ELSE 'r' END)::\"char\" AS dk,"
	    "  c.oid AS relid"
	    " FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
	    " WHERE n.nspname IN (%s) AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')"
	    " UNION ALL"
	    " SELECT CASE p.prokind WHEN 'p' THEN 'PROCEDURE' ELSE 'FUNCTION' END, n.nspname::text,"
	    "  pg_catalog.quote_ident(p.proname) || '(' ||"
	    "  pg_catalog.pg_get_function_identity_arguments(p.oid) || ')',"
	    "  p.proacl, p.proowner, 'f'::\"char\", NULL::oid"
	    " FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace"
	    " WHERE n.nspname IN (%s))"
	    " SELECT kind, sch, rest, NULL::text, NULL::text, NULL::text, false, false,"
	    "  acl IS NOT NULL FROM o"
	    " UNION ALL"
	    " SELECT o.kind, o.sch, o.rest, NULL, CASE WHEN a.grantee = 0 THEN NULL"
	    "  ELSE pg_catalog.pg_get_userbyid(a.grantee)::text END, a.privilege_type,"
	    "  a.is_grantable, f.fallback, false"
	    " FROM o, (VALUES (false), (true)) f(fallback),"
	    "  LATERAL pg_catalog.aclexplode(CASE WHEN f.fallback THEN"
	    "   pg_catalog.acldefault(o.dk, o.own) ELSE"
	    "   coalesce(o.acl, pg_catalog.acldefault(o.dk, o.own)) END) a"
	    " WHERE a.grantee <> o.own"
	    " UNION ALL"
	    " SELECT o.kind, o.sch, o.rest, t.attname::text, NULL, NULL, false, false,"
	    "  t.attacl IS NOT NULL"
	    " FROM o JOIN pg_catalog.pg_attribute t ON t.attrelid = o.relid"
	    " WHERE t.attnum > 0 AND NOT t.attisdropped"
	    " UNION ALL"
	    " SELECT o.kind, o.sch, o.rest, t.attname::text, CASE WHEN a.grantee = 0 THEN NULL"
	    "  ELSE pg_catalog.pg_get_userbyid(a.grantee)::text END, a.privilege_type,"
	    "  a.is_grantable, false, false"
	    " FROM o JOIN pg_catalog.pg_attribute t ON t.attrelid = o.relid,"
	    "  LATERAL pg_catalog.aclexplode(t.attacl) a"
	    " WHERE t.attnum > 0 AND NOT t.attisdropped AND t.attacl IS NOT NULL"
	    "  AND a.grantee <> o.own"
	    " ORDER BY 1, 2, 3, 4 NULLS FIRST, 5 NULLS FIRST, 6",
	    list, list);
	return sql ? u->pl->real->query(ctx, sql, 0, NULL, take_right, u) : DBC_ERROR;
}

int pgdbc_generate_rights(dbc_ctx *ctx, dbc_gen_rights *live, dbc_gen_rights *want)
{
	rights_read l = {.pl = current, .out = live}, w = {.pl = current, .scratch = true, .out = want};
	if (!current)
		return DBC_OK;
	if (read_rights(ctx, &current->user, current->nlive, &l) != DBC_OK)
		return DBC_ERROR;
	return read_rights(ctx, &current->scratch, current->scratch.n, &w);
}
