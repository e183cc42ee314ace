/*
 * retain.h — the data lifecycle: soft delete (dbsoftdelete_*) and retention
 * policies (dbretain_*). The core writes every statement; what only an
 * engine can do (its soft-delete trigger, letting a purge through it, its
 * clock) comes from the glue through dbc_retain_hooks.
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
 * fills one (pg/retain/fn_retain.c, sqlite/retain/retain.c). */
typedef struct dbc_retain_hooks {
	/* SQL of the moment iv before now, in the form a soft-delete or an age
	 * column is compared with (arena text). sample: an SQL expression of a
	 * value the column holds (a scalar subquery of its oldest), NULL when
	 * there is none: where dates are text the cutoff is written in the
	 * sample's form, so the two compare as text. */
	char *(*cutoff_sql)(dbc_ctx *ctx, const dbc_interval *iv, const char *sample);
	/* Parameter n ($n) of a statement compared with a column of declared
	 * type: where a parameter has a type of its own (PostgreSQL binds text),
	 * a cast to the column's type. */
	char *(*param_as)(dbc_ctx *ctx, int n, const char *type);
	/* The statements installing (replacing) table t's soft-delete trigger
	 * for column, and dropping it; its name, for reports. */
	char *(*trigger_create)(dbc_ctx *ctx, const dbc_table *t, const char *column);
	char *(*trigger_drop)(dbc_ctx *ctx, const dbc_table *t);
	/* Opens a purge of t: until purge_end(*mark), the soft-delete trigger
	 * lets a DELETE through for real in t, its partitions and the tables
	 * an ON DELETE CASCADE reaches from them (children of children too);
	 * every other soft-delete table keeps its deletes soft. Purges nest;
	 * purge_end(mark) closes this one and any opened inside it, and is a
	 * no-op once the host closed it (an error rolled its savepoint back).
	 * DBC_ERROR: nothing opened. The glue closes it on every path out of
	 * the call too. NULL: the trigger cannot be told; the purge drops the
	 * triggers of those tables and makes them again in its savepoint. */
	int (*purge_through)(dbc_ctx *ctx, const dbc_table *t, int *mark);
	void (*purge_end)(int mark);

	/* ---- retention policies */
	/* Runs each (name, declared type) over table's columns in order, none
	 * when it does not exist (schema NULL: the main one). */
	int (*columns)(dbc_ctx *ctx, const char *schema, const char *table, dbc_row_fn each, void *arg);
	/* *exists: whether that schema (or ATTACHed database) exists. */
	int (*schema_exists)(dbc_ctx *ctx, const char *schema, bool *exists);
	/* Where dates may be stored as text (SQLite): a query over %1$s (the
	 * quoted table) and %2$s (the quoted column) counting stored values
	 * that read as no date; NULL: the declared type decides alone. */
	char *(*text_dates_probe)(dbc_ctx *ctx, const char *table, const char *column);
	/* The condition "this row is one of (subquery of that identity)", the
	 * row identity (the dialect's row_id) named row_id (dbc_retain_row_id). */
	char *(*rows_in)(dbc_ctx *ctx, const char *row_id, const char *subquery);
	/* Where rows are locked apart from their delete (PostgreSQL): a query
	 * running pick (which locks its rows) that returns one row, the
	 * picked identities as one text value and how many; and the condition
	 * "this row is one of the identities of parameter $param (that text)".
	 * NULL where a batch's pick and delete are one statement's (SQLite). */
	char *(*locked_ids)(dbc_ctx *ctx, const char *pick);
	char *(*rows_among)(dbc_ctx *ctx, const char *row_id, int param);
	/* SQL of "value (an age column's stored point in time) lies before
	 * cutoff" (both SQL expressions; the cutoff is a value of cutoff_sql's
	 * form). NULL: "value < cutoff", where the column's type decides. */
	char *(*before_sql)(dbc_ctx *ctx, const char *value, const char *cutoff);
	/* SQL of the text of a point in time (expr: the cutoff, or an age
	 * column's value) that param_as(the dialect's time_param_type) reads back as the same
	 * moment whatever the session's settings: the cutoff and the point a
	 * batch resumes at travel between statements (and, in dbretain_run,
	 * between transactions) as text. NULL: CAST(expr AS text) round-trips. */
	char *(*time_text)(dbc_ctx *ctx, const char *expr);
	/* The functions comparing the columns of foreign key fk of schema.table
	 * calls (its operators, the casts to their input types) that a role
	 * other than a superuser owns: a batch's blocker test would run them
	 * with the caller's rights. *found: whether there is one, *fn (arena
	 * text, may be NULL) the first. NULL where such code has no rights of
	 * its own. */
	int (*fk_untrusted)(dbc_ctx *ctx, const char *schema, const char *table, const char *fk,
	                    char **fn, bool *found);
	/* Takes the lock a DELETE, UPDATE or INSERT (event) of schema.table
	 * takes, kept to the end of the transaction: the lock that keeps
	 * triggers, rules and policies from being added (CREATE TRIGGER, CREATE
	 * RULE and CREATE POLICY wait for it); then, read past a REPEATABLE READ
	 * snapshot (code committed while the lock was awaited runs in the write
	 * that follows), describes in *code (arena text) the first trigger,
	 * rule or row security policy of the table or of a partition of it
	 * that such a statement would run with the caller's rights, whose code
	 * a role owns that is neither a superuser nor one whose rights the
	 * caller has; *found false when there is none. A superuser's retention
	 * run would otherwise run that role's code as a superuser. NULL where
	 * such code has no rights of its own. */
	int (*owner_code)(dbc_ctx *ctx, const char *schema, const char *table, const char *event,
	                  char **code, bool *found);
	/* Serialises runs of one policy until the transaction ends (an
	 * advisory lock); NULL: the policy row's update takes the database's
	 * write lock, which serialises them (SQLite). */
	int (*policy_lock)(dbc_ctx *ctx, const char *name);
	/* An archive in another database this connection reaches (SQLite: an
	 * ATTACHed database; dbretain_archive_attached): checks that schema
	 * is such a database (neither main nor temp) and that the call runs
	 * outside a transaction (each stage of a batch commits alone, in one
	 * database); *prefix (arena text) is what the archive table's name
	 * follows ("\"schema\".dbcare_"); *exists whether that table is
	 * there. attached_archive_make makes it. NULL: no such route
	 * (PostgreSQL's other database is the command's). */
	int (*attached_archive)(dbc_ctx *ctx, const char *schema, char **prefix, bool *exists);
	int (*attached_archive_make)(dbc_ctx *ctx, const char *schema);
} dbc_retain_hooks;

