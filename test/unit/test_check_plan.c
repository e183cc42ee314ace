/*
 * test_check_plan.c — the statements planned for each constraint kind, in both
 * dialects, with hostile names: every identifier must arrive quoted, and the
 * semantics (MATCH SIMPLE / FULL, NULL keys, implicit parent keys) must show.
 */
#include "check/check.h"
#include "unit.h"

static dbc_host sqlite_host, pg_host;

/* A host that judges schema expressions: it refuses any text with "evil"
 * in it and keeps the text it was asked about. */
static const char *judged;
static int refuse_evil(dbc_ctx *ctx, const char *expr, char **why_not)
{
	judged = expr;
	*why_not = strstr(expr, "evil") ? dbc_strdup(ctx, "calls evil()") : NULL;
	return DBC_OK;
}

static dbc_constraint *con(dbc_ctx *ctx, dbc_table *t, dbc_constraint_kind k, const char *name,
                           const char *cols)
{
	dbc_constraint *c = dbc_table_add_constraint(ctx, t, k, name);
	if (cols)
		dbc_strlist_split(ctx, &c->columns, cols);
	return c;
}

static void cols(dbc_ctx *ctx, dbc_table *t, const char *csv)
{
	dbc_strlist l = {0};
	dbc_strlist_split(ctx, &l, csv);
	for (int i = 0; i < l.n; i++)
		dbc_table_add_column(ctx, t, l.items[i]);
}

static char *plan_sql(dbc_ctx *ctx, dbc_schema *s, dbc_table *t, dbc_constraint *c)
{
	dbc_check_plan p;
	if (dbc_check_plan_constraint(ctx, s, t, c, &p) != DBC_OK)
		return NULL;
	return p.sql;
}

