/*
 * js_registry.c — schemas stored once under a name (dbjson_register), the
 * same on both engines: a CHECK names its schema ('package') instead of
 * carrying its text, and a $ref to another schema resolves through the
 * registry by the URI it was registered under (its $id, or the uri given),
 * never through the network.
 *
 * Tables (bookkeeping): json_schemas (name, uri, schema, sha256,
 * registered_at and on PostgreSQL owner) and json_schema_changes (id, name, old_sha256,
 * new_sha256, changed_at and on PostgreSQL changed_by), one row per registration that
 * changed something and per removal. The registry's generation is a
 * fingerprint of json_schemas' rows: a compiled schema that read the
 * registry is kept only while the generation it was compiled at is
 * current, however the rows came to change.
 *
 * Owners (an engine with roles: dialect->role_acts_as): a name belongs to
 * the role that registered it. Only a role that may act as the owner (the
 * owner, a member of it, a superuser) replaces or removes it, and a
 * registered schema's $refs reach only schemas its owner may act as the
 * owner of: every document a compile loads, directly or through another,
 * is checked against the root's owner. Schema text given in a call has no
 * owner and reaches every registered schema, as a name does.
 */
#include "jsonschema/js_private.h"

#include "base/sha256.h"
#include "schema/schema.h"

#include <stdlib.h>
#include <string.h>

#define NAME_MAX_BYTES 200

bool dbc_js_is_name(const char *arg)
{
	unsigned char c = (unsigned char)arg[0];
	bool starts_as_name = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
	if (!starts_as_name)
		return false;
	/* asked at every call of a CHECK: a name that cannot be true, false or
	 * null by its first letter is compared with none of them */
	switch (c) {
	case 't':
		return strcmp(arg, "true") != 0;
	case 'f':
		return strcmp(arg, "false") != 0;
	case 'n':
		return strcmp(arg, "null") != 0;
	default:
		return true;
	}
}

/* The name rule (docs/json.md): a letter or "_", then letters, digits, "_",
 * "." and "-", at most NAME_MAX_BYTES, not true, false or null. So a name
 * never holds ":", "/", "#" or a space: it can never equal or look like a
 * URI, and a schema argument or a $ref that is a URI never finds a name. */
static int check_name(dbc_ctx *ctx, const char *name)
{
	size_t n = strlen(name);
	bool ok = dbc_js_is_name(name) && n <= NAME_MAX_BYTES;
	for (size_t i = 0; ok && i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		     c == '_' || c == '.' || c == '-';
	}
	if (!ok)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		                 "a schema's name starts with a letter or \"_\", holds only letters, "
		                 "digits, \"_\", \".\" and \"-\" (no \":\", \"/\" or space: a name "
		                 "is never a URI), has at most %d bytes and is not true, false or null: "
		                 "\"%s\"",
		                 NAME_MAX_BYTES, dbc_excerpt(ctx, name, DBC_EXCERPT));
	return DBC_OK;
}

/* Whether uri is an absolute URI (RFC 3986 section 4.3: a scheme, ":",
 * the rest), with no fragment but an empty one, no space or control
 * character: what a registered schema is known by and a $ref resolves to. */
static bool absolute_uri(const char *uri)
{
	const char *p = uri;
	if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')))
		return false;
	while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
	       *p == '+' || *p == '-' || *p == '.')
		p++;
	if (*p != ':' || !p[1])
		return false;
	for (const char *q = p; *q; q++)
		if ((unsigned char)*q <= 0x20 || *q == 0x7f || (*q == '#' && q[1]))
			return false;
	return true;
}

static int check_uri(dbc_ctx *ctx, const char *name, const char *uri, bool given)
{
	if (absolute_uri(uri))
		return DBC_OK;
	return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
	                 given ? "schema %s: uri must be an absolute URI without a fragment "
	                         "(scheme:rest, like https://example.com/s.json): \"%s\""
	                       : "schema %s: its root $id is not an absolute URI without a fragment: "
	                         "\"%s\" (give an absolute $id, or the uri argument)",
	                 name, dbc_excerpt(ctx, uri, DBC_EXCERPT));
}

/* Whether the registry's tables exist (a SQLite file makes them with the
 * first registration; a read before takes the registry as empty). */
