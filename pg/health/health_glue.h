/*
 * pg/health/health_glue.h — the health report's PostgreSQL engine (pg/health/health.c)
 * and the gatherers other glue files give it.
 */
#ifndef PGDBC_HEALTH_GLUE_H
#define PGDBC_HEALTH_GLUE_H

#include "health/health.h"

/* Hands the health part's hooks (the gatherers, filled per report) to the
 * host's table, at load. */
struct dbc_api_hooks;
void pgdbc_health_register(struct dbc_api_hooks *api);

/* The check backups (pg/backup/backup.c) and the check audit (pg/audit/fn_audit.c). */
int pgdbc_gather_backups(dbc_ctx *ctx, const dbc_health_hooks *eng, dbc_health_mode mode,
                         dbc_health_fact *fact);
int pgdbc_gather_audit(dbc_ctx *ctx, const dbc_health_hooks *eng, dbc_health_mode mode,
                       dbc_health_fact *fact);

/* The check table_bloat: measured with pgstattuple_approx where it is
 * installed, within health.table_bloat.budget_ms, else estimated
 * (pg/health/bloat_measured.c). */
int pgdbc_gather_table_bloat(dbc_ctx *ctx, const dbc_health_hooks *eng, dbc_health_mode mode,
                             dbc_health_fact *fact);

#endif
