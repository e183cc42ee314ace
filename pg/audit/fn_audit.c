/*
 * fn_audit.c — dbaudit_* for PostgreSQL: the wrappers around core/audit/ and
 * what only PostgreSQL can do for it (dbc_audit_hooks): resolving a table
 * name in the catalog, making and dropping the triggers of
 * pg/audit/audit_trigger.c, and the baseline snapshot.
 *
 * The triggers' form: PostgreSQL fires a statement trigger only for the
 * table a statement names and never clones one to partitions, so a table
 * that is partitioned, a partition, or part of an inheritance tree gets a
 * row-level trigger (cloned to every partition, also those attached later;
 * fired for the table a row is stored in, whichever table the statement
 * names); every other table gets the statement triggers, one call a
 * statement.
 */
#include "pg/host/glue.h"

#include "audit_glue.h"
#include "audit_wal.h"

#include "audit/audit.h"
#include "pg/health/health_glue.h"

#include "utils/builtins.h"
#include "utils/timestamp.h"

/* A name as the caller wrote it ('orders', 'shop.orders', '"My Table"'):
 * qualified, that schema's table; unqualified, the one table of that name
 * in any schema (pg_temp_N included, so a temporary table is found and
 * refused), and where several schemas have one, the table PostgreSQL itself
 * would take: a temporary one, else the first on the caller's search_path
 * (pgdbc_name_path; the function's own path is pinned). */
static const char resolve_sql[] =
    "WITH p AS (SELECT pg_catalog.parse_ident($1) AS a)"
    " SELECT c.oid::pg_catalog.int8,"
    " pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname),"
    " c.relkind::pg_catalog.text, c.relpersistence::pg_catalog.text, n.nspname::pg_catalog.text"
    " FROM p, pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
    " WHERE c.relname = p.a[pg_catalog.array_length(p.a, 1)]"
    " AND CASE pg_catalog.array_length(p.a, 1)"
    "  WHEN 1 THEN n.nspname NOT IN ('pg_catalog', 'information_schema', 'dbcare')"
    "   AND n.nspname !~ '^pg_toast'"
    "  WHEN 2 THEN n.nspname = p.a[1] ELSE false END"
    " ORDER BY c.relpersistence = 't'";

typedef struct found_rel {
	int64_t oid;
	char *name;
	char kind;
	char persistence;
	char *schema;
} found_rel;

typedef struct found_rels {
	int n, cap;
	found_rel *items;
} found_rels;

static int collect_rel(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	found_rels *f = arg;
	(void)ncol;
	if (dbc_grow(ctx, &f->items, f->n, &f->cap, sizeof(*f->items), 2) != DBC_OK)
		return DBC_ERROR;
	found_rel *r = &f->items[f->n++];
	r->oid = c[0].i;
	r->name = dbc_strdup(ctx, c[1].s);
	r->kind = c[2].s[0];
	r->persistence = c[3].s[0];
	r->schema = dbc_strdup(ctx, c[4].s);
	return r->name && r->schema ? DBC_OK : DBC_ERROR;
}

/* Of several tables of one unqualified name, the one PostgreSQL takes: a
 * temporary table (its schema is searched first), else the one of the
 * first schema of the caller's search_path that has one; NULL when none
 * is on the path (the name stays ambiguous). */
static const found_rel *as_search_path_takes(dbc_ctx *ctx, const found_rels *f)
{
	for (int i = 0; i < f->n; i++)
		if (f->items[i].persistence == 't')
			return &f->items[i];
	char **path = pgdbc_name_path(ctx);
	for (int p = 0; path && path[p]; p++)
		for (int i = 0; i < f->n; i++)
			if (strcmp(f->items[i].schema, path[p]) == 0)
				return &f->items[i];
	return NULL;
}

static int collect_name(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	(void)ncol;
	return dbc_strlist_add(ctx, arg, c[0].s);
}

/* Rows (name, number) into two lists, arg: dbc_strlist *[2]. */
static int collect_pair(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	dbc_strlist **lists = arg;
	(void)ncol;
	return dbc_strlist_add(ctx, lists[0], c[0].s) == DBC_OK ? dbc_strlist_add(ctx, lists[1], c[1].s)
	                                                        : DBC_ERROR;
}

