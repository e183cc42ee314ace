/*
 * test_snapshot.c — the directly written canonical snapshot is byte for byte
 * jansson's sorted compact dump of the same document (escapes, key order,
 * duplicate keys, repaired UTF-8), the memo serves repeated calls, and the
 * catalog health checks decided from the model find what they should.
 */
#include "health/health.h"
#include "schema/schema.h"
#include "unit.h"

#include <jansson.h>

/* The text jansson gives for the document our writer produced. */
static char *jansson_canonical(const char *text)
{
	json_error_t err;
	json_t *v = json_loads(text, 0, &err);
	if (!v)
		return NULL;
	char *out = json_dumps(v, JSON_SORT_KEYS | JSON_COMPACT);
	json_decref(v);
	return out;
}

static void nasty_model(dbc_ctx *ctx, dbc_schema *s)
{
	dbc_schema_init(s, ctx);
	dbc_table *t = dbc_schema_add_table(s, NULL, "zeta\"\\\x01\x1f\x7f/");
	dbc_column *c = dbc_table_add_column(ctx, t, "col\n\t\b\f\r");
	c->type = "INTEGER";
	c->default_expr = "'caf\xc3\xa9 \xf0\x9f\x98\x80'";
	c->collation = "NOCASE";
	c->generated = "stored";
	c->hidden = true;
	c = dbc_table_add_column(ctx, t, "bad \xff\xfe byte");
	c->type = NULL;
	dbc_constraint *k = dbc_table_add_constraint(ctx, t, DBC_CON_CHECK, "dup");
	k->expr = "first";
	k = dbc_table_add_constraint(ctx, t, DBC_CON_UNIQUE, "dup"); /* the last one set wins */
	dbc_strlist_add(ctx, &k->columns, "col\n\t\b\f\r");
	k->deferrable = true;
	k = dbc_table_add_constraint(ctx, t, DBC_CON_FOREIGN_KEY, "a_fk");
	dbc_strlist_add(ctx, &k->columns, "x");
	k->ref_table = "alpha";
	k->validated = false;
	t->options = "strict";
	dbc_table *a = dbc_schema_add_table(s, NULL, "alpha");
	a->partition_of = "p";
	dbc_index *ix = dbc_schema_add_index(s, NULL, "ix\x02");
	ix->table = "alpha";
	ix->method = "btree";
	ix->valid = false;
	dbc_strlist_add(ctx, &ix->keys, "(expression)");
	dbc_object *o = dbc_schema_add_object(s, "view", NULL, "v");
	o->definition = "CREATE VIEW v AS SELECT '\xc3'";
	o = dbc_schema_add_object(s, "trigger", NULL, "trg");
	o->table = "alpha";
	o->enabled = false;
	dbc_schema_add_object(s, "view", NULL, "b\xc3\xa9");
}

static void test_writer(dbc_ctx *ctx)
{
	dbc_schema s;
	char *text = NULL;
	nasty_model(ctx, &s);
	CHECK(dbc_schema_snapshot_json(&s, &text) == DBC_OK && text, "nasty snapshot is written");
	char *ref = text ? jansson_canonical(text) : NULL;
	CHECK_STR(text, ref, "writer equals jansson's canonical dump");
	free(ref);
	CHECK(text && strstr(text, "\"bad ?? byte\""), "malformed bytes repaired to '?'");
	CHECK(text && strstr(text, "\"dup\":{\"columns\""), "the last constraint of a name wins");

	dbc_schema empty;
	dbc_schema_init(&empty, ctx);
	CHECK(dbc_schema_snapshot_json(&empty, &text) == DBC_OK, "empty snapshot");
	CHECK_STR(text, "{\"engine\":\"sqlite\",\"format\":1,\"index\":{},\"table\":{}}",
	          "empty snapshot text");

	dbc_schema bad;
	dbc_schema_init(&bad, ctx);
	dbc_schema_add_table(&bad, NULL, "overlong \xc0\x80 surrogate \xed\xa0\x80");
	CHECK(dbc_schema_snapshot_json(&bad, &text) == DBC_OK &&
	          strstr(text, "\"overlong ?? surrogate ???\""),
	      "overlong and surrogate sequences are repaired too");
}

