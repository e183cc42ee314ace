/*
 * retain.h — the data lifecycle: soft delete (dbsoftdelete_*) and retention
 * policies (dbretain_*). The core writes every statement; what only an
 * engine can do (its soft-delete trigger, letting a purge through it, its
 * clock) comes from the glue through dbc_retain_engine.
 */
#ifndef DBC_RETAIN_H
#define DBC_RETAIN_H

#include "base/dbc.h"
#include "schema/schema.h"

#include <stdint.h>

/* A length of time as written in "30 days", "1 year 6 months", "12 hours". */
typedef struct dbc_interval {
	int64_t years, months, days, hours, minutes, seconds;
} dbc_interval;

/* Parses text into *out; a "dbcare:" error naming argname when it is not a
 * positive sum of "<count> <unit>" terms (seconds up to years). */
int dbc_interval_parse(dbc_ctx *ctx, const char *text, const char *argname, dbc_interval *out);
/* The interval written back in its canonical form ("1 year 6 months"). */
char *dbc_interval_text(dbc_ctx *ctx, const dbc_interval *iv);

/* What differs between the engines for soft delete and retention. Each glue
 * fills one (pg/fn_retain.c, sqlite/fn_retain.c). */
typedef struct dbc_retain_engine {
	/* The declared type of a soft-delete column dbsoftdelete_enable adds. */
	const char *timestamp_type;
	/* A column holds a point in time when its declared type, in lower
	 * case, contains one of these words (NULL-terminated). */
	const char *const *temporal_words;
	/* SQL of the moment iv before now, in the form a soft-delete or an age
	 * column is compared with (arena text). */
	char *(*cutoff_sql)(dbc_ctx *ctx, const dbc_interval *iv);
	/* Parameter n ($n) of a statement compared with a column of declared
	 * type: where a parameter has a type of its own (PostgreSQL binds text),
	 * a cast to the column's type. */
	char *(*param_as)(dbc_ctx *ctx, int n, const char *type);
	/* Written after CREATE UNIQUE INDEX / DROP INDEX in the statements that
	 * make a unique key partial: "CONCURRENTLY " where the engine builds an
	 * index without blocking writes, else "". */
	const char *index_concurrently;
	/* A UNIQUE constraint can be dropped on its own (ALTER TABLE ... DROP
	 * CONSTRAINT); false: only by rebuilding the table. */
	bool drops_constraints;
	/* The statements installing (replacing) table t's soft-delete trigger
	 * for column, and dropping it; its name, for reports. */
	char *(*trigger_create)(dbc_ctx *ctx, const dbc_table *t, const char *column);
	char *(*trigger_drop)(dbc_ctx *ctx, const dbc_table *t);
	/* While on, a DELETE in this call removes soft-deleted rows for real,
	 * in every soft-delete table (a foreign key's ON DELETE CASCADE into
	 * another soft-delete table deletes there too). The glue turns it off
	 * on every path out of the call. NULL: the trigger cannot be told;
	 * the purge drops it and makes it again in its savepoint. */
	void (*purge_through)(bool on);
} dbc_retain_engine;

/* ---------------------------------------------------------------- soft delete */

/* dbsoftdelete_enable: adds column (default deleted_at) when missing,
 * installs the trigger, records the table. *report: a JSON object {table,
 * column, column_added, unique_blockers: [{name, kind, columns, fix}]}:
 * the unique keys a soft-deleted row keeps taking, each with the
 * statements that make it partial; each is also a warning. */
int dbc_softdelete_enable(dbc_ctx *ctx, const dbc_retain_engine *eng, const char *table,
                          const char *column, char **report);
/* dbsoftdelete_disable: drops the trigger and forgets the table; the column
 * and its values stay. *was: whether it was enabled. */
int dbc_softdelete_disable(dbc_ctx *ctx, const dbc_retain_engine *eng, const char *table,
                           bool *was);
/* dbsoftdelete_restore: clears the soft-delete column of the rows whose
 * primary key key (a JSON object, or an array of them) names; all or none.
 * A unique key a live row already holds is an error naming it. */
int dbc_softdelete_restore(dbc_ctx *ctx, const dbc_retain_engine *eng, const char *table,
                           const char *key, int64_t *restored);
/* dbsoftdelete_purge: really deletes the soft-deleted rows (those deleted
 * longer than older_than ago when it is not NULL), foreign-key actions
 * applying as for any delete. */
int dbc_softdelete_purge(dbc_ctx *ctx, const dbc_retain_engine *eng, const char *table,
                         const char *older_than, int64_t *purged);

/* The soft-delete column of a table dbsoftdelete_enable recorded, or NULL
 * (retention's purge action asks). */
int dbc_softdelete_column(dbc_ctx *ctx, const dbc_table *t, char **column);

#define DBC_SOFTDELETE_NCOLS 4
/* dbsoftdelete_tables: (table_name, column_name, enabled_at, deleted_rows). */
int dbc_softdelete_rows(dbc_ctx *ctx, dbc_rows *out);

/* Finds table name (schema.table or table) in s; "dbcare:" error naming
 * argname when it is missing or ambiguous. */
int dbc_retain_find_table(dbc_ctx *ctx, const dbc_schema *s, const char *name,
                          const char *argname, const dbc_table **out);
/* The column of t named name (case folded where the engine folds names). */
const dbc_column *dbc_retain_find_column(const dbc_ctx *ctx, const dbc_table *t,
                                         const char *name);
/* Whether a declared type holds a point in time. */
bool dbc_retain_temporal(const dbc_retain_engine *eng, const char *type);

#endif
