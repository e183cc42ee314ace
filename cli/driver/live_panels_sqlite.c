/*
 * live_panels_sqlite.c — the live panels of a SQLite database
 * (live_panels.h): what applies to a file, its size and pages, and each
 * table's and index's size with its exact row count. SQLite has no
 * sessions, statement statistics or lock waits of other processes to
 * show, so those panels are not there at all.
 */
#include "live_panels.h"

#include <stddef.h>

static const char file[] =
    "SELECT p.page_count * s.page_size AS bytes, p.page_count AS pages, s.page_size,"
    " f.freelist_count AS free_pages, j.journal_mode"
    " FROM pragma_page_count AS p, pragma_page_size AS s, pragma_freelist_count AS f,"
    " pragma_journal_mode AS j";

/* From the dbstat table's pages: a rowid table's rows are its leaf cells;
 * an index's (and a WITHOUT ROWID table's) entries are in its interior
 * cells too. */
static const char objects[] =
    "WITH p AS (SELECT name, sum(pgsize) AS bytes,"
    " sum(CASE WHEN pagetype = 'leaf' THEN ncell ELSE 0 END) AS leaf,"
    " sum(CASE WHEN pagetype = 'internal' THEN ncell ELSE 0 END) AS inner"
    " FROM dbstat('main') GROUP BY name)"
    " SELECT m.name AS name, m.type AS type, m.tbl_name AS \"table\", p.bytes AS bytes,"
    " CASE WHEN m.type = 'table' AND m.sql NOT LIKE '%WITHOUT%ROWID%' THEN p.leaf"
    " ELSE p.leaf + p.inner END AS \"rows\""
    " FROM main.sqlite_schema AS m JOIN p ON p.name = m.name"
    " WHERE m.type IN ('table', 'index') ORDER BY p.bytes DESC, m.name LIMIT 100";

const cli_live_panel cli_sqlite_live_panels[] = {
    {"file", "Database file",
     "The main database file: its size in pages, the free pages a VACUUM would return, the "
     "journal mode.",
     file, NULL, NULL, -1, -1},
    {"tables", "Tables and indexes",
     "The 100 largest tables and indexes: bytes on disk (dbstat) and the exact count of rows "
     "(of entries for an index), read from their pages.",
     objects, NULL, NULL, -1, -1},
};
const int cli_sqlite_live_panel_count =
    sizeof cli_sqlite_live_panels / sizeof cli_sqlite_live_panels[0];
