/*
 * dialect.c — what the core needs to know about SQLite, as data (dbc.h:
 * dbc_dialect). No SQLite header: the unit tests link this file too.
 * Fields left out are false or NULL: the sqlite3 shell runs every statement
 * (no step is skipped), tables do not inherit, MATCH FULL is parsed but
 * enforced as MATCH SIMPLE, "enforced" describes this connection only
 * (foreign_keys, ignore_check_constraints: another writer or an edited file
 * may hold any row), privileges and roles do not exist.
 *
 * Built into the module and, as data with no engine header, into the
 * command and the unit tests (Makefile: CLI_CORE, DIALECT_SRC).
 */
#include "base/dbc.h"

/* SQLite folds "x IS NULL" to false (and "x IS NOT NULL" to true) for a
 * column declared NOT NULL without reading a row (also through "+x" and
 * COLLATE), yet a file whose schema text was edited or that another tool
 * wrote can hold NULLs there. likely(x) is not folded, and SQLite compiles
 * it to x itself, with no function call per row (typeof(x) = 'null', the
 * spelling before, cost a call per row and tested column); neither reads
 * more of a large value. */
static char *null_test(dbc_ctx *ctx, const char *expr, bool is_null)
{
	return dbc_printf(ctx, "likely(%s) IS %sNULL", expr, is_null ? "" : "NOT ");
}

static const char *const infixes[] = {"sqlite3", "sqlite", NULL};
static const char *const foreign_infixes[] = {"postgres", "postgresql", NULL};
static const char *const temporal_words[] = {"date", "time", NULL};

/* dbcare migrate --online's table rebuild (dbc_online_rebuild). A
 * trigger deletes the row's copy first: an INSERT OR REPLACE of the old
 * table fires no DELETE trigger (recursive_triggers off), and the outer
 * statement's conflict clause (OR IGNORE) overrides the body's. The copy
 * goes by ranges of rowids, each the next %5$d rows from the range's first
 * (sparse rowids make no empty ranges), scaled by $3, a per cent (the
 * throttle's pace, core/migrate/migrate_throttle.h); the pass's end is the highest
 * rowid when it began (later rows are the triggers'). */
#define RB_LO "(CASE WHEN $2 IS NULL THEN -9223372036854775807 - 1 ELSE CAST($1 AS INTEGER) END)"
#define RB_END                                                                                     \
	"(CASE WHEN $2 IS NULL THEN (SELECT coalesce(max(rowid), 0) + 1 FROM %1$s) "                   \
	"ELSE CAST($2 AS INTEGER) END)"
#define RB_HI                                                                                      \
	"min(coalesce((SELECT rowid FROM %1$s WHERE rowid >= " RB_LO                                   \
	" ORDER BY rowid LIMIT 1 OFFSET max(%5$d * coalesce(CAST($3 AS INTEGER), 100) / 100, "         \
	"1)), " RB_END "), " RB_END ")"
#define RB_RANGE                                                                                   \
	"%1$s.rowid >= " RB_LO " AND %1$s.rowid < " RB_HI                                              \
	" AND NOT EXISTS (SELECT 1 FROM %2$s WHERE %2$s.rowid = %1$s.rowid)"
#define RB_COPY_ROW                                                                                \
	"INSERT OR REPLACE INTO %3$s (rowid, %4$s) SELECT %2$s.rowid, %5$s FROM %2$s "                 \
	"WHERE %2$s.rowid = NEW.rowid; "

static const dbc_online_rebuild online_rebuild = {
    .capture_insert = "CREATE TRIGGER %1$s AFTER INSERT ON %2$s BEGIN "
                      "DELETE FROM %3$s WHERE rowid = NEW.rowid; " RB_COPY_ROW "END",
    .capture_update = "CREATE TRIGGER %1$s AFTER UPDATE ON %2$s BEGIN "
                      "DELETE FROM %3$s WHERE rowid = OLD.rowid; "
                      "DELETE FROM %3$s WHERE rowid = NEW.rowid; " RB_COPY_ROW "END",
    .capture_delete = "CREATE TRIGGER %1$s AFTER DELETE ON %2$s BEGIN "
                      "DELETE FROM %3$s WHERE rowid = OLD.rowid; END",
    .copy_batch =
        "SELECT (SELECT count(*) FROM %1$s WHERE " RB_RANGE "), " RB_HI ", " RB_END ";\n"
        "INSERT INTO %2$s (rowid, %3$s) SELECT %1$s.rowid, %4$s FROM %1$s WHERE " RB_RANGE,
    /* a CHECK of a temporary table fails the swap's transaction, named */
    .copy_check = "CREATE TEMP TABLE dbcare_online_copy_check (rows_not_copied INTEGER CONSTRAINT "
                  "\"the new table is not a copy of every row of the old one\" CHECK "
                  "(rows_not_copied = 0));\n"
                  "INSERT INTO dbcare_online_copy_check SELECT abs((SELECT count(*) FROM %1$s) - "
                  "(SELECT count(*) FROM %2$s)) + (SELECT count(*) FROM %1$s WHERE NOT EXISTS "
                  "(SELECT 1 FROM %2$s WHERE %2$s.rowid = %1$s.rowid));\n"
                  "DROP TABLE dbcare_online_copy_check",
    .copy_count = "CREATE TEMP TABLE dbcare_online_copy_count (rows_not_copied INTEGER CONSTRAINT "
                  "\"the new table is not a copy of every row of the old one\" CHECK "
                  "(rows_not_copied = 0));\n"
                  "INSERT INTO dbcare_online_copy_count SELECT abs((SELECT count(*) FROM %1$s) - "
                  "(SELECT count(*) FROM %2$s));\n"
                  "DROP TABLE dbcare_online_copy_count",
};

