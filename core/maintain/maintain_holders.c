/*
 * maintain_holders.c — the repair of what holds the xmin horizon back
 * (xmin_horizon): ending the holder, the only thing that lets VACUUM remove
 * the dead tuples newer than the horizon. Every such end loses work (a
 * prepared transaction's changes, a session's open transaction, what a
 * slot's consumer has not read), so each row is destructive: never run
 * unasked. (The fragmentation rows name the holder instead of a VACUUM
 * that cannot work while it stays: dbc_health_xmin_holder.)
 */
#include "maintain/maintain_private.h"

#include <stdlib.h>
#include <string.h>

/* A backend's pid as the statement may carry it: digits only, or NULL. */
static const char *plain_pid(const char *text)
{
	if (!text || !*text || strlen(text) > 10)
		return NULL;
	for (const char *c = text; *c; c++)
		if (*c < '0' || *c > '9')
			return NULL;
	return text;
}

/* The statement that ends holder o (NULL: none runs from here: a standby's
 * feedback is turned off on the standby); outside: must run outside a
 * transaction block. Names are quoted as literals by the host. */
static char *end_statement(dbc_ctx *ctx, const dbc_health_object *o, bool *outside)
{
	*outside = false;
	if (!o->type || !o->holder)
		return NULL;
	if (strcmp(o->type, "prepared") == 0) {
		char *gid = ctx->host->quote_literal(ctx, o->holder);
		*outside = true; /* ROLLBACK PREPARED refuses a transaction block */
		return gid ? dbc_printf(ctx, "ROLLBACK PREPARED %s", gid) : NULL;
	}
	if (strcmp(o->type, "session") == 0) {
		const char *pid = plain_pid(o->holder);
		return pid ? dbc_printf(ctx, "SELECT pg_catalog.pg_terminate_backend(%s)", pid) : NULL;
	}
	if (strcmp(o->type, "slot") == 0) {
		char *name = ctx->host->quote_literal(ctx, o->holder);
		return name ? dbc_printf(ctx, "SELECT pg_catalog.pg_drop_replication_slot(%s)", name)
		            : NULL;
	}
	return NULL;
}

int dbc_maintain_plan_xmin_holders(dbc_ctx *ctx, const dbc_maintain_findings *f,
                                   dbc_maintain_plan *p)
{
	for (int i = 0; i < f->fact->nobjects; i++) {
		const dbc_health_object *o = &f->fact->objects[i];
		if (!dbc_maintain_wanted(f, o))
			continue;
		bool outside;
		char *statement = end_statement(ctx, o, &outside);
		if (ctx->failed)
			return DBC_ERROR;
		const char *standby = o->type && strcmp(o->type, "standby") == 0
		                          ? "; on the standby (this server cannot end it): end the long "
		                            "query there (its own xmin_horizon and dbmaintain_plan name "
		                            "the session, pg_terminate_backend) or turn the feedback off: "
		                            "ALTER SYSTEM SET hot_standby_feedback = off; SELECT "
		                            "pg_catalog.pg_reload_conf()"
		                          : "";
		char *reason = dbc_printf(
		    ctx, "xmin_horizon: %s pins the xmin %.0f transactions back%s%s%s%s", o->name, o->value,
		    o->detail ? " (" : "", o->detail ? o->detail : "", o->detail ? ")" : "", standby);
		if (!reason || !dbc_maintain_add_step(ctx, p, o->name, "end_holder", reason, statement,
		                                      DBC_MAINTAIN_DESTRUCTIVE, outside, COST_CATALOG))
			return DBC_ERROR;
	}
	return DBC_OK;
}
