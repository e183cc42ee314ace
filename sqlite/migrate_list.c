/*
 * migrate_list.c — dbmigrate_add_all's argument, a JSON array of objects
 * {"version", "name", "up", "down"}, decoded by SQLite's own json_tree in
 * one pass (a folder's worth of scripts is a few hundred kilobytes: the
 * engine's parser reads it in about a third of the instructions a
 * general-purpose JSON library takes, building no object per member).
 * Decoding only: what the fields must hold is dbmigrate_add's rules, in
 * the core (core/migrate/migrate_batch.c).
 */
#include "conn.h"
#include "migrate/migrate.h"

#include <stddef.h>
#include <string.h>

typedef struct list_state {
	dbc_migrate_item *items;
	int n, cap;
	int64_t element; /* json_tree id of the object being read; -1 before the first */
	bool root_seen;
} list_state;

static int grow(dbc_ctx *ctx, list_state *st)
{
	if (st->n < st->cap)
		return DBC_OK;
	int cap = st->cap ? st->cap * 2 : 64;
	dbc_migrate_item *items = dbc_zalloc(ctx, sizeof(dbc_migrate_item) * (size_t)cap);
	if (!items)
		return DBC_ERROR;
	if (st->n)
		memcpy(items, st->items, sizeof(dbc_migrate_item) * (size_t)st->n);
	st->items = items;
	st->cap = cap;
	return DBC_OK;
}

static const char **member_slot(dbc_migrate_item *item, const char *key)
{
	return strcmp(key, "version") == 0 ? &item->version
	       : strcmp(key, "name") == 0  ? &item->name
	       : strcmp(key, "up") == 0    ? &item->up
	       : strcmp(key, "down") == 0  ? &item->down
	                                   : NULL;
}

/* One json_tree row: id, parent, type, key, atom (document order: the root
 * array, then each element followed by its members and anything below
 * them). */
static int take_node(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	list_state *st = arg;
	const char *type = ncol == 5 && c[2].type == DBC_TEXT ? c[2].s : "";
	if (!st->root_seen) {
		st->root_seen = true;
		if (strcmp(type, "array") != 0)
			return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
			                 "migrations must be a JSON array of objects with \"version\", "
			                 "\"name\", \"up\" and \"down\"");
		return DBC_OK;
	}
	if (c[1].type == DBC_INT && c[1].i == 0) { /* an element of the array */
		if (strcmp(type, "object") != 0)
			return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
			                 "migration %d of the list is not a JSON object", st->n + 1);
		if (grow(ctx, st) != DBC_OK)
			return DBC_ERROR;
		st->items[st->n++] = (dbc_migrate_item){0};
		st->element = c[0].i;
		return DBC_OK;
	}
	if (c[1].type != DBC_INT || c[1].i != st->element)
		return DBC_OK; /* below a member: that member is refused already */
	const char *key = c[3].type == DBC_TEXT ? c[3].s : "";
	const char **slot = member_slot(&st->items[st->n - 1], key);
	if (!slot)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		                 "migration %d of the list has an unknown member \"%s\" (expected "
		                 "\"version\", \"name\", \"up\", \"down\")",
		                 st->n, key);
	if (strcmp(type, "null") == 0)
		return DBC_OK;
	if (strcmp(type, "text") != 0)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		                 "\"%s\" of migration %d of the list is not a string", key, st->n);
	*slot = dbc_strdup(ctx, c[4].s);
	return *slot ? DBC_OK : DBC_ERROR;
}

/* Whether the text holds the escape \u0000 (a backslash that is not itself
 * escaped, then u0000): SQLite's JSON functions end a string there, which
 * would silently cut a script short, so the list is refused instead, as
 * dbmigrate_add refuses a NUL in its arguments. */
static bool has_nul_escape(const char *json)
{
	for (const char *p = strstr(json, "\\u0000"); p; p = strstr(p + 1, "\\u0000")) {
		size_t run = 1;
		while ((size_t)(p - json) >= run && p[-(ptrdiff_t)run] == '\\')
			run++;
		if (run % 2 == 1)
			return true;
	}
	return false;
}

int sqldbc_migrate_list(dbc_ctx *ctx, const char *json, dbc_migrate_item **items, int *n)
{
	list_state st = {.element = -1};
	dbc_value p = dbc_text(json);
	*items = NULL;
	*n = 0;
	if (has_nul_escape(json))
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		                 "migrations contains a NUL character (\\u0000)");
	if (ctx->host->query(ctx,
	                     "SELECT id, parent, type, key, atom FROM json_tree($1) "
	                     "WHERE json_valid($1)",
	                     1, &p, take_node, &st) != DBC_OK)
		return DBC_ERROR;
	if (!st.root_seen)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "migrations is not valid JSON");
	*items = st.items;
	*n = st.n;
	return DBC_OK;
}
