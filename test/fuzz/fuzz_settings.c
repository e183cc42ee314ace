/*
 * fuzz_settings.c — validation and normalisation of settings values
 * (dbc_setting_normalise) for every key of the catalogue: the first byte picks
 * the key, the rest is the value. A value that is accepted must normalise to
 * a text that is accepted again and normalises to itself (what dbcare_set
 * stores is what dbcare_get returns, and setting it back changes nothing).
 * The read path (dbc_setting_effective, a value found in the config table)
 * takes the value only when it is exactly that normal form, and the default
 * otherwise, with the reason.
 */
#include "fuzz.h"
#include "settings/settings.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	dbc_ctx ctx;
	dbc_ctx_init(&ctx, &unit_host, NULL);
	dbc_setting_list cat;
	FUZZ_ASSERT(dbc_settings_catalog(&ctx, &cat) == DBC_OK && cat.n > 0, "the catalogue loads");
	const dbc_setting_def *def = &cat.defs[data[0] % cat.n];
	char *value = fuzz_cstr(&ctx, data + 1, size - 1);

	char *norm = NULL;
	if (dbc_setting_normalise(&ctx, def, value, &norm) == DBC_OK) {
		FUZZ_ASSERT(norm != NULL, "an accepted value has a normal form");
		char *again = NULL;
		FUZZ_ASSERT(dbc_setting_normalise(&ctx, def, norm, &again) == DBC_OK,
		            "the normal form is accepted");
		FUZZ_ASSERT(strcmp(norm, again) == 0, "normalising is idempotent");
	} else {
		FUZZ_ASSERT(ctx.failed && ctx.message && strstr(ctx.message, def->key),
		            "a rejection names the key");
	}
	/* The read path: the stored text itself, or the default with a reason. */
	dbc_error_clear(&ctx);
	const char *effective = NULL;
	char *problem = NULL;
	FUZZ_ASSERT(dbc_setting_effective(&ctx, def, value, &effective, &problem) == DBC_OK &&
	                !ctx.failed,
	            "reading a stored value never fails");
	if (problem) {
		FUZZ_ASSERT(effective == def->default_value,
		            "a rejected stored value reads as the default");
		FUZZ_ASSERT(!norm || strcmp(norm, value) != 0,
		            "only a value not in normal form is rejected");
	} else {
		FUZZ_ASSERT(effective == value && norm && strcmp(norm, value) == 0,
		            "a stored value is taken only in the normal form dbcare_set stores");
	}
	/* The default of every key must itself be valid. */
	dbc_error_clear(&ctx);
	char *dflt = NULL;
	FUZZ_ASSERT(dbc_setting_normalise(&ctx, def, def->default_value, &dflt) == DBC_OK,
	            "the default value is valid");
	dbc_ctx_finish(&ctx);
	return 0;
}
