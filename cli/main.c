/*
 * main.c — dbcare's command line: options, the command, one database or a
 * fleet. Options may stand before or after the command; each is read and
 * checked by its row of the table (options_list.h, options_table.c), and
 * an option the command does not take, or one nobody knows, is a usage
 * error (exit 2) before anything is opened, so a mistyped --dry-run never
 * migrates.
 */
#include "cli/backup/common/sealed.h"
#include "cli/backup/common/stop_cleanup.h"
#include "options.h"
#include "cli/driver/pin.h"
#include "base/heap_grow.h"

#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool has_glob(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

/* Where the components of pattern a glob matches begin: the start of its
 * first component holding '*', '?' or '['. glob() writes the components
 * before it as the pattern has them, so a match has its own from there at
 * the same offset. */
static size_t matched_part(const char *pattern)
{
	size_t start = 0;
	for (size_t i = 0; pattern[i] && !strchr("*?[", pattern[i]); i++)
		if (pattern[i] == '/')
			start = i + 1;
	return start;
}

/* The first symlink among the components of path the glob matched (from
 * from on: a folder as well as the file), as a malloc'd prefix of path;
 * NULL: none. The components the user wrote are theirs to link. */
static char *linked_component(const char *path, size_t from)
{
	size_t n = strlen(path);
	for (size_t end = from; end <= n; end++) {
		if (end < n && path[end] != '/')
			continue;
		char *prefix = strndup(path, end);
		struct stat st;
		if (prefix && *prefix && lstat(prefix, &st) == 0 && S_ISLNK(st.st_mode))
			return prefix;
		free(prefix);
	}
	return NULL;
}

/* The glob's matches a fleet takes: a symlink points out of the folder
 * (to /etc/passwd, to another tenant's database that --allow-writes would
 * migrate), and so does a symlinked folder a wildcard matched
 * (a glob over tenants' folders, one of them a link to another's folder):
 * such a match is left out, with a warning, unless --follow-symlinks is
 * given. The kept matches move to the front of g; their count. */
