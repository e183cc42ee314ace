/*
 * book_ddl.h — SQLite's statements of the bookkeeping catalogue
 * (sqlite/book/book_ddl.c): sqlite/book/bookkeeping.c makes and upgrades the tables
 * with them.
 */
#ifndef DBC_SQLITE_BOOK_DDL_H
#define DBC_SQLITE_BOOK_DDL_H

#include "book/book.h"

/* SQLite: the table's CREATE TABLE IF NOT EXISTS <schema>.<as> (as: the
 * table's name, NULL for dbcare_<name>); its indexes (CREATE INDEX IF NOT
 * EXISTS <schema>.<index> ON dbcare_<name>, ";"-separated); both. */
void dbc_book_sqlite_table(const dbc_book_table *t, const char *schema, const char *as,
                           dbc_book_put *put, void *sink);
void dbc_book_sqlite_indexes(const dbc_book_table *t, const char *schema, dbc_book_put *put,
                             void *sink);
void dbc_book_sqlite_create(const dbc_book_table *t, const char *schema, dbc_book_put *put,
                            void *sink);
/* SQLite: one column's definition as CREATE TABLE states it ("name TYPE ..."),
 * which ALTER TABLE ... ADD COLUMN appends in the same words. */
void dbc_book_sqlite_column(const dbc_book_column *c, dbc_book_put *put, void *sink);
/* SQLite: one index of the table's (CREATE INDEX IF NOT EXISTS <schema>.name). */
void dbc_book_sqlite_index(const dbc_book_table *t, const dbc_book_index *x, const char *schema,
                           dbc_book_put *put, void *sink);

#endif