int dbc_js_registry_present(dbc_ctx *ctx, bool *present)
{
	*present = false;
	if (ctx->host->book_exists && ctx->host->book_exists(ctx, present) != DBC_OK)
		return DBC_ERROR;
	if (!ctx->host->book_exists)
		*present = true;
	if (*present && ctx->host->book_has_column) {
		char *table = dbc_printf(ctx, "%sjson_schemas", ctx->host->book_name_prefix);
		if (!table)
			return DBC_ERROR;
		*present = ctx->host->book_has_column(ctx, table, "sha256");
	}
	return DBC_OK;
}

/* One registered schema's part of the generation: a 64-bit mix of its
 * name, uri and SHA-256 (FNV-1a, then a finalizer so that sums spread). */
static uint64_t row_mix(const dbc_value *c)
{
	uint64_t h = 1469598103934665603ULL;
	for (int k = 0; k < 3; k++) {
		const char *s = c[k].type == DBC_TEXT ? c[k].s : "";
		for (; *s; s++)
			h = (h ^ (unsigned char)*s) * 1099511628211ULL;
		h = (h ^ (uint64_t)(0x100 + k)) * 1099511628211ULL; /* field separator */
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

static int add_row_mix(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	if (ncol != 3)
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "bad row");
	*(uint64_t *)arg += row_mix(c);
	return DBC_OK;
}

/* The generation is a fingerprint of what the registry holds (every
 * schema's name, uri and SHA-256, summed so that row order does not
 * matter), never a counter: a counter is fooled by a change rolled back
 * and its number taken again (SQLite's AUTOINCREMENT rolls back with the
 * change), by changes committed in another order than numbered
 * (PostgreSQL), and by rows changed without dbjson_register. */
int dbc_js_registry_generation(dbc_ctx *ctx, int64_t *gen)
{
	bool present;
	uint64_t sum = 0;
	*gen = 0;
	if (dbc_js_registry_present(ctx, &present) != DBC_OK || !present)
		return ctx->failed ? DBC_ERROR : DBC_OK;
	char *sql =
	    dbc_printf(ctx, "SELECT name, uri, sha256 FROM %sjson_schemas", ctx->host->book_prefix);
	if (!sql || ctx->host->query(ctx, sql, 0, NULL, add_row_mix, &sum) != DBC_OK)
		return DBC_ERROR;
	*gen = (int64_t)(sum | 1); /* 0 stays "read nothing of the registry" */
	return DBC_OK;
}

typedef struct found_schema {
	char *text, *uri, *sha256, *owner; /* owner: NULL on an engine without roles */
	bool found;
} found_schema;

static int take_schema(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	found_schema *f = arg;
	if (f->found || ncol < 3)
		return DBC_OK;
	f->found = true;
	f->text = c[0].type == DBC_TEXT ? dbc_strdup(ctx, c[0].s) : NULL;
	f->uri = c[1].type == DBC_TEXT ? dbc_strdup(ctx, c[1].s) : NULL;
	f->sha256 = c[2].type == DBC_TEXT ? dbc_strdup(ctx, c[2].s) : NULL;
	f->owner = ncol > 3 && c[3].type == DBC_TEXT ? dbc_strdup(ctx, c[3].s) : NULL;
	return f->text ? DBC_OK : DBC_ERROR;
}

/* The owner column of a read, where the engine has roles. */
static const char *owner_column(const dbc_ctx *ctx)
{
	return ctx->host->dialect->role_acts_as ? ", owner" : "";
}

int dbc_js_take_text(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	char **out = arg;
	if (!*out && ncol > 0 && c[0].type == DBC_TEXT && !(*out = dbc_strdup(ctx, c[0].s)))
		return DBC_ERROR;
	return DBC_OK;
}

/* Whether role may act as owner: the same role, a member of it or a
 * superuser (dialect->role_acts_as). */
int dbc_js_acts_as(dbc_ctx *ctx, const char *role, const char *owner, bool *ok)
{
	char *yes = NULL;
	*ok = strcmp(role, owner) == 0;
	if (*ok)
		return DBC_OK;
	dbc_value p[2] = {dbc_text(role), dbc_text(owner)};
	if (ctx->host->query(ctx, ctx->host->dialect->role_acts_as, 2, p, dbc_js_take_text, &yes) !=
	    DBC_OK)
		return DBC_ERROR;
	*ok = yes && strcmp(yes, "t") == 0;
	return DBC_OK;
}

int dbc_js_session_role(dbc_ctx *ctx, char **role)
{
	*role = NULL;
	if (ctx->host->query(ctx, ctx->host->dialect->session_role, 0, NULL, dbc_js_take_text, role) !=
	    DBC_OK)
		return DBC_ERROR;
	return *role ? DBC_OK : dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "no session role");
}