static int resolve(dbc_ctx *ctx, const char *table, dbc_audit_target *out, bool *found)
{
	found_rels all = {0};
	dbc_value arg = dbc_text(table);
	*found = false;
	if (ctx->host->query(ctx, resolve_sql, 1, &arg, collect_rel, &all) != DBC_OK)
		return DBC_ERROR;
	if (all.n == 0)
		return DBC_OK;
	const found_rel *pick = all.n == 1 ? &all.items[0] : as_search_path_takes(ctx, &all);
	if (!pick)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		                 "table name \"%s\" is ambiguous: qualify it with its schema",
		                 dbc_excerpt(ctx, table, DBC_EXCERPT));
	found_rel f = *pick;
	memset(out, 0, sizeof(*out));
	out->name = f.name;
	*found = true;
	out->kind = f.persistence == 't'             ? DBC_AUDIT_TEMPORARY
	            : f.kind == 'r' || f.kind == 'p' ? DBC_AUDIT_TABLE
	            : f.kind == 'v'                  ? DBC_AUDIT_VIEW
	            : f.kind == 'm'                  ? DBC_AUDIT_MATVIEW
	            : f.kind == 'f'                  ? DBC_AUDIT_FOREIGN
	                                             : DBC_AUDIT_OTHER;
	if (out->kind != DBC_AUDIT_TABLE)
		return DBC_OK;
	char *oid = dbc_printf(ctx, "%lld", (long long)f.oid);
	if (!oid)
		return DBC_ERROR;
	arg = dbc_text(oid);
	if (ctx->host->query(ctx,
	                     "SELECT attname::pg_catalog.text FROM pg_catalog.pg_attribute"
	                     " WHERE attrelid = $1::pg_catalog.oid AND attnum > 0"
	                     " AND NOT attisdropped ORDER BY attnum",
	                     1, &arg, collect_name, &out->columns) != DBC_OK ||
	    ctx->host->query(ctx,
	                     "SELECT a.attname::pg_catalog.text FROM pg_catalog.pg_index i,"
	                     " pg_catalog.unnest(i.indkey) WITH ORDINALITY k(attnum, ord),"
	                     " pg_catalog.pg_attribute a"
	                     " WHERE i.indrelid = $1::pg_catalog.oid AND i.indisprimary"
	                     " AND a.attrelid = i.indrelid AND a.attnum = k.attnum ORDER BY k.ord",
	                     1, &arg, collect_name, &out->primary_key) != DBC_OK)
		return DBC_ERROR;
	/* the columns its current trigger follows by number, kept by
	 * dbaudit_refresh (trigger_args) */
	pgdbc_audit_followed_args fa = {(Oid)f.oid, 0, NULL, NULL};
	if (pgdbc_guarded(ctx, pgdbc_audit_followed, &fa) != DBC_OK)
		return DBC_ERROR;
	for (int i = 0; i < fa.n; i++)
		if (dbc_strlist_add(ctx, &out->followed, fa.names[i]) != DBC_OK ||
		    dbc_strlist_add(ctx, &out->followed_ids, fa.numbers[i]) != DBC_OK)
			return DBC_ERROR;
	return DBC_OK;
}

/* The trigger's arguments (pg/audit/audit_trigger.c's file comment). */
static int trigger_args(dbc_ctx *ctx, const dbc_audit_target *t, const dbc_audit_options *o,
                        dbc_strlist *args)
{
	const char *mode = o->full_updates ? (o->hash_chain ? "full+chain" : "full")
	                                   : (o->hash_chain ? "changed+chain" : "changed");
	if (o->wal) /* the disabled trigger of wal mode (pg/audit/audit_decode.c) */
		mode = dbc_printf(ctx, "%s+wal", mode);
	if (!mode || dbc_strlist_add(ctx, args, t->name) != DBC_OK ||
	    dbc_strlist_add(ctx, args, mode) != DBC_OK ||
	    dbc_strlist_add(ctx, args, dbc_printf(ctx, "%d", o->key.n)) != DBC_OK)
		return DBC_ERROR;
	for (int i = 0; i < o->key.n; i++)
		if (dbc_strlist_add(ctx, args, o->key.items[i]) != DBC_OK)
			return DBC_ERROR;
	for (int i = 0; i < o->columns.n; i++)
		if (dbc_strlist_add(ctx, args, dbc_printf(ctx, "+%s", o->columns.items[i])) != DBC_OK)
			return DBC_ERROR;
	for (int i = 0; i < o->exclude.n; i++)
		if (dbc_strlist_add(ctx, args, dbc_printf(ctx, "-%s", o->exclude.items[i])) != DBC_OK)
			return DBC_ERROR;
	/* "@" and the attribute number of each key and column argument, so the
	 * trigger follows a renamed column (pg/audit/audit_trigger.c). A column the
	 * table's current trigger follows keeps its number (dbaudit_refresh):
	 * the option's name may since belong to another column, or to none. */
	dbc_strlist names = {0}, numbers = {0};
	dbc_value rel = dbc_text(t->name);
	if (dbc_strlist_add(ctx, args, "@") != DBC_OK ||
	    ctx->host->query(ctx,
	                     "SELECT attname::pg_catalog.text, attnum::pg_catalog.text"
	                     " FROM pg_catalog.pg_attribute WHERE attrelid = $1::pg_catalog.regclass"
	                     " AND attnum > 0 AND NOT attisdropped",
	                     1, &rel, collect_pair, (dbc_strlist *[]){&names, &numbers}) != DBC_OK)
		return DBC_ERROR;
	const dbc_strlist *groups[] = {&o->key, &o->columns, &o->exclude};
	for (int g = 0; g < 3; g++)
		for (int i = 0; i < groups[g]->n; i++) {
			int kept = dbc_strlist_find(&t->followed, groups[g]->items[i]);
			int at = dbc_strlist_find(&names, groups[g]->items[i]);
			const char *number = kept >= 0 ? t->followed_ids.items[kept]
			                     : at >= 0 ? numbers.items[at]
			                               : "0";
			if (dbc_strlist_add(ctx, args, number) != DBC_OK)
				return DBC_ERROR;
		}
	return DBC_OK;
}

