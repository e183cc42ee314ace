/*
 * pg/catalog/catalog_keys.h — the catalog reader's parts in C, private to
 * pg/catalog/catalog.c: the tables' columns, constraints and indexes read by index
 * scans of pg_attribute, pg_constraint and pg_index (pg/catalog/catalog_columns.c,
 * pg/catalog/catalog_constraints.c, pg/catalog/catalog_indexes.c), and index and constraint
 * keys named from those columns, with the CREATE INDEX text of plain indexes
 * built without pg_get_indexdef, and the locks every reader takes before a
 * deparser (pgdbc_rel_hold; pg/catalog/catalog_keys.c, below all of them).
 */
#ifndef CATALOG_KEYS_PG_H
#define CATALOG_KEYS_PG_H

#include "pg/host/glue.h"

#include "utils/snapshot.h"

/* The text a deparsing builtin (pg_get_expr, pg_get_indexdef, ...) returns
 * for nargs (at most 3) non-NULL arguments, or NULL where the SQL function
 * would return NULL (the object is gone). */
char *pgdbc_builtin_text(PGFunction fn, int nargs, const Datum *args);

/* Before a deparser that opens relation rel (pg_get_constraintdef of a CHECK,
 * pg_get_indexdef, pg_get_expr with a relation): takes the AccessShareLock
 * it would take, then checks that rel still exists. The readers see the
 * catalog under their snapshot, the deparsers under the latest state, so a
 * table another session dropped since the snapshot fails there with "could
 * not open relation with OID". true: rel exists and stays locked (and so
 * unchanged) until pgdbc_rel_release; false: it was dropped, nothing held,
 * the caller skips what belongs to it. */
bool pgdbc_rel_hold(Oid rel);
void pgdbc_rel_release(Oid rel);

/* Every column the reader read, by (relation, attnum). */
typedef struct pgdbc_attmap pgdbc_attmap;

pgdbc_attmap *pgdbc_attmap_new(void);
void pgdbc_attmap_add(pgdbc_attmap *m, Oid rel, int attnum, Oid type, Oid collation,
                      const char *name);
/* Call once every column is added, before the lookups below. */
void pgdbc_attmap_seal(pgdbc_attmap *m);

/* A relation the readers below read (a table; a materialized view for its
 * indexes only), with the names the model gives it. */
typedef struct pgdbc_rel {
	Oid oid;
	const char *schema;
	const char *name;
} pgdbc_rel;

/* A set of OIDs in the memory context current at pgdbc_oids_init: added to,
 * sealed once, then asked. */
typedef struct pgdbc_oids {
	MemoryContext home;
	Oid *oids;
	int n, cap;
} pgdbc_oids;

void pgdbc_oids_init(pgdbc_oids *set);
void pgdbc_oids_add(pgdbc_oids *set, Oid oid);
void pgdbc_oids_seal(pgdbc_oids *set);
bool pgdbc_oids_has(const pgdbc_oids *set, Oid oid);

/* The readers below read the catalog through its indexes under snap, one
 * range scan per table, each table's work in a scratch context. tables[i]
 * is s->tables[i]. */

/* The columns of every table of s, in attnum order, each also added to atts. */
int pgdbc_read_columns(dbc_ctx *ctx, dbc_schema *s, Snapshot snap, const pgdbc_rel *tables,
                       pgdbc_attmap *atts);

/* The PRIMARY KEY, UNIQUE, FOREIGN KEY, CHECK and EXCLUDE constraints of
 * every table of s; the indexes PRIMARY KEY, UNIQUE and EXCLUDE constraints
 * own are added to owned. */
int pgdbc_read_constraints(dbc_ctx *ctx, dbc_schema *s, Snapshot snap, const pgdbc_rel *tables,
                           pgdbc_attmap *atts, pgdbc_oids *owned);

/* The indexes of the nrels relations rels (tables and materialized views),
 * those in owned marked as a constraint's. */
int pgdbc_read_indexes(dbc_ctx *ctx, dbc_schema *s, Snapshot snap, const pgdbc_rel *rels, int nrels,
                       const pgdbc_oids *owned, pgdbc_attmap *atts);

/* One index as pg/catalog/catalog_indexes.c read it, for naming its keys. */
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
	int natts;             /* indnatts: key columns, then INCLUDE columns */
	int key_count;         /* indnkeyatts */
	const int16 *attnums;  /* indkey, natts of them, 0 for an expression */
	const Oid *opclasses;  /* indclass, key_count of them */
	const Oid *collations; /* indcollation, key_count of them */
	const int16 *options;  /* indoption, key_count of them */
} pgdbc_index_row;

/* Fills ix->keys (column names, expression text for expression keys) and
 * ix->definition, byte for byte what pg_get_indexdef(index) writes. */
int pgdbc_index_keys(dbc_ctx *ctx, pgdbc_attmap *m, const pgdbc_index_row *row, dbc_index *ix);

/* The names of rel's columns attnums[0..n-1], in that order, appended to
 * out. A column not found adds "". */
int pgdbc_key_names(dbc_ctx *ctx, pgdbc_attmap *m, Oid rel, const int16 *attnums, int n,
                    dbc_strlist *out);

#endif
