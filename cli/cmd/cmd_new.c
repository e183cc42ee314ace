/*
 * cmd_new.c — dbcare new NAME: the next Flyway pair in --dir,
 * V<n>__NAME.sql and U<n>__NAME.sql, n one above the highest version's
 * leading number among the files the core's reader accepts there; in a
 * Prisma folder, Prisma's <UTC timestamp>_NAME/ with migration.sql and
 * down.sql (a Flyway number there would sort before every Prisma folder).
 * Needs no database; refuses to overwrite.
 */
#include "cli/cli.h"
#include "cli/common/files.h"

#include "base/dbc.h"
#include "migrate/migrate.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

extern const dbc_dialect sqldbc_dialect;

/* The highest leading number of any version in the folder (0: none). A
 * folder with bad files still gets its next number: new is how one starts
 * fixing it. */
static long long highest(const char *dir, bool *prisma)
{
	dbc_ctx ctx;
	dbc_migrate_dir d;
	long long max = 0;
	*prisma = false;
	dbc_ctx_init(&ctx, cli_text_host(), NULL);
	if (dbc_migrate_read_dir_unhashed(&ctx, &sqldbc_dialect, dir, &d) == DBC_OK) {
		*prisma = (d.layouts & (1u << DBC_LAYOUT_PRISMA)) != 0;
		for (int i = 0; i < d.n; i++)
			if (d.files[i].canon) {
				long long v = strtoll(d.files[i].canon, NULL, 10);
				if (v > max)
					max = v;
			}
	}
	dbc_ctx_finish(&ctx);
	return max;
}

/* Prisma's folder for NAME, made now: *up and *down its two files. */
static int prisma_folder(const char *dir, const char *name, char **version, char **up, char **down)
{
	char stamp[32];
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(stamp, sizeof stamp, "%Y%m%d%H%M%S", &tm);
	char *sub = NULL;
	if (asprintf(version, "%s_%s", stamp, name) < 0 || asprintf(&sub, "%s/%s", dir, *version) < 0)
		return CLI_ERROR;
	if (mkdir(sub, 0755) != 0) {
		cli_errorf("cannot create %s: %s", sub, strerror(errno));
		free(sub);
		return CLI_ERROR;
	}
	int rc = asprintf(up, "%s/migration.sql", sub) < 0 || asprintf(down, "%s/down.sql", sub) < 0;
	free(sub);
	return rc ? CLI_ERROR : CLI_OK;
}

int cmd_new(cli_db *db, cli_opts *o)
{
	(void)db;
	const char *name = o->args[0];
	size_t len = strlen(name);
	if (len == 0 || len > 100 ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                 "0123456789_-") != len) {
		cli_errorf("a migration name is letters, digits, '_' and '-' (at most 100), not \"%s\"",
		           name);
		return CLI_USAGE;
	}
	if (mkdir(o->dir, 0755) != 0 && errno != EEXIST) {
		cli_errorf("cannot create %s: %s", o->dir, strerror(errno));
		return CLI_ERROR;
	}
	bool prisma;
	long long next = highest(o->dir, &prisma) + 1;
	char *version = NULL, *up = NULL, *down = NULL, *up_text = NULL, *down_text = NULL;
	if (prisma ? prisma_folder(o->dir, name, &version, &up, &down) != CLI_OK
	           : asprintf(&version, "%lld", next) < 0 ||
	                 asprintf(&up, "%s/V%lld__%s.sql", o->dir, next, name) < 0 ||
	                 asprintf(&down, "%s/U%lld__%s.sql", o->dir, next, name) < 0)
		return CLI_ERROR;
	if (asprintf(&up_text, "-- migration %s: %s (up)\n", version, name) < 0 ||
	    asprintf(&down_text, "-- migration %s: %s (down: undoes the up script)\n", version, name) <
	        0)
		return CLI_ERROR;
	if (cli_write_new_file(up, up_text) != 0)
		return CLI_ERROR;
	if (cli_write_new_file(down, down_text) != 0) {
		unlink(up);
		return CLI_ERROR;
	}
	if (o->out.format == CLI_FMT_JSON) {
		fputs("{\"version\":", stdout);
		cli_json_string(stdout, version);
		fputs(",\"up\":", stdout);
		cli_json_string(stdout, up);
		fputs(",\"down\":", stdout);
		cli_json_string(stdout, down);
		fputs("}\n", stdout);
	} else if (!o->out.quiet) {
		printf("%s\n%s\n", up, down);
	}
	free(version);
	free(up);
	free(down);
	free(up_text);
	free(down_text);
	return CLI_OK;
}
