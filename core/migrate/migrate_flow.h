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
int dbc_mig_read_status(dbc_ctx *ctx, dbc_load_mode mode, dbc_mig_set *set, dbc_mig_status *st);
/* A version given as an option, canonical; NULL when v is. */
int dbc_mig_canonical_opt(dbc_ctx *ctx, const char *v, const char *what, char **out);
/* The migrations an apply up to target would run, in order. */
int dbc_mig_plan_apply(dbc_ctx *ctx, dbc_load_mode mode, const char *target, dbc_mig_set *set,
                       dbc_mig_status *st, dbc_mig_row ***plan, int *n);
/* Whether the live schema differs from the last snapshot (*drift), with the
 * changes in *diff. */
int dbc_mig_drift_rows(dbc_ctx *ctx, dbc_schema **live, dbc_schema_changes *diff, bool *drift);

/* migrate_run.c: how a migration is named in messages. */
char *dbc_mig_label_of(dbc_ctx *ctx, const dbc_mig *m);
/* The first script of a call always polls for a cancel. */
void dbc_mig_poll_reset(void);
/* Runs a script statement by statement; a failure names its line. */
int dbc_mig_run_script(dbc_ctx *ctx, const char *script, const char *verb, const char *label,
                       const dbc_rename_source *src);

#endif
