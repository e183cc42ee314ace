/*
 * cmd_generate.c — dbcare generate --to schema.sql NAME: asks the database
 * for dbmigrate_generate's plan from its live schema to the one the file
 * declares (the extension proves it before it answers) and writes it into
 * --dir as migration files in the folder's own layout (Flyway V/U pairs,
 * golang-migrate .up.sql/.down.sql, diesel directories), ready for review.
 * Each run of steps that cannot run in a transaction (PostgreSQL's
 * CONCURRENTLY and ADD VALUE, SQLite's table rebuild) becomes a migration
 * of its own marked -- dbcare:no-transaction, cut where the generator's
 * proof cut it (dbc_gen_migration_end). Writes nothing when there is nothing to
 * do; never overwrites a file.
 */
#include "cli/cli.h"
#include "cli/common/files.h"

#include "base/dbc.h"
#include "base/heap_grow.h"
#include "migrate/migrate.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

extern const dbc_dialect sqldbc_dialect;

/* The folder's layout and its last version (NULL: an empty folder, which
 * gets Flyway's). */
typedef struct folder {
	dbc_file_layout layout;
	char last[128];
	bool any;
} folder;

static void read_folder(const char *dir, folder *f)
{
	dbc_ctx ctx;
	dbc_migrate_dir d;
	memset(f, 0, sizeof(*f));
	f->layout = DBC_LAYOUT_FLYWAY;
	dbc_ctx_init(&ctx, cli_text_host(), NULL);
	if (dbc_migrate_read_dir_unhashed(&ctx, &sqldbc_dialect, dir, &d) == DBC_OK)
		for (int i = 0; i < d.n; i++)
			if (d.files[i].version && d.files[i].kind == DBC_FILE_UP) {
				f->layout = d.files[i].layout;
				snprintf(f->last, sizeof f->last, "%s", d.files[i].version);
				f->any = true;
			}
	dbc_ctx_finish(&ctx);
}

/* The k-th new version (k from 1) after the folder's last, in its shape: a
 * timestamp where the last is one (14 digits, or diesel's dashes), else
 * the next number, as wide as the last. */
static void next_version(const folder *f, int k, char *out, size_t n)
{
	size_t len = strlen(f->last);
	/* a Prisma folder's name may hold '-' after its timestamp */
	bool prisma = f->layout == DBC_LAYOUT_PRISMA;
	bool dashes = !prisma && strchr(f->last, '-') != NULL;
	if (dashes || prisma || len >= 14) {
		time_t t = time(NULL) + k - 1;
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(out, n, dashes ? "%Y-%m-%d-%H%M%S" : "%Y%m%d%H%M%S", &tm);
		return;
	}
	long long v = (f->any ? strtoll(f->last, NULL, 10) : 0) + k;
	snprintf(out, n, "%0*lld", f->any && f->last[0] == '0' ? (int)len : 1, v);
}

/* Appends s to the script text. */
static void cat(dbc_heap_text *text, const char *s)
{
	dbc_heap_text_append(text, s, strlen(s));
}

/* A statement as a script line: its trailing ';' and blanks cut, one ';'. */
static void statement(dbc_heap_text *text, const char *sql, const char *hazard)
{
	if (hazard) {
		cat(text, "-- hazard: ");
		char *h = strdup(hazard);
		for (char *p = h; p && *p; p++)
			if (*p == '\n' || *p == '\r')
				*p = ' ';
		cat(text, h ? h : "");
		free(h);
		cat(text, "\n");
	}
	size_t n = strlen(sql);
	while (n && (sql[n - 1] == ';' || sql[n - 1] == ' ' || sql[n - 1] == '\n'))
		n--;
	dbc_heap_text_append(text, sql, n);
	cat(text, ";\n");
}

/* The two file paths of migration version/name in the layout. */
static int paths(const char *dir, const folder *f, const char *version, const char *name, char **up,
                 char **down)
{
	switch (f->layout) {
	case DBC_LAYOUT_GOLANG:
		return asprintf(up, "%s/%s_%s.up.sql", dir, version, name) < 0 ||
		               asprintf(down, "%s/%s_%s.down.sql", dir, version, name) < 0
		           ? -1
		           : 0;
	case DBC_LAYOUT_DIESEL:
	case DBC_LAYOUT_PRISMA: { /* a folder: Prisma's runs in name order, after the timestamps */
		char *sub = NULL;
		if (asprintf(&sub, "%s/%s_%s", dir, version, name) < 0)
			return -1;
		if (mkdir(sub, 0755) != 0) {
			cli_errorf("cannot create %s: %s", sub, strerror(errno));
			free(sub);
			return -1;
		}
		int rc = asprintf(up, "%s/%s", sub,
		                  f->layout == DBC_LAYOUT_PRISMA ? "migration.sql" : "up.sql") < 0 ||
		         asprintf(down, "%s/down.sql", sub) < 0;
		free(sub);
		return rc ? -1 : 0;
	}
	case DBC_LAYOUT_FLYWAY:
	default:
		return asprintf(up, "%s/V%s__%s.sql", dir, version, name) < 0 ||
		               asprintf(down, "%s/U%s__%s.sql", dir, version, name) < 0
		           ? -1
		           : 0;
	}
}

