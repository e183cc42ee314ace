/*
 * settings_catalog.c — the general keys, and the catalogue they make with the
 * keys of the parts above settings, which the host lists
 * (dbc_host.settings_sources): settings depends on no part above it.
 */
#include "settings/settings.h"

#include <string.h>

static const dbc_setting_def general[] = {
    {"migrate.out_of_order", "refuse",
     "What dbmigrate_apply does with a pending migration older than the current version: "
     "refuse (the default) or allow (apply it).",
     DBC_SETTING_CHOICE, "refuse|allow", 0, 0},
    {"migrate.lock_timeout_ms", "10000",
     "How long dbmigrate_apply and dbmigrate_rollback wait for the migration lock, in "
     "milliseconds (0 waits forever).",
     DBC_SETTING_INT, NULL, 0, 86400000},
    {"migrate.lint", "warn",
     "What dbmigrate_apply and dbmigrate_plan do with the findings of dbmigrate_lint: off "
     "(nothing), warn (the default: show them as notices) or enforce (dbmigrate_apply refuses "
     "a migration with an error or warning finding).",
     DBC_SETTING_CHOICE, "off|warn|enforce", 0, 0},
    {"migrate.trusted_registrants", "",
     "PostgreSQL: comma-separated roles whose registered migrations dbmigrate_apply, "
     "dbmigrate_rollback, dbmigrate_verify and dbmigrate_script run although they lack the "
     "applying role's rights (honoured only for roles that cannot change dbcare's settings). "
     "SQLite ignores it.",
     DBC_SETTING_LIST, NULL, 0, 0},
    {"migrate.backup_before", "off",
     "SQLite: whether dbmigrate_apply and dbmigrate_rollback take and verify a backup "
     "(dbbackup_create) before they change anything, and name it in the history row.",
     DBC_SETTING_BOOL, NULL, 0, 0},
    {"backup.dir", "",
     "Where a backup goes when no path is given: SQLite's dbbackup_create and dbcare backup "
     "write there, PostgreSQL's dbcare backup (pg_dump) too (empty: SQLite needs a path, "
     "pg_dump writes into the working directory). An absolute path: a relative one would "
     "name another directory for each process (cron, the command, the application). Or "
     "s3://BUCKET/PREFIX or azure://CONTAINER/PREFIX: dbcare backup uploads there as with "
     "--copy-to (credentials from the environment, never in the value).",
     DBC_SETTING_DIR, NULL, 0, 0},
    {"backup.log.dir", "",
     "SQLite: the directory an application connection with the module loaded captures the "
     "point-in-time log into, right after each of its commits (empty: no capture; dbcare log "
     "and dbcare restore --to-time read the same log). An absolute path; or "
     "s3://BUCKET/PREFIX or azure://CONTAINER/PREFIX, which dbcare log DIR ships the log to "
     "as with --copy-to (application connections then capture nothing).",
     DBC_SETTING_DIR, NULL, 0, 0},
    {"backup.stage_dir", "",
     "SQLite: with backup.dir an object store's URL, the local folder where the backups the "
     "module makes itself (dbbackup_create() without a path, dbbackup_mark(), "
     "migrate.backup_before) and dbcare backup without PATH are written, verified and "
     "catalogued, to wait for dbcare backup (or dbcare backup --ship) to upload them (empty: "
     "those SQL calls are refused, and dbcare backup writes into its working directory). An "
     "absolute path (not the root directory, nor a store's URL): the module does no network "
     "I/O.",
     DBC_SETTING_FOLDER, NULL, 0, 0},
    {"backup.timeout_ms", "60000",
     "SQLite: how long dbbackup_create may take to get a consistent copy before it fails, in "
     "milliseconds.",
     DBC_SETTING_INT, NULL, 1, 86400000},
    {"backup.verify", "quick",
     "SQLite: the storage check of a backup's verification: quick (PRAGMA quick_check) or full "
     "(PRAGMA integrity_check).",
     DBC_SETTING_CHOICE, "quick|full", 0, 0},
    {"backup.pgbackrest.stanza", "",
     "PostgreSQL: the pgBackRest stanza `dbcare backup` drives (empty: pg_dump); `dbcare "
     "restore --to-time` restores from it. pgBackRest's own configuration (pgbackrest.conf) "
     "holds the rest, its cipher passphrase included.",
     DBC_SETTING_LIST, NULL, 0, 0},
    {"schema.catalog_reader", "auto",
     "How the SQLite module reads table columns and index keys: auto (from the CREATE texts "
     "where fully understood, each column confirmed by SQLite, the pragmas otherwise) or "
     "pragma (always the pragma table-valued functions, slower). PostgreSQL ignores it.",
     DBC_SETTING_CHOICE, "auto|pragma", 0, 0},
    {"audit.hash_chain", "off",
     "Whether dbaudit_enable chains the entries of a table it starts auditing with SHA-256 "
     "(the default of its option hash_chain; dbaudit_verify checks the chain).",
     DBC_SETTING_BOOL, NULL, 0, 0},
    {"health.ignore", "",
     "Comma-separated object names (table, index, sequence) that the health checks skip.",
     DBC_SETTING_LIST, NULL, 0, 0},
    {"retain.batch_size", "5000",
     "How many rows one batch of a retention policy archives or deletes (dbretain_apply, "
     "dbretain_run), and dbretain_apply's default max_rows.",
     DBC_SETTING_INT, NULL, 1, 1000000},
    {"retain.sleep_ms", "0",
     "PostgreSQL: how long dbretain_run sleeps after each committed batch, in milliseconds.",
     DBC_SETTING_INT, NULL, 0, 3600000},
    {"retain.max_duration_ms", "0",
     "PostgreSQL: after how many milliseconds dbretain_run stops starting batches (0: it "
     "runs until nothing is due).",
     DBC_SETTING_INT, NULL, 0, 86400000},
};