/* One statement-level trigger per operation (PostgreSQL allows a transition
 * table only on a trigger of one event): each writes all entries of a
 * statement in one call (pg/audit/audit_trigger.c). TRUNCATE has no rows. */
static const char install_sql[] = "CREATE TRIGGER dbcare_audit_insert AFTER INSERT ON %s"
                                  " REFERENCING NEW TABLE AS dbcare_new"
                                  " FOR EACH STATEMENT EXECUTE FUNCTION dbcare.audit_trigger(%s);"
                                  " CREATE TRIGGER dbcare_audit_update AFTER UPDATE ON %s"
                                  " REFERENCING OLD TABLE AS dbcare_old NEW TABLE AS dbcare_new"
                                  " FOR EACH STATEMENT EXECUTE FUNCTION dbcare.audit_trigger(%s);"
                                  " CREATE TRIGGER dbcare_audit_delete AFTER DELETE ON %s"
                                  " REFERENCING OLD TABLE AS dbcare_old"
                                  " FOR EACH STATEMENT EXECUTE FUNCTION dbcare.audit_trigger(%s);"
                                  " CREATE TRIGGER dbcare_audit_truncate AFTER TRUNCATE ON %s"
                                  " FOR EACH STATEMENT EXECUTE FUNCTION dbcare.audit_trigger(%s)";

/* The row-level form (the file comment). Named after the table's OID: a
 * partition audited by itself also carries the clone of its audited
 * parent's trigger, which has the parent's name. TRUNCATE has no rows and
 * fires only on the table it names. */
static const char install_rows_sql[] =
    "CREATE TRIGGER dbcare_audit_row_%s AFTER INSERT OR UPDATE OR DELETE ON %s"
    " FOR EACH ROW EXECUTE FUNCTION dbcare.audit_trigger(%s);"
    " CREATE TRIGGER dbcare_audit_truncate AFTER TRUNCATE ON %s"
    " FOR EACH STATEMENT EXECUTE FUNCTION dbcare.audit_trigger(%s)";

/* Whether table c needs the row-level form (install and the health check). */
#define NEEDS_ROW_FORM                                                                             \
	"(c.relkind = 'p' OR c.relispartition OR EXISTS (SELECT FROM pg_catalog.pg_inherits i"         \
	" WHERE i.inhrelid = c.oid OR i.inhparent = c.oid))"

/* [0] the table's OID, [1] "true" when it needs the row-level form. */
static const char form_sql[] = "SELECT c.oid::pg_catalog.text, " NEEDS_ROW_FORM "::pg_catalog.text"
                               " FROM pg_catalog.pg_class c WHERE c.oid = $1::pg_catalog.regclass";

/* Wal mode: one trigger before each statement, which logs the context the
 * WAL lacks (the user, dbcare.actor) and whose arguments tell the decoder
 * how to record the table's changes (pg/audit/audit_decode.c), and the old rows
 * whole in the WAL (REPLICA IDENTITY FULL: the old values of an update and
 * a delete, and the TOAST values an update left unchanged). */
static const char install_wal_sql[] =
    "CREATE TRIGGER " PGDBC_AUDIT_WAL_TRIGGER " BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE"
    " ON %s FOR EACH STATEMENT EXECUTE FUNCTION dbcare.audit_trigger(%s);"
    " ALTER TABLE %s REPLICA IDENTITY FULL";

static int install(dbc_ctx *ctx, const dbc_audit_target *t, const dbc_audit_options *o)
{
	dbc_strlist args = {0};
	dbc_buf b;
	if (trigger_args(ctx, t, o, &args) != DBC_OK)
		return DBC_ERROR;
	dbc_buf_init(&b, ctx);
	for (int i = 0; i < args.n; i++) {
		char *q = ctx->host->quote_literal(ctx, args.items[i]);
		if (!q)
			return DBC_ERROR;
		dbc_buf_appendf(&b, "%s%s", i ? ", " : "", q);
	}
	char *list = dbc_buf_finish(&b);
	const char *n = t->name;
	dbc_strlist oid = {0}, rows = {0};
	dbc_value rel = dbc_text(n);
	if (!list || ctx->host->query(ctx, form_sql, 1, &rel, collect_pair,
	                              (dbc_strlist *[]){&oid, &rows}) != DBC_OK)
		return DBC_ERROR;
	bool row_form = rows.n == 1 && strcmp(rows.items[0], "true") == 0;
	if (o->wal && row_form) {
		dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		          "mode \"wal\" audits tables outside partition and inheritance trees; %s is in"
		          " one",
		          t->display);
		dbc_error_hint(ctx, "Audit it in mode \"trigger\" (the default).");
		return DBC_ERROR;
	}
	char *sql = o->wal     ? dbc_printf(ctx, install_wal_sql, n, list, n)
	            : row_form ? dbc_printf(ctx, install_rows_sql, oid.items[0], n, list, n, list)
	                       : dbc_printf(ctx, install_sql, n, list, n, list, n, list, n, list);
	return sql ? ctx->host->exec(ctx, sql) : DBC_ERROR;
}

