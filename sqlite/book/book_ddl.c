/*
 * book_ddl.c — the bookkeeping catalogue (core/book/tables.c) as SQLite's
 * statements. The text is exactly what sqlite_schema keeps for a table made
 * so, and for one made by an older version and upgraded column by column
 * (ALTER TABLE ADD COLUMN inserts ", <definition>" before the table
 * constraints): test/script/sqlite_upgrade.sh compares the two.
 *
 * Built two ways (Makefile): into the SQLite module, and into the install
 * script's generator, a build tool (API_GEN_SRC: its book-expect sqlite).
 * It needs no connection and calls no SQLite routine, so nothing differs.
 */
#include "book_ddl.h"

#include <stdbool.h>
#include <string.h>

static const char *const sqlite_types[] = {
    [DBC_BT_TEXT] = "TEXT",    [DBC_BT_INT] = "INTEGER", [DBC_BT_BIGINT] = "INTEGER",
    [DBC_BT_BOOL] = "INTEGER", [DBC_BT_DOUBLE] = "REAL", [DBC_BT_TIME] = "TEXT",
    [DBC_BT_JSON] = "TEXT",    [DBC_BT_BLOB] = "BLOB",   [DBC_BT_TXID] = "INTEGER",
    [DBC_BT_LSN] = "TEXT",
};

static void put3(dbc_book_put *put, void *sink, const char *a, const char *b, const char *c)
{
	put(sink, a);
	put(sink, b);
	put(sink, c);
}

void dbc_book_sqlite_column(const dbc_book_column *c, dbc_book_put *put, void *sink)
{
	const char *type = sqlite_types[c->type];
	put3(put, sink, c->name, " ", type);
	bool rowid = (c->flags & DBC_BOOK_PRIMARY_KEY) && strcmp(type, "INTEGER") == 0;
	if (c->flags & DBC_BOOK_PRIMARY_KEY)
		put(sink, " PRIMARY KEY");
	if (c->flags & DBC_BOOK_AUTOINCREMENT)
		put(sink, " AUTOINCREMENT");
	if (!rowid &&
	    (c->flags & (DBC_BOOK_PRIMARY_KEY | DBC_BOOK_NOT_NULL | DBC_BOOK_SQLITE_NOT_NULL)))
		put(sink, " NOT NULL");
	if (c->unique)
		put(sink, " UNIQUE");
	if (c->sqlite_default)
		put3(put, sink, " DEFAULT ", c->sqlite_default, "");
	if (c->check)
		put3(put, sink, " CHECK (", c->sqlite_check ? c->sqlite_check : c->check, ")");
}

void dbc_book_sqlite_index(const dbc_book_table *t, const dbc_book_index *x, const char *schema,
                           dbc_book_put *put, void *sink)
{
	put3(put, sink,
	     (x->flags & DBC_BOOK_UNIQUE) ? "CREATE UNIQUE INDEX IF NOT EXISTS "
	                                  : "CREATE INDEX IF NOT EXISTS ",
	     schema, ".");
	put3(put, sink, x->name, " ON dbcare_", t->name);
	put3(put, sink, " (", x->columns, ")");
	if (x->where)
		put3(put, sink, " WHERE ", x->where, "");
}

void dbc_book_sqlite_table(const dbc_book_table *t, const char *schema, const char *as,
                           dbc_book_put *put, void *sink)
{
	put3(put, sink, "CREATE TABLE IF NOT EXISTS ", schema, ".");
	if (as)
		put(sink, as);
	else
		put3(put, sink, "dbcare_", t->name, "");
	put(sink, " (");
	const char *sep = " ";
	for (const dbc_book_column *c = t->columns; c->name; c++)
		if (dbc_book_column_on(c, DBC_BOOK_ON_SQLITE)) {
			put(sink, sep);
			dbc_book_sqlite_column(c, put, sink);
			sep = ", ";
		}
	if (t->primary_key)
		put3(put, sink, ", PRIMARY KEY (", t->primary_key, ")");
	if (t->check)
		put3(put, sink, ", CHECK (", t->check, ")");
	put(sink, ")");
}

void dbc_book_sqlite_indexes(const dbc_book_table *t, const char *schema, dbc_book_put *put,
                             void *sink)
{
	const char *sep = "";
	for (const dbc_book_index *x = t->indexes; x && x->name; x++)
		if (dbc_book_index_on(x, DBC_BOOK_ON_SQLITE)) {
			put(sink, sep);
			dbc_book_sqlite_index(t, x, schema, put, sink);
			sep = ";";
		}
}

void dbc_book_sqlite_create(const dbc_book_table *t, const char *schema, dbc_book_put *put,
                            void *sink)
{
	dbc_book_sqlite_table(t, schema, NULL, put, sink);
	for (const dbc_book_index *x = t->indexes; x && x->name; x++)
		if (dbc_book_index_on(x, DBC_BOOK_ON_SQLITE)) {
			put(sink, ";");
			dbc_book_sqlite_index(t, x, schema, put, sink);
		}
}
