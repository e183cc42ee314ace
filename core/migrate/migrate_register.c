/*
 * migrate_register.c — registering migrations (dbmigrate_add,
 * dbmigrate_add_repeatable and the file reader's registrations): each script
 * normalised and checked, its checksum computed, a row inserted once (a
 * concurrent registration of the same text is no error, a different one is).
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

static bool is_blank(const char *s)
{
	for (; *s; s++)
		if (!strchr(" \t\r\n\f\v", *s))
			return false;
	return true;
}

/* Normalises and checks a script for registration; *norm is what is stored. */
static int prepare_script(dbc_ctx *ctx, const char *script, const char *what, const char *label,
                          char **norm, bool *no_tx, bool blank_ok)
{
	*norm = dbc_script_normalise(ctx, script);
	if (!*norm)
		return DBC_ERROR;
	if (is_blank(*norm) && !blank_ok)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "%s of migration %s is empty", what,
		                 label);
	dbc_script_info info;
	if (dbc_script_analyse(ctx, ctx->host->dialect, *norm, &info) != DBC_OK ||
	    dbc_script_check_shell(ctx, &info, ctx->host->dialect, label) != DBC_OK ||
	    dbc_script_check(ctx, &info, label, DBC_SQLSTATE_BAD_ARGUMENT) != DBC_OK)
		return DBC_ERROR;
	if (no_tx)
		*no_tx = info.no_transaction;
	return DBC_OK;
}

/* ------------------------------------------------------------ registration */

typedef struct {
	char *version_text;
	bool found;
} existing_row;

static int take_existing(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	existing_row *e = arg;
	e->found = true;
	if (ncol > 0)
		e->version_text = dbc_migrate_text(ctx, &c[0]);
	return ctx->failed ? DBC_ERROR : DBC_OK;
}

typedef struct {
	bool found;
	char *version_text, *name, *script, *down, *checksum;
	bool no_tx;
} registered_row;

static int take_registered_row(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	registered_row *r = arg;
	if (ncol < 6)
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "unexpected registry row");
	r->found = true;
	r->version_text = dbc_migrate_text(ctx, &c[0]);
	r->name = dbc_migrate_text(ctx, &c[1]);
	r->script = dbc_migrate_text(ctx, &c[2]);
	r->down = dbc_migrate_text(ctx, &c[3]);
	r->checksum = dbc_migrate_text(ctx, &c[4]);
	r->no_tx = dbc_migrate_bool(&c[5]);
	return ctx->failed ? DBC_ERROR : DBC_OK;
}

static int take_flag(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	(void)ctx;
	(void)ncol;
	(void)c;
	*(bool *)arg = true;
	return DBC_OK;
}