/* The table now carrying an audit trigger made for the table stored as $1
 * (its first argument): the table renamed since (its triggers follow it). */
static const char renamed_sql[] =
    "SELECT g.tgrelid::pg_catalog.regclass::pg_catalog.text FROM pg_catalog.pg_trigger g"
    " WHERE g.tgfoid = 'dbcare.audit_trigger()'::pg_catalog.regprocedure AND g.tgparentid = 0"
    " AND pg_catalog.position(g.tgargs, '\\x00'::pg_catalog.bytea) > 1"
    " AND pg_catalog.substr(g.tgargs, 1,"
    "  pg_catalog.position(g.tgargs, '\\x00'::pg_catalog.bytea) - 1)"
    "  = pg_catalog.convert_to($1, pg_catalog.getdatabaseencoding())"
    " ORDER BY g.oid LIMIT 1";

static int uninstall(dbc_ctx *ctx, const char *name)
{
	dbc_audit_target t;
	bool found;
	if (resolve(ctx, name, &t, &found) != DBC_OK)
		return DBC_ERROR;
	if (!found) {
		/* renamed since it was enabled: its triggers followed it */
		char *now = NULL;
		dbc_value stored = dbc_text(name);
		if (dbc_query_text(ctx, renamed_sql, 1, &stored, &now, NULL) != DBC_OK)
			return DBC_ERROR;
		if (!now)
			return DBC_OK;
		t.name = now;
	}
	/* the table's own audit triggers, whichever form and build made them
	 * (dbcare_audit: the row-level trigger of builds before 0.3.0), so
	 * nothing is said about others; not the clones of an audited parent's
	 * trigger on a partition, which are the parent's */
	dbc_strlist names = {0};
	dbc_value arg = dbc_text(t.name);
	if (ctx->host->query(ctx,
	                     "SELECT pg_catalog.quote_ident(tgname) FROM pg_catalog.pg_trigger"
	                     " WHERE tgrelid = $1::pg_catalog.regclass AND tgparentid = 0"
	                     " AND tgfoid = 'dbcare.audit_trigger()'::pg_catalog.regprocedure"
	                     " ORDER BY tgname",
	                     1, &arg, collect_name, &names) != DBC_OK)
		return DBC_ERROR;
	for (int i = 0; i < names.n; i++) {
		char *sql = dbc_printf(ctx, "DROP TRIGGER %s ON %s", names.items[i], t.name);
		if (!sql || ctx->host->exec(ctx, sql) != DBC_OK)
			return DBC_ERROR;
	}
	return DBC_OK;
}

static int baseline(dbc_ctx *ctx, const dbc_audit_target *t, const dbc_audit_options *o)
{
	dbc_strlist args = {0};
	char *fn = NULL;
	bool found;
	if (trigger_args(ctx, t, o, &args) != DBC_OK ||
	    dbc_query_text(ctx,
	                   "SELECT 'dbcare.audit_trigger()'::pg_catalog.regprocedure::pg_catalog.oid",
	                   0, NULL, &fn, &found) != DBC_OK)
		return DBC_ERROR;
	/* ONLY: an inheritance parent's children are tables of their own (the
	 * file comment); a partitioned table's rows are its partitions' */
	char *kind = NULL;
	dbc_value rel = dbc_text(t->name);
	if (dbc_query_text(ctx,
	                   "SELECT relkind::pg_catalog.text FROM pg_catalog.pg_class"
	                   " WHERE oid = $1::pg_catalog.regclass",
	                   1, &rel, &kind, &found) != DBC_OK)
		return DBC_ERROR;
	char *from = dbc_printf(ctx, "%s%s", kind && strcmp(kind, "p") == 0 ? "" : "ONLY ", t->name);
	if (!from)
		return DBC_ERROR;
	char *relid = NULL;
	if (dbc_query_text(ctx, "SELECT $1::pg_catalog.regclass::pg_catalog.oid::pg_catalog.text", 1,
	                   &rel, &relid, &found) != DBC_OK)
		return DBC_ERROR;
	pgdbc_audit_snapshot_args a = {from, (Oid)strtoul(relid, NULL, 10), (Oid)strtoul(fn, NULL, 10),
	                               args.n, args.items};
	return pgdbc_guarded(ctx, pgdbc_audit_snapshot, &a);
}

/* PostgreSQL's stored names are quoted already. */
static char *display(dbc_ctx *ctx, const char *name)
{
	return dbc_strdup(ctx, name);
}

/* ------------------------------------------------ is it recording? */

/* The table (exists), whether it has statement triggers though it is now in
 * a partition or inheritance tree (a child added, ATTACH PARTITION: what
 * dbaudit_refresh would change, decided as install decides; a table with
 * the row-level form where statement triggers would do records everything),
 * and the leaf partitions whose clone of its row-level trigger is disabled
 * or fires only under session_replication_role = replica (ALTER TABLE on the
 * partition): their rows are not recorded. A row is stored in a leaf, and
 * only the leaf's clone fires for it: the state of the clone on a
 * partitioned table in between (ALTER TABLE ONLY) is not the leaves'. */
