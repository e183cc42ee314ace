/*
 * dbc.h — the contract between dbcare's engine-free core and its two hosts.
 * The core decides what to run and what it means; a host (pg/, sqlite/)
 * implements the callbacks below over its engine. Nothing here includes an
 * engine header, so every file in core/ builds into both modules.
 */
#ifndef DBC_H
#define DBC_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifndef DBC_VERSION
#error "DBC_VERSION must be defined by the build (read from META.json)"
#endif

/* Every core function returns one of these; the error text lives in the ctx. */
enum { DBC_OK = 0, DBC_ERROR = 1 };

/* SQLSTATEs of the public contract (README.md, "Function reference"); the SQLite
 * host only shows the text. */
#define DBC_SQLSTATE_BAD_ARGUMENT  "22023"
#define DBC_SQLSTATE_BAD_STATE     "55000"
#define DBC_SQLSTATE_LOCK_TIMEOUT  "55P03"
#define DBC_SQLSTATE_READ_ONLY     "25006"
#define DBC_SQLSTATE_PRIVILEGE     "42501"
#define DBC_SQLSTATE_INTERNAL      "XX000"
#define DBC_SQLSTATE_OUT_OF_MEMORY "53200"
#define DBC_SQLSTATE_CANCELED      "57014"
/* The remedy of a SQLite file that is not a database (SQLITE_NOTADB), as
 * the module (sqlite/api/host.c) and the command's driver say it. */
#define DBC_SQLITE_NOTADB_HINT                                                                     \
	"Check the path (is it the database, not another file?); an encrypted database (SQLCipher, "   \
	"SEE) must be opened with its key; a file damaged in its header is restored from a backup "    \
	"(dbcare restore)."

typedef enum { DBC_NULL = 0, DBC_INT, DBC_FLOAT, DBC_TEXT, DBC_BOOL } dbc_type;

/* A cell passed to or returned from SQL. Text is NUL-terminated and borrowed. */
typedef struct dbc_value {
	dbc_type type;
	int64_t i;     /* DBC_INT and DBC_BOOL (0/1) */
	double f;      /* DBC_FLOAT */
	const char *s; /* DBC_TEXT */
	/* DBC_TEXT read by a host query whose value holds a NUL byte: its
	 * length in bytes (s holds them all, with a NUL after the last), so s
	 * as a C string is only the part before the first NUL; a reader that
	 * judges, shows or compares the value must not take it for the whole.
	 * 0 for every other value (an engine whose text cannot hold NUL never
	 * sets it; values the core makes never do): the text is the C string. */
	size_t nul_len;
} dbc_value;

typedef struct dbc_ctx dbc_ctx;
struct dbc_rows;

/* Row callback of host->query: return DBC_OK to continue, DBC_ERROR to stop
 * (the error must then already be set in ctx). Cells are valid only during the call. */
typedef int (*dbc_row_fn)(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *cols);

typedef enum dbc_cache_access {
	DBC_CACHE_NONE,  /* no cache here: derive */
	DBC_CACHE_READ,  /* read it; a fresh derivation cannot be stored now */
	DBC_CACHE_WRITE, /* read it, and store a fresh derivation */
} dbc_cache_access;

/* Engine bits of the core's catalogues: a settings key or a health check
 * that applies to some engines only lists them as a mask of these. A mask
 * is tested with & against the dialect's engine_bit, never compared. */
#define DBC_ENGINE_PG     1u
#define DBC_ENGINE_SQLITE 2u
#define DBC_ENGINE_BOTH   (DBC_ENGINE_PG | DBC_ENGINE_SQLITE)

/* The grammars the core's migration script reader knows (migrate_script.c):
 * the engine's SQL together with the shell that runs dbmigrate_script()'s
 * output, which decides what a string, a comment or a shell command is. */
typedef enum dbc_script_grammar {
	/* psql: dollar quotes, E'' and U&'' strings, nested block comments,
	 * backslash meta-commands; ABORT, PREPARE TRANSACTION, COPY; the
	 * statements a transaction block refuses */
	DBC_GRAMMAR_PSQL,
	/* the sqlite3 shell: `name` and [name], dot-commands at a line's start,
	 * CREATE TRIGGER bodies; savepoints a script opens itself */
	DBC_GRAMMAR_SQLITE3,
} dbc_script_grammar;

/* What differs between engines, said as data and SQL fragments: the core
 * asks for a capability, never for an engine's name. Each glue supplies
 * one (pg/host/dialect.c, sqlite/host/dialect.c); those files include no engine
 * header, so the unit tests use the same two. */
/* The SQL of `dbcare migrate --online`'s ALTER COLUMN TYPE
 * (core/migrate/migrate_online_type.c), printf formats. A shadow column of
 * the new type is added, kept in step by a row trigger, filled in batches
 * (dbc_dialect.online_backfill_range), proved NOT NULL by a CHECK when the
 * old column is, then swapped in for the old one in one short
 * transaction. Literals (quoted by the host): table, column, shadow and
 * check names; the others are quoted identifiers. */
