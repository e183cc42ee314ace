/*
 * migrate_summary.c — the migration status in a few figures (current version,
 * pending, changed, missing, failed, applied) for dbmigrate_current,
 * dbmigrate_assert and health, which applications call at every start-up.
 * A stored summary answers in one row read; it is kept true by triggers that
 * clear it on every write to the migration tables (SQLite) or by the
 * generation of those tables it was derived at (PostgreSQL, see
 * host->status_stamp). Without one the whole status is derived, as
 * dbmigrate_status does.
 */
#include "migrate/migrate.h"
#include "migrate/migrate_model.h"
#include "migrate/migrate_store.h"
#include "migrate/migrate_version.h"

#include <string.h>

static dbc_cache_access cache_access(dbc_ctx *ctx)
{
	return ctx->host->status_cache ? ctx->host->status_cache(ctx) : DBC_CACHE_NONE;
}

typedef struct {
	dbc_migrate_summary *out;
	bool found;
} cached_row;

static int take_summary(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	cached_row *r = arg;
	if (ncol != 6)
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "unexpected migration summary row");
	int *counts[5] = {&r->out->pending, &r->out->changed, &r->out->missing, &r->out->failed,
	                  &r->out->applied};
	r->out->current = c[0].type == DBC_NULL ? NULL : dbc_migrate_text(ctx, &c[0]);
	for (int i = 0; i < 5; i++) {
		if (c[i + 1].type != DBC_INT)
			return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "unexpected migration summary row");
		*counts[i] = (int)c[i + 1].i;
	}
	r->found = true;
	return ctx->failed ? DBC_ERROR : DBC_OK;
}

/* The stored summary, if there is one (*found). A summary is stored only
 * with the bookkeeping complete, so a table dropped since then is reported
 * the way a derivation reports it rather than hidden behind the row. */
static int summary_cached(dbc_ctx *ctx, dbc_cache_access access, dbc_migrate_summary *out,
                          bool *found)
{
	bool exists = false;
	cached_row r = {out, false};
	*found = false;
	if (access == DBC_CACHE_NONE)
		return DBC_OK;
	if (ctx->host->book_exists(ctx, &exists) != DBC_OK)
		return DBC_ERROR;
	if (!exists)
		return DBC_OK;
	/* with a generation: only a row of the generation this snapshot sees */
	if (dbc_migrate_query(
	        ctx,
	        ctx->host->status_stamp
	            ? "SELECT s.current_version, s.pending, s.changed, s.missing, "
	              "s.failed, s.applied FROM @migrations_summary s "
	              "JOIN @migrations_generation g ON g.n = s.generation"
	            : "SELECT current_version, pending, changed, missing, failed, applied "
	              "FROM @migrations_summary",
	        0, NULL, take_summary, &r) != DBC_OK)
		return DBC_ERROR;
	*found = r.found;
	return DBC_OK;
}

static int derive(dbc_ctx *ctx, dbc_migrate_summary *out)
{
	dbc_migrate_set set;
	dbc_migrate_derived st;
	if (dbc_migrate_read(ctx, DBC_LOAD_META, &set) != DBC_OK ||
	    dbc_migrate_derive(ctx, &set, &st) != DBC_OK)
		return DBC_ERROR;
	out->current = st.current;
	out->pending = st.npending + st.nout_of_order + st.noutdated;
	out->changed = st.nchanged;
	out->missing = st.nmissing;
	out->failed = set.nfailed;
	out->applied = st.napplied + st.nchanged + st.noutdated;
	return DBC_OK;
}

static int take_stored(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	(void)ctx;
	(void)ncol;
	(void)c;
	*(bool *)arg = true;
	return DBC_OK;
}

