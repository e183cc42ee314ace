/*
 * health_fit.c — the growth samples and their least-squares fit (bytes per
 * day), shared by the database's growth (health_growth.c) and each table's
 * (health_tables.c).
 */
#include "health/health.h"

int dbc_health_samples_add(dbc_ctx *ctx, dbc_health_samples *s, double epoch, double size_bytes)
{
	if (dbc_grow(ctx, &s->items, s->n, &s->cap, sizeof(*s->items), 32) != DBC_OK)
		return DBC_ERROR;
	s->items[s->n].epoch = epoch;
	s->items[s->n].size_bytes = size_bytes;
	s->n++;
	return DBC_OK;
}

bool dbc_health_fit(const dbc_health_samples *s, double *bytes_per_day, double *intercept)
{
	if (s->n < 2)
		return false;
	/* x in days since the first sample keeps the sums well conditioned */
	double t0 = s->items[0].epoch, sx = 0, sy = 0;
	for (int i = 0; i < s->n; i++) {
		sx += (s->items[i].epoch - t0) / 86400.0;
		sy += s->items[i].size_bytes;
	}
	double mx = sx / s->n, my = sy / s->n, sxx = 0, sxy = 0;
	for (int i = 0; i < s->n; i++) {
		double dx = (s->items[i].epoch - t0) / 86400.0 - mx;
		sxx += dx * dx;
		sxy += dx * (s->items[i].size_bytes - my);
	}
	if (sxx <= 0) /* every sample at one instant: no slope to speak of */
		return false;
	*bytes_per_day = sxy / sxx;
	if (intercept)
		*intercept = my - *bytes_per_day * mx; /* size at the first sample's time */
	return true;
}
