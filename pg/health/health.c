/*
 * pg/health/health.c — the facts of PostgreSQL's health checks: one query per check
 * over pg_catalog and the statistics views (amcheck and pg_stat_statements
 * when installed), plus database metrics and the snapshot table. The core
 * grades; checks that need privileges the caller lacks are skipped with a hint.
 */
#include "pg/host/glue.h"

#include "health_glue.h"

#include "catalog/pg_authid_d.h"
#include "commands/dbcommands.h"
#include "utils/acl.h"
#include "miscadmin.h"
#include "utils/guc.h"

#include <stdlib.h>
#include <string.h>

/* User objects: not the system's, not dbcare's own bookkeeping. */
#define USER_NS(n)                                                                                 \
	n ".nspname NOT IN ('pg_catalog', 'information_schema', 'dbcare') AND " n                      \
	  ".nspname NOT LIKE 'pg\\_toast%' AND " n ".nspname NOT LIKE 'pg\\_temp\\_%'"

typedef struct pg_health_state {
	int stats_priv; /* -1 unknown, 0 no, 1 member of pg_read_all_stats (pg_monitor) */
	/* The objects of fragmentation [0] and statistics [1], read together on
	 * the first of them (NULL until then). */
	dbc_health_fact *table_stats;
	/* the metrics' table and index counts, from the same read (counted) */
	bool counted;
	int64_t tables, indexes;
	/* long_transactions [0], idle_in_transaction [1] and the connection
	 * count, from one read of pg_stat_activity on the first of them. */
	dbc_health_fact *sessions;
	double connections, max_connections;
	/* the schemas of amcheck and pg_stat_statements (NULL: not installed) */
	bool extensions_read;
	char *amcheck_ns, *pgss_ns;
} pg_health_state;

static int stats_privilege(dbc_ctx *ctx, const dbc_health_hooks *eng, bool *ok)
{
	pg_health_state *st = eng->state;
	(void)ctx;
	/* pg_has_role(current_user, 'pg_read_all_stats', 'MEMBER'), without a statement */
	if (st->stats_priv < 0)
		st->stats_priv = is_member_of_role(GetUserId(), ROLE_PG_READ_ALL_STATS);
	*ok = st->stats_priv == 1;
	return DBC_OK;
}

/* Skips fact with the GRANT hint when the caller cannot see other sessions. */
static int need_stats_privilege(dbc_ctx *ctx, const dbc_health_hooks *eng, dbc_health_fact *fact,
                                bool *ok)
{
	if (stats_privilege(ctx, eng, ok) != DBC_OK)
		return DBC_ERROR;
	if (!*ok) {
		char *user = NULL;
		dbc_query_text(ctx, "SELECT current_user", 0, NULL, &user, NULL);
		dbc_health_skip(ctx, fact, "needs the statistics of every session (pg_read_all_stats)",
		                dbc_printf(ctx, "GRANT pg_monitor TO %s;",
		                           ctx->host->quote_ident(ctx, user ? user : "current_user")));
	}
	return DBC_OK;
}

static int take_extension(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	pg_health_state *st = arg;
	if (ncol != 2 || c[0].type != DBC_TEXT || c[1].type != DBC_TEXT)
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "unexpected extension row");
	char **slot = strcmp(c[0].s, "amcheck") == 0 ? &st->amcheck_ns : &st->pgss_ns;
	*slot = dbc_strdup(ctx, c[1].s);
	return *slot ? DBC_OK : DBC_ERROR;
}

static const char *const extensions_sql =
    "SELECT e.extname::text, n.nspname::text FROM pg_catalog.pg_extension e "
    "JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace "
    "WHERE e.extname IN ('amcheck', 'pg_stat_statements')";

/* Schema of an installed extension the checks use (amcheck,
 * pg_stat_statements), or NULL: both read by the first check that asks, a
 * catalog-only query kept with the schema model (pgdbc_catalog_query). */
static int extension_schema(dbc_ctx *ctx, const dbc_health_hooks *eng, const char *ext,
                            char **schema)
{
	pg_health_state *st = eng->state;
	if (!st->extensions_read) {
		dbc_schema *s;
		st->amcheck_ns = st->pgss_ns = NULL;
		if (dbc_health_schema(ctx, eng, &s) != DBC_OK ||
		    pgdbc_catalog_query(ctx, s, extensions_sql, take_extension, st) != DBC_OK)
			return DBC_ERROR;
		st->extensions_read = true;
	}
	*schema = strcmp(ext, "amcheck") == 0 ? st->amcheck_ns : st->pgss_ns;
	return DBC_OK;
}

/* amcheck's bt_index_check raises an error at the first corrupt index; that
 * error, caught in a subtransaction, is the finding. */
static int gather_integrity(dbc_ctx *ctx, const dbc_health_hooks *eng, dbc_health_mode mode,
                            dbc_health_fact *fact)
{
	char *ns = NULL, *can = NULL;
	if (extension_schema(ctx, eng, "amcheck", &ns) != DBC_OK)
		return DBC_ERROR;
	if (!ns) {
		dbc_health_skip(ctx, fact, "amcheck is not installed in this database",
		                "CREATE EXTENSION amcheck;");
		return DBC_OK;
	}
	char *fn =
	    dbc_printf(ctx, "%s.bt_index_check(regclass, boolean)", ctx->host->quote_ident(ctx, ns));
	dbc_value p = dbc_text(fn);
	if (dbc_query_text(
	        ctx, "SELECT CASE WHEN pg_catalog.has_function_privilege($1, 'EXECUTE') THEN 'yes' END",
	        1, &p, &can, NULL) != DBC_OK)
		return DBC_ERROR;
	if (!can) {
		dbc_health_skip(ctx, fact, "not allowed to run amcheck's bt_index_check",
		                dbc_printf(ctx, "GRANT EXECUTE ON FUNCTION %s TO <monitoring role>;", fn));
		return DBC_OK;
	}
	char *sql = dbc_printf(
	    ctx,
	    "SELECT count(%s.bt_index_check(c.oid, %s)) FROM pg_catalog.pg_index i "
	    "JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid "
	    "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
	    "JOIN pg_catalog.pg_am a ON a.oid = c.relam "
	    /* a partitioned table's index has no storage: amcheck refuses it,
	     * and its partitions' indexes are checked one by one */
	    "WHERE a.amname = 'btree' AND c.relkind = 'i' AND i.indisvalid AND i.indisready "
	    "AND c.relpersistence <> 't' "
	    "AND %s",
	    ctx->host->quote_ident(ctx, ns), mode == DBC_HEALTH_FULL ? "true" : "false", USER_NS("n"));
	char *count = NULL;
	int level = ctx->host->savepoint(ctx);
	if (level < 0)
		return DBC_ERROR;
	if (dbc_query_text(ctx, sql, 0, NULL, &count, NULL) != DBC_OK) {
		if (strcmp(ctx->sqlstate, DBC_SQLSTATE_CANCELED) == 0)
			return DBC_ERROR;
		char *msg = dbc_strdup(ctx, ctx->message ? ctx->message : "amcheck failed");
		dbc_error_clear(ctx);
		if (ctx->host->rollback(ctx, level) != DBC_OK)
			return DBC_ERROR;
		return dbc_health_add_object(ctx, fact, NULL, msg, NULL, 1, NULL);
	}
	if (ctx->host->release(ctx, level) != DBC_OK)
		return DBC_ERROR;
	fact->value_text = dbc_strdup(ctx, "ok");
	fact->message =
	    dbc_printf(ctx, "amcheck bt_index_check%s found no problem in %s btree indexes",
	               mode == DBC_HEALTH_FULL ? " (heapallindexed)" : "", count ? count : "0");
	return DBC_OK;
}

static int gather_slow(dbc_ctx *ctx, const dbc_health_hooks *eng, dbc_health_mode mode,
                       dbc_health_fact *fact)
{
	(void)mode;
	char *ns = NULL, *min_ms = NULL;
	if (extension_schema(ctx, eng, "pg_stat_statements", &ns) != DBC_OK)
		return DBC_ERROR;
	if (!ns) {
		dbc_health_skip(ctx, fact, "pg_stat_statements is not installed in this database",
		                "Add pg_stat_statements to shared_preload_libraries, restart, then "
		                "CREATE EXTENSION pg_stat_statements;");
		return DBC_OK;
	}
	if (dbc_setting_get(ctx, "health.slow_queries.min_ms", &min_ms) != DBC_OK)
		return DBC_ERROR;
	dbc_value p = dbc_float(strtod(min_ms, NULL));
	char *sql = dbc_printf(
	    ctx,
	    "SELECT NULL, left(regexp_replace(s.query, '\\s+', ' ', 'g'), 60), NULL, s.mean_exec_time, "
	    "s.calls || ' calls, mean ' || round(s.mean_exec_time::numeric, 1) || ' ms' "
	    "FROM %s.pg_stat_statements s "
	    "WHERE s.dbid = (SELECT oid FROM pg_catalog.pg_database WHERE datname = "
	    "current_database()) "
	    "AND s.mean_exec_time > $1 ORDER BY s.mean_exec_time DESC LIMIT 100",
	    ctx->host->quote_ident(ctx, ns));
	return dbc_health_collect(ctx, fact, sql, 1, &p);
}

