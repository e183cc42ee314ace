/*
 * test_migrate_layouts.c — the migration folders as their own tools keep
 * them, read without a database (core/migrate/migrate_files.c): Prisma
 * folders keyed and run by folder name, sqlx's bare files, goose's
 * annotations, diesel's YYYY-MM-DD_HHMMSS folders in timestamp order, and
 * every file or folder that looks like a migration read or refused by
 * name, never skipped.
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include "migrate/migrate_files.h"
#include "migrate/migrate_goose.h"
#include "migrate/migrate_version.h"
#include "unit.h"

#include <ftw.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

static void test_name_versions(dbc_ctx *ctx)
{
	char *c;
	CHECK(dbc_version_is_name("20241018111424_add_notes") && dbc_version_is_name("1_") &&
	          !dbc_version_is_name("1_2") && !dbc_version_is_name("20241018111424") &&
	          !dbc_version_is_name("x_1") && !dbc_version_is_name("1_a/b") &&
	          !dbc_version_is_name("1_a\nb"),
	      "name versions: <digits>_<name>, never a number version");
	CHECK(dbc_version_valid("20241018111424_add_notes") && !dbc_version_number("1_x"),
	      "a name is a valid version, never a file name's number");
	CHECK(dbc_version_cmp("202410181114246_y", "20241018111424_x") < 0,
	      "names compare as text: Prisma's folder order");
	CHECK(dbc_version_cmp("20241018111424_a", "20241018111424_b") < 0 &&
	          dbc_version_cmp("20241018111424_b", "20241018111424_b") == 0,
	      "one timestamp, two names: two versions");
	CHECK(dbc_version_cmp("99999999999999999", "0_a") < 0 && dbc_version_cmp("0_a", "0") > 0,
	      "every number before every name (0 undoes everything)");
	CHECK(dbc_version_canonical(ctx, "0020241018111424_x", "version", &c) == DBC_OK &&
	          strcmp(c, "0020241018111424_x") == 0,
	      "a name is its own canonical form");
}

/* The folder's versioned ups, in order, "version=name;..." */
static char *ups(dbc_ctx *ctx, const dbc_migrate_dir *d)
{
	dbc_buf b;
	dbc_buf_init(&b, ctx);
	for (int i = 0; i < d->n; i++)
		if (d->files[i].kind == DBC_FILE_UP)
			dbc_buf_appendf(&b, "%s%s=%s", b.len ? ";" : "", d->files[i].canon, d->files[i].name);
	return dbc_buf_finish(&b);
}

static void test_prisma(dbc_ctx *ctx)
{
	dbc_migrate_dir d;
	CHECK(dbc_migrate_read_dir(ctx, &pgdbc_dialect, "test/fixtures/migrations/prisma", &d) ==
	              DBC_OK &&
	          d.nbad == 0 && d.layouts == 1u << DBC_LAYOUT_PRISMA,
	      "prisma: read, every folder Prisma's");
	CHECK_STR(ups(ctx, &d),
	          "20240101120000_init=init;20240102090000_=20240102090000_;"
	          "202410181114246_add_tags=add tags;20241018111424_add_authors=add authors;"
	          "20241018111424_add_notes=add notes",
	          "prisma: folder name order, one timestamp twice, the nameless folder");
	bool down = false;
	for (int i = 0; i < d.n; i++)
		if (strcmp(d.files[i].canon, "20241018111424_add_notes") == 0 &&
		    d.files[i].kind == DBC_FILE_UP)
			down = dbc_migrate_dir_down(&d, i) && strcmp(dbc_migrate_dir_down(&d, i)->file,
			                                             "20241018111424_add_notes/down.sql") == 0;
	CHECK(down, "prisma: a down.sql beside migration.sql is the down script");
	CHECK(strstr(dbc_migrate_layout_order(DBC_LAYOUT_PRISMA), "folder name order") != NULL,
	      "prisma: status says the order");
}

