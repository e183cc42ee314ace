/*
 * book_pg.h — PostgreSQL's statements of the bookkeeping catalogue
 * (pg/gen/book_pg.c), for the generator.
 */
#ifndef DBC_BOOK_PG_H
#define DBC_BOOK_PG_H

#include "book/book.h"

/* A portable type's PostgreSQL name, as the install script writes it
 * (timestamptz for DBC_BT_TIME). */
const char *dbc_book_pg_type(dbc_book_type type);
/* PostgreSQL: the table's CREATE TABLE, its indexes, comment, pg_dump
 * registration and grant, each statement on its own lines; as the table
 * was at extension version asof (without the columns a later version
 * added), or as it is now (asof NULL). */
void dbc_book_pg_create(const dbc_book_table *t, const char *asof, dbc_book_put *put, void *sink);
/* PostgreSQL: the statements that bring an installation of the version
 * before `version` to it: every table that version added (as it was then)
 * and ALTER TABLE ... ADD COLUMN of every column it added to an older
 * table. An upgrade script is history: the stanza of a version stays the
 * same whatever later versions add. Only added columns are versioned: a
 * later change to an index, a check or a type is a step of its own,
 * written in its upgrade script. */
void dbc_book_pg_stanza(const char *version, dbc_book_put *put, void *sink);

#endif
