/*
 * audit_options.c — the options of dbaudit_enable: parsed from JSON, checked
 * against the table, stored as canonical JSON with the key always named (so
 * the stored row alone says what the triggers record).
 */
#include "audit/audit.h"

#include "base/json.h"
#include "settings/settings.h"

#include <string.h>

bool dbc_audit_records(const dbc_audit_options *o, const char *column)
{
	if (dbc_strlist_find(&o->exclude, column) >= 0)
		return false;
	return o->columns.n == 0 || dbc_strlist_find(&o->columns, column) >= 0;
}

/* A JSON array of column names of t into *out; each must exist (or be one
 * the table's triggers follow though it was renamed), none twice. */
static int column_list(dbc_ctx *ctx, const dbc_audit_target *t, const json_t *v, const char *option,
                       dbc_strlist *out)
{
	if (!json_is_array(v))
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		                 "option \"%s\" must be an array of column names", option);
	size_t i;
	const json_t *item;
	json_array_foreach(v, i, item)
	{
		const char *name = json_string_value(item);
		if (!name)
			return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
			                 "option \"%s\" must be an array of column names", option);
		if (dbc_strlist_find(&t->columns, name) < 0 && dbc_strlist_find(&t->followed, name) < 0)
			return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
			                 "option \"%s\": table %s has no column \"%s\"", option, t->display,
			                 dbc_excerpt(ctx, name, DBC_EXCERPT));
		if (dbc_strlist_find(out, name) >= 0)
			return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
			                 "option \"%s\" names column \"%s\" twice", option,
			                 dbc_excerpt(ctx, name, DBC_EXCERPT));
		if (dbc_strlist_add(ctx, out, name) != DBC_OK)
			return DBC_ERROR;
	}
	return DBC_OK;
}

static int parse_object(dbc_ctx *ctx, const dbc_audit_target *t, const json_t *root,
                        dbc_audit_options *out)
{
	const char *k;
	const json_t *v;
	json_object_foreach((json_t *)root, k, v)
	{
		if (strcmp(k, "columns") == 0 || strcmp(k, "exclude") == 0 || strcmp(k, "key") == 0) {
			dbc_strlist *l = k[0] == 'c' ? &out->columns : k[0] == 'e' ? &out->exclude : &out->key;
			if (column_list(ctx, t, v, k, l) != DBC_OK)
				return DBC_ERROR;
		} else if (strcmp(k, "updates") == 0) {
			const char *s = json_string_value(v);
			if (!s || (strcmp(s, "changed") != 0 && strcmp(s, "full") != 0))
				return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
				                 "option \"updates\" must be \"changed\" or \"full\"");
			out->full_updates = strcmp(s, "full") == 0;
		} else if (strcmp(k, "mode") == 0) {
			const char *s = json_string_value(v);
			if (!s || (strcmp(s, "trigger") != 0 && strcmp(s, "wal") != 0))
				return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
				                 "option \"mode\" must be \"trigger\" or \"wal\"");
			out->wal = strcmp(s, "wal") == 0;
		} else if (strcmp(k, "baseline") == 0 || strcmp(k, "hash_chain") == 0) {
			if (!json_is_boolean(v))
				return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
				                 "option \"%s\" must be true or false", k);
			*(k[0] == 'b' ? &out->baseline : &out->hash_chain) = json_is_true(v);
		} else {
			dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "unknown option \"%s\"",
			          dbc_excerpt(ctx, k, DBC_EXCERPT));
			dbc_error_hint(
			    ctx,
			    "The options are columns, exclude, key, updates, baseline, hash_chain and mode.");
			return DBC_ERROR;
		}
	}
	return DBC_OK;
}

int dbc_audit_parse_options(dbc_ctx *ctx, const dbc_audit_target *t, const char *json,
                            dbc_audit_options *out)
{
	memset(out, 0, sizeof(*out));
	if (dbc_setting_get_bool(ctx, "audit.hash_chain", &out->hash_chain) != DBC_OK)
		return DBC_ERROR;
	if (json) {
		json_t *root = dbc_json_parse(ctx, json, "argument \"options\"");
		if (!root)
			return DBC_ERROR;
		int rc = json_is_object(root) ? parse_object(ctx, t, root, out)
		                              : dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		                                          "argument \"options\" must be a JSON object");
		json_decref(root);
		if (rc != DBC_OK)
			return DBC_ERROR;
	}
	if (out->key.n == 0) {
		if (t->primary_key.n == 0) {
			dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "table %s has no primary key", t->display);
			dbc_error_hint(ctx, "Name the columns that identify a row: "
			                    "dbaudit_enable(table, '{\"key\": [\"column\"]}').");
			return DBC_ERROR;
		}
		out->key = t->primary_key;
	}
	for (int i = 0; i < out->key.n; i++)
		if (dbc_strlist_find(&out->exclude, out->key.items[i]) >= 0)
			return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "key column \"%s\" cannot be excluded",
			                 out->key.items[i]);
	return DBC_OK;
}

static json_t *names_json(const dbc_strlist *l)
{
	json_t *a = json_array();
	for (int i = 0; a && i < l->n; i++)
		if (json_array_append_new(a, dbc_json_str(l->items[i])) != 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

int dbc_audit_options_mode(dbc_ctx *ctx, const char **options, const char *mode, bool *wal)
{
	*wal = false;
	json_t *root = *options ? dbc_json_parse(ctx, *options, "argument \"options\"") : json_object();
	if (!root)
		return DBC_ERROR;
	if (!json_is_object(root)) {
		json_decref(root);
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		                 "argument \"options\" must be a JSON object");
	}
	if (mode && json_object_set_new(root, "mode", json_string(mode)) != 0) {
		json_decref(root);
		return dbc_error(ctx, DBC_SQLSTATE_OUT_OF_MEMORY, "out of memory");
	}
	const char *m = json_string_value(json_object_get(root, "mode"));
	*wal = m && strcmp(m, "wal") == 0;
	if (mode)
		*options = dbc_json_dump(ctx, root, DBC_JSON_CANONICAL);
	json_decref(root);
	return mode && !*options ? DBC_ERROR : DBC_OK;
}

char *dbc_audit_options_json(dbc_ctx *ctx, const dbc_audit_options *o)
{
	json_t *root = json_object();
	bool ok = root && dbc_json_set(root, "key", names_json(&o->key)) &&
	          dbc_json_set(root, "updates", json_string(o->full_updates ? "full" : "changed")) &&
	          dbc_json_set(root, "baseline", json_boolean(o->baseline)) &&
	          dbc_json_set(root, "hash_chain", json_boolean(o->hash_chain));
	if (ok && o->wal) /* trigger mode, the default, is not written */
		ok = dbc_json_set(root, "mode", json_string("wal"));
	if (ok && o->columns.n > 0)
		ok = dbc_json_set(root, "columns", names_json(&o->columns));
	if (ok && o->exclude.n > 0)
		ok = dbc_json_set(root, "exclude", names_json(&o->exclude));
	char *s = ok ? dbc_json_dump(ctx, root, DBC_JSON_CANONICAL) : NULL;
	json_decref(root);
	if (!s && !ctx->failed)
		dbc_error(ctx, DBC_SQLSTATE_OUT_OF_MEMORY, "out of memory");
	return s;
}
