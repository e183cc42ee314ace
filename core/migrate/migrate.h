/*
 * migrate.h — the dbmigrate_* functions of docs/migrations.md, written once
 * against the host interface. Each glue decodes arguments, passes what only
 * its engine does for migrations (the migration lock, registrant rights) in a
 * dbc_migrate_hooks, and encodes the results. The live schema comes through
 * the host (dbc_host.read_schema).
 */
#ifndef DBC_MIGRATE_H
#define DBC_MIGRATE_H

#include "base/dbc.h"
#include "migrate/migrate_files.h"    /* dbc_migrate_read_dir: a folder read without a database */
#include "migrate/migrate_throttle.h" /* migrate --online's pace: batch size, replica lag */
#include "migrate/migrate_version.h"  /* how versions compare */
#include "schema/schema.h"

/* What a statement of a migration does to one table, as the lint sees it
 * (docs/lint.md): each kind is one row of an engine's lock table. */
typedef enum dbc_lint_op {
	DBC_LOP_CREATE_TABLE,
	DBC_LOP_CREATE_INDEX,
	DBC_LOP_DROP_INDEX,
	DBC_LOP_ADD_COLUMN,
	DBC_LOP_ALTER_TYPE,
	DBC_LOP_SET_NOT_NULL,
	DBC_LOP_ADD_FOREIGN_KEY,
	DBC_LOP_ADD_CHECK,
	DBC_LOP_ADD_UNIQUE, /* UNIQUE or PRIMARY KEY */
	DBC_LOP_VALIDATE,
	DBC_LOP_DROP_COLUMN,
	DBC_LOP_RENAME_TABLE,
	DBC_LOP_RENAME_COLUMN,
	DBC_LOP_ALTER_CONSTRAINT, /* an ALTER TABLE the engine's ALTER may not do */
	DBC_LOP_ALTER_OTHER,
	DBC_LOP_DROP_TABLE,
	DBC_LOP_TRUNCATE,
	DBC_LOP_VACUUM_FULL,
	DBC_LOP_CLUSTER,
	DBC_LOP_CREATE_VIEW,
	DBC_LOP_SET_LOCK_TIMEOUT,
	DBC_LOP_COUNT
} dbc_lint_op;

/* What the lint's rules ask the live database (core/migrate/lint_rules.c);
 * the engine's facts they read are in the dialect (lint_locks, not_valid,
 * alter_limited, the rebuild's frame). Filled by each glue. */
typedef struct dbc_lint_hooks {
	/* *rows: about how many rows table holds, -1 when unknown */
	int (*rows)(dbc_ctx *ctx, const char *schema, const char *table, int64_t *rows);
	/* *yes when reading the table's rows as the caller would run code its
	 * owner wrote (PostgreSQL: row-level policies that apply to the
	 * caller): then its rows are not read. NULL: reading runs none. */
	int (*read_runs_owner_code)(dbc_ctx *ctx, const char *schema, const char *table, bool *yes);
	/* whether changing a column from type from to type to rewrites the table */
	int (*type_rewrites)(dbc_ctx *ctx, const char *from, const char *to, bool *rewrites);
	/* whether a function of that name is volatile (a default calling it rewrites) */
	int (*volatile_function)(dbc_ctx *ctx, const char *name, bool *is_volatile);
	/* the share (0..1) of rows whose column is NULL, from the engine's
	 * statistics (never from the rows), -1 when it keeps none */
	int (*null_share)(dbc_ctx *ctx, const char *schema, const char *table, const char *column,
	                  double *share);
	/* the highest value an integer key column's sequence gave, -1 when none */
	int (*key_high)(dbc_ctx *ctx, const char *schema, const char *table, const char *column,
	                int64_t *high);
	/* the session has a lock_timeout already */
	int (*lock_timeout_set)(dbc_ctx *ctx, bool *set);
	/* whether foreign keys are enforced on this connection */
	int (*foreign_keys_on)(dbc_ctx *ctx, bool *on);
	/* RENAME TO (column NULL) or RENAME COLUMN column of table to new_name
	 * against the live views and triggers: *fails with *problem the
	 * engine's error when the rename would fail, else *stale with *problem
	 * naming what would keep the old name. NULL: renames rewrite or fail
	 * on their own terms (no rule). */
	int (*rename_check)(dbc_ctx *ctx, const char *schema, const char *table, const char *column,
	                    const char *new_name, bool *fails, bool *stale, char **problem);
	/* what a table made again by name would not carry that the schema
	 * model does not know (grants, policies, comments, storage options,
	 * ...): *lost names them, NULL when nothing. NULL hook: the engine
	 * makes no such table (no column reorder). */
	int (*remake_loses)(dbc_ctx *ctx, const char *schema, const char *table, char **lost);
	/* the tables holding rows whose ON DELETE CASCADE / SET NULL / SET
	 * DEFAULT keys reference table (dbc_keys_hooks.deleting_children);
	 * NULL: DROP TABLE deletes nothing through keys */
	int (*deleting_children)(dbc_ctx *ctx, const char *schema, const char *table, char **children);
	/* logical replication of table (docs/topology.md): *publications, the
	 * publications here that publish it, *subscriptions, the subscriptions
	 * here that replicate into it (the engine's words, NULL when none).
	 * NULL hook: the engine has no logical replication */
	int (*replicated)(dbc_ctx *ctx, const char *schema, const char *table, char **publications,
	                  char **subscriptions);
} dbc_lint_hooks;