static int store(dbc_ctx *ctx, const dbc_migrate_summary *s, int64_t stamp)
{
	dbc_value p[7] = {s->current ? dbc_text(s->current) : dbc_null(),
	                  dbc_int(s->pending),
	                  dbc_int(s->changed),
	                  dbc_int(s->missing),
	                  dbc_int(s->failed),
	                  dbc_int(s->applied),
	                  dbc_int(stamp)};
	/* With a generation: the row exists from the start; it is written only
	 * while the generation derived at is still the current one (a writer that
	 * committed during the derivation bumped it), and never waited for:
	 * another caller's open transaction that stored it keeps it locked. */
	if (ctx->host->status_stamp) {
		bool stored = false;
		if (dbc_migrate_query(
		        ctx,
		        "UPDATE @migrations_summary SET current_version = $1, pending = $2, changed = $3, "
		        "missing = $4, failed = $5, applied = $6, generation = $7 "
		        "WHERE id = 1 AND $7 = (SELECT g.n FROM @migrations_generation g WHERE g.id = 1) "
		        "AND id IN (SELECT l.id FROM @migrations_summary l WHERE l.id = 1 "
		        "FOR UPDATE SKIP LOCKED) RETURNING true",
		        7, p, take_stored, &stored) != DBC_OK)
			return DBC_ERROR;
		/* stored: done, with no INSERT, whose privilege an application role
		 * with SELECT and UPDATE on the row does not have */
		if (stored)
			return DBC_OK;
		/* a row deleted by hand comes back empty, for the next call to fill
		 * (a visible row, locked or not, is never waited for here) */
		return dbc_migrate_query(ctx,
		                         "INSERT INTO @migrations_summary (id) SELECT 1 WHERE NOT EXISTS "
		                         "(SELECT 1 FROM @migrations_summary) ON CONFLICT DO NOTHING",
		                         0, NULL, NULL, NULL);
	}
	return dbc_migrate_query(
	    ctx,
	    "INSERT INTO @migrations_summary "
	    "(id, current_version, pending, changed, missing, failed, applied) "
	    "VALUES (1, $1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO UPDATE SET "
	    "current_version = excluded.current_version, pending = excluded.pending, "
	    "changed = excluded.changed, missing = excluded.missing, "
	    "failed = excluded.failed, applied = excluded.applied",
	    6, p, NULL, NULL);
}

/*
 * Derives the summary and, where the call may, stores it. SQLite: reads and
 * store run in one transaction of their own, so the row describes one
 * snapshot: when another connection commits a change after the reads, the
 * store cannot take the write lock (SQLite refuses to upgrade a stale read at
 * once, without waiting) and nothing is stored. PostgreSQL: the generation is
 * read before the derivation's statements and compared again by the store,
 * so a writer that committed in between (every writer bumps it) leaves the
 * row as it was. Not storing costs only the next call's speed, so that
 * failure, like a read-only database, is forgotten.
 */
static int summary_derived(dbc_ctx *ctx, dbc_cache_access access, dbc_migrate_summary *out)
{
	int64_t stamp = 0;
	if (access == DBC_CACHE_WRITE && ctx->host->status_stamp &&
	    ctx->host->status_stamp(ctx, &stamp) != DBC_OK)
		return DBC_ERROR;
	if (access != DBC_CACHE_WRITE || stamp < 0)
		return derive(ctx, out);
	int level = ctx->host->savepoint(ctx);
	if (level < 0)
		return DBC_ERROR;
	if (derive(ctx, out) != DBC_OK) {
		ctx->host->rollback(ctx, level);
		return DBC_ERROR;
	}
	if (store(ctx, out, stamp) == DBC_OK && ctx->host->release(ctx, level) == DBC_OK)
		return DBC_OK;
	dbc_error_clear(ctx);
	ctx->host->rollback(ctx, level);
	dbc_error_clear(ctx);
	return DBC_OK;
}

/* access: what the call may do with the stored summary, at most what the
 * host allows */
static int summarise(dbc_ctx *ctx, dbc_cache_access access, dbc_migrate_summary *out)
{
	bool found;
	memset(out, 0, sizeof(*out));
	if (summary_cached(ctx, access, out, &found) != DBC_OK)
		return DBC_ERROR;
	return found ? DBC_OK : summary_derived(ctx, access, out);
}

int dbc_migrate_summarise(dbc_ctx *ctx, dbc_migrate_summary *out)
{
	return summarise(ctx, cache_access(ctx), out);
}

int dbc_migrate_summarise_read_only(dbc_ctx *ctx, dbc_migrate_summary *out)
{
	dbc_cache_access access = cache_access(ctx);
	return summarise(ctx, access == DBC_CACHE_WRITE ? DBC_CACHE_READ : access, out);
}

