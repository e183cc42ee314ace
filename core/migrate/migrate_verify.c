/*
 * migrate_verify.c — dbmigrate_verify: a migration's up and down run inside
 * one transaction that is rolled back, proving the down script returns the
 * schema to what it was.
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

/* ------------------------------------------------------------ verify */

/* PostgreSQL's "unsafe use of new value": an enum value added in this
 * transaction, used before it commits. dbmigrate_run commits between
 * migrations, so there such a step succeeds; one transaction cannot prove it. */
#define SQLSTATE_UNSAFE_NEW_ENUM_VALUE "55P04"

/* Runs script in its own savepoint; on failure rolls it back and returns the
 * error text (the ctx error cleared) in *err, and whether it failed only
 * because an enum value added earlier in the transaction is not committed
 * yet in *uncommitted_enum. */
static int try_script(dbc_ctx *ctx, const char *script, const char *verb, const char *label,
                      int *level, char **err, bool *uncommitted_enum)
{
	*err = NULL;
	*uncommitted_enum = false;
	*level = ctx->host->savepoint(ctx);
	if (*level < 0)
		return DBC_ERROR;
	if (dbc_migrate_run_script(ctx, script, verb, label, NULL) == DBC_OK)
		return DBC_OK;
	*err = dbc_strdup(ctx, ctx->message ? ctx->message : "failed");
	*uncommitted_enum = strcmp(ctx->sqlstate, SQLSTATE_UNSAFE_NEW_ENUM_VALUE) == 0;
	dbc_error_clear(ctx);
	ctx->host->rollback(ctx, *level);
	*level = -1;
	return ctx->failed ? DBC_ERROR : DBC_OK;
}

static int fingerprint_now(dbc_ctx *ctx, char **fp)
{
	return dbc_schema_fingerprint(ctx, ctx->host->read_schema, fp);
}

static const char *enum_detail(dbc_ctx *ctx, const char *err)
{
	return dbc_printf(ctx,
	                  "not provable in one transaction: it uses an enum value added in this "
	                  "call, which CALL dbmigrate_run() commits first (%s)",
	                  err);
}

/* Proves the down script of m, and up after it, from the state just after
 * m's up, then rolls that proof back: the next migration starts from the
 * state the real apply leaves, whatever the down script did (issue: a no-op
 * up whose down drops a column must not make later proofs start without
 * it). Fills row[3..5]. */
static int prove_down(dbc_ctx *ctx, const dbc_migration *m, const char *label, const char *fp0,
                      dbc_value *row)
{
	char *err = NULL, *fp1 = NULL;
	bool enum_err = false;
	int level = -1;
	if (try_script(ctx, m->down_script, "verifying the down script of", label, &level, &err,
	               &enum_err) != DBC_OK)
		return DBC_ERROR;
	if (err) {
		row[3] = enum_err ? dbc_null() : dbc_bool(false);
		row[5] = dbc_text(enum_err ? enum_detail(ctx, err) : err);
		return DBC_OK;
	}
	row[3] = dbc_bool(true);
	if (fingerprint_now(ctx, &fp1) != DBC_OK)
		return DBC_ERROR;
	bool same = strcmp(fp0, fp1) == 0;
	row[4] = dbc_bool(same);
	if (!same)
		row[5] = dbc_text("the schema after up and down differs from the schema before up");
	/* up again after down, as a rollback and a later apply would */
	if (dbc_migrate_run_script(ctx, m->script, "re-applying", label, NULL) != DBC_OK) {
		err = dbc_strdup(ctx, ctx->message);
		dbc_error_clear(ctx);
		if (ctx->failed)
			return DBC_ERROR;
		row[5] = dbc_text(dbc_printf(ctx, "up failed after down: %s", err));
	}
	return ctx->host->rollback(ctx, level);
}

int dbc_migrate_verify(dbc_ctx *ctx, const dbc_migrate_hooks *env, const char *version,
                       dbc_rows *out)
{
	dbc_migrate_frame f;
	dbc_migrate_set set;
	dbc_migrate_derived st;
	dbc_migrate_row **plan;
	int n = 0, rc;
	/* why the remaining migrations are not tried; NULL while they are */
	const char *stopped = NULL;
	dbc_rows_init(out, ctx, 6);
	if (version && !dbc_version_valid(version))
		return dbc_version_canonical(ctx, version, "version", &(char *){NULL});
	/* the proof runs the scripts as apply would: foreign keys likewise */
	dbc_migrate_keys keys;
	if (dbc_migrate_keys_begin(ctx, env, &keys) != DBC_OK)
		return DBC_ERROR;
	rc = dbc_migrate_frame_begin(ctx, env, &f, true);
	if (rc == DBC_OK)
		rc = dbc_migrate_plan_apply(ctx, DBC_LOAD_ALL, version, &set, &st, &plan, &n);
	if (rc == DBC_OK)
		rc = dbc_migrate_check_registrants(ctx, env, plan, n, "verify");
	dbc_migrate_poll_reset();
	/* Each migration is proven from the state the real apply reaches just
	 * before it: the ups before it applied, nothing else. When that state
	 * cannot be reached here (an up failed, or was not run), the rest are
	 * listed as not tried, with the reason. */
	for (int i = 0; rc == DBC_OK && i < n; i++) {
		const dbc_migration *m = plan[i]->mig;
		char *label = dbc_migrate_label_of(ctx, m), *err = NULL, *fp0 = NULL;
		bool enum_err = false;
		dbc_value row[6] = {dbc_text(m->version), dbc_text(m->name), dbc_null(),
		                    dbc_null(),           dbc_null(),        dbc_null()};
		int up_level = -1;
		dbc_progress(ctx, i + 1, n, dbc_printf(ctx, "verifying %s", label));
		if (stopped) {
			row[5] = dbc_text(stopped);
		} else if (m->no_transaction) {
			row[5] = dbc_text("non-transactional: run it with dbmigrate_script() on a copy");
			stopped = dbc_printf(ctx,
			                     "not tried: the non-transactional migration %s before it "
			                     "was not run",
			                     label);
		} else {
			if (m->has_down && (rc = fingerprint_now(ctx, &fp0)) != DBC_OK)
				break;
			if ((rc = try_script(ctx, m->script, "verifying", label, &up_level, &err, &enum_err)) !=
			    DBC_OK)
				break;
			if (err) {
				row[2] = enum_err ? dbc_null() : dbc_bool(false);
				row[5] = dbc_text(enum_err ? enum_detail(ctx, err) : err);
				stopped = dbc_printf(ctx, "not tried: migration %s before it %s", label,
				                     enum_err ? "could not be proven" : "failed");
			} else {
				row[2] = dbc_bool(true);
				if (m->has_down)
					rc = prove_down(ctx, m, label, fp0, row);
				if (rc == DBC_OK)
					rc = ctx->host->release(ctx, up_level);
			}
		}
		if (rc == DBC_OK)
			rc = dbc_rows_add(out, row);
	}
	if (rc != DBC_OK)
		return dbc_migrate_keys_end(ctx, &keys, dbc_migrate_frame_end(ctx, &f, rc));
	/* nothing of the proof is kept: schema, history and registry as before */
	return dbc_migrate_keys_end(ctx, &keys, dbc_migrate_frame_discard(ctx, &f));
}