/* What the engine observes while dbmigrate_trace runs a migration
 * (docs/lint.md "The trace"). NULL in dbc_migrate_hooks where the engine
 * cannot trace (SQLite). */
typedef struct dbc_trace_hooks {
	/* Remembers what the transaction holds and what exists before the first
	 * statement runs; *state is the engine's, in the call's memory. */
	int (*start)(dbc_ctx *ctx, void **state);
	/* After one statement ran (starting at line, taking duration_ms):
	 * appends one row per relation it newly locked, created, rewrote,
	 * dropped or wrote rows to, in DBC_MIGRATE_TRACE_COLUMNS with the
	 * error column NULL, or one row without a relation when it did none of
	 * these. */
	int (*observe)(dbc_ctx *ctx, void *state, int line, const char *statement, double duration_ms,
	               dbc_rows *out);
} dbc_trace_hooks;

/* Foreign keys whose enforcement makes DDL delete rows: while SQLite's
 * PRAGMA foreign_keys is on, DROP TABLE deletes the table's rows first and
 * its children's ON DELETE CASCADE / SET NULL / SET DEFAULT actions delete
 * or change theirs, so a table rebuild would empty its children. NULL in
 * dbc_migrate_hooks where DDL never does (PostgreSQL refuses such a DROP). */
typedef struct dbc_keys_hooks {
	/* Before the run's savepoint: *enforced when the connection enforces
	 * keys; *suspended when it did and no transaction was open, so
	 * enforcement is off now (*enforced false) until restore. */
	int (*suspend)(dbc_ctx *ctx, bool *enforced, bool *suspended);
	/* Turns enforcement back on after suspend; cannot fail (no statement). */
	void (*restore)(dbc_ctx *ctx);
	/* How many rows break a declared key (*n) and the first in words. */
	int (*violations)(dbc_ctx *ctx, int64_t *n, char **first);
	/* The tables (other than table itself) holding rows whose ON DELETE
	 * CASCADE / SET NULL / SET DEFAULT keys reference table, in words
	 * ("ch (ON DELETE CASCADE)"); NULL when none. */
	int (*deleting_children)(dbc_ctx *ctx, const char *schema, const char *table, char **children);
} dbc_keys_hooks;

/* The migration part's hooks: what only the engine can do for the
 * migration flows, beyond the host interface. */
/* One right on an object of a schema, as the engine's catalog holds it,
 * the owner's own left aside (the owner may do everything, whoever it is):
 * object is what a GRANT names after ON, its names quoted by the engine
 * ("TABLE public.acct", "FUNCTION public.pay(n integer)"); column NULL, or
 * the column's name (unquoted); grantee NULL for PUBLIC, else the role's
 * name (unquoted); privilege NULL marks that the object (or column) is
 * there, rights or none; fallback: a right every new object of its kind
 * gets (a function's EXECUTE for PUBLIC), which an object the live schema
 * lacks starts from; written, on a marker row: the catalog holds rights
 * given or taken on the object (column) since it was made (its ACL is not
 * NULL), i.e. the desired file wrote a GRANT or REVOKE for it. */
typedef struct dbc_gen_right {
	char *object, *column, *grantee, *privilege;
	bool grantable, fallback, written;
} dbc_gen_right;