/* Refuses a change of schema name (verb: "replace", "remove") by a
 * session whose role may not act as its owner. */
static int check_owner(dbc_ctx *ctx, const char *name, const char *owner, const char *verb)
{
	char *role = NULL;
	bool ok;
	if (!ctx->host->dialect->role_acts_as || !owner)
		return DBC_OK; /* no roles: the file's writers are one principal */
	if (dbc_js_session_role(ctx, &role) != DBC_OK ||
	    dbc_js_acts_as(ctx, role, owner, &ok) != DBC_OK)
		return DBC_ERROR;
	if (ok)
		return DBC_OK;
	dbc_error(ctx, "42501",
	          "role %s may not %s schema %s: it belongs to role %s (only that role, its members "
	          "and superusers may)",
	          dbc_excerpt(ctx, role, DBC_EXCERPT), verb, dbc_excerpt(ctx, name, DBC_EXCERPT),
	          dbc_excerpt(ctx, owner, DBC_EXCERPT));
	dbc_error_hint(ctx, "register your schema under another name, or ask %s to GRANT %s TO %s",
	               dbc_excerpt(ctx, owner, DBC_EXCERPT), dbc_excerpt(ctx, owner, DBC_EXCERPT),
	               dbc_excerpt(ctx, role, DBC_EXCERPT));
	return DBC_ERROR;
}

/* A row whose text is not the text its SHA-256 names was written around
 * dbjson_register (a direct UPDATE): refused, never compiled, so that no two
 * sessions can enforce two texts under one fingerprint. */
static int check_digest(dbc_ctx *ctx, const char *key, const found_schema *f)
{
	char hex[DBC_SHA256_HEX_LEN + 1];
	if (dbc_sha256_hex(ctx, f->text, strlen(f->text), hex) != DBC_OK)
		return DBC_ERROR;
	if (f->sha256 && strcmp(hex, f->sha256) == 0)
		return DBC_OK;
	return dbc_error(ctx, "XX001",
	                 "the registered schema %s was changed outside dbjson_register: its text's "
	                 "SHA-256 is not the one recorded, so it is not used (register it again "
	                 "with dbjson_register)",
	                 dbc_excerpt(ctx, key, DBC_EXCERPT));
}

/* The schema registered under key as a URI (its $id or the uri it was
 * registered with, an empty fragment left out) or as a name: a $ref
 * (name_first false) takes the URI first, a schema argument (name_first
 * true) the name. A name is never a URI (check_name), so neither can
 * shadow the other. */
static int find_schema(dbc_ctx *ctx, const char *key, bool name_first, found_schema *f)
{
	bool present;
	memset(f, 0, sizeof(*f));
	if (dbc_js_registry_present(ctx, &present) != DBC_OK || !present)
		return ctx->failed ? DBC_ERROR : DBC_OK;
	size_t n = strlen(key);
	char *uri = dbc_strndup(ctx, key, n && key[n - 1] == '#' ? n - 1 : n);
	char *sql = dbc_printf(
	    ctx,
	    "SELECT schema, uri, sha256%s FROM %sjson_schemas WHERE uri = $1 OR name = $2"
	    " ORDER BY CASE WHEN %s THEN 0 ELSE 1 END LIMIT 1",
	    owner_column(ctx), ctx->host->book_prefix, name_first ? "name = $2" : "uri = $1");
	if (!uri || !sql)
		return DBC_ERROR;
	dbc_value p[2] = {dbc_text(uri), dbc_text(key)};
	if (ctx->host->query(ctx, sql, 2, p, take_schema, f) != DBC_OK)
		return DBC_ERROR;
	return f->found ? check_digest(ctx, key, f) : DBC_OK;
}

/* The row registered under name, as it is (unregister removes even a row
 * check_digest refuses). */
