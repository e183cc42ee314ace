/*
 * check.h — verifying declared constraints and relations against stored data.
 * The planner (check_plan.c) turns one constraint into one set-based statement;
 * the runner (check_run.c) executes them; check_relations.c keeps the
 * "logical foreign keys" users declare in the bookkeeping table <prefix>relations.
 */
#ifndef DBC_CHECK_H
#define DBC_CHECK_H

#include "base/dbc.h"
#include "schema/schema.h"

/* ------------------------------------------------------------------ planner */

/* A kind mask for dbc_check_options.kinds. */
#define DBC_CHECK_KIND(k) (1u << (unsigned)(k))
#define DBC_CHECK_KINDS_ALL                                                                        \
	(DBC_CHECK_KIND(DBC_CON_PRIMARY_KEY) | DBC_CHECK_KIND(DBC_CON_UNIQUE) |                        \
	 DBC_CHECK_KIND(DBC_CON_FOREIGN_KEY) | DBC_CHECK_KIND(DBC_CON_CHECK) |                         \
	 DBC_CHECK_KIND(DBC_CON_NOT_NULL))

/* How a planned statement hands back its answer. */
typedef enum {
	/* Rows of (weight, key part 1, ..., key part n): the runner sums the
	 * weights and keeps the first five keys. Used where the host streams rows
	 * (SQLite), so nothing grows with the number of violations. */
	DBC_PLAN_STREAM,
	/* Exactly one row (violations bigint, sample JSON text). Used where the
	 * host may materialise results (PostgreSQL SPI). */
	DBC_PLAN_AGGREGATE,
} dbc_plan_shape;

typedef struct dbc_check_plan {
	char *sql; /* NULL when skip is set */
	dbc_plan_shape shape;
	int nkeys; /* key parts per streamed row */
	/* Set instead of sql: the constraint cannot be checked, and why (the
	 * host refused to evaluate its expression, dbc_host.schema_expr_allowed,
	 * or cannot write its key comparison, dbc_host.key_match). */
	char *skip;
	/* Or NULL: a cheaper statement to run first, returning one row whose
	 * one value is 1 when the constraint certainly has no violation (then
	 * sql need not run: 0 violations, an empty sample). */
	char *precheck;
	/* Or NULL: sql again, reading the table's rows only (never an index,
	 * dbc_dialect.table_rows_only). Violations sql finds are reported only
	 * as this statement finds them: an index may be damaged where the
	 * table is sound, and a violation must be the table's. */
	char *confirm;
} dbc_check_plan;

/* The bare boolean expression of a CHECK, whichever form a reader stored:
 * "x > 0", "(x > 0)" or PostgreSQL's "CHECK ((x > 0)) NOT VALID". */
char *dbc_check_body(dbc_ctx *ctx, const char *expr);

/* The statement that finds the rows of table t violating constraint con
 * (one of PRIMARY KEY, UNIQUE, FOREIGN KEY, CHECK, NOT NULL). Foreign keys
 * honour con->match ("full" or simple). s resolves the parent of a foreign key
 * (its primary key when con->ref_columns is empty); a parent missing from s
 * makes every non-NULL child key a violation. */
int dbc_check_plan_constraint(dbc_ctx *ctx, const dbc_schema *s, const dbc_table *t,
                              const dbc_constraint *con, dbc_check_plan *out);

/* As dbc_check_plan_constraint, for a UNIQUE or PRIMARY KEY constraint
 * whose unique index PRAGMA integrity_check has just verified
 * (dbc_check_options.keys_proven): on a rowid table of SQLite's main the
 * statement looks for a primary key's NULL parts only, counted and sampled
 * as dbc_check_plan_constraint's statement counts them when no key repeats. */
int dbc_check_plan_proven_key(dbc_ctx *ctx, const dbc_schema *s, const dbc_table *t,
                              const dbc_constraint *con, dbc_check_plan *out);

/* SQLite's "foreign key mismatch" of a declared foreign key (its parent key
 * is neither the parent's primary key nor a unique index's columns, or names
 * a missing column): why the declaration is broken, or NULL when it is not
 * (always NULL on PostgreSQL, which refuses such declarations). */
const char *dbc_check_fk_mismatch(dbc_ctx *ctx, const dbc_schema *s, const dbc_table *t,
                                  const dbc_constraint *con);

