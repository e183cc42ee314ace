/*
 * health_sqlite.c — the facts of SQLite's health checks: one query per check
 * over sqlite_schema, PRAGMAs and the pragma_* table-valued functions, plus
 * the database-wide metrics and the snapshot table. The core grades them.
 */
#include "health_sqlite.h"

#include <stdlib.h>
#include <string.h>

/* User tables: not SQLite's own, not dbcare's bookkeeping, not virtual. */
#define USER_TABLE(m)                                                                              \
	m ".type = 'table' AND " m ".name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND " m                      \
	".name NOT LIKE 'dbcare\\_%' ESCAPE '\\' AND coalesce(" m                                       \
	".sql, '') NOT LIKE 'CREATE VIRTUAL%'"

/* Any failure of quick_check/integrity_check other than an interrupt is itself
 * the finding: a malformed file makes the pragma error instead of returning rows. */
static int gather_integrity(dbc_ctx *ctx, dbc_health_mode mode, dbc_health_fact *fact)
{
	const char *sql = mode == DBC_HEALTH_FULL
	                      ? "SELECT NULL, integrity_check, NULL, 1, NULL FROM pragma_integrity_check(100)"
	                      : "SELECT NULL, quick_check, NULL, 1, NULL FROM pragma_quick_check(100)";
	if (dbc_health_collect(ctx, fact, sql, 0, NULL) != DBC_OK) {
		if (strcmp(ctx->sqlstate, DBC_SQLSTATE_CANCELED) == 0 ||
		    strcmp(ctx->sqlstate, DBC_SQLSTATE_OUT_OF_MEMORY) == 0)
			return DBC_ERROR;
		char *msg = dbc_strdup(ctx, ctx->message ? ctx->message : "integrity check failed");
		dbc_error_clear(ctx);
		fact->nobjects = 0;
		return dbc_health_add_object(ctx, fact, NULL, msg, NULL, 1, NULL);
	}
	/* a single "ok" row means no problem */
	if (fact->nobjects == 1 && strcmp(fact->objects[0].name, "ok") == 0)
		fact->nobjects = 0;
	if (fact->nobjects == 0) {
		fact->value_text = dbc_strdup(ctx, "ok");
		fact->message = dbc_strdup(ctx, mode == DBC_HEALTH_FULL
		                                    ? "PRAGMA integrity_check found no problem"
		                                    : "PRAGMA quick_check found no problem");
	}
	return DBC_OK;
}

static int gather_fk_enforced(dbc_ctx *ctx, dbc_health_fact *fact)
{
	/* Each row: a table declaring foreign keys, with the pragma's current value. */
	const char *sql = "SELECT NULL, m.name, m.name, (SELECT foreign_keys FROM pragma_foreign_keys), "
	                  "count(DISTINCT f.id) || iif(count(DISTINCT f.id) = 1, ' foreign key', ' foreign keys') "
	                  "FROM sqlite_schema m JOIN pragma_foreign_key_list(m.name) f "
	                  "WHERE " USER_TABLE("m") " GROUP BY m.name ORDER BY m.name";
	if (dbc_health_collect(ctx, fact, sql, 0, NULL) != DBC_OK)
		return DBC_ERROR;
	if (fact->nobjects == 0) {
		dbc_health_skip(ctx, fact, "the schema declares no foreign key", NULL);
		return DBC_OK;
	}
	bool on = fact->objects[0].value != 0;
	for (int i = 0; i < fact->nobjects; i++)
		fact->objects[i].value = 0;
	if (on) {
		fact->nobjects = 0;
		fact->message = dbc_strdup(ctx, "PRAGMA foreign_keys is on");
		fact->value_text = dbc_strdup(ctx, "on");
	} else {
		fact->hint = dbc_strdup(ctx, "Run PRAGMA foreign_keys = ON on every connection (it is "
		                             "off by default and not stored in the file).");
	}
	return DBC_OK;
}