typedef struct dbc_online_shadow {
	/* statements of the engine's procedural language that raise an error
	 * naming what keeps the column from being changed this way (objects
	 * using it that the swap cannot carry, the table's kind, row
	 * security), with the remedy: %1$s the table, %2$s the column, %3$s
	 * the shadow column */
	const char *refuse;
	/* the trigger function's body before it is quoted, with USING: %1$s
	 * the shadow column, %2$s the new value of the row written
	 * (sync_using). It fires on every write but the backfill's, whose
	 * UPDATE sets the shadow from a NULL to the value it computed from the
	 * same row: it returns at once for those, so USING's expression runs
	 * once a row filled. */
	const char *sync_body;
	/* the body without USING: %1$s the shadow column, %2$s the column.
	 * It names nothing the search_path could resolve (the conversion is
	 * found by the types), so its function is not pinned: the cheapest
	 * call there is, on every write, the backfill's included. */
	const char *sync_column_body;
	/* USING's expression over the row: %1$s the expression, %2$s the
	 * table's name, the row's alias as USING may name it */
	const char *sync_using;
	/* the trigger function: %1$s its name, %2$s its body as a literal,
	 * %3$s sync_pinned (USING's body: the migration's search_path) or "" */
	const char *sync_function;
	const char *sync_pinned;
	/* its EXECUTE taken from every role: %1$s the function */
	const char *sync_revoke;
	/* the row trigger, firing after every other (name order) and also
	 * for replication's writes: %1$s its name, %2$s the table, %3$s the
	 * function; _always: %1$s the trigger, %2$s the table */
	const char *sync_trigger;
	const char *sync_always;
	/* a row still to fill: %1$s the shadow column, %2$s the new value */
	const char *unfilled;
	/* queries whose rows are statements (dbcare migrate --online's
	 * "generated" steps): not_null, the CHECK (shadow IS NOT NULL) NOT
	 * VALID when the old column is NOT NULL and the check is not there
	 * (%1$s table, %2$s column, %3$s shadow, %4$s check); validate, the
	 * check's VALIDATE while not validated (%1$s table, %2$s check) */
	const char *not_null;
	const char *validate;
	/* queries whose rows are statements, around the swap: before it,
	 * carried_index_build, a copy on the shadow of each index using the
	 * column, built outside a transaction (%1$s table, %2$s column,
	 * %3$s shadow); after it, carried_validate, the VALIDATE of each
	 * constraint the swap added again NOT VALID and recorded (%1$s the
	 * version, %2$d the record's step) */
	const char *carried_index_build;
	const char *carried_validate;
	/* the swap, the body of one anonymous block run in one transaction:
	 * the table locked, refuse run again, the old column's default, NOT
	 * NULL, statistics target, options, comment and column grants given
	 * to the shadow, the trigger and its function dropped, what uses the
	 * old column (indexes, keys, constraints, views, policies, triggers)
	 * dropped and made again on the shadow once the old column is dropped
	 * and the shadow renamed to its name, the constraints to validate
	 * recorded. %1$s table, %2$s column, %3$s shadow, %4$s trigger, %5$s
	 * the function with its argument list, %6$s check, %7$s refuse's
	 * statements, %8$s the version, %9$d the record's step */
	const char *swap;
	/* an anonymous block run in the session: %1$s its body as a literal */
	const char *anonymous_block;
} dbc_online_shadow;

/* The SQL of `dbcare migrate --online`'s table rebuild
 * (core/migrate/migrate_online_rebuild.c), printf formats over quoted
 * names. A new row's identity is the old row's (rowid), so a change is
 * replayed on the row it changes. */
typedef struct dbc_online_rebuild {
	/* the triggers on the old table that keep each changed row's copy in
	 * step from their commit on (its copy deleted, the row copied again
	 * with the select list): %1$s the trigger, %2$s the old table, %3$s
	 * the new one, %4$s the copy's column list and %5$s its select list as
	 * written (INSERT INTO new (%4$s) SELECT %5$s FROM old) */
	const char *capture_insert, *capture_update, *capture_delete;
	/* one batch of the copy: %1$s old, %2$s new, %3$s columns, %4$s select
	 * list, %5$d rows. Its first statement's one row: the rows it copies,
	 * the next batch's first identity, the pass's end ($1 the batch's
	 * first identity, $2 the pass's end or NULL: a pass's first batch,
	 * from the lowest identity, to the highest then; $3 the batch's size,
	 * a per cent of %5$d, at least one row: migrate_throttle.h's pace,
	 * NULL 100); the statement after
	 * it (the same parameters) copies them: rows with no copy yet only */
	const char *copy_batch;
	/* before the swap, outside a transaction (a read: writes go on), %1$s
	 * old, %2$s new: fails unless the new table holds a copy of every row
	 * of the old one and no other; copy_count, in the swap: fails unless
	 * both hold as many rows (a count, no row read) */
	const char *copy_check, *copy_count;
} dbc_online_rebuild;

