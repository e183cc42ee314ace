/*
 * fuzz_migrate_files.c — migration file and directory names
 * (dbc_migrate_parse_filename, dbc_migrate_parse_diesel), on both engines: an
 * accepted name has a valid version (unless repeatable) and a non-empty
 * name, and rebuilding the name from the parts gives the input back (the
 * ".sql" suffix in any letter case), so no part of a name is silently
 * dropped or read from the wrong place. A skipped name (a Flyway callback,
 * another engine's popx file) is one of the shapes that say so.
 */
#include "fuzz.h"
#include "migrate/migrate_files.h"
#include "migrate/migrate_version.h"

#include <strings.h>

static char *underscored(dbc_ctx *ctx, const char *s)
{
	char *out = dbc_strdup(ctx, s);
	for (char *p = out; *p; p++)
		if (*p == ' ')
			*p = '_';
	return out;
}

/* rebuilt equals file, the last suffix_len bytes in any letter case */
static bool same_name(const char *rebuilt, const char *file, size_t suffix_len)
{
	size_t n = strlen(file);
	return strlen(rebuilt) == n && n >= suffix_len && memcmp(rebuilt, file, n - suffix_len) == 0 &&
	       strncasecmp(rebuilt + n - suffix_len, file + n - suffix_len, suffix_len) == 0;
}

static void check_version(dbc_ctx *ctx, const dbc_migrate_file *f)
{
	FUZZ_ASSERT(f->version && dbc_version_valid(f->version), "the version is valid");
	char *canon = NULL;
	FUZZ_ASSERT(dbc_version_canonical(ctx, f->version, "version", &canon) == DBC_OK,
	            "the version has a canonical form");
}

static void check_file(dbc_ctx *ctx, const dbc_dialect *engine, const char *file)
{
	dbc_migrate_file f;
	const char *why = NULL;
	dbc_name_kind k = dbc_migrate_parse_filename(ctx, engine, file, &f, &why);
	size_t n = strlen(file);
	FUZZ_ASSERT(f.file && strcmp(f.file, file) == 0, "the file name is kept");
	if (k == DBC_NAME_BAD) {
		FUZZ_ASSERT(why && *why, "a refused name has a reason");
		return;
	}
	FUZZ_ASSERT(n > 4 && strcasecmp(file + n - 4, ".sql") == 0, "only .sql files are read");
	if (k == DBC_NAME_CALLBACK) {
		FUZZ_ASSERT(strncmp(file, "before", 6) == 0 || strncmp(file, "after", 5) == 0 ||
		                strncmp(file, "createSchema", 12) == 0,
		            "a callback is named for a Flyway event");
		return;
	}
	if (k == DBC_NAME_OTHER_ENGINE) {
		FUZZ_ASSERT(file[0] >= '0' && file[0] <= '9' && strchr(file, '_'),
		            "only golang-migrate names have engine infixes");
		return;
	}
	FUZZ_ASSERT(k == DBC_NAME_MIGRATION, "a known kind");
	FUZZ_ASSERT(f.name && *f.name, "an accepted name has a non-empty name part");
	FUZZ_ASSERT(strchr(f.name, '_') == NULL, "'_' in names reads as a space");
	char *rebuilt;
	size_t suffix;
	const char *name = underscored(ctx, f.name);
	if (f.kind == DBC_FILE_REPEATABLE) {
		FUZZ_ASSERT(f.version == NULL, "a repeatable has no version");
		rebuilt = dbc_printf(ctx, "R__%s.sql", name);
		suffix = 4;
	} else {
		check_version(ctx, &f);
		if (f.layout == DBC_LAYOUT_GOLANG) {
			FUZZ_ASSERT(strchr(f.version, '_') == NULL, "golang-migrate versions end at '_'");
			const char *dir = f.kind == DBC_FILE_UP ? "up" : "down";
			/* the infix as written: this engine's, between name and direction */
			size_t tail = strlen(dir) + 5, stem = n - tail,
			       base = strlen(f.version) + 1 + strlen(name);
			/* popx's .autocommit comes last in the infix, after the engine's */
			size_t autocommit = f.autocommit ? strlen(".autocommit") : 0;
			FUZZ_ASSERT(!f.autocommit ||
			                (stem >= base + autocommit &&
			                 strncasecmp(file + stem - autocommit, ".autocommit", autocommit) == 0),
			            ".autocommit read only where it is written");
			FUZZ_ASSERT(f.engine_specific == (stem - autocommit > base),
			            "an engine infix exactly when one was read");
			rebuilt = dbc_printf(ctx, "%s_%s%.*s.%s.sql", f.version, name, (int)(stem - base),
			                     file + base, dir);
			suffix = tail;
		} else if (f.layout == DBC_LAYOUT_DBMATE) {
			/* both directions in one file, read as its up (migrate_dbmate.h) */
			FUZZ_ASSERT(f.kind == DBC_FILE_UP && !f.engine_specific, "dbmate: read as its up");
			FUZZ_ASSERT(strchr(f.version, '_') == NULL, "dbmate versions end at the first '_'");
			rebuilt = dbc_printf(ctx, "%s_%s.sql", f.version, name);
			suffix = 4;
		} else {
			FUZZ_ASSERT(f.layout == DBC_LAYOUT_FLYWAY && !f.engine_specific, "Flyway");
			FUZZ_ASSERT(strstr(f.version, "__") == NULL, "Flyway versions end at \"__\"");
			rebuilt =
			    dbc_printf(ctx, "%c%s__%s.sql", f.kind == DBC_FILE_UP ? 'V' : 'U', f.version, name);
			suffix = 4;
		}
	}
	FUZZ_ASSERT(same_name(rebuilt, underscored(ctx, file), suffix),
	            "the parts rebuild the file name");
}