typedef struct dbc_gen_rights {
	dbc_gen_right *items;
	int n, cap;
} dbc_gen_rights;

/* The policies and rules the desired schema makes, drops or keeps
 * (dbc_migrate_hooks.row_security): up[i] (reverse down[i]) are made among
 * the plan's last steps; first_up[i] (reverse first_down[i]) dropped among
 * its first, before what they use goes; the ones kept as they are stand
 * on relation kept_on[i] (quoted, qualified), made by kept_make[i] and
 * dropped by kept_drop[i]: a plan that drops that relation (a view made
 * again) drops and makes them too. */
typedef struct dbc_gen_row_security {
	dbc_strlist up, down, first_up, first_down;
	dbc_strlist kept_on, kept_make, kept_drop;
} dbc_gen_row_security;

typedef struct dbc_migrate_hooks {
	/* Takes the migration lock for the rest of the transaction, waiting at most
	 * timeout_ms (0: forever); 55P03 on timeout. NULL when the engine's write
	 * lock is the migration lock (SQLite). Called inside dbcare's savepoint. */
	int (*lock)(dbc_ctx *ctx, int64_t timeout_ms);
	/* Sets *running when another session holds the migration lock now: a
	 * run whose migrations this snapshot cannot see until it commits
	 * (dbmigrate_assert's hint). NULL where a reader cannot tell (SQLite:
	 * the write lock of another connection is not visible to it). */
	int (*run_elsewhere)(dbc_ctx *ctx, bool *running);
	/* The mark of a dbmigrate_script step that runs outside a transaction
	 * (history event id, recorded as started and committed before its
	 * statements run): step_mark holds it for this session (PostgreSQL: a
	 * session-level advisory lock) or connection (SQLite: an flock on a
	 * file beside the database) until step_unmark, or until the session,
	 * connection or process ends, whichever comes first; it is what tells
	 * a step running now from one that died. step_unmark lets it go once
	 * the step's completion is visible to others (PostgreSQL: at commit).
	 * step_live sets *live when another session or connection holds the
	 * mark of id now. All NULL where the engine has none. */
	int (*step_mark)(dbc_ctx *ctx, int64_t id);
	void (*step_unmark)(dbc_ctx *ctx, int64_t id);
	int (*step_live)(dbc_ctx *ctx, int64_t id, bool *live);
	/* Whether registered SQL may run in this call (migrate_trust.h): sets
	 * *rights when role registrant already has the current role's rights
	 * (is it, is a superuser, or has its privileges), *can_set when it may
	 * change dbcare's settings, and *applier to the current role's name.
	 * NULL where the engine has no roles (SQLite). */
	int (*registrant_rights)(dbc_ctx *ctx, const char *registrant, bool *rights, bool *can_set,
	                         char **applier);
	/* the migration lint's facts (dbc_migrate_lint, migrate.lint) */
	const dbc_lint_hooks *lint;
	/* the trace's observations (dbc_migrate_trace); NULL: no trace */
	const dbc_trace_hooks *trace;
	/* foreign keys around a migration run (migrate_keys.c); NULL: none */
	const dbc_keys_hooks *keys;
	/* Runs dbc_migrate_apply or dbc_migrate_rollback (run) as the engine
	 * wants it done (SQLite: migrate.backup_before first). NULL: just runs it. */
	int (*change)(dbc_ctx *ctx, const struct dbc_migrate_hooks *env,
	              int (*run)(dbc_ctx *, const struct dbc_migrate_hooks *, const char *, int64_t *),
	              const char *target, int64_t *count);
	/* Registers a JSON list (dbc_migrate_add_all_json's work) where the
	 * engine's text encoding needs it (PostgreSQL). NULL: that function. */
	int (*add_all)(dbc_ctx *ctx, const char *json, int64_t *count);
	/* Whether the caller may have dbmigrate_load read the server's files:
	 * an error when not. NULL: it may (SQLite). */
	int (*may_read_files)(dbc_ctx *ctx);
	/* The generator's scratch places (dbmigrate_generate,
	 * docs/schema-as-code.md), NULL where the engine has none. None
	 * leaves anything behind, and none writes, locks for writing or
	 * rewrites a live table. desired_schema reads the schema sql declares
	 * into out (in ctx's arena): PostgreSQL applies sql in scratch schemas
	 * of a subtransaction it rolls back; SQLite runs it in a new in-memory
	 * database. The proof runs on one of the other two: scratch runs fn
	 * where a copy of the live schema is (SQLite: an in-memory database
	 * made from the live schema's DDL; sctx runs SQL there; an error fn
	 * sets in sctx is ctx's afterwards); scratch_desired runs fn where the
	 * desired schema sql declares is, applied as desired_schema applies
	 * it, without rows (PostgreSQL: sctx is ctx, its SQL and the schema it
	 * reads mapped to and from the scratch schemas). fn keeps what it must
	 * in ctx's arena. */
	int (*desired_schema)(dbc_ctx *ctx, const char *sql, dbc_schema *out);
	int (*scratch)(dbc_ctx *ctx, int (*fn)(dbc_ctx *sctx, void *arg), void *arg);
	int (*scratch_desired)(dbc_ctx *ctx, const char *sql, int (*fn)(dbc_ctx *sctx, void *arg),
	                       void *arg);
	/* scratch for parts of the live schema, one place each: for each
	 * part k (a list of table and view names), a new place holding only
	 * the live objects of those relations (a table's indexes and triggers
	 * with it), where fn(sctx, arg, k) runs. The live DDL is read once.
	 * NULL: the engine proves on whole copies only (scratch). */
	int (*scratch_parts)(dbc_ctx *ctx, const dbc_strlist *parts, int nparts,
	                     int (*fn)(dbc_ctx *sctx, void *arg, int part), void *arg);
	/* Asked inside scratch_desired's place: what differs between the live
	 * schema and the desired one that the schema model does not hold
	 * (PostgreSQL: row-level security policies and rules), as statements
	 * (struct dbc_gen_row_security). NULL: the model holds everything the
	 * engine has (PostgreSQL's operators are given here too). */
	int (*row_security)(dbc_ctx *ctx, struct dbc_gen_row_security *out);
	/* Asked inside scratch_desired's place: the definition text the
	 * engine gives index name (of schema) once definition (a CREATE
	 * INDEX of a live index, named name) is made on the desired table of
	 * that name, then undone; *out NULL where it cannot be made there.
	 * NULL: the engine's index texts parse back to themselves. */
	int (*index_round_trip)(dbc_ctx *ctx, const char *schema, const char *name,
	                        const char *definition, char **out);
	/* Other texts of index definition (a CREATE INDEX) that the engine
	 * may read back as definition itself where definition does not
	 * (PostgreSQL pushes a cast of an ARRAY[...] into its elements), into
	 * out; none where the text has nothing of the kind. Candidates only:
	 * the generator writes one only once index_round_trip proves it.
	 * NULL: the engine reads its index texts back as themselves. */
	int (*index_spellings)(dbc_ctx *ctx, const char *definition, dbc_strlist *out);
	/* Asked inside scratch_desired's place: the comments the desired
	 * schema gives its objects where they differ from the live ones
	 * (PostgreSQL: COMMENT ON), as statements into up, each with its
	 * reverse at the same index of down (the live comment, or none);
	 * and into gone the live comments of objects the desired schema has
	 * not (the plan drops them, or renames them), as statements setting
	 * them: the down sets them again once it has made the objects again.
	 * PostgreSQL gives its columns' storage (ALTER TABLE ... SET
	 * STORAGE) the same way. NULL: the engine has no comments. */
	int (*comments)(dbc_ctx *ctx, dbc_strlist *up, dbc_strlist *down, dbc_strlist *gone);
	/* Asked inside scratch_desired's place: the extensions the desired
	 * schema makes that the database has not, as statements into
	 * first_up (the plan's first steps), each with its reverse at the
	 * same index of first_down; and those the database has that the
	 * desired schema says it has not (a whole database's dump), as
	 * statements dropping them into up (the plan's last steps, refused
	 * without allow_drop), each with its reverse at the same index of
	 * down. The desired model read there holds the extensions as the
	 * desired schema has them. NULL: the engine has no extensions (the
	 * desired model gets the live ones). */
	int (*extensions)(dbc_ctx *ctx, dbc_strlist *first_up, dbc_strlist *first_down, dbc_strlist *up,
	                  dbc_strlist *down);
	/* Asked inside scratch_desired's place: the rights of the live user
	 * schemas' objects and of the desired ones (generate_rights_plan.c
	 * plans their differences). NULL: the engine has no rights. */
	int (*rights)(dbc_ctx *ctx, struct dbc_gen_rights *live, struct dbc_gen_rights *want);
	/* Read-your-migration (migrate_bookmark.c); NULL where one engine
	 * holds one file (SQLite): a bookmark carries no position and a wait
	 * returns at once. */
	const struct dbc_replica_hooks *replica;
} dbc_migrate_hooks;

