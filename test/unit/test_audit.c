/*
 * test_audit.c — the audit trail's core without an engine: dbaudit_enable's
 * options checked against a table, their stored form, and the hash chain's
 * link (a changed field, a changed previous hash, and a field boundary moved
 * between two fields each change it), and the row hash's fixed values.
 */
#include "unit.h"

#include "audit/audit.h"

static dbc_audit_target table(dbc_ctx *ctx, bool with_pk)
{
	dbc_audit_target t = {0};
	t.name = "orders";
	t.display = "\"orders\"";
	dbc_strlist_add(ctx, &t.columns, "id");
	dbc_strlist_add(ctx, &t.columns, "total");
	dbc_strlist_add(ctx, &t.columns, "secret");
	if (with_pk)
		dbc_strlist_add(ctx, &t.primary_key, "id");
	return t;
}

static void expect_error(const dbc_audit_target *t, const char *json, const char *message,
                         const char *name)
{
	dbc_ctx ctx;
	dbc_audit_options o;
	dbc_ctx_init(&ctx, &unit_host, NULL);
	int rc = dbc_audit_parse_options(&ctx, t, json, &o);
	CHECK(rc == DBC_ERROR, name);
	CHECK_STR(ctx.message, message, name);
	dbc_ctx_finish(&ctx);
}

static void test_options(dbc_ctx *ctx)
{
	dbc_audit_target t = table(ctx, true), nokey = table(ctx, false);
	dbc_audit_options o;
	CHECK(dbc_audit_parse_options(ctx, &t, "{\"exclude\": [\"secret\"], \"updates\": \"full\"}",
	                              &o) == DBC_OK,
	      "options: exclude and updates");
	CHECK(o.full_updates && !o.baseline && !o.hash_chain, "options: flags");
	CHECK(!dbc_audit_records(&o, "secret") && dbc_audit_records(&o, "total"),
	      "options: an excluded column is not recorded");
	CHECK_STR(dbc_audit_options_json(ctx, &o),
	          "{\"baseline\":false,\"exclude\":[\"secret\"],\"hash_chain\":false,\"key\":[\"id\"],"
	          "\"updates\":\"full\"}",
	          "options: stored with the key named");
	CHECK(dbc_audit_parse_options(ctx, &nokey, "{\"key\": [\"total\"], \"hash_chain\": true}",
	                              &o) == DBC_OK &&
	          o.hash_chain && o.key.n == 1,
	      "options: a named key for a table without one");
	expect_error(&nokey, NULL, "table \"orders\" has no primary key", "options: no key");
	expect_error(&t, "{\"key\": [\"nope\"]}",
	             "option \"key\": table \"orders\" has no column \"nope\"",
	             "options: unknown column");
	expect_error(&t, "{\"exclude\": [\"id\"]}", "key column \"id\" cannot be excluded",
	             "options: excluded key");
	expect_error(&t, "{\"updates\": \"some\"}",
	             "option \"updates\" must be \"changed\" or \"full\"", "options: updates");
	expect_error(&t, "{\"columns\": [\"total\", \"total\"]}",
	             "option \"columns\" names column \"total\" twice", "options: a column twice");
	expect_error(&t, "[]", "argument \"options\" must be a JSON object", "options: not an object");
	expect_error(&t, "{\"colums\": []}", "unknown option \"colums\"", "options: unknown option");
}

static void test_link(dbc_ctx *ctx)
{
	const char *f[DBC_AUDIT_LINK_FIELDS] = {
	    "1", "7", "app", NULL, "update", "orders", "{\"id\":1}", "{\"total\":1}", "{\"total\":2}"};
	char a[DBC_AUDIT_HASH_LEN + 1], b[DBC_AUDIT_HASH_LEN + 1];
	CHECK(dbc_audit_link(ctx, NULL, f, a) == DBC_OK && strlen(a) == 64, "link: a hex SHA-256");
	/* fixed values (SHA-256 of "dbcare-audit-v1 \n1:1|1:7|3:app|-:|6:update|...",
	 * computed outside dbcare): the hashes of every chain already written */
	CHECK(strcmp(a, "0531380bf32b6ed6a0351c30ad99d95a5fbd82d378e3167d929745adbd50ecb2") == 0,
	      "link: the format of entries already written (v1, first)");
	CHECK(dbc_audit_link(ctx, a, f, b) == DBC_OK &&
	          strcmp(b, "7a8c7ec00f452da0416e240c050cd19ec286a26bcad05bbf16bef88b7589c248") == 0,
	      "link: the format of entries already written (v1, linked)");
	CHECK(dbc_audit_link_table(ctx, a, f, b) == DBC_OK &&
	          strcmp(b, "5d245977ae2c9906e893e192c400d6b3c3bd7d7d76bbb208fc1aba961809d578") == 0,
	      "link: the format of entries already written (v2, linked)");
	CHECK(dbc_audit_link(ctx, NULL, f, b) == DBC_OK && strcmp(a, b) == 0, "link: deterministic");
	CHECK(dbc_audit_link(ctx, a, f, b) == DBC_OK && strcmp(a, b) != 0,
	      "link: covers the previous hash");
	f[8] = "{\"total\":3}";
	CHECK(dbc_audit_link(ctx, NULL, f, b) == DBC_OK && strcmp(a, b) != 0,
	      "link: covers the values");
	f[8] = "{\"total\":2}";
	f[2] = "ap";
	f[3] = "p";
	CHECK(dbc_audit_link(ctx, NULL, f, b) == DBC_OK && strcmp(a, b) != 0,
	      "link: a character moved between two fields changes it");
	f[2] = "app";
	f[3] = "";
	CHECK(dbc_audit_link(ctx, NULL, f, b) == DBC_OK && strcmp(a, b) != 0,
	      "link: an empty field is not a NULL one");
}

