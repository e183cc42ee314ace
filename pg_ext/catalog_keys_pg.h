/*
 * catalog_keys_pg.h — the catalog reader's parts in C, private to
 * catalog_pg.c: the tables' columns read by index scans of pg_attribute
 * (catalog_columns_pg.c), and index and constraint keys named from those
 * columns, with the CREATE INDEX text of plain indexes built without
 * pg_get_indexdef (catalog_keys_pg.c).
 */
#ifndef CATALOG_KEYS_PG_H
#define CATALOG_KEYS_PG_H

#include "pgdbc.h"

/* The text a deparsing builtin (pg_get_expr, pg_get_indexdef, ...) returns
 * for nargs (at most 3) non-NULL arguments, or NULL where the SQL function
 * would return NULL (the object is gone). */
char *pgdbc_builtin_text(PGFunction fn, int nargs, const Datum *args);

/* Every column the reader read, by (relation, attnum). */
typedef struct pgdbc_attmap pgdbc_attmap;

pgdbc_attmap *pgdbc_attmap_new(void);
void pgdbc_attmap_add(pgdbc_attmap *m, Oid rel, int attnum, Oid type, Oid collation,
                      const char *name);
/* Call once every column is added, before the lookups below. */
void pgdbc_attmap_seal(pgdbc_attmap *m);

/* The columns of every table of s (tables[i] is the OID of s->tables[i]),
 * in attnum order, each also added to atts. */
int pgdbc_read_columns(dbc_ctx *ctx, dbc_schema *s, const Oid *tables, pgdbc_attmap *atts);

/* One row of the index query, as catalog_pg.c's indexes_sql returns it. */
typedef struct pgdbc_index_row {
	Oid index;
	Oid table;
	const char *index_name;
	const char *schema;
	const char *table_name;
	const char *method;
	bool unique;
	/* no expressions, predicate, storage options or NULLS NOT DISTINCT, and
	 * an ordinary index: a candidate for the text built here */
	bool simple;
	int key_count;           /* indnkeyatts: the rest are INCLUDE columns */
	const char *attnums;     /* indkey, int2vector text ("1 3") */
	const char *opclasses;   /* indclass, oidvector text, one per key column */
	const char *collations;  /* indcollation, oidvector text */
	const char *options;     /* indoption, int2vector text */
} pgdbc_index_row;

/* Fills ix->keys (column names, expression text for expression keys) and
 * ix->definition, byte for byte what pg_get_indexdef(index) writes. */
int pgdbc_index_keys(dbc_ctx *ctx, pgdbc_attmap *m, const pgdbc_index_row *row, dbc_index *ix);

/* The names of rel's columns listed in attnums (int2[] text, "{2,1}"), in
 * that order, appended to out. A column not found adds "". */
int pgdbc_key_names(dbc_ctx *ctx, pgdbc_attmap *m, Oid rel, const char *attnums,
                    dbc_strlist *out);

#endif