/* ---------------------------------------------------------------- soft delete */

/* dbsoftdelete_enable: adds column (default deleted_at) when missing,
 * installs the trigger, records the table. *report: a JSON object {table,
 * column, column_added, unique_blockers: [{name, kind, columns, fix}]}:
 * the unique keys a soft-deleted row keeps taking, each with the
 * statements that make it partial; each is also a warning. */
int dbc_softdelete_enable(dbc_ctx *ctx, const dbc_retain_hooks *eng, const char *table,
                          const char *column, char **report);
/* dbsoftdelete_disable: drops the trigger and forgets the table; the column
 * and its values stay. *was: whether it was enabled. */
int dbc_softdelete_disable(dbc_ctx *ctx, const dbc_retain_hooks *eng, const char *table, bool *was);
/* dbsoftdelete_restore: clears the soft-delete column of the rows whose
 * primary key key (a JSON object, or an array of them) names; all or none.
 * A unique key a live row already holds is an error naming it. */
int dbc_softdelete_restore(dbc_ctx *ctx, const dbc_retain_hooks *eng, const char *table,
                           const char *key, int64_t *restored);
/* dbsoftdelete_purge: really deletes the soft-deleted rows (those deleted
 * longer than older_than ago when it is not NULL), foreign-key actions
 * applying as for any delete. */
int dbc_softdelete_purge(dbc_ctx *ctx, const dbc_retain_hooks *eng, const char *table,
                         const char *older_than, int64_t *purged);

/* Where the engine cannot tell its trigger to let a purge through
 * (purge_through NULL): the statements that take the soft-delete triggers
 * out of the way of a real delete from t (*drop) and put them back
 * (*create) — t's own and those of every soft-delete table an ON DELETE
 * CASCADE from t reaches, children of children too: the cascade of a real
 * delete is a real delete, as where purge_through opens the purge. */