/* Several row-local constraints of t (CHECK and NOT NULL, each of which
 * dbc_check_plan_constraint plans as a scan with neither skip nor error) in
 * one scan of t. The statement yields, per row that violates any of them,
 * one flag column per constraint (1 when the row violates it, else 0) and
 * then the row's key parts (DBC_PLAN_STREAM); or one row of n pairs
 * (violations bigint, sample JSON text), the pair of cons[i] at 2i
 * (DBC_PLAN_AGGREGATE). Each constraint's count and sample are the ones its
 * own plan gives. out->nkeys is set; out->skip never is. */
int dbc_check_plan_row_local(dbc_ctx *ctx, const dbc_schema *s, const dbc_table *t,
                             const dbc_constraint *const *cons, int n, dbc_check_plan *out);

/* The rowid spelling that still means t's rowid (a column may shadow any
 * of rowid, _rowid_ and oid), or NULL for a table without one. */
const char *dbc_check_rowid_name(const dbc_ctx *ctx, const dbc_table *t);

/* Whether the engine's own foreign key check (dbc_dialect.fk_check_function)
 * is to take t's foreign keys: the engine has one, t is a rowid table of the
 * default schema, no key of t is broken so that the engine's check would
 * fail, and some key of t has no index of its own (one holding all its
 * columns, which its own statement would read instead of the table).
 * check_engine_fks.c. */
bool dbc_check_engine_fks_serve(dbc_ctx *ctx, const dbc_schema *s, const dbc_table *t);

/* Whether the engine's check can settle con, of a table it serves: a
 * foreign key of the engine's own (not a declared relation) it numbers. */
bool dbc_check_engine_fk(const dbc_constraint *con);

/* Foreign keys of t, a table dbc_check_engine_fks_serve accepts, each
 * accepted by dbc_check_engine_fk, in one run of
 * the engine's own check: DBC_PLAN_STREAM rows of one flag per constraint
 * (1 when the row violates cons[i]) then the row's key, as
 * dbc_check_plan_row_local gives them; each constraint's count and sample
 * are the ones its own plan gives. */
int dbc_check_plan_engine_fks(dbc_ctx *ctx, const dbc_schema *s, const dbc_table *t,
                              const dbc_constraint *const *cons, int n, dbc_check_plan *out);

/* Orphans of a foreign key or relation: rows whose key has no NULL part and
 * no parent (MATCH SIMPLE whatever con->match says). */
int dbc_check_plan_orphans(dbc_ctx *ctx, const dbc_schema *s, const dbc_table *t,
                           const dbc_constraint *con, dbc_check_plan *out);

/* One statement deleting those orphans. On PostgreSQL it returns one row with
 * the number deleted; on SQLite it returns nothing (read changes()). */
int dbc_check_plan_delete(dbc_ctx *ctx, const dbc_schema *s, const dbc_table *t,
                          const dbc_constraint *con, char **sql_out);

/* ------------------------------------------------------------------ runner */

typedef struct dbc_check_options {
	const char *table;         /* NULL: every table; else a table name as users write it */
	unsigned kinds;            /* mask of DBC_CHECK_KIND(); 0 means DBC_CHECK_KINDS_ALL */
	bool skip_trusted;         /* skip constraints the engine validated and enforces now */
	const dbc_strlist *ignore; /* table names to skip (health.ignore), may be NULL */
	bool relations_only;       /* dbc_check_orphans: declared relations, not foreign keys */
	/* SQLite: PRAGMA integrity_check has just verified every index of main
	 * (no "non-unique entry", no missing entry, no other damage), so the
	 * unique index of a UNIQUE or PRIMARY KEY constraint of a rowid table
	 * proves its key has no duplicates: only a primary key's NULL parts are
	 * looked for (dbc_check_plan_constraint's keys_proven) */
	bool keys_proven;
} dbc_check_options;

/* One constraint or relation checked: what dbcheck_constraints and
 * dbcheck_orphans return a row for, read by field inside the core. */
typedef struct dbc_check_finding {
	const char *table;  /* the (child) table's display name */
	const char *name;   /* the constraint's or relation's name */
	const char *kind;   /* constraints: dbc_constraint_kind_name; orphans: NULL */
	const char *parent; /* orphans: the parent table's display name; constraints: NULL */
	bool checked;       /* false: not checked, sample says why */
	int64_t count;      /* violating / orphan rows when checked, else 0 */
	const char *sample; /* JSON: at most DBC_SAMPLE_MAX offending keys, or {"not_checked": why} */
} dbc_check_finding;

