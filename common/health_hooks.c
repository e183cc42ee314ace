/*
 * health_hooks.c — the health checks answered by other features of common/:
 * migration state and drift (migrations), constraint and orphan checks
 * (dbcheck). Each is one function here, so wiring a feature in touches one place.
 */
#include "health.h"

/* The migrations feature is not part of this build yet: say so, never guess. */
int dbc_health_gather_migrations(dbc_ctx *ctx, const dbc_health_engine *eng, dbc_health_mode mode,
                                 dbc_health_fact *fact)
{
	(void)eng, (void)mode;
	dbc_health_skip(ctx, fact, "migration bookkeeping is not available in this build", NULL);
	return DBC_OK;
}

int dbc_health_gather_schema_drift(dbc_ctx *ctx, const dbc_health_engine *eng,
                                   dbc_health_mode mode, dbc_health_fact *fact)
{
	(void)eng, (void)mode;
	dbc_health_skip(ctx, fact, "migration bookkeeping is not available in this build", NULL);
	return DBC_OK;
}

/* HOOK(check): foreign_key_violations, constraint_violations and orphans call
 * the constraint-check core (common/check*.h) once it is in the build. */
int dbc_health_gather_fk_violations(dbc_ctx *ctx, const dbc_health_engine *eng,
                                    dbc_health_mode mode, dbc_health_fact *fact)
{
	(void)eng, (void)mode;
	dbc_health_skip(ctx, fact, "constraint checks are not available in this build", NULL);
	return DBC_OK;
}

int dbc_health_gather_constraint_violations(dbc_ctx *ctx, const dbc_health_engine *eng,
                                            dbc_health_mode mode, dbc_health_fact *fact)
{
	(void)eng, (void)mode;
	dbc_health_skip(ctx, fact, "constraint checks are not available in this build", NULL);
	return DBC_OK;
}

int dbc_health_gather_orphans(dbc_ctx *ctx, const dbc_health_engine *eng, dbc_health_mode mode,
                              dbc_health_fact *fact)
{
	(void)eng, (void)mode;
	dbc_health_skip(ctx, fact, "constraint checks are not available in this build", NULL);
	return DBC_OK;
}

int dbc_health_migration_metrics(dbc_ctx *ctx, const dbc_health_engine *eng,
                                 dbc_health_metrics *m)
{
	(void)ctx, (void)eng, (void)m;
	return DBC_OK;
}