int dbc_softdelete_bypass(dbc_ctx *ctx, const dbc_retain_hooks *eng, const dbc_schema *s,
                          const dbc_table *t, char **drop, char **create);

/* The soft-delete column of a table dbsoftdelete_enable recorded, or NULL
 * (retention's purge action asks). */
int dbc_softdelete_column(dbc_ctx *ctx, const dbc_table *t, char **column);

#define DBC_SOFTDELETE_NCOLS 4
/* dbsoftdelete_tables: (table_name, column_name, enabled_at, deleted_rows). */
int dbc_softdelete_rows(dbc_ctx *ctx, dbc_rows *out);

/* ------------------------------------------------------ retention policies */

/* dbretain_add: validates everything now (table, column, interval, action,
 * target and its columns) and records the policy. */
int dbc_retain_add(dbc_ctx *ctx, const dbc_retain_hooks *eng, const char *name, const char *table,
                   const char *column, const char *keep, const char *action, const char *target);
/* dbretain_drop: forgets a policy (its archive stays); false when none. */
int dbc_retain_drop(dbc_ctx *ctx, const char *name, bool *dropped);

#define DBC_RETAIN_POLICY_NCOLS 9
/* dbretain_policies: (name, table_name, column_name, keep, action, target,
 * archived_rows, deleted_rows, last_run_at). */
int dbc_retain_policy_rows(dbc_ctx *ctx, dbc_rows *out);

#define DBC_RETAIN_PLAN_NCOLS 7
/* dbretain_plan: per policy (all, or the one named) (policy, table_name,
 * action, due, oldest, batches, blockers JSON). Changes nothing. */
int dbc_retain_plan(dbc_ctx *ctx, const dbc_retain_hooks *eng, const char *name, dbc_rows *out);

/* What one policy's apply did. */
typedef struct dbc_retain_result {
	char *policy;
	int64_t archived, deleted, blocked, remaining;
	double duration_ms;
	/* where the dialect's dead_index_entries engines start the policy's next batch: the
	 * newest age value moved (as text), or NULL */
	char *resume;
} dbc_retain_result;

typedef struct dbc_retain_results {
	dbc_retain_result *items;
	int n, cap;
} dbc_retain_results;

/* dbretain_apply: at most max_rows rows per policy (<= 0: retain.batch_size)
 * in batches of retain.batch_size, each batch atomic, in the caller's
 * transaction. count: also count what is left (blocked, remaining), each
 * up to the larger of max_rows and retain.batch_size (the most the next
 * call moves), so a call costs what it moves, not the backlog; -1 in both
 * otherwise. */
int dbc_retain_apply(dbc_ctx *ctx, const dbc_retain_hooks *eng, const char *name, int64_t max_rows,
                     bool count, dbc_retain_results *out);
/* The same, each policy's first batch starting where resume (the results
 * of the previous call of a run, NULL: none) left that policy: dbretain_run
 * passes each transaction's results to the next. Rows that become due
 * behind that point during a run (or were skipped as locked) wait for the
 * next run. */
int dbc_retain_apply_from(dbc_ctx *ctx, const dbc_retain_hooks *eng, const char *name,
                          int64_t max_rows, bool count, const dbc_retain_results *resume,
                          dbc_retain_results *out);
#define DBC_RETAIN_APPLY_NCOLS 6
int dbc_retain_apply_rows(dbc_ctx *ctx, const dbc_retain_results *r, dbc_rows *out);

/* What the health check "retention" reads: per policy the batches due now,
 * and per archive table the rows it holds against those the policies
 * recorded moving into it. */
typedef struct dbc_retain_health_policy {
	char *policy;
	char *table;
	int64_t due, batches;
	char *index_fix; /* the CREATE INDEX its self-referencing key lacks, or NULL */
} dbc_retain_health_policy;

typedef struct dbc_retain_health_archive {
	char *target;              /* its qualified name, the key: one entry an archive */
	const char *schema, *name; /* as the policies name it (schema NULL: unqualified) */
	int64_t rows, recorded;    /* rows -1: the archive table is missing */
} dbc_retain_health_archive;

