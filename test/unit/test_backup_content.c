/*
 * test_backup_content.c — core/backup's one rule for a backup's content
 * and file, whichever engine recorded them: the catalog texts of both
 * engines (the SQLite module's positional arrays, PostgreSQL's keyed
 * object) read into one record and judged by one comparison, in one set
 * of words; the keyed form's decimal sums read exactly (one text per
 * value), its tables compared by name whatever order the server's object
 * kept; a record that does not parse refused, not compared as equal; a
 * file against its recorded SHA-256.
 */
#include "backup/backup_content.h"
#include "unit.h"

#define HEX_A "0123456789abcdef0123456789abcdef"
#define HEX_B "fedcba9876543210fedcba9876543210"

/* The verdict of recorded against copy: why (a copy in ctx) or "=" when
 * they match, "!" when one does not parse. */
static const char *judge(dbc_ctx *ctx, const char *recorded, const char *copy,
                         dbc_backup_content_verdict *v)
{
	if (dbc_backup_content_judge(ctx, recorded, copy, v) != DBC_OK)
		return "!";
	return v->why ? v->why : "=";
}

static void test_one_rule_both_forms(void)
{
	dbc_ctx ctx;
	dbc_ctx_init(&ctx, &unit_host, NULL);
	dbc_backup_content_verdict v;
	/* PostgreSQL's keyed form: the server's key order is length first */
	const char *pg = "{\"public.b\": {\"rows\": 2, \"hash\": \"-7\"},"
	                 " \"public.aa\": {\"rows\": 3, \"hash\": \"12345678901234567890\"}}";
	CHECK_STR(judge(&ctx, pg, pg, &v), "=", "a keyed record matches itself");
	CHECK(v.tables == 2 && v.rows == 5 && v.mismatches == 0, "its counts: 2 tables, 5 rows, 0 off");
	CHECK_STR(judge(&ctx, pg,
	                "{\"public.aa\": {\"rows\": 3, \"hash\": \"12345678901234567890\"},"
	                " \"public.b\": {\"rows\": 1, \"hash\": \"-7\"}}",
	                &v),
	          "table public.b has 1 rows, the source had 2", "a lost row, in the core's words");
	CHECK(v.mismatches == 1 && v.rows == 5, "one table off");
	CHECK_STR(judge(&ctx, pg,
	                "{\"public.b\": {\"rows\": 2, \"hash\": \"-8\"},"
	                " \"public.aa\": {\"rows\": 3, \"hash\": \"12345678901234567890\"}}",
	                &v),
	          "table public.b holds other rows than the source (its content hash differs, with "
	          "as many rows)",
	          "a changed row: same count, another sum");
	/* the first difference by name, not by the server's key order */
	CHECK_STR(judge(&ctx, pg, "{\"public.c\": {\"rows\": 2, \"hash\": \"-7\"}}", &v),
	          "table public.aa is missing", "the first table by name that the copy lacks");
	CHECK(v.tables == 1 && v.rows == 0 && v.mismatches == 3,
	      "two tables missing and one added: three off, no rows on both sides");
	CHECK_STR(judge(&ctx, "{}", "{\"public.t\": {\"rows\": 0, \"hash\": \"0\"}}", &v),
	          "table public.t was not in the source", "a table the record did not have");
	CHECK_STR(judge(&ctx, "{}", "{}", &v), "=", "no tables on both sides match");
	CHECK(v.tables == 0, "and count none");

	/* the SQLite module's positional form: the same rule, the same words */
	const char *lite = "{\"version\": 2, \"tables\": [[\"a\", 2, \"" HEX_A "\"]]}";
	CHECK_STR(judge(&ctx, lite, lite, &v), "=", "a positional record matches itself");
	CHECK_STR(judge(&ctx, lite, "{\"version\": 2, \"tables\": [[\"a\", 2, \"" HEX_B "\"]]}", &v),
	          "table a holds other rows than the source (its content hash differs, with as many "
	          "rows)",
	          "SQLite's changed row is said as PostgreSQL's");
	CHECK_STR(judge(&ctx, lite, "[[\"a\", 2, \"" HEX_A "\"]]", &v),
	          "its content was hashed with another row digest than its record's",
	          "contents of two row digests do not compare");
	dbc_ctx_finish(&ctx);
}

/* The keyed form's hash of text, as the one record holds it ("" refused). */
static const char *hash_of(dbc_ctx *ctx, const char *hash)
{
	char *text = dbc_printf(ctx, "{\"s.t\": {\"rows\": 1, \"hash\": %s}}", hash);
	dbc_backup_table *t;
	int64_t n;
	int version;
	if (!dbc_backup_content_read(ctx, text, &t, &n, &version) || n != 1)
		return "";
	return dbc_strdup(ctx, t[0].hash);
}