static int find_registered(dbc_ctx *ctx, const char *name, found_schema *f)
{
	bool present;
	memset(f, 0, sizeof(*f));
	if (dbc_js_registry_present(ctx, &present) != DBC_OK || !present)
		return ctx->failed ? DBC_ERROR : DBC_OK;
	char *sql = dbc_printf(ctx, "SELECT schema, uri, sha256%s FROM %sjson_schemas WHERE name = $1",
	                       owner_column(ctx), ctx->host->book_prefix);
	dbc_value p = dbc_text(name);
	return sql ? ctx->host->query(ctx, sql, 1, &p, take_schema, f) : DBC_ERROR;
}

/* A $ref of use's root (a registered schema) reaching f: refused unless
 * the root's owner may act as f's owner. */
static int check_reach(const dbc_js_registry_use *use, const char *uri, const found_schema *f)
{
	dbc_ctx *ctx = use->ctx;
	bool ok;
	if (!ctx->host->dialect->role_acts_as || !use->owner || !f->owner)
		return DBC_OK;
	if (dbc_js_acts_as(ctx, use->owner, f->owner, &ok) != DBC_OK || ok)
		return ctx->failed ? DBC_ERROR : DBC_OK;
	dbc_error(ctx, "42501",
	          "schema %s (owner %s) may not $ref %s: the schema registered there belongs to role "
	          "%s, and a registered schema reaches only the schemas its owner may use",
	          dbc_excerpt(ctx, use->root, DBC_EXCERPT), dbc_excerpt(ctx, use->owner, DBC_EXCERPT),
	          dbc_excerpt(ctx, uri, DBC_EXCERPT), dbc_excerpt(ctx, f->owner, DBC_EXCERPT));
	dbc_error_hint(ctx, "%s registers the referenced schema itself, or %s grants its role to %s",
	               dbc_excerpt(ctx, use->owner, DBC_EXCERPT),
	               dbc_excerpt(ctx, f->owner, DBC_EXCERPT),
	               dbc_excerpt(ctx, use->owner, DBC_EXCERPT));
	return DBC_ERROR;
}

char *dbc_js_registry_load(void *arg, const char *uri)
{
	dbc_js_registry_use *use = arg;
	found_schema f;
	if (find_schema(use->ctx, uri, false, &f) != DBC_OK || !f.found ||
	    check_reach(use, uri, &f) != DBC_OK)
		return NULL;
	use->used = true;
	return strdup(f.text); /* why: load_remote hands malloc'd text (jsonschema.h) */
}

int dbc_js_registry_text(dbc_ctx *ctx, const char *name, char **text, char **uri, char **owner)
{
	found_schema f;
	if (find_schema(ctx, name, true, &f) != DBC_OK)
		return DBC_ERROR;
	if (!f.found)
		return dbc_error(ctx, "42704",
		                 "no JSON Schema is registered under the name %s: register it with "
		                 "dbjson_register(name, schema)",
		                 dbc_excerpt(ctx, name, DBC_EXCERPT));
	*text = f.text;
	*uri = f.uri;
	if (owner)
		*owner = f.owner;
	return DBC_OK;
}

/* ------------------------------------------------------------ the calls */

/* The URI a schema is known by: uri when given, else its root $id (id in
 * draft 4), without an empty fragment; NULL when it has neither. */
static int schema_uri(dbc_ctx *ctx, const char *text, const char *given, char **out)
{
	*out = NULL;
	if (given && *given) {
		size_t n = strlen(given);
		*out = dbc_strndup(ctx, given, given[n - 1] == '#' ? n - 1 : n);
		return *out ? DBC_OK : DBC_ERROR;
	}
	js_alloc a = {.ctx = ctx};
	js_val *doc;
	if (dbc_js_parse(ctx, &a, text, "the schema", DBC_JS_MAX_SCHEMA_DEPTH, &doc) != DBC_OK)
		return DBC_ERROR;
	const js_val *id = dbc_js_get(doc, "$id");
	if (!id)
		id = dbc_js_get(doc, "id");
	if (id && id->kind == JV_STR && id->u.s[0] && id->u.s[0] != '#') {
		size_t n = strlen(id->u.s);
		*out = dbc_strndup(ctx, id->u.s, id->u.s[n - 1] == '#' ? n - 1 : n);
		return *out ? DBC_OK : DBC_ERROR;
	}
	return DBC_OK;
}