typedef struct dbc_retain_health {
	int npolicies;
	dbc_retain_health_policy *policies;
	int cap_policies;
	dbc_retain_health_archive *archives;
	int narchives, cap_archives;
} dbc_retain_health;

int dbc_retain_health_read(dbc_ctx *ctx, const dbc_retain_hooks *eng, dbc_retain_health *out);

/* The tables this database's archive policies write into, by qualified name
 * (dbc_qualified_name, as the schema model and its snapshot key them): they
 * are dbcare's, not the user's schema, so schema drift and
 * tables_without_primary_key leave them out (retain_archives.c). None when
 * the policies cannot be read (the error is forgotten: it is the error of
 * the checks that read them). */
int dbc_retain_archive_tables(dbc_ctx *ctx, dbc_strlist *out);

/* Finds table name (schema.table or table) in s; "dbcare:" error naming
 * argname when it is missing or ambiguous. */
int dbc_retain_find_table(dbc_ctx *ctx, const dbc_schema *s, const char *name, const char *argname,
                          const dbc_table **out);
/* The column of t named name (case folded where the engine folds names). */
/* "CONCURRENTLY " where the engine builds and drops an index without
 * blocking writes (the dialect's concurrently), else "": written after
 * CREATE [UNIQUE] INDEX / DROP INDEX. */
const char *dbc_retain_concurrently(dbc_ctx *ctx);
/* Written before a table name to read or delete its own rows only: "ONLY "
 * where tables inherit (the dialect's table_inheritance), else "". */
const char *dbc_retain_only(const dbc_ctx *ctx);
/* Where the engine locks rows apart from deleting them (eng->locked_ids):
 * runs pick, a query that locks the rows it returns, with its parameters;
 * *ids: their identities as the one text value eng->rows_among reads, *n:
 * how many. A row referenced after this cannot be referenced by a child
 * committed later, until the transaction ends. */
int dbc_retain_lock_rows(dbc_ctx *ctx, const dbc_retain_hooks *eng, const char *pick, int nparams,
                         const dbc_value *params, char **ids, int64_t *n);
const dbc_column *dbc_retain_find_column(const dbc_ctx *ctx, const dbc_table *t, const char *name);
/* Whether a declared type contains one of words (NULL-terminated; the
 * dialect's temporal_words: whether it holds a point in time). */
bool dbc_retain_temporal(const char *const *words, const char *type);
/* Whether two names (NULL: none) are the same, folding case where the
 * engine folds names. */
bool dbc_retain_same_name(const dbc_ctx *ctx, const char *a, const char *b);
/* Refuses (55000, "dbcare:" error naming what) to run statement event
 * ("DELETE", "UPDATE" or "INSERT") on table schema.name when it would run
 * code of another, less trusted role with the caller's rights
 * (eng->owner_code); DBC_OK when none would, or where the engine has no
 * roles. It first takes the statement's lock (owner_code does) and keeps it
 * to the end of the transaction: code added after the check waits for that
 * transaction, so every statement of it that follows runs what was checked.
 * Every dbcare call writing a user table calls it, in each transaction it
 * writes in, before its first write there. */
int dbc_retain_owner_code(dbc_ctx *ctx, const dbc_retain_hooks *eng, const char *schema,
                          const char *name, const char *event, const char *what);
/* Whether the part's bookkeeping table (its SQLite name, "dbcare_..." ) can
 * be read: false while the bookkeeping does not exist yet or predates it or
 * its column (a read then finds nothing); an error only when asking fails. */
int dbc_retain_book_readable(dbc_ctx *ctx, const char *table, const char *column, bool *readable);
/* Whether that table (with column) is there on its own, without the rest
 * of the bookkeeping: the file of an ATTACHed archive holds its archive
 * table alone. */
int dbc_retain_table_alone(dbc_ctx *ctx, const char *table, const char *column, bool *readable);

/* The name statements give t's row identity by: the dialect's row_id, or where tables
 * have a rowid (dialect rowid) the first of rowid, _rowid_ and oid that no
 * column of t hides; a "dbcare:" error when columns hide all three. */