#define LEAVES_WHERE(state)                                                                        \
	"(SELECT pg_catalog.string_agg(DISTINCT pg_catalog.quote_ident(n.nspname) || '.' ||"           \
	"  pg_catalog.quote_ident(p.relname), ', ') FROM clone"                                        \
	"  JOIN pg_catalog.pg_class p ON p.oid = clone.tgrelid"                                        \
	"  JOIN pg_catalog.pg_namespace n ON n.oid = p.relnamespace"                                   \
	"  WHERE clone.tgenabled = " state " AND p.relkind <> 'p')"
/* [0] 1 when the table exists, [1] "true" when its statement triggers are
 * stale, [2] the leaves whose clone is disabled, [3] those whose clone
 * fires only under session_replication_role = replica ("" for none). */
static const char table_state_sql[] =
    "WITH RECURSIVE c AS (SELECT c.* FROM pg_catalog.pg_class c"
    "  WHERE c.oid = pg_catalog.to_regclass($1)),"
    " own AS (SELECT g.* FROM pg_catalog.pg_trigger g, c WHERE g.tgrelid = c.oid"
    "  AND g.tgparentid = 0 AND g.tgfoid = 'dbcare.audit_trigger()'::pg_catalog.regprocedure),"
    " clone AS (SELECT g.oid, g.tgrelid, g.tgenabled FROM pg_catalog.pg_trigger g"
    "  JOIN own ON g.tgparentid = own.oid WHERE own.tgtype & 1 = 1"
    "  UNION ALL SELECT g.oid, g.tgrelid, g.tgenabled FROM pg_catalog.pg_trigger g"
    "  JOIN clone ON g.tgparentid = clone.oid)"
    " SELECT (SELECT count(*) FROM c)::pg_catalog.text,"
    " (SELECT (" NEEDS_ROW_FORM " AND EXISTS (SELECT FROM own) AND NOT EXISTS"
    "  (SELECT FROM own WHERE own.tgtype & 1 = 1))::pg_catalog.text FROM c),"
    " " LEAVES_WHERE("'D'") ", " LEAVES_WHERE("'R'");

/* Per operation, how the table's own audit triggers for it fire: 'on'
 * (ENABLE, the default, or ENABLE ALWAYS: in ordinary sessions), 'replica'
 * (ENABLE REPLICA: only under session_replication_role = replica),
 * 'disabled' (DISABLE TRIGGER: never) or 'missing' (none: dropped). The
 * best of them counts: any trigger that fires records the operation. The
 * row-level trigger of a partitioned table never fires itself (it has no
 * rows): its clones on the leaf partitions do. So it also counts as 'on'
 * when one of those clones fires though its own state does not (ALTER
 * TABLE ONLY p DISABLE TRIGGER: the rows are still recorded); the leaves
 * whose clone does not fire are table_state_sql's, and so is a partition
 * made later, which gets its clone in the parent's state. */
static const char op_state_sql[] =
    "WITH RECURSIVE g AS (SELECT g.* FROM pg_catalog.pg_trigger g"
    "  WHERE g.tgrelid = pg_catalog.to_regclass($1) AND g.tgparentid = 0"
    "  AND g.tgfoid = 'dbcare.audit_trigger()'::pg_catalog.regprocedure),"
    " clone AS (SELECT g.oid AS root, k.oid, k.tgrelid, k.tgenabled FROM pg_catalog.pg_trigger k"
    "  JOIN g ON k.tgparentid = g.oid WHERE g.tgtype & 1 = 1"
    "  UNION ALL SELECT clone.root, k.oid, k.tgrelid, k.tgenabled FROM pg_catalog.pg_trigger k"
    "  JOIN clone ON k.tgparentid = clone.oid),"
    " leaf_fires AS (SELECT clone.root FROM clone JOIN pg_catalog.pg_class r"
    "  ON r.oid = clone.tgrelid WHERE r.relkind <> 'p' AND clone.tgenabled IN ('O', 'A'))"
    " SELECT e.op, CASE WHEN pg_catalog.bool_or(g.tgenabled IN ('O', 'A')"
    "  OR g.oid IN (SELECT root FROM leaf_fires)) THEN 'on'"
    " WHEN pg_catalog.bool_or(g.tgenabled = 'R') THEN 'replica'"
    " WHEN pg_catalog.bool_or(g.tgenabled = 'D') THEN 'disabled' ELSE 'missing' END"
    " FROM (VALUES (1, 'insert', 4), (2, 'update', 16), (3, 'delete', 8), (4, 'truncate', 32))"
    " e(n, op, bit) LEFT JOIN g ON g.tgtype & e.bit <> 0"
    " GROUP BY e.n, e.op ORDER BY e.n";

static int collect_op_state(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	dbc_audit_recording *r = arg;
	(void)ncol;
	dbc_strlist *to = strcmp(c[1].s, "missing") == 0    ? &r->missing
	                  : strcmp(c[1].s, "disabled") == 0 ? &r->disabled
	                  : strcmp(c[1].s, "replica") == 0  ? &r->replica
	                                                    : NULL;
	return to ? dbc_strlist_add(ctx, to, c[0].s) : DBC_OK;
}

