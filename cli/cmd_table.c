/*
 * cmd_table.c — every command of dbcare, one entry each. Adding a command
 * is one entry here and one run function; the option table
 * (options_list.h, options_table.c) names the commands that take each
 * option, and main.c refuses every other.
 */
#include "cli.h"

#include <string.h>

const cli_command cli_commands[] = {
    /* connecting */
    {"wait", "[--timeout 60s]", "wait until the database accepts connections", 0, 0,
     CMD_OWN_CONNECT, cmd_wait},
    {"create", "", "create the database (a SQLite file, a PostgreSQL database)", 0, 0,
     CMD_OWN_CONNECT, cmd_create},
    {"drop", "", "drop the database (a SQLite file and its -wal, -shm)", 0, 0, CMD_OWN_CONNECT,
     cmd_drop},
    /* migrations */
    {"status", "[--dir D] [--exit-code]", "migrations and their state (exit 1 when pending)", 0, 0,
     CMD_LOOKS, cmd_status},
    {"migrate", "[--dir D] [--to V] [--dry-run] [--commit-each]",
     "register the files and apply what is pending", 0, 0,
     CMD_CREATES | CMD_UNDO_NEW | CMD_RECONNECTS, cmd_migrate},
    {"rollback", "[--to V | --steps N] [--dump-schema]", "run down scripts, newest first", 0, 0, 0,
     cmd_rollback},
    {"verify", "[--dir D] [--to V] | BACKUP [--allow-origin O]\n       | --all-backups",
     "prove pending migrations up, down, up; or re-verify a backup", 0, 1,
     CMD_ARGS_ONE_DB | CMD_LOOKS, cmd_verify},
    {"validate", "[--dir D]", "changed, missing, out-of-order migrations, drift (exit 1)", 0, 0,
     CMD_LOOKS, cmd_validate},
    {"baseline", "VERSION [--dir D]", "mark migrations up to VERSION as applied", 1, 1,
     CMD_CREATES | CMD_UNDO_NEW, cmd_baseline},
    {"repair", "[--dir D]", "accept the files as they are now, forget missing ones", 0, 0, 0,
     cmd_repair},
    {"history", "", "every migration event, oldest first", 0, 0, 0, cmd_history},
    {"script", "[--dir D] [--to V]", "the psql or sqlite3 script of the pending migrations", 0, 0,
     0, cmd_script},
    {"new", "NAME [--dir D]", "create the next V<n>__NAME.sql and U<n>__NAME.sql", 1, 1, CMD_NO_DB,
     cmd_new},
    {"lint", "[--dir D] [--version V] [--fail-on L]",
     "lint findings of the pending migrations (exit 3 on an error)", 0, 0, 0, cmd_lint},
    /* health and checks */
    {"health", "[--mode M] [--format F] [--fail-on L]",
     "health report (exit 3 when the status reaches --fail-on)", 0, 0, CMD_READS_CONTENT,
     cmd_health},
    {"check", "", "constraints verified against the rows (exit 3 on violations)", 0, 0, 0,
     cmd_check},
    {"orphans", "[--delete]", "child rows without parent (exit 3 when any are left)", 0, 0, 0,
     cmd_orphans},
    /* lifecycle */
    {"maintain", "[--mode M] [--include LIST] [--dry-run]",
     "the maintenance plan, run (rows outside a transaction too)", 0, 0, 0, cmd_maintain},
    {"retain",
     "[--policy P] [--budget T] [--sleep-ms N] [--attach N=PATH]\n"
     "       [--archive-db URL] [--archive-codec zstd|none]",
     "retention policies applied in committed batches", 0, 0, 0, cmd_retain},
    {"backup",
     "[PATH] [--incremental] [--compress zstd]\n"
     "       [--encrypt-key-file F] [--stanza S] [--type full|diff|incr]\n"
     "       | drill [BACKUP] [--encrypt-key-file F] [--allow-origin O]\n"
     "       | drill --log DIR\n"
     "       | pgbackrest-conf s3://B/P|azure://C/P [FILE]",
     "a verified backup; pg_dump or pgBackRest (PG); a restore drill", 0, 3,
     CMD_ARGS_ONE_DB | CMD_FILES_ALONE | CMD_READS_CONTENT, cmd_backup},
    {"backups", "[prune --keep N [--days D] [--copy-to DEST] [--apply]]",
     "the backup catalog; prune old SQLite backups (dry run: no --apply)", 0, 1, 0, cmd_backups},
    {"restore",
     "FILE [--from DIR] [--encrypt-key-file F]\n"
     "       [--allow-origin O]\n"
     "       | --to-mark LABEL [DIR] | --to-time TIME DIR [--stanza S]\n"
     "       | --to-time TIME DIR (SQLite: DIR a dbcare log)",
     "verify and restore FILE (PostgreSQL: a new database); to a time", 0, 1,
     CMD_ARGS_ONE_DB | CMD_CREATES | CMD_UNDO_NEW | CMD_RESTORE_TARGET | CMD_PG_NEW_DB |
         CMD_FILES_ALONE,
     cmd_restore},
    {"log",
     "[DIR] [--segment-interval T] [--segment-bytes N]\n"
     "       [--base-interval T] [--base-bytes N]\n"
     "       [--sleep-ms N] [--run-for T] [--compress zstd]\n"
     "       [--encrypt-key-file F]\n"
     "       | status DIR [--encrypt-key-file F]\n"
     "       | prune DIR --keep N | --keep-for SPAN [--apply]",
     "SQLite: capture each commit into DIR or backup.log.dir", 0, 2,
     CMD_OWN_CONNECT | CMD_FILES_ALONE, cmd_log},
    {"audit", "history TABLE KEY_JSON", "the audit log of one row, oldest first", 3, 3, 0,
     cmd_audit},
    {"config", "[list | get KEY | set KEY VALUE]", "dbcare's settings: list, read, change one", 0,
     3, 0, cmd_config},
    {"dump", "[FILE]", "the schema as SQL in FILE (default db/schema.sql)", 0, 1, CMD_ARGS_ONE_DB,
     cmd_dump},
    {"schema", "snapshot | fingerprint | diff A B", "the schema as JSON, its hash, or a diff", 1, 3,
     0, cmd_schema},
    /* observing */
    {"serve", "[--listen HOST:PORT] [--scrape-timeout T] [--allow-writes]",
     "health, readiness and metrics over HTTP (Prometheus, probes)", 0, 0, CMD_WHOLE_FLEET,
     cmd_serve},
    {"report", "--html FILE [--mode M]",
     "an HTML page: score, findings, tables, migrations, backups", 0, 0, CMD_WHOLE_FLEET,
     cmd_report},
    {"alert-rules", "[FILE]", "Prometheus alert rules from the checks' thresholds", 0, 1,
     CMD_DB_OPTIONAL, cmd_alert_rules},
    {"generate", "--to FILE NAME [--dir D] [--allow-drop]",
     "write the migration from the live schema to FILE's (proved first)", 1, 1, CMD_ARGS_ONE_DB,
     cmd_generate},
    {NULL, NULL, NULL, 0, 0, 0, NULL}};

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