/* long_transactions, idle_in_transaction and connections all read
 * pg_stat_activity, which is built afresh by every statement: one read
 * answers the three (each part keeps its own filter and order), rows tagged
 * 'l', 'i' or 'c', then (name, value, detail); the 'c' row has the client
 * backends in value and max_connections in the last column. The view's
 * function is read directly: the view joins every session to pg_database
 * and pg_authid, where only the few sessions reported need their names
 * (pg_roles is pg_authid's readable face). now() is the transaction's start,
 * the same in every statement of the report. */
#define SESSION_WHO                                                                                \
	"coalesce((SELECT u.rolname::text FROM pg_catalog.pg_roles u WHERE u.oid = a.usesysid), '?') " \
	"|| '@' || coalesce((SELECT d.datname::text FROM pg_catalog.pg_database d "                    \
	"WHERE d.oid = a.datid), '?')"
static const char *const sessions_sql =
    "WITH a AS MATERIALIZED (SELECT a.pid, a.state, a.state_change, a.xact_start, a.backend_type, "
    "a.usesysid, a.datid FROM pg_catalog.pg_stat_get_activity(NULL) a) "
    "(SELECT 'l', 'pid ' || a.pid, extract(epoch FROM now() - a.xact_start)::float8, " SESSION_WHO
    " || ', ' || round(extract(epoch FROM now() - a.xact_start)::numeric) || ' s', "
    "NULL::float8 FROM a WHERE a.state = 'active' AND a.xact_start IS NOT NULL "
    "AND a.backend_type = 'client backend' "
    "AND a.pid <> pg_catalog.pg_backend_pid() ORDER BY 3 DESC) "
    "UNION ALL "
    "(SELECT 'i', 'pid ' || a.pid, extract(epoch FROM now() - a.state_change)::float8, " SESSION_WHO
    " || ', ' || round(extract(epoch FROM now() - a.state_change)::numeric) || ' s idle', "
    "NULL FROM a WHERE a.state IN ('idle in transaction', 'idle in transaction (aborted)') "
    "AND a.pid <> pg_catalog.pg_backend_pid() ORDER BY 3 DESC) "
    "UNION ALL "
    "SELECT 'c', NULL, (SELECT count(*) FROM a WHERE a.backend_type = 'client backend')::float8, "
    "NULL, current_setting('max_connections')::float8";

static int take_session(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	pg_health_state *st = arg;
	if (ncol != 5 || c[0].type != DBC_TEXT)
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "session query returned %d columns, not 5",
		                 ncol);
	double value = c[2].type == DBC_FLOAT ? c[2].f : c[2].type == DBC_INT ? (double)c[2].i : 0;
	if (c[0].s[0] == 'c') {
		st->connections = value;
		st->max_connections = c[4].type == DBC_FLOAT ? c[4].f
		                      : c[4].type == DBC_INT ? (double)c[4].i
		                                             : 0;
		return DBC_OK;
	}
	return dbc_health_add_object(ctx, &st->sessions[c[0].s[0] == 'l' ? 0 : 1], NULL,
	                             c[1].type == DBC_TEXT ? c[1].s : NULL, NULL, value,
	                             c[3].type == DBC_TEXT ? c[3].s : NULL);
}

static int read_sessions(dbc_ctx *ctx, pg_health_state *st)
{
	if (st->sessions)
		return DBC_OK;
	dbc_health_fact *facts = dbc_zalloc(ctx, 2 * sizeof(*facts));
	if (!facts)
		return DBC_ERROR;
	st->sessions = facts;
	if (ctx->host->query(ctx, sessions_sql, 0, NULL, take_session, st) != DBC_OK) {
		st->sessions = NULL; /* the next check reads again, and fails on its own */
		return DBC_ERROR;
	}
	return DBC_OK;
}

/* long_transactions (sessions[0]) and idle_in_transaction (sessions[1]). */
static int gather_sessions(dbc_ctx *ctx, const dbc_health_hooks *eng, dbc_health_mode mode,
                           dbc_health_fact *fact)
{
	pg_health_state *st = eng->state;
	int idle = fact->def->id == DBC_HC_IDLE_IN_TRANSACTION;
	bool ok;
	(void)mode;
	if (need_stats_privilege(ctx, eng, fact, &ok) != DBC_OK || !ok)
		return ctx->failed ? DBC_ERROR : DBC_OK;
	if (read_sessions(ctx, st) != DBC_OK)
		return DBC_ERROR;
	fact->objects = st->sessions[idle].objects;
	fact->nobjects = st->sessions[idle].nobjects;
	fact->capobjects = st->sessions[idle].capobjects;
	return DBC_OK;
}

static int gather_replication(dbc_ctx *ctx, const dbc_health_hooks *eng, dbc_health_mode mode,
                              dbc_health_fact *fact)
{
	(void)mode;
	bool ok;
	if (need_stats_privilege(ctx, eng, fact, &ok) != DBC_OK || !ok)
		return ctx->failed ? DBC_ERROR : DBC_OK;
	if (dbc_health_collect(ctx, fact,
	                       "SELECT NULL, coalesce(r.application_name, '') || '@' || "
	                       "coalesce(r.client_addr::text, 'local'), "
	                       "NULL, coalesce(extract(epoch FROM r.replay_lag), 0)::float8, r.state "
	                       "FROM pg_catalog.pg_stat_replication r "
	                       "UNION ALL SELECT NULL, s.slot_name, NULL, 0, 'inactive slot' "
	                       "FROM pg_catalog.pg_replication_slots s WHERE NOT s.active",
	                       0, NULL) != DBC_OK)
		return DBC_ERROR;
	for (int i = 0; i < fact->nobjects; i++)
		if (fact->objects[i].detail && strcmp(fact->objects[i].detail, "inactive slot") == 0)
			fact->min_status = DBC_CHECK_WARNING;
	if (fact->nobjects == 0)
		fact->message = dbc_strdup(ctx, "no standby and no replication slot");
	return DBC_OK;
}

typedef struct {
	double a, b;
	int n;
} two_numbers;

static int take_two(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	two_numbers *t = arg;
	(void)ctx;
	if (ncol >= 2) {
		t->a = c[0].type == DBC_FLOAT ? c[0].f : (double)c[0].i;
		t->b = c[1].type == DBC_FLOAT ? c[1].f : (double)c[1].i;
		t->n++;
	}
	return DBC_OK;
}

static int gather_connections(dbc_ctx *ctx, const dbc_health_hooks *eng, dbc_health_mode mode,
                              dbc_health_fact *fact)
{
	(void)mode;
	pg_health_state *st = eng->state;
	if (read_sessions(ctx, st) != DBC_OK)
		return DBC_ERROR;
	two_numbers t = {st->connections, st->max_connections, 1};
	fact->value = t.b > 0 ? 100.0 * t.a / t.b : 0;
	fact->message =
	    dbc_printf(ctx, "%.0f of %.0f connections in use (%.1f%%)", t.a, t.b, fact->value);
	return DBC_OK;
}

static int gather_cache(dbc_ctx *ctx, const dbc_health_hooks *eng, dbc_health_mode mode,
                        dbc_health_fact *fact)
{
	(void)eng, (void)mode;
	two_numbers t = {0, 0, 0};
	if (ctx->host->query(
	        ctx,
	        /* user tables and their indexes, as pg_statio_user_tables
	         * counts them: the catalogs' reads, which every
	         * connection makes and mostly hits, would hide them */
	        "SELECT coalesce(sum(s.heap_blks_hit + coalesce(s.idx_blks_hit, 0)), 0)::float8, "
	        "coalesce(sum(s.heap_blks_read + coalesce(s.idx_blks_read, 0)), 0)::float8 "
	        "FROM pg_catalog.pg_statio_user_tables s",
	        0, NULL, take_two, &t) != DBC_OK)
		return DBC_ERROR;
	double total = t.a + t.b;
	/* Too few reads say nothing about the cache: judge from 10,000 blocks on. */
	if (total < 10000) {
		fact->value = 100;
		fact->message = dbc_printf(ctx,
		                           "only %.0f block reads of user tables so far: not enough "
		                           "to judge",
		                           total);
		return DBC_OK;
	}
	fact->value = 100.0 * t.a / total;
	fact->message = dbc_printf(ctx,
	                           "%.2f%% of %.0f block reads of user tables and their indexes "
	                           "served from shared_buffers",
	                           fact->value, total);
	return DBC_OK;
}