const dbc_dialect sqldbc_dialect = {
    .name = "sqlite",
    .engine_bit = DBC_ENGINE_SQLITE,
    .file_infixes = infixes,
    .foreign_file_infixes = foreign_infixes,

    .script_grammar = DBC_GRAMMAR_SQLITE3,
    .shell = "sqlite3",
    /* .timeout: a step waits up to 5 s for the application's locks (a
     * reader's shared lock holds off a COMMIT in rollback-journal mode)
     * instead of failing at once with "database is locked"; the shell's
     * dot-command, as PRAGMA busy_timeout would print its value */
    .script_preamble = "-- Run with: sqlite3 -cmd '.load <path>/dbcare' <database> < <this file>\n"
                       ".bail on\n"
                       ".timeout 5000\n",
    /* takes the write lock at once: a step never waits for it halfway */
    .script_begin = "BEGIN IMMEDIATE;\n",

    .default_schema = "main",
    /* every field as stored */
    .audit_link_columns = "hash, prev_hash, at, txid, db_user, actor, operation, table_name, key,"
                          " old_values, new_values",
    .rowid = true,
    .names_fold_case = true,
    .brackets_quote_names = true,
    .fk_parent_unchecked = true,
    /* +c.x is an expression without affinity: the parent column's affinity
     * is applied to it, as SQLite's own foreign key check does (two columns
     * compared directly would convert neither, or both to numeric) */
    .key_child_prefix = "+",
    .check_stream = true,
    .fk_check_function = "pragma_foreign_key_check",
    .table_rows_only = "NOT INDEXED",
    .changes_query = "SELECT changes()",
    .null_test = null_test,

    .assert_probe = true, /* book_ensure creates dbcare_migrations_checksum */

    /* the form of the bookkeeping tables' DEFAULTs (sqlite/book/bookkeeping.c) */
    .now = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
    .time_iso = "%s",
    .time_epoch = "((julianday(%s) - 2440587.5) * 86400.0)",
    .time_hours_since = "((julianday('now') - julianday(%s)) * 24.0)",
    .time_within_days = "julianday(%s) >= julianday('now') - $1",
    /* the form dbsoftdelete's trigger writes and retention's cutoffs are
     * compared in: datetime()'s, with milliseconds, in UTC */
    .column_now = "strftime('%Y-%m-%d %H:%M:%f', 'now')",

    .reindex_index = "REINDEX",
    .optimize_statement = "PRAGMA optimize",
    .incremental_vacuum = "PRAGMA incremental_vacuum",

    .restrict_per_row = true,
    .lock_is_whole_database = true,
    .row_id = "rowid",
    .row_id_type = "INTEGER",
    .timestamp_type = "TIMESTAMP",
    .temporal_words = temporal_words,
    .time_param_type = "",
    .json_param = "$%d",
    .time_param = "strftime('%%Y-%%m-%%dT%%H:%%M:%%fZ', $%d)",

    .alter_limited = true,
    .fks_newest_first = true,
    /* SQLite's documented procedure for table changes ALTER TABLE cannot
     * make ("Making Other Kinds Of Table Schema Changes"): foreign keys off
     * outside the transaction (the pragma does nothing inside one), back on
     * after the commit. A foreign key violation fails the CHECK of a
     * temporary table, so the script stops before its COMMIT. */
    .online_rebuild = &online_rebuild,
    .online_steps = true,
    .rebuild_begin = {"BEGIN IMMEDIATE;\n", "PRAGMA foreign_keys = OFF;\nBEGIN IMMEDIATE;\n"},
    .rebuild_end = {"COMMIT;\n", "COMMIT;\nPRAGMA foreign_keys = ON;\n"},
    .rebuild_check = "CREATE TEMP TABLE dbcare_rebuild_check (foreign_key_violations INTEGER "
                     "CHECK (foreign_key_violations = 0));\n"
                     "INSERT INTO dbcare_rebuild_check SELECT count(*) FROM "
                     "pragma_foreign_key_check;\n"
                     "DROP TABLE dbcare_rebuild_check;\n",
    /* the table's row of sqlite_schema and its root page (ALTER TABLE
     * RENAME keeps both; a table made again gets another row), and the
     * column's position after them. '' is temp (searched first): its
     * tables, as any outside main, are not followed, nor virtual tables
     * (root page 0) */
    .object_identity =
        "SELECT NULL, 'temp' FROM temp.sqlite_schema WHERE $1 = '' AND name = $2 COLLATE NOCASE "
        "AND type IN ('table', 'view') UNION ALL "
        "SELECT CASE WHEN s.type = 'table' AND s.rootpage > 0 AND ($3 = '' OR EXISTS (SELECT 1 "
        "FROM "
        "pragma_table_info(s.name, 'main') p WHERE p.name = $3 COLLATE NOCASE)) THEN "
        "s.rowid || ':' || s.rootpage || COALESCE(':' || (SELECT p.cid FROM "
        "pragma_table_info(s.name, 'main') p WHERE p.name = $3 COLLATE NOCASE), '') END, 'main' "
        "FROM main.sqlite_schema s WHERE $1 = 'main' COLLATE NOCASE AND s.name = $2 COLLATE NOCASE "
        "AND s.type IN ('table', 'view')",
};
