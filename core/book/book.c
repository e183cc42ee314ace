/*
 * book/book.c — reading the bookkeeping catalogue (core/book/tables.c):
 * lookups, which engine has what, and the consistency check the generator
 * runs at build time. Each engine's statements are its glue's
 * (pg/gen/book_pg.c, sqlite/book/book_ddl.c).
 */
#include "book/book.h"

#include <stddef.h>
#include <string.h>

static bool on(unsigned flags, enum dbc_book_engine e)
{
	return !(flags & (e == DBC_BOOK_ON_PG ? DBC_BOOK_SQLITE_ONLY : DBC_BOOK_PG_ONLY));
}

bool dbc_book_table_on(const dbc_book_table *t, enum dbc_book_engine e)
{
	return on(t->flags, e);
}

bool dbc_book_column_on(const dbc_book_column *c, enum dbc_book_engine e)
{
	return on(c->flags, e);
}

bool dbc_book_index_on(const dbc_book_index *x, enum dbc_book_engine e)
{
	return on(x->flags, e);
}

const dbc_book_table *dbc_book_table_named(const char *name)
{
	for (int i = 0; i < dbc_book_ntables; i++)
		if (strcmp(dbc_book_tables[i].name, name) == 0)
			return &dbc_book_tables[i];
	return NULL;
}

const char *dbc_book_pg_primary_key(const dbc_book_table *t)
{
	return t->pg_primary_key ? t->pg_primary_key : t->primary_key;
}

/* Whether name is one of list's comma-separated names ("a, b"). */
static bool listed(const char *list, const char *name)
{
	size_t n = strlen(name);
	for (const char *s = list; s && *s;) {
		s += strspn(s, ", ");
		size_t len = strcspn(s, ", ");
		if (len == n && strncmp(s, name, n) == 0)
			return true;
		s += len;
	}
	return false;
}

bool dbc_book_pg_key_column(const dbc_book_table *t, const dbc_book_column *c)
{
	const char *key = dbc_book_pg_primary_key(t);
	return key ? listed(key, c->name) : (c->flags & DBC_BOOK_PRIMARY_KEY) != 0;
}

const dbc_book_index *dbc_book_index_named(const dbc_book_table *t, const char *name,
                                           enum dbc_book_engine e)
{
	for (const dbc_book_index *x = t->indexes; x && x->name; x++)
		if (dbc_book_index_on(x, e) && strcmp(x->name, name) == 0)
			return x;
	return NULL;
}

/* ---------------------------------------------------------------- checks */

static const char *check_column(const dbc_book_table *t, const dbc_book_column *c)
{
	if ((c->flags & DBC_BOOK_PG_ONLY) && (c->flags & DBC_BOOK_SQLITE_ONLY))
		return "a column on neither engine";
	if (c->check && !c->check_name)
		return "a CHECK without its PostgreSQL name (.check_name)";
	if (c->sqlite_check && !c->check)
		return ".sqlite_check without .check";
	if ((c->flags & DBC_BOOK_UNIQUE_INDEX) && !c->unique)
		return "DBC_BOOK_UNIQUE_INDEX without .unique";
	if (c->book_since > DBC_BOOK_VERSION)
		return "a .book_since above DBC_BOOK_VERSION";
	if (c->book_since && c->book_since <= t->book_since)
		return "a .book_since not after its table's";
	if ((c->pg_since && (c->flags & DBC_BOOK_SQLITE_ONLY)) ||
	    (c->book_since && (c->flags & DBC_BOOK_PG_ONLY)))
		return "a version of an engine the column is not on";
	return NULL;
}

/* An added column goes last on each engine (ALTER TABLE ADD COLUMN
 * appends): none an older version had comes after one. */
static const char *check_added_last(const dbc_book_table *t)
{
	bool added_pg = false, added_sqlite = false;
	for (const dbc_book_column *c = t->columns; c->name; c++) {
		if (dbc_book_column_on(c, DBC_BOOK_ON_PG)) {
			if (added_pg && !c->pg_since)
				return "a PostgreSQL column after an added one (added columns go last)";
			added_pg |= c->pg_since != NULL;
		}
		if (dbc_book_column_on(c, DBC_BOOK_ON_SQLITE)) {
			if (added_sqlite && !c->book_since)
				return "a SQLite column after an added one (added columns go last)";
			added_sqlite |= c->book_since != 0;
		}
	}
	return NULL;
}

static const char *check_table(const dbc_book_table *t)
{
	if (!t->columns || !t->columns[0].name)
		return "a table without columns";
	if (dbc_book_table_on(t, DBC_BOOK_ON_PG) && !t->pg_since)
		return "a PostgreSQL table without .pg_since";
	if (dbc_book_table_on(t, DBC_BOOK_ON_SQLITE) && !t->book_since)
		return "a SQLite table without .book_since";
	if (t->check && !t->check_name)
		return "a CHECK without its PostgreSQL name (.check_name)";
	if (t->sqlite_part && !(t->flags & DBC_BOOK_OPTIONAL))
		return "a part's table that is not DBC_BOOK_OPTIONAL (a read would miss it)";
	for (const dbc_book_column *c = t->columns; c->name; c++) {
		const char *why = check_column(t, c);
		if (why)
			return why;
	}
	return check_added_last(t);
}

const char *dbc_book_check(const dbc_book_table **bad)
{
	for (int i = 0; i < dbc_book_ntables; i++) {
		const char *why = check_table(&dbc_book_tables[i]);
		if (why) {
			*bad = &dbc_book_tables[i];
			return why;
		}
	}
	return NULL;
}