/* What a bookmark needs of a server that replicates. wal_position sets
 * *standby and *lsn: on a primary the position every transaction it has
 * committed ends at or before, on a standby the position it has replayed
 * to (what it shows a new snapshot). pause sleeps about ms milliseconds;
 * a cancel or a statement timeout ends the call. */
typedef struct dbc_replica_hooks {
	int (*wal_position)(dbc_ctx *ctx, bool *standby, uint64_t *lsn);
	int (*pause)(dbc_ctx *ctx, int ms);
} dbc_replica_hooks;

/* Result columns, for the glue's table declarations. */
#define DBC_MIGRATE_STATUS_COLUMNS   "version,name,kind,state,checksum,applied_at,duration_ms"
#define DBC_MIGRATE_PLAN_COLUMNS     "step,version,name,kind,direction"
#define DBC_MIGRATE_VALIDATE_COLUMNS "version,name,problem,detail"
#define DBC_MIGRATE_VERIFY_COLUMNS   "version,name,up_ok,down_ok,reversible,detail"
#define DBC_MIGRATE_HISTORY_COLUMNS                                                                \
	"id,version,name,kind,direction,checksum,fingerprint,applied_at,applied_by,duration_ms,"       \
	"success,error"

/* Registration. down may be NULL. *checksum is the up script's checksum. */
int dbc_migrate_add(dbc_ctx *ctx, const char *version, const char *name, const char *up,
                    const char *down, char **checksum);
