/*
 * snapshot.c — the canonical snapshot of a schema model and its fingerprint.
 * Canonical means: objects keyed by qualified name, keys sorted, no OIDs or
 * creation order anywhere, so the same schema always gives the same text.
 * Column order is kept: it is part of a table's definition (SELECT *).
 */
#include "json.h"
#include "schema.h"
#include "sha256.h"

#include <string.h>

#define DBC_SNAPSHOT_FORMAT 1

static json_t *strlist_json(const dbc_strlist *l)
{
	json_t *a = json_array();
	for (int i = 0; a && i < l->n; i++)
		if (json_array_append_new(a, dbc_json_str(l->items[i])) != 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static json_t *column_json(const dbc_column *c)
{
	json_t *o = json_object();
	bool ok = o && dbc_json_set(o, "name", dbc_json_str(c->name)) &&
	          dbc_json_set(o, "type", dbc_json_str(c->type ? c->type : "")) &&
	          dbc_json_set(o, "not_null", json_boolean(c->not_null)) &&
	          dbc_json_set(o, "default", dbc_json_str(c->default_expr)) &&
	          (!c->generated || dbc_json_set(o, "generated", dbc_json_str(c->generated))) &&
	          (!c->collation || dbc_json_set(o, "collation", dbc_json_str(c->collation))) &&
	          (!c->hidden || dbc_json_set(o, "hidden", json_true()));
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *constraint_json(dbc_ctx *ctx, const dbc_constraint *c)
{
	json_t *o = json_object();
	bool ok = o && dbc_json_set(o, "kind", json_string(dbc_constraint_kind_name(c->kind))) &&
	          dbc_json_set(o, "columns", strlist_json(&c->columns));
	if (ok && c->kind == DBC_CON_FOREIGN_KEY) {
		ok = dbc_json_set(o, "references",
		                  dbc_json_str(dbc_qualified_name(ctx, c->ref_schema, c->ref_table))) &&
		     dbc_json_set(o, "ref_columns", strlist_json(&c->ref_columns)) &&
		     dbc_json_set(o, "match", dbc_json_str(c->match ? c->match : "simple")) &&
		     dbc_json_set(o, "on_update", dbc_json_str(c->on_update ? c->on_update : "no action")) &&
		     dbc_json_set(o, "on_delete", dbc_json_str(c->on_delete ? c->on_delete : "no action"));
	}
	if (ok && c->expr)
		ok = dbc_json_set(o, "expression", dbc_json_str(c->expr));
	if (ok && c->deferrable)
		ok = dbc_json_set(o, "deferrable", json_true()) &&
		     dbc_json_set(o, "initially_deferred", json_boolean(c->initially_deferred));
	if (ok && !c->validated)
		ok = dbc_json_set(o, "validated", json_false());
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *table_json(dbc_ctx *ctx, const dbc_table *t)
{
	json_t *o = json_object();
	if (!o)
		return NULL;
	/* Attach the containers first: from then on o owns them on every path. */
	json_t *cols = json_array(), *cons = json_object();
	if (!dbc_json_set(o, "columns", cols)) {
		json_decref(cons);
		json_decref(o);
		return NULL;
	}
	bool ok = dbc_json_set(o, "constraints", cons) && dbc_json_set(o, "kind", dbc_json_str(t->kind));
	for (int i = 0; ok && i < t->ncolumns; i++)
		ok = json_array_append_new(cols, column_json(&t->columns[i])) == 0;
	for (int i = 0; ok && i < t->nconstraints; i++)
		ok = dbc_json_set(cons, t->constraints[i].name, constraint_json(ctx, &t->constraints[i]));
	if (ok && t->partition_of)
		ok = dbc_json_set(o, "partition_of", dbc_json_str(t->partition_of));
	if (ok && t->options)
		ok = dbc_json_set(o, "options", dbc_json_str(t->options));
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *index_json(const dbc_index *ix)
{
	json_t *o = json_object();
	bool ok = o && dbc_json_set(o, "table", dbc_json_str(ix->table)) &&
	          dbc_json_set(o, "unique", json_boolean(ix->unique)) &&
	          dbc_json_set(o, "method", dbc_json_str(ix->method)) &&
	          dbc_json_set(o, "keys", strlist_json(&ix->keys)) &&
	          dbc_json_set(o, "predicate", dbc_json_str(ix->predicate)) &&
	          dbc_json_set(o, "definition", dbc_json_str(ix->definition)) &&
	          (ix->valid || dbc_json_set(o, "valid", json_false()));
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *object_json(const dbc_object *ob)
{
	json_t *o = json_object();
	bool ok = o && dbc_json_set(o, "definition", dbc_json_str(ob->definition)) &&
	          (!ob->table || dbc_json_set(o, "table", dbc_json_str(ob->table))) &&
	          (ob->enabled || dbc_json_set(o, "enabled", json_false()));
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* The section of root for an object type, created on first use. */
static json_t *section(json_t *root, const char *type)
{
	json_t *s = json_object_get(root, type);
	if (s)
		return s;
	s = json_object();
	return dbc_json_set(root, type, s) ? s : NULL;
}

static int snapshot_build(dbc_schema *s, char **out)
{
	dbc_ctx *ctx = s->ctx;
	json_t *root = json_object();
	bool ok = root && dbc_json_set(root, "engine", json_string(s->engine)) &&
	          dbc_json_set(root, "format", json_integer(DBC_SNAPSHOT_FORMAT));
	/* Empty sections are always present so two empty schemas compare equal
	 * and readers need not test for absence. */
	ok = ok && section(root, "table") && section(root, "index");
	for (int i = 0; ok && i < s->ntables; i++) {
		const dbc_table *t = &s->tables[i];
		char *qn = dbc_qualified_name(ctx, t->schema, t->name);
		ok = qn && dbc_json_set(section(root, "table"), qn, table_json(ctx, t));
	}
	for (int i = 0; ok && i < s->nindexes; i++) {
		const dbc_index *ix = &s->indexes[i];
		if (ix->constraint) /* described by its constraint already */
			continue;
		char *qn = dbc_qualified_name(ctx, ix->schema, ix->name);
		ok = qn && dbc_json_set(section(root, "index"), qn, index_json(ix));
	}
	for (int i = 0; ok && i < s->nobjects; i++) {
		const dbc_object *ob = &s->objects[i];
		char *qn = dbc_qualified_name(ctx, ob->schema, ob->name);
		json_t *sec = qn ? section(root, ob->type) : NULL;
		ok = sec && dbc_json_set(sec, qn, object_json(ob));
	}
	if (!ok) {
		json_decref(root);
		if (!ctx->failed)
			dbc_error(ctx, DBC_SQLSTATE_OUT_OF_MEMORY, "out of memory while building the schema snapshot");
		return DBC_ERROR;
	}
	*out = dbc_json_dump(ctx, root, JSON_SORT_KEYS | JSON_COMPACT);
	json_decref(root);
	return *out ? DBC_OK : DBC_ERROR;
}

int dbc_schema_snapshot_json(dbc_schema *s, char **out)
{
	dbc_schema_memo *m = s->memo;
	if (m && m->snapshot) {
		*out = dbc_strdup(s->ctx, m->snapshot);
		return *out ? DBC_OK : DBC_ERROR;
	}
	if (snapshot_build(s, out) != DBC_OK)
		return DBC_ERROR;
	if (m) {
		m->snapshot = dbc_strdup(m->ctx, *out);
		if (!m->snapshot)
			return dbc_error(s->ctx, DBC_SQLSTATE_OUT_OF_MEMORY, "out of memory");
	}
	return DBC_OK;
}

int dbc_schema_fingerprint_model(dbc_schema *s, char **hex_out)
{
	dbc_schema_memo *m = s->memo;
	char *json;
	if (m && m->fingerprint) {
		*hex_out = dbc_strdup(s->ctx, m->fingerprint);
		return *hex_out ? DBC_OK : DBC_ERROR;
	}
	if (dbc_schema_snapshot_json(s, &json) != DBC_OK ||
	    dbc_schema_fingerprint_of(s->ctx, json, hex_out) != DBC_OK)
		return DBC_ERROR;
	if (m) {
		m->fingerprint = dbc_strdup(m->ctx, *hex_out);
		if (!m->fingerprint)
			return dbc_error(s->ctx, DBC_SQLSTATE_OUT_OF_MEMORY, "out of memory");
	}
	return DBC_OK;
}

int dbc_schema_fingerprint_of(dbc_ctx *ctx, const char *snapshot_json, char **out)
{
	char hex[DBC_SHA256_HEX_LEN + 1];
	if (dbc_sha256_hex(ctx, snapshot_json, strlen(snapshot_json), hex) != DBC_OK)
		return DBC_ERROR;
	*out = dbc_strdup(ctx, hex);
	return *out ? DBC_OK : DBC_ERROR;
}

int dbc_schema_snapshot(dbc_ctx *ctx, dbc_schema_reader reader, char **json_out)
{
	dbc_schema s;
	dbc_schema_init(&s, ctx, ctx->host->engine);
	if (reader(ctx, &s) != DBC_OK)
		return DBC_ERROR;
	return dbc_schema_snapshot_json(&s, json_out);
}

int dbc_schema_fingerprint(dbc_ctx *ctx, dbc_schema_reader reader, char **hex_out)
{
	dbc_schema s;
	dbc_schema_init(&s, ctx, ctx->host->engine);
	if (reader(ctx, &s) != DBC_OK)
		return DBC_ERROR;
	return dbc_schema_fingerprint_model(&s, hex_out);
}
