/*
 * pg/audit/audit_row_image.h — a row image's jsonb object written straight
 * into jsonb's stored layout (pg/audit/audit_row_image.c), for
 * pg/audit/audit_trigger.c.
 */
#ifndef PGDBC_AUDIT_ROW_IMAGE_H
#define PGDBC_AUDIT_ROW_IMAGE_H

#include "utils/jsonb.h"
#include "utils/numeric.h"

/* One key of a row image and its value. */
typedef struct pgdbc_audit_pair {
	const char *key;
	int keylen;
	JsonbValue value;
} pgdbc_audit_pair;

/* The object of the n pairs, given in jsonb's key order (shorter keys
 * first, then by their bytes; no key twice), as JsonbValueToJsonb makes it
 * of the same pairs pushed; NULL when a value is not a scalar or the
 * object is too large for the layout (the caller pushes them instead). */
Jsonb *pgdbc_audit_object(const pgdbc_audit_pair *pairs, int n);

/* The numeric of an integer, as int64_to_numeric makes it. */
Numeric pgdbc_audit_int_numeric(int64 v);

#endif
