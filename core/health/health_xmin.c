/*
 * health_xmin.c — the xmin horizon's holder, linked to the bloat it keeps:
 * while xmin_horizon finds a holder past its warn line, VACUUM cannot remove
 * the dead tuples newer than the horizon, so the fragmentation finding
 * names the holder (the report's hint here, the plan's row in core/maintain,
 * both from dbc_health_xmin_holder).
 */
#include "health/health.h"

const char *dbc_health_xmin_holder(const dbc_health_report *r)
{
	for (int i = 0; i < r->nresults; i++) {
		const dbc_health_result *res = &r->results[i];
		const dbc_health_fact *fact = &r->facts[i];
		if (res->def->id != DBC_HC_XMIN_HORIZON ||
		    (res->status != DBC_CHECK_WARNING && res->status != DBC_CHECK_CRITICAL) ||
		    res->warn_at < 0)
			continue;
		/* the oldest first: the gatherer's rows are by age */
		for (int k = 0; k < fact->nobjects; k++) {
			const dbc_health_object *o = &fact->objects[k];
			if (o->value > res->warn_at &&
			    !dbc_health_ignored(&r->ignore, o->schema, o->name, o->table))
				return o->name;
		}
	}
	return NULL;
}

int dbc_health_link_xmin_holder(dbc_ctx *ctx, dbc_health_report *r)
{
	const char *holder = dbc_health_xmin_holder(r);
	for (int i = 0; holder && i < r->nresults; i++) {
		dbc_health_result *res = &r->results[i];
		if (res->def->id != DBC_HC_FRAGMENTATION ||
		    (res->status != DBC_CHECK_WARNING && res->status != DBC_CHECK_CRITICAL))
			continue;
		res->hint = dbc_printf(ctx,
		                       "VACUUM cannot remove these dead tuples while %s holds the xmin "
		                       "horizon back: end it first (xmin_horizon).%s%s",
		                       holder, res->hint ? " " : "", res->hint ? res->hint : "");
		if (!res->hint)
			return DBC_ERROR;
	}
	return DBC_OK;
}