static bool same_text(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

/* The INSERT found a row registered since this call looked (another session
 * registering the same migration at the same time): the same content is the
 * contract's no-op, different content an error rather than a silent choice
 * of one of the two. The lookup is kind-aware: key is the version of a
 * versioned migration, else the name of a repeatable. */
static int registered_concurrently(dbc_ctx *ctx, bool repeatable, const char *key,
                                   const char *vtext, const char *name, const char *up,
                                   const char *down, const char *checksum, bool no_tx)
{
	registered_row r = {0};
	dbc_value p = dbc_text(key);
	if (dbc_migrate_query(ctx,
	                      repeatable ? "SELECT version_text, name, script, down_script, checksum, "
	                                   "no_transaction FROM @migrations "
	                                   "WHERE kind = 'repeatable' AND name = $1"
	                                 : "SELECT version_text, name, script, down_script, checksum, "
	                                   "no_transaction FROM @migrations WHERE version = $1",
	                      1, &p, take_registered_row, &r) != DBC_OK)
		return DBC_ERROR;
	if (!r.found) /* gone again (a concurrent load that failed): nothing to say */
		return DBC_OK;
	if (!repeatable && !same_text(r.version_text, vtext))
		return dbc_migrate_duplicate_error(ctx, vtext, r.version_text);
	if (same_text(r.name, name) && same_text(r.script, up) && same_text(r.down, down) &&
	    same_text(r.checksum, checksum) && r.no_tx == no_tx)
		return DBC_OK;
	char *label = repeatable ? dbc_printf(ctx, "repeatable (%s)", name)
	                         : dbc_printf(ctx, "%s (%s)", key, name);
	dbc_error(ctx, DBC_SQLSTATE_BAD_STATE,
	          "migration %s was registered by another session at the same time, with "
	          "different content",
	          label ? label : key);
	dbc_error_detail(ctx, "registered: \"%s\", checksum %s", r.name ? r.name : "",
	                 r.checksum ? r.checksum : "?");
	dbc_error_hint(ctx, "Check which content is meant; registering it again replaces the "
	                    "other while it is pending.");
	return DBC_ERROR;
}

/* Runs a registry INSERT ... ON CONFLICT DO NOTHING; *inserted: whether it
 * wrote its row (false: another session registered the key meanwhile).
 * Where the engine counts a statement's changes (the dialect's
 * changes_query) that count answers: a RETURNING clause costs SQLite more
 * than the rest of the row's insert (about 22,000 instructions a row, its
 * results gathered in an ephemeral table). Otherwise RETURNING 1 tells. */
static int insert_new(dbc_ctx *ctx, const char *insert, int n, const dbc_value *p, bool *inserted)
{
	const char *changes = ctx->host->dialect->changes_query;
	*inserted = false;
	if (!changes) {
		char *sql = dbc_printf(ctx, "%s RETURNING 1", insert);
		return sql ? dbc_migrate_query(ctx, sql, n, p, take_flag, inserted) : DBC_ERROR;
	}
	char *count = NULL;
	if (dbc_migrate_query(ctx, insert, n, p, NULL, NULL) != DBC_OK ||
	    dbc_query_text(ctx, changes, 0, NULL, &count, NULL) != DBC_OK)
		return DBC_ERROR;
	*inserted = count && strcmp(count, "0") != 0;
	return DBC_OK;
}

/* Inserts or replaces one versioned migration (already validated); down may
 * be NULL (bound as a NULL text parameter). exists says what this call read
 * before; another session may have inserted since, which the INSERT's
 * ON CONFLICT DO NOTHING notices instead of failing with a unique violation. */
int dbc_migrate_register_versioned(dbc_ctx *ctx, const char *canon, const char *vtext,
                                   const char *name, const char *up, const char *down,
                                   const char *checksum, const char *down_checksum, bool no_tx,
                                   bool exists)
{
	dbc_value p[8] = {dbc_text(canon),
	                  dbc_text(vtext),
	                  dbc_text(name),
	                  dbc_text(up),
	                  dbc_text(checksum),
	                  dbc_bool(no_tx),
	                  down ? dbc_text(down) : dbc_null(),
	                  down && down_checksum ? dbc_text(down_checksum) : dbc_null()};
	/* an identical UPDATE is the "same content again: no-op" of the contract */
	if (exists)
		return dbc_migrate_query(
		    ctx,
		    "UPDATE @migrations SET version_text = $2, name = $3, script = $4, "
		    "checksum = $5, no_transaction = $6, down_script = $7, "
		    "down_checksum = $8 WHERE version = $1",
		    8, p, NULL, NULL);
	bool inserted = false;
	if (insert_new(ctx,
	               "INSERT INTO @migrations (kind, version, version_text, name, script, "
	               "checksum, no_transaction, down_script, down_checksum) "
	               "VALUES ('versioned', $1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
	               8, p, &inserted) != DBC_OK)
		return DBC_ERROR;
	if (inserted)
		return DBC_OK;
	return registered_concurrently(ctx, false, canon, vtext, name, up, down, checksum, no_tx);
}

int dbc_migrate_register_repeatable(dbc_ctx *ctx, const char *name, const char *sql,
                                    const char *checksum, bool no_tx, bool exists)
{
	dbc_value p[4] = {dbc_text(name), dbc_text(sql), dbc_text(checksum), dbc_bool(no_tx)};
	if (exists)
		return dbc_migrate_query(
		    ctx,
		    "UPDATE @migrations SET script = $2, checksum = $3, no_transaction = $4 "
		    "WHERE kind = 'repeatable' AND name = $1",
		    4, p, NULL, NULL);
	bool inserted = false;
	if (insert_new(ctx,
	               "INSERT INTO @migrations (kind, name, script, checksum, no_transaction) "
	               "VALUES ('repeatable', $1, $2, $3, $4) ON CONFLICT DO NOTHING",
	               4, p, &inserted) != DBC_OK)
		return DBC_ERROR;
	if (inserted)
		return DBC_OK;
	return registered_concurrently(ctx, true, name, NULL, name, sql, NULL, checksum, no_tx);
}

int dbc_migrate_duplicate_error(dbc_ctx *ctx, const char *given, const char *registered)
{
	dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
	          "version %s is the same version as the registered version %s", given, registered);
	dbc_error_hint(ctx, "Versions compare by number: 1.0 and 1 (or 1_2 and 1.2) are one version. "
	                    "Register the migration under its existing version text.");
	return DBC_ERROR;
}