/* fragmentation and statistics both read the table statistics: one read
 * answers both (each part keeps its own filter and order), a row tagged 'f'
 * or 's' with the usual (schema, name, table, value, detail) after the tag.
 * A table without dead tuples is no fragmentation finding at all (not even
 * the "highest" of an ok message). The rows are pg_stat_user_tables' by hand: that view joins every
 * table to its indexes and groups them again, to sum index scans this check never reads. Same rows:
 * tables, TOAST tables, materialized views and partitioned tables outside pg_catalog,
 * information_schema and pg_toast* (the view's rules), the same statistics functions. The same pass
 * over pg_class counts the metrics' tables and indexes (USER_NS: temporary schemas left out too), a
 * row tagged 'm' with the tables in value and the indexes in detail. Relations below
 * FirstNormalObjectId (16384) are initdb's, all in schemas left out anyway: a cheap test before the
 * join. */
static const char *const table_stats_sql =
    "WITH c AS MATERIALIZED (SELECT c.oid, c.relkind, c.relname, n.nspname, c.reltuples, "
    "n.nspname LIKE 'pg\\_temp\\_%' AS temp "
    "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
    "WHERE c.oid >= 16384 AND c.relkind IN ('r', 't', 'm', 'p', 'i', 'I') "
    "AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'dbcare') "
    "AND n.nspname !~ '^pg_toast'), "
    "s AS MATERIALIZED (SELECT c.nspname AS schemaname, c.relname, "
    "pg_catalog.pg_stat_get_live_tuples(c.oid) AS n_live_tup, "
    "pg_catalog.pg_stat_get_dead_tuples(c.oid) AS n_dead_tup, "
    "pg_catalog.pg_stat_get_mod_since_analyze(c.oid) AS n_mod_since_analyze, "
    "coalesce(pg_catalog.pg_stat_get_last_analyze_time(c.oid), "
    "pg_catalog.pg_stat_get_last_autoanalyze_time(c.oid)) IS NULL AS never, "
    "c.oid, c.relkind, c.reltuples "
    "FROM c WHERE c.relkind IN ('r', 't', 'm', 'p')) "
    "(SELECT 'f', s.schemaname, s.relname, s.relname, "
    "100.0 * s.n_dead_tup / (s.n_live_tup + s.n_dead_tup), "
    "s.n_dead_tup || ' dead of ' || (s.n_live_tup + s.n_dead_tup) || ' tuples' "
    "FROM s WHERE s.n_live_tup + s.n_dead_tup >= 1000 AND s.n_dead_tup > 0 ORDER BY 5 DESC, 2, 3) "
    "UNION ALL "
    "(SELECT 's', s.schemaname, s.relname, s.relname, 0, "
    "CASE WHEN s.never THEN 'never analysed' "
    "WHEN s.n_mod_since_analyze > greatest(50, 0.2 * s.n_live_tup) "
    "THEN s.n_mod_since_analyze || ' rows changed since the last ANALYZE' "
    "ELSE 'analysed, but its planner statistics are gone' END "
    "FROM s WHERE (s.never AND s.n_live_tup + s.n_mod_since_analyze > 0) "
    "OR s.n_mod_since_analyze > greatest(50, 0.2 * s.n_live_tup) "
    /* analysed with rows, yet pg_statistic holds nothing for it (deleted by
     * hand, or lost): the planner guesses. pg_stats shows the rows the
     * caller may read: a table it may not read, or whose row security
     * hides rows from it, is not judged; nor one with no column ANALYZE
     * samples (every statistics target 0). */
    "OR (NOT s.never AND s.reltuples > 0 AND s.relkind IN ('r', 'm') "
    "AND pg_catalog.has_table_privilege(s.oid, 'SELECT') "
    "AND NOT pg_catalog.row_security_active(s.oid) "
    "AND EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a WHERE a.attrelid = s.oid "
    "AND a.attnum > 0 AND NOT a.attisdropped AND a.attstattarget <> 0) "
    "AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_stats st WHERE st.schemaname = s.schemaname "
    "AND st.tablename = s.relname AND NOT st.inherited)) ORDER BY 2, 3) "
    "UNION ALL "
    "SELECT 'm', NULL, NULL, NULL, count(*) FILTER (WHERE c.relkind IN ('r', 'p') AND NOT c.temp), "
    "(count(*) FILTER (WHERE c.relkind IN ('i', 'I') AND NOT c.temp))::text FROM c";

static double number_of(const dbc_value *v)
{
	return v->type == DBC_TEXT ? strtod(v->s, NULL) : v->type == DBC_FLOAT ? v->f : (double)v->i;
}

static int take_table_stat(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	pg_health_state *st = arg;
	if (ncol != 6 || c[0].type != DBC_TEXT)
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL,
		                 "table statistics query returned %d columns, not 6", ncol);
	if (c[0].s[0] == 'm') {
		st->tables = (int64_t)number_of(&c[4]);
		st->indexes = (int64_t)number_of(&c[5]);
		st->counted = true;
		return DBC_OK;
	}
	dbc_health_fact *f = &st->table_stats[c[0].s[0] == 'f' ? 0 : 1];
	return dbc_health_add_object(ctx, f, c[1].type == DBC_TEXT ? c[1].s : NULL,
	                             c[2].type == DBC_TEXT ? c[2].s : NULL,
	                             c[3].type == DBC_TEXT ? c[3].s : NULL, number_of(&c[4]),
	                             c[5].type == DBC_TEXT ? c[5].s : NULL);
}

/* fragmentation (table_stats[0]) and statistics (table_stats[1]). */
static int gather_table_stats(dbc_ctx *ctx, const dbc_health_hooks *eng, dbc_health_mode mode,
                              dbc_health_fact *fact)
{
	pg_health_state *st = eng->state;
	int which = fact->def->id == DBC_HC_FRAGMENTATION ? 0 : 1;
	(void)mode;
	if (!st->table_stats) {
		st->table_stats = dbc_zalloc(ctx, 2 * sizeof(*st->table_stats));
		if (!st->table_stats ||
		    ctx->host->query(ctx, table_stats_sql, 0, NULL, take_table_stat, st) != DBC_OK) {
			/* the next check reads again, and fails on its own */
			st->table_stats = NULL;
			st->counted = false;
			return DBC_ERROR;
		}
	}
	fact->objects = st->table_stats[which].objects;
	fact->nobjects = st->table_stats[which].nobjects;
	fact->capobjects = st->table_stats[which].capobjects;
	if (which == 0)
		fact->hint = dbc_strdup(ctx, "VACUUM the table; check that autovacuum keeps up "
		                             "(long transactions hold it back).");
	return DBC_OK;
}

/* Who has session_replication_role = replica stored for this database
 * (ALTER DATABASE/ROLE ... SET): in their sessions only ENABLE REPLICA and
 * ENABLE ALWAYS triggers fire, so ordinary foreign keys are not enforced.
 * One row: who (NULL when nobody). */
#define REPLICA_SETTING                                                                            \
	"replica AS (SELECT string_agg(CASE WHEN s.setrole = 0 THEN 'the database' ELSE 'role ' || "   \
	"coalesce((SELECT quote_ident(r.rolname) FROM pg_catalog.pg_roles r WHERE r.oid = "            \
	"s.setrole), "                                                                                 \
	"'?') END, ', ' ORDER BY s.setrole) AS who FROM pg_catalog.pg_db_role_setting s "              \
	"WHERE s.setdatabase IN (0, (SELECT d.oid FROM pg_catalog.pg_database d "                      \
	"WHERE d.datname = current_database())) AND EXISTS (SELECT 1 FROM unnest(s.setconfig) c "      \
	"WHERE lower(c) = 'session_replication_role=replica'))"

/* Single-query checks by check id (gather_simple): (schema, name, table,
 * value, detail). catalog_only: the query reads the catalogs alone, as
 * pgdbc_catalog_query requires (no statistics, no pg_class column VACUUM
 * overwrites, no sequence state). */
