/*
 * live_panels_pg.c — the live panels of a PostgreSQL database
 * (live_panels.h): query statistics from pg_stat_statements, the sessions
 * of this database, connections by state, user, database and application,
 * the blocked-query tree with each blocker first, table and index sizes.
 * Every statement reads the server's statistics views and nothing else;
 * the serve connection sees what its role may (pg_monitor sees all).
 */
#include "live_panels.h"

#include <stddef.h>

/* The statements of the top 20 by each of total time, calls, mean time
 * and rows, together, largest total time first (the page sorts by any
 * column). Only this database's (dbid). */
static const char query_statistics[] =
    "WITH s AS (SELECT * FROM @schema@.pg_stat_statements AS s"
    " WHERE s.dbid = (SELECT oid FROM pg_database WHERE datname = current_database())),"
    " top AS ((SELECT queryid FROM s ORDER BY total_exec_time DESC LIMIT 20)"
    " UNION (SELECT queryid FROM s ORDER BY calls DESC LIMIT 20)"
    " UNION (SELECT queryid FROM s ORDER BY mean_exec_time DESC LIMIT 20)"
    " UNION (SELECT queryid FROM s ORDER BY rows DESC LIMIT 20))"
    " SELECT left(s.query, 2000) AS query, sum(s.calls) AS calls,"
    " round(sum(s.total_exec_time)::numeric, 1) AS total_ms,"
    " round((sum(s.total_exec_time) / nullif(sum(s.calls), 0))::numeric, 3) AS mean_ms,"
    " sum(s.rows) AS rows,"
    " round((100 * sum(s.total_exec_time) / nullif((SELECT sum(total_exec_time) FROM s), 0))"
    "::numeric, 1) AS percent_of_time"
    " FROM s JOIN top USING (queryid) GROUP BY s.queryid, s.query"
    " ORDER BY sum(s.total_exec_time) DESC";

static const char live_queries[] =
    "SELECT pid, usename AS \"user\", application_name AS application,"
    " client_addr AS client, state, wait_event_type || ': ' || wait_event AS waiting_on,"
    " round(extract(epoch FROM clock_timestamp() - query_start)::numeric, 1) AS seconds,"
    " left(query, 2000) AS query"
    " FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
    " AND backend_type = 'client backend'"
    " ORDER BY state = 'active' DESC, query_start NULLS LAST LIMIT 200";

/* one row per (dimension, value); the dimensions in the heading's order */
static const char connections[] =
    "SELECT CASE WHEN grouping(state) = 0 THEN 'state' WHEN grouping(usename) = 0 THEN 'user'"
    " WHEN grouping(datname) = 0 THEN 'database' ELSE 'application' END AS \"by\","
    " coalesce(CASE WHEN grouping(state) = 0 THEN state WHEN grouping(usename) = 0 THEN"
    " usename::text WHEN grouping(datname) = 0 THEN datname::text ELSE application_name END,"
    " '(none)') AS value, count(*) AS connections"
    " FROM pg_stat_activity WHERE backend_type = 'client backend'"
    " GROUP BY GROUPING SETS ((state), (usename), (datname), (application_name))"
    " ORDER BY grouping(state), grouping(usename), grouping(datname), count(*) DESC, 2";

/* The sessions that block others and are not blocked themselves first,
 * each followed by the sessions waiting on it (depth 1), and theirs. */
static const char blocked_tree[] =
    "WITH RECURSIVE a AS (SELECT pid, pg_blocking_pids(pid) AS blockers, usename, state,"
    " wait_event_type, query, query_start FROM pg_stat_activity WHERE datname ="
    " current_database()),"
    " edge AS (SELECT a.pid, b AS blocker FROM a, unnest(a.blockers) AS b),"
    " tree AS (SELECT a.pid, NULL::int AS blocked_by, 0 AS depth, ARRAY[a.pid] AS path FROM a"
    " WHERE cardinality(a.blockers) = 0 AND a.pid IN (SELECT blocker FROM edge)"
    " UNION ALL SELECT e.pid, e.blocker, t.depth + 1, t.path || e.pid FROM tree AS t"
    " JOIN edge AS e ON e.blocker = t.pid WHERE e.pid <> ALL (t.path) AND t.depth < 20)"
    " SELECT t.depth, t.pid, t.blocked_by, a.usename AS \"user\", a.state,"
    " a.wait_event_type AS waiting_on,"
    " round(extract(epoch FROM clock_timestamp() - a.query_start)::numeric, 1) AS seconds,"
    " left(a.query, 2000) AS query FROM tree AS t JOIN a USING (pid) ORDER BY t.path LIMIT 500";

/* The relations another session (or a prepared transaction) holds or
 * waits for in ACCESS EXCLUSIVE mode: reading their size would wait
 * behind that lock (pg_relation_size opens them), so they show "locked"
 * and sort by their pages as the last VACUUM counted. */
#define LOCKED                                                                                     \
	"locked AS (SELECT DISTINCT relation FROM pg_locks WHERE mode = 'AccessExclusiveLock'"         \
	" AND relation IS NOT NULL AND pid IS DISTINCT FROM pg_backend_pid() AND database ="           \
	" (SELECT oid FROM pg_database WHERE datname = current_database()))"