int dbc_migrate_split_running(dbc_ctx *ctx, dbc_migrate_summary *s)
{
	dbc_migrate_set set;
	s->running = 0;
	s->running_label = NULL;
	if (s->failed == 0)
		return DBC_OK;
	/* the history read now answers for both counts: a stored summary may
	 * predate a step that began or ended since */
	if (dbc_migrate_read(ctx, DBC_LOAD_META, &set) != DBC_OK)
		return DBC_ERROR;
	const dbc_failed *first = dbc_migrate_running(&set);
	for (int i = 0; i < set.nfailed; i++)
		s->running += set.failed[i].live;
	s->failed = set.nfailed - s->running;
	s->running_label = first ? dbc_migrate_failed_label(ctx, first) : NULL;
	return first && !s->running_label ? DBC_ERROR : DBC_OK;
}

int dbc_migrate_current(dbc_ctx *ctx, char **version)
{
	dbc_migrate_summary s;
	*version = NULL;
	if (dbc_migrate_summarise(ctx, &s) != DBC_OK)
		return DBC_ERROR;
	*version = s.current;
	return DBC_OK;
}

static int take_one_int(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	(void)ctx;
	*(int64_t *)arg = ncol == 1 && c[0].type == DBC_INT ? c[0].i : -1;
	return DBC_OK;
}

/*
 * assert's fast path where no summary is stored and none can be (SQLite
 * inside a transaction): one statement that can only prove the good case,
 * with nothing derived in C. The database is at `canon` or later when an
 * applied non-repeatable row has exactly that version; no migration is
 * changed or missing when every applied versioned row finds a registry row
 * with the same version, checksum and down checksum ("none" for no down
 * script; any, when the applied one is not known), one probe of the
 * registry's (version, checksum, down_checksum) index, which holds no script
 * text; or, without a
 * checksum, the same version, a baseline marker may have none, and every
 * applied repeatable is registered; failed ones are the unfinished history
 * rows. Anything else, including hand-edited, non-canonical versions or
 * checksums of another algorithm, counts as unproven: *proven stays false
 * and the caller derives the whole status, so messages and the rare
 * differences in judgement come from the one full derivation.
 */
static int assert_proven(dbc_ctx *ctx, const char *canon, bool *proven)
{
	*proven = false;
	bool exists = false;
	if (!ctx->host->dialect->assert_probe)
		return DBC_OK;
	if (ctx->host->book_exists(ctx, &exists) != DBC_OK)
		return DBC_ERROR;
	if (!exists)
		return DBC_OK;
	/* a layout older than down checksums (until its next changing call):
	 * the full derivation answers */
	if (ctx->host->book_has_column &&
	    (!ctx->host->book_has_column(ctx, "dbcare_migrations", "down_checksum") ||
	     !ctx->host->book_has_column(ctx, "dbcare_migrations_applied", "down_checksum")))
		return DBC_OK;
	int64_t n = -1;
	dbc_value p = dbc_text(canon);
	if (dbc_migrate_query(
	        ctx,
	        "SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM @migrations_applied "
	        "WHERE version = $1 AND kind <> 'repeatable') THEN 1 "
	        "ELSE (SELECT count(*) FROM @migrations_history WHERE NOT success) + "
	        "(SELECT count(*) FROM @migrations_applied a WHERE a.kind <> 'repeatable' AND NOT ("
	        "(a.down_checksum IS NULL AND "
	        "(a.version, a.checksum) IN (SELECT m.version, m.checksum FROM @migrations m)) OR "
	        "(a.version, a.checksum, a.down_checksum) IN "
	        "(SELECT m.version, m.checksum, coalesce(m.down_checksum, 'none') FROM @migrations m) "
	        "OR "
	        "(a.checksum IS NULL AND a.version IN (SELECT m.version FROM @migrations m)) OR "
	        "(a.kind = 'baseline' AND a.version NOT IN "
	        "(SELECT m.version FROM @migrations m WHERE m.version IS NOT NULL)))) + "
	        "(SELECT count(*) FROM @migrations_applied a WHERE a.kind = 'repeatable' AND "
	        "a.name NOT IN (SELECT m.name FROM @migrations m WHERE m.kind = 'repeatable')) END",
	        1, &p, take_one_int, &n) != DBC_OK)
		return DBC_ERROR;
	*proven = n == 0;
	return DBC_OK;
}