static void test_keyed_sums(void)
{
	dbc_ctx ctx;
	dbc_ctx_init(&ctx, &unit_host, NULL);
	CHECK_STR(hash_of(&ctx, "\"255\""), "000000000000000000000000000000ff",
	          "a sum as 32 hex digits");
	CHECK_STR(hash_of(&ctx, "\"-1\""), "ffffffffffffffffffffffffffffffff",
	          "a negative sum as its two's complement");
	CHECK_STR(hash_of(&ctx, "-1"), "ffffffffffffffffffffffffffffffff",
	          "a JSON number reads as its text");
	/* past 2^64: the 128 bits are kept (a sum of many 64-bit hashes) */
	CHECK_STR(hash_of(&ctx, "\"18446744073709551616\""), "00000000000000010000000000000000",
	          "2^64 keeps its high bits");
	CHECK(strcmp(hash_of(&ctx, "\"18446744073709551617\""), hash_of(&ctx, "\"1\"")) != 0,
	      "2^64 + 1 is not 1");
	CHECK_STR(hash_of(&ctx, "\"17014118346046923173168730371588410572\""),
	          "0ccccccccccccccccccccccccccccccc", "a 38-digit sum read exactly");
	CHECK_STR(hash_of(&ctx, "\"170141183460469231731687303715884105727\""), "",
	          "a sum beyond the 128 bits is refused, never wrapped onto another");
	CHECK_STR(hash_of(&ctx, "\"h\""), "", "a hash that is no number is refused");
	CHECK_STR(hash_of(&ctx, "\"\""), "", "an empty hash is refused");
	CHECK_STR(hash_of(&ctx, "\"12x\""), "", "trailing text is refused");
	dbc_backup_content_verdict v;
	CHECK_STR(judge(&ctx, "{\"s.t\": {\"rows\": 1, \"hash\": \"h\"}}",
	                "{\"s.t\": {\"rows\": 1, \"hash\": \"h\"}}", &v),
	          "!", "a record that does not parse is an error, not equal");
	CHECK_STR(judge(&ctx, "{\"s.t\": {\"rows\": \"1\", \"hash\": \"1\"}}", "{}", &v), "!",
	          "a count that is no number does not parse");
	CHECK_STR(judge(&ctx, "[1", "{}", &v), "!", "text that is no JSON does not parse");
	dbc_ctx_finish(&ctx);
}

/* The server's keyed answer written in the one format every engine's
 * dbbackup_content() answers, and a keyed record of 0.3.9 still judged
 * equal to a copy read today (one row digest, version 3). */
static void test_one_format(void)
{
	dbc_ctx ctx;
	dbc_ctx_init(&ctx, &unit_host, NULL);
	const char *keyed = "{\"public.b\": {\"rows\": 2, \"hash\": \"-7\"},"
	                    " \"public.aa\": {\"rows\": 3, \"hash\": \"255\"}}";
	CHECK_STR(dbc_backup_content_from_keyed(&ctx, keyed),
	          "{\"version\":3,\"tables\":[[\"public.aa\",3,\"000000000000000000000000000000ff\"],"
	          "[\"public.b\",2,\"fffffffffffffffffffffffffffffff9\"]]}",
	          "the keyed answer in the one format: by name, hex, version 3");
	dbc_backup_content_verdict v;
	const char *now = dbc_backup_content_from_keyed(&ctx, keyed);
	CHECK_STR(judge(&ctx, keyed, now, &v), "=", "a keyed record of 0.3.9 matches today's copy");
	CHECK(v.tables == 2 && v.rows == 5, "and counts its tables and rows");
	CHECK_STR(judge(&ctx, now, keyed, &v), "=", "and the other way round");
	CHECK_STR(judge(&ctx, "{\"version\": 2, \"tables\": []}", now, &v),
	          "its content was hashed with another row digest than its record's",
	          "SQLite's row digest never compares with PostgreSQL's");
	CHECK_STR(dbc_backup_content_from_keyed(&ctx, "{}"), "{\"version\":3,\"tables\":[]}",
	          "no table: an empty list, not no record");
	CHECK(dbc_backup_content_from_keyed(&ctx, "{\"s.t\": {\"rows\": 1}}") == NULL && ctx.failed,
	      "an answer that does not read is an error");
	dbc_error_clear(&ctx);
	CHECK(dbc_backup_content_tables(&ctx, now) == 2 &&
	          dbc_backup_content_tables(&ctx, keyed) == 2 &&
	          dbc_backup_content_tables(&ctx, "[1") == -1,
	      "the tables a record names, in any form");
	dbc_ctx_finish(&ctx);
}

static void test_file_mismatch(void)
{
	dbc_ctx ctx;
	dbc_ctx_init(&ctx, &unit_host, NULL);
	CHECK(dbc_backup_file_mismatch(&ctx, NULL, NULL, "gone") == NULL,
	      "no SHA-256 recorded: nothing to compare");
	CHECK(dbc_backup_file_mismatch(&ctx, HEX_A, HEX_A, NULL) == NULL, "the recorded bytes pass");
	CHECK_STR(dbc_backup_file_mismatch(&ctx, HEX_A, HEX_B, NULL),
	          "its content differs from the copy that was verified (the file's SHA-256)",
	          "a changed byte fails, in one sentence for both engines");
	CHECK_STR(dbc_backup_file_mismatch(&ctx, HEX_A, NULL, "No such file or directory"),
	          "its file cannot be read: No such file or directory", "an unreadable file says why");
	CHECK_STR(dbc_backup_file_mismatch(&ctx, HEX_A, NULL, NULL),
	          "its content differs from the copy that was verified (the file's SHA-256)",
	          "a file not hashed at all is not the recorded one");
	dbc_ctx_finish(&ctx);
}

int main(void)
{
	test_one_rule_both_forms();
	test_keyed_sums();
	test_one_format();
	test_file_mismatch();
	return unit_done();
}
