/*
 * migrate_flow.h — what the files of the dbmigrate_* flows share, private to
 * core/migrate: migrate_read.c (status, plans, drift) under migrate_run.c
 * (apply, rollback, running a script) under migrate_verify.c and
 * migrate_baseline.c; migrate_register.c beside them.
 */
#ifndef DBC_MIGRATE_FLOW_H
#define DBC_MIGRATE_FLOW_H

#include "migrate/migrate.h"
#include "migrate/migrate_store.h"
#include "migrate/rename_log.h"

/* migrate_read.c: the bookkeeping read (mode) and the state derived. */
int dbc_migrate_read_status(dbc_ctx *ctx, dbc_load_mode mode, dbc_migrate_set *set,
                            dbc_migrate_derived *st);
/* A version given as an option, canonical; NULL when v is. */
int dbc_migrate_canonical_opt(dbc_ctx *ctx, const char *v, const char *what, char **out);
/* The migrations an apply up to target would run, in order. */
int dbc_migrate_plan_apply(dbc_ctx *ctx, dbc_load_mode mode, const char *target,
                           dbc_migrate_set *set, dbc_migrate_derived *st, dbc_migrate_row ***plan,
                           int *n);
/* Whether the live schema differs from the last snapshot (*drift), with the
 * changes in *diff. */
int dbc_migrate_drift_rows(dbc_ctx *ctx, dbc_schema **live, dbc_schema_changes *diff, bool *drift);

/* migrate_run.c: how a migration is named in messages. */
char *dbc_migrate_label_of(dbc_ctx *ctx, const dbc_migration *m);
/* The first script of a call always polls for a cancel. */
void dbc_migrate_poll_reset(void);
/* Runs a script statement by statement; a failure names its line. */
int dbc_migrate_run_script(dbc_ctx *ctx, const char *script, const char *verb, const char *label,
                           const dbc_rename_source *src);

/* migrate_keys.c: foreign keys around a run of migrations, by SQLite's own
 * procedure for schema changes: enforcement off before the transaction
 * opens, every key checked before it commits, the caller's setting back on
 * every path. Where enforcement cannot be turned off (the caller's
 * transaction is open), a statement whose DROP TABLE would make the
 * children's ON DELETE actions delete or change rows is refused instead. */
typedef struct dbc_migrate_keys {
	const dbc_keys_hooks *h;
	bool suspended; /* enforcement was turned off for the run */
	bool guarded;   /* enforced during the run: DROP TABLE is checked */
} dbc_migrate_keys;
/* Before dbc_migrate_frame_begin; nothing to undo when it fails. */
int dbc_migrate_keys_begin(dbc_ctx *ctx, const dbc_migrate_hooks *env, dbc_migrate_keys *k);
/* Before dbc_migrate_frame_end of a run that changed something: a key the run
 * left broken fails it (the frame then rolls everything back). */
int dbc_migrate_keys_check(dbc_ctx *ctx, const dbc_migrate_keys *k);
/* After dbc_migrate_frame_end, on every path: the caller's setting back. */
int dbc_migrate_keys_end(dbc_ctx *ctx, dbc_migrate_keys *k, int rc);
/* Before a statement text[0..len) of migration label runs (at line). */
int dbc_migrate_keys_statement(dbc_ctx *ctx, const char *text, size_t len, const char *label,
                               int line);
/* A dbmigrate_script step, whose statements the shell runs with the
 * connection's setting (inside the step's transaction, or at top level for
 * a no-transaction one): with foreign keys on, refused before anything runs
 * where a DROP TABLE of script would delete or change children's rows. */
int dbc_migrate_keys_script(dbc_ctx *ctx, const dbc_migrate_hooks *env, const char *script,
                            const char *label);

#endif
