/*
 * options_table.c — every option of the command line, one row each (the
 * row's fields: options.h), and the readers of the rows that are more than
 * a flag, a text, a choice, a count or a duration. Adding an option is one
 * row here (and its field in cli_opts); its help line and its refusal by
 * the other commands follow from the row.
 */
#include "options.h"

#include "maintain/maintain.h"

#include <stdlib.h>
#include <string.h>

void cli_options_defaults(cli_opts *o)
{
	*o = (cli_opts){.dir = "migrations",
	                .jobs = 1,
	                .timeout_s = 60,
	                .steps = -1, /* -1: not given */
	                .budget_s = 60,
	                .keep = -1,
	                .days = -1,
	                .scrape_timeout_s = 5,
	                .min_interval_s = 1,
	                .report_every_s = 60};
}

static int read_db(const cli_option *opt, const char *val, cli_opts *o, cli_line *line)
{
	(void)opt, (void)o;
	line->dbvals[line->ndbvals++] = val;
	return CLI_OK;
}

static int read_json(const cli_option *opt, const char *val, cli_opts *o, cli_line *line)
{
	(void)opt, (void)val, (void)o;
	line->json = true;
	return CLI_OK;
}

/* checked once the command is known (prometheus is health's) */
static int read_format(const cli_option *opt, const char *val, cli_opts *o, cli_line *line)
{
	(void)opt, (void)o;
	line->format = val;
	return CLI_OK;
}

static int read_help(const cli_option *opt, const char *val, cli_opts *o, cli_line *line)
{
	(void)opt, (void)val, (void)o;
	line->help = true;
	return CLI_OK;
}

static int read_dir(const cli_option *opt, const char *val, cli_opts *o, cli_line *line)
{
	(void)opt, (void)line;
	o->dir = val;
	o->dir_given = true;
	return CLI_OK;
}

/* serve has its own default number of jobs */
static int read_jobs(const cli_option *opt, const char *val, cli_opts *o, cli_line *line)
{
	cli_option count = *opt;
	count.type = CLI_OPT_COUNT;
	if (cli_option_read(&count, val, o, line) != CLI_OK)
		return CLI_USAGE;
	o->jobs_given = true;
	return CLI_OK;
}

static int read_sleep_ms(const cli_option *opt, const char *val, cli_opts *o, cli_line *line)
{
	(void)opt, (void)line;
	char *end;
	long v = strtol(val, &end, 10);
	if (end == val || *end || v < 0 || v > 3600000)
		return cli_usage_error("--sleep-ms needs a number of milliseconds, not \"%s\"", val);
	o->sleep_ms = (int)v;
	return CLI_OK;
}

static int read_base_bytes(const cli_option *opt, const char *val, cli_opts *o, cli_line *line)
{
	(void)opt, (void)line;
	char *end;
	long long v = strtoll(val, &end, 10);
	if (end == val || *end || v < 4096)
		return cli_usage_error("--base-bytes needs a number of bytes (at least 4096), not \"%s\"",
		                       val);
	o->base_bytes = v;
	return CLI_OK;
}

static int read_segment_bytes(const cli_option *opt, const char *val, cli_opts *o, cli_line *line)
{
	(void)opt, (void)line;
	char *end;
	long long v = strtoll(val, &end, 10);
	if (end == val || *end || v < 4096)
		return cli_usage_error(
		    "--segment-bytes needs a number of bytes (at least 4096), not \"%s\"", val);
	o->segment_bytes = v;
	return CLI_OK;
}

/* Each item by the extension's own list (dbmaintain_run reads it the same
 * way), so a typo never reaches the database. */
static int read_include(const cli_option *opt, const char *val, cli_opts *o, cli_line *line)
{
	(void)opt, (void)line;
	char *items = strdup(val), *save = NULL;
	int rc = items ? CLI_OK : CLI_ERROR;
	for (char *it = items ? strtok_r(items, ",", &save) : NULL; it && rc == CLI_OK;
	     it = strtok_r(NULL, ",", &save)) {
		it += strspn(it, " \t\n\r");
		size_t n = strlen(it);
		while (n && strchr(" \t\n\r", it[n - 1]))
			it[--n] = '\0';
		if (!dbc_maintain_include_known(it))
			rc = cli_usage_error("--include names safety classes (locking, destructive) or "
			                     "actions of the maintenance plan, not \"%s\"",
			                     it);
	}
	free(items);
	o->include = val;
	return rc;
}