/* diesel: <version with '-'>_<name>; the version is the digits in order
 * (with the time of a YYYY-MM-DD_HHMMSS_<name> folder) */
static void check_diesel(dbc_ctx *ctx, const char *dir)
{
	dbc_migrate_file f;
	const char *why = NULL;
	bool ok = dbc_migrate_parse_diesel(ctx, dir, "down.sql", &f, &why);
	FUZZ_ASSERT(ok == dbc_migrate_diesel_dirname(dir),
	            "a diesel name exactly when it has the shape");
	if (!ok) {
		FUZZ_ASSERT(why && *why, "a refused directory has a reason");
		return;
	}
	check_version(ctx, &f);
	FUZZ_ASSERT(f.kind == DBC_FILE_DOWN && f.layout == DBC_LAYOUT_DIESEL, "diesel's down.sql");
	FUZZ_ASSERT(f.name && *f.name && strchr(f.name, '_') == NULL, "a non-empty spaced name");
	dbc_buf digits;
	dbc_buf_init(&digits, ctx);
	const char *us = strchr(dir, '_');
	/* a dated version, YYYY-MM-DD_HHMMSS_<name>, keeps its time */
	const char *t = us + 1;
	while (memchr(dir, '-', (size_t)(us - dir)) && *t >= '0' && *t <= '9')
		t++;
	if (t > us + 1 && *t == '_' && t[1])
		us = t;
	for (const char *p = dir; p < us; p++)
		if (*p != '-' && *p != '_')
			dbc_buf_appendc(&digits, *p);
	FUZZ_ASSERT(strcmp(dbc_buf_finish(&digits), f.version) == 0, "the version is the digits");
	FUZZ_ASSERT(strcmp(underscored(ctx, f.name), underscored(ctx, us + 1)) == 0,
	            "the name is the rest");
	FUZZ_ASSERT(strcmp(f.file, dbc_printf(ctx, "%s/down.sql", dir)) == 0, "the file is named");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dbc_ctx ctx;
	dbc_ctx_init(&ctx, &unit_host, NULL);
	char *file = fuzz_cstr(&ctx, data, size);
	check_file(&ctx, &pgdbc_dialect, file);
	check_file(&ctx, &sqldbc_dialect, file);
	check_diesel(&ctx, file);
	dbc_ctx_finish(&ctx);
	return 0;
}
