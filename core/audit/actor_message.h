/*
 * actor_message.h — the context message of wal-mode auditing
 * (docs/audit.md, "What the actor message proves"): the statement trigger
 * of a table audited in wal mode logs the role, dbcare.actor and
 * application_name of the change as a transactional logical message
 * (prefix dbcare.actor), which anyone may also emit
 * (pg_logical_emit_message is PUBLIC). So the trigger signs it: an
 * HMAC-SHA-256 with a key no SQL role reads, over the database and the
 * top-level transaction it belongs to and its fields. The decoder accepts
 * only a message whose MAC is right; this is its one parser, strict about
 * every byte (it reads what any session could have written).
 *
 * The body: user \0 actor \0 application \0 mac (mac_len bytes: 32 as
 * logged by the trigger, 0 as the decoder hands it on to the worker).
 */
#ifndef DBC_AUDIT_ACTOR_MESSAGE_H
#define DBC_AUDIT_ACTOR_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DBC_AUDIT_ACTOR_MAC_LEN 32
#define DBC_AUDIT_ACTOR_KEY_LEN 32
/* A role's and an application's name: PostgreSQL's NAMEDATALEN - 1 (63)
 * in a stock build; 255 leaves room for a build with a larger one. */
#define DBC_AUDIT_ACTOR_NAME_MAX 255
/* dbcare.actor: the trigger refuses to log a longer one. */
#define DBC_AUDIT_ACTOR_MAX 8192

typedef struct dbc_audit_actor_fields {
	const char *user, *actor, *app; /* each NUL-terminated, inside the body */
	size_t user_len, actor_len, app_len;
	size_t signed_len;      /* the bytes the MAC covers: the three fields */
	const unsigned char *mac; /* mac_len bytes after them */
} dbc_audit_actor_fields;

/* Parses a body of len bytes ending with exactly mac_len bytes of MAC:
 * three NUL-terminated fields, the user not empty, each within its bound.
 * NULL when it is one, else why not (a static string); *out is then
 * untouched. Encodings are the caller's to check (the database's). */
const char *dbc_audit_actor_parse(const void *body, size_t len, size_t mac_len,
                                  dbc_audit_actor_fields *out);

/* The MAC of a message's fields (signed_len bytes at fields) for database
 * db and top-level transaction xid: HMAC-SHA-256 with key over
 * "dbcare.actor 1", db and xid (4 bytes each, little-endian) and the
 * fields. false when libcrypto fails. */
bool dbc_audit_actor_mac(const unsigned char key[DBC_AUDIT_ACTOR_KEY_LEN], uint32_t db,
                         uint32_t xid, const void *fields, size_t signed_len,
                         unsigned char mac[DBC_AUDIT_ACTOR_MAC_LEN]);

/* Whether a message's MAC is the one expected, in constant time. */
bool dbc_audit_actor_mac_equal(const unsigned char *a, const unsigned char *b);

#endif