static void test_sqlx_goose_diesel(dbc_ctx *ctx)
{
	dbc_migrate_dir d;
	CHECK(dbc_migrate_read_dir(ctx, &sqldbc_dialect, "test/fixtures/migrations/sqlx", &d) ==
	              DBC_OK &&
	          d.nbad == 0 && (d.layouts & (1u << DBC_LAYOUT_SQLX)) &&
	          !(d.layouts & (1u << DBC_LAYOUT_DBMATE)),
	      "sqlx: bare files without markers are sqlx's, not refused dbmate files");
	CHECK_STR(ups(ctx, &d),
	          "20240101000000=create users;20240102000000=add posts;"
	          "20240103000000=index email",
	          "sqlx: bare and .up.sql files in version order");
	CHECK(d.n == 4 && d.files[3].no_transaction && !d.files[0].no_transaction,
	      "sqlx: a -- no-transaction first line runs the file outside a transaction");

	CHECK(dbc_migrate_read_dir(ctx, &sqldbc_dialect, "test/fixtures/migrations/goose", &d) ==
	              DBC_OK &&
	          d.nbad == 0 && d.layouts == 1u << DBC_LAYOUT_GOOSE && d.n == 6,
	      "goose: three files, each an up and a down");
	CHECK(d.n == 6 && strstr(d.files[2].script, "CREATE TRIGGER users_audit") &&
	          !strstr(d.files[2].script, "DROP TABLE audit") &&
	          strstr(d.files[3].script, "DROP TABLE audit") &&
	          strcmp(d.files[3].file, "00002_add_audit.sql (+goose Down)") == 0,
	      "goose: the Up and Down blocks split");
	CHECK(d.n == 6 && d.files[4].no_transaction && d.files[5].no_transaction &&
	          !d.files[0].no_transaction,
	      "goose: NO TRANSACTION marks both directions");

	CHECK(dbc_migrate_read_dir(ctx, &sqldbc_dialect, "test/fixtures/migrations/diesel_dates", &d) ==
	              DBC_OK &&
	          d.nbad == 0,
	      "diesel: every naming read");
	CHECK_STR(ups(ctx, &d),
	          "20240312090000=create items;20240313080000=add name;20240313170000=add price",
	          "diesel: 2024-03-13_170000 ordered by its full timestamp");
}

static void put(const char *dir, const char *name, const char *text)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

/* A scratch folder of the files and folders named (name, text pairs; folder,
 * file-in-it pairs), for the caller to read and then remove. */
