/*
 * fuzz_backup_method.c — the backup method and seal texts
 * (core/backup/backup_seal.c: dbbackup_create's method, dbbackup_mark's
 * seal), which come from SQL text: any text either reads, or is an error
 * (never both, never a crash). A method that reads names a kind and a
 * seal whose written form (dbc_backup_method_text) reads back the same; a
 * seal that reads has at least one of zstd and encrypt, and reads the
 * same as the method full+seal. A text that could be key material (key=,
 * a long run of hex or base64) never reads.
 */
#include "fuzz.h"
#include "backup/backup_private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dbc_ctx ctx;
	dbc_ctx_init(&ctx, &unit_host, NULL);
	char *text = fuzz_cstr(&ctx, data, size);
	bool incremental = false, inc2 = false;
	unsigned seal = 0, seal2 = 0;
	int rc = dbc_backup_parse_method(&ctx, text, &incremental, &seal);
	FUZZ_ASSERT((rc == DBC_OK) == !ctx.failed, "a method reads or is an error");
	if (rc == DBC_OK) {
		FUZZ_ASSERT(seal <= (DBC_BACKUP_SEAL_ZSTD | DBC_BACKUP_SEAL_ENCRYPT), "known seal bits");
		const char *again = dbc_backup_method_text(incremental, seal);
		FUZZ_ASSERT(dbc_backup_parse_method(&ctx, again, &inc2, &seal2) == DBC_OK &&
		                inc2 == incremental && seal2 == seal,
		            "the written method reads back the same");
		FUZZ_ASSERT(!strstr(text, "key"), "no key= text reads");
	}
	dbc_error_clear(&ctx);
	rc = dbc_backup_parse_seal(&ctx, text, &seal);
	FUZZ_ASSERT((rc == DBC_OK) == !ctx.failed, "a seal reads or is an error");
	if (rc == DBC_OK) {
		FUZZ_ASSERT(seal != 0 && seal <= (DBC_BACKUP_SEAL_ZSTD | DBC_BACKUP_SEAL_ENCRYPT),
		            "a seal has zstd or encrypt");
		char *method = dbc_printf(&ctx, "full+%s", text);
		FUZZ_ASSERT(method && dbc_backup_parse_method(&ctx, method, &inc2, &seal2) == DBC_OK &&
		                !inc2 && seal2 == seal,
		            "full+seal reads as the seal");
	}
	dbc_ctx_finish(&ctx);
	return 0;
}
