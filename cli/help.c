/*
 * help.c — what `dbcare --help`, `dbcare COMMAND --help` and `dbcare help
 * TOPIC` print, `dbcare options [COMMAND]` and `dbcare --version`. Every line fits 80 columns (a
 * test reads them all): the command list shows names and summaries only, and each command's usage
 * line stands on a line of its own in its own help.
 */
#include "options.h"

#include <string.h>

/* Examples per command: one command line each, run from a project folder. */
static const struct {
	const char *command, *examples;
} examples[] = {
    {"wait", "dbcare wait --timeout 30s --db postgres://app@db/app && dbcare migrate\n"},
    {"create", "dbcare create --db sqlite:app.db\n"
               "dbcare create --install --db postgres://app@db/app\n"},
    {"drop", "dbcare drop --db sqlite:test.db\n"},
    {"status", "dbcare status --db sqlite:app.db\n"
               "dbcare status --exit-code || echo \"migrations pending\"\n"},
    {"migrate", "dbcare migrate --db sqlite:app.db\n"
                "dbcare migrate --to 3 --dry-run --db postgres://app@db/app\n"
                "dbcare migrate --commit-each --dump-schema --db postgres://app@db/app\n"
                "dbcare migrate --canary 10 --max-failures 3 --db 'sqlite:tenants/*.db'\n"},
    {"rollback", "dbcare rollback --db sqlite:app.db            # the newest\n"
                 "dbcare rollback --steps 2 --db sqlite:app.db\n"},
    {"verify", "dbcare verify --db sqlite:app.db\n"
               "dbcare verify app-20260101T030000Z.dump --db postgres://app@db/app\n"
               "dbcare verify 20260101-030000F --db postgres://app@db/app\n"},
    {"validate", "dbcare validate --db sqlite:app.db || exit 1\n"},
    {"baseline", "dbcare baseline 3 --db postgres://app@db/app\n"},
    {"repair", "dbcare repair --db sqlite:app.db\n"},
    {"history", "dbcare history --json --db sqlite:app.db\n"},
    {"script", "dbcare script --db sqlite:app.db > pending.sql\n"},
    {"new", "dbcare new create_users      # migrations/V<n>__create_users.sql, U<n>__...\n"},
    {"lint", "dbcare lint --fail-on warning --db sqlite:app.db || exit 1\n"},
    {"generate", "dbcare generate --to db/schema.sql add_email --db sqlite:app.db\n"
                 "# rename, never guessed: mark the new name's line in schema.sql\n"
                 "#   email text, -- dbcare: renamed from mail\n"},
    {"health", "dbcare health --db sqlite:app.db\n"
               "dbcare health --mode full --fail-on critical --quiet || alert\n"
               "dbcare health --format prometheus --db postgres://app@db/app\n"},
    {"check", "dbcare check --db sqlite:app.db\n"},
    {"orphans", "dbcare orphans --db sqlite:app.db\n"
                "dbcare orphans --delete --db sqlite:app.db\n"},
    {"maintain", "dbcare maintain --dry-run --db sqlite:app.db\n"
                 "dbcare maintain --include locking --db postgres://app@db/app\n"},
    {"retain", "dbcare retain --budget 5m --db sqlite:app.db\n"
               "dbcare retain --attach archive=archive.db --db sqlite:app.db\n"
               "dbcare retain --archive-db sqlite:archive.db --db sqlite:app.db\n"},
    {"backup", "dbcare backup --db sqlite:app.db\n"
               "dbcare backup app.dump --db postgres://app@db/app\n"
               "dbcare backup --stanza main --type full --db postgres://app@db/app\n"
               "dbcare backup drill --db postgres://app@db/app\n"},
    {"backups", "dbcare backups --db sqlite:app.db\n"
                "dbcare backups prune --keep 7 --apply --db sqlite:app.db\n"},
    {"restore", "dbcare restore backups/app-20260101T000000Z.db --db sqlite:app.db\n"
                "dbcare restore backups/app-incr-3.db --from backups --db sqlite:new.db\n"
                "dbcare restore --to-time '2026-01-01 12:00+00' restored --db postgres:///app\n"
                "dbcare restore --to-time '2026-01-01 12:00:05' backups/log --db sqlite:new.db\n"},
    {"log", "dbcare log backups/log --db sqlite:app.db    # until SIGTERM\n"
            "dbcare log backups/log --segment-interval 5m --db sqlite:app.db\n"
            "dbcare log status backups/log --json --db sqlite:app.db\n"
            "dbcare log prune backups/log --keep 3 --apply --db sqlite:app.db\n"
            "dbcare log prune backups/log --keep-for 7d    # a dry run; no --db needed\n"
            "dbcare backup drill --log backups/log         # the log's restore drill\n"},
    {"audit", "dbcare audit history account '{\"id\": 1}' --db sqlite:app.db\n"},
    {"dump", "dbcare dump --db sqlite:app.db            # db/schema.sql\n"
             "dbcare migrate --dump-schema --db sqlite:app.db\n"},
    {"schema", "dbcare schema snapshot --db sqlite:app.db > before.json\n"
               "dbcare schema diff before.json after.json --db sqlite:app.db\n"},
    {"config", "dbcare config list --db sqlite:app.db\n"
               "dbcare config get backup.dir --db sqlite:app.db\n"
               "dbcare config set backup.dir /var/backups/app --db sqlite:app.db\n"},
    {"serve", "dbcare serve --db postgres://app@db/app --listen 0.0.0.0:9187\n"
              "dbcare serve --db 'sqlite:tenants/*.db' --scrape-timeout 2s\n"
              "dbcare serve --allow-writes --token-file /run/secrets/dbcare-token\n"},
    {"report", "dbcare report --html report.html --db sqlite:app.db\n"
               "dbcare report --html fleet.html --db 'sqlite:tenants/*.db'\n"},
    {"alert-rules", "dbcare alert-rules > dbcare.rules.yml     # the default thresholds\n"
                    "dbcare alert-rules app.rules.yml --db sqlite:app.db\n"},
    {NULL, NULL}};