int dbc_settings_add(dbc_ctx *ctx, dbc_setting_list *l, const dbc_setting_def *def)
{
	if (dbc_grow(ctx, &l->defs, l->n, &l->cap, sizeof(*l->defs), 32) != DBC_OK)
		return DBC_ERROR;
	l->defs[l->n++] = *def;
	return DBC_OK;
}

int dbc_settings_general(dbc_ctx *ctx, dbc_setting_list *out)
{
	for (size_t i = 0; i < sizeof(general) / sizeof(general[0]); i++)
		if (dbc_settings_add(ctx, out, &general[i]) != DBC_OK)
			return DBC_ERROR;
	return DBC_OK;
}

int dbc_setting_def_of(dbc_ctx *ctx, const char *key, dbc_setting_def *out, bool *found)
{
	for (size_t i = 0; i < sizeof(general) / sizeof(general[0]); i++) {
		if (strcmp(general[i].key, key) == 0) {
			*out = general[i];
			*found = true;
			return DBC_OK;
		}
	}
	*found = false;
	const dbc_settings_source *const *src = ctx->host->settings_sources;
	for (int i = 0; src && src[i] && !*found; i++)
		if (src[i]->def_of(ctx, key, out, found) != DBC_OK)
			return DBC_ERROR;
	return DBC_OK;
}

/* Keys that apply to one engine only (the other ignores them); every other
 * general key applies to both. A health check's own keys apply where the
 * check runs. dbcare_settings lists the current engine's keys; dbcare_set
 * still accepts the others, so one settings script serves both engines. */
static const struct {
	const char *key;
	unsigned engines;
} one_engine[] = {
    {"migrate.trusted_registrants", DBC_ENGINE_PG},
    {"schema.catalog_reader", DBC_ENGINE_SQLITE},
    {"migrate.backup_before", DBC_ENGINE_SQLITE},
    {"backup.log.dir", DBC_ENGINE_SQLITE},
    {"backup.stage_dir", DBC_ENGINE_SQLITE},
    {"backup.timeout_ms", DBC_ENGINE_SQLITE},
    {"backup.verify", DBC_ENGINE_SQLITE},
    {"backup.pgbackrest.stanza", DBC_ENGINE_PG},
    {"health.backups.require_archiving", DBC_ENGINE_PG},
    {"health.backups.max_archive_age", DBC_ENGINE_PG},
    {"health.backups.max_ship_wait", DBC_ENGINE_SQLITE},
    {"health.slow_queries.min_ms", DBC_ENGINE_PG},
    {"health.table_bloat.budget_ms", DBC_ENGINE_PG},
    {"retain.sleep_ms", DBC_ENGINE_PG},
    {"retain.max_duration_ms", DBC_ENGINE_PG},
};

bool dbc_setting_applies(dbc_ctx *ctx, const char *key)
{
	unsigned here = ctx->host->dialect->engine_bit;
	for (size_t i = 0; i < sizeof(one_engine) / sizeof(one_engine[0]); i++)
		if (strcmp(one_engine[i].key, key) == 0)
			return (one_engine[i].engines & here) != 0;
	const dbc_settings_source *const *src = ctx->host->settings_sources;
	for (int i = 0; src && src[i]; i++) {
		unsigned engines = src[i]->engines(key);
		if (engines)
			return (engines & here) != 0;
	}
	return true;
}
