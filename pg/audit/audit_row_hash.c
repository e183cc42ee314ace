/*
 * audit_row_hash.c — the row hash of dbcare.audit_log on PostgreSQL
 * (core/audit/audit_row_hash.c defines it; docs/audit.md, "The row hash"):
 * the key's canonical form walked out of its jsonb, and the SQL function
 * dbcare.audit_row_hash(table_name, key) that the log's generated column,
 * the readers and the upgrade use. The trigger's writer calls the same C
 * routine (pgdbc_audit_row_hash) and stores the value itself, so an entry
 * costs no function call; a row the executor writes (a restored dump,
 * an UPDATE by hand) gets it from the generated column, the same value.
 *
 * Invariant: keys jsonb holds as equal hash equally. jsonb keeps an object's
 * members in one order (shorter names first, then bytewise) and one copy of
 * each name; a number is hashed as numeric_normalize prints it (no trailing
 * zeros), which is equal exactly for equal numbers; objects and arrays inside
 * a key hash as their tag alone (equal ones trivially alike).
 */
#include "pg/host/glue.h"

#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "audit_glue.h"

#include "audit/audit.h"

static uint32 hash_value(uint32 h, const char *name, size_t name_len, const JsonbValue *v)
{
	switch (v->type) {
	case jbvString:
		return dbc_audit_hash_member(h, name, name_len, 's', v->val.string.val,
		                             (size_t)v->val.string.len);
	case jbvNumeric: {
		char *text = numeric_normalize(v->val.numeric);
		h = dbc_audit_hash_member(h, name, name_len, 'n', text, strlen(text));
		pfree(text);
		return h;
	}
	case jbvBool:
		return dbc_audit_hash_member(h, name, name_len, v->val.boolean ? 't' : 'f', NULL, 0);
	case jbvNull:
		return dbc_audit_hash_member(h, name, name_len, 'z', NULL, 0);
	default: /* an object or array (jbvBinary inside a container) */
		return dbc_audit_hash_member(h, name, name_len, 'c', NULL, 0);
	}
}

/* The low half: the key's members in jsonb's order. A key that is not an
 * object (dbcare writes none) hashes as members with empty names. */
static uint32 key_hash(Jsonb *key)
{
	uint32 h = DBC_AUDIT_HASH_INIT;
	JsonbIterator *it = JsonbIteratorInit(&key->root);
	JsonbValue v, name = {0};
	JsonbIteratorToken tok;
	bool have_name = false;
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE) {
		if (tok == WJB_KEY) {
			name = v;
			have_name = true;
		} else if (tok == WJB_VALUE || tok == WJB_ELEM) {
			h = have_name ? hash_value(h, name.val.string.val, (size_t)name.val.string.len, &v)
			              : hash_value(h, "", 0, &v);
			have_name = false;
		}
	}
	return h;
}

int64 pgdbc_audit_row_hash(const char *table, size_t table_len, Datum key)
{
	if (key == (Datum)0)
		return dbc_audit_row_hash(table, table_len, false, 0);
	Jsonb *j = DatumGetJsonbP(key);
	int64 h = dbc_audit_row_hash(table, table_len, true, key_hash(j));
	if ((Pointer)j != DatumGetPointer(key))
		pfree(j);
	return h;
}

/* dbcare.audit_row_hash(table_name text, key jsonb) → bigint; NULL key: the
 * table's entries without a key (TRUNCATE); NULL table: NULL. */
Datum dbcare_audit_row_hash(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	text *table = PG_GETARG_TEXT_PP(0);
	PG_RETURN_INT64(pgdbc_audit_row_hash(VARDATA_ANY(table), VARSIZE_ANY_EXHDR(table),
	                                     PG_ARGISNULL(1) ? (Datum)0 : PG_GETARG_DATUM(1)));
}