int dbc_migrate_add_repeatable(dbc_ctx *ctx, const char *name, const char *sql, char **checksum);
/* Many at once (dbmigrate_add_all), all or nothing, each by the rules of
 * dbc_migrate_add (version given) or dbc_migrate_add_repeatable (version
 * NULL; down must be NULL then). *count is n. */
typedef struct dbc_migrate_item {
	const char *version, *name, *up, *down;
	const char *file; /* the migration folder's file: an empty script is allowed */
} dbc_migrate_item;
int dbc_migrate_add_many(dbc_ctx *ctx, const dbc_migrate_item *items, int n, int64_t *count);
/* The field of item a list member names ("version", "name", "up", "down", "file"),
 * NULL for any other name: the one list of members the decoder accepts. */
const char **dbc_migrate_item_slot(dbc_migrate_item *item, const char *key);
/* dbmigrate_add_all's argument, a JSON array of such objects, decoded
 * (migrate_list.c); the items and their text are in the arena. Refuses
 * anything else with the errors docs/migrations.md shows. */
int dbc_migrate_list_parse(dbc_ctx *ctx, const char *json, dbc_migrate_item **items, int *n);
/* dbc_migrate_list_parse, then dbc_migrate_add_many: the whole call. */
int dbc_migrate_add_all_json(dbc_ctx *ctx, const char *json, int64_t *count);
/* Every migration file of a directory, all or nothing. The glue checks the
 * privilege to read server files before calling. */
int dbc_migrate_load(dbc_ctx *ctx, const char *path, int64_t *count, char **skipped);

/* Reading. target/version may be NULL where docs/migrations.md makes them optional. */
int dbc_migrate_status(dbc_ctx *ctx, dbc_rows *out);
/* dbmigrate_pending (migrate_pending.c): the migrations pending, the
 * registry's and a migration folder's (files: its JSON, NULL: none),
 * read only. */
int dbc_migrate_pending(dbc_ctx *ctx, const char *files, int64_t *count);
/* With migrate.lint warn, the plan's lint findings go to env's notices. */
int dbc_migrate_plan(dbc_ctx *ctx, const dbc_migrate_hooks *env, const char *target, dbc_rows *out);
int dbc_migrate_validate(dbc_ctx *ctx, dbc_rows *out);
int dbc_migrate_history(dbc_ctx *ctx, dbc_rows *out);
int dbc_migrate_current(dbc_ctx *ctx, char **version); /* NULL when none applied */
int dbc_migrate_assert(dbc_ctx *ctx, const dbc_migrate_hooks *env, const char *version);
int dbc_migrate_script(dbc_ctx *ctx, const dbc_migrate_hooks *env, const char *target,
                       char **script);
