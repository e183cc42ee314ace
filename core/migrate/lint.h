/*
 * lint.h — the migration lint's pieces (docs/lint.md), private to
 * core/migrate: the statement classifier (lint_classify.c), the picture of
 * the tables as the pending migrations leave them (lint_model.c), the rules
 * as data (lint_rules.c) and the driver (lint.c).
 */
#ifndef DBC_MIGRATE_LINT_H
#define DBC_MIGRATE_LINT_H

#include "migrate/migrate.h"
#include "migrate/migrate_model.h"

/* What the classifier saw in an action (bits of dbc_lint_action.flags). */
enum {
	DBC_LF_CONCURRENTLY = 1u << 0,     /* CREATE / DROP INDEX CONCURRENTLY */
	DBC_LF_NOT_VALID = 1u << 1,        /* ADD CONSTRAINT ... NOT VALID */
	DBC_LF_USING_INDEX = 1u << 2,      /* ADD UNIQUE / PRIMARY KEY USING INDEX */
	DBC_LF_HAS_DEFAULT = 1u << 3,      /* ADD COLUMN ... DEFAULT */
	DBC_LF_NOT_NULL = 1u << 4,         /* ADD COLUMN ... NOT NULL */
	DBC_LF_STORED = 1u << 5,           /* ADD COLUMN: a stored generated or identity column */
	DBC_LF_SERIAL = 1u << 6,           /* ADD COLUMN of a serial type (a nextval default) */
	DBC_LF_KEY = 1u << 7,              /* ADD COLUMN ... PRIMARY KEY / UNIQUE */
	DBC_LF_LOCK_TIMEOUT_OFF = 1u << 8, /* SET lock_timeout = 0 */
	DBC_LF_IF_EXISTS = 1u << 9,
	DBC_LF_AS_QUERY = 1u << 10,     /* CREATE TABLE ... AS: new, yet holds rows */
	DBC_LF_MORE_CLAUSES = 1u << 11, /* ADD COLUMN: a clause besides DEFAULT and [NOT] NULL */
	/* set by the driver from the model and the engine: */
	DBC_LF_VOLATILE_DEFAULT = 1u << 16,
	DBC_LF_REWRITES = 1u << 17,         /* ALTER TYPE that rewrites */
	DBC_LF_CHECKED_NOT_NULL = 1u << 18, /* a validated CHECK (col IS NOT NULL) exists */
	DBC_LF_VIEW_DEPENDS = 1u << 19,     /* a view names the table (column) */
	DBC_LF_COLUMN_USED = 1u << 20,      /* an index, key, view or trigger uses the column */
	DBC_LF_NO_LOCK_TIMEOUT = 1u << 21,  /* the exclusive lock, no lock_timeout before */
	DBC_LF_KEY_NEAR_LIMIT = 1u << 22,   /* the table's integer key is past half its range */
	DBC_LF_ADD_NOT_POSSIBLE = 1u << 23, /* ADD COLUMN the limited ALTER refuses */
	DBC_LF_RENAME_FAILS = 1u << 24, /* a view or trigger the rename re-parses does not resolve */
	DBC_LF_RENAME_STALE = 1u << 25, /* the rename leaves views or triggers naming the old name */
	DBC_LF_HOLDS_NULLS = 1u << 26,  /* SET NOT NULL of a column the statistics show NULLs in */
	DBC_LF_ROWS_COPIED = 1u << 27,  /* DROP TABLE of a table an INSERT ... SELECT of the same
	                                 * migration copied before */
	DBC_LF_DELETING_CHILDREN = 1u << 28, /* DROP TABLE: with foreign keys enforced, children's
	                                      * ON DELETE actions delete or change rows */
	DBC_LF_PUBLISHED = 1u << 29,         /* ADD COLUMN: a publication here publishes the table */
	DBC_LF_SUBSCRIBED = 1u << 30,        /* DROP COLUMN: a subscription here replicates into it */
};

/* One thing a statement does to one table. Names are unquoted (folded as
 * the engine folds unquoted names); schema NULL when not written. */
typedef struct dbc_lint_action {
	dbc_lint_op op;
	unsigned flags;
	char *schema, *table;
	char *column;   /* the column named, or NULL */
	char *new_name; /* RENAME ... TO */
	char *type;     /* ADD COLUMN / ALTER TYPE: the type as written */
	char *default_expr;
	char *constraint; /* ADD CONSTRAINT / VALIDATE: its name, or NULL */
	char *expr;       /* CHECK expression, CREATE VIEW body */
	char *index;      /* CREATE / DROP INDEX: the index name */
	char *what;       /* the action's words for a message ("ALTER COLUMN ... SET DEFAULT") */
	char *evidence;   /* what the model found ({evidence}: "about 12% of its rows") */
} dbc_lint_action;

typedef struct dbc_lint_actions {
	dbc_lint_action *items;
	int n, cap;
} dbc_lint_actions;

/* Appends what the statement text[0..len) does to out. A statement the
 * classifier does not know adds nothing. */
int dbc_lint_classify(dbc_ctx *ctx, const dbc_lint_hooks *eng, const char *text, size_t len,
                      dbc_lint_actions *out);

/* A rule (lint_rules.c): applies to actions of op (DBC_LOP_COUNT: any) whose
 * flags hold every bit of all and none of none, on an engine having fact,
 * when the table holds rows if rows is set. message and suggestion are
 * templates: {table} {column} {rows} {lock} {new} {index} {type} {what}
 * {problem} (the engine's words from rename_check) {evidence}. */