static int collect_table_state(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	dbc_strlist *l = arg;
	for (int i = 0; i < ncol; i++)
		if (dbc_strlist_add(ctx, l, c[i].type == DBC_NULL ? "" : c[i].s) != DBC_OK)
			return DBC_ERROR;
	return DBC_OK;
}

/* A table audited in wal mode misses changes while its slot is gone, and
 * its log falls behind while the worker is: a problem once it is a minute
 * behind or its slot holds half of dbcare.audit_wal_max_retained (at all of
 * it the worker falls back to trigger mode, pg/audit/audit_wal_worker.c). */
static int wal_lag_problem(dbc_ctx *ctx, const char **problem)
{
	bool active;
	double lag;
	int64_t retained, bound = pgdbc_audit_wal_max_retained();
	if (pgdbc_audit_wal_lag(ctx, &active, &lag, &retained) != DBC_OK)
		return DBC_ERROR;
	if (!active)
		*problem = "audited in wal mode, but the database's replication slot is gone: its changes"
		           " are not recorded";
	else if (lag > 60 || retained > bound / 2)
		*problem = dbc_printf(ctx,
		                      "recorded from the WAL, but the log is %.0f s behind and the slot"
		                      " holds %lld MB of WAL (dbcare.audit_wal_max_retained: %lld MB)",
		                      lag, (long long)(retained >> 20), (long long)(bound >> 20));
	return *problem || !active || !(lag > 60 || retained > bound / 2) ? DBC_OK : DBC_ERROR;
}

/* What the worker counted of the context messages (pg/audit/audit_wal_worker.c):
 * forged or malformed ones rejected, entries written without their role.
 * The database's, so every table in wal mode names them. */
static const char wal_context_sql[] =
    "SELECT pg_catalog.concat_ws('; ',"
    " CASE WHEN rejected_messages > 0 THEN pg_catalog.format('%s dbcare.actor messages not signed"
    " by the audit trigger were rejected (forged or malformed, the last in a transaction"
    " committed at %s: the server log names them); they named no change''s role',"
    " rejected_messages, last_rejected_at) END,"
    " CASE WHEN unknown_user_entries > 0 THEN pg_catalog.format('%s entries were recorded"
    " without their role (db_user %s)', unknown_user_entries, $1) END)"
    " FROM dbcare.audit_wal_state";

/* In wal mode the trigger only names the role of the changes: disabled (or
 * firing only under session_replication_role = replica) the changes are
 * still decoded, with PGDBC_AUDIT_UNKNOWN_USER for their role. So these
 * are no operations not recorded but a clause of their own. */
static const char *wal_trigger_clause(dbc_ctx *ctx, dbc_audit_recording *r)
{
	const char *how = r->disabled.n  ? "is disabled"
	                  : r->replica.n ? "fires only under session_replication_role = replica"
	                                 : NULL;
	r->disabled.n = r->replica.n = 0;
	if (!how)
		return NULL;
	return dbc_printf(ctx,
	                  "its trigger " PGDBC_AUDIT_WAL_TRIGGER " %s: its changes are recorded"
	                  " without their role (db_user %s)",
	                  how, "\"" PGDBC_AUDIT_UNKNOWN_USER "\"");
}

static int wal_problem(dbc_ctx *ctx, const dbc_audit_table *row, dbc_audit_recording *r)
{
	char *mode = NULL, *counted = NULL;
	bool found;
	const char *lag = NULL;
	dbc_value opt = dbc_text(row->options), unknown = dbc_text("\"" PGDBC_AUDIT_UNKNOWN_USER "\"");
	if (dbc_query_text(ctx, "SELECT $1::pg_catalog.jsonb ->> 'mode'", 1, &opt, &mode, &found) !=
	    DBC_OK)
		return DBC_ERROR;
	if (!mode || strcmp(mode, "wal") != 0)
		return DBC_OK;
	const char *trigger = wal_trigger_clause(ctx, r);
	if ((!r->stale && wal_lag_problem(ctx, &lag) != DBC_OK) ||
	    dbc_query_text(ctx, wal_context_sql, 1, &unknown, &counted, &found) != DBC_OK)
		return DBC_ERROR;
	const char *parts[4] = {r->stale, lag, trigger, counted && counted[0] ? counted : NULL};
	dbc_buf b;
	dbc_buf_init(&b, ctx);
	for (int i = 0; i < 4; i++)
		if (parts[i])
			dbc_buf_appendf(&b, "%s%s", b.len ? "; " : "", parts[i]);
	if (b.len)
		r->stale = dbc_buf_finish(&b);
	return b.len && !r->stale ? DBC_ERROR : DBC_OK;
}

