/*
 * catalog.h — what the two halves of the SQLite catalog reader share:
 * catalog.c (sqlite_schema, the pragma table-valued functions, the cache) and
 * catalog_text.c (columns and index keys read from the CREATE texts where
 * they are fully understood, checked against the engine's column metadata).
 */
#ifndef SQLDBC_CATALOG_H
#define SQLDBC_CATALOG_H

#include "sqlite/host/glue.h"
#include "schema/ddl_text.h"

typedef struct sqldbc_reader {
	dbc_schema *s;
	sqlite3 *db;
	bool fk_enforced;
	bool check_enforced;
	bool text;        /* read columns and index keys from the CREATE texts */
	const char **sql; /* CREATE text per table, in table order */
	int nsql, sqlcap;
	dbc_ddl_table *ddl;    /* parsed constraints per table */
	dbc_ddl_columns *cols; /* parsed columns per table (text reading) */
	const char ***colls;   /* per table, each column's collation (text reading) */
	bool *by_pragma;       /* per table: columns and indexes come from the pragmas */
	int last;              /* cache of the last table looked up */
	bool ix_expr;          /* the index being read has an expression (or rowid) key */
	bool has_virtual;      /* main has a virtual table */
} sqldbc_reader;

/* catalog_rows.c: the index of the table name in the model being read, -1
 * when it has none; the row callbacks and the options below. */
int sqldbc_reader_table(sqldbc_reader *r, const char *name);

/* A cell's text, dflt when it is not text. */
static inline const char *sqldbc_text_or(const dbc_value *v, const char *dflt)
{
	return v->type == DBC_TEXT ? v->s : dflt;
}

/* A table's options as the snapshot names them, NULL when none. */
const char *sqldbc_table_options(bool without_rowid, bool strict);

/* Row callbacks: table, cid, name, type, notnull, dflt_value, pk, hidden ... */
int sqldbc_reader_column(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c);
/* ... and table, index, unique, origin, partial, seqno, cid, column, sql, desc, coll. */
int sqldbc_reader_index(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c);

/* Columns of the tables whose text is understood, checked column by column
 * against sqlite3_table_column_metadata; the rest are marked by_pragma. */
int sqldbc_text_columns(dbc_ctx *ctx, sqldbc_reader *r);

/* Index rows of the by_pragma tables from the pragmas, of the others from
 * their CREATE INDEX texts, handed to sqldbc_reader_index in the pragmas'
 * order (table, index, key position). pragma_sql reads the index rows of the
 * tables named in the JSON array $1. */
int sqldbc_text_indexes(dbc_ctx *ctx, sqldbc_reader *r, const char *pragma_sql);

/* The names of the by_pragma tables as a JSON array. */
char *sqldbc_pragma_tables(dbc_ctx *ctx, sqldbc_reader *r, const bool *which);

#endif