static void test_sqlite(void)
{
	dbc_ctx ctx;
	dbc_ctx_init(&ctx, &sqlite_host, NULL);
	dbc_schema s;
	dbc_schema_init(&s, &ctx);

	dbc_table *par = dbc_schema_add_table(&s, NULL, "pa\"rent");
	cols(&ctx, par, "id,code");
	con(&ctx, par, DBC_CON_PRIMARY_KEY, "pa\"rent_pk", "id");
	con(&ctx, par, DBC_CON_UNIQUE, "pa\"rent_unique_0", "code");

	dbc_table *kid = dbc_schema_add_table(&s, NULL, "x\"; DROP TABLE t; --");
	cols(&ctx, kid, "a b,select,ünï");
	dbc_constraint *fk = con(&ctx, kid, DBC_CON_FOREIGN_KEY, "kid_fk_0", "a b");
	fk->ref_table = "pa\"rent"; /* no ref_columns: the parent's primary key */
	fk->match = "simple";
	CHECK_STR(
	    plan_sql(&ctx, &s, kid, fk),
	    "SELECT 1 AS w, c.rowid AS k1 FROM \"main\".\"x\"\"; DROP TABLE t; --\" AS c LEFT JOIN "
	    "\"main\".\"pa\"\"rent\" AS p ON p.\"id\" = +c.\"a b\" WHERE likely(c.\"a b\") IS "
	    "NOT NULL AND p.\"id\" IS NULL",
	    "sqlite fk to implicit primary key, hostile table name (LEFT JOIN anti-join)");

	dbc_constraint *fk2 = con(&ctx, kid, DBC_CON_FOREIGN_KEY, "kid_fk_1", "select, ünï");
	fk2->ref_table = "PA\"RENT"; /* SQLite matches table names case-insensitively */
	dbc_strlist_split(&ctx, &fk2->ref_columns, "id,code");
	fk2->match = "full";
	/* No unique index over (id, code): SQLite's "foreign key mismatch", a
	 * broken declaration, not checked. */
	dbc_check_plan mm;
	CHECK(dbc_check_plan_constraint(&ctx, &s, kid, fk2, &mm) == DBC_OK && !mm.sql && mm.skip &&
	          strstr(mm.skip, "foreign key mismatch") && strstr(mm.skip, "(id, code)"),
	      "sqlite fk to a parent key without unique index: not checked, a mismatch");
	dbc_index *ix_pair = dbc_schema_add_index(&s, NULL, "pa\"rent_pair");
	ix_pair->table = "pa\"rent";
	ix_pair->unique = true;
	dbc_strlist_split(&ctx, &ix_pair->keys, "code,ID"); /* any order, any ASCII case */
	CHECK_STR(
	    plan_sql(&ctx, &s, kid, fk2),
	    "SELECT 1 AS w, c.rowid AS k1 FROM \"main\".\"x\"\"; DROP TABLE t; --\" AS c LEFT JOIN "
	    "\"main\".\"pa\"\"rent\" AS p ON p.\"id\" = +c.\"select\" AND p.\"code\" = +c.\"ünï\" "
	    "WHERE likely(c.\"select\") IS NOT NULL AND likely(c.\"ünï\") IS NOT NULL AND p.\"id\" "
	    "IS NULL",
	    "sqlite composite fk: MATCH FULL is enforced as SIMPLE by SQLite, so checked so");

	dbc_check_plan op;
	CHECK(dbc_check_plan_orphans(&ctx, &s, kid, fk2, &op) == DBC_OK, "orphan plan");
	CHECK_STR(
	    op.sql,
	    "SELECT 1 AS w, c.rowid AS k1 FROM \"main\".\"x\"\"; DROP TABLE t; --\" AS c LEFT JOIN "
	    "\"main\".\"pa\"\"rent\" AS p ON p.\"id\" = +c.\"select\" AND p.\"code\" = +c.\"ünï\" "
	    "WHERE likely(c.\"select\") IS NOT NULL AND likely(c.\"ünï\") IS NOT NULL AND p.\"id\" "
	    "IS NULL",
	    "orphan plan");

	char *del = NULL;
	CHECK(dbc_check_plan_delete(&ctx, &s, kid, fk, &del) == DBC_OK, "delete plan");
	CHECK_STR(
	    del,
	    "DELETE FROM \"main\".\"x\"\"; DROP TABLE t; --\" AS c WHERE likely(c.\"a b\") IS "
	    "NOT NULL AND NOT EXISTS (SELECT 1 FROM \"main\".\"pa\"\"rent\" AS p WHERE p.\"id\" = "
	    "+c.\"a b\")",
	    "sqlite delete of orphans");

	/* A unique index tells the parent column's collation: the IN form, with
	 * the parent's collation named and the child value without affinity. */
	dbc_index *ix = dbc_schema_add_index(&s, NULL, "pa\"rent_code");
	ix->table = "pa\"rent";
	ix->unique = true;
	dbc_strlist_split(&ctx, &ix->keys, "code");
	ix->key_detail = "code 0 NO\"CASE";
	dbc_constraint *fk_ix = con(&ctx, kid, DBC_CON_FOREIGN_KEY, "kid_fk_3", "ünï");
	fk_ix->ref_table = "pa\"rent";
	dbc_strlist_split(&ctx, &fk_ix->ref_columns, "code");
	CHECK_STR(plan_sql(&ctx, &s, kid, fk_ix),
	          "SELECT 1 AS w, c.rowid AS k1 FROM \"main\".\"x\"\"; DROP TABLE t; --\" AS c WHERE "
	          "(+c.\"ünï\" COLLATE \"NO\"\"CASE\" IN (SELECT p.\"code\" FROM "
	          "\"main\".\"pa\"\"rent\" AS p)) IS NOT TRUE AND likely(c.\"ünï\") IS NOT NULL",
	          "sqlite fk to a uniquely indexed column: IN probe with the parent's collation");
	CHECK(dbc_check_plan_delete(&ctx, &s, kid, fk_ix, &del) == DBC_OK, "delete plan, IN form");
	CHECK_STR(
	    del,
	    "DELETE FROM \"main\".\"x\"\"; DROP TABLE t; --\" AS c WHERE "
	    "(+c.\"ünï\" COLLATE \"NO\"\"CASE\" IN (SELECT p.\"code\" FROM \"main\".\"pa\"\"rent\" "
	    "AS p)) IS NOT TRUE AND likely(c.\"ünï\") IS NOT NULL",
	    "sqlite delete of orphans, IN form");

	/* A second unique index that disagrees on the collation: unknown, so the
	 * LEFT JOIN, which takes the collation from the parent column itself. */
	dbc_index *ix2 = dbc_schema_add_index(&s, NULL, "pa\"rent_code_bin");
	ix2->table = "pa\"rent";
	ix2->unique = true;
	dbc_strlist_split(&ctx, &ix2->keys, "code");
	ix2->key_detail = "code 0 BINARY";
	CHECK(strstr(plan_sql(&ctx, &s, kid, fk_ix), " LEFT JOIN ") != NULL,
	      "disagreeing unique indexes: LEFT JOIN");

	/* An INTEGER PRIMARY KEY parent: the rowid, no collation to name. */
	dbc_table *ipk = dbc_schema_add_table(&s, NULL, "ipk");
	dbc_table_add_column(&ctx, ipk, "n")->type = "INTEGER";
	con(&ctx, ipk, DBC_CON_PRIMARY_KEY, "ipk_pk", "n");
	dbc_constraint *fk_ipk = con(&ctx, kid, DBC_CON_FOREIGN_KEY, "kid_fk_4", "select");
	fk_ipk->ref_table = "ipk";
	CHECK_STR(plan_sql(&ctx, &s, kid, fk_ipk),
	          "SELECT 1 AS w, c.rowid AS k1 FROM \"main\".\"x\"\"; DROP TABLE t; --\" AS c WHERE "
	          "(+c.\"select\" IN (SELECT p.\"n\" FROM \"main\".\"ipk\" AS p)) IS NOT TRUE AND "
	          "likely(c.\"select\") IS NOT NULL",
	          "sqlite fk to an INTEGER PRIMARY KEY: IN probe of the rowid");

	dbc_constraint *gone = con(&ctx, kid, DBC_CON_FOREIGN_KEY, "kid_fk_2", "a b");
	gone->ref_table = "nowhere";
	CHECK_STR(plan_sql(&ctx, &s, kid, gone),
	          "SELECT 1 AS w, c.rowid AS k1 FROM \"main\".\"x\"\"; DROP TABLE t; --\" AS c WHERE "
	          "likely(c.\"a b\") IS NOT NULL",
	          "fk to a missing table: every non-NULL key violates");

	dbc_constraint *ck = con(&ctx, kid, DBC_CON_CHECK, "kid_check_0", NULL);
	ck->expr = "\"a b\" > 0";
	CHECK_STR(plan_sql(&ctx, &s, kid, ck),
	          "SELECT 1 AS w, rowid AS k1 FROM \"main\".\"x\"\"; DROP TABLE t; --\" WHERE NOT "
	          "(\"a b\" > 0)",
	          "sqlite check");

	dbc_constraint *nn = con(&ctx, kid, DBC_CON_NOT_NULL, "kid_select_not_null", "select");
	CHECK_STR(plan_sql(&ctx, &s, kid, nn),
	          "SELECT 1 AS w, rowid AS k1 FROM \"main\".\"x\"\"; DROP TABLE t; --\" WHERE "
	          "likely(\"select\") IS NULL",
	          "sqlite not null: likely(), which SQLite neither folds to false nor calls");

	CHECK_STR(plan_sql(&ctx, &s, par, &par->constraints[1]),
	          "SELECT count(*) AS w, \"code\" AS k1 FROM \"main\".\"pa\"\"rent\" WHERE "
	          "likely(\"code\") IS NOT NULL GROUP BY \"code\" HAVING count(*) > 1",
	          "sqlite unique ignores NULL keys");
	CHECK_STR(plan_sql(&ctx, &s, par, &par->constraints[0]),
	          "SELECT count(*) AS w, \"id\" AS k1 FROM \"main\".\"pa\"\"rent\" GROUP BY \"id\" "
	          "HAVING count(*) > 1 OR likely(\"id\") IS NULL",
	          "sqlite primary key also reports NULL keys, in the same pass");
	dbc_check_plan pk_plan;
	CHECK(dbc_check_plan_constraint(&ctx, &s, par, &par->constraints[0], &pk_plan) == DBC_OK,
	      "sqlite primary key plan");
	CHECK_STR(pk_plan.precheck,
	          "SELECT (SELECT count(*) FROM (SELECT 1 FROM \"main\".\"pa\"\"rent\" "
	          "WHERE likely(\"id\") IS NOT NULL GROUP BY \"id\")) = "
	          "(SELECT count(*) FROM \"main\".\"pa\"\"rent\")",
	          "sqlite primary key precheck: non-NULL keys grouped = rows");
	CHECK(dbc_check_plan_constraint(&ctx, &s, par, &par->constraints[1], &pk_plan) == DBC_OK &&
	          pk_plan.precheck &&
	          strstr(pk_plan.precheck, "= (SELECT count(*) FROM \"main\".\"pa\"\"rent\" WHERE "
	                                   "likely(\"code\") IS NOT NULL)") != NULL,
	      "sqlite unique precheck counts the rows with a whole key only");
	CHECK(dbc_check_plan_constraint(&ctx, &s, kid, ck, &pk_plan) == DBC_OK && !pk_plan.precheck,
	      "no precheck for a CHECK");

	/* A unique index no constraint owns (CREATE UNIQUE INDEX): its keys are
	 * grouped by the index's collation, a partial index covers the rows of
	 * its WHERE, and that WHERE is judged by the host like a CHECK. */
	dbc_index *uix = dbc_schema_add_index(&s, NULL, "pa\"rent_ci");
	uix->table = "pa\"rent";
	uix->unique = uix->partial = true;
	dbc_strlist_split(&ctx, &uix->keys, "code");
	uix->key_detail = "code 0 NOCASE";
	uix->predicate = "id > 0";
	dbc_constraint uq = {0};
	uq.kind = DBC_CON_UNIQUE;
	uq.name = uix->name;
	uq.columns = uix->keys;
	uq.from_index = uix;
	sqlite_host.schema_expr_allowed = refuse_evil;
	judged = NULL;
	CHECK_STR(
	    plan_sql(&ctx, &s, par, &uq),
	    "SELECT count(*) AS w, \"code\" AS k1 FROM \"main\".\"pa\"\"rent\" WHERE "
	    "likely(\"code\") IS NOT NULL AND (id > 0) GROUP BY \"code\" COLLATE \"NOCASE\" HAVING "
	    "count(*) > 1",
	    "sqlite unique index: its collation and its WHERE");
	CHECK(judged && strcmp(judged, "id > 0") == 0, "the index's WHERE was judged by the host");
	uix->predicate = "evil(id)";
	dbc_check_plan up;
	CHECK(dbc_check_plan_constraint(&ctx, &s, par, &uq, &up) == DBC_OK && !up.sql && up.skip &&
	          strcmp(up.skip, "calls evil()") == 0,
	      "sqlite unique index with a refused WHERE: not checked");
	sqlite_host.schema_expr_allowed = NULL;

	/* INTEGER PRIMARY KEY without an index of its own is the rowid: nothing
	 * to scan. With a type other than INTEGER it is a real key again. */
	dbc_table *ra = dbc_schema_add_table(&s, NULL, "ra");
	cols(&ctx, ra, "id,v");
	ra->columns[0].type = "integer";
	dbc_constraint *rpk = con(&ctx, ra, DBC_CON_PRIMARY_KEY, "ra_pkey", "id");
	CHECK_STR(plan_sql(&ctx, &s, ra, rpk),
	          "SELECT count(*) AS w, \"id\" AS k1 FROM \"main\".\"ra\" WHERE 0 GROUP BY \"id\" "
	          "HAVING count(*) > 1 UNION ALL SELECT 1, \"id\" FROM \"main\".\"ra\" WHERE 0",
	          "sqlite rowid alias primary key: constant-false, no scan");
	ra->columns[0].type = "int";
	CHECK(strstr(plan_sql(&ctx, &s, ra, rpk), "HAVING count(*) > 1 OR likely(\"id\") IS NULL") !=
	          NULL,
	      "sqlite INT primary key is not the rowid: checked");

	/* WITHOUT ROWID: the sample key is the primary key. */
	dbc_table *wr = dbc_schema_add_table(&s, NULL, "order");
	wr->options = "without rowid";
	cols(&ctx, wr, "k1,k2,v");
	con(&ctx, wr, DBC_CON_PRIMARY_KEY, "order_pk", "k1,k2");
	dbc_constraint *wck = con(&ctx, wr, DBC_CON_CHECK, "order_check_0", NULL);
	wck->expr = "v <> 'x'";
	CHECK_STR(plan_sql(&ctx, &s, wr, wck),
	          "SELECT 1 AS w, \"k1\" AS k1, \"k2\" AS k2 FROM \"main\".\"order\" WHERE NOT (v <> "
	          "'x')",
	          "without rowid: key is the primary key");

	/* A column called rowid shadows it; _rowid_ still means the rowid. */
	dbc_table *sh = dbc_schema_add_table(&s, NULL, "shadow");
	cols(&ctx, sh, "rowid,x");
	dbc_constraint *snn = con(&ctx, sh, DBC_CON_NOT_NULL, "shadow_x_not_null", "x");
	CHECK_STR(plan_sql(&ctx, &s, sh, snn),
	          "SELECT 1 AS w, _rowid_ AS k1 FROM \"main\".\"shadow\" WHERE likely(\"x\") IS "
	          "NULL",
	          "shadowed rowid falls back to _rowid_");

	/* The host judges the very text pasted into the statement; a refused
	 * expression is planned as a skip with the host's reason and no SQL. */
	sqlite_host.schema_expr_allowed = refuse_evil;
	dbc_constraint *bad = con(&ctx, sh, DBC_CON_CHECK, "evil", NULL);
	bad->expr = "CHECK (x > 0 OR evil(x))";
	dbc_check_plan bp;
	CHECK(dbc_check_plan_constraint(&ctx, &s, sh, bad, &bp) == DBC_OK, "refused check planned");
	CHECK_STR(judged, "(x > 0 OR evil(x))", "the host judges the bare expression");
	CHECK(bp.sql == NULL, "refused check: no statement");
	CHECK_STR(bp.skip, "calls evil()", "refused check: the host's reason");
	bad->expr = "x > 0";
	CHECK(dbc_check_plan_constraint(&ctx, &s, sh, bad, &bp) == DBC_OK && bp.sql && !bp.skip,
	      "an allowed expression is planned");
	sqlite_host.schema_expr_allowed = NULL;

	/* FK naming no columns of a parent without a primary key. */
	dbc_table *np = dbc_schema_add_table(&s, NULL, "nopk");
	cols(&ctx, np, "a");
	dbc_constraint *fk3 = con(&ctx, sh, DBC_CON_FOREIGN_KEY, "shadow_fk_0", "x");
	fk3->ref_table = "nopk";
	CHECK(dbc_check_plan_constraint(&ctx, &s, sh, fk3, &bp) == DBC_ERROR,
	      "implicit parent key without primary key is an error");
	dbc_error_clear(&ctx);

	dbc_ctx_finish(&ctx);
}