static const char common_options[] =
    "connection: --db URL (or --url URL; repeatable), else DATABASE_URL\n"
    "  (also read from a .env file); --module PATH (the SQLite module),\n"
    "  --install (CREATE EXTENSION dbcare when missing)\n"
    "output: --json, --format table|json|plain, --quiet, --no-progress;\n"
    "  fleets: --jobs N, --max-failures K (stop after K failed),\n"
    "  --follow-symlinks (a glob's symlinked matches too),\n"
    "  migrate --canary N (N databases first, stop if one fails)\n";

static const char exit_codes[] =
    "exit codes: 0 ok, 1 error, 2 usage (a bad command, option or value),\n"
    "  3 threshold reached (health --fail-on, check, orphans, lint),\n"
    "  4 migrate --wait-replicas: committed, a replica had not shown it in time\n";

static const char closing[] =
    "\ndbcare COMMAND --help: a command's options and examples;\n"
    "topics: dbcare help connecting | output | exit-codes | environment\n";

/* Topics besides the commands: `dbcare help TOPIC`. */
static const struct {
	const char *name, *text;
} topics[] = {
    {"connecting", "--db VALUE (or --url VALUE) names the database; without it DATABASE_URL,\n"
                   "from the environment or else from a .env file in the current folder.\n"
                   "  postgres://..., postgresql://...   PostgreSQL, a libpq URL\n"
                   "  host=... dbname=...                PostgreSQL, a libpq conninfo string\n"
                   "  sqlite:PATH, sqlite://PATH, PATH   SQLite, the file\n"
                   "libpq's variables (PGHOST, PGUSER, PGPASSWORD, ~/.pgpass, ...) apply.\n"
                   "A repeated --db, or a SQLite glob ('sqlite:tenants/*.db'), is a fleet:\n"
                   "the command runs once per database, --jobs N at a time. A match\n"
                   "that is a symlink is left out unless --follow-symlinks is given, and\n"
                   "each match is opened only as the file found at start.\n"},
    {"output", "A table by default; --format plain: tab-separated rows, no header;\n"
               "--json (--format json): one JSON document on stdout, the same shape on\n"
               "both engines, times in RFC 3339 UTC (2026-01-02T03:04:05.678Z).\n"
               "Errors go to stderr and start with \"dbcare: \". Progress goes to stderr,\n"
               "a bar on a terminal (plain lines when TERM=dumb), none with --no-progress;\n"
               "no colour is printed. --quiet prints only errors and what a command\n"
               "exists to print.\n"},
    {"exit-codes", exit_codes},
    {"environment", "DATABASE_URL    the database when --db is not given (also from .env)\n"
                    "DBCARE_MODULE   the SQLite module (else the one installed beside dbcare)\n"
                    "TERM=dumb       progress as plain lines, never a bar\n"
                    "PG*             libpq's variables, for PostgreSQL\n"},
    /* `dbcare options --help` */
    {"options", "usage: dbcare options [COMMAND]\n\n"
                "the options COMMAND takes, its own and the common ones, one a line;\n"
                "without COMMAND, every option. The bash completion offers what it\n"
                "prints.\n\n"
                "examples:\n"
                "  dbcare options health\n"
                "  dbcare options | grep backup\n"},
    {NULL, NULL}};

