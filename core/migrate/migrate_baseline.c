/*
 * migrate_baseline.c — adopting an existing database (dbmigrate_baseline:
 * the versions up to one marked applied without running) and repairing the
 * bookkeeping (dbmigrate_repair).
 */
#include "base/clock.h"
#include "migrate/migrate.h"
#include "migrate/migrate_flow.h"
#include "migrate/lint.h"
#include "migrate/migrate_checksum.h"
#include "migrate/migrate_script.h"
#include "migrate/migrate_store.h"
#include "migrate/migrate_text.h"
#include "migrate/migrate_trust.h"
#include "migrate/migrate_version.h"
#include "migrate/rename_log.h"
#include "settings/settings.h"

#include <string.h>
#include <strings.h>

/* ------------------------------------------------------------ baseline, repair */

typedef struct {
	int64_t n;
} count_arg;

static int take_count(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	count_arg *ca = arg;
	bool isnull;
	if (ncol > 0)
		ca->n = (int64_t)dbc_migrate_num(&c[0], &isnull);
	(void)ctx;
	return DBC_OK;
}

int dbc_migrate_baseline(dbc_ctx *ctx, const dbc_migrate_hooks *env, const char *version,
                         int64_t *count)
{
	dbc_migrate_frame f;
	dbc_migrate_set set;
	dbc_migrate_derived st;
	char *canon;
	count_arg events = {0};
	int64_t n = 0;
	bool registered = false;
	*count = 0;
	if (dbc_version_canonical(ctx, version, "baseline version", &canon) != DBC_OK)
		return DBC_ERROR;
	int rc = dbc_migrate_frame_begin(ctx, env, &f, true);
	if (rc == DBC_OK)
		rc = dbc_migrate_query(ctx, "SELECT count(*) FROM @migrations_history", 0, NULL, take_count,
		                       &events);
	if (rc == DBC_OK)
		rc = dbc_migrate_read_status(ctx, DBC_LOAD_META, &set, &st);
	if (rc == DBC_OK && (events.n > 0 || set.napplied > 0)) {
		dbc_error(ctx, DBC_SQLSTATE_BAD_STATE,
		          "cannot baseline: the migration history is not empty (%lld event(s))",
		          (long long)events.n);
		dbc_error_hint(ctx, "dbmigrate_baseline adopts a database that dbcare has never migrated.");
		rc = DBC_ERROR;
	}
	for (int i = 0; rc == DBC_OK && i < st.nrows; i++) {
		const dbc_migration *m = st.rows[i].mig;
		if (!m || m->repeatable || dbc_version_cmp(m->version, canon) > 0)
			continue;
		if (dbc_version_cmp(m->version, canon) == 0)
			registered = true;
		dbc_value p[3] = {dbc_text(m->version), dbc_text(m->name), dbc_text(m->checksum)};
		rc = dbc_migrate_query(ctx,
		                       "INSERT INTO @migrations_applied (kind, version, name, checksum) "
		                       "VALUES ('baseline', $1, $2, $3)",
		                       3, p, NULL, NULL);
		if (rc == DBC_OK)
			rc = dbc_migrate_record(ctx, m->version, m->name, "baseline", "baseline", m->checksum,
			                        -1, true, NULL, 0);
		n++;
	}
	if (rc == DBC_OK && !registered) {
		/* a marker, so the current version is the baseline even with nothing registered */
		dbc_value p[2] = {dbc_text(canon), dbc_text("<< baseline >>")};
		rc = dbc_migrate_query(ctx,
		                       "INSERT INTO @migrations_applied (kind, version, name) "
		                       "VALUES ('baseline', $1, $2)",
		                       2, p, NULL, NULL);
		if (rc == DBC_OK)
			rc = dbc_migrate_record(ctx, canon, "<< baseline >>", "baseline", "baseline", NULL, -1,
			                        true, NULL, 0);
	}
	if (rc == DBC_OK)
		rc = dbc_migrate_store_snapshot(ctx, 0);
	rc = dbc_migrate_frame_end(ctx, &f, rc);
	if (rc == DBC_OK)
		*count = n;
	return rc;
}