/* NAME=PATH, repeatable: main.c gives the arrays room for every argument */
static int read_attach(const cli_option *opt, const char *val, cli_opts *o, cli_line *line)
{
	(void)opt, (void)line;
	const char *sep = strchr(val, '=');
	if (!sep || sep == val || !sep[1])
		return cli_usage_error("--attach needs NAME=PATH (an ATTACH name and a SQLite file), "
		                       "not \"%s\"",
		                       val);
	o->attach_names[o->nattach] = strndup(val, (size_t)(sep - val));
	o->attach_paths[o->nattach++] = sep + 1;
	return CLI_OK;
}

/* none: no codec (o->compress NULL) */
static int read_compress(const cli_option *opt, const char *val, cli_opts *o, cli_line *line)
{
	cli_option choice = *opt;
	choice.type = CLI_OPT_CHOICE;
	if (cli_option_read(&choice, val, o, line) != CLI_OK)
		return CLI_USAGE;
	if (strcmp(val, "none") == 0)
		o->compress = NULL;
	return CLI_OK;
}

static bool same_name(const char *name, const char *s, size_t len)
{
	return name && strlen(name) == len && strncmp(name, s, len) == 0;
}

const cli_option *cli_option_find(const char *name, size_t len)
{
	for (const cli_option *d = cli_options; d->name; d++)
		if (same_name(d->name, name, len) || same_name(d->alias, name, len))
			return d;
	return NULL;
}

#define FIELD(f) offsetof(cli_opts, f)
#define ANY      NULL /* .commands: every command */

/* In the order their help lists them; the common ones first (help.c
 * describes them together). */