void cli_usage(FILE *f)
{
	fputs("usage: dbcare COMMAND [ARGS] [--db URL]... [options]\n\ncommands:\n", f);
	for (const cli_command *c = cli_commands; c->name; c++)
		fprintf(f, "  %-11s %s\n", c->name, c->summary);
	fputs("  up, down    migrate, rollback (as dbmate and golang-migrate name them)\n"
	      "  help        this text, or help COMMAND / help TOPIC\n"
	      "  options     the options of a COMMAND, one a line (the shell completion's)\n"
	      "  version     the version of dbcare (also --version)\n\n",
	      f);
	fputs(common_options, f);
	fputs(exit_codes, f);
	fputs(closing, f);
}

/* Whether text names --name as a whole option (not --name-more). */
static bool names_option(const char *text, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = strstr(text, "--"); p; p = strstr(p + 2, "--"))
		if (strncmp(p + 2, name, n) == 0 &&
		    !(p[2 + n] == '-' || (p[2 + n] >= 'a' && p[2 + n] <= 'z')))
			return true;
	return false;
}

bool cli_help_shows(const cli_option *opt)
{
	return opt->help || names_option(common_options, opt->name) || names_option(closing, opt->name);
}

void cli_help_command(FILE *f, const cli_command *c)
{
	fprintf(f, "usage: dbcare %s%s%s\n\n%s\n", c->name, *c->usage ? " " : "", c->usage, c->summary);
	bool any = false;
	for (const cli_option *d = cli_options; d->name; d++)
		if (cli_option_listed_for(d, c->name)) {
			fprintf(f, "%s  %-20s %s\n", any ? "" : "\noptions:\n", d->spelling, d->help);
			any = true;
		}
	if (!(c->traits & CMD_NO_DB))
		fprintf(f, "\n%s", common_options);
	for (int i = 0; examples[i].command; i++)
		if (strcmp(examples[i].command, c->name) == 0) {
			/* every example ends in '\n' */
			fputs("\nexamples:\n", f);
			for (const char *e = examples[i].examples; *e; e = strchr(e, '\n') + 1)
				fprintf(f, "  %.*s\n", (int)(strchr(e, '\n') - e), e);
		}
}

int cli_help_topic(const char *topic)
{
	if (!topic) {
		cli_usage(stdout);
		return CLI_OK;
	}
	const cli_command *c = cli_find_command(topic);
	if (c) {
		cli_help_command(stdout, c);
		return CLI_OK;
	}
	for (int i = 0; topics[i].name; i++)
		if (strcmp(topics[i].name, topic) == 0) {
			fputs(topics[i].text, stdout);
			return CLI_OK;
		}
	cli_errorf("no help on \"%s\": name a command, or connecting, output, exit-codes, "
	           "environment, options",
	           topic);
	return CLI_USAGE;
}

int cli_print_options(const char *command)
{
	const cli_command *cmd = NULL;
	if (command && !(cmd = cli_find_command(command)))
		return cli_usage_error("options: no command \"%s\" (dbcare --help lists them)", command);
	for (const cli_option *opt = cli_options; opt->name; opt++)
		if (!cmd || !opt->commands || cli_option_listed_for(opt, cmd->name)) {
			printf("--%s\n", opt->name);
			if (opt->alias)
				printf("--%s\n", opt->alias);
		}
	return CLI_OK;
}

void cli_print_version(void)
{
	printf("dbcare %s\n", DBC_VERSION);
}
