/*
 * options_table.c — the option table, one row for each entry of
 * options_list.h (the row's fields: options.h), and the readers of the
 * rows that are more than a flag, a text, a choice, a count or a
 * duration. Adding an option is one entry there.
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

/* serve's places for kept connections: 0 (none kept) to 100000; given
 * or not (its default is serve's) */
static int read_keep(const cli_option *opt, const char *val, cli_opts *o, cli_line *line)
{
	(void)opt, (void)line;
	char *end;
	long v = strtol(val, &end, 10);
	if (end == val || *end || v < 0 || v > 100000)
		return cli_usage_error("--keep-connections needs a whole number from 0 to 100000, "
		                       "not \"%s\"",
		                       val);
	o->keep_connections = (int)v;
	o->keep_given = true;
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

/* A number of bytes, with kB, MB or GB after it (1024 each, as
 * PostgreSQL's sizes), at least 1. */
static int read_max_replica_lag(const cli_option *opt, const char *val, cli_opts *o, cli_line *line)
{
	(void)opt, (void)line;
	char *end;
	long long v = strtoll(val, &end, 10);
	long long unit = strcmp(end, "kB") == 0   ? 1LL << 10
	                 : strcmp(end, "MB") == 0 ? 1LL << 20
	                 : strcmp(end, "GB") == 0 ? 1LL << 30
	                 : *end == '\0'           ? 1
	                                          : 0;
	if (end == val || unit == 0 || v < 1 || v > (1LL << 50) / unit)
		return cli_usage_error(
		    "--max-replica-lag needs a number of bytes, kB, MB or GB (16MB), not \"%s\"", val);
	o->max_replica_lag = v * unit;
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

/* --wait-replicas alone: all; else all, a count or names, comma-separated */
static int read_wait_replicas(const cli_option *opt, const char *val, cli_opts *o, cli_line *line)
{
	(void)opt, (void)line;
	if (!val)
		val = "all";
	bool empty_name = !*val || val[0] == ',' || val[strlen(val) - 1] == ',' || strstr(val, ",,");
	char *end;
	long n = strtol(val, &end, 10);
	if (empty_name || (*end == '\0' && n <= 0))
		return cli_usage_error("--wait-replicas takes all, a count above 0 or names of replicas "
		                       "separated by commas, not \"%s\"",
		                       val);
	o->wait_replicas = val;
	return CLI_OK;
}

/* a subscriber's URL or conninfo, never with its password: that goes in
 * ~/.pgpass or a service file, out of every process's argv */
static int read_subscriber(const cli_option *opt, const char *val, cli_opts *o, cli_line *line)
{
	(void)opt, (void)line;
	char *masked = cli_mask_password(val);
	bool has_password = !masked || strcmp(masked, val) != 0;
	if (has_password) {
		int rc = cli_usage_error("--subscriber %s carries a password: put it in ~/.pgpass or a "
		                         "service file (service=NAME) instead",
		                         masked ? masked : "(a URL)");
		free(masked);
		return rc;
	}
	free(masked);
	o->subscribers[o->nsubscribers++] = val;
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

#define CLI_OPTS_AT(f)          offsetof(cli_opts, f)
#define ANY                     NULL /* .commands: every command */
#define ROW_VALUE(type, f, ...) {.field = CLI_OPTS_AT(f), __VA_ARGS__},
#define ROW_OTHER(...)          {__VA_ARGS__},

/* The rows of options_list.h's entries, in its order. */
const cli_option cli_options[] = {CLI_OPTIONS(ROW_VALUE, ROW_OTHER){.name = NULL}};
