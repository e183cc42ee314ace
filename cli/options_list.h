/*
 * options_list.h — every option of dbcare's command line, declared once:
 * each entry makes its row of the option table (cli_options,
 * options_table.c: its name, how its value is read and checked, the
 * commands that take it, its line in their help; options.h) and, for an
 * option that keeps a value, that value's field of cli_opts (cli.h). An
 * entry is
 *   VALUE(C type, field, row...)  an option whose value is cli_opts's field
 *                                 (the row's .field points at it)
 *   OTHER(row...)                 one whose .read keeps it elsewhere (the
 *                                 line, a field of cli_opts's own, a list)
 * Adding an option is one entry here; its field, its help line and its
 * refusal by the other commands follow from it. The rows are in the order
 * their help lists them, the common ones first (help.c describes them
 * together); ANY (.commands NULL) is every command.
 */
#ifndef DBCARE_CLI_OPTIONS_LIST_H
#define DBCARE_CLI_OPTIONS_LIST_H

#define CLI_OPTIONS(VALUE, OTHER)                                                                  \
	/* connection and output: every command */                                                     \
	OTHER(.name = "db", .type = CLI_OPT_CUSTOM, .read = read_db, .commands = ANY)                  \
	OTHER(.name = "url", .type = CLI_OPT_CUSTOM, .read = read_db, .commands = ANY)                 \
	VALUE(const char *, module, .name = "module", .type = CLI_OPT_TEXT, .commands = ANY)           \
	VALUE(bool, install, .name = "install", .type = CLI_OPT_FLAG, .commands = ANY)                 \
	OTHER(.name = "json", .type = CLI_OPT_SWITCH, .read = read_json, .commands = ANY)              \
	OTHER(.name = "quiet", .type = CLI_OPT_FLAG, .field = CLI_OPTS_AT(out.quiet), .commands = ANY) \
	OTHER(.name = "no-progress", .type = CLI_OPT_FLAG, .field = CLI_OPTS_AT(out.no_progress),      \
	      .commands = ANY)                                                                         \
	VALUE(int, jobs, .name = "jobs", .type = CLI_OPT_CUSTOM, .read = read_jobs, .commands = ANY)   \
	VALUE(int, max_failures, .name = "max-failures", .type = CLI_OPT_COUNT, .commands = ANY)       \
	VALUE(bool, follow_symlinks, .name = "follow-symlinks", .type = CLI_OPT_FLAG, .commands = ANY) \
	OTHER(.name = "help", .type = CLI_OPT_SWITCH, .read = read_help, .commands = ANY)              \
	/* every command's, listed by the ones that read them */                                       \
	VALUE(const char *, dir, .name = "dir", .alias = "migrations-dir", .type = CLI_OPT_CUSTOM,     \
	      .read = read_dir,                                                                        \
	      .commands =                                                                              \
	          "status migrate verify validate baseline repair script new lint serve generate",     \
	      .everywhere = true, .spelling = "-d, --dir D",                                           \
	      .help = "the migrations folder (default migrations/)")                                   \
	/* the commands' own */                                                                        \
	VALUE(const char *, to, .name = "to", .type = CLI_OPT_TEXT,                                    \
	      .commands = "migrate rollback verify script generate", .spelling = "--to V",             \
	      .help = "stop at version V (generate: the schema file to reach)")                        \
	VALUE(int, steps, .name = "steps", .type = CLI_OPT_COUNT, .commands = "rollback",              \
	      .spelling = "--steps N", .help = "roll back the N newest applied versions")              \
	VALUE(bool, dry_run, .name = "dry-run", .type = CLI_OPT_FLAG, .commands = "migrate maintain",  \
	      .spelling = "--dry-run", .help = "show the plan, change nothing")                        \
	VALUE(bool, exit_code, .name = "exit-code", .type = CLI_OPT_FLAG, .commands = "status",        \
	      .spelling = "--exit-code", .help = "exit 1 while migrations are pending")                \
	/* the health modes (maintain plans by them too) */                                            \
	VALUE(const char *, mode, .name = "mode", .type = CLI_OPT_CHOICE,                              \
	      .choices = "quick|standard|full", .commands = "health maintain serve report",            \
	      .spelling = "--mode M", .help = "quick, standard (default) or full")                     \
	VALUE(const char *, fail_on, .name = "fail-on", .type = CLI_OPT_CHOICE,                        \
	      .choices = "warning|critical", .commands = "lint health", .spelling = "--fail-on L",     \
	      .help = "warning or critical: exit 3 from that level on")                                \
	VALUE(bool, delete_rows, .name = "delete", .type = CLI_OPT_FLAG, .commands = "orphans",        \
	      .spelling = "--delete", .help = "delete the orphans found (all or nothing)")             \
	VALUE(double, timeout_s, .name = "timeout", .type = CLI_OPT_DURATION,                          \
	      .choices = "60s, 2m or 500ms", .commands = "wait migrate", .spelling = "--timeout T",    \
	      .help = "give up after T (60s, 2m, 500ms; default 60s)")                                 \
	/* replication (docs/topology.md) */                                                           \
	VALUE(const char *, wait_replicas, .name = "wait-replicas", .type = CLI_OPT_CUSTOM,            \
	      .read = read_wait_replicas, .value_optional = true, .commands = "migrate",               \
	      .spelling = "--wait-replicas[=W]", .help = "then wait for replicas: all, N or name,...") \
	OTHER(.name = "subscriber", .type = CLI_OPT_CUSTOM, .read = read_subscriber,                   \
	      .commands = "migrate status health serve", .spelling = "--subscriber URL",               \
	      .help = "a logical subscriber to compare schemas with (repeatable)")                     \
	VALUE(bool, replicas, .name = "replicas", .type = CLI_OPT_FLAG, .commands = "status",          \
	      .spelling = "--replicas", .help = "list the standbys and subscribers")                   \
	/* every command's; prometheus is health's (main.c) */                                         \
	OTHER(.name = "format", .type = CLI_OPT_CUSTOM, .read = read_format, .commands = "health",     \
	      .everywhere = true, .spelling = "--format prometheus",                                   \
	      .help = "the metrics in Prometheus' text format")                                        \
	/* lint --version V; --version elsewhere is dbcare's own (main.c) */                           \
	VALUE(const char *, version, .name = "version", .type = CLI_OPT_TEXT, .commands = "lint",      \
	      .spelling = "--version V", .help = "one pending version only")                           \
	VALUE(const char *, include, .name = "include", .type = CLI_OPT_CUSTOM, .read = read_include,  \
	      .commands = "maintain", .spelling = "--include LIST",                                    \
	      .help = "safety classes or actions to run too")                                          \
	VALUE(const char *, policy, .name = "policy", .type = CLI_OPT_TEXT, .commands = "retain",      \
	      .spelling = "--policy P", .help = "one retention policy (default: all)")                 \
	VALUE(double, budget_s, .name = "budget", .type = CLI_OPT_DURATION,                            \
	      .choices = "60s, 2m or 500ms", .commands = "retain", .spelling = "--budget T",           \
	      .help = "stop after T (default 60s)")                                                    \
	VALUE(int, sleep_ms, .name = "sleep-ms", .type = CLI_OPT_CUSTOM, .read = read_sleep_ms,        \
	      .commands = "retain log", .spelling = "--sleep-ms N",                                    \
	      .help = "pause between batches (0); log: between polls (50)")                            \
	VALUE(int, keep, .name = "keep", .type = CLI_OPT_COUNT, .commands = "backups log",             \
	      .spelling = "--keep N", .help = "keep the N newest backups (log prune: bases)")          \
	VALUE(double, keep_for_s, .name = "keep-for", .type = CLI_OPT_AGE, .choices = "7d or 12h",     \
	      .commands = "log", .spelling = "--keep-for SPAN",                                        \
	      .help = "log prune: keep what restores any moment of the last SPAN")                     \
	VALUE(int, days, .name = "days", .type = CLI_OPT_COUNT, .commands = "backups",                 \
	      .spelling = "--days D", .help = "keep backups younger than D days")                      \
	VALUE(bool, apply, .name = "apply", .type = CLI_OPT_FLAG, .commands = "backups log",           \
	      .spelling = "--apply", .help = "delete (without it: a dry run)")                         \
	OTHER(.name = "attach", .type = CLI_OPT_CUSTOM, .read = read_attach, .commands = "retain",     \
	      .spelling = "--attach NAME=PATH", .help = "ATTACH a SQLite file first (repeatable)")     \
	VALUE(const char *, archive_db, .name = "archive-db", .type = CLI_OPT_TEXT,                    \
	      .commands = "retain", .spelling = "--archive-db URL",                                    \
	      .help = "where archive-db:NAME policies archive")                                        \
	VALUE(const char *, archive_codec, .name = "archive-codec", .type = CLI_OPT_CHOICE,            \
	      .choices = "zstd|none", .commands = "retain", .spelling = "--archive-codec C",           \
	      .help = "how the archive stores rows: zstd (default) or none")                           \
	VALUE(bool, dump_schema, .name = "dump-schema", .type = CLI_OPT_FLAG,                          \
	      .commands = "migrate rollback", .spelling = "--dump-schema",                             \
	      .help = "then write the schema to db/schema.sql")                                        \
	VALUE(const char *, schema_file, .name = "schema-file", .type = CLI_OPT_TEXT,                  \
	      .commands = "migrate rollback dump", .spelling = "--schema-file F",                      \
	      .help = "the schema file (default db/schema.sql)")                                       \
	VALUE(bool, commit_each, .name = "commit-each", .type = CLI_OPT_FLAG, .commands = "migrate",   \
	      .spelling = "--commit-each", .help = "each migration commits on its own")                \
	VALUE(bool, online, .name = "online", .type = CLI_OPT_FLAG, .commands = "migrate",             \
	      .spelling = "--online", .help = "blocking statements as lock-safe recipes (PostgreSQL)") \
	VALUE(double, lock_timeout_s, .name = "lock-timeout", .type = CLI_OPT_SPAN,                    \
	      .choices = "2s or 500ms", .commands = "migrate", .spelling = "--lock-timeout T",         \
	      .help = "--online: wait at most T for a lock, then retry (2s)")                          \
	VALUE(int, lock_retries, .name = "lock-retries", .type = CLI_OPT_COUNT, .commands = "migrate", \
	      .spelling = "--lock-retries N",                                                          \
	      .help = "--online: tries of a step whose lock waits (20)")                               \
	VALUE(const char *, blockers, .name = "blockers", .type = CLI_OPT_CHOICE,                      \
	      .choices = "wait|abort", .commands = "migrate", .spelling = "--blockers B",              \
	      .help = "--online: wait (default) or abort on sessions in the way")                      \
	VALUE(int64_t, max_replica_lag, .name = "max-replica-lag", .type = CLI_OPT_CUSTOM,             \
	      .read = read_max_replica_lag, .commands = "migrate", .spelling = "--max-replica-lag N",  \
	      .help = "--online: wait while a replica lags N bytes (16MB)")                            \
	VALUE(int, canary, .name = "canary", .type = CLI_OPT_COUNT, .commands = "migrate",             \
	      .spelling = "--canary N", .help = "a fleet: N databases first, stop if one fails")       \
	VALUE(const char *, listen, .name = "listen", .type = CLI_OPT_TEXT, .commands = "serve",       \
	      .spelling = "--listen HOST:PORT", .help = "where to listen (default 127.0.0.1:9187)")    \
	VALUE(double, scrape_timeout_s, .name = "scrape-timeout", .type = CLI_OPT_SPAN,                \
	      .choices = "5s or 500ms", .commands = "serve", .spelling = "--scrape-timeout T",         \
	      .help = "each database's time per request (5s)")                                         \
	VALUE(double, min_interval_s, .name = "min-interval", .type = CLI_OPT_DURATION,                \
	      .choices = "1s or 0", .commands = "serve", .spelling = "--min-interval T",               \
	      .help = "reuse a result younger than T (default 1s)")                                    \
	VALUE(double, report_every_s, .name = "report-interval", .type = CLI_OPT_DURATION,             \
	      .choices = "60s, 5m or 0", .commands = "serve", .spelling = "--report-interval T",       \
	      .help = "one health report per T per database (default 60s)")                            \
	VALUE(int, keep_connections, .name = "keep-connections", .type = CLI_OPT_CUSTOM,               \
	      .read = read_keep, .commands = "serve", .spelling = "--keep-connections N",              \
	      .help = "databases keeping a session (100; 0: none)")                                    \
	VALUE(bool, allow_writes, .name = "allow-writes", .type = CLI_OPT_FLAG, .commands = "serve",   \
	      .spelling = "--allow-writes", .help = "POST /migrate and /verify (with the token)")      \
	VALUE(const char *, allow_hosts, .name = "allow-host", .type = CLI_OPT_TEXT,                   \
	      .commands = "serve", .spelling = "--allow-host NAMES",                                   \
	      .help = "Host names answered besides addresses (a,b)")                                   \
	VALUE(const char *, token_file, .name = "token-file", .type = CLI_OPT_TEXT,                    \
	      .commands = "serve", .spelling = "--token-file F",                                       \
	      .help = "the bearer token of the write endpoints")                                       \
	VALUE(const char *, html, .name = "html", .type = CLI_OPT_TEXT, .commands = "report",          \
	      .spelling = "--html FILE", .help = "the page's file (- for stdout)")                     \
	VALUE(bool, incremental, .name = "incremental", .type = CLI_OPT_FLAG, .commands = "backup",    \
	      .spelling = "--incremental",                                                             \
	      .help = "only the pages changed since the last backup (SQLite)")                         \
	VALUE(bool, ship, .name = "ship", .type = CLI_OPT_FLAG, .commands = "backup",                  \
	      .spelling = "--ship", .help = "upload backups waiting in backup.stage_dir (SQLite)")     \
	VALUE(const char *, compress, .name = "compress", .type = CLI_OPT_CUSTOM,                      \
	      .choices = "zstd|none", .read = read_compress, .commands = "backup log",                 \
	      .spelling = "--compress zstd", .help = "a backup compressed with zstd (a sealed file)")  \
	VALUE(const char *, key_file, .name = "encrypt-key-file", .type = CLI_OPT_TEXT,                \
	      .commands = "backup verify restore log", .spelling = "--encrypt-key-file F",             \
	      .help = "key file of sealed backups (32 bytes; XChaCha20-Poly1305)")                     \
	VALUE(const char *, copy_to, .name = "copy-to", .type = CLI_OPT_TEXT,                          \
	      .commands = "backup log backups", .spelling = "--copy-to DEST",                          \
	      .help = "upload to s3://BUCKET/P, azure://CONTAINER/P or a folder")                      \
	VALUE(const char *, old_origin, .name = "allow-origin", .type = CLI_OPT_TEXT,                  \
	      .commands = "backup verify restore", .spelling = "--allow-origin ORIGIN",                \
	      .help = "sealed backups of ORIGIN are ours (it moved/was renamed)")                      \
	VALUE(const char *, to_mark, .name = "to-mark", .type = CLI_OPT_TEXT, .commands = "restore",   \
	      .spelling = "--to-mark LABEL", .help = "restore to a restore point of dbbackup_mark")    \
	VALUE(const char *, log_dir, .name = "log", .type = CLI_OPT_TEXT, .commands = "backup",        \
	      .spelling = "--log DIR",                                                                 \
	      .help = "backup drill: drill the point-in-time log in DIR (SQLite)")                     \
	VALUE(const char *, from_dir, .name = "from", .type = CLI_OPT_TEXT, .commands = "restore",     \
	      .spelling = "--from DIR",                                                                \
	      .help = "SQLite: FILE's chain's folder; PG: the stanza's bucket")                        \
	VALUE(const char *, stanza, .name = "stanza", .type = CLI_OPT_TEXT,                            \
	      .commands = "backup restore", .spelling = "--stanza S",                                  \
	      .help = "pgBackRest's stanza (default: backup.pgbackrest.stanza)")                       \
	VALUE(const char *, backup_type, .name = "type", .type = CLI_OPT_CHOICE,                       \
	      .choices = "full|diff|incr", .commands = "backup", .spelling = "--type T",               \
	      .help = "pgBackRest backup type: full, diff or incr (default)")                          \
	VALUE(const char *, to_time, .name = "to-time", .type = CLI_OPT_TEXT, .commands = "restore",   \
	      .spelling = "--to-time TIME",                                                            \
	      .help = "this moment or latest (SQLite: log DIR; PG: pgBackRest)")                       \
	VALUE(double, segment_s, .name = "segment-interval", .type = CLI_OPT_SPAN,                     \
	      .choices = "60s or 5m", .commands = "log", .spelling = "--segment-interval T",           \
	      .help = "close a log segment after T (default 60s)")                                     \
	VALUE(int64_t, segment_bytes, .name = "segment-bytes", .type = CLI_OPT_CUSTOM,                 \
	      .read = read_segment_bytes, .commands = "log", .spelling = "--segment-bytes N",          \
	      .help = "close a log segment at N bytes (default 64 MB)")                                \
	VALUE(double, base_interval_s, .name = "base-interval", .type = CLI_OPT_SPAN,                  \
	      .choices = "1d or 6h", .commands = "log", .spelling = "--base-interval T",               \
	      .help = "take a new base after T (default 1d)")                                          \
	VALUE(int64_t, base_bytes, .name = "base-bytes", .type = CLI_OPT_CUSTOM,                       \
	      .read = read_base_bytes, .commands = "log", .spelling = "--base-bytes N",                \
	      .help = "a new base after N log bytes (default: db size, >= 64 MB)")                     \
	VALUE(double, run_for_s, .name = "run-for", .type = CLI_OPT_SPAN, .choices = "10s or 5m",      \
	      .commands = "log", .spelling = "--run-for T",                                            \
	      .help = "stop the capture after T (default: at SIGTERM or SIGINT)")                      \
	VALUE(bool, allow_drop, .name = "allow-drop", .type = CLI_OPT_FLAG, .commands = "generate",    \
	      .spelling = "--allow-drop", .help = "let generate drop tables and columns")              \
	VALUE(bool, append_columns, .name = "append-columns", .type = CLI_OPT_FLAG,                    \
	      .commands = "generate", .spelling = "--append-columns",                                  \
	      .help = "PostgreSQL: append new columns, no table rewrite")                              \
	VALUE(bool, all_backups, .name = "all-backups", .type = CLI_OPT_FLAG, .commands = "verify",    \
	      .spelling = "--all-backups", .help = "verify every catalogued backup, one line each")

#endif