typedef struct simple_check {
	bool catalog_only;
	const char *sql;
} simple_check;

static const simple_check simple[DBC_HC_COUNT] = {
    /* Not catalog_only: pg_db_role_setting is not part of the cached model's
     * key. A NOT VALID foreign key is enforced: its triggers check every
     * new and changed row; only the rows from before it was added are not
     * proven, which not_valid_constraints reports (and penalises) on its
     * own. Trigger states: 'D' disabled, 'R' fires only under
     * session_replication_role = replica, 'O' does not fire under it ('A'
     * fires always); a partitioned table's key is named once, not per
     * partition's clone (conparentid). */
    [DBC_HC_FOREIGN_KEYS_ENFORCED] =
        {false,
         "WITH " REPLICA_SETTING " "
         "SELECT n.nspname, con.conname, t.relname, 0, 'on ' || t.relname || ', ' || "
         "CASE WHEN tr.disabled THEN 'trigger disabled' "
         "WHEN tr.replica_only THEN 'triggers fire only under session_replication_role = replica' "
         "ELSE 'session_replication_role = replica set for ' || replica.who END "
         "FROM pg_catalog.pg_constraint con JOIN pg_catalog.pg_class t ON t.oid = con.conrelid "
         "JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace CROSS JOIN replica "
         "CROSS JOIN LATERAL (SELECT coalesce(bool_or(tg.tgenabled = 'D'), false) AS disabled, "
         "coalesce(bool_or(tg.tgenabled = 'R'), false) AS replica_only, "
         "coalesce(bool_or(tg.tgenabled = 'O'), false) AS origin "
         "FROM pg_catalog.pg_trigger tg WHERE tg.tgconstraint = con.oid) tr "
         "WHERE con.contype = 'f' AND " USER_NS(
             "n") " AND (tr.disabled OR tr.replica_only "
                  "OR (tr.origin AND replica.who IS NOT NULL AND con.conparentid = 0)) "
                  "ORDER BY 1, 3, 2"},
    [DBC_HC_UNINDEXED_FOREIGN_KEYS] =
        {true,
         "SELECT n.nspname, con.conname, t.relname, 0, "
         "quote_ident(t.relname) || '(' || (SELECT string_agg(a.attname, ', ' ORDER BY k.ord) FROM "
         "unnest(con.conkey) WITH ORDINALITY k(att, ord) "
         "JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.att) || ') "
         "references ' || "
         "con.confrelid::regclass::text "
         "FROM pg_catalog.pg_constraint con JOIN pg_catalog.pg_class t ON t.oid = con.conrelid "
         "JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace "
         "WHERE con.contype = 'f' AND " USER_NS(
             "n") " AND NOT EXISTS ("
                  "SELECT 1 FROM pg_catalog.pg_index i WHERE i.indrelid = con.conrelid AND "
                  "i.indpred IS NULL "
                  /* indkey is an int2vector, subscripted from 0: its first n entries, as an
                   * array, without the text round trip per index (a third of the check) */
                  "AND i.indkey[0:cardinality(con.conkey) - 1] @> con.conkey "
                  "AND i.indkey[0:cardinality(con.conkey) - 1] <@ con.conkey) "
                  "ORDER BY 1, 3, 2"},
    /* Exact duplicates (same key, operator classes, collations, options,
     * expressions, predicate and method) and, as PgHero reports them, btree
     * indexes whose key is a leading prefix of another's with the same
     * classes, collations, options and predicate ("covered by"). Never
     * reported: an index a constraint owns or one attached to a partitioned
     * table's index (DROP INDEX refuses both), nor a unique one covered by a
     * wider index (it enforces what the wider one does not), nor one with
     * INCLUDE columns or expressions covered by another. */
    [DBC_HC_DUPLICATE_INDEXES] =
        {true,
         "WITH ix AS MATERIALIZED (SELECT n.nspname, c.relname AS idx, t.relname AS tbl, "
         "i.indrelid, "
         "i.indisunique AS u, c.relam, i.indnkeyatts AS nkey, i.indnatts AS natts, "
         "i.indexprs IS NOT NULL AS has_exprs, i.indkey, i.indclass, i.indcollation, i.indoption, "
         "pg_catalog.pg_get_expr(i.indpred, i.indrelid) AS pred, "
         /* hashed subplans, built only when there is a candidate at all */
         "(i.indexrelid IN (SELECT k.conindid FROM pg_catalog.pg_constraint k) "
         "OR i.indexrelid IN (SELECT h.inhrelid FROM pg_catalog.pg_inherits h)) AS owned, "
         "concat_ws('|', i.indkey::text, i.indclass::text, i.indcollation::text, "
         "i.indoption::text, "
         "pg_catalog.pg_get_expr(i.indexprs, i.indrelid), pg_catalog.pg_get_expr(i.indpred, "
         "i.indrelid), "
         "c.relam::text) AS k "
         "FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid "
         "JOIN pg_catalog.pg_class t ON t.oid = i.indrelid "
         "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
         /* pg_constraint has no index on conindid: probing it per index is a
          * sequential scan each (quadratic); one hashed set instead (above). Objects below
          * FirstNormalObjectId (16384) are initdb's, all in the schemas left out anyway: their
          * indexes need no grouping. */
         "WHERE i.indisvalid AND i.indrelid >= 16384 AND " USER_NS("n")
         /* duplicates and prefixes share the table and the first key column:
          * only those candidates get their full key built (30,000 keys to text
          * and sorted, otherwise) */
         " AND (i.indrelid, i.indkey[0]) IN (SELECT d.indrelid, d.indkey[0] FROM "
         "pg_catalog.pg_index d "
         "WHERE d.indisvalid AND d.indrelid >= 16384 GROUP BY 1, 2 HAVING count(*) > 1)), "
         "r AS (SELECT *, row_number() OVER w AS rn, first_value(idx) OVER w AS keep FROM ix "
         "WINDOW w AS (PARTITION BY indrelid, k ORDER BY u DESC, owned DESC, idx)), "
         "dup AS (SELECT nspname, idx, tbl, 'same as ' || keep AS detail FROM r WHERE rn > 1 AND "
         "NOT owned), "
         "cov AS (SELECT DISTINCT ON (s.nspname, s.idx) s.nspname, s.idx, s.tbl, "
         "'covered by ' || l.idx AS detail FROM ix s JOIN ix l ON l.indrelid = s.indrelid "
         "AND l.relam = s.relam AND l.nkey > s.nkey "
         "AND l.indkey[0:s.nkey - 1] = s.indkey[0:s.nkey - 1] "
         "AND l.indclass[0:s.nkey - 1] = s.indclass[0:s.nkey - 1] "
         "AND l.indcollation[0:s.nkey - 1] = s.indcollation[0:s.nkey - 1] "
         "AND l.indoption[0:s.nkey - 1] = s.indoption[0:s.nkey - 1] "
         "AND l.pred IS NOT DISTINCT FROM s.pred "
         "WHERE s.relam = 403 AND NOT s.u AND NOT s.owned AND NOT s.has_exprs AND s.natts = s.nkey "
         "AND NOT (0 = ANY (l.indkey[0:s.nkey - 1])) "
         "AND (s.nspname, s.idx) NOT IN (SELECT d.nspname, d.idx FROM dup d) "
         "ORDER BY s.nspname, s.idx, l.idx) "
         "SELECT nspname, idx, tbl, 0, detail FROM dup UNION ALL "
         "SELECT nspname, idx, tbl, 0, detail FROM cov ORDER BY 1, 3, 2"},
    /* The detail of a unique one is the query finding its duplicate keys
     * (invalid_unique_hint moves it to the hint). */
    [DBC_HC_INVALID_INDEXES] =
        {true,
         "SELECT n.nspname, c.relname, t.relname, 0, CASE WHEN i.indisunique THEN "
         "pg_catalog.format('SELECT %s, count(*) FROM %I.%I%s GROUP BY %s HAVING count(*) > 1', "
         "k.cols, n.nspname, t.relname, CASE WHEN i.indpred IS NULL THEN '' ELSE ' WHERE ' || "
         "pg_catalog.pg_get_expr(i.indpred, i.indrelid, true) END, k.cols) END "
         "FROM pg_catalog.pg_index i "
         "JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid JOIN pg_catalog.pg_class t ON t.oid = "
         "i.indrelid "
         "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
         "CROSS JOIN LATERAL (SELECT "
         "pg_catalog.string_agg(pg_catalog.pg_get_indexdef(i.indexrelid, "
         "a, true), ', ' ORDER BY a) AS cols FROM pg_catalog.generate_series(1, i.indnkeyatts) a) "
         "k "
         "WHERE NOT i.indisvalid AND " USER_NS("n") " ORDER BY 1, 2"},
    /* pg_stat_user_indexes by hand: that view computes its row for every
     * index of the database before the size filter; here the few indexes of
     * 128 pages and more are found first. Same rows: the schema and name of
     * the table, of the index, for tables, TOAST tables and materialized
     * views outside pg_catalog, information_schema and pg_toast* (the
     * view's own rules; partitioned tables have no index pages). Indexes
     * below FirstNormalObjectId are initdb's, on tables of those schemas. */
    [DBC_HC_UNUSED_INDEXES] =
        {false,
         "SELECT n.nspname, x.relname, t.relname, 0, "
         "pg_catalog.pg_size_pretty(x.relpages::bigint * current_setting('block_size')::bigint) "
         "FROM pg_catalog.pg_class x JOIN pg_catalog.pg_index i ON i.indexrelid = x.oid "
         "JOIN pg_catalog.pg_class t ON t.oid = i.indrelid "
         "JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace "
         "WHERE x.relpages >= 128 AND NOT i.indisunique AND i.indexrelid >= 16384 "
         "AND t.relkind IN ('r', 't', 'm', 'p') "
         "AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'dbcare') "
         "AND n.nspname !~ '^pg_toast' AND pg_catalog.pg_stat_get_numscans(x.oid) = 0 "
         "AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k WHERE k.conindid = x.oid) "
         "ORDER BY 1, 2"},
    /* A partitioned table's constraint is listed once: its partitions'
     * copies (conparentid for foreign keys, inherited only -- not local --
     * for CHECKs) are validated with it. */
    [DBC_HC_NOT_VALID_CONSTRAINTS] =
        {true,
         "SELECT n.nspname, con.conname, t.relname, 0, "
         "CASE con.contype WHEN 'f' THEN 'foreign key' ELSE 'check' END || ' on ' || t.relname "
         "FROM pg_catalog.pg_constraint con JOIN pg_catalog.pg_class t ON t.oid = con.conrelid "
         "JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace "
         "WHERE con.contype IN ('c', 'f') AND NOT con.convalidated AND con.conparentid = 0 "
         "AND con.conislocal AND " USER_NS(
             "n") " "
                  /* a domain's CHECK added NOT VALID: the domain stands where the table
                   * does (health.ignore by the domain's name ignores it) */
                  "UNION ALL SELECT n.nspname, con.conname, ty.typname, 0, 'check on domain ' || "
                  "ty.typname "
                  "FROM pg_catalog.pg_constraint con JOIN pg_catalog.pg_type ty ON ty.oid = "
                  "con.contypid "
                  "JOIN pg_catalog.pg_namespace n ON n.oid = ty.typnamespace "
                  "WHERE con.contypid <> 0 AND con.contype = 'c' AND NOT con.convalidated "
                  "AND " USER_NS("n") " AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE "
                                      "d.classid = 'pg_catalog.pg_type'::regclass "
                                      "AND d.objid = ty.oid AND d.deptype = 'e') "
                                      "ORDER BY 1, 3, 2"},
    /* table_bloat: pgdbc_gather_table_bloat (pg/health/bloat_measured.c) */
    /* The range that counts is the narrower of the sequence's and that of
     * the columns it feeds: those it is owned by (serial, identity) and those
     * whose default names it. A bigint sequence behind an integer column
     * (every serial of a database upgraded from 9.x) ends at 2^31-1. */
    [DBC_HC_SEQUENCE_EXHAUSTION] =
        {false,
         "SELECT s.schemaname, s.sequencename, NULL, "
         "CASE WHEN s.increment_by > 0 "
         "THEN 100.0 * (s.last_value::numeric - r.lo) / nullif(r.hi - r.lo, 0) "
         "ELSE 100.0 * (r.hi - s.last_value::numeric) / nullif(r.hi - r.lo, 0) "
         "END::float8, s.last_value || ' of ' || "
         "CASE WHEN s.increment_by > 0 THEN r.hi ELSE r.lo END || "
         "coalesce(', column ' || col.name || ' is ' || col.type, ''), "
         /* the repair's columns (dbc_health_collect): the column to widen */
         "NULL, col.col_schema, col.col_table, col.col_name, s.data_type::text, "
         /* whether its own bound is the limit (dbc_health_sequence_capped):
          * that bound, what its type and column allow that way, the step */
         "CASE WHEN s.increment_by > 0 THEN s.max_value ELSE s.min_value END::text, "
         "CASE WHEN s.increment_by > 0 THEN least(CASE s.data_type "
         "WHEN 'pg_catalog.int2'::regtype THEN 32767 WHEN 'pg_catalog.int4'::regtype "
         "THEN 2147483647 ELSE 9223372036854775807 END::numeric, col.hi) "
         "ELSE greatest(CASE s.data_type WHEN 'pg_catalog.int2'::regtype THEN -32768 "
         "WHEN 'pg_catalog.int4'::regtype THEN -2147483648 ELSE -9223372036854775808 "
         "END::numeric, col.lo) END::text, s.increment_by::text "
         "FROM pg_catalog.pg_sequences s "
         "JOIN pg_catalog.pg_namespace sn ON sn.nspname = s.schemaname "
         "JOIN pg_catalog.pg_class sc ON sc.relnamespace = sn.oid AND sc.relname = s.sequencename "
         "LEFT JOIN LATERAL (SELECT a.attrelid::regclass::text || '.' || quote_ident(a.attname) AS "
         "name, "
         "pg_catalog.format_type(a.atttypid, NULL) AS type, "
         "CASE a.atttypid WHEN 'int2'::regtype THEN -32768 ELSE -2147483648 END::numeric AS lo, "
         "CASE a.atttypid WHEN 'int2'::regtype THEN 32767 ELSE 2147483647 END::numeric AS hi, "
         "cn.nspname AS col_schema, cr.relname AS col_table, a.attname AS col_name "
         "FROM pg_catalog.pg_class cr, pg_catalog.pg_namespace cn, pg_catalog.pg_depend d "
         "LEFT JOIN pg_catalog.pg_attrdef ad ON d.classid = 'pg_catalog.pg_attrdef'::regclass AND "
         "ad.oid = d.objid "
         "JOIN pg_catalog.pg_attribute a ON "
         "(d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = sc.oid AND d.deptype IN ('a', "
         "'i') "
         "AND a.attrelid = d.refobjid AND a.attnum = d.refobjsubid) "
         "OR (ad.oid IS NOT NULL AND a.attrelid = ad.adrelid AND a.attnum = ad.adnum) "
         "WHERE ((d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = sc.oid AND "
         "d.refobjsubid > 0) "
         "OR (d.classid = 'pg_catalog.pg_attrdef'::regclass AND d.refclassid = "
         "'pg_catalog.pg_class'::regclass "
         "AND d.refobjid = sc.oid)) "
         "AND a.atttypid IN ('int2'::regtype, 'int4'::regtype) "
         "AND cr.oid = a.attrelid AND cn.oid = cr.relnamespace "
         "ORDER BY 4, 1 LIMIT 1) col ON true "
         "CROSS JOIN LATERAL (SELECT greatest(s.min_value::numeric, col.lo) AS lo, "
         "least(s.max_value::numeric, col.hi) AS hi) r "
         "WHERE s.last_value IS NOT NULL AND NOT s.cycle "
         "AND s.schemaname NOT IN ('dbcare', 'pg_catalog', 'information_schema') ORDER BY 4 DESC"},
    /* What holds the xmin horizon back (the core plans each one's end):
     * sessions and prepared transactions of this database (those of others
     * do not hold its tables' horizon), every slot and standby. Columns as
     * dbc_health_collect reads them: the kind in type, the holder last.
     * Each names the dead tuples waiting in this database's tables (the
     * oldest holder keeps them all from VACUUM). On a standby (issue 67) a
     * session holds a horizon only through hot_standby_feedback, the
     * primary's: its own sessions are named while the feedback is on, and
     * prepared transactions (replayed; ended on the primary) are not. */
    [DBC_HC_XMIN_HORIZON] =
        {false,
         "SELECT NULL, h.label, NULL, h.age, h.detail || coalesce(', ' || "
         "nullif(d.n, 0) || ' dead tuples wait in this database', ''), "
         "NULL, NULL, NULL, NULL, h.kind, NULL, NULL, NULL, h.holder FROM ("
         "SELECT 'prepared' AS kind, p.gid AS holder, "
         "'prepared transaction ' || pg_catalog.quote_literal(p.gid) AS label, "
         "pg_catalog.age(p.transaction)::float8 AS age, "
         "'prepared ' || (pg_catalog.now() - p.prepared)::text || ' ago by ' || p.owner AS detail "
         "FROM pg_catalog.pg_prepared_xacts p WHERE p.database = pg_catalog.current_database() "
         "AND NOT pg_catalog.pg_is_in_recovery() "
         "UNION ALL SELECT 'session', a.pid::text, 'session ' || a.pid, "
         "greatest(pg_catalog.age(a.backend_xmin), pg_catalog.age(a.backend_xid))::float8, "
         "coalesce(a.state, 'unknown state') || ', user ' || coalesce(a.usename::text, '?') || "
         "coalesce(', in its transaction since ' || a.xact_start::text, '') || "
         "CASE WHEN pg_catalog.pg_is_in_recovery() THEN ', on this standby: holds the primary''s "
         "horizon through hot_standby_feedback' ELSE '' END "
         "FROM pg_catalog.pg_stat_activity a WHERE a.pid <> pg_catalog.pg_backend_pid() "
         "AND a.backend_type = 'client backend' AND a.datname = pg_catalog.current_database() "
         "AND (a.backend_xmin IS NOT NULL OR a.backend_xid IS NOT NULL) "
         "AND (NOT pg_catalog.pg_is_in_recovery() "
         "OR pg_catalog.current_setting('hot_standby_feedback')::bool) "
         "UNION ALL SELECT 'slot', r.slot_name::text, 'replication slot ' || r.slot_name, "
         "greatest(pg_catalog.age(r.xmin), pg_catalog.age(r.catalog_xmin))::float8, "
         "r.slot_type || CASE WHEN r.active THEN ', active' ELSE ', inactive' END "
         "FROM pg_catalog.pg_replication_slots r "
         "WHERE r.xmin IS NOT NULL OR r.catalog_xmin IS NOT NULL "
         /* a standby's feedback: named by its application_name and slot,
          * the walsender that receives it, the xmin it sends */
         "UNION ALL SELECT 'standby', w.pid::text, 'standby ' || coalesce(w.application_name, "
         "'') || coalesce(' on slot ' || sl.slot_name, '') || ' (walsender ' || w.pid || ')', "
         "pg_catalog.age(w.backend_xmin)::float8, "
         "'hot_standby_feedback on, backend_xmin ' || w.backend_xmin || "
         "coalesce(', from ' || w.client_addr::text, '') "
         "FROM pg_catalog.pg_stat_replication w LEFT JOIN pg_catalog.pg_replication_slots sl "
         "ON sl.active_pid = w.pid WHERE w.backend_xmin IS NOT NULL) h "
         "CROSS JOIN (SELECT CASE WHEN pg_catalog.pg_is_in_recovery() THEN 0 ELSE "
         "coalesce(sum(u.n_dead_tup), 0) END::bigint AS n FROM pg_catalog.pg_stat_user_tables u "
         "WHERE u.schemaname <> 'dbcare') d ORDER BY 4 DESC, 2"},
    [DBC_HC_XID_WRAPAROUND] =
        {false,
         /* multixacts (row locks shared by several transactions) wrap
          * around at 2^31 too, frozen by the same VACUUM: the older counts */
         "SELECT NULL, d.datname, NULL, 100.0 * greatest(pg_catalog.age(d.datfrozenxid), "
         "pg_catalog.mxid_age(d.datminmxid)) / 2147483648.0, "
         "pg_catalog.age(d.datfrozenxid) || ' transactions, ' || "
         "pg_catalog.mxid_age(d.datminmxid) || ' multixacts old' "
         "FROM pg_catalog.pg_database d WHERE d.datallowconn ORDER BY 4 DESC"},
    /* A foreign key's triggers are named by the key and its table (the
     * referencing one, for the triggers on both ends); a user trigger by its
     * name and table: names repeat across tables. Not catalog_only:
     * pg_db_role_setting is not part of the cached model's key. */
    [DBC_HC_DISABLED_TRIGGERS] =
        {false, "WITH " REPLICA_SETTING " "
                "SELECT DISTINCT n.nspname, CASE WHEN tg.tgisinternal THEN con.conname ELSE "
                "tg.tgname END, "
                "t.relname, 0, CASE WHEN tg.tgisinternal THEN 'foreign key ' ELSE '' END || 'on ' "
                "|| t.relname || "
                "CASE tg.tgenabled WHEN 'D' THEN '' WHEN 'R' THEN ', fires only under "
                "session_replication_role = replica' "
                "ELSE ', off under session_replication_role = replica set for ' || replica.who END "
                "FROM pg_catalog.pg_trigger tg "
                "LEFT JOIN pg_catalog.pg_constraint con ON con.oid = tg.tgconstraint "
                "JOIN pg_catalog.pg_class t ON t.oid = CASE WHEN tg.tgisinternal THEN con.conrelid "
                "ELSE tg.tgrelid END "
                "JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace CROSS JOIN replica "
                "WHERE ((tg.tgenabled = 'D' AND (NOT tg.tgisinternal OR tg.tgconstraint <> 0)) "
                "OR (tg.tgisinternal AND con.contype = 'f' AND (tg.tgenabled = 'R' "
                "OR (tg.tgenabled = 'O' AND replica.who IS NOT NULL AND con.conparentid = 0)))) "
                "AND " USER_NS("n") " ORDER BY 1, 3, 2"},
};