typedef struct dbc_dialect {
	/* The engine's name where outputs show it (a snapshot's "engine", the
	 * health report's engine and its Prometheus label). Never compared. */
	const char *name;
	/* This engine's bit of the catalogue masks (DBC_ENGINE_*). */
	unsigned engine_bit;
	/* popx migration file infixes (<version>_<name>.<infix>.up.sql), each
	 * list NULL-terminated: those naming this engine, whose files win over
	 * a plain file of the version, and those naming dbcare's other engines,
	 * whose files are skipped (as are those of the engines dbcare does not
	 * run on, which the core lists). */
	const char *const *file_infixes;
	const char *const *foreign_file_infixes;

	/* ---- migration scripts (dbmigrate_script) */
	dbc_script_grammar script_grammar;
	const char *shell;           /* the shell's name in messages */
	const char *script_preamble; /* lines after the title: how to run it, stop at an error */
	const char *script_begin;    /* opens a step's transaction */
	/* The shell can skip a step whose migration ran meanwhile (psql's \if):
	 * step_begin then answers false; otherwise it stops the script with an
	 * error. */
	bool script_skips;
	/* Hint for a migration's COPY FROM STDIN (which only a client can feed). */
	const char *copy_in_hint;

	/* ---- reading tables (constraint checks) */
	/* The schema an unqualified name refers to when nothing else holds it
	 * (PostgreSQL's public, SQLite's main: naming it keeps a temporary
	 * table of the same name from shadowing it). A table read from the
	 * catalog with no schema lives here. */
	const char *default_schema;
	/* Tables may have inheritance children holding rows of their own: a
	 * table's own rows are read with ONLY (partitioned tables excepted). */
	bool table_inheritance;
	/* Ordinary tables have a rowid (unless WITHOUT ROWID) under the names
	 * rowid, _rowid_ and oid, where no column shadows them. */
	bool rowid;
	/* An expression naming a row of any table, after "alias."; NULL: the
	 * table's columns together name the row. */
	const char *row_locator;
	/* The same for a partitioned table, whose partitions number their rows
	 * alike: a format with two %s, each taking the alias (NULL: row_locator). */
	const char *partition_row_locator;
	/* Table and column names match without regard to ASCII case; false:
	 * unquoted names fold to lower case and names then match exactly. */
	bool names_fold_case;
	/* '[' opens a quoted name ([order]) as in SQLite; false: it is an
	 * array's or a subscript's, as in PostgreSQL (dbc_lex_skip_paren_pg). */
	bool brackets_quote_names;
	/* The longest name the engine keeps, in bytes; a longer one is cut to
	 * it (PostgreSQL's NAMEDATALEN - 1). 0: no limit. */
	int name_max;
	/* A valid unique index, and a validated and enforced NOT NULL, bind
	 * every stored row (validation scanned them, every write since was
	 * checked): such constraints are proven without a scan. False where
	 * "enforced" describes one connection and any writer may skip it; the
	 * unique indexes that belong to no constraint are then checked too. */
	bool enforced_binds_rows;
	/* MATCH FULL foreign keys are enforced as such (not as MATCH SIMPLE). */
	bool fk_match_full;
	/* Where tables have owners whose code (CHECK expressions, operators,
	 * defaults) runs with the rights of whoever makes the engine evaluate
	 * it: a query with $1 a quoted, qualified table name giving one boolean,
	 * whether the calling role itself owns the table (a role that merely
	 * holds every right, a superuser, does not). NULL: no roles (SQLite). */
	const char *caller_owns_table;
	/* A foreign key may name parent columns no unique key covers; the
	 * engine refuses writes to the child table instead ("foreign key
	 * mismatch"), which the checks report. */
	bool fk_parent_unchecked;
	/* Written before the child column of a key comparison so that the
	 * parent column's type rules convert the child's value, as the engine's
	 * own foreign key check does; NULL: plain columns compare so. */
	const char *key_child_prefix;
	/* Constraint checks stream the offending keys and count in C (one
	 * ordered scan, foreign keys by an IN probe of the parent rather than a
	 * correlated NOT EXISTS); otherwise one aggregate statement counts. */
	bool check_stream;
	/* The engine's own foreign key check of a table as a table function of
	 * ('table', 'schema') giving a row per violation with its "rowid" and
	 * its key's fkid (dbc_constraint.engine_fk_id), every key of the table
	 * in one scan; it fails when any key of the table is broken (a parent
	 * key no unique index covers). NULL: the engine has none. */
	const char *fk_check_function;
	/* Written after a table's name so that a statement reads the table's
	 * own rows, never an index of it (SQLite's NOT INDEXED); NULL: the
	 * engine has no such clause. A violation read through an index is
	 * confirmed so before it is reported: a damaged index page must not
	 * raise a violation the table does not hold. */
	const char *table_rows_only;
	/* After a DELETE (or an INSERT), the query answering how many rows it
	 * deleted (inserted); NULL: the statement counts them itself inside
	 * WITH ... RETURNING (or RETURNING tells). */
	const char *changes_query;
	/* "expr IS [NOT] NULL" as stored rows must be tested, where the engine
	 * folds the plain form for a column declared NOT NULL without reading
	 * a row; NULL: the plain form. Result in the arena. */
	char *(*null_test)(dbc_ctx *ctx, const char *expr, bool is_null);

	/* ---- the schema model */
	/* The names of the relation options (WITH (name=value)) whose value is
	 * a boolean the engine reads in many spellings (on, off, yes, 1...):
	 * the model writes their values as true or false
	 * (dbc_options_by_meaning). NULL-terminated; NULL: no such options. */
	const char *const *boolean_options;

	/* ---- bookkeeping */
	/* Privileges are granted per column: a read that needs no script text
	 * must not name the script columns (has_down then comes from the down
	 * checksum). */
	bool column_privileges;
	/* The registry has an index on (version, checksum, down_checksum) that
	 * lets dbmigrate_assert prove the good case in one statement when no
	 * stored summary answers. */
	bool assert_probe;

	/* dbjson_unregister (core/jsonschema/js_registry.c): a query naming
	 * another transaction that may be adding a constraint not visible yet
	 * (no row: none), and one answering "t" when the catalogue read next
	 * sees what others committed (READ COMMITTED). NULL: a constraint
	 * cannot be added beside a writer (SQLite). */
	const char *constraints_busy;
	const char *constraints_fresh;

	/* The JSON Schema registry's owners (core/jsonschema/js_registry.c):
	 * session_role answers the role the session acts as (SET ROLE's, else
	 * the session user: never a SECURITY DEFINER's owner); role_acts_as,
	 * with $1 a role and $2 an owner, answers "t" when $1 may act as $2 (a
	 * superuser, or a member of $2) and no row otherwise. NULL: the engine
	 * has no roles, its writers are one principal (SQLite). */
	const char *session_role;
	const char *role_acts_as;
	/* dbjson_history: with $1 a schema and $2 a table's name, the role
	 * owning that table (no row: none); the role whose members read
	 * dbcare's bookkeeping. NULL without roles. */
	const char *table_owner;
	const char *monitor_role;

	/* ---- time: dbcare's own time columns (timestamptz on PostgreSQL,
	 * ISO-8601 UTC text with milliseconds on SQLite) */
	/* The value they store for "now": one moment for the whole call. */
	const char *now;
	/* printf formats, %s a time column (or an aggregate of one): */
	const char *time_iso;         /* ISO-8601 UTC text with milliseconds */
	const char *time_epoch;       /* seconds since 1970 (double precision) */
	const char *time_hours_since; /* hours from then to now (double precision) */
	const char *time_within_days; /* a condition: within the last $1 days */
	/* "now" as a time column of the user's tables holds it (a soft-delete
	 * column, an archive's archived_at; retention's last_run_at): SQLite's
	 * CURRENT_TIMESTAMP form with milliseconds, which such columns hold. */
	const char *column_now;

	/* ---- health */
	/* A check the engine refused to let the caller read ("permission
	 * denied", 42501) is skipped with this hint, a format whose two %s are
	 * the role current_role_sql names (quoted); NULL: it is an error. */
	const char *read_denied_hint;
	const char *current_role_sql;

	/* ---- maintenance plans (core/maintain) */
	/* The keyword that builds, rebuilds or drops an index without blocking
	 * writes ("CONCURRENTLY"; such statements run outside a transaction);
	 * NULL: index statements lock the table for writes. */
	const char *concurrently;
	/* The statement that rebuilds one index, before its name. */
	const char *reindex_index;
	/* VACUUM names a table (and analyses it too); false: VACUUM rebuilds
	 * the whole database file, outside a transaction, blocking writers. */
	bool vacuum_table;
	/* Run after ANALYZE, the statement that keeps the planner's statistics
	 * current from then on; NULL: none. */
	const char *optimize_statement;
	/* Where the database file returns free pages in steps (an auto_vacuum
	 * mode of that name), the statement that does so inside a transaction;
	 * NULL: none. */
	const char *incremental_vacuum;
	/* CREATE INDEX may leave out the name (the engine picks a free one). */
	bool index_name_optional;
	/* DROP INDEX may run while a statement (the dbcare call) is running;
	 * false: the engine refuses ("table is locked"), and the plan's drops
	 * are for the caller to run, as the statements outside a transaction. */
	bool drop_in_call;

	/* ---- the user's rows and time columns (soft delete, retention, audit) */
	/* The row identity a statement picks rows of a user's table by, as a
	 * bare name after "alias." ("ctid"): compared in its own type, so that
	 * "<row_id> IN (subquery)" reaches the rows directly. row_locator is the
	 * same identity as text, for keys and outputs. Where tables have a
	 * rowid (rowid true) the core names it by the first of rowid, _rowid_
	 * and oid that no column of the table hides instead; this is then its
	 * usual name ("rowid"). */
	const char *row_id;
	/* The type row_id's text (CAST(row_id AS text)) is cast back to, to
	 * find rows by identities kept in a table ("pg_catalog.tid"). */
	const char *row_id_type;
	/* Written after a SELECT picking rows to change, a format whose %s is
	 * the SELECT's alias: lock the rows it picks and skip those another
	 * transaction has locked (" FOR UPDATE OF %s SKIP LOCKED"); NULL: rows
	 * are not locked one by one (a writer holds the database's lock). */
	const char *skip_locked;
	/* A statement may change rows inside WITH and feed what it RETURNING
	 * gives to another (a DELETE ... RETURNING feeding an INSERT); false:
	 * each change is a statement of its own. */
	bool writable_cte;
	/* A foreign key ON DELETE RESTRICT is checked as each row goes, so a
	 * row it references goes only after (in an earlier statement than) the
	 * rows referencing it (SQLite); false: at the end of the statement, as
	 * NO ACTION is (PostgreSQL): rows referencing each other go together. */
	bool restrict_per_row;
	/* A lock another connection holds (55P03 after the busy timeout) is
	 * on the whole database (SQLite's file lock): what met it could read
	 * nothing else either; false: on one relation (PostgreSQL), the rest
	 * of the database reads. */
	bool lock_is_whole_database;
	/* A DELETE leaves its rows' index entries behind until a vacuum removes
	 * them (PostgreSQL's MVCC): a scan from an index's start walks over
	 * every row deleted since; false: deleted rows leave the index at once. */
	bool dead_index_entries;
	/* ALTER TABLE ... DROP CONSTRAINT drops a UNIQUE constraint on its own;
	 * false: only rebuilding the table drops one. */
	bool drops_constraints;
	/* The declared type of a time column dbcare adds to a user's table (a
	 * soft-delete column, an archive's archived_at). */
	const char *timestamp_type;
	/* A column holds a point in time when its declared type, in lower case,
	 * contains one of these words (NULL-terminated). */
	const char *const *temporal_words;
	/* The type a parameter holding a point in time is cast to where it is
	 * compared with such a column (a retention cutoff); "": no cast, the
	 * column's own type rules compare them. */
	const char *time_param_type;
	/* printf formats of parameter $%d read as JSON (json_param) and as a
	 * point in time of dbcare's own time columns (time_param). */
	const char *json_param;
	const char *time_param;

	/* The migration lint's and generator's facts (core/migrate): a rule
	 * whose fact the engine lacks does not apply there. The lock each kind
	 * of statement takes on its table, indexed by dbc_lint_op
	 * (core/migrate/migrate.h; NULL: none worth naming), and the lock the
	 * lock_timeout rule is about (NULL: no such rule). */
	const char *const *lint_locks;
	const char *exclusive_lock;
	bool not_valid; /* constraints can be added NOT VALID and validated later */
	/* the engine keeps @migrations_online_steps (the records of
	 * dbcare migrate --online, PostgreSQL's book table): step_end removes
	 * a version's records there; without it there is no such table */
	bool online_steps;
	/* dbcare migrate --online (core/migrate/migrate_online.c): printf
	 * formats of queries whose rows are statements to run, one at a time,
	 * outside a transaction. online_index_leftover: %1$s an index's name
	 * as a literal (qualified when its table's is), %2$s the migration's
	 * version as one, %3$d a step number k < 0: records step k of the
	 * version ("the index was absent when the migration first came to
	 * build it", dbmigrate_online_record) when no index has that name; its
	 * rows: the DROP of that index when a failed or killed CREATE INDEX
	 * CONCURRENTLY of this migration (step k recorded) left it invalid,
	 * none when it is valid, absent or not this migration's.
	 * online_index_build: %1$s the version as a literal, %2$d that step k,
	 * %3$s the CREATE INDEX CONCURRENTLY as a literal, %4$s the same with
	 * IF NOT EXISTS: its one row the latter when step k is recorded (the
	 * index, if there, is the one this migration built), else the former
	 * (an index of that name there before fails it, as the statement as
	 * written fails). online_validate_latest: %s the table's name as a
	 * literal, %s the constraint type's letter as one: the VALIDATE of the
	 * table's newest constraint of that type not validated yet. NULL: no
	 * such rewrite on this engine. */
	const char *online_index_leftover;
	const char *online_index_build;
	const char *online_validate_latest;
	/* One range of a column's backfill, a printf format: %d the pages per
	 * range, %s the table's name as a literal, %s the table, %s the
	 * column, %s its value, %s the condition of a row still to fill. $1 the range's
	 * first page, $2 the pass's end page or NULL (then read: the table's
	 * size in pages now), $3 the range's size, a per cent of %d pages, at
	 * least one (migrate_throttle.h's pace; NULL: 100). Its one row: the rows it filled, the next
	 * page, the end page. NULL: no such rewrite on this engine. */
	const char *online_backfill_range;
	/* The backfill's last word, a printf format: %s the table, %s the
	 * column, %s its default, %s the condition of a row still to fill. Fills every row whose
	 * column is still NULL in one statement (a row updated meanwhile is
	 * followed to its newest version); its one row: the rows it filled.
	 * Run until it fills none, it proves what the passes by ranges cannot:
	 * that no row was moved past their cursor unfilled. */
	const char *online_backfill_probe;
	/* ALTER COLUMN TYPE through a shadow column (dbc_online_shadow);
	 * NULL: no such rewrite on this engine */
	const struct dbc_online_shadow *online_shadow;
	/* a table rebuild written in plain SQL (CREATE TABLE new, INSERT INTO
	 * new SELECT ... FROM old, DROP TABLE old, ALTER TABLE new RENAME TO
	 * old) copied in batches (dbc_online_rebuild); NULL: as written */
	const struct dbc_online_rebuild *online_rebuild;
	bool unique_using_index; /* ADD UNIQUE / PRIMARY KEY USING INDEX exists */
	/* ALTER TABLE can only rename, add and drop columns (a table rebuild
	 * does the rest), and DROP COLUMN fails on a used column */
	bool alter_limited;
	/* The catalog lists a table's foreign keys newest first (SQLite's
	 * foreign_key_list ids count from the last one written): a CREATE TABLE
	 * made from the model writes them in the reverse of its order, so the
	 * table reads back with the keys it was read with. */
	bool fks_newest_first;
	/* The table rebuild (dbc_migrate_rebuild_script), NULL where the
	 * engine's ALTER TABLE needs none: the statements before the rebuild
	 * and after it, by whether foreign keys are enforced now ([0] off,
	 * [1] on), and the check of every foreign key run before the commit. */
	const char *rebuild_begin[2];
	const char *rebuild_end[2];
	const char *rebuild_check;
	/* What a table (or its column) is to the engine whatever its name, for
	 * the renames the migration runner records (core/migrate/rename_log.c):
	 * for $1 a schema ('' the session's temporary one), $2 a relation's
	 * name, $3 a column's ('' the relation's own), one row when the schema
	 * holds a relation of that name, of any kind: its identity as text,
	 * NULL when it is not one that is followed (not an ordinary table, a
	 * temporary one, no such column), and the schema's name. An identity
	 * outlives a rename and dies with the object; NULL: the engine has
	 * none. */
	const char *object_identity;
	/* An error unwinds past the caller (PostgreSQL's longjmp) unless a
	 * savepoint catches it: the health checks run each in one, so a
	 * failing check becomes its "error" row. False: every failure comes
	 * back as a code. */
	bool errors_unwind;
	/* The audit triggers link each table's entries into a chain of its own
	 * (dbc_audit_link_table); false: one chain for the whole log
	 * (dbc_audit_link). */
	bool audit_table_chains;
	/* An audit entry's hash, prev_hash and the DBC_AUDIT_LINK_FIELDS fields
	 * its hash covers, as text (core/audit/audit.h), as a select list of
	 * the log: what the core's one chain reader (core/audit/audit_chain.c)
	 * and dbaudit_row_at's check of each entry read. */
	const char *audit_link_columns;
	/* What a backup's logical verification reads, where the engine reads
	 * it as SQL (core/backup/backup_content.h): one statement whose one
	 * row, one column is every table's content in the keyed form
	 * ({"schema.table": {"rows": N, "hash": H}}), run under the settings
	 * that shape a row's text, each set for that reading only (ncontent_
	 * settings of them). The module's dbbackup_content() runs it, and so
	 * does the command on a database without that function. NULL: the
	 * engine reads every table in C (SQLite's module). */
	const char *content_query;
	const struct dbc_dialect_setting {
		const char *name, *value;
	} * content_settings;
	int ncontent_settings;
} dbc_dialect;
typedef struct dbc_dialect_setting dbc_dialect_setting;