static void test_pg(void)
{
	dbc_ctx ctx;
	dbc_ctx_init(&ctx, &pg_host, NULL);
	dbc_schema s;
	dbc_schema_init(&s, &ctx);

	dbc_table *par = dbc_schema_add_table(&s, "sch ema", "Parent");
	cols(&ctx, par, "a,b");
	con(&ctx, par, DBC_CON_PRIMARY_KEY, "Parent_pkey", "a,b");
	par->kind = "partitioned table";

	dbc_table *kid = dbc_schema_add_table(&s, "public", "kid");
	cols(&ctx, kid, "x,y,z");
	dbc_constraint *fk = con(&ctx, kid, DBC_CON_FOREIGN_KEY, "kid_x_y_fkey", "x,y");
	fk->ref_schema = "sch ema";
	fk->ref_table = "Parent";
	dbc_strlist_split(&ctx, &fk->ref_columns, "a,b");
	fk->match = "simple";
	CHECK_STR(plan_sql(&ctx, &s, kid, fk),
	          "SELECT coalesce(sum(v.w), 0)::bigint, coalesce(jsonb_agg(jsonb_build_array(v.k1, "
	          "v.k2)) FILTER (WHERE v.r <= 5), '[]'::jsonb)::text FROM (SELECT d.*, row_number() "
	          "OVER () AS r FROM (SELECT 1 AS w, c.\"x\" AS k1, c.\"y\" AS k2 FROM ONLY "
	          "\"public\".\"kid\" AS c WHERE c.\"x\" IS NOT NULL AND c.\"y\" IS NOT NULL AND NOT "
	          "EXISTS (SELECT 1 FROM \"sch ema\".\"Parent\" AS p WHERE p.\"a\" = c.\"x\" AND "
	          "p.\"b\" = c.\"y\")) AS d) AS v",
	          "pg composite fk into a partitioned parent, no primary key: fk columns as key");

	dbc_constraint *ff = con(&ctx, kid, DBC_CON_FOREIGN_KEY, "kid_full", "x,y");
	ff->ref_schema = "sch ema";
	ff->ref_table = "Parent";
	ff->match = "full";
	CHECK(strstr(plan_sql(&ctx, &s, kid, ff),
	             "WHERE (c.\"x\" IS NOT NULL OR c.\"y\" IS NOT NULL) AND (c.\"x\" IS NULL OR "
	             "c.\"y\" IS NULL OR NOT EXISTS (SELECT 1 FROM \"sch ema\".\"Parent\" AS p WHERE "
	             "p.\"a\" = c.\"x\" AND p.\"b\" = c.\"y\"))") != NULL,
	      "pg MATCH FULL: partly NULL keys violate, implicit parent key resolved");
	dbc_check_plan fo;
	CHECK(dbc_check_plan_orphans(&ctx, &s, kid, ff, &fo) == DBC_OK &&
	          strstr(fo.sql, "WHERE c.\"x\" IS NOT NULL AND c.\"y\" IS NOT NULL AND NOT EXISTS") !=
	              NULL,
	      "orphans use MATCH SIMPLE even for a MATCH FULL key");

	dbc_constraint *ck = con(&ctx, kid, DBC_CON_CHECK, "kid_z_check", NULL);
	ck->expr = "CHECK ((z > 0)) NOT VALID";
	CHECK_STR(
	    plan_sql(&ctx, &s, kid, ck),
	    "SELECT coalesce(sum(v.w), 0)::bigint, coalesce(jsonb_agg(v.k1) FILTER (WHERE v.r <= "
	    "5), '[]'::jsonb)::text FROM (SELECT d.*, row_number() OVER () AS r FROM (SELECT 1 AS "
	    "w, ctid::text AS k1 FROM ONLY \"public\".\"kid\" WHERE NOT (((z > 0)))) AS d) AS v",
	    "pg NOT VALID check, ctid key");

	char *del = NULL;
	CHECK(dbc_check_plan_delete(&ctx, &s, kid, fk, &del) == DBC_OK, "pg delete plan");
	CHECK_STR(del,
	          "WITH d AS (DELETE FROM ONLY \"public\".\"kid\" AS c WHERE c.\"x\" IS NOT NULL AND "
	          "c.\"y\" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM \"sch ema\".\"Parent\" AS p WHERE "
	          "p.\"a\" = c.\"x\" AND p.\"b\" = c.\"y\") RETURNING 1) SELECT count(*) FROM d",
	          "pg delete returns its count");
	dbc_ctx_finish(&ctx);
}