/* JSON objects in v: at least as many as the subschemas it compiles to
 * (nesting is at most DBC_JS_MAX_SCHEMA_DEPTH, so recursion is bounded). */
static long count_objects(const js_val *v)
{
	long n = v->kind == JV_OBJ;
	if (v->kind == JV_OBJ)
		for (uint32_t i = 0; i < v->n; i++)
			n += count_objects(v->u.members[i].val);
	else if (v->kind == JV_ARR)
		for (uint32_t i = 0; i < v->n; i++)
			n += count_objects(v->u.items[i]);
	return n;
}

/* The limits a compiled schema keeps to (DBC_JS_MAX_SCHEMA_BYTES and
 * _NODES), checked at registration, before the schema is stored: the
 * compile checks them again with the documents its $refs load. */
static int check_size(dbc_ctx *ctx, const char *name, const char *text)
{
	if (strlen(text) > DBC_JS_MAX_SCHEMA_BYTES) /* before any parse of it */
		return dbc_error(ctx, "54000",
		                 "schema %s is larger than %d bytes: a compiled schema stays in memory in "
		                 "every session that uses it (docs/json.md, Limits)",
		                 name, DBC_JS_MAX_SCHEMA_BYTES);
	js_alloc a = {.ctx = ctx};
	js_val *doc;
	if (dbc_js_parse(ctx, &a, text, "the schema", DBC_JS_MAX_SCHEMA_DEPTH, &doc) != DBC_OK)
		return DBC_ERROR;
	if (count_objects(doc) > DBC_JS_MAX_SCHEMA_NODES)
		return dbc_error(ctx, "54000",
		                 "schema %s has more than %d JSON objects (subschemas): a compiled schema "
		                 "stays in memory in every session that uses it (docs/json.md, Limits)",
		                 name, DBC_JS_MAX_SCHEMA_NODES);
	return DBC_OK;
}

typedef struct registration {
	const char *name, *schema, *uri, *sha256;
	char *old_sha256, *owner;
	bool existed;
} registration;

static int take_sha(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	registration *r = arg;
	r->existed = true;
	r->old_sha256 = ncol > 0 && c[0].type == DBC_TEXT ? dbc_strdup(ctx, c[0].s) : NULL;
	r->owner = ncol > 1 && c[1].type == DBC_TEXT ? dbc_strdup(ctx, c[1].s) : NULL;
	return DBC_OK;
}

static int record_change(dbc_ctx *ctx, const char *name, const char *old_sha, const char *new_sha)
{
	char *sql = dbc_printf(ctx,
	                       "INSERT INTO %sjson_schema_changes (name, old_sha256, new_sha256,"
	                       " changed_at) VALUES ($1, CAST($2 AS text), CAST($3 AS text), %s)",
	                       ctx->host->book_prefix, ctx->host->dialect->now);
	if (!sql)
		return DBC_ERROR;
	dbc_value p[3] = {dbc_text(name), old_sha ? dbc_text(old_sha) : dbc_null(),
	                  new_sha ? dbc_text(new_sha) : dbc_null()};
	return ctx->host->query(ctx, sql, 3, p, NULL, NULL);
}

/* A URI names one schema: an error naming the schema that holds r's URI
 * under another name (rather than the unique index's bare violation). */
static int uri_taken(dbc_ctx *ctx, const registration *r)
{
	char *holder = NULL;
	if (!r->uri)
		return DBC_OK;
	char *sql = dbc_printf(ctx, "SELECT name FROM %sjson_schemas WHERE uri = $1 AND name <> $2",
	                       ctx->host->book_prefix);
	dbc_value p[2] = {dbc_text(r->uri), dbc_text(r->name)};
	if (!sql || ctx->host->query(ctx, sql, 2, p, dbc_js_take_text, &holder) != DBC_OK)
		return DBC_ERROR;
	if (holder)
		return dbc_error(ctx, "23505",
		                 "schema %s is registered under the URI %s already: a URI names one "
		                 "schema (change the $id, give another uri, or unregister %s)",
		                 dbc_excerpt(ctx, holder, DBC_EXCERPT),
		                 dbc_excerpt(ctx, r->uri, DBC_EXCERPT),
		                 dbc_excerpt(ctx, holder, DBC_EXCERPT));
	return DBC_OK;
}

