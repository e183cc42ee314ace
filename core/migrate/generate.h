/*
 * generate.h — the pieces of dbmigrate_generate (docs/schema-as-code.md),
 * private to core/migrate: the desired schema's text read for what the
 * catalog cannot tell (the statements as written, the rename marks;
 * generate_desired.c), the plan from the live and the desired models
 * (generate_plan.c and its passes, generate_plan_*.c; generate_rebuild.c,
 * generate_enum.c, generate_sequence.c), its proof on the
 * engine's scratch place (generate_proof.c) and the call (generate.c).
 */
#ifndef DBC_MIGRATE_GENERATE_H
#define DBC_MIGRATE_GENERATE_H

#include "migrate/migrate.h"

/* One statement of the desired schema that creates an object, as written.
 * kind: "table", "index", "view", "trigger", "function", "type",
 * "sequence", "schema", "materialized view"; name unquoted, folded as the
 * engine folds unquoted names; schema NULL when not written. */
typedef struct dbc_gen_stmt {
	char *kind;
	char *schema;
	char *name;
	char *table; /* a trigger's: the table after ON (NULL: not read) */
	char *text;  /* without its ';' */
} dbc_gen_stmt;

/* A column of a desired CREATE TABLE, its definition as written
 * ("name type DEFAULT ... NOT NULL ..."). */
typedef struct dbc_gen_coldef {
	char *table;
	char *name;
	char *text;
} dbc_gen_coldef;

/* A "-- dbcare: renamed from OLD" mark: on the line of a column (column
 * set) or of the CREATE TABLE (column NULL). */
typedef struct dbc_gen_rename {
	char *table;
	char *column;
	char *from;
	/* NULL: a mark; else the rename comes from the rename log
	 * (generate_recorded.c): the migrations that gave the live name */
	const char *recorded;
} dbc_gen_rename;

typedef struct dbc_gen_desired {
	dbc_gen_stmt *stmts;
	int nstmts, capstmts;
	dbc_gen_coldef *cols;
	int ncols, capcols;
	dbc_gen_rename *renames;
	int nrenames, caprenames;
	dbc_strlist *altered; /* tables an ALTER TABLE of the file changes (NULL: none) */
	/* routines (by name) an ALTER FUNCTION, PROCEDURE, ROUTINE or
	 * AGGREGATE of the file changes, SECURITY DEFINER or a SET of it
	 * (NULL: none): their CREATE alone is not all of them */
	dbc_strlist *altered_routines;
} dbc_gen_desired;

/* The desired schema's text as pg_dump --schema-only or the SQLite shell's
 * .schema wrote it, with what those tools write around the schema blanked
 * (their preamble lines, SQLite's own tables), line numbers kept
 * (generate_dump.c). */
int dbc_gen_dump_text(dbc_ctx *ctx, const char *sql, char **out);

/* Reads sql (the desired schema) into out (zeroed by the caller). */
int dbc_gen_read_desired(dbc_ctx *ctx, const char *sql, dbc_gen_desired *out);
const dbc_gen_stmt *dbc_gen_find_stmt(const dbc_gen_desired *d, const char *kind, const char *name);
/* The statement that makes the object of kind and name (both as the
 * model holds them) in schema; one that names no schema makes it in any.
 * NULL where the file has none (a constraint's index, a statement the
 * file runs otherwise). */
const dbc_gen_stmt *dbc_gen_desired_stmt(const dbc_gen_desired *d, const char *kind,
                                         const char *name, const char *schema);
/* A trigger's statement: its name is unique per table only (one whose
 * table was not read matches any). */
const dbc_gen_stmt *dbc_gen_find_trigger_stmt(const dbc_gen_desired *d, const char *name,
                                              const char *table);
const dbc_gen_coldef *dbc_gen_find_coldef(const dbc_gen_desired *d, const char *table,
                                          const char *column);
/* The rename (a mark's or a recorded one) of table (column NULL) or its
 * column; NULL. */
const dbc_gen_rename *dbc_gen_rename_of(const dbc_gen_desired *d, const char *table,
                                        const char *column);

