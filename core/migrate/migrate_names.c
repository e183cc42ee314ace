/*
 * migrate_names.c — reads migration file and directory names (the layouts
 * are listed in migrate_files.h). Parsing only: no file is opened here.
 */
#include "migrate/migrate_files.h"
#include "migrate/migrate_version.h"

#include <string.h>
#include <strings.h>

const char dbc_migrate_layouts[] =
    "Flyway: V<version>__<name>.sql with an optional U<version>__<name>.sql down script, "
    "R__<name>.sql repeatable; golang-migrate: <version>_<name>.up.sql and .down.sql, "
    "optionally with an engine infix (<version>_<name>.postgres.up.sql, .sqlite3.up.sql); "
    "diesel: a directory <version>_<name> holding up.sql and down.sql; "
    "Prisma: a directory <timestamp>_<name> holding migration.sql (and an optional "
    "down.sql); "
    "dbmate: <version>_<name>.sql with a \"-- migrate:up\" and an optional "
    "\"-- migrate:down\" block; goose: <version>_<name>.sql with \"-- +goose Up\" and "
    "\"-- +goose Down\"; sqlx: <version>_<name>.sql, the whole file the up script";

const char *dbc_migrate_layout_order(dbc_file_layout layout)
{
	switch (layout) {
	case DBC_LAYOUT_FLYWAY:
		return "Flyway files, in version order";
	case DBC_LAYOUT_GOLANG:
		return "golang-migrate files (.up.sql/.down.sql), in version order";
	case DBC_LAYOUT_DIESEL:
		return "diesel folders (up.sql, down.sql), in version order";
	case DBC_LAYOUT_DBMATE:
		return "dbmate files (-- migrate:up), in version order";
	case DBC_LAYOUT_GOOSE:
		return "goose files (-- +goose Up), in version order";
	case DBC_LAYOUT_SQLX:
		return "sqlx files (<version>_<name>.sql), in version order";
	case DBC_LAYOUT_PRISMA:
		return "Prisma folders (migration.sql), in folder name order";
	}
	return "?";
}

/* The suffix in any letter case (Flyway runs V1__init.SQL). */
static bool ends_with_ci(const char *s, size_t n, const char *suffix)
{
	size_t m = strlen(suffix);
	return n >= m && strncasecmp(s + n - m, suffix, m) == 0;
}

static char *spaced(dbc_ctx *ctx, const char *s, size_t n)
{
	char *out = dbc_strndup(ctx, s, n);
	for (char *p = out; p && *p; p++)
		if (*p == '_')
			*p = ' ';
	return out;
}

static bool word_is(const char *s, size_t n, const char *word)
{
	return strlen(word) == n && memcmp(s, word, n) == 0;
}

static bool infix_listed(const char *const *list, const char *s, size_t n)
{
	for (int i = 0; list && list[i]; i++)
		if (word_is(s, n, list[i]))
			return true;
	return false;
}

/* popx's engine infixes: 1 this engine's, -1 another engine's, 0 none
 * (then the dot belongs to the name, as golang-migrate reads it). The
 * dialect names its own engine and dbcare's others; these are the engines
 * dbcare does not run on. */
static int engine_infix(const dbc_dialect *d, const char *s, size_t n)
{
	static const char *const other[] = {"mysql", "mariadb",   "cockroach",  "cockroachdb",
	                                    "mssql", "sqlserver", "clickhouse", NULL};
	if (infix_listed(d->file_infixes, s, n))
		return 1;
	if (infix_listed(d->foreign_file_infixes, s, n) || infix_listed(other, s, n))
		return -1;
	return 0;
}

/* Flyway's SQL callbacks: <event>.sql or <event>__<description>.sql, the
 * event being before<Word> or after<Word> (beforeMigrate, afterEachMigrate,
 * afterMigrateError, ...) or createSchema. */
static bool flyway_callback(const char *file, size_t len)
{
	const char *sep = strstr(file, "__");
	size_t n = sep && sep < file + len ? (size_t)(sep - file) : len;
	size_t skip = strncmp(file, "before", 6) == 0 ? 6 : strncmp(file, "after", 5) == 0 ? 5 : 0;
	if (word_is(file, n, "createSchema"))
		return true;
	if (!skip || n <= skip || file[skip] < 'A' || file[skip] > 'Z')
		return false;
	for (size_t i = skip; i < n; i++)
		if (!((file[i] >= 'A' && file[i] <= 'Z') || (file[i] >= 'a' && file[i] <= 'z')))
			return false;
	return true;
}