static int write_registration(dbc_ctx *ctx, void *arg)
{
	registration *r = arg;
	const char *p = ctx->host->book_prefix;
	/* FOR UPDATE where it locks: the owner checked is the owner replaced */
	char *find =
	    dbc_printf(ctx, "SELECT sha256%s FROM %sjson_schemas WHERE name = $1%s", owner_column(ctx),
	               p, ctx->host->dialect->role_acts_as ? " FOR UPDATE" : "");
	dbc_value key = dbc_text(r->name);
	if (!find || ctx->host->query(ctx, find, 1, &key, take_sha, r) != DBC_OK)
		return DBC_ERROR;
	/* a replacement keeps the owner (the row's), whoever writes it */
	if (r->existed && check_owner(ctx, r->name, r->owner, "replace") != DBC_OK)
		return DBC_ERROR;
	if (r->existed && r->old_sha256 && strcmp(r->old_sha256, r->sha256) == 0)
		return DBC_OK; /* the same schema again: nothing changes */
	if (uri_taken(ctx, r) != DBC_OK)
		return DBC_ERROR;
	/* a name or URI another transaction registers meanwhile: ON CONFLICT
	 * waits for it and then writes nothing, and the error says so (rather
	 * than the unique index's bare violation) */
	char *sql = dbc_printf(ctx,
	                       r->existed ? "UPDATE %sjson_schemas SET uri = CAST($2 AS text),"
	                                    " schema = $3, sha256 = $4, registered_at = %s"
	                                    " WHERE name = $1 RETURNING name"
	                                  : "INSERT INTO %sjson_schemas (name, uri, schema, sha256,"
	                                    " registered_at) VALUES ($1, CAST($2 AS text), $3, $4, %s)"
	                                    " ON CONFLICT DO NOTHING RETURNING name",
	                       p, ctx->host->dialect->now);
	if (!sql)
		return DBC_ERROR;
	dbc_value v[4] = {dbc_text(r->name), r->uri ? dbc_text(r->uri) : dbc_null(),
	                  dbc_text(r->schema), dbc_text(r->sha256)};
	char *written = NULL;
	if (ctx->host->query(ctx, sql, 4, v, dbc_js_take_text, &written) != DBC_OK)
		return DBC_ERROR;
	if (!written)
		return dbc_error(ctx, "40001",
		                 "schema %s (or its URI) was registered or removed by another transaction "
		                 "at the same time: try again",
		                 dbc_excerpt(ctx, r->name, DBC_EXCERPT));
	return record_change(ctx, r->name, r->old_sha256, r->sha256);
}

/* Runs fn in a savepoint of its own after making the registry's tables
 * (the host told first: whatever the outcome, the registry may differ
 * from what the connection read of it). */
static int in_savepoint(dbc_ctx *ctx, int (*fn)(dbc_ctx *, void *), void *arg)
{
	if (ctx->host->json_registry_written)
		ctx->host->json_registry_written(ctx);
	int level = ctx->host->savepoint(ctx);
	if (level < 0)
		return DBC_ERROR;
	if (dbc_book_ensure_part(ctx, "json") != DBC_OK || fn(ctx, arg) != DBC_OK) {
		ctx->host->rollback(ctx, level);
		return DBC_ERROR;
	}
	return ctx->host->release(ctx, level);
}

int dbc_js_register(dbc_ctx *ctx, const char *name, const char *schema, const char *uri,
                    char **sha256)
{
	char *why;
	char hex[DBC_SHA256_HEX_LEN + 1];
	registration r = {.name = name, .schema = schema};
	if (check_name(ctx, name) != DBC_OK)
		return DBC_ERROR;
	if (check_size(ctx, name, schema) != DBC_OK || dbc_js_meta_refusal(ctx, schema, &why) != DBC_OK)
		return DBC_ERROR;
	if (why)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "schema %s is not a valid JSON Schema: %s",
		                 name, why);
	char *known_as;
	if (schema_uri(ctx, schema, uri, &known_as) != DBC_OK ||
	    dbc_sha256_hex(ctx, schema, strlen(schema), hex) != DBC_OK)
		return DBC_ERROR;
	if (known_as && check_uri(ctx, name, known_as, uri && *uri) != DBC_OK)
		return DBC_ERROR;
	r.uri = known_as;
	r.sha256 = hex;
	if (in_savepoint(ctx, write_registration, &r) != DBC_OK)
		return DBC_ERROR;
	*sha256 = dbc_strdup(ctx, hex);
	return *sha256 ? DBC_OK : DBC_ERROR;
}