/* Adds to d the renames the rename log gives (generate_recorded.c): a live
 * table or column the desired schema lacks, whose former name (rename_log.h)
 * the desired schema has where the live one has nothing of that name, and
 * which no mark speaks of. Called with both models read. */
/* The live indexes whose text, made again on the desired table
 * (env->index_round_trip), is the desired index's: held in live as the
 * desired model holds them (generate_round_trip.c); *changed when any. */
int dbc_gen_index_round_trips(dbc_ctx *ctx, const dbc_migrate_hooks *env, dbc_schema *live,
                              const dbc_schema *want, bool *changed);
/* Whether text (a CREATE INDEX of schema), made on the desired table and
 * read back (env->index_round_trip), is definition, both under one name. */
int dbc_gen_index_makes(dbc_ctx *ctx, const dbc_migrate_hooks *env, const char *schema,
                        const char *text, const char *definition, bool *makes);
/* The same, on the table the CREATE TABLE statement table_stmt makes first
 * (NULL: the desired one): an index of a table the desired schema lacks. */
int dbc_gen_index_makes_on(dbc_ctx *ctx, const dbc_migrate_hooks *env, const char *schema,
                           const char *table_stmt, const char *text, const char *definition,
                           bool *makes);

/* The index definitions the engine does not make again from their own
 * text, each with one that does (generate_index_texts.c), item by item;
 * a definition listed with itself has none, or needs none. */
typedef struct dbc_gen_index_texts {
	dbc_strlist definition, text;
} dbc_gen_index_texts;
/* The desired indexes the desired file writes as the engine's own text
 * (a pg_dump) where the text made them otherwise, made again in the place
 * from a text that gives the file's (listed in texts); *remade when any:
 * the desired model is then read again. */
int dbc_gen_indexes_as_written(dbc_ctx *ctx, const dbc_migrate_hooks *env, const dbc_gen_desired *d,
                               const dbc_schema *want, dbc_gen_index_texts *texts, bool *remade);
/* The indexes of s whose definition does not make itself, each with a
 * text that does where the engine offers one, into texts. place: the
 * schema the place holds (NULL: s itself); an index of a table it lacks
 * (a dropped one, renamed without a mark) is tried on that table, made
 * first from s. */
int dbc_gen_index_texts_of(dbc_ctx *ctx, const dbc_migrate_hooks *env, const dbc_schema *s,
                           const dbc_schema *place, dbc_gen_index_texts *texts);
/* The live schemas the desired file neither makes nor names and the
 * desired model holds nothing in, out of want (generate_empty_schemas.c):
 * the plan drops them. */
int dbc_gen_forget_empty_schemas(dbc_ctx *ctx, const char *desired_sql, const dbc_schema *live,
                                 dbc_schema *want);
int dbc_gen_recorded_renames(dbc_ctx *ctx, const dbc_migrate_hooks *env, const dbc_schema *live,
                             const dbc_schema *want, dbc_gen_desired *d);

typedef struct dbc_gen_options {
	bool allow_drop;         /* drops of tables and columns are allowed */
	bool lock_safe;          /* the lock-safe forms where the engine has them (default) */
	int64_t lock_timeout_ms; /* SET lock_timeout before each migration's locks (3000) */
	/* a table whose columns the desired file orders otherwise is made
	 * again in that order where ALTER TABLE cannot place a column
	 * (PostgreSQL; default); false: new columns are appended */
	bool reorder_columns;
} dbc_gen_options;

int dbc_gen_read_options(dbc_ctx *ctx, const char *json, dbc_gen_options *out);

/* One step of the plan. */
typedef struct dbc_gen_step {
	char *statement;
	char *hazard;       /* NULL: none */
	int64_t rows;       /* rows affected (the table's rows), -1: none */
	char *lock;         /* the lock it takes, NULL: none worth naming */
	char *reverse;      /* what undoes it; NULL: nothing to undo */
	bool reverse_locks; /* the reverse locks tables though the step names no lock */
	bool transactional;
	/* a non-transactional step's stand-in the proof runs inside its
	 * transaction, where dbcare migrate runs the step at top level (NULL:
	 * as written), and likewise its reverse */
	char *proof, *proof_reverse;
} dbc_gen_step;