static void test_memo(dbc_ctx *ctx)
{
	dbc_ctx keep;
	dbc_ctx_init(&keep, &unit_host, NULL);
	dbc_schema_memo memo = {&keep, NULL, NULL, NULL};
	dbc_schema s;
	char *fp1, *fp2, *snap;
	nasty_model(ctx, &s);
	s.memo = &memo;
	CHECK(dbc_schema_fingerprint_model(&s, &fp1) == DBC_OK && memo.fingerprint && memo.snapshot,
	      "the memo keeps snapshot and fingerprint");
	/* a memo is trusted: what it holds is what is served */
	memo.snapshot = "{}";
	CHECK(dbc_schema_snapshot_json(&s, &snap) == DBC_OK && strcmp(snap, "{}") == 0 &&
	          snap != memo.snapshot,
	      "snapshot served from the memo, as a copy");
	CHECK(dbc_schema_fingerprint_model(&s, &fp2) == DBC_OK && strcmp(fp1, fp2) == 0,
	      "fingerprint served from the memo");
	dbc_ctx_finish(&keep);
}

/* The PostgreSQL schema cache keeps a deep copy after the arena the model was
 * read into is gone: the copy must write the same snapshot on its own. */
static void test_copy(void)
{
	dbc_ctx src, dst;
	dbc_schema s, c, e, ce;
	char *before = NULL, *after = NULL, *empty = NULL, *copied_empty = NULL;
	dbc_ctx_init(&src, &unit_host, NULL);
	dbc_ctx_init(&dst, &unit_host, NULL);
	nasty_model(&src, &s);
	s.indexes[0].predicate = dbc_strdup(&src, "x > 0");
	s.indexes[0].key_detail = dbc_strdup(&src, "x 0 BINARY");
	CHECK(dbc_schema_snapshot_json(&s, &before) == DBC_OK, "snapshot of the original");
	CHECK(dbc_schema_copy(&dst, &s, &c) == DBC_OK, "model copied");
	CHECK(c.ctx == &dst && c.memo == NULL, "the copy belongs to its arena and has no memo");
	CHECK(c.tables != s.tables && c.tables[0].columns != s.tables[0].columns &&
	          c.tables[0].name != s.tables[0].name &&
	          c.indexes[0].keys.items != s.indexes[0].keys.items,
	      "arrays and strings are copied, not shared");
	before = dbc_strdup(&dst, before);
	dbc_ctx_finish(&src); /* the original's arena is gone */
	CHECK(dbc_schema_snapshot_json(&c, &after) == DBC_OK, "snapshot of the copy");
	CHECK_STR(after, before, "the copy writes the same snapshot");
	CHECK_STR(c.indexes[0].key_detail, "x 0 BINARY", "fields outside the snapshot are copied too");
	dbc_schema_init(&e, &dst);
	CHECK(dbc_schema_copy(&dst, &e, &ce) == DBC_OK && ce.ntables == 0 && ce.tables == NULL,
	      "an empty model copies");
	CHECK(dbc_schema_snapshot_json(&e, &empty) == DBC_OK &&
	          dbc_schema_snapshot_json(&ce, &copied_empty) == DBC_OK,
	      "empty snapshots");
	CHECK_STR(copied_empty, empty, "empty copy, same snapshot");
	dbc_ctx_finish(&dst);
}

static dbc_index *add_index(dbc_ctx *ctx, dbc_schema *s, const char *name, const char *table,
                            const char *keys, const char *detail)
{
	dbc_index *ix = dbc_schema_add_index(s, NULL, name);
	ix->table = (char *)table;
	dbc_strlist_split(ctx, &ix->keys, keys);
	ix->key_detail = detail ? dbc_strdup(ctx, detail) : NULL;
	return ix;
}

