/*
 * audit_row_hash.c — the row hash of the PostgreSQL log's row index
 * (docs/audit.md, "The row hash"): a portable 64-bit value over a table's
 * stored name and a key's canonical form. It is stored in every entry and
 * kept by dumps, so it must never change and never depend on the platform:
 * FNV-1a (32 bits, over bytes) of the table name in the high half and of the
 * key's members in the low half. Equal keys must hash equally; different
 * ones may collide (readers re-check the table name and the key).
 */
#include "audit/audit.h"

#define FNV32_PRIME 16777619u

uint32_t dbc_audit_hash_bytes(uint32_t h, const void *bytes, size_t n)
{
	const unsigned char *p = bytes;
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= FNV32_PRIME;
	}
	return h;
}

uint32_t dbc_audit_hash_member(uint32_t h, const char *name, size_t name_len, char tag,
                               const char *value, size_t value_len)
{
	static const char zero = 0;
	h = dbc_audit_hash_bytes(h, name, name_len);
	h = dbc_audit_hash_bytes(h, &zero, 1);
	h = dbc_audit_hash_bytes(h, &tag, 1);
	h = dbc_audit_hash_bytes(h, value, value_len);
	return dbc_audit_hash_bytes(h, &zero, 1);
}

int64_t dbc_audit_row_hash(const char *table, size_t table_len, bool has_key, uint32_t key_hash)
{
	uint64_t high = dbc_audit_hash_bytes(DBC_AUDIT_HASH_INIT, table, table_len);
	uint64_t v = high << 32 | (has_key ? key_hash : 0u);
	/* two's complement without implementation-defined conversion */
	return v <= (uint64_t)INT64_MAX ? (int64_t)v : -(int64_t)(~v) - 1;
}