static int gather_fragmentation(dbc_ctx *ctx, dbc_health_fact *fact)
{
	int64_t freelist = 0, pages = 0;
	dbc_health_fact tmp = {0};
	if (dbc_health_collect(ctx, &tmp,
	                       "SELECT NULL, 'main', NULL, f.freelist_count, p.page_count "
	                       "FROM pragma_freelist_count f, pragma_page_count p",
	                       0, NULL) != DBC_OK)
		return DBC_ERROR;
	if (tmp.nobjects == 1) {
		freelist = (int64_t)tmp.objects[0].value;
		pages = tmp.objects[0].detail ? strtoll(tmp.objects[0].detail, NULL, 10) : 0;
	}
	double pct = pages > 0 ? 100.0 * (double)freelist / (double)pages : 0;
	/* A handful of free pages is normal churn; grade only a real freelist. */
	fact->value = freelist >= 64 ? pct : 0;
	fact->message = dbc_printf(ctx, "%lld of %lld pages are free (%.1f%%)%s", (long long)freelist,
	                           (long long)pages, pct,
	                           freelist >= 64 ? "" : "; fewer than 64 free pages are not graded");
	fact->hint = dbc_strdup(ctx, "Run VACUUM (or use auto_vacuum = incremental and PRAGMA "
	                             "incremental_vacuum).");
	return DBC_OK;
}

static int gather_no_pk(dbc_ctx *ctx, dbc_health_fact *fact)
{
	return dbc_health_collect(
		ctx, fact,
		"SELECT NULL, m.name, m.name, 0, NULL FROM sqlite_schema m WHERE " USER_TABLE("m")
		" AND NOT EXISTS (SELECT 1 FROM pragma_table_info(m.name) c WHERE c.pk > 0) ORDER BY m.name",
		0, NULL);
}

/* A foreign key is supported when some full (non-partial) index of the child
 * has exactly its columns, in any order, as its leading columns; a single
 * column that is the INTEGER PRIMARY KEY is the rowid itself. */
static int gather_unindexed_fk(dbc_ctx *ctx, dbc_health_fact *fact)
{
	return dbc_health_collect(
		ctx, fact,
		"WITH fk AS (SELECT m.name AS tbl, f.id, f.\"from\" AS col, f.\"table\" AS parent "
		"  FROM sqlite_schema m, pragma_foreign_key_list(m.name) f WHERE " USER_TABLE("m") "), "
		"fks AS (SELECT tbl, id, parent, count(*) AS n, group_concat(col, ', ') AS cols "
		"  FROM fk GROUP BY tbl, id), "
		"ix AS (SELECT m.name AS tbl, il.name AS idx, ii.seqno, ii.name AS col "
		"  FROM sqlite_schema m, pragma_index_list(m.name) il, pragma_index_info(il.name) ii "
		"  WHERE " USER_TABLE("m") " AND il.partial = 0) "
		"SELECT NULL, s.tbl || '(' || s.cols || ')', s.tbl, 0, 'references ' || s.parent "
		"FROM fks s WHERE NOT EXISTS ("
		"  SELECT 1 FROM ix i WHERE i.tbl = s.tbl AND i.seqno = 0 AND "
		"  (SELECT count(*) FROM fk JOIN ix j ON j.tbl = fk.tbl AND j.col = fk.col "
		"     WHERE fk.tbl = s.tbl AND fk.id = s.id AND j.idx = i.idx AND j.seqno < s.n) = s.n) "
		"AND NOT (s.n = 1 AND EXISTS (SELECT 1 FROM fk, pragma_table_info(s.tbl) c "
		"  WHERE fk.tbl = s.tbl AND fk.id = s.id AND c.name = fk.col AND c.pk = 1 "
		"  AND upper(c.type) = 'INTEGER' "
		"  AND (SELECT count(*) FROM pragma_table_info(s.tbl) WHERE pk > 0) = 1)) "
		"ORDER BY s.tbl, s.id",
		0, NULL);
}

/* Same table, same key columns with the same order, direction and collation,
 * neither partial nor on expressions: all but the one worth keeping (unique
 * before plain, constraint-owned before created, then by name) are duplicates. */