int dbc_migrate_check_versioned(dbc_ctx *ctx, const char *version, const char *name, const char *up,
                                const char *down, bool from_file, dbc_migrate_checked *out)
{
	char *label;
	*out = (dbc_migrate_checked){.version = version, .name = name};
	if (dbc_version_canonical(ctx, version, "version", &out->canon) != DBC_OK)
		return DBC_ERROR;
	if (is_blank(name))
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "name of migration %s is empty",
		                 out->canon);
	if (dbc_migrate_check_name(ctx, name,
	                           dbc_printf(ctx, "the name of migration %s", out->canon)) != DBC_OK)
		return DBC_ERROR;
	label = dbc_printf(ctx, "%s (%s)", out->canon, name);
	if (!label ||
	    prepare_script(ctx, up, "up script", label, &out->up, &out->no_tx, from_file) != DBC_OK ||
	    (down &&
	     prepare_script(ctx, down, "down script", label, &out->down, NULL, from_file) != DBC_OK) ||
	    (out->down && dbc_script_checksum(ctx, out->down, &out->down_checksum) != DBC_OK) ||
	    dbc_script_checksum(ctx, out->up, &out->checksum) != DBC_OK)
		return DBC_ERROR;
	return DBC_OK;
}

int dbc_migrate_check_repeatable(dbc_ctx *ctx, const char *name, const char *sql, bool from_file,
                                 dbc_migrate_checked *out)
{
	char *label;
	*out = (dbc_migrate_checked){.repeatable = true, .name = name};
	if (is_blank(name))
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "name of repeatable migration is empty");
	if (dbc_migrate_check_name(ctx, name, "the name of a repeatable migration") != DBC_OK)
		return DBC_ERROR;
	label = dbc_printf(ctx, "repeatable (%s)", name);
	if (!label ||
	    prepare_script(ctx, sql, "script", label, &out->up, &out->no_tx, from_file) != DBC_OK ||
	    dbc_script_checksum(ctx, out->up, &out->checksum) != DBC_OK)
		return DBC_ERROR;
	return DBC_OK;
}

int dbc_migrate_register_checked(dbc_ctx *ctx, const dbc_migrate_checked *m)
{
	existing_row e = {NULL, false};
	if (m->repeatable) {
		dbc_value p = dbc_text(m->name);
		if (dbc_migrate_query(
		        ctx, "SELECT name FROM @migrations WHERE kind = 'repeatable' AND name = $1", 1, &p,
		        take_existing, &e) != DBC_OK)
			return DBC_ERROR;
		return dbc_migrate_register_repeatable(ctx, m->name, m->up, m->checksum, m->no_tx, e.found);
	}
	dbc_value p = dbc_text(m->canon);
	if (dbc_migrate_query(ctx, "SELECT version_text FROM @migrations WHERE version = $1", 1, &p,
	                      take_existing, &e) != DBC_OK)
		return DBC_ERROR;
	if (e.found && e.version_text && strcmp(e.version_text, m->version) != 0)
		return dbc_migrate_duplicate_error(ctx, m->version, e.version_text);
	return dbc_migrate_register_versioned(ctx, m->canon, m->version, m->name, m->up, m->down,
	                                      m->checksum, m->down_checksum, m->no_tx, e.found);
}

/* One checked migration registered under the re-entrancy guard, the
 * bookkeeping made first when missing. */
static int register_alone(dbc_ctx *ctx, const dbc_migrate_checked *m, char **checksum)
{
	*checksum = m->checksum;
	if (dbc_migrate_guard_enter(ctx) != DBC_OK)
		return DBC_ERROR;
	int rc = ctx->host->book_ensure(ctx);
	if (rc == DBC_OK)
		rc = dbc_migrate_register_checked(ctx, m);
	dbc_migrate_guard_leave();
	return rc;
}

int dbc_migrate_add(dbc_ctx *ctx, const char *version, const char *name, const char *up,
                    const char *down, char **checksum)
{
	dbc_migrate_checked m;
	if (dbc_migrate_check_versioned(ctx, version, name, up, down, false, &m) != DBC_OK)
		return DBC_ERROR;
	return register_alone(ctx, &m, checksum);
}

int dbc_migrate_add_repeatable(dbc_ctx *ctx, const char *name, const char *sql, char **checksum)
{
	dbc_migrate_checked m;
	if (dbc_migrate_check_repeatable(ctx, name, sql, false, &m) != DBC_OK)
		return DBC_ERROR;
	return register_alone(ctx, &m, checksum);
}