/* The record of a step running now is not a failure: removing it would let
 * another run start the same migration beside it. Nothing is repaired. */
static int refuse_running(dbc_ctx *ctx, const dbc_failed *f)
{
	dbc_error(ctx, DBC_SQLSTATE_BAD_STATE,
	          "cannot repair: migration %s is running now in another session: wait for it",
	          dbc_migrate_failed_label(ctx, f));
	dbc_error_detail(ctx, "Its unfinished record is the mark of a run in progress, not of a "
	                      "run that died.");
	dbc_error_hint(ctx, "Nothing was repaired. Repair when it has ended, if it did not finish.");
	return DBC_ERROR;
}

int dbc_migrate_repair(dbc_ctx *ctx, const dbc_migrate_hooks *env, int64_t *count)
{
	dbc_migrate_frame f;
	dbc_migrate_set set;
	dbc_migrate_derived st;
	dbc_schema_changes diff;
	dbc_schema *live = NULL;
	bool drift = false;
	int nchanged = 0, nmissing = 0;
	*count = 0;
	int rc = dbc_migrate_frame_begin(ctx, env, &f, true);
	if (rc == DBC_OK)
		rc = dbc_migrate_read_status(ctx, DBC_LOAD_META, &set, &st);
	if (rc == DBC_OK && dbc_migrate_running(&set))
		rc = refuse_running(ctx, dbc_migrate_running(&set));
	for (int i = 0; rc == DBC_OK && i < st.nrows; i++) {
		const dbc_migrate_row *r = &st.rows[i];
		if (r->state == DBC_MS_CHANGED) {
			const char *down = dbc_migrate_down_to_record(r->mig);
			dbc_value p[4] = {dbc_text(r->mig->checksum), dbc_text(r->mig->name),
			                  dbc_text(r->mig->version), down ? dbc_text(down) : dbc_null()};
			rc = dbc_migrate_query(ctx,
			                       "UPDATE @migrations_applied SET checksum = $1, name = $2, "
			                       "down_checksum = $4 WHERE version = $3",
			                       4, p, NULL, NULL);
			nchanged++;
		} else if (r->state == DBC_MS_MISSING) {
			const dbc_applied *a = r->applied;
			dbc_value p = dbc_text(a->version ? a->version : a->name);
			rc = dbc_migrate_query(ctx,
			                       a->version ? "DELETE FROM @migrations_applied WHERE version = $1"
			                                  : "DELETE FROM @migrations_applied "
			                                    "WHERE kind = 'repeatable' AND name = $1",
			                       1, &p, NULL, NULL);
			nmissing++;
		}
	}
	if (rc == DBC_OK && set.nfailed)
		rc = dbc_migrate_query(ctx, "DELETE FROM @migrations_history WHERE NOT success", 0, NULL,
		                       NULL, NULL);
	if (rc == DBC_OK)
		rc = dbc_migrate_drift_rows(ctx, &live, &diff, &drift);
	int64_t n = nchanged + nmissing + set.nfailed + (drift ? 1 : 0);
	if (rc == DBC_OK && n > 0) {
		char *what = dbc_printf(ctx,
		                        "repair: accepted %d changed checksum(s), forgot %d missing "
		                        "migration(s), removed %d unfinished record(s)%s",
		                        nchanged, nmissing, set.nfailed,
		                        drift ? ", accepted the current schema (drift)" : "");
		rc = dbc_migrate_record(ctx, NULL, what, "repair", "repair", NULL, -1, true, NULL, 0);
		if (rc == DBC_OK)
			rc = dbc_migrate_store_snapshot(ctx, 0);
	}
	rc = dbc_migrate_frame_end(ctx, &f, rc);
	if (rc == DBC_OK)
		*count = n;
	return rc;
}
