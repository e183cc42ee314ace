/*
 * fuzz_migrate_files.c — migration file names (dbc_mig_parse_filename): an
 * accepted name has a valid version (unless repeatable) and a non-empty name,
 * and rebuilding the file name from the parts gives the input back, so no
 * part of a name is silently dropped or read from the wrong place.
 */
#include "fuzz.h"
#include "migrate_files.h"
#include "migrate_version.h"

static char *underscored(dbc_ctx *ctx, const char *s)
{
	char *out = dbc_strdup(ctx, s);
	for (char *p = out; *p; p++)
		if (*p == ' ')
			*p = '_';
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dbc_ctx ctx;
	dbc_ctx_init(&ctx, &unit_host, NULL);
	char *file = fuzz_cstr(&ctx, data, size);
	dbc_mig_file f;
	const char *why = NULL;
	bool ok = dbc_mig_parse_filename(&ctx, file, &f, &why);
	FUZZ_ASSERT(f.file && strcmp(f.file, file) == 0, "the file name is kept");
	if (!ok) {
		FUZZ_ASSERT(why && *why, "a refused name has a reason");
		dbc_ctx_finish(&ctx);
		return 0;
	}
	FUZZ_ASSERT(f.name && *f.name, "an accepted name has a non-empty name part");
	FUZZ_ASSERT(strchr(f.name, '_') == NULL, "'_' in names reads as a space");
	char *rebuilt;
	const char *name = underscored(&ctx, f.name);
	if (f.kind == DBC_FILE_REPEATABLE) {
		FUZZ_ASSERT(f.version == NULL, "a repeatable has no version");
		rebuilt = dbc_printf(&ctx, "R__%s.sql", name);
	} else {
		FUZZ_ASSERT(f.version && dbc_version_valid(f.version), "the version is valid");
		char *canon = NULL;
		FUZZ_ASSERT(dbc_version_canonical(&ctx, f.version, "version", &canon) == DBC_OK,
		            "the version has a canonical form");
		if (file[0] >= '0' && file[0] <= '9') {
			FUZZ_ASSERT(strchr(f.version, '_') == NULL, "golang-migrate versions end at '_'");
			rebuilt = dbc_printf(&ctx, "%s_%s.%s.sql", f.version, name,
			                     f.kind == DBC_FILE_UP ? "up" : "down");
		} else {
			FUZZ_ASSERT(strstr(f.version, "__") == NULL, "Flyway versions end at \"__\"");
			rebuilt = dbc_printf(&ctx, "%c%s__%s.sql", f.kind == DBC_FILE_UP ? 'V' : 'U',
			                     f.version, name);
		}
	}
	FUZZ_ASSERT(strcmp(rebuilt, underscored(&ctx, file)) == 0,
	            "the parts rebuild the file name");
	dbc_ctx_finish(&ctx);
	return 0;
}