int dbc_retain_row_id(dbc_ctx *ctx, const dbc_table *t, const char **out);
/* The condition "value lies before cutoff" (dbc_retain_hooks.before_sql). */
char *dbc_retain_before(dbc_ctx *ctx, const dbc_retain_hooks *eng, const char *value,
                        const char *cutoff);
/* The text of point in time expr (dbc_retain_hooks.time_text). */
char *dbc_retain_time_text(dbc_ctx *ctx, const dbc_retain_hooks *eng, const char *expr);

/* ------------------------------------ archives in another database */

/* An archive policy whose target is "archive-db:NAME" keeps its archive in
 * another database, which the command (dbcare retain --archive-db) reaches;
 * dbretain_apply leaves such a policy alone. The source's half of a batch
 * (retain_export.c): */
#define DBC_RETAIN_EXPORT_NCOLS 8
/* dbretain_export_next: the policy's batch in flight (picked or verified),
 * or a new one of at most max_rows (<= 0: retain.batch_size) due rows;
 * none when nothing is due. (batch_id, batch_key, stage, archive, source:
 * {policy, table, fingerprint}, rows, hash, payload: JSON lines, NULL once
 * verified). */
int dbc_retain_export_next(dbc_ctx *ctx, const dbc_retain_hooks *eng, const char *name,
                           int64_t max_rows, dbc_rows *out);
/* dbretain_export_mark: the archive holds batch_id with rows and hash;
 * they must be what the source recorded. *stage: the batch's stage after
 * (verified, or done when it was deleted before). */
int dbc_retain_export_mark(dbc_ctx *ctx, const dbc_retain_hooks *eng, const char *name,
                           int64_t batch_id, int64_t rows, const char *hash, char **stage);
/* dbretain_export_delete: deletes a verified batch's rows when they are
 * exactly the verified ones (*deleted: how many, 0 when done before), or
 * else deletes nothing and picks the batch again (*deleted -1: store it
 * again). */
int dbc_retain_export_delete(dbc_ctx *ctx, const dbc_retain_hooks *eng, const char *name,
                             int64_t batch_id, int64_t *deleted);

/* dbretain_archive_attached (SQLite): the next stage of the policy's batch
 * whose archive is the ATTACHed database schema, each call one transaction
 * writing one database: picks a batch (source), stores it (archive: the
 * rows read again, with the count and hash picked), or, once the archive
 * holds that count and hash, deletes the rows from the source as
 * dbretain_export_delete does (their stored copy read back and hashed in
 * the same transaction). *stage: "picked", "stored", "done" (*rows
 * deleted) or "idle" (nothing due). */
int dbc_retain_attached_step(dbc_ctx *ctx, const dbc_retain_hooks *eng, const char *name,
                             const char *schema, const char **stage, int64_t *rows);

/* The archive's half (retain_archive.c). */
typedef struct dbc_retain_archive_batch {
	/* source: the JSON object {policy, table, fingerprint} of
	 * dbretain_export_next */
	const char *key, *archive, *source, *hash, *lines, *codec;
	int64_t rows;
} dbc_retain_archive_batch;
#define DBC_RETAIN_ARCHIVE_STORE_NCOLS 2
/* dbretain_archive_store: stores the batch (the same again: a no-op; a
 * batch picked again replaces its copy); (rows, hash) read back. */
int dbc_retain_archive_store(dbc_ctx *ctx, const dbc_retain_archive_batch *in, dbc_rows *out);
/* The same into the archive table that follows prefix (an ATTACHed
 * database's); *rows and *hash read back. */
int dbc_retain_archive_store_in(dbc_ctx *ctx, const char *prefix,
                                const dbc_retain_archive_batch *in, int64_t *rows, char **hash);
/* The count and hash of batch key as the archive table after prefix holds
 * it, decoded and hashed again; *found false when it holds none. */
int dbc_retain_archive_held(dbc_ctx *ctx, const char *prefix, const char *key, bool *found,
                            int64_t *rows, char **hash);
#define DBC_RETAIN_ARCHIVE_READ_NCOLS 7
/* dbretain_archive_read: every archived row (of one archive, or all):
 * (archive, policy, source_table, fingerprint, batch_key, archived_at,
 * row JSON). */
int dbc_retain_archive_read(dbc_ctx *ctx, const char *archive, dbc_rows *out);

#endif