static int recording(dbc_ctx *ctx, const dbc_audit_table *row, dbc_audit_recording *out)
{
	dbc_strlist st = {0};
	dbc_value arg = dbc_text(row->name);
	out->operations = 4;
	if (ctx->host->query(ctx, table_state_sql, 1, &arg, collect_table_state, &st) != DBC_OK)
		return DBC_ERROR;
	out->exists = st.n == 4 && strcmp(st.items[0], "1") == 0;
	if (!out->exists) {
		/* gone by its name: renamed, when its triggers are still there */
		char *now = NULL;
		if (dbc_query_text(ctx, renamed_sql, 1, &arg, &now, NULL) != DBC_OK)
			return DBC_ERROR;
		if (!now)
			return DBC_OK;
		out->renamed_to = now;
		arg = dbc_text(now);
		st = (dbc_strlist){0};
		if (ctx->host->query(ctx, table_state_sql, 1, &arg, collect_table_state, &st) != DBC_OK)
			return DBC_ERROR;
		out->exists = st.n == 4 && strcmp(st.items[0], "1") == 0;
		if (!out->exists)
			return DBC_OK;
	}
	if (strcmp(st.items[1], "true") == 0)
		out->stale = "in an inheritance or partition tree since it was enabled: its statement"
		             " triggers miss rows changed through the other tables";
	else if (st.items[2][0] || st.items[3][0]) {
		static const char clause[] = "not recording the rows of partition %s: its clone of the"
		                             " audit trigger does not fire in ordinary sessions (%s)";
		char *disabled = st.items[2][0] ? dbc_printf(ctx, clause, st.items[2], "disabled") : "";
		char *replica = st.items[3][0] ? dbc_printf(ctx, clause, st.items[3],
		                                            "it fires only under session_replication_role"
		                                            " = replica")
		                               : "";
		if (!disabled || !replica)
			return DBC_ERROR;
		out->stale =
		    dbc_printf(ctx, "%s%s%s", disabled, *disabled && *replica ? "; " : "", replica);
		if (!out->stale)
			return DBC_ERROR;
	}
	if (ctx->host->query(ctx, op_state_sql, 1, &arg, collect_op_state, out) != DBC_OK)
		return DBC_ERROR;
	return wal_problem(ctx, row, out);
}

/* A log not yet upgraded to 0.3.3 has the one head of the log chain. */
static int head_layout(dbc_ctx *ctx, int *layout)
{
	(void)ctx;
	*layout = pgdbc_audit_chain_per_table() ? DBC_AUDIT_HEADS_CHAINS : DBC_AUDIT_HEADS_LOG;
	return DBC_OK;
}

/* The index (row_hash, id): docs/audit.md, "The row hash". A table's keys
 * hash into the 2^32 values above its NULL key's hash. */
static char *row_range(dbc_ctx *ctx, const char *table_sql, const char *key_sql)
{
	return dbc_printf(ctx, "row_hash = dbcare.audit_row_hash(%s, %s) AND ", table_sql, key_sql);
}

static char *table_range(dbc_ctx *ctx, const char *table_sql)
{
	return dbc_printf(ctx,
	                  "row_hash BETWEEN dbcare.audit_row_hash(%1$s, NULL)"
	                  " AND dbcare.audit_row_hash(%1$s, NULL) + 4294967295 AND ",
	                  table_sql);
}

static void wal_wait(void *arg)
{
	(void)arg;
	pgdbc_audit_wal_wait();
}

/* The entries of wal mode not yet decoded (pg/audit/audit_wal.c). */
static int complete(dbc_ctx *ctx)
{
	return pgdbc_guarded(ctx, wal_wait, NULL);
}

static const dbc_audit_hooks audit_hooks = {
    .wal_mode = true,
    .complete = complete,
    .display = display,
    .recording = recording,
    .resolve = resolve,
    .install = install,
    .uninstall = uninstall,
    .baseline = baseline,
    .head_layout = head_layout,
    .heads = dbc_audit_heads,
    .row_range = row_range,
    .table_range = table_range,
};

void pgdbc_audit_register(dbc_api_hooks *api)
{
	api->audit = &audit_hooks;
}

/* A timestamptz argument as text the core passes on. */
static const char *time_arg(pgdbc_call *call, int n)
{
	if (!pgdbc_arg_given(call, n))
		return NULL;
	return DatumGetCString(DirectFunctionCall1(timestamptz_out, call->fcinfo->args[n].value));
}

Datum dbaudit_enable(PG_FUNCTION_ARGS)
{
	pgdbc_call call;
	char *name = NULL;
	pgdbc_begin(&call, fcinfo);
	const char *table = pgdbc_arg_text(&call, 0, "table");
	const char *options = pgdbc_arg_given(&call, 1) ? pgdbc_arg_json(&call, 1, "options") : NULL;
	const char *mode = pgdbc_arg_text_opt(&call, 2);
	bool wal = false;
	if (dbc_audit_options_mode(&call.ctx, &options, mode, &wal) != DBC_OK)
		return pgdbc_return_text(&call, DBC_ERROR, NULL);
	/* the slot first: making it needs a transaction that wrote nothing */
	if (wal)
		pgdbc_audit_wal_prepare();
	int rc = dbc_audit_enable(&call.ctx, &audit_hooks, table, options, &name);
	if (rc == DBC_OK && wal)
		pgdbc_audit_wal_start_worker();
	return pgdbc_return_text(&call, rc, name);
}