/* A column that ALTER TABLE ... ADD COLUMN puts after the table's other
 * columns, as it appends: a live column the plan drops (the down adds it
 * back), or a desired one written among the others (the up adds it). */
typedef struct dbc_gen_moved {
	const dbc_table *table; /* the live table (drops), the desired one (adds) */
	const dbc_column *column;
} dbc_gen_moved;

typedef struct dbc_gen_plan {
	dbc_gen_step *items;
	int n, cap;
	/* the dropped columns, in the order of their steps: the down reaches
	 * the live schema with these last, in the order it adds them back */
	dbc_gen_moved *moved;
	int nmoved, capmoved;
	/* the desired columns the plan adds, in the order of their steps: the
	 * up reaches the desired schema with these last, in that order (the
	 * same schema where the file writes them last) */
	dbc_gen_moved *appended;
	int nappended, capappended;
	bool appended_moves; /* one of them is written before a kept column */
} dbc_gen_plan;
/* The desired checks the desired file writes as the engine's own text (a
 * pg_dump) where the text made them otherwise, made again in the place
 * from a spelling of the file's text; *remade when any: the desired model
 * is then read again (generate_check_texts.c). */
int dbc_gen_checks_as_written(dbc_ctx *ctx, const dbc_migrate_hooks *env, const dbc_gen_desired *d,
                              const dbc_schema *want, bool *remade);
/* Every CHECK text of live and want that the engine offers another
 * spelling of (env->index_spellings: its own text parses back as another
 * check), written as that spelling where a step of plan makes that check
 * (generate_check_texts.c). */
int dbc_gen_check_texts(dbc_ctx *ctx, const dbc_migrate_hooks *env, const dbc_schema *live,
                        const dbc_schema *want, dbc_gen_plan *plan);

/* What the planner works from. */
typedef struct dbc_gen_input {
	const dbc_migrate_hooks *env;
	const dbc_schema *live, *want;
	const dbc_gen_desired *desired;
	const dbc_gen_options *opt;
	const dbc_gen_index_texts *index_texts; /* NULL: every index makes itself */
} dbc_gen_input;

/* The text a step writes to make the index of definition: the one
 * in->index_texts lists for it, else definition. */
const char *dbc_gen_index_text(const dbc_gen_input *in, const char *definition);

int dbc_gen_plan_make(dbc_ctx *ctx, const dbc_gen_input *in, dbc_gen_plan *out);
/* Appends a step (copies nothing: the texts live in the arena). */
dbc_gen_step *dbc_gen_add(dbc_ctx *ctx, dbc_gen_plan *p, char *statement, char *reverse);

/* Routines (generate_routine.c): functions, procedures and aggregates,
 * named "name(identity arguments)". */
bool dbc_gen_is_routine(const char *type);
/* DROP FUNCTION|PROCEDURE|AGGREGATE schema.name(arguments); NULL when the
 * name has no argument list. */
char *dbc_gen_routine_drop(dbc_ctx *ctx, const dbc_object *o);
/* CREATE AGGREGATE from the model's definition of aggregate o; NULL when
 * the definition is not the model's aggregate form. */
char *dbc_gen_aggregate_create(dbc_ctx *ctx, const dbc_object *o);

/* A table's changes where the engine's ALTER TABLE is limited: the rebuild
 * (generate_rebuild.c). old is the live table, now the desired one. */
int dbc_gen_rebuild(dbc_ctx *ctx, const dbc_gen_input *in, const dbc_table *old,
                    const dbc_table *now, dbc_gen_plan *out);

/* Desired table w made again with its columns in its own order, from
 * before (w's columns in the order the plan's earlier steps leave them),
 * at the plan's end (generate_reorder.c): one step, its reverse the way
 * back to before's order. */
int dbc_gen_reorder(dbc_ctx *ctx, const dbc_gen_input *in, const dbc_table *w,
                    const dbc_table *before, int64_t rows, const char *lock, dbc_gen_plan *out);