static int make_folder(char *dir, size_t n, const char *const *files, const char *const *dirs)
{
	const char *tmp = getenv("TMPDIR");
	char sub[700];
	snprintf(dir, n, "%s/dbc-layouts-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
	if (!mkdtemp(dir))
		return 0;
	for (int i = 0; dirs && dirs[i]; i += 2) {
		snprintf(sub, sizeof sub, "%s/%s", dir, dirs[i]);
		mkdir(sub, 0700);
		if (dirs[i + 1][0])
			put(sub, dirs[i + 1], "SELECT 1;\n");
	}
	for (int i = 0; files && files[i]; i += 2)
		put(dir, files[i], files[i + 1]);
	return 1;
}

static void remove_folder(const char *dir)
{
	nftw(dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

/* The refusals of such a folder: their detail for the checks. */
static const char *refusals(dbc_ctx *ctx, const char *const *files, const char *const *dirs)
{
	char dir[512];
	if (!make_folder(dir, sizeof dir, files, dirs))
		return "";
	dbc_migrate_dir d;
	int refused = dbc_migrate_read_dir(ctx, &sqldbc_dialect, dir, &d) == DBC_OK &&
	              dbc_migrate_dir_refuse(ctx, &d, "m") == DBC_ERROR;
	remove_folder(dir);
	if (!refused)
		return "";
	const char *detail = dbc_strdup(ctx, ctx->detail ? ctx->detail : "");
	dbc_error_clear(ctx);
	return detail;
}

static void test_never_skipped(dbc_ctx *ctx)
{
	static const char *const dirs[] = {"20240101000000_",
	                                   "migration.sql",
	                                   "20240102000000_x",
	                                   "notes.txt",
	                                   "20240103000000",
	                                   "up.sql",
	                                   NULL};
	static const char *const files[] = {"20240104000000_.sql", "SELECT 1;\n",
	                                    "20240105000000_worker.go", "package m\n", NULL};
	const char *detail = refusals(ctx, files, dirs);
	CHECK(!strstr(detail, "20240101000000_:"), "a nameless Prisma folder is read, not refused");
	CHECK(strstr(detail, "20240102000000_x: a migration directory with neither up.sql (diesel) "
	                     "nor migration.sql (Prisma)") != NULL,
	      "a folder without a script is refused by name");
	CHECK(strstr(detail, "20240103000000: a directory that is not <version>_<name>") != NULL,
	      "a folder of digits only is refused by name");
	CHECK(strstr(detail, "20240104000000_.sql: the name after the version's '_' is empty") != NULL,
	      "a file <ts>_.sql is refused, saying why");
	CHECK(strstr(detail, "20240105000000_worker.go: a goose Go migration") != NULL,
	      "a goose Go migration is refused by name");

	static const char *const marked[] = {"1_a.sql", "-- migrate:up\nSELECT 1;\n", "2_b.sql",
	                                     "SELECT 2;\n", NULL};
	detail = refusals(ctx, marked, NULL);
	CHECK(strstr(detail, "2_b.sql: a dbmate file") != NULL,
	      "in a dbmate folder a file without -- migrate:up is refused, never run whole");
	static const char *const goose[] = {"1_a.sql", "-- +goose Up\nSELECT 1;\n",
	                                    "2_b.sql", "SELECT 2;\n",
	                                    "3_c.sql", "-- +goose ENVSUB ON\n-- +goose Up\nSELECT 3;\n",
	                                    NULL};
	detail = refusals(ctx, goose, NULL);
	CHECK(strstr(detail, "2_b.sql: a goose file without a \"-- +goose Up\" line") != NULL &&
	          strstr(detail, "3_c.sql: goose's ENVSUB") != NULL,
	      "goose: a file without Up and an ENVSUB file refused");
}

static void test_text_order(dbc_ctx *ctx)
{
	char dir[512];
	static const char *const dbmate[] = {"9_a.sql", "-- migrate:up\nSELECT 9;\n", "10_b.sql",
	                                     "-- migrate:up\nSELECT 10;\n", NULL};
	const char *detail = refusals(ctx, dbmate, NULL);
	CHECK(strstr(detail, "9_a.sql and 10_b.sql: dbmate runs them in the other order") != NULL,
	      "dbmate: versions of different lengths, whose name order is not their number order, "
	      "refused");
	static const char *const diesel[] = {"9_a", "up.sql", "10_b", "up.sql", NULL};
	detail = refusals(ctx, NULL, diesel);
	CHECK(strstr(detail, "9_a/up.sql and 10_b/up.sql: diesel runs them in the other order") != NULL,
	      "diesel: the same");
	static const char *const sqlx[] = {"9_a.sql", "SELECT 9;\n", "10_b.sql", "SELECT 10;\n", NULL};
	dbc_migrate_dir d;
	CHECK(make_folder(dir, sizeof dir, sqlx, NULL) &&
	          dbc_migrate_read_dir(ctx, &sqldbc_dialect, dir, &d) == DBC_OK && d.nbad == 0 &&
	          strcmp(d.files[0].version, "9") == 0,
	      "sqlx: versions by number, as sqlx runs them");
	remove_folder(dir);
}

static void test_goose_split(dbc_ctx *ctx)
{
	char *up, *down;
	const char *why;
	CHECK(dbc_migrate_goose_split(ctx, "-- a comment\n-- +goose up\nSELECT 1;\n-- +goose DOWN\n",
	                              &up, &down, &why) == DBC_OK &&
	          !why && strcmp(up, "SELECT 1;\n") == 0 && strcmp(down, "") == 0,
	      "goose: annotations in any letter case, comments before Up");
	CHECK(dbc_migrate_goose_split(ctx, "SELECT 0;\n-- +goose Up\nSELECT 1;\n", &up, &down, &why) ==
	              DBC_OK &&
	          why && strstr(why, "before the \"-- +goose Up\""),
	      "goose: a statement before Up is refused");
	CHECK(dbc_migrate_goose_split(ctx, "-- +goose Down\nSELECT 1;\n-- +goose Up\n", &up, &down,
	                              &why) == DBC_OK &&
	          why && strstr(why, "comes before"),
	      "goose: Down before Up is refused");
}

int main(void)
{
	dbc_ctx ctx;
	dbc_ctx_init(&ctx, &unit_host, NULL);
	test_name_versions(&ctx);
	test_prisma(&ctx);
	test_sqlx_goose_diesel(&ctx);
	test_never_skipped(&ctx);
	test_goose_split(&ctx);
	test_text_order(&ctx);
	dbc_ctx_finish(&ctx);
	return unit_done();
}