Datum dbaudit_disable(PG_FUNCTION_ARGS)
{
	pgdbc_call call;
	pgdbc_begin(&call, fcinfo);
	const char *table = pgdbc_arg_text(&call, 0, "table");
	int rc = dbc_audit_disable(&call.ctx, &audit_hooks, table);
	return pgdbc_return_bool(&call, rc, true);
}

Datum dbaudit_refresh(PG_FUNCTION_ARGS)
{
	pgdbc_call call;
	int count = 0;
	pgdbc_begin(&call, fcinfo);
	const char *table = pgdbc_arg_text_opt(&call, 0);
	int rc = dbc_audit_refresh(&call.ctx, &audit_hooks, table, &count);
	return pgdbc_return_int32(&call, rc, count);
}

Datum dbaudit_history(PG_FUNCTION_ARGS)
{
	pgdbc_call call;
	dbc_rows rows;
	pgdbc_begin(&call, fcinfo);
	const char *table = pgdbc_arg_text(&call, 0, "table");
	const char *key = pgdbc_arg_json(&call, 1, "key");
	dbc_rows_init(&rows, &call.ctx, DBC_AUDIT_HISTORY_NCOLS);
	int rc = dbc_audit_history(&call.ctx, &audit_hooks, table, key, &rows);
	return pgdbc_return_rows(&call, rc, &rows);
}

Datum dbaudit_row_at(PG_FUNCTION_ARGS)
{
	pgdbc_call call;
	char *row = NULL;
	pgdbc_begin(&call, fcinfo);
	const char *table = pgdbc_arg_text(&call, 0, "table");
	const char *key = pgdbc_arg_json(&call, 1, "key");
	const char *at = pgdbc_arg_given(&call, 2) ? time_arg(&call, 2) : NULL;
	if (!at)
		pgdbc_error("22023", "argument \"at\" must not be NULL");
	int rc = dbc_audit_row_at(&call.ctx, &audit_hooks, table, key, at, &row);
	return pgdbc_return_jsonb(&call, rc, row);
}

/* The walk reads the log and then the heads: each statement under a new
 * snapshot, a writer committing in between made a head name entries the
 * walk had not seen ("the newest entries ... were deleted"). Both read
 * under one snapshot. */
typedef struct verify_args {
	const dbc_audit_hooks *e;
	dbc_rows *rows;        /* dbaudit_verify's */
	dbc_health_fact *fact; /* or the health check's */
} verify_args;

static int verify_body(dbc_ctx *ctx, void *arg)
{
	verify_args *a = arg;
	return a->rows ? dbc_audit_verify(ctx, a->e, a->rows)
	               : dbc_audit_health_chain(ctx, a->e, a->fact);
}

Datum dbaudit_verify(PG_FUNCTION_ARGS)
{
	pgdbc_call call;
	dbc_rows rows;
	pgdbc_begin(&call, fcinfo);
	pgdbc_audit_wal_wait();
	/* this transaction's own heads, kept in memory (pg/audit/audit_pending.c) */
	pgdbc_audit_pending_flush(NULL);
	dbc_rows_init(&rows, &call.ctx, DBC_AUDIT_VERIFY_NCOLS);
	verify_args a = {&audit_hooks, &rows, NULL};
	int rc = pgdbc_read_as_of(&call.ctx, verify_body, &a);
	return pgdbc_return_rows(&call, rc, &rows);
}

/* ------------------------------------------------ the health check audit */

int pgdbc_gather_audit(dbc_ctx *ctx, const dbc_health_hooks *eng, dbc_health_mode mode,
                       dbc_health_fact *fact)
{
	bool readable;
	(void)eng;
	if (pgdbc_health_readable(ctx, fact, "dbcare.audit_tables", "the audited tables", &readable) !=
	    DBC_OK)
		return DBC_ERROR;
	if (!readable)
		return DBC_OK;
	if (dbc_audit_health(ctx, &audit_hooks, fact) != DBC_OK)
		return DBC_ERROR;
	if (mode < DBC_HEALTH_FULL)
		return DBC_OK;
	/* full mode: the hash chains too, as dbaudit_verify walks them; a role
	 * that may not read the log is told so, not failed */
	char *can_read = NULL;
	if (dbc_query_text(
	        ctx,
	        "SELECT CASE WHEN pg_catalog.has_table_privilege('dbcare.audit_log', 'SELECT')"
	        " AND pg_catalog.has_table_privilege('dbcare.audit_chain', 'SELECT')"
	        " THEN 'yes' ELSE 'no' END",
	        0, NULL, &can_read, NULL) != DBC_OK)
		return DBC_ERROR;
	if (!can_read || strcmp(can_read, "yes") != 0) {
		fact->note = dbc_strdup(ctx, "the hash chains were not verified: this role may not read "
		                             "dbcare.audit_log");
		return fact->note ? DBC_OK : DBC_ERROR;
	}
	verify_args a = {&audit_hooks, NULL, fact};
	if (pgdbc_guarded(ctx, pgdbc_audit_pending_flush, NULL) != DBC_OK)
		return DBC_ERROR;
	return pgdbc_read_as_of(ctx, verify_body, &a);
}