/* A bare <version>_<name>.sql: dbmate's, goose's or sqlx's, which its
 * folder's contents decide when the files are read (migrate_files.c); read
 * as dbmate's up file until then. */
static dbc_name_kind parse_dbmate(dbc_ctx *ctx, const char *file, dbc_migrate_file *out,
                                  const char **why)
{
	size_t stem = strlen(file) - 4;
	const char *us = memchr(file, '_', stem);
	if (!us)
		return DBC_NAME_BAD;
	if (us + 1 >= file + stem) {
		*why = "the name after the version's '_' is empty (write <version>_<name>.sql)";
		return DBC_NAME_BAD;
	}
	out->version = dbc_strndup(ctx, file, (size_t)(us - file));
	if (!dbc_version_number(out->version)) {
		*why = "the version before the first '_' is not a valid version";
		return DBC_NAME_BAD;
	}
	out->layout = DBC_LAYOUT_DBMATE;
	out->kind = DBC_FILE_UP;
	out->name = spaced(ctx, us + 1, (size_t)(file + stem - us - 1));
	return DBC_NAME_MIGRATION;
}

static dbc_name_kind parse_golang(dbc_ctx *ctx, const dbc_dialect *d, const char *file,
                                  dbc_migrate_file *out, const char **why)
{
	size_t n = strlen(file);
	bool up = ends_with_ci(file, n, ".up.sql"), down = ends_with_ci(file, n, ".down.sql");
	if (!up && !down)
		return parse_dbmate(ctx, file, out, why);
	size_t stem = n - (up ? 7 : 9);
	const char *us = memchr(file, '_', stem);
	if (!us)
		return DBC_NAME_BAD;
	/* popx's .autocommit infix comes last (X.postgres.autocommit.up.sql):
	 * the migration runs outside a transaction */
	const char *end = file + stem;
	if (end - us > 12 && ends_with_ci(file, stem, ".autocommit")) {
		out->autocommit = true;
		end -= 11;
	}
	/* an engine infix is the last dot-separated word of the name */
	for (const char *dot = end; dot > us + 1; dot--) {
		if (dot[-1] != '.')
			continue;
		int which = engine_infix(d, dot, (size_t)(end - dot));
		if (which < 0)
			return DBC_NAME_OTHER_ENGINE;
		if (which > 0) {
			out->engine_specific = true;
			end = dot - 1;
		}
		break;
	}
	if (us + 1 >= end)
		return DBC_NAME_BAD;
	out->version = dbc_strndup(ctx, file, (size_t)(us - file));
	if (!dbc_version_number(out->version)) {
		*why = "the version before the first '_' is not a valid version";
		return DBC_NAME_BAD;
	}
	out->layout = DBC_LAYOUT_GOLANG;
	out->kind = up ? DBC_FILE_UP : DBC_FILE_DOWN;
	out->name = spaced(ctx, us + 1, (size_t)(end - us - 1));
	return DBC_NAME_MIGRATION;
}

dbc_name_kind dbc_migrate_parse_filename(dbc_ctx *ctx, const dbc_dialect *d, const char *file,
                                         dbc_migrate_file *out, const char **why)
{
	memset(out, 0, sizeof(*out));
	out->file = dbc_strdup(ctx, file);
	*why = "matches none of the accepted layouts";
	size_t n = strlen(file);
	if (!ends_with_ci(file, n, ".sql"))
		return DBC_NAME_BAD;
	size_t len = n - 4;
	if (flyway_callback(file, len))
		return DBC_NAME_CALLBACK;
	/* golang-migrate first: it starts with a digit */
	if (file[0] >= '0' && file[0] <= '9')
		return parse_golang(ctx, d, file, out, why);
	out->layout = DBC_LAYOUT_FLYWAY;
	if (file[0] == 'R' && strncmp(file, "R__", 3) == 0) {
		if (len <= 3)
			return DBC_NAME_BAD;
		out->kind = DBC_FILE_REPEATABLE;
		out->name = spaced(ctx, file + 3, len - 3);
		return DBC_NAME_MIGRATION;
	}
	if (file[0] == 'V' || file[0] == 'U') {
		const char *sep = strstr(file + 1, "__");
		if (!sep || sep >= file + len)
			return DBC_NAME_BAD;
		out->version = dbc_strndup(ctx, file + 1, (size_t)(sep - file - 1));
		if (!dbc_version_number(out->version)) {
			*why = "the version between the prefix and \"__\" is not a valid version";
			return DBC_NAME_BAD;
		}
		if (sep + 2 >= file + len) {
			*why = "the name after \"__\" is empty";
			return DBC_NAME_BAD;
		}
		out->kind = file[0] == 'V' ? DBC_FILE_UP : DBC_FILE_DOWN;
		out->name = spaced(ctx, sep + 2, (size_t)(file + len - sep - 2));
		return DBC_NAME_MIGRATION;
	}
	return DBC_NAME_BAD;
}