/* A catalog-only check's rows under the catalog state of the report's
 * schema model, which the report reads in every mode (the fingerprint): kept
 * with the cached model, they answer again until the catalogs change
 * (docs/benchmarks.md, "health `standard`, third round"). */
static int gather_catalog_only(dbc_ctx *ctx, const dbc_health_hooks *eng, dbc_health_fact *fact,
                               const char *sql)
{
	dbc_schema *s;
	if (dbc_health_schema(ctx, eng, &s) != DBC_OK)
		return DBC_ERROR;
	return pgdbc_catalog_query(ctx, s, sql, dbc_health_collect_row, fact);
}

/* An invalid unique index is mostly a CREATE UNIQUE INDEX CONCURRENTLY that
 * failed on duplicate keys: building it again (REINDEX, or drop and create)
 * fails the same way while they remain. Its hint is the query that finds
 * them, carried in the object's detail. */
static int invalid_unique_hint(dbc_ctx *ctx, dbc_health_fact *fact)
{
	for (int i = 0; i < fact->nobjects; i++) {
		dbc_health_object *o = &fact->objects[i];
		if (!o->detail)
			continue;
		if (!fact->hint) {
			fact->hint = dbc_printf(ctx,
			                        "Unique index %s.%s may have failed on duplicate keys, and "
			                        "building it again fails while they remain: %s finds them; "
			                        "change or delete those rows, then drop the index and create "
			                        "it again.",
			                        o->schema, o->name, o->detail);
			if (!fact->hint)
				return DBC_ERROR;
		}
		o->listing = o->detail; /* the plan's row for it is this query */
		o->detail = NULL;
	}
	return DBC_OK;
}

