/*
 * main.c — dbcare's command line: options, the command, one database or a
 * fleet. Options may stand before or after the command; an option the
 * command does not accept, or one nobody knows, is a usage error (exit 2)
 * before anything is opened, so a mistyped --dry-run never migrates.
 */
#include "sealed.h"
#include "cli.h"

#include "maintain/maintain.h"

#include <errno.h>
#include <glob.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct option_def {
	const char *name;
	uint64_t bit; /* 0: accepted by every command */
	bool value;   /* takes a value */
} option_def;

static const option_def options[] = {{"db", 0, true},
                                     {"url", 0, true},
                                     {"module", 0, true},
                                     {"install", 0, false},
                                     {"json", 0, false},
                                     {"format", 0, true},
                                     {"quiet", 0, false},
                                     {"jobs", 0, true},
                                     {"dir", 0, true},
                                     {"follow-symlinks", 0, false},
                                     {"to", OPT_TO, true},
                                     {"steps", OPT_STEPS, true},
                                     {"dry-run", OPT_DRY_RUN, false},
                                     {"exit-code", OPT_EXIT_CODE, false},
                                     {"mode", OPT_MODE, true},
                                     {"fail-on", OPT_FAIL_ON, true},
                                     {"delete", OPT_DELETE, false},
                                     {"timeout", OPT_TIMEOUT, true},
                                     {"help", 0, false},
                                     {"version", OPT_VERSION, true},
                                     {"include", OPT_INCLUDE, true},
                                     {"policy", OPT_POLICY, true},
                                     {"budget", OPT_BUDGET, true},
                                     {"sleep-ms", OPT_SLEEP_MS, true},
                                     {"keep", OPT_KEEP, true},
                                     {"days", OPT_DAYS, true},
                                     {"apply", OPT_APPLY, false},
                                     {"attach", OPT_ATTACH, true},
                                     {"archive-db", OPT_ARCHIVE_DB, true},
                                     {"archive-codec", OPT_ARCHIVE_CODEC, true},
                                     {"migrations-dir", 0, true},
                                     {"no-progress", 0, false},
                                     {"dump-schema", OPT_DUMP_SCHEMA, false},
                                     {"schema-file", OPT_SCHEMA_FILE, true},
                                     {"canary", OPT_CANARY, true},
                                     {"max-failures", 0, true},
                                     {"commit-each", OPT_COMMIT_EACH, false},
                                     {"listen", OPT_LISTEN, true},
                                     {"scrape-timeout", OPT_SCRAPE_TIMEOUT, true},
                                     {"min-interval", OPT_MIN_INTERVAL, true},
                                     {"report-interval", OPT_REPORT_EVERY, true},
                                     {"allow-writes", OPT_ALLOW_WRITES, false},
                                     {"token-file", OPT_TOKEN_FILE, true},
                                     {"html", OPT_HTML, true},
                                     {"incremental", OPT_INCREMENTAL, false},
                                     {"stanza", OPT_STANZA, true},
                                     {"type", OPT_BACKUP_TYPE, true},
                                     {"to-time", OPT_TO_TIME, true},
                                     {"allow-drop", OPT_ALLOW_DROP, false},
                                     {"all-backups", OPT_ALL_BACKUPS, false},
                                     {"compress", OPT_COMPRESS, true},
                                     {"encrypt-key-file", OPT_KEY_FILE, true},
                                     {"to-mark", OPT_TO_MARK, true},
                                     {"from", OPT_FROM, true},
                                     {"segment-interval", OPT_SEGMENT, true},
                                     {"segment-bytes", OPT_SEGMENT, true},
                                     {"run-for", OPT_RUN_FOR, true},
                                     {NULL, 0, false}};