static const char *names(dbc_ctx *ctx, const dbc_health_fact *f)
{
	dbc_buf b;
	dbc_buf_init(&b, ctx);
	for (int i = 0; i < f->nobjects; i++)
		dbc_buf_appendf(&b, "%s%s%s%s", i ? "; " : "", f->objects[i].name,
		                f->objects[i].detail ? " " : "",
		                f->objects[i].detail ? f->objects[i].detail : "");
	return dbc_buf_finish(&b);
}

static void test_model_checks(dbc_ctx *ctx)
{
	dbc_schema s;
	dbc_schema_init(&s, ctx);
	dbc_table *p = dbc_schema_add_table(&s, NULL, "p");
	dbc_column *c = dbc_table_add_column(ctx, p, "id");
	c->type = "integer";
	dbc_constraint *k = dbc_table_add_constraint(ctx, p, DBC_CON_PRIMARY_KEY, "p_pkey");
	dbc_strlist_add(ctx, &k->columns, "id");
	k = dbc_table_add_constraint(ctx, p, DBC_CON_FOREIGN_KEY, "p_fk_0"); /* on the rowid */
	dbc_strlist_add(ctx, &k->columns, "id");
	k->ref_table = "q";
	dbc_table *q = dbc_schema_add_table(&s, NULL, "q");
	k = dbc_table_add_constraint(ctx, q, DBC_CON_FOREIGN_KEY, "q_fk_0");
	dbc_strlist_split(ctx, &k->columns, "b, a");
	k->ref_table = "p";
	k = dbc_table_add_constraint(ctx, q, DBC_CON_FOREIGN_KEY, "q_fk_1");
	dbc_strlist_add(ctx, &k->columns, "c");
	k->ref_table = "p";
	k->enforced = false;
	dbc_schema_add_table(&s, NULL, "v")->kind = "virtual table";
	add_index(ctx, &s, "q_ab", "q", "a, b, c", "a 0 BINARY,b 0 BINARY,c 0 BINARY");
	add_index(ctx, &s, "q_c_part", "q", "c", "c 0 BINARY")->partial = true;
	add_index(ctx, &s, "q_c1", "q", "c", "c 0 BINARY");
	add_index(ctx, &s, "q_c0", "q", "c", "c 0 BINARY")->unique = true;
	add_index(ctx, &s, "q_c_desc", "q", "c", "c 1 BINARY");
	add_index(ctx, &s, "q_expr", "q", "(expression)", NULL);
	add_index(ctx, &s, "q_expr2", "q", "(expression)", NULL);

	dbc_health_fact f = {0};
	CHECK(dbc_health_model_no_pk(ctx, &s, NULL, &f) == DBC_OK, "no_pk runs");
	CHECK_STR(names(ctx, &f), "q", "tables without a primary key (not virtual ones)");
	memset(&f, 0, sizeof f);
	CHECK(dbc_health_model_unindexed_fk(ctx, &s, true, &f) == DBC_OK, "unindexed_fk runs");
	CHECK_STR(names(ctx, &f), "",
	          "keys led by an index, in any order, or on the rowid are indexed");
	memset(&f, 0, sizeof f);
	dbc_health_model_unindexed_fk(ctx, &s, false, &f);
	CHECK_STR(names(ctx, &f), "p(id) references q",
	          "without the rowid rule the rowid key needs an index");
	memset(&f, 0, sizeof f);
	CHECK(dbc_health_model_duplicate_indexes(ctx, &s, &f) == DBC_OK, "duplicates run");
	CHECK_STR(names(ctx, &f), "q_c1 same as q_c0",
	          "unique kept; partial, descending and expression indexes are not duplicates");
	memset(&f, 0, sizeof f);
	bool on;
	CHECK(dbc_health_model_fks(ctx, &s, &f, &on) == DBC_OK && !on, "one key not enforced");
	CHECK(f.nobjects == 3, "one object per foreign key, not per table");
	bool *ixd = dbc_health_model_indexed(ctx, &s);
	CHECK(ixd && !ixd[0] && ixd[1] && !ixd[2], "tables with an index");
}