bool dbc_migrate_diesel_dirname(const char *dir)
{
	if (!(dir[0] >= '0' && dir[0] <= '9') || strchr(dir, '.'))
		return false;
	const char *us = strchr(dir, '_');
	if (!us || !us[1])
		return false;
	for (const char *p = dir; p < us; p++)
		if (!((*p >= '0' && *p <= '9') || *p == '-'))
			return false;
	return true;
}

bool dbc_migrate_dirname_candidate(const char *dir)
{
	return dir[0] >= '0' && dir[0] <= '9';
}

/* diesel's version: the digits before the first '_' without their '-'
 * (2017-04-27-185017 is 20170427185017); a date written YYYY-MM-DD_HHMMSS
 * (2024-03-13_170000_x) keeps its time, 20240313170000, so that it runs
 * in its place among the other timestamps. Returns where the name starts. */
static const char *diesel_version(dbc_ctx *ctx, const char *dir, char **version)
{
	const char *us = strchr(dir, '_');
	const char *end = us;
	if (memchr(dir, '-', (size_t)(us - dir))) {
		const char *t = us + 1;
		while (*t >= '0' && *t <= '9')
			t++;
		if (t > us + 1 && *t == '_' && t[1])
			end = t;
	}
	char *v = dbc_alloc(ctx, (size_t)(end - dir) + 1);
	if (!v)
		return NULL;
	size_t k = 0;
	for (const char *p = dir; p < end; p++)
		if (*p >= '0' && *p <= '9')
			v[k++] = *p;
	v[k] = '\0';
	*version = v;
	return end + 1;
}

bool dbc_migrate_parse_diesel(dbc_ctx *ctx, const char *dir, const char *script,
                              dbc_migrate_file *out, const char **why)
{
	memset(out, 0, sizeof(*out));
	out->file = dbc_printf(ctx, "%s/%s", dir, script);
	*why = "a directory that is not <version>_<name> (diesel)";
	if (!dbc_migrate_diesel_dirname(dir))
		return false;
	const char *name = diesel_version(ctx, dir, &out->version);
	if (!name)
		return false;
	out->layout = DBC_LAYOUT_DIESEL;
	out->kind = strcmp(script, "down.sql") == 0 ? DBC_FILE_DOWN : DBC_FILE_UP;
	out->name = spaced(ctx, name, strlen(name));
	return dbc_version_number(out->version);
}

bool dbc_migrate_parse_prisma(dbc_ctx *ctx, const char *dir, const char *script,
                              dbc_migrate_file *out, const char **why)
{
	memset(out, 0, sizeof(*out));
	out->file = dbc_printf(ctx, "%s/%s", dir, script);
	const char *us = strchr(dir, '_');
	*why = "a Prisma folder that is not <timestamp>_<name>";
	if (!us || !dbc_version_is_name(dir)) {
		if (us && dbc_version_number(dir))
			*why = "a Prisma folder whose name after '_' is only digits, which reads as a "
			       "version number; put a letter in the name";
		return false;
	}
	/* Prisma keys a migration by its folder's name, and runs the folders
	 * in name order: the name is the version (a name version) */
	out->version = dbc_strdup(ctx, dir);
	out->layout = DBC_LAYOUT_PRISMA;
	out->kind = strcmp(script, "down.sql") == 0 ? DBC_FILE_DOWN : DBC_FILE_UP;
	/* "<timestamp>_": Prisma's migration without a name */
	out->name = us[1] ? spaced(ctx, us + 1, strlen(us + 1)) : dbc_strdup(ctx, dir);
	return out->version && out->name;
}