/* The row hash as docs/audit.md defines it ("The row hash"): fixed values,
 * so a build on any platform that computed another would fail here (and the
 * entries a dump carries would no longer be found). */
static void test_row_hash(void)
{
	CHECK(dbc_audit_hash_bytes(DBC_AUDIT_HASH_INIT, "", 0) == 0x811c9dc5u,
	      "row hash: FNV-1a basis");
	CHECK(dbc_audit_hash_bytes(DBC_AUDIT_HASH_INIT, "a", 1) == 0xe40c292cu,
	      "row hash: FNV-1a of a");
	uint32_t id1 = dbc_audit_hash_member(DBC_AUDIT_HASH_INIT, "id", 2, 'n', "1", 1);
	CHECK(dbc_audit_row_hash("public.account", 14, true, id1) == -2333148532242260365LL,
	      "row hash: a table and a numeric key");
	CHECK(dbc_audit_row_hash("shop.orders", 11, false, 0) == 5441657507434987520LL,
	      "row hash: no key leaves the low half 0");
	/* members in jsonb's order: a, b, ok */
	uint32_t k = dbc_audit_hash_member(DBC_AUDIT_HASH_INIT, "a", 1, 'n', "-20", 3);
	k = dbc_audit_hash_member(k, "b", 1, 's', "x", 1);
	k = dbc_audit_hash_member(k, "ok", 2, 't', NULL, 0);
	CHECK(dbc_audit_row_hash("public.\"my table\"", 17, true, k) == -6130849036367062870LL,
	      "row hash: several members, a string and a boolean");
	CHECK(dbc_audit_hash_member(DBC_AUDIT_HASH_INIT, "ab", 2, 's', "", 0) !=
	          dbc_audit_hash_member(DBC_AUDIT_HASH_INIT, "a", 1, 's', "b", 1),
	      "row hash: a name ends where its value begins");
}

/* The parser of wal mode's context message (core/audit/actor_message.c)
 * over the bodies a session can emit: the trigger's form and the malformed
 * ones the review planted. */
static void test_actor_message(void)
{
	dbc_audit_actor_fields f;
	static const char ok[] = "bob\0ann\0psql\0";
	CHECK(dbc_audit_actor_parse(ok, sizeof(ok) - 1, 0, &f) == NULL && f.user_len == 3 &&
	          strcmp(f.actor, "ann") == 0 && strcmp(f.app, "psql") == 0 && f.signed_len == 13,
	      "actor message: three fields");
	CHECK(dbc_audit_actor_parse("alice", 5, 0, &f) != NULL, "actor message: no NUL");
	CHECK(dbc_audit_actor_parse("alice\0hr\0", 9, 0, &f) != NULL, "actor message: two fields");
	CHECK(dbc_audit_actor_parse("\0a\0b\0", 6, 0, &f) != NULL, "actor message: no user");
	CHECK(dbc_audit_actor_parse("a\0b\0c\0d", 7, 0, &f) != NULL,
	      "actor message: bytes after the fields");
	CHECK(dbc_audit_actor_parse(ok, sizeof(ok) - 1, DBC_AUDIT_ACTOR_MAC_LEN, &f) != NULL,
	      "actor message: shorter than its MAC");
	char big[DBC_AUDIT_ACTOR_MAX + 16];
	memset(big, 'x', sizeof(big));
	big[0] = 'u', big[1] = '\0', big[sizeof(big) - 2] = '\0', big[sizeof(big) - 1] = '\0';
	CHECK(dbc_audit_actor_parse(big, sizeof(big), 0, &f) != NULL, "actor message: actor too long");
	unsigned char key[DBC_AUDIT_ACTOR_KEY_LEN] = {7}, a[32], b[32];
	CHECK(dbc_audit_actor_mac(key, 1, 100, ok, 13, a) &&
	          dbc_audit_actor_mac(key, 1, 101, ok, 13, b) && !dbc_audit_actor_mac_equal(a, b),
	      "actor message: the MAC names the transaction");
	key[0] = 8;
	CHECK(dbc_audit_actor_mac(key, 1, 100, ok, 13, b) && !dbc_audit_actor_mac_equal(a, b),
	      "actor message: the MAC needs the key");
}

int main(void)
{
	dbc_ctx ctx;
	dbc_ctx_init(&ctx, &unit_host, NULL);
	test_options(&ctx);
	test_link(&ctx);
	test_row_hash();
	test_actor_message();
	dbc_ctx_finish(&ctx);
	return unit_done();
}