typedef struct removal {
	const char *name;
	registration r;
} removal;

static int write_removal(dbc_ctx *ctx, void *arg)
{
	removal *m = arg;
	char *sql = dbc_printf(ctx, "DELETE FROM %sjson_schemas WHERE name = $1 RETURNING sha256",
	                       ctx->host->book_prefix);
	dbc_value key = dbc_text(m->name);
	if (!sql || ctx->host->query(ctx, sql, 1, &key, take_sha, &m->r) != DBC_OK)
		return DBC_ERROR;
	return m->r.existed ? record_change(ctx, m->name, m->r.old_sha256, NULL) : DBC_OK;
}

/* Whether a CHECK expression calls a dbjson_ function with name as a
 * literal (how a constraint names a registered schema). */
static bool names_schema(dbc_ctx *ctx, const char *expr, const char *quoted)
{
	(void)ctx;
	return expr && strstr(expr, "dbjson_") && strstr(expr, quoted);
}

typedef struct users_of {
	const char *quoted; /* the schema's name as a literal */
	bool computed_too;  /* a CHECK that computes its schema argument counts */
	dbc_js_user *items;
	int n, cap;
} users_of;

static int add_user(dbc_ctx *ctx, users_of *u, dbc_js_user user)
{
	if (!user.table || dbc_grow(ctx, &u->items, u->n, &u->cap, sizeof(dbc_js_user), 4) != DBC_OK)
		return DBC_ERROR;
	u->items[u->n++] = user;
	return DBC_OK;
}

/* Whether a CHECK expression may name u's schema: it names it as a
 * literal, or (computed_too) it computes a validator's schema argument. */
static bool uses(dbc_ctx *ctx, const users_of *u, const char *expr, bool *computed)
{
	*computed = false;
	if (names_schema(ctx, expr, u->quoted))
		return true;
	*computed = u->computed_too && expr && dbc_js_schema_arg_computed(expr);
	return *computed;
}

/* A domain CHECK naming the schema (rows of host->domain_constraints). */
static int take_domain_user(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	users_of *u = arg;
	if (ncol != 4 || c[0].type != DBC_TEXT || c[1].type != DBC_TEXT || c[2].type != DBC_TEXT ||
	    c[3].type != DBC_TEXT)
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "bad domain constraint row");
	bool computed;
	if (!uses(ctx, u, c[3].s, &computed))
		return DBC_OK;
	return add_user(ctx, u,
	                (dbc_js_user){.schema = dbc_strdup(ctx, c[0].s),
	                              .table = dbc_qualified_name(ctx, c[0].s, c[1].s),
	                              .constraint = dbc_strdup(ctx, c[2].s),
	                              .domain = true,
	                              .computed = computed});
}

static int schema_users(dbc_ctx *ctx, const char *name, bool computed_too, dbc_js_user **out,
                        int *n)
{
	dbc_schema s;
	bool computed;
	users_of u = {.quoted = ctx->host->quote_literal(ctx, name), .computed_too = computed_too};
	*out = NULL;
	*n = 0;
	dbc_schema_init(&s, ctx);
	if (!u.quoted || ctx->host->read_schema(ctx, &s) != DBC_OK)
		return DBC_ERROR;
	for (int t = 0; t < s.ntables; t++)
		for (int k = 0; k < s.tables[t].nconstraints; k++) {
			const dbc_table *tb = &s.tables[t];
			const dbc_constraint *c = &tb->constraints[k];
			if (c->kind != DBC_CON_CHECK || !uses(ctx, &u, c->expr, &computed))
				continue;
			if (add_user(ctx, &u,
			             (dbc_js_user){.schema = tb->schema,
			                           .table = dbc_qualified_name(ctx, tb->schema, tb->name),
			                           .name = tb->name,
			                           .constraint = c->name,
			                           .computed = computed}) != DBC_OK)
				return DBC_ERROR;
		}
	/* a domain's CHECK constrains every column of the domain */
	if (ctx->host->domain_constraints &&
	    ctx->host->domain_constraints(ctx, take_domain_user, &u) != DBC_OK)
		return DBC_ERROR;
	*out = u.items;
	*n = u.n;
	return DBC_OK;
}

