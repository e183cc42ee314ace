/*
 * fuzz_audit_actor.c — the parser of wal mode's context message
 * (core/audit/audit.h), which reads what any session may emit with
 * pg_logical_emit_message. The first input byte picks the MAC's length (0
 * as the worker reads, 32 as the decoder does); the rest is the body,
 * copied to a buffer of exactly its size so a read past it is the
 * sanitizer's. An accepted body has three NUL-terminated fields within
 * their bounds, in order, inside the body, the user not empty, and exactly
 * the MAC after them; a body built from them again is the same bytes, and
 * its MAC is the same for the same key and transaction and differs for
 * another transaction.
 */
#include "fuzz.h"
#include "audit/audit.h"

static void check_accepted(const char *body, size_t len, size_t mac_len,
                           const dbc_audit_actor_fields *f)
{
	FUZZ_ASSERT(f->user == body, "the user comes first");
	FUZZ_ASSERT(f->user_len > 0 && f->user_len <= DBC_AUDIT_ACTOR_NAME_MAX, "the user's bound");
	FUZZ_ASSERT(f->actor_len <= DBC_AUDIT_ACTOR_MAX, "the actor's bound");
	FUZZ_ASSERT(f->app_len <= DBC_AUDIT_ACTOR_NAME_MAX, "the application's bound");
	FUZZ_ASSERT(f->actor == f->user + f->user_len + 1 && f->app == f->actor + f->actor_len + 1,
	            "the fields follow each other");
	FUZZ_ASSERT(f->signed_len == f->user_len + f->actor_len + f->app_len + 3,
	            "the signed bytes are the three fields");
	FUZZ_ASSERT(f->signed_len + mac_len == len, "the MAC ends the body");
	FUZZ_ASSERT(f->mac == (const unsigned char *)body + f->signed_len,
	            "the MAC follows the fields");
	FUZZ_ASSERT(strlen(f->user) == f->user_len && strlen(f->actor) == f->actor_len &&
	                strlen(f->app) == f->app_len,
	            "each field is NUL-terminated at its length");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	size_t mac_len = data[0] & 1 ? DBC_AUDIT_ACTOR_MAC_LEN : 0;
	size_t len = size - 1;
	char *body = malloc(len ? len : 1);
	FUZZ_ASSERT(body, "memory");
	memcpy(body, data + 1, len);
	dbc_audit_actor_fields f;
	if (dbc_audit_actor_parse(body, len, mac_len, &f) == NULL) {
		check_accepted(body, len, mac_len, &f);
		static const unsigned char key[DBC_AUDIT_ACTOR_KEY_LEN] = {1, 2, 3};
		unsigned char a[DBC_AUDIT_ACTOR_MAC_LEN], b[DBC_AUDIT_ACTOR_MAC_LEN],
		    c[DBC_AUDIT_ACTOR_MAC_LEN];
		FUZZ_ASSERT(dbc_audit_actor_mac(key, 5, 7, body, f.signed_len, a) &&
		                dbc_audit_actor_mac(key, 5, 7, body, f.signed_len, b) &&
		                dbc_audit_actor_mac(key, 5, 8, body, f.signed_len, c),
		            "the MAC is computed");
		FUZZ_ASSERT(dbc_audit_actor_mac_equal(a, b), "the same MAC for the same message");
		FUZZ_ASSERT(!dbc_audit_actor_mac_equal(a, c), "another transaction, another MAC");
	}
	free(body);
	return 0;
}
