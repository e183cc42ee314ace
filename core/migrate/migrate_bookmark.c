/*
 * migrate_bookmark.c — read-your-migration (docs/migrations.md, "Reading
 * your migration on a standby"): dbmigrate_bookmark, dbmigrate_wait and
 * dbmigrate_assert(version, bookmark[, timeout]).
 *
 * A bookmark is text, 'VERSION@LSN': the version applied when it was taken
 * (empty when none) and the WAL position every transaction committed by
 * then ends at or before. A standby that has replayed to LSN shows a new
 * snapshot that migration and everything before it. Where the engine does
 * not replicate (SQLite: one engine, one file) a bookmark is 'VERSION' and
 * a wait returns at once. The version is read before the position, so the
 * position is never older than the version's commit. The engine tells the
 * position and sleeps (dbc_replica_hooks); every decision is here.
 */
#include "api/api.h"
#include "base/clock.h"
#include "migrate/migrate.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* how long a wait sleeps between two looks at the standby's position */
#define BOOKMARK_POLL_MS 10

static const dbc_replica_hooks *replica_of(dbc_ctx *ctx)
{
	return dbc_api_engine_of(ctx)->migrate->replica;
}

/* an LSN as PostgreSQL writes it: two hexadecimal halves */
static char *lsn_text(dbc_ctx *ctx, uint64_t lsn)
{
	return dbc_printf(ctx, "%" PRIX32 "/%" PRIX32, (uint32_t)(lsn >> 32), (uint32_t)lsn);
}

static bool lsn_half(const char *s, const char **end, uint32_t *half)
{
	char *stop;
	unsigned long v;
	if (!isxdigit((unsigned char)*s))
		return false;
	errno = 0;
	v = strtoul(s, &stop, 16);
	if (errno || v > UINT32_MAX || stop - s > 8)
		return false;
	*half = (uint32_t)v;
	*end = stop;
	return true;
}

static bool lsn_parse(const char *s, uint64_t *lsn)
{
	uint32_t hi, lo;
	const char *p;
	if (!lsn_half(s, &p, &hi) || *p != '/' || !lsn_half(p + 1, &p, &lo) || *p)
		return false;
	*lsn = (uint64_t)hi << 32 | lo;
	return true;
}

typedef struct bookmark {
	const char *version; /* "" when none was applied */
	bool has_lsn;
	uint64_t lsn;
} bookmark;

/* Splits at the last '@' (an LSN holds none; a version might). */
static int bookmark_parse(dbc_ctx *ctx, const char *text, bookmark *b)
{
	const char *at = strrchr(text, '@');
	b->has_lsn = at != NULL;
	b->version = at ? dbc_printf(ctx, "%.*s", (int)(at - text), text) : text;
	if (!at || lsn_parse(at + 1, &b->lsn))
		return DBC_OK;
	dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "bookmark \"%s\" is not VERSION@LSN", text);
	dbc_error_hint(ctx, "Pass the text dbmigrate_bookmark() returned on the primary.");
	return DBC_ERROR;
}

/* A timeout as PostgreSQL's settings write one: a number, then ms, s, min
 * or h (none: seconds). */
static int timeout_parse(dbc_ctx *ctx, const char *text, double *ms)
{
	static const struct {
		const char *unit;
		double ms;
	} units[] = {{"", 1000}, {"ms", 1}, {"s", 1000}, {"min", 60000}, {"h", 3600000}};
	char *end;
	double v = strtod(text, &end);
	for (size_t k = 0; end != text && isfinite(v) && v >= 0 && k < sizeof units / sizeof *units;
	     k++)
		if (strcmp(end, units[k].unit) == 0) {
			*ms = v * units[k].ms;
			return DBC_OK;
		}
	dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "timeout \"%s\" is not a duration", text);
	dbc_error_hint(ctx, "Write a number of ms, s, min or h, such as '5s' or '500ms'.");
	return DBC_ERROR;
}