/* The label of a step running now in another session (*label, NULL when
 * none): asked only on an assert's error path, where the summary counts
 * unfinished events or the database is behind. */
static int running_step(dbc_ctx *ctx, const dbc_migrate_summary *s, char **label)
{
	dbc_migrate_set set;
	(void)s; /* a stored summary may predate the step: the history answers */
	*label = NULL;
	if (dbc_migrate_read(ctx, DBC_LOAD_META, &set) != DBC_OK)
		return DBC_ERROR;
	const dbc_failed *f = dbc_migrate_running(&set);
	*label = f ? dbc_migrate_failed_label(ctx, f) : NULL;
	return DBC_OK;
}

/* The error of an assert that found the database behind, and its hint:
 * a step running now outside a transaction first, named;
 * a migration run holding the lock in another session first (telling to
 * apply what is pending would start a second run behind it); else apply
 * what is pending; else nothing newer is registered as this
 * snapshot sees it, which is also what a reader sees while another
 * session's migration run has not committed yet (said for sure where the
 * engine can tell, asked before the error is raised; as a possibility
 * where it cannot). Always DBC_ERROR. */
static int assert_behind(dbc_ctx *ctx, const dbc_migrate_hooks *env, const dbc_migrate_summary *s,
                         const char *canon)
{
	bool running = false;
	char *step = NULL;
	if (running_step(ctx, s, &step) != DBC_OK ||
	    (!step && env && env->run_elsewhere && env->run_elsewhere(ctx, &running) != DBC_OK))
		return DBC_ERROR;
	dbc_error(ctx, DBC_SQLSTATE_BAD_STATE,
	          "database is at migration version %s, the application needs %s or later",
	          s->current ? s->current : "(none)", canon);
	if (step)
		dbc_error_hint(ctx,
		               "Migration %s is running now in another session, outside a "
		               "transaction: wait for it, and try again when it ends.",
		               step);
	else if (running)
		dbc_error_hint(ctx, "A migration run holds the migration lock in another session: "
		                    "what it registers and applies is not visible until it commits; "
		                    "try again when it ends.");
	else if (s->pending > 0)
		dbc_error_hint(ctx, "Apply the pending migrations: SELECT dbmigrate_apply().");
	else
		dbc_error_hint(ctx,
		               "No migration is pending: register the migration of version %s "
		               "(dbmigrate_add, dbmigrate_load) and apply it. A migration run in "
		               "another session is not visible until it commits: if one is in "
		               "progress, try again when it ends.",
		               canon);
	return DBC_ERROR;
}

int dbc_migrate_assert(dbc_ctx *ctx, const dbc_migrate_hooks *env, const char *version)
{
	dbc_cache_access access = cache_access(ctx);
	dbc_migrate_summary s;
	char *canon;
	bool found;
	if (dbc_version_canonical(ctx, version, "version", &canon) != DBC_OK ||
	    summary_cached(ctx, access, &s, &found) != DBC_OK)
		return DBC_ERROR;
	if (!found) {
		bool proven = false;
		if (access != DBC_CACHE_WRITE && assert_proven(ctx, canon, &proven) != DBC_OK)
			return DBC_ERROR;
		if (proven)
			return DBC_OK;
		if (summary_derived(ctx, access, &s) != DBC_OK)
			return DBC_ERROR;
	}
	if (!s.current || dbc_version_cmp(s.current, canon) < 0) {
		return assert_behind(ctx, env, &s, canon);
	}
	if (s.changed || s.missing || s.failed) {
		char *step = NULL;
		if (running_step(ctx, &s, &step) != DBC_OK)
			return DBC_ERROR;
		dbc_error(ctx, DBC_SQLSTATE_BAD_STATE,
		          "database at version %s has %d changed, %d missing and %d failed migration(s)",
		          s.current, s.changed, s.missing, s.failed);
		if (step)
			dbc_error_hint(ctx, "Migration %s is running now in another session: wait for it.",
			               step);
		else
			dbc_error_hint(ctx, "SELECT * FROM dbmigrate_validate() shows them.");
		return DBC_ERROR;
	}
	return DBC_OK;
}
