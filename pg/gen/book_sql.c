/*
 * book_sql.c — the generator's side of the bookkeeping catalogue
 * (core/book/tables.c), linked into api_sql (pg/gen/api_sql.c):
 *
 *   install: each marker line "-- dbcare:book <table>" of the files of pg/sql/ is
 *        replaced by the table's CREATE TABLE, its indexes, comment,
 *        pg_dump registration and grant
 *   api_sql upgrade VERSION < script   an upgrade script to VERSION, its
 *        "-- dbcare:book-stanza" line replaced by the statements of the
 *        tables and columns that VERSION added (the Makefile builds every
 *        script of pg/upgrade/ so; released ones have no such line)
 *   api_sql book-stanza VERSION   those statements alone (make book-stanza);
 *        test/script/pg_book_catalog.sh fails while the built upgrade
 *        script lacks them
 *   api_sql book-expect pg        per PostgreSQL table, its columns (name,
 *        format_type, NOT NULL, in order), constraints and indexes, as
 *        test/script/pg_book_catalog.sh reads them back from pg_catalog
 *   api_sql book-expect sqlite    per SQLite table and index, the text
 *        sqlite_schema keeps for it, one line each, as the same test reads
 *        it back from a file with every part's tables
 *
 * It refuses an inconsistent catalogue (dbc_book_check), a marker of an
 * unknown table, and a PostgreSQL table with no marker or two.
 */
#include "book_sql.h"

#include "sqlite/book/book_ddl.h"
#include "book_pg.h"

#include <string.h>

static void put_file(void *sink, const char *text)
{
	fputs(text, (FILE *)sink);
}

int book_sql_check(void)
{
	const dbc_book_table *bad = NULL;
	const char *why = dbc_book_check(&bad);
	if (!why)
		return 0;
	fprintf(stderr, "api_sql: core/book/tables.c: %s: %s\n", bad->name, why);
	return 1;
}

static int placed[256];

int book_sql_marker(FILE *out, const char *table)
{
	const dbc_book_table *t = dbc_book_table_named(table);
	if (!t || !dbc_book_table_on(t, DBC_BOOK_ON_PG)) {
		fprintf(stderr, "api_sql: marker of an unknown PostgreSQL bookkeeping table \"%s\"\n",
		        table);
		return 1;
	}
	fprintf(out, "-- dbcare.%s, generated from core/book/tables.c.\n", t->name);
	dbc_book_pg_create(t, NULL, put_file, out);
	placed[t - dbc_book_tables]++;
	return 0;
}

int book_sql_all_placed(void)
{
	_Static_assert(sizeof(placed) / sizeof(placed[0]) >= 64, "room for the tables");
	for (int i = 0; i < dbc_book_ntables; i++)
		if (dbc_book_table_on(&dbc_book_tables[i], DBC_BOOK_ON_PG) && placed[i] != 1) {
			fprintf(stderr,
			        "api_sql: table %s has %d marker lines \"-- dbcare:book %s\" in pg/sql/, not "
			        "one\n",
			        dbc_book_tables[i].name, placed[i], dbc_book_tables[i].name);
			return 1;
		}
	return 0;
}

void book_sql_stanza(FILE *out, const char *version)
{
	dbc_book_pg_stanza(version, put_file, out);
}

int book_sql_upgrade(FILE *in, FILE *out, const char *version)
{
	static const char marker[] = "-- dbcare:book-stanza";
	char line[4096];
	int placed = 0;
	while (fgets(line, sizeof(line), in)) {
		if (strncmp(line, marker, sizeof(marker) - 1) != 0 ||
		    (line[sizeof(marker) - 1] != '\n' && line[sizeof(marker) - 1] != '\0')) {
			fputs(line, out);
			continue;
		}
		if (placed++) {
			fprintf(stderr, "api_sql: two \"%s\" lines in the upgrade script to %s\n", marker,
			        version);
			return 1;
		}
		fprintf(out,
		        "-- The bookkeeping tables and columns %s added, generated from "
		        "core/book/tables.c.\n",
		        version);
		book_sql_stanza(out, version);
	}
	return 0;
}