int dbc_call_dbmigrate_bookmark(dbc_ctx *ctx, const dbc_value *args, dbc_value *result)
{
	const dbc_replica_hooks *replica = replica_of(ctx);
	char *version = NULL;
	bool standby;
	uint64_t lsn;
	(void)args;
	if (dbc_migrate_current(ctx, &version) != DBC_OK)
		return DBC_ERROR;
	if (!version)
		version = "";
	if (!replica) {
		*result = dbc_text(version);
		return DBC_OK;
	}
	if (replica->wal_position(ctx, &standby, &lsn) != DBC_OK)
		return DBC_ERROR;
	*result = dbc_text(dbc_printf(ctx, "%s@%s", version, lsn_text(ctx, lsn)));
	return DBC_OK;
}

static int wait_timed_out(dbc_ctx *ctx, const char *text, uint64_t want, uint64_t replayed,
                          double waited_ms)
{
	dbc_error(ctx, DBC_SQLSTATE_LOCK_TIMEOUT,
	          "this standby has not replayed bookmark %s after %.0f ms: it has replayed to %s, "
	          "%" PRIu64 " bytes of WAL behind",
	          text, waited_ms, lsn_text(ctx, replayed), want - replayed);
	dbc_error_hint(ctx, "Look at pg_stat_wal_receiver and pg_is_wal_replay_paused() on this "
	                    "standby, and pg_stat_replication on the primary; or wait longer.");
	return DBC_ERROR;
}

/* Until this server shows what the bookmark saw: at once on a primary (it
 * wrote it) and where there is no replication. */
static int wait_replayed(dbc_ctx *ctx, const char *text, const bookmark *b, double timeout_ms)
{
	const dbc_replica_hooks *replica = replica_of(ctx);
	double start = dbc_monotonic_ms();
	if (!replica || !b->has_lsn)
		return DBC_OK;
	for (;;) {
		bool standby;
		uint64_t replayed;
		double waited;
		if (replica->wal_position(ctx, &standby, &replayed) != DBC_OK)
			return DBC_ERROR;
		if (!standby || replayed >= b->lsn)
			return DBC_OK;
		waited = dbc_monotonic_ms() - start;
		if (waited >= timeout_ms)
			return wait_timed_out(ctx, text, b->lsn, replayed, waited);
		if (replica->pause(ctx, BOOKMARK_POLL_MS) != DBC_OK)
			return DBC_ERROR;
	}
}

static int wait_for(dbc_ctx *ctx, const char *text, const char *timeout, bookmark *b)
{
	double timeout_ms;
	if (bookmark_parse(ctx, text, b) != DBC_OK ||
	    timeout_parse(ctx, timeout, &timeout_ms) != DBC_OK)
		return DBC_ERROR;
	return wait_replayed(ctx, text, b, timeout_ms);
}

/* The version visible once replayed: read by a statement of its own, so
 * under READ COMMITTED with a snapshot newer than the wait. */
int dbc_call_dbmigrate_wait(dbc_ctx *ctx, const dbc_value *args, dbc_value *result)
{
	bookmark b;
	char *version = NULL;
	if (wait_for(ctx, args[0].s, args[1].s, &b) != DBC_OK ||
	    dbc_migrate_current(ctx, &version) != DBC_OK)
		return DBC_ERROR;
	*result = version ? dbc_text(version) : dbc_null();
	return DBC_OK;
}

/* dbmigrate_assert(version, bookmark[, timeout]): the wait, then the
 * assert; a NULL bookmark waits for nothing. */
int dbc_call_dbmigrate_assert_bookmark(dbc_ctx *ctx, const dbc_value *args, dbc_value *result)
{
	bookmark b;
	if (args[1].type == DBC_TEXT && wait_for(ctx, args[1].s, args[2].s, &b) != DBC_OK)
		return DBC_ERROR;
	*result = dbc_bool(true);
	return dbc_migrate_assert(ctx, dbc_api_engine_of(ctx)->migrate, args[0].s);
}