static void test_find_table(void)
{
	dbc_ctx ctx;
	dbc_ctx_init(&ctx, &pg_host, NULL);
	dbc_schema s;
	dbc_schema_init(&s, &ctx);
	dbc_schema_add_table(&s, "public", "t");
	dbc_schema_add_table(&s, "other", "t");
	dbc_schema_add_table(&s, "other", "u.v");
	const dbc_table *t;
	CHECK(dbc_check_find_table(&ctx, &s, "other.t", "table", &t) == DBC_OK &&
	          strcmp(t->schema, "other") == 0,
	      "qualified name");
	CHECK(dbc_check_find_table(&ctx, &s, "u.v", "table", &t) == DBC_OK, "bare name with a dot");
	CHECK(dbc_check_find_table(&ctx, &s, "t", "table", &t) == DBC_ERROR, "ambiguous bare name");
	CHECK_STR(ctx.sqlstate, "22023", "ambiguous: 22023");
	dbc_error_clear(&ctx);
	CHECK(dbc_check_find_table(&ctx, &s, "x'; DROP TABLE t; --", "child_table", &t) == DBC_ERROR,
	      "injection attempt is just a missing table");
	CHECK_STR(ctx.message,
	          "table \"x'; DROP TABLE t; --\" named by argument \"child_table\" does not exist",
	          "missing table message names the argument");
	dbc_ctx_finish(&ctx);
}