int dbc_js_schema_users(dbc_ctx *ctx, const char *name, dbc_js_user **out, int *n)
{
	return schema_users(ctx, name, false, out, n);
}

/* PostgreSQL: a CHECK another transaction is adding is invisible here
 * until it commits, and nothing it locks until then serializes with a
 * reader (pg_constraint's lock is released at once). So unregister
 * refuses while another transaction holds the lock such a change takes
 * (the dialect's query), and where its snapshot could miss one committed
 * meanwhile (REPEATABLE READ, SERIALIZABLE). A CHECK added after the check
 * and committed before this transaction is the one case left (docs). */
static int constraints_settled(dbc_ctx *ctx)
{
	const dbc_dialect *d = ctx->host->dialect;
	char *fresh = NULL, *busy = NULL;
	if (!d->constraints_busy)
		return DBC_OK;
	if (ctx->host->query(ctx, d->constraints_fresh, 0, NULL, dbc_js_take_text, &fresh) != DBC_OK ||
	    ctx->host->query(ctx, d->constraints_busy, 0, NULL, dbc_js_take_text, &busy) != DBC_OK)
		return DBC_ERROR;
	if (!fresh || strcmp(fresh, "t") != 0)
		return dbc_error(ctx, "25001",
		                 "dbjson_unregister runs in a READ COMMITTED transaction only: in this "
		                 "one a constraint committed after its snapshot would not be seen");
	if (busy)
		return dbc_error(ctx, "55006",
		                 "dbjson_unregister cannot see the constraints another transaction may be "
		                 "adding (%s): try again when it has ended",
		                 busy);
	return DBC_OK;
}

int dbc_js_unregister(dbc_ctx *ctx, const char *name, bool *removed)
{
	dbc_js_user *users;
	int n;
	*removed = false;
	if (check_name(ctx, name) != DBC_OK)
		return DBC_ERROR;
	found_schema f;
	if (find_registered(ctx, name, &f) != DBC_OK || !f.found)
		return ctx->failed ? DBC_ERROR : DBC_OK; /* nothing registered: nothing to refuse */
	if (check_owner(ctx, name, f.owner, "remove") != DBC_OK)
		return DBC_ERROR;
	if (constraints_settled(ctx) != DBC_OK || schema_users(ctx, name, true, &users, &n) != DBC_OK)
		return DBC_ERROR;
	if (n > 0 && users[0].computed)
		return dbc_error(ctx, "2BP01",
		                 "constraint %s of %s%s computes the schema argument of a JSON validator, "
		                 "so it may name schema %s: dbjson_unregister cannot tell, and refuses "
		                 "while such a constraint exists (give the schema as a literal, or drop "
		                 "the constraint first)",
		                 users[0].constraint, users[0].domain ? "domain " : "", users[0].table,
		                 name);
	if (n > 0)
		return dbc_error(ctx, "2BP01",
		                 "schema %s is used by constraint %s of %s%s%s: drop the constraint first",
		                 name, users[0].constraint, users[0].domain ? "domain " : "",
		                 users[0].table, n > 1 ? dbc_printf(ctx, " and %d more", n - 1) : "");
	removal m = {.name = name};
	if (in_savepoint(ctx, write_removal, &m) != DBC_OK)
		return DBC_ERROR;
	*removed = m.r.existed;
	return DBC_OK;
}

static int take_listing(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	return ncol == 5 ? dbc_rows_add(arg, c) : dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "bad row");
}

int dbc_js_schemas(dbc_ctx *ctx, dbc_rows *out)
{
	bool present;
	dbc_rows_init(out, ctx, 5);
	if (dbc_js_registry_present(ctx, &present) != DBC_OK || !present)
		return ctx->failed ? DBC_ERROR : DBC_OK;
	char *sql = dbc_printf(ctx,
	                       "SELECT name, uri, sha256, CAST(length(schema) AS bigint),"
	                       " CAST(registered_at AS text) FROM %sjson_schemas ORDER BY name",
	                       ctx->host->book_prefix);
	return sql ? ctx->host->query(ctx, sql, 0, NULL, take_listing, out) : DBC_ERROR;
}
