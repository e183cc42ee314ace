/*
 * health_migrations.c — the migration summary one health run shares: the
 * migrations check (health_hooks.c) and the report's metrics (health_run.c)
 * both read it, so it sits below both.
 */
#include "health/health.h"

#include "migrate/migrate.h"

/* The migration summary of this run: the migrations check and the metrics
 * both need it, and deriving it reads the bookkeeping (PostgreSQL keeps no
 * stored summary). A failed summary is not kept, so whoever asks next tries
 * again and fails on its own, as before. Its unfinished steps are told apart
 * (dbc_migrate_split_running): one running now in another session is work
 * in progress, not a failure. */
int dbc_health_migration_summary(dbc_ctx *ctx, const dbc_health_hooks *eng,
                                 dbc_migrate_summary *out)
{
	dbc_health_shared *sh = eng->shared;
	if (sh && sh->migrations) {
		*out = *sh->migrations;
		return DBC_OK;
	}
	/* a report reads, never writes: no summary is stored for the next call */
	if (dbc_migrate_summarise_read_only(ctx, out) != DBC_OK ||
	    dbc_migrate_split_running(ctx, out) != DBC_OK)
		return DBC_ERROR;
	if (sh) {
		sh->migrations = dbc_alloc(ctx, sizeof(*sh->migrations));
		if (!sh->migrations)
			return DBC_ERROR;
		*sh->migrations = *out;
	}
	return DBC_OK;
}

int dbc_health_migration_metrics(dbc_ctx *ctx, const dbc_health_hooks *eng, dbc_health_metrics *m)
{
	dbc_migrate_summary sum;
	if (dbc_health_migration_summary(ctx, eng, &sum) != DBC_OK)
		return DBC_ERROR;
	m->migration_version = sum.current;
	m->pending_migrations = sum.pending;
	return DBC_OK;
}