/* A table's CHECK and NOT NULL constraints in one statement: each keeps its
 * own predicate as a flag, the rows kept are those violating any of them. */
static void test_row_local(void)
{
	dbc_ctx ctx;
	dbc_ctx_init(&ctx, &sqlite_host, NULL);
	dbc_schema s;
	dbc_schema_init(&s, &ctx);
	dbc_table *t = dbc_schema_add_table(&s, NULL, "li\"nes");
	cols(&ctx, t, "qty,code");
	dbc_constraint *ck = con(&ctx, t, DBC_CON_CHECK, "c_qty", NULL);
	ck->expr = "qty > 0";
	dbc_constraint *nn = con(&ctx, t, DBC_CON_NOT_NULL, "c_code_nn", "code");
	const dbc_constraint *both[] = {ck, nn};
	dbc_check_plan p;
	sqlite_host.schema_expr_allowed = refuse_evil;
	judged = NULL;
	CHECK(dbc_check_plan_row_local(&ctx, &s, t, both, 2, &p) == DBC_OK, "sqlite row-local plan");
	CHECK(p.shape == DBC_PLAN_STREAM && p.nkeys == 1 && !p.skip, "sqlite: streamed, rowid key");
	CHECK_STR(p.sql,
	          "SELECT CASE WHEN NOT (qty > 0) THEN 1 ELSE 0 END AS f1, CASE WHEN likely(\"code\") "
	          "IS NULL THEN 1 ELSE 0 END AS f2, rowid AS k1 FROM \"main\".\"li\"\"nes\" WHERE (NOT "
	          "(qty > 0)) OR (likely(\"code\") IS NULL)",
	          "sqlite: one scan, one flag per constraint");
	CHECK(judged && strcmp(judged, "qty > 0") == 0, "sqlite: the host judged the CHECK's text");
	dbc_constraint *evil = con(&ctx, t, DBC_CON_CHECK, "c_evil", NULL);
	evil->expr = "evil(qty)";
	const dbc_constraint *bad[] = {ck, evil};
	CHECK(dbc_check_plan_row_local(&ctx, &s, t, bad, 2, &p) == DBC_ERROR,
	      "a refused CHECK cannot join the shared scan");
	dbc_error_clear(&ctx);
	sqlite_host.schema_expr_allowed = NULL;
	dbc_ctx_finish(&ctx);

	dbc_ctx_init(&ctx, &pg_host, NULL);
	dbc_schema_init(&s, &ctx);
	t = dbc_schema_add_table(&s, "public", "lines");
	cols(&ctx, t, "id,qty,code");
	con(&ctx, t, DBC_CON_PRIMARY_KEY, "lines_pkey", "id");
	ck = con(&ctx, t, DBC_CON_CHECK, "c_qty", NULL);
	ck->expr = "CHECK ((qty > 0)) NOT VALID";
	dbc_constraint *ck2 = con(&ctx, t, DBC_CON_CHECK, "c_code", NULL);
	ck2->expr = "CHECK ((length(code) = 3))";
	const dbc_constraint *pg2[] = {ck, ck2};
	CHECK(dbc_check_plan_row_local(&ctx, &s, t, pg2, 2, &p) == DBC_OK, "pg row-local plan");
	CHECK(p.shape == DBC_PLAN_AGGREGATE && p.nkeys == 1, "pg: one aggregate row");
	CHECK_STR(p.sql,
	          "SELECT count(*) FILTER (WHERE v.f1)::bigint, coalesce(jsonb_agg(v.k1) FILTER (WHERE "
	          "v.f1 AND v.r1 <= 5), '[]'::jsonb)::text, count(*) FILTER (WHERE v.f2)::bigint, "
	          "coalesce(jsonb_agg(v.k1) FILTER (WHERE v.f2 AND v.r2 <= 5), '[]'::jsonb)::text FROM "
	          "(SELECT d.*, count(*) FILTER (WHERE d.f1) OVER (ROWS UNBOUNDED PRECEDING) AS r1, "
	          "count(*) FILTER (WHERE d.f2) OVER (ROWS UNBOUNDED PRECEDING) AS r2 FROM (SELECT "
	          "(NOT (((qty > 0)))) IS TRUE AS f1, (NOT (((length(code) = 3)))) IS TRUE AS f2, "
	          "\"id\" AS k1 FROM ONLY \"public\".\"lines\" WHERE (NOT (((qty > 0)))) OR (NOT "
	          "(((length(code) = 3))))) AS d) AS v",
	          "pg: a count and a five-row sample per constraint, primary key as key");
	dbc_constraint *fk = con(&ctx, t, DBC_CON_FOREIGN_KEY, "lines_fk", "qty");
	fk->ref_table = "other";
	const dbc_constraint *withfk[] = {ck, fk};
	CHECK(dbc_check_plan_row_local(&ctx, &s, t, withfk, 2, &p) == DBC_ERROR,
	      "a foreign key is not row-local");
	dbc_error_clear(&ctx);
	dbc_ctx_finish(&ctx);
}

int main(void)
{
	sqlite_host = unit_host;
	sqlite_host.dialect = &sqldbc_dialect;
	pg_host = unit_host;
	pg_host.dialect = &pgdbc_dialect;
	test_sqlite();
	test_pg();
	test_find_table();
	test_row_local();
	return unit_done();
}