/* direction "apply" (dbc_migrate_script) or "rollback": the down scripts
 * dbmigrate_rollback(target) would run, at top level (also no-transaction
 * ones), each recorded like a rollback by steps of kind "rollback". */
int dbc_migrate_script_direction(dbc_ctx *ctx, const dbc_migrate_hooks *env, const char *direction,
                                 const char *target, char **script);

/* The lint (docs/lint.md): findings of the pending migrations (version NULL)
 * or of the one named, statement by statement, against the live schema as
 * the earlier pending migrations leave it. */
#define DBC_MIGRATE_LINT_COLUMNS "version,line,rule,severity,message,suggestion"
int dbc_migrate_lint(dbc_ctx *ctx, const dbc_migrate_hooks *env, const char *version,
                     dbc_rows *out);

/* dbcare migrate --online (migrate_online.c, docs/migrations.md): the steps
 * of the pending migration version, each blocking statement the lint finds
 * rewritten into its lock-safe recipe, the rest as written. */
#define DBC_MIGRATE_ONLINE_COLUMNS "step,unit,line,mode,lock,relation,statement,purpose,undo"
int dbc_migrate_online_plan(dbc_ctx *ctx, const dbc_migrate_hooks *env, const char *version,
                            dbc_rows *out);
/* What migrate --online records of a run (migrate_online_steps.c): a step
 * done (again: nothing); the steps done of version (NULL: of every
 * half-done run) as JSON {"version": {"step": "statement"}}, a run killed
 * before its first step as {}; the records of version's half-done run
 * removed (refused while it runs), after rollback undid its steps. */
int dbc_migrate_online_record(dbc_ctx *ctx, const char *version, int64_t step,
                              const char *statement);
int dbc_migrate_online_done(dbc_ctx *ctx, const char *version, char **json);
int dbc_migrate_online_forget(dbc_ctx *ctx, const dbc_migrate_hooks *env, const char *version);

/* The trace (docs/lint.md): runs the up script of the registered migration
 * version statement by statement inside a savepoint that is always rolled
 * back, and reports what env->trace observed after each statement. A
 * statement that fails gives one row with its error and ends the trace.
 * Refuses unknown versions, repeatables, no-transaction migrations and
 * migrations whose registrant the caller does not trust (migrate_trust.h). */
#define DBC_MIGRATE_TRACE_COLUMNS "line,statement,relation,lock_mode,change,rows,duration_ms,error"
int dbc_migrate_trace(dbc_ctx *ctx, const dbc_migrate_hooks *env, const char *version,
                      dbc_rows *out);

/* The script that rebuilds table as new_create_sql declares it (the table
 * rebuild procedure of an engine whose ALTER TABLE cannot change
 * constraints or types): a new table, the rows copied, the old one dropped,
 * the new one renamed, its indexes, triggers and views made again, the
 * foreign keys checked, in one transaction. A migration marked
 * -- dbcare:no-transaction, ready to register. */
int dbc_migrate_rebuild_script(dbc_ctx *ctx, const dbc_migrate_hooks *env, const char *table,
                               const char *new_create_sql, char **script);

/* The generator (docs/schema-as-code.md): the plan that takes the live
 * schema to the one desired_sql declares, proved on env->scratch before it
 * is returned; options a JSON object (NULL: the defaults). */
#define DBC_MIGRATE_GENERATE_COLUMNS                                                               \
	"step,statement,hazard,rows_affected,lock,reverse,transactional"
int dbc_migrate_generate(dbc_ctx *ctx, const dbc_migrate_hooks *env, const char *desired_sql,
                         const char *options, dbc_rows *out);
/* Where a generated plan's migration that starts at step start (0-based)
 * ends (the index after its last step): the run of steps alike in
 * transactional[] (the plan's column of that name, n steps). The one rule
 * for dbcare generate's files, the generator's lint and its proof, which
 * all cut the plan where dbcare migrate commits (generate_split.c). */
int dbc_gen_migration_end(const bool *transactional, int n, int start);

/* Changing. Each is all-or-nothing inside one savepoint. */
int dbc_migrate_apply(dbc_ctx *ctx, const dbc_migrate_hooks *env, const char *target,
                      int64_t *count);