const cli_option cli_options[] = {
    /* connection and output: every command */
    {.name = "db", .type = CLI_OPT_CUSTOM, .read = read_db, .commands = ANY},
    {.name = "url", .type = CLI_OPT_CUSTOM, .read = read_db, .commands = ANY},
    {.name = "module", .type = CLI_OPT_TEXT, .field = FIELD(module), .commands = ANY},
    {.name = "install", .type = CLI_OPT_FLAG, .field = FIELD(install), .commands = ANY},
    {.name = "json", .type = CLI_OPT_SWITCH, .read = read_json, .commands = ANY},
    {.name = "quiet", .type = CLI_OPT_FLAG, .field = FIELD(out.quiet), .commands = ANY},
    {.name = "no-progress", .type = CLI_OPT_FLAG, .field = FIELD(out.no_progress), .commands = ANY},
    {.name = "jobs",
     .type = CLI_OPT_CUSTOM,
     .field = FIELD(jobs),
     .read = read_jobs,
     .commands = ANY},
    {.name = "max-failures", .type = CLI_OPT_COUNT, .field = FIELD(max_failures), .commands = ANY},
    {.name = "follow-symlinks",
     .type = CLI_OPT_FLAG,
     .field = FIELD(follow_symlinks),
     .commands = ANY},
    {.name = "help", .type = CLI_OPT_SWITCH, .read = read_help, .commands = ANY},
    /* every command's, listed by the ones that read them */
    {.name = "dir",
     .alias = "migrations-dir",
     .type = CLI_OPT_CUSTOM,
     .read = read_dir,
     .commands = "status migrate verify validate baseline repair script new lint serve generate",
     .everywhere = true,
     .spelling = "-d, --dir D",
     .help = "the migrations folder (default migrations/)"},
    /* the commands' own */
    {.name = "to",
     .type = CLI_OPT_TEXT,
     .field = FIELD(to),
     .commands = "migrate rollback verify script generate",
     .spelling = "--to V",
     .help = "stop at version V (generate: the schema file to reach)"},
    {.name = "steps",
     .type = CLI_OPT_COUNT,
     .field = FIELD(steps),
     .commands = "rollback",
     .spelling = "--steps N",
     .help = "roll back the N newest applied versions"},
    {.name = "dry-run",
     .type = CLI_OPT_FLAG,
     .field = FIELD(dry_run),
     .commands = "migrate maintain",
     .spelling = "--dry-run",
     .help = "show the plan, change nothing"},
    {.name = "exit-code",
     .type = CLI_OPT_FLAG,
     .field = FIELD(exit_code),
     .commands = "status",
     .spelling = "--exit-code",
     .help = "exit 1 while migrations are pending"},
    /* the health modes (maintain plans by them too) */
    {.name = "mode",
     .type = CLI_OPT_CHOICE,
     .field = FIELD(mode),
     .choices = "quick|standard|full",
     .commands = "health maintain serve report",
     .spelling = "--mode M",
     .help = "quick, standard (default) or full"},
    {.name = "fail-on",
     .type = CLI_OPT_CHOICE,
     .field = FIELD(fail_on),
     .choices = "warning|critical",
     .commands = "lint health",
     .spelling = "--fail-on L",
     .help = "warning or critical: exit 3 from that level on"},
    {.name = "delete",
     .type = CLI_OPT_FLAG,
     .field = FIELD(delete_rows),
     .commands = "orphans",
     .spelling = "--delete",
     .help = "delete the orphans found (all or nothing)"},
    {.name = "timeout",
     .type = CLI_OPT_DURATION,
     .field = FIELD(timeout_s),
     .choices = "60s, 2m or 500ms",
     .commands = "wait",
     .spelling = "--timeout T",
     .help = "give up after T (60s, 2m, 500ms; default 60s)"},
    /* every command's; prometheus is health's (main.c) */
    {.name = "format",
     .type = CLI_OPT_CUSTOM,
     .read = read_format,
     .commands = "health",
     .everywhere = true,
     .spelling = "--format prometheus",
     .help = "the metrics in Prometheus' text format"},
    /* lint --version V; --version elsewhere is dbcare's own (main.c) */
    {.name = "version",
     .type = CLI_OPT_TEXT,
     .field = FIELD(version),
     .commands = "lint",
     .spelling = "--version V",
     .help = "one pending version only"},
    {.name = "include",
     .type = CLI_OPT_CUSTOM,
     .read = read_include,
     .commands = "maintain",
     .spelling = "--include LIST",
     .help = "safety classes or actions to run too"},
    {.name = "policy",
     .type = CLI_OPT_TEXT,
     .field = FIELD(policy),
     .commands = "retain",
     .spelling = "--policy P",
     .help = "one retention policy (default: all)"},
    {.name = "budget",
     .type = CLI_OPT_DURATION,
     .field = FIELD(budget_s),
     .choices = "60s, 2m or 500ms",
     .commands = "retain",
     .spelling = "--budget T",
     .help = "stop after T (default 60s)"},
    {.name = "sleep-ms",
     .type = CLI_OPT_CUSTOM,
     .read = read_sleep_ms,
     .commands = "retain log",
     .spelling = "--sleep-ms N",
     .help = "pause between batches (0); log: between polls (50)"},
    {.name = "keep",
     .type = CLI_OPT_COUNT,
     .field = FIELD(keep),
     .commands = "backups log",
     .spelling = "--keep N",
     .help = "keep the N newest backups (log prune: bases)"},
    {.name = "keep-for",
     .type = CLI_OPT_AGE,
     .field = FIELD(keep_for_s),
     .choices = "7d or 12h",
     .commands = "log",
     .spelling = "--keep-for SPAN",
     .help = "log prune: keep what restores any moment of the last SPAN"},
    {.name = "days",
     .type = CLI_OPT_COUNT,
     .field = FIELD(days),
     .commands = "backups",
     .spelling = "--days D",
     .help = "keep backups younger than D days"},
    {.name = "apply",
     .type = CLI_OPT_FLAG,
     .field = FIELD(apply),
     .commands = "backups log",
     .spelling = "--apply",
     .help = "delete (without it: a dry run)"},
    {.name = "attach",
     .type = CLI_OPT_CUSTOM,
     .read = read_attach,
     .commands = "retain",
     .spelling = "--attach NAME=PATH",
     .help = "ATTACH a SQLite file first (repeatable)"},
    {.name = "archive-db",
     .type = CLI_OPT_TEXT,
     .field = FIELD(archive_db),
     .commands = "retain",
     .spelling = "--archive-db URL",
     .help = "where archive-db:NAME policies archive"},
    {.name = "archive-codec",
     .type = CLI_OPT_CHOICE,
     .field = FIELD(archive_codec),
     .choices = "zstd|none",
     .commands = "retain",
     .spelling = "--archive-codec C",
     .help = "how the archive stores rows: zstd (default) or none"},
    {.name = "dump-schema",
     .type = CLI_OPT_FLAG,
     .field = FIELD(dump_schema),
     .commands = "migrate rollback",
     .spelling = "--dump-schema",
     .help = "then write the schema to db/schema.sql"},
    {.name = "schema-file",
     .type = CLI_OPT_TEXT,
     .field = FIELD(schema_file),
     .commands = "migrate rollback dump",
     .spelling = "--schema-file F",
     .help = "the schema file (default db/schema.sql)"},
    {.name = "commit-each",
     .type = CLI_OPT_FLAG,
     .field = FIELD(commit_each),
     .commands = "migrate",
     .spelling = "--commit-each",
     .help = "each migration commits on its own"},
    {.name = "canary",
     .type = CLI_OPT_COUNT,
     .field = FIELD(canary),
     .commands = "migrate",
     .spelling = "--canary N",
     .help = "a fleet: N databases first, stop if one fails"},
    {.name = "listen",
     .type = CLI_OPT_TEXT,
     .field = FIELD(listen),
     .commands = "serve",
     .spelling = "--listen HOST:PORT",
     .help = "where to listen (default 127.0.0.1:9187)"},
    {.name = "scrape-timeout",
     .type = CLI_OPT_SPAN,
     .field = FIELD(scrape_timeout_s),
     .choices = "5s or 500ms",
     .commands = "serve",
     .spelling = "--scrape-timeout T",
     .help = "each database's time per request (5s)"},
    {.name = "min-interval",
     .type = CLI_OPT_DURATION,
     .field = FIELD(min_interval_s),
     .choices = "1s or 0",
     .commands = "serve",
     .spelling = "--min-interval T",
     .help = "reuse a result younger than T (default 1s)"},
    {.name = "report-interval",
     .type = CLI_OPT_DURATION,
     .field = FIELD(report_every_s),
     .choices = "60s, 5m or 0",
     .commands = "serve",
     .spelling = "--report-interval T",
     .help = "one health report per T per database (default 60s)"},
    {.name = "allow-writes",
     .type = CLI_OPT_FLAG,
     .field = FIELD(allow_writes),
     .commands = "serve",
     .spelling = "--allow-writes",
     .help = "POST /migrate and /verify (with the token)"},
    {.name = "token-file",
     .type = CLI_OPT_TEXT,
     .field = FIELD(token_file),
     .commands = "serve",
     .spelling = "--token-file F",
     .help = "the bearer token of the write endpoints"},
    {.name = "html",
     .type = CLI_OPT_TEXT,
     .field = FIELD(html),
     .commands = "report",
     .spelling = "--html FILE",
     .help = "the page's file (- for stdout)"},
    {.name = "incremental",
     .type = CLI_OPT_FLAG,
     .field = FIELD(incremental),
     .commands = "backup",
     .spelling = "--incremental",
     .help = "only the pages changed since the last backup (SQLite)"},
    {.name = "compress",
     .type = CLI_OPT_CUSTOM,
     .field = FIELD(compress),
     .choices = "zstd|none",
     .read = read_compress,
     .commands = "backup log",
     .spelling = "--compress zstd",
     .help = "a backup compressed with zstd (a sealed file)"},
    {.name = "encrypt-key-file",
     .type = CLI_OPT_TEXT,
     .field = FIELD(key_file),
     .commands = "backup verify restore log",
     .spelling = "--encrypt-key-file F",
     .help = "AES-256-GCM key file of sealed backups (32 bytes)"},
    {.name = "allow-origin",
     .type = CLI_OPT_TEXT,
     .field = FIELD(old_origin),
     .commands = "backup verify restore",
     .spelling = "--allow-origin ORIGIN",
     .help = "sealed backups of ORIGIN are ours (it moved/was renamed)"},
    {.name = "to-mark",
     .type = CLI_OPT_TEXT,
     .field = FIELD(to_mark),
     .commands = "restore",
     .spelling = "--to-mark LABEL",
     .help = "restore to a restore point of dbbackup_mark"},
    {.name = "log",
     .type = CLI_OPT_TEXT,
     .field = FIELD(log_dir),
     .commands = "backup",
     .spelling = "--log DIR",
     .help = "backup drill: drill the point-in-time log in DIR (SQLite)"},
    {.name = "from",
     .type = CLI_OPT_TEXT,
     .field = FIELD(from_dir),
     .commands = "restore",
     .spelling = "--from DIR",
     .help = "SQLite: the folder of FILE's chain (default: FILE's own)"},
    {.name = "stanza",
     .type = CLI_OPT_TEXT,
     .field = FIELD(stanza),
     .commands = "backup restore",
     .spelling = "--stanza S",
     .help = "pgBackRest's stanza (default: backup.pgbackrest.stanza)"},
    {.name = "type",
     .type = CLI_OPT_CHOICE,
     .field = FIELD(backup_type),
     .choices = "full|diff|incr",
     .commands = "backup",
     .spelling = "--type T",
     .help = "pgBackRest backup type: full, diff or incr (default)"},
    {.name = "to-time",
     .type = CLI_OPT_TEXT,
     .field = FIELD(to_time),
     .commands = "restore",
     .spelling = "--to-time TIME",
     .help = "this moment or latest (SQLite: log DIR; PG: pgBackRest)"},
    {.name = "segment-interval",
     .type = CLI_OPT_SPAN,
     .field = FIELD(segment_s),
     .choices = "60s or 5m",
     .commands = "log",
     .spelling = "--segment-interval T",
     .help = "close a log segment after T (default 60s)"},
    {.name = "segment-bytes",
     .type = CLI_OPT_CUSTOM,
     .read = read_segment_bytes,
     .commands = "log",
     .spelling = "--segment-bytes N",
     .help = "close a log segment at N bytes (default 64 MB)"},
    {.name = "base-interval",
     .type = CLI_OPT_SPAN,
     .field = FIELD(base_interval_s),
     .choices = "1d or 6h",
     .commands = "log",
     .spelling = "--base-interval T",
     .help = "take a new base after T (default 1d)"},
    {.name = "base-bytes",
     .type = CLI_OPT_CUSTOM,
     .read = read_base_bytes,
     .commands = "log",
     .spelling = "--base-bytes N",
     .help = "a new base after N log bytes (default: db size, >= 64 MB)"},
    {.name = "run-for",
     .type = CLI_OPT_SPAN,
     .field = FIELD(run_for_s),
     .choices = "10s or 5m",
     .commands = "log",
     .spelling = "--run-for T",
     .help = "stop the capture after T (default: at SIGTERM or SIGINT)"},
    {.name = "allow-drop",
     .type = CLI_OPT_FLAG,
     .field = FIELD(allow_drop),
     .commands = "generate",
     .spelling = "--allow-drop",
     .help = "let generate drop tables and columns"},
    {.name = "append-columns",
     .type = CLI_OPT_FLAG,
     .field = FIELD(append_columns),
     .commands = "generate",
     .spelling = "--append-columns",
     .help = "PostgreSQL: append new columns, no table rewrite"},
    {.name = "all-backups",
     .type = CLI_OPT_FLAG,
     .field = FIELD(all_backups),
     .commands = "verify",
     .spelling = "--all-backups",
     .help = "verify every catalogued backup, one line each"},
    {.name = NULL}};