/* The checks answered by one query of simple[]. */
static int gather_simple(dbc_ctx *ctx, const dbc_health_hooks *eng, dbc_health_mode mode,
                         dbc_health_fact *fact)
{
	const simple_check *q = &simple[fact->def->id];
	(void)mode;
	if (!q->sql)
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "no query for the %s check", fact->def->name);
	return q->catalog_only ? gather_catalog_only(ctx, eng, fact, q->sql)
	                       : dbc_health_collect(ctx, fact, q->sql, 0, NULL);
}

static int gather_invalid_indexes(dbc_ctx *ctx, const dbc_health_hooks *eng, dbc_health_mode mode,
                                  dbc_health_fact *fact)
{
	if (gather_simple(ctx, eng, mode, fact) != DBC_OK)
		return DBC_ERROR;
	return invalid_unique_hint(ctx, fact);
}

/* Each unindexed foreign key carries its referencing columns, the index the
 * maintenance plan creates, from the model the report reads anyway. */
static int gather_unindexed_fk(dbc_ctx *ctx, const dbc_health_hooks *eng, dbc_health_mode mode,
                               dbc_health_fact *fact)
{
	dbc_schema *s;
	if (gather_simple(ctx, eng, mode, fact) != DBC_OK || dbc_health_schema(ctx, eng, &s) != DBC_OK)
		return DBC_ERROR;
	for (int i = 0; i < fact->nobjects; i++) {
		dbc_health_object *o = &fact->objects[i];
		const dbc_table *t = dbc_schema_find_table(s, o->schema, o->table);
		for (int k = 0; t && k < t->nconstraints; k++)
			if (t->constraints[k].kind == DBC_CON_FOREIGN_KEY &&
			    strcmp(t->constraints[k].name, o->name) == 0)
				o->columns = t->constraints[k].columns;
	}
	return DBC_OK;
}