static size_t keep_plain_files(const cli_opts *o, const char *pattern, glob_t *g)
{
	size_t kept = 0, from = matched_part(pattern);
	for (size_t i = 0; i < g->gl_pathc; i++) {
		char *p = g->gl_pathv[i];
		char *link = o->follow_symlinks ? NULL : linked_component(p, from);
		if (link) {
			if (strcmp(link, p) == 0)
				cli_errorf("warning: %s is a symlink: left out of the fleet (--follow-symlinks "
				           "follows it)",
				           p);
			else
				cli_errorf("warning: %s is reached through the symlink %s: left out of the "
				           "fleet (--follow-symlinks follows it)",
				           p, link);
			free(link);
			continue;
		}
		/* a plain match is pinned: every later open is this very file */
		if (!o->follow_symlinks && cli_pin_file(p, from) != 0)
			continue;
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
	const char *file = cli_target_file(&t); /* NULL: a server's database */
	if (!file || !has_glob(file) || access(file, F_OK) == 0) {
		o->dbs[o->ndbs++] = value;
		return CLI_OK;
	}
	glob_t g;
	int rc = glob(file, 0, NULL, &g);
	size_t kept = rc == 0 ? keep_plain_files(o, file, &g) : 0;
	if (rc != 0 || kept == 0) {
		cli_errorf("no database file matches \"%s\"%s", file,
		           rc == 0 ? " (symlinks are not followed without --follow-symlinks)" : "");
		if (rc == 0)
			globfree(&g);
		return CLI_ERROR;
	}
	if (!dbc_heap_reserve(&o->dbs, (size_t)o->ndbs + g.gl_pathc + (size_t)later + 1, &o->cap_dbs,
	                      sizeof *o->dbs, 0))
		return CLI_ERROR;
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

/* The command serve runs for POST /migrate and /verify: its one database
 * is the member serve pinned (CLI_PIN_ENV), opened as serve opens it. */
static int pin_from_env(const cli_opts *o)
{
	const char *value = getenv(CLI_PIN_ENV);
	cli_target t;
	char *err = NULL;
	if (!value || !*value || o->ndbs != 1)
		return CLI_OK;
	if (cli_target_parse(o->dbs[0], &t, &err) != 0) {
		free(err);
		return CLI_OK; /* said again, and refused, where it is opened */
	}
	int rc = cli_target_file(&t) && cli_pin_from_env(t.spec, value) != 0 ? CLI_ERROR : CLI_OK;
	free(t.spec);
	free(t.label);
	return rc;
}

static bool is_command(const char *name, size_t len)
{
	for (const cli_command *c = cli_commands; c->name; c++)
		if (strlen(c->name) == len && strncmp(c->name, name, len) == 0)
			return true;
	return false;
}

/* Every command an option's row names exists (a typo there would refuse
 * the option everywhere), and every option is shown by some help: 0, or
 * -1 after saying which row is wrong. */
static int check_option_table(void)
{
	for (const cli_option *d = cli_options; d->name; d++) {
		if (!cli_help_shows(d)) {
			cli_errorf("internal: --%s is shown by no help", d->name);
			return -1;
		}
		for (const char *p = d->commands ? d->commands : ""; *p;) {
			size_t len = strcspn(p, " ");
			if (!is_command(p, len)) {
				cli_errorf("internal: --%s names a command that does not exist: %.*s", d->name,
				           (int)len, p);
				return -1;
			}
			p += len + strspn(p + len, " ");
		}
	}
	return 0;
}

/* One argument starting with '-' (argv[*i]; a value may take the next):
 * read by its row of the table into o or line. */
static int read_option(int argc, char **argv, int *i, cli_opts *o, cli_line *line)
{
	const char *a = argv[*i];
	if (strcmp(a, "-h") == 0)
		a = "--help";
	else if (strcmp(a, "-d") == 0)
		a = "--dir";
	else if (strncmp(a, "-d", 2) == 0 && a[2] != '-')
		return cli_option_read(cli_option_find("dir", 3), a + 2, o, line); /* -dFOLDER */
	/* --version: dbcare's own, except after lint (lint --version V) */
	if (strcmp(a, "--version") == 0 && !(line->command && strcmp(line->command, "lint") == 0)) {
		line->version = true;
		return CLI_OK;
	}
	if (strncmp(a, "--", 2) != 0)
		return cli_usage_error("unknown option \"%s\"", a);
	const char *name = a + 2, *eq = strchr(name, '=');
	const cli_option *d = cli_option_find(name, eq ? (size_t)(eq - name) : strlen(name));
	if (!d)
		return cli_usage_error("unknown option \"%s\"", a);
	const char *val = NULL;
	bool valued = cli_option_takes_value(d);
	if (d->value_optional)
		val = eq ? eq + 1 : NULL;
	else if (valued && eq)
		val = eq + 1;
	else if (valued && *i + 1 < argc)
		val = argv[++*i];
	else if (valued)
		return cli_usage_error("option \"%s\" needs a value", a);
	else if (eq)
		return cli_usage_error("option \"%s\" takes no value", a);
	line->given[line->ngiven++] = d;
	return cli_option_read(d, val, o, line);
}

/* The whole line: the command, its arguments, the options. */
static int read_line(int argc, char **argv, cli_opts *o, cli_line *line)
{
	bool only_args = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (only_args || a[0] != '-' || strcmp(a, "-") == 0) {
			if (!line->command)
				line->command = a;
			else
				o->args[o->nargs++] = argv[i];
		} else if (strcmp(a, "--") == 0) {
			only_args = true;
		} else {
			int rc = read_option(argc, argv, &i, o, line);
			if (rc != CLI_OK)
				return rc;
		}
	}
	return CLI_OK;
}

/* What the line asks of the command found: only options it takes, its
 * number of arguments, an output format it prints. */
static int check_command(const cli_command *cmd, cli_opts *o, const cli_line *line)
{
	for (int i = 0; i < line->ngiven; i++)
		if (!cli_option_taken_by(line->given[i], cmd->name))
			return cli_usage_error("%s does not take --%s", cmd->name, line->given[i]->name);
	if (o->nargs < cmd->min_args || o->nargs > cmd->max_args) {
		fprintf(stderr, "dbcare: usage: dbcare %s %s\nrun dbcare %s --help for its options\n",
		        cmd->name, cmd->usage, cmd->name);
		return CLI_USAGE;
	}
	o->out.format = line->json ? CLI_FMT_JSON : CLI_FMT_TABLE;
	const char *f = line->format;
	if (!f)
		return CLI_OK;
	if (strcmp(f, "table") == 0)
		o->out.format = CLI_FMT_TABLE;
	else if (strcmp(f, "json") == 0)
		o->out.format = CLI_FMT_JSON;
	else if (strcmp(f, "plain") == 0)
		o->out.format = CLI_FMT_PLAIN;
	else if (strcmp(f, "prometheus") == 0 &&
	         cli_option_listed_for(cli_option_find("format", 6), cmd->name))
		o->out.format = CLI_FMT_PROMETHEUS;
	else
		return cli_usage_error("unknown --format \"%s\" for this command", f);
	return CLI_OK;
}

/* The databases the command runs on (the line's, else DATABASE_URL's),
 * then the command: once, or once per database of a fleet. */
static int run_on_databases(const cli_command *cmd, cli_opts *o, cli_line *line)
{
	/* alert-rules: the defaults unless a database is named on the line
	 * (never DATABASE_URL's, so the committed rules come out the same
	 * wherever they are written) */
	if (line->ndbvals == 0 && (cmd->traits & CMD_DB_OPTIONAL))
		return cmd->run(NULL, o);
	if (line->ndbvals == 0) {
		cli_load_dotenv(".env");
		const char *env = getenv("DATABASE_URL");
		if (!env || !*env) {
			fputs("dbcare: no database: pass --db URL or set DATABASE_URL (or write it in .env)\n",
			      stderr);
			return CLI_USAGE;
		}
		line->dbvals[line->ndbvals++] = env;
	}
	bool fleet = line->ndbvals > 1;
	o->dbs = calloc((size_t)line->ndbvals + 1, sizeof(char *));
	o->cap_dbs = o->dbs ? (size_t)line->ndbvals + 1 : 0;
	for (int i = 0; i < line->ndbvals; i++) {
		int rc = expand_db(o, line->dbvals[i], line->ndbvals - i - 1, &fleet);
		if (rc != CLI_OK)
			return rc;
	}
	if (pin_from_env(o) != CLI_OK)
		return CLI_ERROR;
	cli_pins_sort();
	if (fleet && (cmd->traits & CMD_ARGS_ONE_DB) && o->nargs > 0) {
		fprintf(stderr, "dbcare: %s %s takes one database, not a fleet\n", cmd->name, o->args[0]);
		return CLI_USAGE;
	}
	if (fleet && o->dump_schema) {
		fputs("dbcare: --dump-schema writes one file: it takes one database, not a fleet\n",
		      stderr);
		return CLI_USAGE;
	}
	if (cmd->traits & CMD_WHOLE_FLEET)
		return cmd->run(NULL, o);
	if (fleet && (cmd->traits & CMD_DB_OPTIONAL)) {
		fprintf(stderr, "dbcare: %s takes one database, not a fleet\n", cmd->name);
		return CLI_USAGE;
	}
	if (fleet)
		return cli_run_fleet(cmd, o);
	int rc = cli_run_one(cmd, o, o->dbs[0]);
	cli_stop_end_stopped(); /* a stop honoured at a step boundary */
	return rc;
}

static int run_command_line(int argc, char **argv)
{
	cli_opts o;
	cli_options_defaults(&o);
	/* every list has room for each argument */
	cli_line line = {.dbvals = calloc((size_t)argc + 1, sizeof(char *)),
	                 .given = calloc((size_t)argc + 1, sizeof(cli_option *))};
	o.args = calloc((size_t)argc + 1, sizeof(char *));
	o.attach_names = calloc((size_t)argc + 1, sizeof(char *));
	o.attach_paths = calloc((size_t)argc + 1, sizeof(char *));
	o.subscribers = calloc((size_t)argc + 1, sizeof(char *));
	if (!line.dbvals || !line.given || !o.args || !o.attach_names || !o.attach_paths ||
	    !o.subscribers)
		return CLI_ERROR;
	/* a progress bar needs a terminal that understands its escapes */
	const char *term = getenv("TERM");
	o.out.term = isatty(STDERR_FILENO);
	o.out.tty = o.out.term && !(term && strcmp(term, "dumb") == 0);
	cli_progress_sink = &o.out;
	cli_sqlite_setup();
	if (check_option_table() != 0)
		return CLI_ERROR;

	int rc = read_line(argc, argv, &o, &line);
	if (rc != CLI_OK)
		return rc;
	if (line.version || (line.command && strcmp(line.command, "version") == 0)) {
		cli_print_version();
		return CLI_OK;
	}
	if (line.command && strcmp(line.command, "options") == 0) {
		if (line.help)
			return cli_help_topic("options");
		if (o.nargs > 1)
			return cli_usage_error("options takes one command, not \"%s\"", o.args[1]);
		return cli_print_options(o.nargs ? o.args[0] : NULL);
	}
	if (line.command && strcmp(line.command, "help") == 0) {
		if (o.nargs > 1)
			return cli_usage_error("help takes one command or topic, not \"%s\"", o.args[1]);
		return cli_help_topic(o.nargs ? o.args[0] : NULL);
	}
	if (!line.command) {
		cli_usage(line.help ? stdout : stderr);
		return line.help ? CLI_OK : CLI_USAGE;
	}
	const cli_command *cmd = cli_find_command(line.command);
	if (!cmd)
		return cli_usage_error("unknown command \"%s\"", line.command);
	if (line.help) {
		cli_help_command(stdout, cmd);
		return CLI_OK;
	}
	if ((rc = check_command(cmd, &o, &line)) != CLI_OK)
		return rc;
	if (cli_key_option(&o) != 0 || cli_allow_origin_option(&o) != 0)
		return CLI_ERROR;
	if (cmd->traits & CMD_NO_DB)
		return cmd->run(NULL, &o);
	if ((cmd->traits & CMD_FILES_ALONE) && line.ndbvals == 0 &&
	    (rc = cmd->run(NULL, &o)) != CLI_NEEDS_DB)
		return rc;
	return run_on_databases(cmd, &o, &line);
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