static int usage_error(const char *fmt, const char *arg)
{
	fputs("dbcare: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs("\nrun dbcare --help for the commands and options\n", stderr);
	return CLI_USAGE;
}

/* 60, 60s, 2m, 500ms, 1h -> seconds; -1 when unreadable. strtod also
 * reads "nan" and "inf", which no deadline can be computed from (a wait
 * that never ends): refused, as is anything beyond a year. */
static double parse_duration(const char *s)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || !isfinite(v) || v < 0 || v > 366 * 86400.0)
		return -1;
	if (*end == '\0' || strcmp(end, "s") == 0)
		return v;
	if (strcmp(end, "ms") == 0)
		return v / 1000;
	if (strcmp(end, "m") == 0)
		return v * 60 <= 366 * 86400.0 ? v * 60 : -1;
	if (strcmp(end, "h") == 0)
		return v * 3600 <= 366 * 86400.0 ? v * 3600 : -1;
	return -1;
}

static bool positive_int(const char *s, int *out)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (end == s || *end || v < 1 || v > 1000000)
		return false;
	*out = (int)v;
	return true;
}

static bool has_glob(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

/* The glob's matches a fleet takes: a symlink points out of the folder
 * (to /etc/passwd, to another tenant's database that --allow-writes would
 * migrate) and is left out, with a warning, unless --follow-symlinks is
 * given. The kept matches move to the front of g; their count. */
static size_t keep_plain_files(const cli_opts *o, glob_t *g)
{
	size_t kept = 0;
	for (size_t i = 0; i < g->gl_pathc; i++) {
		struct stat st;
		char *p = g->gl_pathv[i];
		if (!o->follow_symlinks && lstat(p, &st) == 0 && S_ISLNK(st.st_mode)) {
			cli_errorf("warning: %s is a symlink: left out of the fleet (--follow-symlinks "
			           "follows it)",
			           p);
			continue;
		}
		g->gl_pathv[i] = g->gl_pathv[kept];
		g->gl_pathv[kept++] = p;
	}
	return kept;
}

/* A --db value with a glob in a SQLite path: every matching file. A path
 * naming an existing file is that file, even with '*', '?' or '[' in its
 * name (tenant[1].db). o->dbs has room for this value and the `later`
 * values after it, whatever the globs before them added. */
static int expand_db(cli_opts *o, const char *value, int later, bool *fleet)
{
	cli_target t;
	char *err = NULL;
	if (cli_target_parse(value, &t, &err) != 0) {
		fprintf(stderr, "%s\n", err);
		free(err);
		return CLI_USAGE;
	}
	if (t.engine != CLI_ENGINE_SQLITE || !has_glob(t.spec) || access(t.spec, F_OK) == 0) {
		o->dbs[o->ndbs++] = value;
		return CLI_OK;
	}
	glob_t g;
	int rc = glob(t.spec, 0, NULL, &g);
	size_t kept = rc == 0 ? keep_plain_files(o, &g) : 0;
	if (rc != 0 || kept == 0) {
		cli_errorf("no database file matches \"%s\"%s", t.spec,
		           rc == 0 ? " (symlinks are not followed without --follow-symlinks)" : "");
		if (rc == 0)
			globfree(&g);
		return CLI_ERROR;
	}
	const char **more =
	    realloc(o->dbs, sizeof(char *) * ((size_t)o->ndbs + g.gl_pathc + (size_t)later + 1));
	if (!more)
		return CLI_ERROR;
	o->dbs = more;
	for (size_t i = 0; i < kept; i++) {
		char *v = NULL;
		if (asprintf(&v, "sqlite:%s", g.gl_pathv[i]) < 0)
			return CLI_ERROR;
		o->dbs[o->ndbs++] = v;
	}
	globfree(&g);
	*fleet = true;
	return CLI_OK;
}

static int run_command_line(int argc, char **argv)
{
	cli_opts o = {.dir = "migrations",
	              .jobs = 1,
	              .timeout_s = 60,
	              .steps = -1,
	              .budget_s = 60,
	              .keep = -1,
	              .days = -1,
	              .scrape_timeout_s = 5,
	              .min_interval_s = 1,
	              .report_every_s = 60};
	const char *cmd_name = NULL, *format = NULL;
	const char **dbvals = calloc((size_t)argc + 1, sizeof(char *));
	int ndbvals = 0;
	uint64_t given = 0;
	bool json = false, help = false, only_args = false, show_version = false;
	o.args = calloc((size_t)argc + 1, sizeof(char *));
	o.attach_names = calloc((size_t)argc + 1, sizeof(char *));
	o.attach_paths = calloc((size_t)argc + 1, sizeof(char *));
	/* a progress bar needs a terminal that understands its escapes */
	const char *term = getenv("TERM");
	o.out.term = isatty(STDERR_FILENO);
	o.out.tty = o.out.term && !(term && strcmp(term, "dumb") == 0);
	cli_progress_sink = &o.out;
	cli_sqlite_setup();

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (only_args || a[0] != '-' || strcmp(a, "-") == 0) {
			if (!cmd_name)
				cmd_name = a;
			else
				o.args[o.nargs++] = argv[i];
			continue;
		}
		if (strcmp(a, "--") == 0) {
			only_args = true;
			continue;
		}
		if (strcmp(a, "-h") == 0)
			a = "--help";
		else if (strcmp(a, "-d") == 0)
			a = "--dir";
		else if (strncmp(a, "-d", 2) == 0 && a[2] != '-') {
			o.dir = a + 2; /* -dFOLDER */
			o.dir_given = true;
			continue;
		}
		/* --version: dbcare's own, except after lint (lint --version V) */
		if (strcmp(a, "--version") == 0 && !(cmd_name && strcmp(cmd_name, "lint") == 0)) {
			show_version = true;
			continue;
		}
		if (strncmp(a, "--", 2) != 0)
			return usage_error("unknown option \"%s\"", a);
		const char *name = a + 2, *eq = strchr(name, '=');
		size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
		const option_def *d = options;
		while (d->name && !(strlen(d->name) == nlen && strncmp(d->name, name, nlen) == 0))
			d++;
		if (!d->name)
			return usage_error("unknown option \"%s\"", a);
		const char *val = NULL;
		if (d->value) {
			if (eq)
				val = eq + 1;
			else if (i + 1 < argc)
				val = argv[++i];
			else
				return usage_error("option \"%s\" needs a value", a);
		} else if (eq) {
			return usage_error("option \"%s\" takes no value", a);
		}
		given |= d->bit;
		if (strcmp(d->name, "db") == 0 || strcmp(d->name, "url") == 0)
			dbvals[ndbvals++] = val;
		else if (strcmp(d->name, "no-progress") == 0)
			o.out.no_progress = true;
		else if (strcmp(d->name, "dump-schema") == 0)
			o.dump_schema = true;
		else if (strcmp(d->name, "schema-file") == 0)
			o.schema_file = val;
		else if (strcmp(d->name, "module") == 0)
			o.module = val;
		else if (strcmp(d->name, "install") == 0)
			o.install = true;
		else if (strcmp(d->name, "json") == 0)
			json = true;
		else if (strcmp(d->name, "format") == 0)
			format = val;
		else if (strcmp(d->name, "quiet") == 0)
			o.out.quiet = true;
		else if (strcmp(d->name, "jobs") == 0) {
			if (!positive_int(val, &o.jobs))
				return usage_error("--jobs needs a positive number, not \"%s\"", val);
			o.jobs_given = true;
		} else if (strcmp(d->name, "dir") == 0 || strcmp(d->name, "migrations-dir") == 0) {
			o.dir = val;
			o.dir_given = true;
		} else if (strcmp(d->name, "to") == 0)
			o.to = val;
		else if (strcmp(d->name, "allow-drop") == 0)
			o.allow_drop = true;
		else if (strcmp(d->name, "steps") == 0) {
			if (!positive_int(val, &o.steps))
				return usage_error("--steps needs a positive number, not \"%s\"", val);
		} else if (strcmp(d->name, "dry-run") == 0)
			o.dry_run = true;
		else if (strcmp(d->name, "exit-code") == 0)
			o.exit_code = true;
		else if (strcmp(d->name, "mode") == 0) {
			/* the health modes (maintain plans by them too): checked
			 * here, so a typo is a usage error before any connection */
			if (strcmp(val, "quick") != 0 && strcmp(val, "standard") != 0 &&
			    strcmp(val, "full") != 0)
				return usage_error("--mode is quick, standard or full, not \"%s\"", val);
			o.mode = val;
		} else if (strcmp(d->name, "fail-on") == 0) {
			if (strcmp(val, "warning") != 0 && strcmp(val, "critical") != 0)
				return usage_error("--fail-on is warning or critical, not \"%s\"", val);
			o.fail_on = val;
		} else if (strcmp(d->name, "delete") == 0)
			o.delete_rows = true;
		else if (strcmp(d->name, "timeout") == 0) {
			if ((o.timeout_s = parse_duration(val)) < 0)
				return usage_error(
				    "--timeout needs a duration such as 60s, 2m or 500ms, not \"%s\"", val);
		} else if (strcmp(d->name, "version") == 0)
			o.version = val;
		else if (strcmp(d->name, "include") == 0) {
			/* each item by the extension's own list (dbmaintain_run reads
			 * it the same way), so a typo never reaches the database */
			char *items = strdup(val), *save = NULL;
			for (char *it = strtok_r(items, ",", &save); it; it = strtok_r(NULL, ",", &save)) {
				it += strspn(it, " \t\n\r");
				size_t n = strlen(it);
				while (n && strchr(" \t\n\r", it[n - 1]))
					it[--n] = '\0';
				if (!dbc_maintain_include_known(it)) {
					usage_error("--include names safety classes (locking, destructive) or "
					            "actions of the maintenance plan, not \"%s\"",
					            it);
					free(items);
					return CLI_USAGE;
				}
			}
			free(items);
			o.include = val;
		} else if (strcmp(d->name, "policy") == 0)
			o.policy = val;
		else if (strcmp(d->name, "budget") == 0) {
			if ((o.budget_s = parse_duration(val)) < 0)
				return usage_error("--budget needs a duration such as 60s, 2m or 500ms, not \"%s\"",
				                   val);
		} else if (strcmp(d->name, "sleep-ms") == 0) {
			char *end;
			long v = strtol(val, &end, 10);
			if (end == val || *end || v < 0 || v > 3600000)
				return usage_error("--sleep-ms needs a number of milliseconds, not \"%s\"", val);
			o.sleep_ms = (int)v;
		} else if (strcmp(d->name, "segment-interval") == 0) {
			if ((o.segment_s = parse_duration(val)) <= 0)
				return usage_error("--segment-interval needs a duration such as 60s or 5m, not \"%s\"",
				                   val);
		} else if (strcmp(d->name, "segment-bytes") == 0) {
			char *end;
			long long v = strtoll(val, &end, 10);
			if (end == val || *end || v < 4096)
				return usage_error("--segment-bytes needs a number of bytes (at least 4096), not \"%s\"",
				                   val);
			o.segment_bytes = v;
		} else if (strcmp(d->name, "run-for") == 0) {
			if ((o.run_for_s = parse_duration(val)) <= 0)
				return usage_error("--run-for needs a duration such as 10s or 5m, not \"%s\"", val);
		} else if (strcmp(d->name, "keep") == 0) {
			if (!positive_int(val, &o.keep))
				return usage_error("--keep needs a positive number, not \"%s\"", val);
		} else if (strcmp(d->name, "days") == 0) {
			if (!positive_int(val, &o.days))
				return usage_error("--days needs a positive number, not \"%s\"", val);
		} else if (strcmp(d->name, "apply") == 0)
			o.apply = true;
		else if (strcmp(d->name, "incremental") == 0)
			o.incremental = true;
		else if (strcmp(d->name, "all-backups") == 0)
			o.all_backups = true;
		else if (strcmp(d->name, "attach") == 0) {
			const char *sep = strchr(val, '=');
			if (!sep || sep == val || !sep[1])
				return usage_error("--attach needs NAME=PATH (an ATTACH name and a SQLite "
				                   "file), not \"%s\"",
				                   val);
			o.attach_names[o.nattach] = strndup(val, (size_t)(sep - val));
			o.attach_paths[o.nattach++] = sep + 1;
		} else if (strcmp(d->name, "archive-db") == 0)
			o.archive_db = val;
		else if (strcmp(d->name, "archive-codec") == 0) {
			if (strcmp(val, "zstd") != 0 && strcmp(val, "none") != 0)
				return usage_error("--archive-codec needs zstd or none, not \"%s\"", val);
			o.archive_codec = val;
		} else if (strcmp(d->name, "commit-each") == 0)
			o.commit_each = true;
		else if (strcmp(d->name, "canary") == 0) {
			if (!positive_int(val, &o.canary))
				return usage_error("--canary needs a positive number, not \"%s\"", val);
		} else if (strcmp(d->name, "max-failures") == 0) {
			if (!positive_int(val, &o.max_failures))
				return usage_error("--max-failures needs a positive number, not \"%s\"", val);
		} else if (strcmp(d->name, "listen") == 0)
			o.listen = val;
		else if (strcmp(d->name, "scrape-timeout") == 0) {
			if ((o.scrape_timeout_s = parse_duration(val)) <= 0)
				return usage_error(
				    "--scrape-timeout needs a duration above 0 such as 5s or 500ms, not \"%s\"",
				    val);
		} else if (strcmp(d->name, "min-interval") == 0) {
			if ((o.min_interval_s = parse_duration(val)) < 0)
				return usage_error("--min-interval needs a duration such as 1s or 0, not \"%s\"",
				                   val);
		} else if (strcmp(d->name, "report-interval") == 0) {
			if ((o.report_every_s = parse_duration(val)) < 0)
				return usage_error(
				    "--report-interval needs a duration such as 60s, 5m or 0, not \"%s\"", val);
		} else if (strcmp(d->name, "follow-symlinks") == 0)
			o.follow_symlinks = true;
		else if (strcmp(d->name, "allow-writes") == 0)
			o.allow_writes = true;
		else if (strcmp(d->name, "token-file") == 0)
			o.token_file = val;
		else if (strcmp(d->name, "stanza") == 0)
			o.stanza = val;
		else if (strcmp(d->name, "type") == 0) {
			if (strcmp(val, "full") != 0 && strcmp(val, "diff") != 0 && strcmp(val, "incr") != 0)
				return usage_error("--type is full, diff or incr, not \"%s\"", val);
			o.backup_type = val;
		} else if (strcmp(d->name, "to-time") == 0)
			o.to_time = val;
		else if (strcmp(d->name, "compress") == 0) {
			if (strcmp(val, "zstd") != 0 && strcmp(val, "none") != 0)
				return usage_error("--compress is zstd or none, not \"%s\"", val);
			o.compress = strcmp(val, "zstd") == 0 ? val : NULL;
		} else if (strcmp(d->name, "encrypt-key-file") == 0)
			o.key_file = val;
		else if (strcmp(d->name, "to-mark") == 0)
			o.to_mark = val;
		else if (strcmp(d->name, "from") == 0)
			o.from_dir = val;
		else if (strcmp(d->name, "help") == 0)
			help = true;
		else if (strcmp(d->name, "html") == 0)
			o.html = val;
	}
	if (show_version || (cmd_name && strcmp(cmd_name, "version") == 0)) {
		cli_print_version();
		return CLI_OK;
	}
	if (cmd_name && strcmp(cmd_name, "help") == 0) {
		if (o.nargs > 1)
			return usage_error("help takes one command or topic, not \"%s\"", o.args[1]);
		return cli_help_topic(o.nargs ? o.args[0] : NULL);
	}
	if (!cmd_name) {
		cli_usage(help ? stdout : stderr);
		return help ? CLI_OK : CLI_USAGE;
	}
	const cli_command *cmd = cli_find_command(cmd_name);
	if (!cmd)
		return usage_error("unknown command \"%s\"", cmd_name);
	if (help) {
		cli_help_command(stdout, cmd);
		return CLI_OK;
	}
	uint64_t refused = given & ~cmd->options;
	for (const option_def *d = options; refused && d->name; d++)
		if (d->bit & refused) {
			char *msg = NULL;
			if (asprintf(&msg, "%s does not take --%%s", cmd->name) < 0)
				return CLI_ERROR;
			return usage_error(msg, d->name);
		}
	if (o.nargs < cmd->min_args || o.nargs > cmd->max_args) {
		fprintf(stderr, "dbcare: usage: dbcare %s %s\nrun dbcare %s --help for its options\n",
		        cmd->name, cmd->usage, cmd->name);
		return CLI_USAGE;
	}
	o.out.format = json ? CLI_FMT_JSON : CLI_FMT_TABLE;
	if (format) {
		if (strcmp(format, "table") == 0)
			o.out.format = CLI_FMT_TABLE;
		else if (strcmp(format, "json") == 0)
			o.out.format = CLI_FMT_JSON;
		else if (strcmp(format, "plain") == 0)
			o.out.format = CLI_FMT_PLAIN;
		else if (strcmp(format, "prometheus") == 0 && (cmd->options & OPT_FORMAT_PROM))
			o.out.format = CLI_FMT_PROMETHEUS;
		else
			return usage_error("unknown --format \"%s\" for this command", format);
	}
	if (cli_key_option(&o) != 0)
		return CLI_ERROR;
	if (cmd->traits & CMD_NO_DB)
		return cmd->run(NULL, &o);

	/* alert-rules: the defaults unless a database is named on the line
	 * (never DATABASE_URL's, so the committed rules come out the same
	 * wherever they are written) */
	if (ndbvals == 0 && (cmd->traits & CMD_DB_OPTIONAL))
		return cmd->run(NULL, &o);
	if (ndbvals == 0) {
		cli_load_dotenv(".env");
		const char *env = getenv("DATABASE_URL");
		if (!env || !*env) {
			fputs("dbcare: no database: pass --db URL or set DATABASE_URL (or write it in .env)\n",
			      stderr);
			return CLI_USAGE;
		}
		dbvals[ndbvals++] = env;
	}
	bool fleet = ndbvals > 1;
	o.dbs = calloc((size_t)ndbvals + 1, sizeof(char *));
	for (int i = 0; i < ndbvals; i++) {
		int rc = expand_db(&o, dbvals[i], ndbvals - i - 1, &fleet);
		if (rc != CLI_OK)
			return rc;
	}
	if (fleet && (cmd->traits & CMD_ARGS_ONE_DB) && o.nargs > 0) {
		fprintf(stderr, "dbcare: %s %s takes one database, not a fleet\n", cmd->name, o.args[0]);
		return CLI_USAGE;
	}
	if (fleet && o.dump_schema) {
		fputs("dbcare: --dump-schema writes one file: it takes one database, not a fleet\n",
		      stderr);
		return CLI_USAGE;
	}
	if (cmd->traits & CMD_WHOLE_FLEET)
		return cmd->run(NULL, &o);
	if (fleet && (cmd->traits & CMD_DB_OPTIONAL)) {
		fprintf(stderr, "dbcare: %s takes one database, not a fleet\n", cmd->name);
		return CLI_USAGE;
	}
	if (fleet)
		return cli_run_fleet(cmd, &o);
	return cli_run_one(cmd, &o, o.dbs[0]);
}

/* Output that did not reach stdout (a full disk, a closed pipe while
 * SIGPIPE is ignored) is an error: `dbcare schema snapshot >snap.json`
 * never leaves a cut file behind an exit code of 0. */
int main(int argc, char **argv)
{
	int rc = run_command_line(argc, argv);
	if (cli_flush_stdout() != 0 && rc != CLI_USAGE)
		rc = CLI_ERROR;
	return rc;
}