/* An enum type whose labels change otherwise (one renamed or dropped)
 * (generate_enum.c): the type made again beside the old one under its
 * name, the live columns of it converted through their text, each way. */
bool dbc_gen_enum_changes(dbc_ctx *ctx, const dbc_object *live, const dbc_object *want);
int dbc_gen_enum_remake(dbc_ctx *ctx, const dbc_gen_input *in, const dbc_object *live,
                        const dbc_object *want, dbc_gen_plan *out);
/* A sequence whose options change while its owner and persistence stay
 * (generate_sequence.c): ALTER SEQUENCE, its reverse the live options. */
bool dbc_gen_seq_alters(const dbc_object *live, const dbc_object *want);
int dbc_gen_seq_alter(dbc_ctx *ctx, const dbc_object *live, const dbc_object *want,
                      dbc_gen_plan *out);
/* An enum type whose desired labels only add to the live ones, in order
 * (generate_enum.c): ALTER TYPE ... ADD VALUE, its reverse the live type
 * made again with its columns converted. */
bool dbc_gen_enum_extends(dbc_ctx *ctx, const dbc_object *live, const dbc_object *want);
int dbc_gen_enum_add(dbc_ctx *ctx, const dbc_gen_input *in, const dbc_object *live,
                     const dbc_object *want, dbc_gen_plan *out);

/* What the proof compares with: the desired schema's snapshot and
 * fingerprint, the live one's, and the desired SQL (for a scratch place
 * built from it). */
typedef struct dbc_gen_proof_input {
	const char *desired_sql;
	const char *want_json, *want_fp;
	const char *live_json, *live_fp;
	/* the models the snapshots were made of (NULL: not known) */
	const dbc_schema *want_model, *live_model;
} dbc_gen_proof_input;

/* Runs the plan on a copy of the live schema (env->scratch): the ups must
 * reach the desired fingerprint and the reverses, newest first, the live
 * one. A failure is an error naming the step or the first difference. */
int dbc_gen_prove(dbc_ctx *ctx, const dbc_migrate_hooks *env, const dbc_gen_plan *plan,
                  const dbc_gen_proof_input *in);
/* Runs the plan where the desired schema is (s, inside
 * env->scratch_desired): the reverses must reach the live fingerprint,
 * then the ups the desired one again. */
int dbc_gen_prove_from_desired(dbc_ctx *s, const dbc_gen_plan *plan, const dbc_gen_proof_input *in);
/* The proof on the parts of the live schema the plan touches, each on a
 * place of env->scratch_parts (generate_parts.c); *whole when it cannot
 * tell the parts apart and the whole copy must prove the plan. */
int dbc_gen_prove_parts(dbc_ctx *ctx, const dbc_migrate_hooks *env, const dbc_gen_plan *plan,
                        const dbc_gen_proof_input *in, bool *whole);
/* The proof's pieces (generate_proof.c): steps (indexes into p, NULL: all)
 * run up in order or down newest first; the schema s has now reaches fp;
 * an error naming the first difference of now_json from json. */
int dbc_gen_run_steps(dbc_ctx *s, const dbc_gen_plan *p, const int *steps, int n, bool up);
int dbc_gen_reached(dbc_ctx *s, const char *fp, const char *json, const char *what);
int dbc_gen_differs(dbc_ctx *s, const char *json, const char *now_json, const char *what);

/* The migration lint over the plan, each migration it makes linted as
 * such; the findings go to the host's notices, naming their step
 * (generate_lint.c). */
int dbc_gen_lint(dbc_ctx *ctx, const dbc_migrate_hooks *env, const dbc_gen_plan *plan);
/* The GRANT and REVOKE steps that take the live rights of the desired
 * objects to the desired ones (generate_rights_plan.c). */
int dbc_gen_plan_rights(dbc_ctx *ctx, const dbc_gen_rights *live, const dbc_gen_rights *want,
                        dbc_gen_plan *plan);
/* Marks each step that hands out rights (SECURITY DEFINER, an owner, a
 * GRANT, an event trigger) with a hazard saying so (generate_rights.c). */
int dbc_gen_mark_rights(dbc_ctx *ctx, dbc_gen_plan *plan);

#endif