struct dbc_schema;
struct dbc_settings_source;

/* One column constrained by a domain CHECK not validated yet
 * (dbc_host.domain_checks). */
typedef struct dbc_domain_check {
	char *schema, *table, *column;
	char *name; /* the domain constraint's */
	char *test; /* boolean SQL over the quoted column */
} dbc_domain_check;

typedef struct dbc_domain_checks {
	dbc_domain_check *items;
	int n;
	int cap;
} dbc_domain_checks;

typedef struct dbc_host {
	const dbc_dialect *dialect;
	/* Reads the live schema into an initialised model (schema.h); every
	 * part that needs the live schema reads it through here. */
	int (*read_schema)(dbc_ctx *ctx, struct dbc_schema *out);

	/* Runs SQL that may hold several statements. On failure sets the ctx error
	 * (engine SQLSTATE, message, and the 1-based line of the failing statement
	 * in ctx->error_line when the engine knows it). A host may instead raise the
	 * engine's own error when no savepoint is open (PostgreSQL does); the core
	 * therefore keeps every allocation in the ctx arena. */
	int (*exec)(dbc_ctx *ctx, const char *sql);
	/* Runs one statement with parameters $1..$n and streams its rows to fn
	 * (fn may be NULL for statements whose rows do not matter). */
	int (*query)(dbc_ctx *ctx, const char *sql, int nparam, const dbc_value *params, dbc_row_fn fn,
	             void *arg);
	/* As query, but reads what is committed now, even in a transaction
	 * that keeps one snapshot (REPEATABLE READ): for a check that must see
	 * the catalog as it is once a lock is held (code the owner committed
	 * while the call waited). NULL where every statement already sees the
	 * latest commits under its lock (SQLite: one writer at a time). */
	int (*query_latest)(dbc_ctx *ctx, const char *sql, int nparam, const dbc_value *params,
	                    dbc_row_fn fn, void *arg);
	/* Runs one statement, prepared once, for each of nrows rows of nparam
	 * parameters (params holds them row after row); rows it returns are
	 * dropped. NULL where one set-based statement fed by a JSON array is the
	 * cheaper way to write many rows (PostgreSQL, where every execution
	 * starts an executor); on SQLite an execution costs less than decoding
	 * a row from JSON. */
	int (*query_each)(dbc_ctx *ctx, const char *sql, int nparam, int nrows,
	                  const dbc_value *params);

	/* Savepoints make "all-or-nothing" one idea for both engines. savepoint()
	 * returns a level (>= 1) or -1 with the ctx error set; release/rollback take
	 * that level and are no-ops for a level the host already unwound after an
	 * error. rollback never touches the ctx error: rolling back after a failure
	 * is its normal use, so an error already set (message, detail, hint,
	 * context, line) survives it unchanged, and rollback's own trouble is
	 * reported only when no error was set. Callers need not save the error. */
	int (*savepoint)(dbc_ctx *ctx);
	int (*release)(dbc_ctx *ctx, int level);
	int (*rollback)(dbc_ctx *ctx, int level);

	/* Quoting by the engine's own routine; results live in the ctx arena. */
	char *(*quote_ident)(dbc_ctx *ctx, const char *ident);
	char *(*quote_literal)(dbc_ctx *ctx, const char *literal);

	/* May dbcare evaluate this expression, read from the schema (a CHECK
	 * constraint's text), inside a statement of its own? Such a statement
	 * runs at top level, without the limits the engine puts on schema code.
	 * Sets *why_not to NULL when it may, else to the reason (arena text) and
	 * the constraint is reported as not checked; DBC_ERROR only when the
	 * question could not be answered. NULL: the core's own rule applies
	 * (PostgreSQL). */
	int (*schema_expr_allowed)(dbc_ctx *ctx, const char *expr, char **why_not);

	/* Polled by long loops; returns nonzero (with the ctx error set) to stop. */
	int (*interrupted)(dbc_ctx *ctx);

	/* Inside a generator's scratch place that never commits (PostgreSQL's
	 * subtransaction): gives the statements after it what a commit would,
	 * where dbcare migrate commits between two migrations of the plan the
	 * proof runs (the enum labels ALTER TYPE ... ADD VALUE added become
	 * usable). NULL: nothing to stand in for. */
	int (*proof_commit)(dbc_ctx *ctx);

	/* Bookkeeping tables: SQL names table t of the contract book_prefix + t
	 * ("dbcare." in PostgreSQL, "main.dbcare_" in SQLite: qualified, so that
	 * a TEMP table or view of the same name, which SQLite looks up before
	 * main's, never stands in for it); its name, as a catalogue or a user
	 * spells it, is book_name_prefix + t ("dbcare." / "dbcare_"). Every
	 * statement of the core uses book_prefix. book_ensure creates them
	 * when missing (SQLite, on the first mutating call; a no-op in PostgreSQL
	 * where the extension script made them); book_exists tells a read-only
	 * call on a fresh SQLite database to treat them as empty. book_ensure may
	 * run inside a savepoint right before a call's first write and must then
	 * not read anything when the tables exist (so that write takes the
	 * engine's write lock first). */
	const char *book_prefix;
	const char *book_name_prefix;
	/* The schemas an unqualified table name is looked for in, in the order
	 * the caller's session looks (PostgreSQL: the caller's search_path, as
	 * it was when the call began), NULL-terminated, in the ctx arena. NULL:
	 * the engine has no such order to offer (a name in several schemas is
	 * then ambiguous). */
	char **(*name_path)(dbc_ctx *ctx);
	int (*book_ensure)(dbc_ctx *ctx);
	int (*book_exists)(dbc_ctx *ctx, bool *exists);
	/* book_ensure, and also the tables of one part that the engine makes
	 * only on that part's first use (SQLite: "audit", "backup", "maintain",
	 * "retain", "softdelete", "growth"; their readers take a missing one as empty).
	 * Called by the writers of those tables instead of book_ensure. NULL:
	 * book_ensure makes every table (PostgreSQL). dbc_book_ensure_part calls
	 * whichever the host has. */
	int (*book_ensure_part)(dbc_ctx *ctx, const char *part);
	/* Whether an existing bookkeeping table t has column c. Columns added
	 * after a table first shipped reach a database made by an older build on
	 * its next book_ensure; a read before that finds them missing and reads
	 * them as NULL. NULL: every table always has every column (PostgreSQL,
	 * whose extension script made them). */
	bool (*book_has_column)(dbc_ctx *ctx, const char *table, const char *column);
	/* How many audit entries committed transactions have ever written
	 * (dbcare_audit_entries_written): entries rolled back count none, entries
	 * deleted later still count. Cheap enough for every metrics scrape: a
	 * read of a few rows, never a count of the log. 0 without an audit log. */
	int (*audit_entries_written)(dbc_ctx *ctx, int64_t *written);
	/* Wal mode of the audit trail (PostgreSQL; NULL elsewhere): *active
	 * false when the database has no slot; else how many seconds the log
	 * may be behind the changes (0 when its worker has decoded the WAL
	 * written so far; else the time since the worker's last round, or since
	 * it last wrote when none runs) and the bytes of WAL the slot holds
	 * back (dbcare_audit_lag_seconds, dbcare_audit_wal_retained_bytes). */
	int (*audit_wal_lag)(dbc_ctx *ctx, bool *active, double *lag_seconds, int64_t *retained);
	/* The migration status summary row (@migrations_summary): whether this
	 * call may read it, and also store one it derived. NULL where the engine
	 * keeps no such row. */
	dbc_cache_access (*status_cache)(dbc_ctx *ctx);
	/* How a stored summary is kept true. NULL: triggers clear the row on
	 * every write to the migration tables (SQLite, one writer at a time).
	 * Otherwise every write bumps a generation counter and the row carries
	 * the generation it was derived at (PostgreSQL, where a writer's DELETE
	 * would not see a row committed after its snapshot): this sets *stamp to
	 * the generation this call's snapshot sees, or -1 when this transaction
	 * wrote the tables itself (nothing may be stored then). */
	int (*status_stamp)(dbc_ctx *ctx, int64_t *stamp);
	/* Where the engine lets only dbcare's own write path write the rename
	 * log (SQLite: its triggers refuse any other writer, docs/security.md),
	 * opens (on) and closes that path around the runner's insert; NULL
	 * where roles' rights decide who writes it (PostgreSQL). */
	void (*renames_writer)(dbc_ctx *ctx, bool on);
	/* dbcare is writing the JSON Schema registry in this transaction
	 * (js_registry.c: a registration or a removal): an engine that keeps
	 * the registry's generation beside its own data version (SQLite: one
	 * read per connection and version) reads it anew until the
	 * transaction's end. NULL where another signal serves (PostgreSQL:
	 * the registry's trigger invalidates the relcache). */
	void (*json_registry_written)(dbc_ctx *ctx);

	/* Constraint checks evaluate code other roles wrote: CHECK expressions,
	 * and the operators and casts of foreign keys. Where the engine has
	 * roles (PostgreSQL) a check runs inside a scope, as its maintenance
	 * commands do: check_enter opens it for table schema.table (a
	 * subtransaction holding a lock taken without waiting, the table
	 * owner's rights in a security-restricted operation, a pinned
	 * search_path); check_lock adds a table the checks also read (a parent);
	 * check_leave restores the caller's rights and rolls the scope back,
	 * releasing its locks (checks only read), or with keep releases it into
	 * the enclosing transaction (the deletes of dbcheck_cleanup_orphans). An
	 * error inside unwinds the scope too; the caller leaves and enters again
	 * before going on. Both set *skip (DBC_OK) when the table cannot be
	 * checked now, with the reason; DBC_ERROR when the caller may not read
	 * it (or, with deletes, delete from it). NULL where schema code runs
	 * with no rights of its own (SQLite). */
	int (*check_enter)(dbc_ctx *ctx, const char *schema, const char *table, bool deletes,
	                   char **skip);
	int (*check_lock)(dbc_ctx *ctx, const char *schema, const char *table, char **skip);
	void (*check_leave)(dbc_ctx *ctx, bool keep);
	/* The domain CHECK constraints not validated yet (PostgreSQL's ALTER
	 * DOMAIN ... NOT VALID) that constrain columns of tables, directly or
	 * through a domain over the domain: rows (schema, table, column,
	 * constraint name, test), ordered by table, column position and name.
	 * test is a boolean SQL expression over the quoted column, false only
	 * for a non-NULL value the constraint refuses; it evaluates the domain's
	 * code with the domain owner's rights and only inside check_enter's
	 * scope. out is zeroed by the caller; strings live in the ctx arena.
	 * NULL where the engine has no domains (SQLite). */
	int (*domain_checks)(dbc_ctx *ctx, struct dbc_domain_checks *out);
	/* Every CHECK constraint of a domain, validated or not: fn gets rows
	 * (domain's schema, domain's name, constraint name, expression as the
	 * engine prints it). Catalog reads only, with the caller's rights. NULL
	 * where the engine has no domains (SQLite). */
	int (*domain_constraints)(dbc_ctx *ctx, dbc_row_fn fn, void *arg);
	/* The test "parent row has the child row's key" of a foreign key (or,
	 * declared, of a relation) as SQL over aliases p and c, with the
	 * constraint's own operators written out, never found by operator or
	 * cast resolution; *skip when it cannot be written. NULL: the core's
	 * own "p.x = c.x" (SQLite, where affinity rules decide). */
	int (*key_match)(dbc_ctx *ctx, const char *schema, const char *table, const char *name,
	                 bool declared, const char *parent_schema, const char *parent_table,
	                 const char *const *columns, const char *const *ref_columns, int ncolumns,
	                 char **match, char **skip);

	/* Shows a warning the call goes on after: "dbcare: " + message, and hint
	 * (may be NULL). PostgreSQL: a WARNING; SQLite, which has no warnings a
	 * statement returns: sqlite3_log with SQLITE_WARNING. NULL drops it. */
	void (*warning)(dbc_ctx *ctx, const char *message, const char *hint);
	/* The same as a notice, for what the caller may want to know (the
	 * migration lint's findings): PostgreSQL, a NOTICE; SQLite, sqlite3_log
	 * with SQLITE_NOTICE. NULL drops it. */
	void (*notice)(dbc_ctx *ctx, const char *message, const char *hint);
	/* Shows one progress line dbc_progress made ("dbcare progress: ..."),
	 * which the dbcare command draws on a terminal: SQLite, sqlite3_log with
	 * SQLITE_NOTICE; PostgreSQL, a NOTICE while the session has
	 * dbcare.progress on (off by default: a NOTICE per step would flood
	 * other clients). NULL drops it. */
	void (*progress)(dbc_ctx *ctx, const char *line);

	/* The settings keys of the parts above core/settings (health's), each
	 * part's source (core/settings/settings.h), NULL-terminated: the glue
	 * assembles the parts, so settings never calls up into one. NULL: the
	 * general keys only. */
	const struct dbc_settings_source *const *settings_sources;

	/* What the core entries of the API table need of the engine beyond this
	 * host (core/api/api.h, dbc_api_hooks). */
	const struct dbc_api_hooks *api;

	/* Raw memory for the arena. alloc returns NULL on exhaustion. */
	void *(*alloc)(size_t size);
	void (*free)(void *ptr);
} dbc_host;