/* The columns a sequence's widening takes along, for one sequence
 * ($1 schema, $2 name): the integer columns it feeds (owned by it, or
 * naming it in their default), then, transitively, every column whose
 * foreign key references one of them (a partitioned table's key once: its
 * partitions' clones follow an ALTER of the parent). Only columns narrower
 * than bigint, without the one the finding already names ($3.$4.$5); each
 * with its own serial sequence when that is narrower too and not this one
 * (an identity sequence follows its column's new type by itself). */
static const char *const widen_sql =
    "WITH RECURSIVE seq AS (SELECT c.oid FROM pg_catalog.pg_class c "
    "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind = 'S'), "
    "fed(relid, attnum) AS (SELECT d.refobjid, d.refobjsubid FROM pg_catalog.pg_depend d, seq "
    "WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = seq.oid "
    "AND d.refclassid = 'pg_catalog.pg_class'::regclass AND d.refobjsubid > 0 "
    "AND d.deptype IN ('a', 'i') "
    "UNION SELECT ad.adrelid, ad.adnum FROM pg_catalog.pg_depend d "
    "JOIN pg_catalog.pg_attrdef ad ON ad.oid = d.objid, seq "
    "WHERE d.classid = 'pg_catalog.pg_attrdef'::regclass "
    "AND d.refclassid = 'pg_catalog.pg_class'::regclass AND d.refobjid = seq.oid), "
    "refs(relid, attnum) AS (SELECT relid, attnum FROM fed "
    "UNION SELECT con.conrelid, con.conkey[k.i] FROM refs r "
    "JOIN pg_catalog.pg_constraint con ON con.contype = 'f' AND con.confrelid = r.relid "
    "AND con.conparentid = 0 "
    "CROSS JOIN LATERAL pg_catalog.generate_subscripts(con.confkey, 1) k(i) "
    "WHERE con.confkey[k.i] = r.attnum) "
    "SELECT n.nspname, t.relname, a.attname, s.nspname, s.relname "
    "FROM refs JOIN pg_catalog.pg_attribute a ON a.attrelid = refs.relid AND a.attnum = "
    "refs.attnum "
    "JOIN pg_catalog.pg_class t ON t.oid = refs.relid "
    "JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace "
    "LEFT JOIN LATERAL (SELECT sn.nspname, sc.relname FROM pg_catalog.pg_depend d "
    "JOIN pg_catalog.pg_class sc ON sc.oid = d.objid AND sc.relkind = 'S' "
    "JOIN pg_catalog.pg_namespace sn ON sn.oid = sc.relnamespace "
    "JOIN pg_catalog.pg_sequence sq ON sq.seqrelid = sc.oid "
    "WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.refobjid = refs.relid "
    "AND d.refobjsubid = refs.attnum AND d.deptype = 'a' "
    "AND sq.seqtypid <> 'pg_catalog.int8'::regtype AND sc.oid NOT IN (SELECT oid FROM seq) "
    "LIMIT 1) s ON true "
    "WHERE a.atttypid IN ('pg_catalog.int2'::regtype, 'pg_catalog.int4'::regtype) "
    "AND t.relkind IN ('r', 'p') "
    "AND (n.nspname::text, t.relname::text, a.attname::text) IS DISTINCT FROM ($3, $4, $5) "
    "ORDER BY 1, 2, 3";

static int take_widen(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	dbc_health_object *o = arg;
	if (ncol != 5 || c[0].type != DBC_TEXT || c[1].type != DBC_TEXT || c[2].type != DBC_TEXT)
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "unexpected widening row");
	int cap = o->nwiden + 1;
	dbc_health_widen *w = dbc_alloc(ctx, sizeof(*w) * (size_t)cap);
	if (!w)
		return DBC_ERROR;
	if (o->nwiden)
		memcpy(w, o->widen, sizeof(*w) * (size_t)o->nwiden);
	o->widen = w;
	w = &o->widen[o->nwiden];
	w->schema = dbc_strdup(ctx, c[0].s);
	w->table = dbc_strdup(ctx, c[1].s);
	w->column = dbc_strdup(ctx, c[2].s);
	w->sequence_schema = c[3].type == DBC_TEXT ? dbc_strdup(ctx, c[3].s) : NULL;
	w->sequence = c[4].type == DBC_TEXT ? dbc_strdup(ctx, c[4].s) : NULL;
	if (ctx->failed)
		return DBC_ERROR;
	o->nwiden++;
	return DBC_OK;
}

/* sequence_exhaustion: the simple query, then, for each sequence past the
 * warn line (those the maintenance plan widens: few), the columns its
 * widening takes along. */
static int gather_sequences(dbc_ctx *ctx, const dbc_health_hooks *eng, dbc_health_mode mode,
                            dbc_health_fact *fact)
{
	double warn = fact->def->warn;
	if (gather_simple(ctx, eng, mode, fact) != DBC_OK)
		return DBC_ERROR;
	/* a setting that cannot be read takes its default, as in the report */
	int level = ctx->host->savepoint(ctx);
	if (level < 0)
		return DBC_ERROR;
	if (dbc_setting_get_number(ctx, "health.sequence_exhaustion.warn", &warn) != DBC_OK) {
		if (strcmp(ctx->sqlstate, DBC_SQLSTATE_CANCELED) == 0)
			return DBC_ERROR;
		warn = fact->def->warn;
		dbc_error_clear(ctx);
		if (ctx->host->rollback(ctx, level) != DBC_OK)
			return DBC_ERROR;
	} else if (ctx->host->release(ctx, level) != DBC_OK) {
		return DBC_ERROR;
	}
	for (int i = 0; warn >= 0 && i < fact->nobjects; i++) {
		dbc_health_object *o = &fact->objects[i];
		if (!(o->value > warn) || !o->schema)
			continue;
		dbc_value p[5] = {dbc_text(o->schema), dbc_text(o->name),
		                  o->column_schema ? dbc_text(o->column_schema) : dbc_null(),
		                  o->column_table ? dbc_text(o->column_table) : dbc_null(),
		                  o->column ? dbc_text(o->column) : dbc_null()};
		if (ctx->host->query(ctx, widen_sql, 5, p, take_widen, o) != DBC_OK)
			return DBC_ERROR;
	}
	return DBC_OK;
}

static int take_metrics(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	dbc_health_metrics *m = arg;
	(void)ctx;
	if (ncol >= 2) {
		m->tables = c[0].type == DBC_INT ? c[0].i : -1;
		m->indexes = c[1].type == DBC_INT ? c[1].i : -1;
	}
	return DBC_OK;
}

static int metrics(dbc_ctx *ctx, const dbc_health_hooks *eng, dbc_health_metrics *m)
{
	pg_health_state *st = eng->state;
	int64 size = 0;
	if (pgdbc_guarded(ctx, pgdbc_database_size, &size) != DBC_OK)
		return DBC_ERROR;
	m->size_bytes = size;
	if (st && st->counted) {
		m->tables = st->tables;
		m->indexes = st->indexes;
		return DBC_OK;
	}
	if (ctx->host->query(
	        ctx,
	        /* both counts from one pass over pg_class */
	        "SELECT count(*) FILTER (WHERE c.relkind IN ('r', 'p')), "
	        "count(*) FILTER (WHERE c.relkind IN ('i', 'I')) "
	        "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
	        "WHERE c.relkind IN ('r', 'p', 'i', 'I') AND " USER_NS("n"),
	        0, NULL, take_metrics, m) != DBC_OK)
		return DBC_ERROR;
	return DBC_OK;
}

static int take_table_size(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	if (ncol < 4 || c[0].type != DBC_TEXT || c[1].type != DBC_TEXT || c[3].type != DBC_INT)
		return DBC_OK;
	return dbc_health_table_sizes_add(ctx, arg, c[0].s, c[1].s, c[2].type == DBC_INT ? c[2].i : -1,
	                                  c[3].i);
}

