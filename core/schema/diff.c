/*
 * diff.c — dbschema_diff: compares two canonical snapshots object by object and
 * says in words what changed inside a changed object ("columns.email: added",
 * "columns.name.type: \"text\" -> \"varchar(80)\""), so drift reports read well.
 * Relation options compare by meaning (options_meaning.c).
 */
#include "base/json.h"
#include "schema/schema.h"

#include <string.h>

static bool named_array(const json_t *a)
{
	if (!json_is_array(a) || json_array_size(a) == 0)
		return false;
	size_t i;
	json_t *el;
	json_array_foreach(a, i, el)
	{
		if (!json_is_string(json_object_get(el, "name")))
			return false;
	}
	return true;
}

static json_t *find_named(const json_t *a, const char *name, size_t *pos)
{
	size_t i;
	json_t *el;
	json_array_foreach(a, i, el)
	{
		if (strcmp(json_string_value(json_object_get(el, "name")), name) == 0) {
			*pos = i;
			return el;
		}
	}
	return NULL;
}

static void note(dbc_buf *b, const char *path, const char *what)
{
	if (b->len)
		dbc_buf_append(b, "; ");
	dbc_buf_append(b, path);
	dbc_buf_append(b, ": ");
	dbc_buf_append(b, what);
}

/* mutually recursive: describe and describe_named_arrays call each other */
static void describe(dbc_ctx *ctx, dbc_buf *b, const char *path, const json_t *a, const json_t *c);

static void describe_named_arrays(dbc_ctx *ctx, dbc_buf *b, const char *path, const json_t *a,
                                  const json_t *c)
{
	size_t i, pos;
	json_t *el;
	bool reordered = false;
	size_t common = 0;
	json_array_foreach(a, i, el)
	{
		const char *name = json_string_value(json_object_get(el, "name"));
		char *sub = dbc_printf(ctx, "%s.%s", path, name);
		json_t *other = find_named(c, name, &pos);
		if (!sub)
			return;
		if (!other) {
			note(b, sub, "removed");
			continue;
		}
		if (pos != common++)
			reordered = true;
		describe(ctx, b, sub, el, other);
	}
	json_array_foreach(c, i, el)
	{
		const char *name = json_string_value(json_object_get(el, "name"));
		if (!find_named(a, name, &pos)) {
			char *sub = dbc_printf(ctx, "%s.%s", path, name);
			if (!sub)
				return;
			note(b, sub, "added");
		}
	}
	if (reordered)
		note(b, path, "order changed");
}

static void describe(dbc_ctx *ctx, dbc_buf *b, const char *path, const json_t *a, const json_t *c)
{
	if (json_equal((json_t *)a, (json_t *)c))
		return;
	if (json_is_object(a) && json_is_object(c)) {
		size_t na, nc;
		const char **ka = dbc_json_sorted_keys(ctx, a, &na);
		const char **kc = dbc_json_sorted_keys(ctx, c, &nc);
		if (!ka || !kc)
			return;
		size_t i = 0, j = 0;
		while (i < na || j < nc) {
			int cmp = i == na ? 1 : j == nc ? -1 : strcmp(ka[i], kc[j]);
			const char *key = cmp <= 0 ? ka[i] : kc[j];
			char *sub = *path ? dbc_printf(ctx, "%s.%s", path, key) : dbc_strdup(ctx, key);
			if (!sub)
				return;
			if (cmp < 0) {
				note(b, sub, "removed");
				i++;
			} else if (cmp > 0) {
				note(b, sub, "added");
				j++;
			} else {
				describe(ctx, b, sub, json_object_get(a, key), json_object_get(c, key));
				i++;
				j++;
			}
		}
		return;
	}
	if (named_array(a) && named_array(c)) {
		describe_named_arrays(ctx, b, path, a, c);
		return;
	}
	char *from = dbc_json_dump(ctx, a, JSON_COMPACT | JSON_ENCODE_ANY);
	char *to = dbc_json_dump(ctx, c, JSON_COMPACT | JSON_ENCODE_ANY);
	if (from && to)
		note(b, *path ? path : "value", dbc_printf(ctx, "%s -> %s", from, to));
}

static int check_shape(dbc_ctx *ctx, const json_t *snap, const char *arg)
{
	if (!json_is_object(snap) || !json_is_integer(json_object_get(snap, "format")))
		return dbc_error(
		    ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		    "argument \"%s\" is not a dbcare schema snapshot (an object with \"format\")", arg);
	const char *key;
	json_t *val;
	json_object_foreach((json_t *)snap, key, val)
	{
		if (strcmp(key, "format") == 0 || strcmp(key, "engine") == 0)
			continue;
		if (!json_is_object(val))
			return dbc_error(
			    ctx, DBC_SQLSTATE_BAD_ARGUMENT,
			    "argument \"%s\" is not a dbcare schema snapshot: section \"%s\" is not an object",
			    arg, key);
	}
	return DBC_OK;
}

/* Appends a change, its texts copied out of the snapshots' JSON (freed at
 * the end of the diff). */
