/*
 * ddl_text.h — reading SQL DDL text where the catalog has no structured view
 * of it (SQLite keeps CHECK constraints, constraint names and partial-index
 * predicates only in the CREATE text), and normalising SQL text so that
 * white space and comments never change a fingerprint.
 */
#ifndef DBC_DDL_TEXT_H
#define DBC_DDL_TEXT_H

#include "schema/schema.h"

typedef struct dbc_ddl_constraint {
	dbc_constraint_kind kind; /* PRIMARY_KEY, UNIQUE, FOREIGN_KEY, CHECK, or NOT_NULL
	                             (a column's, listed for its ON CONFLICT clause) */
	char *name;               /* CONSTRAINT name, NULL when unnamed */
	dbc_strlist columns;      /* key columns, or the column a column constraint is on */
	char *expr;               /* CHECK expression, normalised */
	char *on_conflict;        /* ON CONFLICT resolution in lower case, NULL when none or abort */
	bool taken;               /* matched to a catalog constraint by a reader */
} dbc_ddl_constraint;

typedef struct dbc_ddl_table {
	dbc_ddl_constraint *items; /* in declaration order */
	int n;
	int cap;
} dbc_ddl_table;

/* Constraints of a CREATE TABLE statement, in declaration order. Text that is
 * not a CREATE TABLE with a column list yields no constraints (not an error). */
int dbc_ddl_parse_table(dbc_ctx *ctx, const char *sql, dbc_ddl_table *out);

/* A column of a SQLite CREATE TABLE text. Its declared type, NOT NULL and
 * collation are not kept: the engine answers those per column cheaply. */
typedef struct dbc_ddl_column {
	char *name;            /* quotes removed */
	char *default_expr;    /* the DEFAULT text exactly as SQLite reports it, or NULL */
	const char *generated; /* NULL, "virtual" or "stored" */
	char *generated_expr;  /* a generated column's expression, its parentheses cut */
	int pk;                /* position in the primary key, 0 when not part of it */
} dbc_ddl_column;

typedef struct dbc_ddl_columns {
	dbc_ddl_column *items; /* in declaration order */
	int n;
	bool without_rowid, strict;
	bool sure; /* false: the text holds something this reader does not know */
} dbc_ddl_columns;

/* Columns and table options of a SQLite CREATE TABLE text. */
int dbc_ddl_parse_columns(dbc_ctx *ctx, const char *sql, dbc_ddl_columns *out);

typedef struct dbc_ddl_index_key {
	char *column;    /* quotes removed, as written (any case) */
	char *collation; /* COLLATE as written, quotes removed; NULL when none */
	bool desc;
} dbc_ddl_index_key;

typedef struct dbc_ddl_index {
	char *table;
	dbc_ddl_index_key *keys;
	int nkeys;
	bool unique, partial;
	bool sure; /* false: an expression key or text this reader does not know */
} dbc_ddl_index;

/* Keys of a SQLite CREATE INDEX text (as SQLite stores it). */
int dbc_ddl_parse_index(dbc_ctx *ctx, const char *sql, dbc_ddl_index *out);

/* Comments dropped, runs of white space outside quotes made one space, trimmed. */
char *dbc_sql_normalise(dbc_ctx *ctx, const char *sql);

/* The normalised WHERE clause of a CREATE INDEX statement, NULL when none. */
char *dbc_ddl_index_predicate(dbc_ctx *ctx, const char *sql);

#endif