static int gather_duplicate_indexes(dbc_ctx *ctx, dbc_health_fact *fact)
{
	return dbc_health_collect(
		ctx, fact,
		"WITH ix AS (SELECT m.name AS tbl, il.name AS idx, il.\"unique\" AS u, il.origin, "
		"  (SELECT group_concat(x.name || ' ' || x.desc || ' ' || x.coll, ',') FROM "
		"     (SELECT * FROM pragma_index_xinfo(il.name) WHERE key ORDER BY seqno) x) AS cols, "
		"  (SELECT count(*) FROM pragma_index_xinfo(il.name) WHERE key AND name IS NULL) AS exprs "
		"  FROM sqlite_schema m, pragma_index_list(m.name) il "
		"  WHERE " USER_TABLE("m") " AND il.partial = 0), "
		"ranked AS (SELECT *, row_number() OVER (PARTITION BY tbl, cols "
		"  ORDER BY u DESC, origin = 'c', idx) AS rn, "
		"  first_value(idx) OVER (PARTITION BY tbl, cols ORDER BY u DESC, origin = 'c', idx) AS keep "
		"  FROM ix WHERE exprs = 0) "
		"SELECT NULL, idx, tbl, 0, 'same as ' || keep FROM ranked WHERE rn > 1 ORDER BY tbl, idx",
		0, NULL);
}

static int gather_statistics(dbc_ctx *ctx, dbc_health_fact *fact)
{
	char *found = NULL;
	if (dbc_query_text(ctx,
	                   "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'sqlite_stat1'",
	                   0, NULL, &found, NULL) != DBC_OK)
		return DBC_ERROR;
	/* Only tables with an index: without one the planner has nothing to choose. */
	if (!found)
		return dbc_health_collect(
			ctx, fact,
			"SELECT NULL, m.name, m.name, 0, 'never analysed' FROM sqlite_schema m WHERE " USER_TABLE(
				"m") " AND EXISTS (SELECT 1 FROM pragma_index_list(m.name)) ORDER BY m.name",
			0, NULL);
	return dbc_health_collect(
		ctx, fact,
		"SELECT NULL, m.name, m.name, 0, 'no statistics' FROM sqlite_schema m WHERE " USER_TABLE(
			"m") " AND EXISTS (SELECT 1 FROM pragma_index_list(m.name)) "
		     "AND NOT EXISTS (SELECT 1 FROM sqlite_stat1 s WHERE s.tbl = m.name) ORDER BY m.name",
		0, NULL);
}

static int gather_journal_mode(dbc_ctx *ctx, dbc_health_fact *fact)
{
	char *mode = NULL;
	if (dbc_query_text(ctx, "SELECT journal_mode FROM pragma_journal_mode", 0, NULL, &mode, NULL) !=
	    DBC_OK)
		return DBC_ERROR;
	fact->value_text = mode ? mode : dbc_strdup(ctx, "unknown");
	fact->message = dbc_printf(ctx, "journal_mode is %s", fact->value_text);
	return DBC_OK;
}

static int gather(dbc_ctx *ctx, const dbc_health_engine *eng, dbc_health_mode mode,
                  dbc_health_fact *fact)
{
	const char *n = fact->def->name;
	if (strcmp(n, "integrity") == 0)
		return gather_integrity(ctx, mode, fact);
	if (strcmp(n, "foreign_keys_enforced") == 0)
		return gather_fk_enforced(ctx, fact);
	if (strcmp(n, "fragmentation") == 0)
		return gather_fragmentation(ctx, fact);
	if (strcmp(n, "tables_without_primary_key") == 0)
		return gather_no_pk(ctx, fact);
	if (strcmp(n, "unindexed_foreign_keys") == 0)
		return gather_unindexed_fk(ctx, fact);
	if (strcmp(n, "duplicate_indexes") == 0)
		return gather_duplicate_indexes(ctx, fact);
	if (strcmp(n, "statistics") == 0)
		return gather_statistics(ctx, fact);
	if (strcmp(n, "journal_mode") == 0)
		return gather_journal_mode(ctx, fact);
	if (strcmp(n, "slow_queries") == 0)
		return sqldbc_monitor_fact(ctx, eng, fact);
	dbc_health_skip(ctx, fact, "not implemented for SQLite", NULL);
	return DBC_OK;
}