typedef struct dbc_arena_block dbc_arena_block;

struct dbc_ctx {
	const dbc_host *host;
	void *host_data;
	dbc_arena_block *arena; /* every core allocation of this call; freed at once */

	/* The error slot, filled by dbc_error() or by the host. */
	bool failed;
	char sqlstate[6];
	char *message; /* without the "dbcare: " prefix for core errors */
	char *detail;
	char *hint;
	char *context;
	int error_line;   /* 1-based line in the SQL that failed, 0 if unknown */
	int error_cursor; /* 1-based character position, 0 if unknown */
};

void dbc_ctx_init(dbc_ctx *ctx, const dbc_host *host, void *host_data);
/* Frees the arena (and so every string the ctx handed out). */
void dbc_ctx_finish(dbc_ctx *ctx);

/* Arena allocation; NULL only on exhaustion, after setting the ctx error. */
void *dbc_alloc(dbc_ctx *ctx, size_t size);
void *dbc_zalloc(dbc_ctx *ctx, size_t size);
/* Room for one more item in the arena array *items (n in use, *cap slots of
 * size bytes): doubles it when full, starting at `first` slots. The old block
 * stays in the arena. DBC_ERROR on out of memory. */
int dbc_grow(dbc_ctx *ctx, void *items, int n, int *cap, size_t size, int first);
char *dbc_strdup(dbc_ctx *ctx, const char *s);
char *dbc_strndup(dbc_ctx *ctx, const char *s, size_t n);
char *dbc_printf(dbc_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *dbc_vprintf(dbc_ctx *ctx, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/* Sets the error slot (first error wins) and returns DBC_ERROR. The message is
 * the text after "dbcare: ". */
int dbc_error(dbc_ctx *ctx, const char *sqlstate, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void dbc_error_detail(dbc_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void dbc_error_hint(dbc_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A warning through host->warning (message after "dbcare: "; hint may be
 * NULL); the call goes on (out of memory sets the error, as any allocation). */
void dbc_warning(dbc_ctx *ctx, const char *hint, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The progress of a long step through host->progress: done of total, what
 * runs now (verify's migrations), as the line
 * DBC_PROGRESS_PREFIX "DONE/TOTAL what" the dbcare command parses. */
#define DBC_PROGRESS_PREFIX "dbcare progress: "
void dbc_progress(dbc_ctx *ctx, int64_t done, int64_t total, const char *what);
/* Forgets an error, e.g. one a check turned into a "status: error" row. */
void dbc_error_clear(dbc_ctx *ctx);

/* Growable text in the arena. */
typedef struct dbc_buf {
	dbc_ctx *ctx;
	char *data;
	size_t len;
	size_t cap;
	bool oom;
} dbc_buf;

void dbc_buf_init(dbc_buf *b, dbc_ctx *ctx);
void dbc_buf_append(dbc_buf *b, const char *s);
void dbc_buf_appendn(dbc_buf *b, const char *s, size_t n);
void dbc_buf_appendf(dbc_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void dbc_buf_appendc(dbc_buf *b, char c);
/* Room for n more bytes in one allocation, when the size is known ahead:
 * growing by doubling leaves every smaller copy behind in the arena. */
void dbc_buf_reserve(dbc_buf *b, size_t n);
/* Returns the text (never NULL unless out of memory, then with the error set). */
char *dbc_buf_finish(dbc_buf *b);

/* The value of one hexadecimal digit (either case), -1 for any other byte. */
int dbc_hex_digit(int c);
/* Length of the well-formed UTF-8 sequence at p (n bytes left; no overlong
 * forms, surrogates or code points above U+10FFFF), 0 when there is none. */
int dbc_utf8_seq(const unsigned char *p, size_t n);
/* A JSON \u escape at s (just after its "\u"): the character it names in
 * *cp, a surrogate pair read as one, and how many bytes after the "\u" it
 * took (4, or 10 for a pair); 0 when it names no character (not four hex
 * digits, or a surrogate that is not half of a pair). */
int dbc_json_unicode_escape(const char *s, uint32_t *cp);
/* cp (at most U+10FFFF) as UTF-8 into out (room for 4); its length. */
size_t dbc_utf8_put(char *out, uint32_t cp);
/* Copies n bytes of s into out (n + 1 bytes) with every byte that starts no
 * well-formed UTF-8 sequence replaced by '?', and a NUL after them. */
void dbc_utf8_repair(char *out, const char *s, size_t n);
/* User input quoted in an error message: at most max bytes (cut at a
 * character boundary, then "... (N bytes)"), invalid UTF-8 shown as '?', so a
 * 10 MB or binary argument cannot make a 10 MB or undecodable message. */
char *dbc_excerpt(dbc_ctx *ctx, const char *s, size_t max);
#define DBC_EXCERPT 80
/* s made fit for a line comment of a generated script: every character a
 * shell or the engine could take for the end of a line (C0 controls, DEL,
 * NEL, U+2028, U+2029) becomes '?', so a name with a line break cannot end
 * the comment and put its rest on a line of its own. */
char *dbc_comment_text(dbc_ctx *ctx, const char *s);
/* Bound on an error message, detail or hint as a whole (dbc_error cuts and
 * cleans longer or invalid UTF-8 texts like dbc_excerpt). */
#define DBC_ERROR_TEXT_MAX 16384

/* Value helpers. */
dbc_value dbc_text(const char *s);
dbc_value dbc_int(int64_t i);
dbc_value dbc_float(double f);
dbc_value dbc_bool(bool b);
dbc_value dbc_null(void);

/* A materialised result set for table-valued functions: the core fills it,
 * the glue turns it into an SRF (PostgreSQL) or a virtual table (SQLite). */
typedef struct dbc_rows {
	dbc_ctx *ctx;
	int ncol;
	int nrows;
	int cap;
	dbc_value *cells; /* nrows * ncol, text copied into the arena */
} dbc_rows;

void dbc_rows_init(dbc_rows *rows, dbc_ctx *ctx, int ncol);
/* Appends a row of ncol values (text is copied). */
int dbc_rows_add(dbc_rows *rows, const dbc_value *row);
/* The same, keeping its text where it is: for text already in rows->ctx's
 * arena or static, which lives as long as the rows. */
int dbc_rows_add_kept(dbc_rows *rows, const dbc_value *row);

/* Convenience over host->query: the first column of the first row as text in
 * the arena (NULL when no row or SQL NULL); *found tells which. */
int dbc_query_text(dbc_ctx *ctx, const char *sql, int nparam, const dbc_value *params, char **out,
                   bool *found);
/* dbc_query_text through the host's query_latest where it has one. */
int dbc_query_text_latest(dbc_ctx *ctx, const char *sql, int nparam, const dbc_value *params,
                          char **out, bool *found);

/* host->book_ensure_part(ctx, part) where the host makes part's tables on
 * first use, host->book_ensure(ctx) otherwise. */
int dbc_book_ensure_part(dbc_ctx *ctx, const char *part);

/* The extension version (from META.json). */
const char *dbc_version(void);

#endif