/* The largest tables with their indexes and TOAST (partitions each on
 * their own: a partitioned table holds no bytes); reltuples is -1 until a
 * table is first analyzed or vacuumed: unknown. pg_total_relation_size
 * opens the table, its TOAST and its indexes and so waits behind an
 * ACCESS EXCLUSIVE lock another session (or a prepared transaction)
 * holds or waits for on any of them: such a table's bytes are its pages
 * and its indexes' as the last VACUUM or ANALYZE counted, read without a
 * lock, so a report never waits on a DDL statement. */
static int table_sizes(dbc_ctx *ctx, const dbc_health_hooks *eng, int limit,
                       dbc_health_table_sizes *out)
{
	(void)eng;
	dbc_value p = dbc_int(limit);
	return ctx->host->query(
	    ctx,
	    "WITH locked AS (SELECT DISTINCT l.relation FROM pg_catalog.pg_locks l "
	    "WHERE l.mode = 'AccessExclusiveLock' AND l.relation IS NOT NULL "
	    "AND l.pid IS DISTINCT FROM pg_catalog.pg_backend_pid() AND l.database = "
	    "(SELECT d.oid FROM pg_catalog.pg_database d "
	    "WHERE d.datname = pg_catalog.current_database())) "
	    "SELECT n.nspname, c.relname, CASE WHEN c.reltuples >= 0 THEN c.reltuples::bigint END, "
	    "CASE WHEN c.oid IN (SELECT relation FROM locked) OR c.reltoastrelid IN "
	    "(SELECT relation FROM locked) OR EXISTS (SELECT 1 FROM pg_catalog.pg_index x "
	    "WHERE x.indrelid = c.oid AND x.indexrelid IN (SELECT relation FROM locked)) "
	    "THEN (c.relpages + coalesce((SELECT sum(i.relpages) FROM pg_catalog.pg_index x "
	    "JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid WHERE x.indrelid = c.oid), 0))"
	    "::bigint * pg_catalog.current_setting('block_size')::bigint "
	    "ELSE pg_catalog.pg_total_relation_size(c.oid) END AS bytes "
	    "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
	    "WHERE c.relkind IN ('r', 'm') AND " USER_NS("n") " ORDER BY 4 DESC, 1, 2 LIMIT $1",
	    1, &p, take_table_size, out);
}

static int take_query_stat(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	if (ncol < 5 || c[0].type != DBC_TEXT || c[2].type != DBC_INT)
		return DBC_OK;
	return dbc_health_query_stats_add(ctx, arg, c[0].s, c[1].type == DBC_TEXT ? c[1].s : NULL,
	                                  c[2].i, c[3].type == DBC_FLOAT ? c[3].f : 0,
	                                  c[4].type == DBC_INT ? c[4].i : -1);
}

/* This database's statements in pg_stat_statements by queryid (its rows of
 * every user and nesting level summed), the limit of most total time.
 * Whether the extension is installed is a catalog lookup; installed but not
 * loaded (55000) or not granted (42501), its error, caught in a
 * subtransaction, is the reason it is absent. A role without
 * pg_read_all_stats sees other roles' statements without queryid: left out. */
static int query_stats(dbc_ctx *ctx, const dbc_health_hooks *eng, int limit,
                       dbc_health_query_stats *out)
{
	char *ns = NULL;
	out->source = "pg_stat_statements";
	if (extension_schema(ctx, eng, "pg_stat_statements", &ns) != DBC_OK)
		return DBC_ERROR;
	if (!ns) {
		out->absent = dbc_strdup(ctx, "pg_stat_statements is not installed in this database");
		out->hint = dbc_strdup(ctx, "Add pg_stat_statements to shared_preload_libraries, "
		                            "restart, then CREATE EXTENSION pg_stat_statements;");
		return DBC_OK;
	}
	char *sql = dbc_printf(
	    ctx,
	    "SELECT s.queryid::text, (pg_catalog.array_agg(pg_catalog.left(s.query, %d)))[1], "
	    "sum(s.calls)::bigint, sum(s.total_exec_time)::float8, sum(s.rows)::bigint "
	    "FROM %s.pg_stat_statements s WHERE s.dbid = (SELECT d.oid FROM pg_catalog.pg_database d "
	    "WHERE d.datname = pg_catalog.current_database()) AND s.queryid IS NOT NULL "
	    "GROUP BY s.queryid ORDER BY 4 DESC, 1 LIMIT $1",
	    DBC_HEALTH_QUERY_TEXT_MAX, ctx->host->quote_ident(ctx, ns));
	dbc_value p = dbc_int(limit);
	int level = sql ? ctx->host->savepoint(ctx) : -1;
	if (level < 0)
		return DBC_ERROR;
	if (ctx->host->query(ctx, sql, 1, &p, take_query_stat, out) != DBC_OK) {
		if (strcmp(ctx->sqlstate, "55000") != 0 && strcmp(ctx->sqlstate, "42501") != 0)
			return DBC_ERROR;
		out->absent = dbc_printf(ctx, "pg_stat_statements cannot be read: %s",
		                         ctx->message ? ctx->message : "an error");
		out->hint = dbc_strdup(ctx, strcmp(ctx->sqlstate, "42501") == 0
		                                ? "GRANT pg_monitor TO <monitoring role>;"
		                                : "Add pg_stat_statements to shared_preload_libraries "
		                                  "and restart the server.");
		out->n = 0;
		dbc_error_clear(ctx);
		return ctx->host->rollback(ctx, level);
	}
	return ctx->host->release(ctx, level);
}

/* PostgreSQL's gatherers by check id; a check of the catalogue that applies
 * to PostgreSQL and has no core gatherer needs one here
 * (test/pgtap/health_dispatch.sql proves every one is answered). */
static const dbc_health_gather_fn gatherers[DBC_HC_COUNT] = {
    [DBC_HC_INTEGRITY] = gather_integrity,
    [DBC_HC_FOREIGN_KEYS_ENFORCED] = gather_simple,
    [DBC_HC_TABLES_WITHOUT_PRIMARY_KEY] = dbc_health_gather_no_pk,
    [DBC_HC_UNINDEXED_FOREIGN_KEYS] = gather_unindexed_fk,
    [DBC_HC_DUPLICATE_INDEXES] = gather_simple,
    [DBC_HC_FRAGMENTATION] = gather_table_stats,
    [DBC_HC_TABLE_BLOAT] = pgdbc_gather_table_bloat,
    [DBC_HC_STATISTICS] = gather_table_stats,
    [DBC_HC_SLOW_QUERIES] = gather_slow,
    [DBC_HC_INVALID_INDEXES] = gather_invalid_indexes,
    [DBC_HC_UNUSED_INDEXES] = gather_simple,
    [DBC_HC_NOT_VALID_CONSTRAINTS] = gather_simple,
    [DBC_HC_SEQUENCE_EXHAUSTION] = gather_sequences,
    [DBC_HC_XID_WRAPAROUND] = gather_simple,
    [DBC_HC_LONG_TRANSACTIONS] = gather_sessions,
    [DBC_HC_IDLE_IN_TRANSACTION] = gather_sessions,
    [DBC_HC_CONNECTIONS] = gather_connections,
    [DBC_HC_CACHE_HIT_RATIO] = gather_cache,
    [DBC_HC_DISABLED_TRIGGERS] = gather_simple,
    [DBC_HC_REPLICATION] = gather_replication,
    [DBC_HC_BACKUPS] = pgdbc_gather_backups,
    [DBC_HC_AUDIT] = pgdbc_gather_audit,
    [DBC_HC_XMIN_HORIZON] = gather_simple,
};

/* Fills eng with PostgreSQL's gatherers for a report run in ctx. */
static void fill_hooks(dbc_ctx *ctx, dbc_health_hooks *eng)
{
	pg_health_state *st = dbc_zalloc(ctx, sizeof(*st));
	const char *version = GetConfigOption("server_version", false, false);
	char *database = get_database_name(MyDatabaseId);
	memset(eng, 0, sizeof(*eng));
	/* what current_setting('server_version') and current_database() say,
	 * without a statement each */
	eng->engine_version = version ? dbc_strdup(ctx, version) : NULL;
	eng->database = database ? dbc_strdup(ctx, database) : NULL;
	if (st)
		st->stats_priv = -1;
	eng->state = st;
	eng->gatherers = gatherers;
	eng->metrics = metrics;
	eng->table_sizes = table_sizes;
	eng->query_stats = query_stats;
	eng->retain = pgdbc_retain_hooks();
}

void pgdbc_health_register(dbc_api_hooks *api)
{
	api->health = fill_hooks;
}