static int take_metrics(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *cols)
{
	dbc_health_metrics *m = arg;
	(void)ctx;
	if (ncol >= 3) {
		m->size_bytes = cols[0].type == DBC_INT ? cols[0].i : -1;
		m->tables = cols[1].type == DBC_INT ? cols[1].i : -1;
		m->indexes = cols[2].type == DBC_INT ? cols[2].i : -1;
	}
	return DBC_OK;
}

static int metrics(dbc_ctx *ctx, const dbc_health_engine *eng, dbc_health_metrics *m)
{
	(void)eng;
	return ctx->host->query(
		ctx,
		"SELECT (SELECT page_count FROM pragma_page_count) * (SELECT page_size FROM pragma_page_size), "
		"(SELECT count(*) FROM sqlite_schema m WHERE " USER_TABLE("m") "), "
		"(SELECT count(*) FROM sqlite_schema i JOIN sqlite_schema m ON m.name = i.tbl_name "
		" WHERE i.type = 'index' AND " USER_TABLE("m") ")",
		0, NULL, take_metrics, m);
}

static dbc_value opt_int(int64_t v)
{
	return v >= 0 ? dbc_int(v) : dbc_null();
}

static int store_snapshot(dbc_ctx *ctx, const dbc_health_engine *eng, const dbc_health_metrics *m,
                          int score, const char *status, const char *mode, char **taken_at)
{
	(void)eng;
	dbc_value p[8] = {dbc_text(mode),
	                  dbc_int(score),
	                  dbc_text(status),
	                  opt_int(m->size_bytes),
	                  opt_int(m->tables),
	                  opt_int(m->indexes),
	                  m->schema_fingerprint ? dbc_text(m->schema_fingerprint) : dbc_null(),
	                  m->migration_version ? dbc_text(m->migration_version) : dbc_null()};
	return dbc_query_text(ctx,
	                      "INSERT INTO dbcare_health_snapshots (taken_at, mode, score, status, "
	                      "size_bytes, tables, indexes, schema_fingerprint, migration_version) "
	                      "VALUES (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), $1, $2, $3, $4, $5, $6, $7, $8) "
	                      "RETURNING taken_at",
	                      8, p, taken_at, NULL);
}

typedef struct {
	dbc_health_samples *out;
} samples_state;

static int take_sample(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *cols)
{
	samples_state *st = arg;
	if (ncol < 2 || cols[0].type == DBC_NULL || cols[1].type == DBC_NULL)
		return DBC_OK;
	double t = cols[0].type == DBC_FLOAT ? cols[0].f : (double)cols[0].i;
	double size = cols[1].type == DBC_FLOAT ? cols[1].f : (double)cols[1].i;
	return dbc_health_samples_add(ctx, st->out, t, size);
}

static int load_samples(dbc_ctx *ctx, const dbc_health_engine *eng, double days,
                        dbc_health_samples *out)
{
	(void)eng;
	char *found = NULL;
	/* book_exists says bookkeeping exists; an older layout may lack this table */
	if (dbc_query_text(ctx,
	                   "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND "
	                   "name = 'dbcare_health_snapshots'",
	                   0, NULL, &found, NULL) != DBC_OK)
		return DBC_ERROR;
	if (!found)
		return DBC_OK;
	samples_state st = {out};
	dbc_value p = dbc_float(days);
	return ctx->host->query(ctx,
	                        "SELECT (julianday(taken_at) - 2440587.5) * 86400.0, size_bytes "
	                        "FROM dbcare_health_snapshots "
	                        "WHERE julianday(taken_at) >= julianday('now') - $1 "
	                        "ORDER BY taken_at, id",
	                        1, &p, take_sample, &st);
}

void sqldbc_health_engine(dbc_health_engine *eng, sqldbc_conn *conn)
{
	memset(eng, 0, sizeof(*eng));
	eng->engine = "sqlite";
	eng->engine_version = sqlite3_libversion();
	eng->database = "main";
	eng->engine_bit = DBC_ENGINE_SQLITE;
	eng->isolate_checks = false; /* every SQLite failure already comes back as a code */
	eng->read_schema = sqldbc_read_schema;
	eng->state = conn;
	eng->gather = gather;
	eng->metrics = metrics;
	eng->store_snapshot = store_snapshot;
	eng->load_samples = load_samples;
}
