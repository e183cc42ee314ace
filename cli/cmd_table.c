/*
 * cmd_table.c — every command of dbcare, one entry each. Adding a command
 * is one entry here and one run function; main.c refuses every option an
 * entry does not list.
 */
#include "cli.h"

#include <string.h>

const cli_command cli_commands[] = {
    /* connecting */
    {"wait", "[--timeout 60s]", "wait until the database accepts connections", OPT_TIMEOUT, 0, 0,
     CMD_OWN_CONNECT, cmd_wait},
    {"create", "", "create the database (a SQLite file, a PostgreSQL database)", 0, 0, 0,
     CMD_OWN_CONNECT, cmd_create},
    {"drop", "", "drop the database (a SQLite file and its -wal, -shm)", 0, 0, 0, CMD_OWN_CONNECT,
     cmd_drop},
    /* migrations */
    {"status", "[--dir D] [--exit-code]", "migrations and their state (exit 1 when pending)",
     OPT_DIR | OPT_EXIT_CODE, 0, 0, 0, cmd_status},
    {"migrate", "[--dir D] [--to V] [--dry-run] [--commit-each]",
     "register the files and apply what is pending",
     OPT_DIR | OPT_TO | OPT_DRY_RUN | OPT_COMMIT_EACH | OPT_CANARY | OPT_DUMP_SCHEMA |
         OPT_SCHEMA_FILE,
     0, 0, CMD_CREATES, cmd_migrate},
    {"rollback", "[--to V | --steps N] [--dump-schema]", "run down scripts, newest first",
     OPT_TO | OPT_STEPS | OPT_DUMP_SCHEMA | OPT_SCHEMA_FILE, 0, 0, 0, cmd_rollback},
    {"verify", "[--dir D] [--to V] | BACKUP | --all-backups",
     "prove pending migrations up, down, up; or re-verify a backup",
     OPT_DIR | OPT_TO | OPT_ALL_BACKUPS | OPT_KEY_FILE, 0, 1, CMD_ARGS_ONE_DB, cmd_verify},
    {"validate", "[--dir D]", "changed, missing, out-of-order migrations, drift (exit 1)", OPT_DIR,
     0, 0, 0, cmd_validate},
    {"baseline", "VERSION [--dir D]", "mark migrations up to VERSION as applied", OPT_DIR, 1, 1,
     CMD_CREATES, cmd_baseline},
    {"repair", "[--dir D]", "accept the files as they are now, forget missing ones", OPT_DIR, 0, 0,
     0, cmd_repair},
    {"history", "", "every migration event, oldest first", 0, 0, 0, 0, cmd_history},
    {"script", "[--dir D] [--to V]", "the psql or sqlite3 script of the pending migrations",
     OPT_DIR | OPT_TO, 0, 0, 0, cmd_script},
    {"new", "NAME [--dir D]", "create the next V<n>__NAME.sql and U<n>__NAME.sql", OPT_DIR, 1, 1,
     CMD_NO_DB, cmd_new},
    {"lint", "[--dir D] [--version V] [--fail-on L]",
     "lint findings of the pending migrations (exit 3 on an error)",
     OPT_DIR | OPT_VERSION | OPT_FAIL_ON, 0, 0, 0, cmd_lint},
    /* health and checks */
    {"health", "[--mode M] [--format F] [--fail-on L]",
     "health report (exit 3 when the status reaches --fail-on)",
     OPT_MODE | OPT_FAIL_ON | OPT_FORMAT_PROM, 0, 0, 0, cmd_health},
    {"check", "", "constraints verified against the rows (exit 3 on violations)", 0, 0, 0, 0,
     cmd_check},
    {"orphans", "[--delete]", "child rows without parent (exit 3 when any are left)", OPT_DELETE, 0,
     0, 0, cmd_orphans},
    /* lifecycle */
    {"maintain", "[--mode M] [--include LIST] [--dry-run]",
     "the maintenance plan, run (rows outside a transaction too)",
     OPT_MODE | OPT_INCLUDE | OPT_DRY_RUN, 0, 0, 0, cmd_maintain},
    {"retain",
     "[--policy P] [--budget T] [--sleep-ms N] [--attach N=PATH]\n"
     "       [--archive-db URL] [--archive-codec zstd|none]",
     "retention policies applied in committed batches",
     OPT_POLICY | OPT_BUDGET | OPT_SLEEP_MS | OPT_ATTACH | OPT_ARCHIVE_DB | OPT_ARCHIVE_CODEC, 0, 0,
     0, cmd_retain},
    {"backup",
     "[PATH] [--incremental] [--compress zstd]\n"
     "       [--encrypt-key-file F] [--stanza S] [--type full|diff|incr]\n"
     "       | drill [BACKUP] [--encrypt-key-file F]",
     "a verified backup; pg_dump or pgBackRest (PG); a restore drill",
     OPT_INCREMENTAL | OPT_STANZA | OPT_BACKUP_TYPE | OPT_COMPRESS | OPT_KEY_FILE, 0, 2,
     CMD_ARGS_ONE_DB, cmd_backup},
    {"backups", "[prune --keep N [--days D] [--apply]]",
     "the backup catalog; prune old SQLite backups (dry run: no --apply)",
     OPT_KEEP | OPT_DAYS | OPT_APPLY, 0, 1, 0, cmd_backups},
    {"restore",
     "FILE [--from DIR] [--encrypt-key-file F]\n"
     "       | --to-mark LABEL [DIR] | --to-time TIME DIR [--stanza S]\n"
     "       | --to-time TIME DIR (SQLite: DIR a dbcare log)",
     "SQLite: verify FILE, its chain, copy it in; PostgreSQL: to a time",
     OPT_STANZA | OPT_TO_TIME | OPT_KEY_FILE | OPT_TO_MARK | OPT_FROM, 0, 1,
     CMD_ARGS_ONE_DB | CMD_CREATES | CMD_UNDO_NEW, cmd_restore},
    {"log", "DIR [--segment-interval T] [--segment-bytes N]\n"
            "       [--sleep-ms N] [--run-for T] [--compress zstd]\n"
            "       [--encrypt-key-file F] | status DIR\n"
            "       | prune DIR --keep N [--apply]",
     "SQLite: capture every commit into DIR for restore --to-time",
     OPT_SEGMENT | OPT_RUN_FOR | OPT_SLEEP_MS | OPT_KEEP | OPT_APPLY | OPT_COMPRESS | OPT_KEY_FILE, 1,
     2, CMD_OWN_CONNECT,
     cmd_log},
    {"audit", "history TABLE KEY_JSON", "the audit log of one row, oldest first", 0, 3, 3, 0,
     cmd_audit},
    {"config", "[list | get KEY | set KEY VALUE]", "dbcare's settings: list, read, change one", 0,
     0, 3, 0, cmd_config},
    {"dump", "[FILE]", "the schema as SQL in FILE (default db/schema.sql)", OPT_SCHEMA_FILE, 0, 1,
     CMD_ARGS_ONE_DB, cmd_dump},
    {"schema", "snapshot | fingerprint | diff A B", "the schema as JSON, its hash, or a diff", 0, 1,
     3, 0, cmd_schema},
    /* observing */
    {"serve", "[--listen HOST:PORT] [--scrape-timeout T] [--allow-writes]",
     "health, readiness and metrics over HTTP (Prometheus, probes)",
     OPT_DIR | OPT_MODE | OPT_LISTEN | OPT_SCRAPE_TIMEOUT | OPT_MIN_INTERVAL | OPT_REPORT_EVERY |
         OPT_ALLOW_WRITES | OPT_TOKEN_FILE,
     0, 0, CMD_WHOLE_FLEET, cmd_serve},
    {"report", "--html FILE [--mode M]",
     "an HTML page: score, findings, tables, migrations, backups", OPT_HTML | OPT_MODE, 0, 0,
     CMD_WHOLE_FLEET, cmd_report},
    {"alert-rules", "[FILE]", "Prometheus alert rules from the checks' thresholds", 0, 0, 1,
     CMD_DB_OPTIONAL, cmd_alert_rules},
    {"generate", "--to FILE NAME [--dir D] [--allow-drop]",
     "write the migration from the live schema to FILE's (proved first)",
     OPT_TO | OPT_DIR | OPT_ALLOW_DROP, 1, 1, CMD_ARGS_ONE_DB, cmd_generate},
    {NULL, NULL, NULL, 0, 0, 0, 0, NULL}};

/* Other names, as dbmate and golang-migrate call them. */
static const char *const aliases[][2] = {{"up", "migrate"}, {"down", "rollback"}, {NULL, NULL}};

const cli_command *cli_find_command(const char *name)
{
	for (int i = 0; aliases[i][0]; i++)
		if (strcmp(name, aliases[i][0]) == 0)
			name = aliases[i][1];
	for (const cli_command *c = cli_commands; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}