typedef struct dbc_check_findings {
	dbc_check_finding *items;
	int n;
	int cap;
} dbc_check_findings;

/* Appends a copy of f (its strings copied into the arena). */
int dbc_check_findings_add(dbc_ctx *ctx, dbc_check_findings *l, const dbc_check_finding *f);

/* The same as dbc_check_constraints / dbc_check_orphans, typed (out
 * zero-initialised by the caller). */
int dbc_check_constraint_findings(dbc_ctx *ctx, const dbc_schema *s, const dbc_check_options *opt,
                                  dbc_check_findings *out);
int dbc_check_orphan_findings(dbc_ctx *ctx, const dbc_schema *s, const dbc_check_options *opt,
                              dbc_check_findings *out);

/* Column layout of dbc_check_constraints' rows:
 * (table_name, constraint_name, kind, violations, sample). violations is an
 * integer, sample JSON text (an array of at most 5 offending keys). A
 * constraint that was not checked has violations NULL and the sample
 * {"not_checked": reason}. */
#define DBC_CHECK_NCOLS 5
/* Column layout of dbc_check_orphans' rows:
 * (relation, child_table, parent_table, orphans, sample). */
#define DBC_ORPHAN_NCOLS 5
#define DBC_SAMPLE_MAX   5

/* dbcheck_constraints: one row per constraint checked, in schema order
 * (check_rows.c: the findings as the glue's rows). out must be initialised
 * by the caller with DBC_CHECK_NCOLS columns. */
int dbc_check_constraints(dbc_ctx *ctx, const dbc_schema *s, const dbc_check_options *opt,
                          dbc_rows *out);

/* dbcheck_orphans: one row per declared foreign key and declared relation.
 * out must be initialised with DBC_ORPHAN_NCOLS columns. opt may be NULL
 * (only opt->table and opt->ignore are used). */
int dbc_check_orphans(dbc_ctx *ctx, const dbc_schema *s, const dbc_check_options *opt,
                      dbc_rows *out);

/* dbcheck_cleanup_orphans: with dry_run only counts; otherwise deletes every
 * orphan in one savepoint (all or nothing). *count: rows counted / deleted. */
int dbc_check_cleanup_orphans(dbc_ctx *ctx, const dbc_schema *s, bool dry_run, int64_t *count);

/* --------------------------------------------------------------- relations */

typedef struct dbc_relation {
	char *name;
	char *child_schema; /* NULL on SQLite */
	char *child_table;
	dbc_strlist child_columns;
	char *parent_schema;
	char *parent_table;
	dbc_strlist parent_columns;
} dbc_relation;

#define DBC_RELATION_NCOLS 5

/* Reads the declared relations, ordered by name (none on a fresh database). */
int dbc_relations_load(dbc_ctx *ctx, dbc_relation **out, int *n);
/* dbcheck_relations: rows (name, child_table, child_columns, parent_table, parent_columns). */
int dbc_relations_rows(dbc_ctx *ctx, dbc_rows *out);
/* dbcheck_add_relation: validates tables and columns against s, stores it.
 * The same definition again is a no-op; a different one under an existing name
 * is an error. */
int dbc_relation_add(dbc_ctx *ctx, const dbc_schema *s, const char *name, const char *child_table,
                     const char *child_columns, const char *parent_table,
                     const char *parent_columns);
/* dbcheck_drop_relation: *dropped tells whether it existed. */
int dbc_relation_drop(dbc_ctx *ctx, const char *name, bool *dropped);
/* A relation seen as the MATCH SIMPLE foreign key the planner checks. */
int dbc_relation_as_constraint(dbc_ctx *ctx, const dbc_relation *r, dbc_constraint *out);

/* Finds a table as users name it: its display name ("schema.table" or
 * "table"), or a bare table name when only one schema has it. Errors 22023
 * naming the argument when missing or ambiguous. */
int dbc_check_find_table(dbc_ctx *ctx, const dbc_schema *s, const char *name, const char *argname,
                         const dbc_table **out);

#endif