static int add_change(dbc_ctx *ctx, dbc_schema_changes *out, const char *type, const char *name,
                      const char *change, const char *detail)
{
	if (dbc_grow(ctx, &out->items, out->n, &out->cap, sizeof(*out->items), 16) != DBC_OK)
		return DBC_ERROR;
	dbc_schema_change *c = &out->items[out->n];
	c->object_type = dbc_strdup(ctx, type);
	c->object_name = dbc_strdup(ctx, name);
	c->change = change;
	c->detail = detail ? dbc_strdup(ctx, detail) : NULL;
	if (ctx->failed)
		return DBC_ERROR;
	out->n++;
	return DBC_OK;
}

static int diff_section(dbc_ctx *ctx, const char *type, const json_t *a, const json_t *c,
                        dbc_schema_changes *out)
{
	size_t na, nc;
	const char **ka = dbc_json_sorted_keys(ctx, a, &na);
	const char **kc = dbc_json_sorted_keys(ctx, c, &nc);
	if (!ka || !kc)
		return DBC_ERROR;
	size_t i = 0, j = 0;
	while (i < na || j < nc) {
		int cmp = i == na ? 1 : j == nc ? -1 : strcmp(ka[i], kc[j]);
		const char *name, *change, *detail = NULL;
		if (cmp < 0) {
			name = ka[i++];
			change = "removed";
		} else if (cmp > 0) {
			name = kc[j++];
			change = "added";
		} else {
			const json_t *oa = json_object_get(a, ka[i]), *oc = json_object_get(c, kc[j]);
			name = ka[i];
			i++;
			j++;
			if (json_equal((json_t *)oa, (json_t *)oc))
				continue;
			dbc_buf b;
			dbc_buf_init(&b, ctx);
			describe(ctx, &b, "", oa, oc);
			change = "changed";
			detail = dbc_buf_finish(&b);
		}
		if (ctx->failed || add_change(ctx, out, type, name, change, detail) != DBC_OK)
			return DBC_ERROR;
	}
	return DBC_OK;
}

int dbc_schema_changes_of(dbc_ctx *ctx, const char *from_json, const char *to_json,
                          dbc_schema_changes *out)
{
	json_t *a = dbc_json_parse(ctx, from_json, "argument \"from\"");
	if (!a)
		return DBC_ERROR;
	json_t *c = dbc_json_parse(ctx, to_json, "argument \"to\"");
	if (!c) {
		json_decref(a);
		return DBC_ERROR;
	}
	int rc = check_shape(ctx, a, "from");
	if (rc == DBC_OK)
		rc = check_shape(ctx, c, "to");
	/* options by meaning on both sides: a snapshot recorded before the
	 * rule (0.3.8) says autovacuum_enabled=off where today's says =false */
	if (rc == DBC_OK &&
	    (dbc_snapshot_tree_by_meaning(ctx, a) < 0 || dbc_snapshot_tree_by_meaning(ctx, c) < 0))
		rc = DBC_ERROR;
	const json_t *ea = json_object_get(a, "engine"), *ec = json_object_get(c, "engine");
	if (rc == DBC_OK && ea && ec && !json_equal((json_t *)ea, (json_t *)ec))
		rc = dbc_error(
		    ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		    "the two snapshots come from different engines; compare snapshots of one engine");
	/* Walk the union of the section names in sorted order. */
	json_t *types = rc == DBC_OK ? json_object() : NULL;
	/* no static empty object: in PostgreSQL jansson allocates in the call's context */
	json_t *empty = rc == DBC_OK ? json_object() : NULL;
	if (rc == DBC_OK && (!types || !empty))
		rc = dbc_error(ctx, DBC_SQLSTATE_OUT_OF_MEMORY, "out of memory");
	const char *key;
	json_t *val;
	if (rc == DBC_OK) {
		json_object_foreach(a, key, val) if (json_is_object(val))
		    json_object_set(types, key, json_null());
		json_object_foreach(c, key, val) if (json_is_object(val))
		    json_object_set(types, key, json_null());
		size_t n;
		const char **keys = dbc_json_sorted_keys(ctx, types, &n);
		if (!keys)
			rc = DBC_ERROR;
		for (size_t k = 0; rc == DBC_OK && k < n; k++) {
			const json_t *sa = json_object_get(a, keys[k]), *sc = json_object_get(c, keys[k]);
			rc = diff_section(ctx, keys[k], sa ? sa : empty, sc ? sc : empty, out);
		}
	}
	json_decref(types);
	json_decref(empty);
	json_decref(a);
	json_decref(c);
	return rc;
}

int dbc_schema_diff(dbc_ctx *ctx, const char *from_json, const char *to_json, dbc_rows *out)
{
	dbc_schema_changes changes = {0};
	dbc_rows_init(out, ctx, 4);
	if (dbc_schema_changes_of(ctx, from_json, to_json, &changes) != DBC_OK)
		return DBC_ERROR;
	for (int i = 0; i < changes.n; i++) {
		const dbc_schema_change *c = &changes.items[i];
		dbc_value row[4] = {dbc_text(c->object_type), dbc_text(c->object_name), dbc_text(c->change),
		                    c->detail ? dbc_text(c->detail) : dbc_null()};
		if (dbc_rows_add(out, row) != DBC_OK)
			return DBC_ERROR;
	}
	return DBC_OK;
}