/* The plan's transactional column as flags, for dbc_gen_migration_end
 * (NULL: out of memory, said). */
static bool *transactional_column(const cli_rows *r, int col)
{
	bool *txs = calloc((size_t)r->nrows + 1, sizeof(bool));
	if (!txs)
		cli_errorf("out of memory");
	for (int i = 0; txs && i < r->nrows; i++)
		txs[i] = strcmp(cli_cell(r, i, col), "true") == 0;
	return txs;
}

int cmd_generate(cli_db *db, cli_opts *o)
{
	const char *name = o->args[0];
	size_t nlen = strlen(name);
	if (!o->to) {
		cli_errorf("generate needs --to FILE, the schema as it should be");
		return CLI_USAGE;
	}
	if (nlen == 0 || nlen > 90 ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != nlen) {
		cli_errorf("a migration name is letters, digits, '_' and '-' (at most 90), not \"%s\"",
		           name);
		return CLI_USAGE;
	}
	char *desired = cli_read_file(o->to);
	if (!desired)
		return CLI_ERROR;
	cli_rows r = {0};
	char opts[64];
	snprintf(opts, sizeof opts, "{\"allow_drop\": %s, \"reorder_columns\": %s}",
	         o->allow_drop ? "true" : "false", o->append_columns ? "false" : "true");
	const char *p[2] = {desired, opts};
	int rc = cli_q(db, o,
	               "SELECT step, statement, hazard, rows_affected, lock, reverse, transactional "
	               "FROM dbmigrate_generate($1, $2) ORDER BY step",
	               2, p, &r);
	free(desired);
	if (rc != 0)
		return CLI_ERROR;
	cli_bool_column(&r, "transactional");
	int cs = cli_col(&r, "statement"), ch = cli_col(&r, "hazard"), cr = cli_col(&r, "reverse"),
	    ct = cli_col(&r, "transactional");
	if (r.nrows == 0) {
		cli_note(&o->out, "the database already has the schema of %s: nothing to write", o->to);
		cli_rows_free(&r);
		return CLI_OK;
	}
	if (mkdir(o->dir, 0755) != 0 && errno != EEXIST) {
		cli_errorf("cannot create %s: %s", o->dir, strerror(errno));
		cli_rows_free(&r);
		return CLI_ERROR;
	}
	folder f;
	read_folder(o->dir, &f);
	int k = 0, status = CLI_OK;
	bool *txs = transactional_column(&r, ct);
	if (!txs) {
		cli_rows_free(&r);
		return CLI_ERROR;
	}
	if (o->out.format == CLI_FMT_JSON)
		fputs("[", stdout);
	for (int start = 0; start < r.nrows && status == CLI_OK;) {
		bool tx = txs[start];
		int end = dbc_gen_migration_end(txs, r.nrows, start);
		char version[64], *mname = NULL, *up = NULL, *down = NULL;
		next_version(&f, ++k, version, sizeof version);
		if (k == 1 ? asprintf(&mname, "%s", name) < 0 : asprintf(&mname, "%s_%d", name, k) < 0)
			return CLI_ERROR;
		dbc_heap_text ut = {0}, dt = {0};
		const char *head = tx ? "" : "-- dbcare:no-transaction\n";
		cat(&ut, head);
		cat(&dt, head);
		cat(&ut, "-- generated by dbcare generate from the desired schema; review it\n");
		cat(&dt, "-- generated by dbcare generate: undoes the up script\n");
		for (int i = start; i < end; i++)
			statement(&ut, cli_cell(&r, i, cs), cli_cell(&r, i, ch));
		for (int i = end - 1; i >= start; i--)
			if (cli_cell(&r, i, cr))
				statement(&dt, cli_cell(&r, i, cr), NULL);
		/* a script cut short by an out of memory is never written */
		if (paths(o->dir, &f, version, mname, &up, &down) != 0 || ut.oom || dt.oom ||
		    cli_write_new_file(up, ut.data) != 0 || cli_write_new_file(down, dt.data) != 0) {
			if (up)
				unlink(up);
			status = CLI_ERROR;
		} else if (o->out.format == CLI_FMT_JSON) {
			printf("%s{\"version\":\"%s\",\"transaction\":%s,\"up\":", k > 1 ? "," : "", version,
			       tx ? "true" : "false");
			cli_json_string(stdout, up);
			fputs(",\"down\":", stdout);
			cli_json_string(stdout, down);
			fputs("}", stdout);
		} else if (!o->out.quiet) {
			printf("%s\n%s\n", up, down);
		}
		free(ut.data);
		free(dt.data);
		free(up);
		free(down);
		free(mname);
		start = end;
	}
	free(txs);
	if (o->out.format == CLI_FMT_JSON)
		fputs("]\n", stdout);
	cli_rows_free(&r);
	return status;
}
