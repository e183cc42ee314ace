/*
 * audit_row_image.c — the jsonb object of a row's image (its key, its
 * values: pg/audit/audit_trigger.c) written straight into jsonb's stored
 * layout, byte for byte what pushJsonbValue and JsonbValueToJsonb make of
 * the same pairs (utils/jsonb.h documents the layout: a header with the
 * pair count, the keys' JEntries then the values', every JB_OFFSET_STRIDE-th
 * an offset, the others lengths; then the keys' bytes and the values',
 * each numeric aligned to 4 bytes, its padding counted in its length).
 *
 * The generic path spends most of a row image's instructions in its parse
 * state (a growing array of pairs, sorted and de-duplicated at the end) and
 * a second pass that lays it out: about 4 k instructions of a 4-column
 * row's entry. A row's keys are its columns' names, unique, put in jsonb's
 * key order once per statement by the caller, so one pass over known
 * values is all the layout needs.
 *
 * Only scalar values (strings, numerics, booleans, nulls) are written here;
 * an object or array value, or an object whose data would not fit a
 * JEntry's length field, returns NULL, and the caller takes the generic
 * path (which raises the generic path's error).
 *
 * An integer column's value is a numeric made the same way, straight in
 * numeric's stored short format (utils/adt/numeric.c: a 16-bit header with
 * the sign and the weight, then base-10,000 digits, most significant
 * first, without trailing zero digits; zero has none), byte for byte what
 * int64_to_numeric makes, in a tenth of its instructions (it goes through
 * a variable of numeric's arithmetic first).
 *
 * Writing the stored layout goes below jsonb's public interface
 * (docs/postgresql.md, "Engine internals"): it is built for the version it
 * was written and tested against (PostgreSQL 15, LAYOUT_WRITE); every other
 * version and -DDBC_PLAIN_PG_PATHS return NULL for every object, the
 * generic path.
 */
#include "pg/host/glue.h"

#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "audit_row_image.h"

#if PG_VERSION_NUM >= 150000 && PG_VERSION_NUM < 160000 && !defined(DBC_PLAIN_PG_PATHS)
#define LAYOUT_WRITE 1
#endif

#ifdef LAYOUT_WRITE

/* The bytes a scalar adds to the data area, its padding aside. */
static Size scalar_bytes(const JsonbValue *v)
{
	switch (v->type) {
	case jbvString:
		return (Size)v->val.string.len;
	case jbvNumeric:
		return VARSIZE_ANY(v->val.numeric) + sizeof(int32); /* room for padding */
	default:
		return 0;
	}
}

/* Appends the scalar's bytes at buf's end; its JEntry, length unset when
 * the caller turns it into an offset. */
static JEntry append_scalar(StringInfo buf, const JsonbValue *v)
{
	switch (v->type) {
	case jbvNull:
		return JENTRY_ISNULL;
	case jbvBool:
		return v->val.boolean ? JENTRY_ISBOOL_TRUE : JENTRY_ISBOOL_FALSE;
	case jbvString:
		memcpy(buf->data + buf->len, v->val.string.val, (size_t)v->val.string.len);
		buf->len += v->val.string.len;
		return (JEntry)v->val.string.len;
	default: { /* jbvNumeric */
		int pad = INTALIGN(buf->len) - buf->len;
		int len = (int)VARSIZE_ANY(v->val.numeric);
		memset(buf->data + buf->len, 0, (size_t)pad);
		memcpy(buf->data + buf->len + pad, v->val.numeric, (size_t)len);
		buf->len += pad + len;
		return JENTRY_ISNUMERIC | (JEntry)(pad + len);
	}
	}
}

/* numeric's stored short format (utils/adt/numeric.c, PostgreSQL 15) */
#define SHORT_FORMAT   0x8000
#define SHORT_NEGATIVE 0x2000
#define NBASE          10000
#define INT64_DIGITS   5 /* base-10,000 digits of 2^63 */

Numeric pgdbc_audit_int_numeric(int64 v)
{
	uint64 u = v < 0 ? -(uint64)v : (uint64)v;
	int16 digits[INT64_DIGITS];
	int n = 0;
	for (; u > 0; u /= NBASE)
		digits[n++] = (int16)(u % NBASE); /* least significant first */
	int weight = n - 1, first = 0;
	while (first < n && digits[first] == 0)
		first++; /* the trailing zero digits, left out */
	int ndigits = n - first;
	Size size = VARHDRSZ + sizeof(uint16) + sizeof(int16) * (Size)ndigits;
	char *num = palloc(size);
	SET_VARSIZE(num, size);
	uint16 header = SHORT_FORMAT | (v < 0 ? SHORT_NEGATIVE : 0) | (uint16)(n ? weight : 0);
	memcpy(num + VARHDRSZ, &header, sizeof(header));
	int16 *out = (int16 *)(num + VARHDRSZ + sizeof(uint16));
	for (int i = 0; i < ndigits; i++)
		out[i] = digits[n - 1 - i];
	return (Numeric)num;
}

Jsonb *pgdbc_audit_object(const pgdbc_audit_pair *pairs, int n)
{
	Size data = 0;
	for (int i = 0; i < n; i++) {
		const JsonbValue *v = &pairs[i].value;
		if (v->type != jbvNull && v->type != jbvBool && v->type != jbvString &&
		    v->type != jbvNumeric)
			return NULL;
		data += (Size)pairs[i].keylen + scalar_bytes(v);
	}
	if (data > JENTRY_OFFLENMASK)
		return NULL;
	StringInfoData buf;
	Size jentries = sizeof(JEntry) * 2 * (Size)n;
	initStringInfo(&buf);
	enlargeStringInfo(&buf, (int)(VARHDRSZ + sizeof(uint32) + jentries + data));
	buf.len = VARHDRSZ;
	uint32 header = (uint32)n | JB_FOBJECT;
	memcpy(buf.data + buf.len, &header, sizeof(header));
	buf.len += sizeof(header);
	JEntry *entries = (JEntry *)(buf.data + buf.len);
	buf.len += (int)jentries;
	int start = buf.len;
	for (int i = 0; i < 2 * n; i++) {
		JEntry meta;
		if (i < n) {
			JsonbValue key;
			key.type = jbvString;
			key.val.string.val = (char *)pairs[i].key;
			key.val.string.len = pairs[i].keylen;
			meta = append_scalar(&buf, &key);
		} else
			meta = append_scalar(&buf, &pairs[i - n].value);
		if (i % JB_OFFSET_STRIDE == 0)
			meta = (meta & JENTRY_TYPEMASK) | (JEntry)(buf.len - start) | JENTRY_HAS_OFF;
		memcpy(&entries[i], &meta, sizeof(meta));
	}
	SET_VARSIZE(buf.data, buf.len);
	return (Jsonb *)buf.data;
}

#else

Numeric pgdbc_audit_int_numeric(int64 v)
{
	return int64_to_numeric(v);
}

Jsonb *pgdbc_audit_object(const pgdbc_audit_pair *pairs, int n)
{
	(void)pairs, (void)n;
	return NULL;
}

#endif