/* A relation's options by meaning (PostgreSQL's dialect): a boolean
 * option's value as true or false however spelled, anything else as it is,
 * and a recorded snapshot read by the same rule. */
static void test_options_meaning(void)
{
	dbc_host pg = unit_host;
	dbc_ctx ctx;
	pg.dialect = &pgdbc_dialect;
	dbc_ctx_init(&ctx, &pg, NULL);
	const char *same = "unlogged; with (autovacuum_enabled=false, fillfactor=70)";
	CHECK(dbc_options_by_meaning(&ctx, same) == same, "already by meaning: the same text");
	CHECK(dbc_options_by_meaning(&ctx, NULL) == NULL, "no options");
	CHECK_STR(dbc_options_by_meaning(&ctx, "with (autovacuum_enabled=OFF, fillfactor=70, "
	                                       "toast.vacuum_truncate=y, user_catalog_table=0)"),
	          "with (autovacuum_enabled=false, fillfactor=70, toast.vacuum_truncate=true, "
	          "user_catalog_table=false)",
	          "each boolean option by meaning");
	CHECK_STR(dbc_options_by_meaning(&ctx, " SELECT 1;\n WITH (security_invoker=on)"),
	          " SELECT 1;\n WITH (security_invoker=true)", "a view's options end its definition");
	const char *odd[] = {
	    "with (vacuum_index_cleanup=auto)",                   /* not a boolean spelling */
	    "with (security_invoker=o)",                          /* on or off? parse_bool refuses it */
	    "with (fillfactor=1)",                                /* not a boolean option */
	    " SELECT 'with (security_invoker=on)' AS x;",         /* the query's text */
	    "partition FOR VALUES WITH (modulus 2, remainder 0)", /* no name=value */
	    " SELECT f(1) WITH (security_barrier=yes) )",         /* not a list ending the text */
	};
	for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++)
		CHECK(dbc_options_by_meaning(&ctx, odd[i]) == odd[i], odd[i]);
	char *out;
	const char *old = "{\"engine\":\"postgresql\",\"format\":1,\"index\":{},"
	                  "\"table\":{\"public.t\":{\"kind\":\"table\",\"options\":"
	                  "\"with (autovacuum_enabled=off)\"}},\"view\":{\"public.v\":"
	                  "{\"definition\":\" SELECT 1; WITH (security_invoker=on)\"}}}";
	CHECK(dbc_snapshot_by_meaning(&ctx, old, &out) == DBC_OK, "a recorded snapshot reads");
	CHECK_STR(out,
	          "{\"engine\":\"postgresql\",\"format\":1,\"index\":{},"
	          "\"table\":{\"public.t\":{\"kind\":\"table\",\"options\":"
	          "\"with (autovacuum_enabled=false)\"}},\"view\":{\"public.v\":"
	          "{\"definition\":\" SELECT 1; WITH (security_invoker=true)\"}}}",
	          "its options by meaning, canonical text");
	const char *now = out;
	CHECK(dbc_snapshot_by_meaning(&ctx, now, &out) == DBC_OK && out == now,
	      "by meaning already: the same text");
	dbc_ctx_finish(&ctx);
}

int main(void)
{
	dbc_ctx ctx;
	dbc_ctx_init(&ctx, &unit_host, NULL);
	test_writer(&ctx);
	test_memo(&ctx);
	test_copy();
	test_model_checks(&ctx);
	dbc_ctx_finish(&ctx);
	test_options_meaning();
	return unit_done();
}
