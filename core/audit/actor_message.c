/*
 * actor_message.c — the parser and the MAC of wal mode's context message
 * (audit.h). Invariant: a body accepted here has its three fields
 * NUL-terminated inside it, each within its bound, and exactly the MAC's
 * length after them; nothing is read outside [body, body + len).
 */
#include "audit/audit.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

/* The next NUL-terminated field at *p within [*p, end): its length, or -1
 * when no NUL ends it there or it is longer than max. */
static long next_field(const char **p, const char *end, size_t max)
{
	size_t room = (size_t)(end - *p);
	const char *nul = memchr(*p, '\0', room < max + 1 ? room : max + 1);
	if (nul == NULL)
		return -1;
	long n = (long)(nul - *p);
	*p = nul + 1;
	return n;
}

const char *dbc_audit_actor_parse(const void *body, size_t len, size_t mac_len,
                                  dbc_audit_actor_fields *out)
{
	if (body == NULL || len < mac_len + 3)
		return "shorter than its three fields and its MAC";
	const char *start = body, *p = start, *end = start + (len - mac_len);
	const char *user = p;
	long user_len = next_field(&p, end, DBC_AUDIT_ACTOR_NAME_MAX);
	if (user_len < 0)
		return "its user is not a NUL-terminated name of at most 255 bytes";
	if (user_len == 0)
		return "its user is empty";
	const char *actor = p;
	long actor_len = next_field(&p, end, DBC_AUDIT_ACTOR_MAX);
	if (actor_len < 0)
		return "its actor is not a NUL-terminated text of at most 8192 bytes";
	const char *app = p;
	long app_len = next_field(&p, end, DBC_AUDIT_ACTOR_NAME_MAX);
	if (app_len < 0)
		return "its application is not a NUL-terminated name of at most 255 bytes";
	if (p != end)
		return "bytes follow its fields before the MAC";
	*out = (dbc_audit_actor_fields){
	    .user = user,
	    .actor = actor,
	    .app = app,
	    .user_len = (size_t)user_len,
	    .actor_len = (size_t)actor_len,
	    .app_len = (size_t)app_len,
	    .signed_len = (size_t)(end - start),
	    .mac = (const unsigned char *)end,
	};
	return NULL;
}

static void put_le32(unsigned char *out, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		out[i] = (unsigned char)(v >> (8 * i));
}

bool dbc_audit_actor_mac(const unsigned char key[DBC_AUDIT_ACTOR_KEY_LEN], uint32_t db,
                         uint32_t xid, const void *fields, size_t signed_len,
                         unsigned char mac[DBC_AUDIT_ACTOR_MAC_LEN])
{
	static const char domain[] = "dbcare.actor 1";
	unsigned char ids[8];
	put_le32(ids, db);
	put_le32(ids + 4, xid);
	bool ok = false;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_PKEY *pkey =
	    EVP_PKEY_new_raw_private_key(EVP_PKEY_HMAC, NULL, key, DBC_AUDIT_ACTOR_KEY_LEN);
	size_t out_len = DBC_AUDIT_ACTOR_MAC_LEN;
	if (md && pkey && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, pkey) == 1 &&
	    EVP_DigestSignUpdate(md, domain, sizeof(domain)) == 1 &&
	    EVP_DigestSignUpdate(md, ids, sizeof(ids)) == 1 &&
	    EVP_DigestSignUpdate(md, fields, signed_len) == 1 &&
	    EVP_DigestSignFinal(md, mac, &out_len) == 1)
		ok = out_len == DBC_AUDIT_ACTOR_MAC_LEN;
	EVP_PKEY_free(pkey);
	EVP_MD_CTX_free(md);
	return ok;
}

bool dbc_audit_actor_mac_equal(const unsigned char *a, const unsigned char *b)
{
	return CRYPTO_memcmp(a, b, DBC_AUDIT_ACTOR_MAC_LEN) == 0;
}