/* The column's type as format_type prints it: the install script's name,
 * but for timestamptz, which format_type spells out. */
static const char *pg_format_type(const dbc_book_column *c)
{
	return c->type == DBC_BT_TIME ? "timestamp with time zone" : dbc_book_pg_type(c->type);
}

static void pg_expect_table(FILE *out, const dbc_book_table *t)
{
	for (const dbc_book_column *c = t->columns; c->name; c++) {
		if (!dbc_book_column_on(c, DBC_BOOK_ON_PG))
			continue;
		bool not_null = (c->flags & (DBC_BOOK_NOT_NULL | DBC_BOOK_PG_NOT_NULL)) != 0 ||
		                dbc_book_pg_key_column(t, c);
		fprintf(out, "column %s %s %s%s\n", t->name, c->name, pg_format_type(c),
		        not_null ? " not null" : "");
		if ((c->flags & DBC_BOOK_PRIMARY_KEY) && !dbc_book_pg_primary_key(t))
			fprintf(out, "constraint %s dbcare_%s_pkey\n", t->name, t->name);
		if (c->check)
			fprintf(out, "constraint %s %s\n", t->name, c->check_name);
		if (c->unique)
			fprintf(out, "%s %s %s\n", (c->flags & DBC_BOOK_UNIQUE_INDEX) ? "index" : "constraint",
			        t->name, c->unique);
	}
	if (dbc_book_pg_primary_key(t))
		fprintf(out, "constraint %s dbcare_%s_pkey\n", t->name, t->name);
	if (t->check)
		fprintf(out, "constraint %s %s\n", t->name, t->check_name);
	for (const dbc_book_index *x = t->indexes; x && x->name; x++)
		if (dbc_book_index_on(x, DBC_BOOK_ON_PG))
			fprintf(out, "index %s %s\n", t->name, x->name);
}

/* One statement of a SQLite table's text per line, as sqlite_schema keeps
 * it: "CREATE TABLE <name> (...)", "CREATE INDEX <name> ON ...". */
static void put_sqlite(void *sink, const char *text)
{
	for (; *text; text++)
		fputc(*text == ';' ? '\n' : *text, (FILE *)sink);
}

static void sqlite_expect(FILE *out)
{
	for (int i = 0; i < dbc_book_ntables; i++) {
		const dbc_book_table *t = &dbc_book_tables[i];
		if (!dbc_book_table_on(t, DBC_BOOK_ON_SQLITE))
			continue;
		dbc_book_sqlite_create(t, "main", put_sqlite, out);
		fputc('\n', out);
	}
}

void book_sql_added_sqlite(FILE *out)
{
	for (int i = 0; i < dbc_book_ntables; i++) {
		const dbc_book_table *t = &dbc_book_tables[i];
		if (!dbc_book_table_on(t, DBC_BOOK_ON_SQLITE))
			continue;
		fprintf(out, "table %d dbcare_%s\n", t->book_since, t->name);
		for (const dbc_book_column *c = t->columns; c->name; c++)
			if (c->book_since && dbc_book_column_on(c, DBC_BOOK_ON_SQLITE))
				fprintf(out, "column %d dbcare_%s %s\n", c->book_since, t->name, c->name);
	}
}

int book_sql_expect(FILE *out, const char *engine)
{
	if (strcmp(engine, "pg") == 0) {
		for (int i = 0; i < dbc_book_ntables; i++)
			if (dbc_book_table_on(&dbc_book_tables[i], DBC_BOOK_ON_PG))
				pg_expect_table(out, &dbc_book_tables[i]);
		return 0;
	}
	if (strcmp(engine, "sqlite") == 0) {
		sqlite_expect(out);
		return 0;
	}
	fprintf(stderr, "api_sql: book-expect pg|sqlite\n");
	return 2;
}