static const char tables[] =
    "WITH " LOCKED ", t AS (SELECT s.*, c.reltuples, c.relpages,"
    " EXISTS (SELECT 1 FROM locked WHERE relation IN (s.relid, c.reltoastrelid)) OR EXISTS"
    " (SELECT 1 FROM pg_index AS x JOIN locked ON relation = x.indexrelid"
    " WHERE x.indrelid = s.relid) AS held"
    " FROM pg_stat_user_tables AS s JOIN pg_class AS c ON c.oid = s.relid)"
    " SELECT quote_ident(schemaname) || '.' || quote_ident(relname) AS \"table\","
    " CASE WHEN held THEN 'locked' ELSE pg_size_pretty(pg_total_relation_size(relid)) END"
    " AS total,"
    " CASE WHEN held THEN 'locked' ELSE pg_size_pretty(pg_relation_size(relid)) END AS heap,"
    " CASE WHEN held THEN 'locked' ELSE pg_size_pretty(pg_indexes_size(relid)) END AS indexes,"
    " greatest(reltuples, 0)::bigint AS rows_estimate, n_dead_tup AS dead_rows,"
    " to_char(greatest(last_vacuum, last_autovacuum), 'YYYY-MM-DD HH24:MI:SS TZ')"
    " AS last_vacuum,"
    " to_char(greatest(last_analyze, last_autoanalyze), 'YYYY-MM-DD HH24:MI:SS TZ')"
    " AS last_analyze FROM t ORDER BY CASE WHEN held THEN relpages::bigint *"
    " current_setting('block_size')::bigint ELSE pg_total_relation_size(relid) END DESC, 1"
    " LIMIT 50";

static const char indexes[] =
    "WITH " LOCKED ", i AS (SELECT s.*, c.reltuples, c.relpages,"
    " EXISTS (SELECT 1 FROM locked WHERE relation IN (s.relid, s.indexrelid)) AS held"
    " FROM pg_stat_user_indexes AS s JOIN pg_class AS c ON c.oid = s.indexrelid)"
    " SELECT quote_ident(schemaname) || '.' || quote_ident(indexrelname) AS \"index\","
    " quote_ident(relname) AS \"table\","
    " CASE WHEN held THEN 'locked' ELSE pg_size_pretty(pg_relation_size(indexrelid)) END"
    " AS size, greatest(reltuples, 0)::bigint AS rows_estimate, idx_scan AS scans"
    " FROM i ORDER BY CASE WHEN held THEN relpages::bigint *"
    " current_setting('block_size')::bigint ELSE pg_relation_size(indexrelid) END DESC, 1"
    " LIMIT 50";

/* The schema pg_stat_statements is installed in (quoted); no row: not
 * installed in this database. */
const char cli_pg_statements_locate[] =
    "SELECT quote_ident(n.nspname) FROM pg_extension AS e JOIN pg_namespace AS n"
    " ON n.oid = e.extnamespace WHERE e.extname = 'pg_stat_statements'";

/* serve's query series (cli/serve/serve_queries.c): this database's
 * statements by queryid (its rows of every user and nesting level
 * summed), the CLI_QUERY_SERIES_MAX largest by total time, whatever
 * pg_stat_statements holds; never the text. */
const char cli_pg_query_series[] =
    "SELECT s.queryid::text AS queryid, sum(s.calls) AS calls,"
    " sum(s.total_exec_time) / 1000 AS total_seconds"
    " FROM @schema@.pg_stat_statements AS s"
    " WHERE s.dbid = (SELECT oid FROM pg_database WHERE datname = current_database())"
    " AND s.queryid IS NOT NULL GROUP BY s.queryid"
    " ORDER BY sum(s.total_exec_time) DESC, s.queryid LIMIT " CLI_QUERY_SERIES_MAX_TEXT;

const cli_live_panel cli_pg_live_panels[] = {
    {"queries", "Query statistics",
     "pg_stat_statements of this database: the top 20 by total time, by calls, by mean time "
     "and by rows, largest total time first; totals since the statistics were last reset.",
     query_statistics, cli_pg_statements_locate,
     "Query statistics need pg_stat_statements: add it to shared_preload_libraries in "
     "postgresql.conf (shared_preload_libraries = 'pg_stat_statements'), restart the server, "
     "then run CREATE EXTENSION pg_stat_statements in this database.",
     -1, -1},
    {"live", "Live queries",
     "The other sessions of this database now (pg_stat_activity), active ones first; cancel "
     "ends the running statement, terminate the session (with the write token).",
     live_queries, NULL, NULL, 0, -1},
    {"connections", "Connections",
     "Client connections of the whole server, counted by state, by user, by database and by "
     "application.",
     connections, NULL, NULL, -1, -1},
    {"blocked", "Blocked queries",
     "Sessions of this database that wait on a lock, under the session that blocks them "
     "(pg_blocking_pids): each blocker first, depth 0; empty when nothing waits.",
     blocked_tree, NULL, NULL, 1, 0},
    {"tables", "Tables",
     "The 50 largest tables: sizes (with TOAST, the heap, the indexes), the planner's row "
     "estimate, dead rows, and the last VACUUM and ANALYZE (manual or automatic).",
     tables, NULL, NULL, -1, -1},
    {"indexes", "Indexes",
     "The 50 largest indexes: size, the planner's row estimate, and scans since the "
     "statistics were reset.",
     indexes, NULL, NULL, -1, -1},
};
const int cli_pg_live_panel_count = sizeof cli_pg_live_panels / sizeof cli_pg_live_panels[0];
