/*
 * fuzz_migrate_checksum.c — the v1 script normalisation and checksum
 * (core/migrate/migrate_checksum.c): normalising is idempotent and never grows the
 * text, leaves no CR and no trailing white space, and a script has the same
 * checksum as its normalised form (the history stores the normalised text).
 */
#include "fuzz.h"
#include "migrate/migrate_checksum.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dbc_ctx ctx;
	dbc_ctx_init(&ctx, &unit_host, NULL);
	char *script = fuzz_cstr(&ctx, data, size);
	char *once = dbc_script_normalise(&ctx, script);
	FUZZ_ASSERT(once != NULL, "normalising succeeds");
	size_t n = strlen(once);
	FUZZ_ASSERT(n <= strlen(script), "normalising never grows the text");
	FUZZ_ASSERT(strchr(once, '\r') == NULL, "no CR is left");
	FUZZ_ASSERT(n == 0 || !strchr(" \t\n\f\v", once[n - 1]), "no trailing white space is left");
	FUZZ_ASSERT(strncmp(once, "\xEF\xBB\xBF", 3) != 0, "no leading BOM is left");
	char *twice = dbc_script_normalise(&ctx, once);
	FUZZ_ASSERT(twice && strcmp(once, twice) == 0, "normalising is idempotent");

	char *c1 = NULL, *c2 = NULL;
	FUZZ_ASSERT(dbc_script_checksum(&ctx, script, &c1) == DBC_OK, "a checksum is computed");
	FUZZ_ASSERT(dbc_script_checksum(&ctx, once, &c2) == DBC_OK, "a checksum is computed");
	FUZZ_ASSERT(strcmp(c1, c2) == 0, "a script and its normalised form have one checksum");
	FUZZ_ASSERT(dbc_checksum_current(c1), "the checksum carries the current tag");
	FUZZ_ASSERT(strlen(c1) == strlen(DBC_CHECKSUM_TAG) + 64, "tag plus 64 hex digits");
	for (const char *p = c1 + strlen(DBC_CHECKSUM_TAG); *p; p++)
		FUZZ_ASSERT((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'), "lower-case hex");
	dbc_ctx_finish(&ctx);
	return 0;
}
