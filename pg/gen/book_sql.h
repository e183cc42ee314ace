/*
 * book_sql.h — the bookkeeping catalogue's part of the generator
 * (pg/gen/book_sql.c), called by pg/gen/api_sql.c.
 */
#ifndef DBC_BOOK_SQL_H
#define DBC_BOOK_SQL_H

#include <stdio.h>

/* 0, or 1 with the reason on stderr: the catalogue is inconsistent. */
int book_sql_check(void);
/* Writes the statements of the table a "-- dbcare:book <table>" line names. */
int book_sql_marker(FILE *out, const char *table);
/* 0 when every PostgreSQL table had one marker line, else 1 (stderr says). */
int book_sql_all_placed(void);
void book_sql_stanza(FILE *out, const char *version);
/* Copies an upgrade script to `version`, its "-- dbcare:book-stanza" line
 * replaced by book_sql_stanza's statements; 1 on a second such line. */
int book_sql_upgrade(FILE *in, FILE *out, const char *version);
int book_sql_expect(FILE *out, const char *engine);
/* The bookkeeping versions of SQLite's tables and of the columns added to
 * them, a line each: "table <version> dbcare_<table>", "column <version>
 * dbcare_<table> <column>" (test/script/sqlite_book_columns.sh). */
void book_sql_added_sqlite(FILE *out);

#endif