/* The first migration dbc_migrate_apply(target) would run, alone, with the
 * same checks and bookkeeping; *count 0 when nothing is due. One step of
 * PostgreSQL's CALL dbmigrate_run(), which commits after each. */
int dbc_migrate_apply_next(dbc_ctx *ctx, const dbc_migrate_hooks *env, const char *target,
                           int64_t *count);
int dbc_migrate_rollback(dbc_ctx *ctx, const dbc_migrate_hooks *env, const char *target,
                         int64_t *count);
int dbc_migrate_verify(dbc_ctx *ctx, const dbc_migrate_hooks *env, const char *version,
                       dbc_rows *out);
int dbc_migrate_baseline(dbc_ctx *ctx, const dbc_migrate_hooks *env, const char *version,
                         int64_t *count);
int dbc_migrate_repair(dbc_ctx *ctx, const dbc_migrate_hooks *env, int64_t *count);

/* The bookkeeping calls dbmigrate_script() writes around each migration:
 * step_begin checks the migration is still due with the same checksum and
 * records a started (not yet successful) event; *run is false when it was
 * applied meanwhile (PostgreSQL scripts skip it; SQLite scripts stop with an
 * error instead, as the sqlite3 shell cannot skip). step_end completes it. */
int dbc_migrate_step_begin(dbc_ctx *ctx, const dbc_migrate_hooks *env, const char *kind,
                           const char *key, const char *checksum, bool *run);
int dbc_migrate_step_end(dbc_ctx *ctx, const dbc_migrate_hooks *env, const char *kind,
                         const char *key);

/* For other features (health's "migrations" check, metrics). Cheap: no catalog scan. */
typedef struct dbc_migrate_summary {
	char *current; /* NULL when none applied */
	int pending;   /* pending + out_of_order + outdated */
	int changed;
	int missing;
	int failed;
	int applied;
	/* set by dbc_migrate_split_running only (never stored: a step's mark
	 * lives with its session): how many of the unfinished steps counted in
	 * failed run now in another session, moved out of failed, and the
	 * first one's label ("6 (idx3)"), NULL when none runs */
	int running;
	char *running_label;
} dbc_migrate_summary;

/* One problem dbmigrate_validate reports. */
typedef struct dbc_migrate_problem {
	const char *version; /* NULL for a repeatable migration or drift */
	const char *name;    /* the migration's, or drift: the changed object's */
	const char *problem; /* "changed" | "missing" | "out_of_order" | "failed" | "drift" */
	const char *detail;
} dbc_migrate_problem;

typedef struct dbc_migrate_problems {
	dbc_migrate_problem *items;
	int n;
	int cap;
} dbc_migrate_problems;

/* dbc_migrate_validate's problems, typed (out zero-initialised by the callee). */
int dbc_migrate_problems_of(dbc_ctx *ctx, dbc_migrate_problems *out);
/* Only its "drift" problems, without its other reads: for a caller that
 * made those reads already (the health report, once it has its migration
 * summary). *live is the live schema when the caller has read it, else
 * NULL: it is then read through the host only when a snapshot was
 * recorded, and handed back. */
int dbc_migrate_drift(dbc_ctx *ctx, dbc_schema **live, dbc_migrate_problems *out);
/* The summary, stored where the host allows it when it had to be derived:
 * for dbmigrate_current and dbmigrate_assert, which applications call at
 * every start-up and which a stored row answers in one read. */
int dbc_migrate_summarise(dbc_ctx *ctx, dbc_migrate_summary *out);
/* The same for a reader that never writes (the health report, and so a
 * readiness probe or a scrape): a stored summary is read, a missing or
 * outdated one derived and not stored. */
int dbc_migrate_summarise_read_only(dbc_ctx *ctx, dbc_migrate_summary *out);
/* Tells s's unfinished steps apart by their marks (dbc_migrate_hooks.
 * step_live): those running now in another session leave failed for
 * running, so a reader that grades the state (health) does not call a step
 * in progress a failure. Reads the history only when s counts one. */
int dbc_migrate_split_running(dbc_ctx *ctx, dbc_migrate_summary *s);

/* A migration calling dbmigrate_apply (or any changing dbmigrate_ function)
 * is refused. The guard is per thread; a glue whose engine may unwind past
 * the core (PostgreSQL elog) saves it before the core call and restores it
 * in its error path. */
int dbc_migrate_guard_save(void);
void dbc_migrate_guard_restore(int saved);

#endif