typedef enum { DBC_LINT_INFO, DBC_LINT_WARNING, DBC_LINT_ERROR } dbc_lint_severity;
typedef enum {
	DBC_LFACT_NONE,
	DBC_LFACT_CONCURRENT_INDEX,
	DBC_LFACT_NOT_VALID,
	DBC_LFACT_UNIQUE_USING_INDEX,
	DBC_LFACT_LOCKS,
	DBC_LFACT_FULL_ALTER, /* not alter_limited */
	DBC_LFACT_ALTER_LIMITED,
} dbc_lint_fact;

typedef struct dbc_lint_rule {
	const char *id;
	dbc_lint_op op;
	unsigned all, none;
	dbc_lint_fact fact;
	bool rows;
	dbc_lint_severity severity;
	const char *message;
	const char *suggestion;
} dbc_lint_rule;

extern const dbc_lint_rule dbc_lint_rules[];
extern const int dbc_lint_nrules;
const char *dbc_lint_severity_name(dbc_lint_severity s);
/* Whether the engine (ctx's dialect) has the fact a rule needs. */
bool dbc_lint_has_fact(const dbc_ctx *ctx, dbc_lint_fact fact);

/* The tables as the live schema holds them and the pending migrations
 * change them (lint_model.c). */
typedef struct dbc_lint_model dbc_lint_model;

/* One finding. */
typedef struct dbc_lint_finding {
	const dbc_migration *mig;
	int line;
	const dbc_lint_rule *rule;
	char *message;
	char *suggestion;
} dbc_lint_finding;

typedef struct dbc_lint_findings {
	dbc_lint_finding *items;
	int n, cap;
} dbc_lint_findings;

/* The findings of plan[0..n) in order, ignore comments honoured. */
int dbc_lint_plan(dbc_ctx *ctx, const dbc_lint_hooks *eng, dbc_migrate_row **plan, int n,
                  dbc_lint_findings *out);
/* What migrate.lint says apply and plan do with plan[0..n): nothing (off),
 * notices (warn), or (enforce, apply only) an error naming the first
 * migration with an error or warning finding. */
int dbc_lint_gate(dbc_ctx *ctx, const dbc_migrate_hooks *env, dbc_migrate_row **plan, int n,
                  bool applying);

/* lint_keys.c: the tables an INSERT ... SELECT ... FROM statement
 * text[0..len) copies rows from, added to copied (nothing for any other). */
int dbc_lint_note_copy(dbc_ctx *ctx, const char *text, size_t len, dbc_strlist *copied);
/* A DROP TABLE's facts: DBC_LF_ROWS_COPIED when copied holds its table,
 * DBC_LF_DELETING_CHILDREN with *children (the engine's words) when
 * children whose ON DELETE actions write rows reference it. */
/* The foreign key setting a no-transaction script's later statements run
 * with: a PRAGMA foreign_keys outside the script's own BEGIN ... COMMIT
 * changes it (inside one the pragma does nothing). */
typedef struct dbc_keys_track {
	bool off;    /* the script turned foreign keys off */
	bool in_txn; /* between its BEGIN and COMMIT */
} dbc_keys_track;
int dbc_keys_track_stmt(dbc_ctx *ctx, dbc_keys_track *k, const char *text, size_t len);
int dbc_lint_drop_facts(dbc_ctx *ctx, const dbc_lint_hooks *eng, const dbc_strlist *copied,
                        dbc_lint_action *a, char **children);

/* The pending migrations apply would run (every one, in order), with their
 * scripts; repeatables after the versioned ones. */
int dbc_lint_pending(dbc_ctx *ctx, dbc_migrate_row ***plan, int *n);
/* The same, and *at the place in it of version (written as a user may
 * write it); *canon its canonical text. A version that is not pending is
 * an error naming it, with the remedy. */
int dbc_lint_pending_at(dbc_ctx *ctx, const char *version, dbc_migrate_row ***plan, int *n, int *at,
                        char **canon);
/* The engine's facts for the lint: env's, or none (a plan read alone). */
const dbc_lint_hooks *dbc_lint_engine_of(const dbc_migrate_hooks *env);

int dbc_lint_model_open(dbc_ctx *ctx, const dbc_lint_hooks *eng, dbc_lint_model **out);
/* Sets the driver's flags of a (VIEW_DEPENDS, COLUMN_USED, CHECKED_NOT_NULL,
 * VOLATILE_DEFAULT, REWRITES, KEY_NEAR_LIMIT), *table_name (for messages)
 * and *rows: 0 for a table a pending migration created or emptied, else the
 * count when known and -1 when not counted yet (dbc_lint_model_rows counts:
 * only when a rule needs it, as counting costs a query). */
int dbc_lint_model_judge(dbc_lint_model *m, dbc_lint_action *a, int64_t *rows, char **table_name);
/* The rows of a's table (-1 unknown), counted once through the engine. */
int dbc_lint_model_rows(dbc_lint_model *m, const dbc_lint_action *a, int64_t *rows);
/* The highest key value read for a's table (KEY_NEAR_LIMIT), -1 none. */
int64_t dbc_lint_model_key_high(dbc_lint_model *m, const dbc_lint_action *a);
/* Records what a did, for the statements after it. */
int dbc_lint_model_apply(dbc_lint_model *m, const dbc_lint_action *a);
/* Records that a statement the lint does not model (an UPDATE, a DO block,
 * a function call) ran: from here on, the rows' values the statistics show
 * may have changed. */
void dbc_lint_model_rows_may_change(dbc_lint_model *m);

#endif
