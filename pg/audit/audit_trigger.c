/*
 * audit_trigger.c — dbcare.audit_trigger(), the trigger of every audited
 * table (docs/audit.md), and the baseline snapshot that writes rows the same
 * way.
 *
 * Most audited tables have one AFTER ... FOR EACH STATEMENT trigger per
 * operation with the statement's transition table(s), so one call turns all
 * rows a statement changed into entries, in the order it changed them.
 * Partitioned tables, partitions and inheritance trees have a row-level
 * trigger instead (pg/audit/fn_audit.c says why), one row a call, as had every
 * table audited by builds before 0.3.0. On a partition the row-level
 * trigger may be the clone of its audited parent's: it carries the parent's
 * arguments, attribute numbers included, which are translated to the
 * partition's own by the columns' names (a partition's columns have its
 * parent's names; a rename on the parent renames them too). The baseline
 * snapshot translates them the same way to the columns of its SELECT.
 * Entries are written by pg/audit/audit_write.c without the executor.
 *
 * Privileges: the audited roles have no privilege on dbcare.audit_log. The
 * writer switches to the owner of the trigger function (the role that
 * installed dbcare, who owns the log) for the insert of each entry, inside
 * a security-restricted operation, the way PostgreSQL's own foreign-key
 * triggers act as the table owner; the JSON of a row (the audited types'
 * output functions) is made as the caller. An error or cancel restores the
 * caller's identity with the (sub)transaction's abort. It is not SECURITY
 * DEFINER so that it can record the writer's current_user. Nothing it runs
 * resolves a name through search_path, and it has no SET search_path (a GUC
 * save and restore per call): the SQL the writer runs is pinned
 * (pg/audit/audit_write.c), and the JSON of a row is made by the columns'
 * output functions under the caller's path, as the caller's own SELECT of
 * the row would be (under the pinned one when the log's owner gave the log
 * a CHECK or an index expression: then the writer pins it for its life).
 *
 * The trigger's arguments carry its configuration (dbaudit_enable writes
 * them): the stored table name, "changed" or "full" (with "+chain": the
 * entries carry the hash chain), the number of key
 * columns and their names, then "+column" (only these are recorded) or
 * "-column" (never recorded), then (from 0.3.0 on) "@" and the attribute
 * number each key and column had when auditing was enabled, in the same
 * order. Columns are matched at each statement, so a column added later is
 * recorded without a new trigger. An excluded column stays excluded when it
 * is renamed (its number) and a new column taking its name is excluded too
 * (its name); a key column is found by its number, then by its name.
 */
#include "pg/host/glue.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_trigger.h"
#include "utils/fmgroids.h"
#include "executor/tuptable.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/tuplestore.h"
#include "utils/varlena.h"

#include "audit_glue.h"
#include "audit_row_image.h"
#include "audit_wal.h"

/* How a column's values are written into JSON: numbers, booleans and JSON
 * as such, every other value as its output text. */
typedef enum {
	K_TEXT,
	K_BOOL,
	K_INT2,
	K_INT4,
	K_INT8,
	K_FLOAT,
	K_NUMERIC,
	K_JSON,
	K_JSONB
} value_kind;

/* The configuration of one trigger (kept for the backend: cfg_of_trigger;
 * the FmgrInfo's fn_extra points at it for the statement). */
typedef struct audit_cfg {
	Oid tgoid;
	int natts;
	const char *table;
	bool full;
	bool chain;      /* entries carry the hash chain */
	bool *recorded;  /* per attribute: its values are logged */
	bool *in_key;    /* per attribute: part of the key */
	AttrNumber *key; /* the key's attributes, in key order */
	int nkey;
	value_kind *kind; /* per attribute */
	FmgrInfo *out;    /* per attribute: the type's output function */
	Oid owner;        /* the log's writer: the trigger function's owner */
	/* the row image's keys in jsonb's order (pg/audit/audit_row_image.h):
	 * every live attribute's index; the key's attributes, each once */
	int *json_order;
	int ncolumns;
	AttrNumber *key_order;
	int nkey_order;
} audit_cfg;

static Oid function_owner(Oid fn)
{
	HeapTuple tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(fn));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for function %u", fn);
	Oid owner = ((Form_pg_proc)GETSTRUCT(tup))->proowner;
	ReleaseSysCache(tup);
	return owner;
}

static value_kind kind_of(Oid type)
{
	switch (getBaseType(type)) {
	case BOOLOID:
		return K_BOOL;
	case INT2OID:
		return K_INT2;
	case INT4OID:
		return K_INT4;
	case INT8OID:
		return K_INT8;
	case FLOAT4OID:
	case FLOAT8OID:
		return K_FLOAT;
	case NUMERICOID:
		return K_NUMERIC;
	case JSONOID:
		return K_JSON;
	case JSONBOID:
		return K_JSONB;
	default:
		return K_TEXT;
	}
}

static AttrNumber attnum_of(TupleDesc desc, const char *name)
{
	for (int i = 0; i < desc->natts; i++) {
		Form_pg_attribute a = TupleDescAttr(desc, i);
		if (!a->attisdropped && strcmp(NameStr(a->attname), name) == 0)
			return (AttrNumber)(i + 1);
	}
	return InvalidAttrNumber;
}

/* The attribute an argument's recorded number names, if it is still a
 * column of the table (trigger arguments made before 0.3.0 have none).
 * numbered_rel: the audited table the numbers are of when desc is not its
 * own (a clone's trigger on a partition; the baseline's SELECT, whose
 * columns are numbered without the dropped ones); the column is found by
 * its name there. */
static AttrNumber attnum_given(TupleDesc desc, const char *number, Oid numbered_rel)
{
	int at = number ? atoi(number) : 0;
	if (at >= 1 && OidIsValid(numbered_rel)) {
		char *name = get_attname(numbered_rel, (AttrNumber)at, true);
		return name ? attnum_of(desc, name) : InvalidAttrNumber;
	}
	if (at < 1 || at > desc->natts || TupleDescAttr(desc, at - 1)->attisdropped)
		return InvalidAttrNumber;
	return (AttrNumber)at;
}

/* One pg_trigger row by OID: its table, and the trigger it was cloned from
 * (InvalidOid: none). */
static Oid trigger_parent(Oid tgoid, Oid *relid)
{
	Relation tgrel = table_open(TriggerRelationId, AccessShareLock);
	ScanKeyData key;
	Oid parent = InvalidOid;
	ScanKeyInit(&key, Anum_pg_trigger_oid, BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(tgoid));
	SysScanDesc scan = systable_beginscan(tgrel, TriggerOidIndexId, true, NULL, 1, &key);
	HeapTuple tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup)) {
		Form_pg_trigger t = (Form_pg_trigger)GETSTRUCT(tup);
		parent = t->tgparentid;
		*relid = t->tgrelid;
	}
	systable_endscan(scan);
	table_close(tgrel, AccessShareLock);
	return parent;
}

/* The audited table a cloned trigger comes from: the table of the trigger
 * at the top of its clone chain. */
static Oid audited_relation(Oid tgoid)
{
	Oid relid = InvalidOid;
	for (Oid t = tgoid; OidIsValid(t);)
		t = trigger_parent(t, &relid);
	return relid;
}

/* jsonb's order of object keys: the shorter first, then by their bytes. */
static int json_key_cmp(const void *a, const void *b, void *arg)
{
	TupleDesc desc = arg;
	const char *x = NameStr(TupleDescAttr(desc, *(const int *)a)->attname);
	const char *y = NameStr(TupleDescAttr(desc, *(const int *)b)->attname);
	size_t lx = strlen(x), ly = strlen(y);
	if (lx != ly)
		return lx < ly ? -1 : 1;
	return memcmp(x, y, lx);
}

/* The row image's keys in jsonb's order (after the key and the columns are
 * read). */
static void order_json_keys(audit_cfg *c, TupleDesc desc)
{
	c->json_order = palloc(sizeof(int) * (c->natts + 1));
	c->ncolumns = 0;
	for (int i = 0; i < c->natts; i++)
		if (!TupleDescAttr(desc, i)->attisdropped)
			c->json_order[c->ncolumns++] = i;
	qsort_arg(c->json_order, (size_t)c->ncolumns, sizeof(int), json_key_cmp, desc);
	int *key = palloc(sizeof(int) * (c->nkey + 1));
	c->key_order = palloc(sizeof(AttrNumber) * (c->nkey + 1));
	c->nkey_order = 0;
	for (int k = 0; k < c->nkey; k++) {
		bool seen = false;
		for (int j = 0; j < c->nkey_order; j++)
			seen = seen || key[j] == c->key[k] - 1;
		if (!seen)
			key[c->nkey_order++] = c->key[k] - 1;
	}
	qsort_arg(key, (size_t)c->nkey_order, sizeof(int), json_key_cmp, desc);
	for (int j = 0; j < c->nkey_order; j++)
		c->key_order[j] = (AttrNumber)(key[j] + 1);
	pfree(key);
}

/* Whether a trigger records another table than the one it fires for
 * (relid; for a partition's clone, the audited parent it came from): a role
 * with EXECUTE on dbcare.audit_trigger() could make one on its own table
 * whose first argument names an audited table, and its writes would be
 * logged, hash-chained, as that table's changes (docs/security.md). The
 * stored name, schema-qualified by dbaudit_enable, is looked up in the
 * catalog caches alone (the WAL decoder asks too, under its historic
 * snapshot); a name that names no table now is the audited table renamed
 * since it was enabled, whose triggers followed it. A name that is not a
 * schema-qualified name is no name dbaudit_enable stores. */
static bool records_other_table(const Trigger *tg, Oid relid)
{
	if (tg->tgnargs < 1)
		return false; /* build_cfg refuses it */
	List *names = NIL;
	if (!SplitIdentifierString(pstrdup(tg->tgargs[0]), '.', &names) || list_length(names) != 2)
		return true;
	Oid nsp = get_namespace_oid(linitial(names), true);
	Oid named = OidIsValid(nsp) ? get_relname_relid(lsecond(names), nsp) : InvalidOid;
	return OidIsValid(named) && named != relid;
}

static void refuse_other_table(const Trigger *tg, Oid relid)
{
	if (records_other_table(tg, relid))
		ereport(ERROR,
		        (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
		         errmsg("dbcare: audit trigger \"%s\" of table %s records table %s, another table",
		                tg->tgname, get_rel_name(relid), tg->tgargs[0]),
		         errhint("Only dbaudit_enable makes audit triggers: drop this one, and audit the"
		                 " table with dbaudit_enable.")));
}

/* Reads the configuration from the arguments (see the file comment). */
static audit_cfg *build_cfg(MemoryContext cxt, Oid tgoid, Oid fn, int nargs, char **args,
                            TupleDesc desc, Oid numbered_rel)
{
	MemoryContext old = MemoryContextSwitchTo(cxt);
	audit_cfg *c = palloc0(sizeof(audit_cfg));
	int n = desc->natts;
	if (nargs < 3)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		                errmsg("dbcare: audit_trigger() is made by dbaudit_enable only")));
	c->tgoid = tgoid;
	c->natts = n;
	c->table = pstrdup(args[0]);
	c->full = strncmp(args[1], "full", 4) == 0;
	c->chain = strstr(args[1], "+chain") != NULL;
	c->nkey = atoi(args[2]);
	if (c->nkey < 0 || 3 + c->nkey > nargs)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		                errmsg("dbcare: audit_trigger() is made by dbaudit_enable only")));
	c->recorded = palloc0(sizeof(bool) * (n + 1));
	c->in_key = palloc0(sizeof(bool) * (n + 1));
	c->key = palloc0(sizeof(AttrNumber) * (c->nkey + 1));
	c->kind = palloc0(sizeof(value_kind) * (n + 1));
	c->out = palloc0(sizeof(FmgrInfo) * (n + 1));
	/* the column arguments end at "@", the numbers follow, one per key and
	 * column argument */
	int ncols_end = nargs;
	for (int i = 3 + c->nkey; i < nargs; i++)
		if (strcmp(args[i], "@") == 0) {
			ncols_end = i;
			break;
		}
	char **numbers = ncols_end < nargs && nargs - ncols_end - 1 == ncols_end - 3
	                     ? args + ncols_end + 1 - 3
	                     : NULL; /* numbers[i]: the number of args[i], i >= 3 */
	bool only = false;
	for (int i = 3 + c->nkey; i < ncols_end; i++)
		only = only || args[i][0] == '+';
	for (int i = 0; i < n; i++) {
		Form_pg_attribute a = TupleDescAttr(desc, i);
		Oid outfn;
		bool varlena;
		if (a->attisdropped)
			continue;
		c->recorded[i] = !only;
		c->kind[i] = kind_of(a->atttypid);
		getTypeOutputInfo(a->atttypid, &outfn, &varlena);
		fmgr_info_cxt(outfn, &c->out[i], cxt);
	}
	for (int i = 3 + c->nkey; i < ncols_end; i++) {
		AttrNumber by_name = attnum_of(desc, args[i] + 1);
		AttrNumber by_number = attnum_given(desc, numbers ? numbers[i] : NULL, numbered_rel);
		if (by_name != InvalidAttrNumber)
			c->recorded[by_name - 1] = args[i][0] == '+';
		if (by_number != InvalidAttrNumber)
			c->recorded[by_number - 1] = args[i][0] == '+';
	}
	for (int k = 0; k < c->nkey; k++) {
		AttrNumber at = attnum_given(desc, numbers ? numbers[3 + k] : NULL, numbered_rel);
		if (at == InvalidAttrNumber)
			at = attnum_of(desc, args[3 + k]);
		if (at == InvalidAttrNumber)
			ereport(ERROR, (errcode(ERRCODE_UNDEFINED_COLUMN),
			                errmsg("dbcare: key column \"%s\" of audited table %s does not exist",
			                       args[3 + k], c->table),
			                errhint("Disable and enable auditing of the table with its new key.")));
		c->key[k] = at;
		c->in_key[at - 1] = true;
	}
	c->owner = function_owner(fn);
	order_json_keys(c, desc);
	MemoryContextSwitchTo(old);
	return c;
}

/* The configurations of the triggers this backend fired, kept from one
 * statement to the next while the catalog they were read from stays the
 * same (pg/audit/audit_cache.c): read again at each statement (the
 * trigger's clone chain, each column's type and output function, the
 * function's owner) they cost a one-row transaction more than its row's
 * JSON (issue 63). */
typedef struct kept_cfg {
	audit_cfg *cfg;
	struct kept_cfg *next;
} kept_cfg;

static kept_cfg *kept = NULL;
/* the generation kept was read in: its context is that generation's (a
 * context's address may come again once an older one is deleted) */
static uint64 kept_generation = 0;

static audit_cfg *cfg_of_trigger(const Trigger *tg, Oid relid, Oid fn, TupleDesc desc)
{
	MemoryContext cxt = pgdbc_audit_cache_cxt();
	uint64 now = pgdbc_audit_cache_generation();
	if (now != kept_generation) {
		kept = NULL; /* an older generation's, retired with its context */
		kept_generation = now;
	}
	for (kept_cfg *k = kept; k; k = k->next)
		if (k->cfg->tgoid == tg->tgoid && k->cfg->natts == desc->natts)
			return k->cfg;
	/* its own context, deleted if the arguments are refused: a statement
	 * failing again and again leaves nothing behind */
	MemoryContext one = AllocSetContextCreate(cxt, "dbcare audit trigger", ALLOCSET_SMALL_SIZES);
	kept_cfg *k;
	PG_TRY();
	{
		Oid numbered_rel = tg->tgisclone ? audited_relation(tg->tgoid) : InvalidOid;
		refuse_other_table(tg, OidIsValid(numbered_rel) ? numbered_rel : relid);
		k = MemoryContextAlloc(one, sizeof(kept_cfg));
		k->cfg = build_cfg(one, tg->tgoid, fn, tg->tgnargs, tg->tgargs, desc, numbered_rel);
	}
	PG_CATCH();
	{
		MemoryContextDelete(one);
		PG_RE_THROW();
	}
	PG_END_TRY();
	k->next = kept;
	kept = k;
	return k->cfg;
}

/*
 * The JSON of a row is built as jsonb directly, the value jsonb_in would
 * make of its text: the same keys in jsonb's order, numbers as numeric, NaN
 * and the infinities (no JSON numbers) as strings. Each column gives a pair
 * (its name, its value as a JsonbValue), in jsonb's key order; an object of
 * scalars is written straight into jsonb's layout (pg/audit/audit_row_image.c),
 * any other (a json or jsonb column holding an object or array) is pushed
 * pair by pair (pushJsonbValue), which gives the same bytes.
 */
static void string_value(JsonbValue *v, const char *s)
{
	v->type = jbvString;
	v->val.string.len = (int)strlen(s);
	v->val.string.val = (char *)s;
}

static void numeric_value(JsonbValue *v, Numeric n)
{
	v->type = jbvNumeric;
	v->val.numeric = n;
}

/* A scalar as such; an object or array as its binary (pushJsonbValue copies
 * its pieces). */
static void jsonb_value(JsonbValue *v, Jsonb *j)
{
	if (JsonbExtractScalar(&j->root, v))
		return;
	v->type = jbvBinary;
	v->val.binary.data = &j->root;
	v->val.binary.len = (int)(VARSIZE(j) - VARHDRSZ);
}

static void column_value(JsonbValue *v, const audit_cfg *c, int i, Datum d)
{
	char *s;
	switch (c->kind[i]) {
	case K_BOOL:
		v->type = jbvBool;
		v->val.boolean = DatumGetBool(d);
		return;
	case K_INT2:
		numeric_value(v, pgdbc_audit_int_numeric(DatumGetInt16(d)));
		return;
	case K_INT4:
		numeric_value(v, pgdbc_audit_int_numeric(DatumGetInt32(d)));
		return;
	case K_INT8:
		numeric_value(v, pgdbc_audit_int_numeric(DatumGetInt64(d)));
		return;
	case K_NUMERIC: {
		Numeric n = DatumGetNumeric(d);
		if (!numeric_is_nan(n) && !numeric_is_inf(n)) {
			numeric_value(v, n);
			return;
		}
		break;
	}
	case K_FLOAT:
		s = OutputFunctionCall(&c->out[i], d);
		if (strpbrk(s, "NIni") == NULL) {
			numeric_value(v, DatumGetNumeric(DirectFunctionCall3(numeric_in, CStringGetDatum(s),
			                                                     ObjectIdGetDatum(InvalidOid),
			                                                     Int32GetDatum(-1))));
			return;
		}
		string_value(v, s);
		return;
	case K_JSONB:
		jsonb_value(v, DatumGetJsonbP(d));
		return;
	case K_JSON:
		s = OutputFunctionCall(&c->out[i], d);
		/* json holds what jsonb cannot (the escape \u0000, unpaired
		 * surrogates, numbers beyond numeric's range, ...: pg/audit/audit_json.c),
		 * and nesting deeper than the stack allows the conversion here.
		 * Such a value is recorded as its text, so the application's write
		 * never fails for the log's sake. */
		if (!pgdbc_audit_json_fits_jsonb(s)) {
			string_value(v, s);
			return;
		}
		jsonb_value(v, DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(s))));
		return;
	case K_TEXT:
		break;
	}
	string_value(v, OutputFunctionCall(&c->out[i], d));
}

/* Column i of the row in slot as the next pair. */
static void column_pair(pgdbc_audit_pair *p, const audit_cfg *c, TupleDesc desc, int i,
                        TupleTableSlot *slot)
{
	bool isnull;
	Datum d = slot_getattr(slot, i + 1, &isnull);
	p->key = NameStr(TupleDescAttr(desc, i)->attname);
	p->keylen = (int)strlen(p->key);
	if (isnull)
		p->value.type = jbvNull;
	else
		column_value(&p->value, c, i, d);
}

/* The object of n pairs in jsonb's key order. */
static Datum object_json(const pgdbc_audit_pair *pairs, int n)
{
	Jsonb *direct = pgdbc_audit_object(pairs, n);
	if (direct)
		return JsonbPGetDatum(direct);
	JsonbParseState *st = NULL;
	pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
	for (int i = 0; i < n; i++) {
		JsonbValue key;
		key.type = jbvString;
		key.val.string.len = pairs[i].keylen;
		key.val.string.val = (char *)pairs[i].key;
		pushJsonbValue(&st, WJB_KEY, &key);
		pushJsonbValue(&st, WJB_VALUE, (JsonbValue *)&pairs[i].value);
	}
	return JsonbPGetDatum(JsonbValueToJsonb(pushJsonbValue(&st, WJB_END_OBJECT, NULL)));
}

/* Whether column i holds different values in two rows, as the log shows
 * them: their text (two datums of a type may differ and print the same). */
static bool differs(const audit_cfg *c, TupleDesc desc, int i, TupleTableSlot *a, TupleTableSlot *b)
{
	Form_pg_attribute att = TupleDescAttr(desc, i);
	bool n1, n2;
	Datum d1 = slot_getattr(a, i + 1, &n1);
	Datum d2 = slot_getattr(b, i + 1, &n2);
	if (n1 || n2)
		return n1 != n2;
	if (datumIsEqual(d1, d2, att->attbyval, att->attlen))
		return false;
	/* a boolean's or an integer's text is its value's */
	if (c->kind[i] == K_BOOL || c->kind[i] == K_INT2 || c->kind[i] == K_INT4 ||
	    c->kind[i] == K_INT8)
		return true;
	char *s1 = OutputFunctionCall((FmgrInfo *)&c->out[i], d1);
	char *s2 = OutputFunctionCall((FmgrInfo *)&c->out[i], d2);
	bool same = strcmp(s1, s2) == 0;
	pfree(s1);
	pfree(s2);
	return !same;
}

/* The recorded columns an update changed, into changed (per attribute);
 * false when it changed none. */
static bool changed_columns(const audit_cfg *c, TupleDesc desc, TupleTableSlot *oldslot,
                            TupleTableSlot *newslot, bool *changed)
{
	bool any = false;
	for (int i = 0; i < desc->natts && i < c->natts; i++) {
		changed[i] = c->recorded[i] && differs(c, desc, i, oldslot, newslot);
		any = any || changed[i];
	}
	return any;
}

static Datum key_json(const audit_cfg *c, TupleDesc desc, TupleTableSlot *slot)
{
	pgdbc_audit_pair *pairs = palloc(sizeof(pgdbc_audit_pair) * (c->nkey_order + 1));
	for (int k = 0; k < c->nkey_order; k++)
		column_pair(&pairs[k], c, desc, c->key_order[k] - 1, slot);
	Datum json = object_json(pairs, c->nkey_order);
	pfree(pairs);
	return json;
}

/* The columns of a row: those of changed (per attribute), or when NULL
 * every recorded and key column; and, when key is given, the row's key
 * (key_json's) made of the same pairs: the key's columns are among the
 * image's in the same order (both in jsonb's key order, order_json_keys),
 * so each value is made once. */
static Datum row_json(const audit_cfg *c, TupleDesc desc, TupleTableSlot *slot, const bool *changed,
                      Datum *key)
{
	pgdbc_audit_pair *pairs = palloc(sizeof(pgdbc_audit_pair) * (c->ncolumns + 1));
	pgdbc_audit_pair *keys = key ? palloc(sizeof(pgdbc_audit_pair) * (c->nkey_order + 1)) : NULL;
	int n = 0, nkeys = 0;
	for (int j = 0; j < c->ncolumns; j++) {
		int i = c->json_order[j];
		if (i >= desc->natts)
			continue;
		if (changed ? !changed[i] : !c->recorded[i] && !c->in_key[i])
			continue;
		column_pair(&pairs[n++], c, desc, i, slot);
		if (keys && nkeys < c->nkey_order && c->key_order[nkeys] - 1 == i)
			keys[nkeys++] = pairs[n - 1];
	}
	Datum json = object_json(pairs, n);
	if (keys) {
		*key = nkeys == c->nkey_order ? object_json(keys, nkeys) : key_json(c, desc, slot);
		pfree(keys);
	}
	pfree(pairs);
	return json;
}

/* ------------------------------------------------------------ entries */

/* The entry of one changed row (oldslot/newslot: NULL where the operation
 * has none); false when an update changed no recorded column. */
bool pgdbc_audit_entry(const audit_cfg *c, TupleDesc desc, TupleTableSlot *oldslot,
                       TupleTableSlot *newslot, Datum *key, Datum *old, Datum *new)
{
	*old = *new = (Datum)0;
	if (newslot && oldslot) {
		if (c->full) {
			*old = row_json(c, desc, oldslot, NULL, NULL);
			*new = row_json(c, desc, newslot, NULL, key);
		} else {
			bool *changed = palloc(sizeof(bool) * (desc->natts + 1));
			if (!changed_columns(c, desc, oldslot, newslot, changed))
				return false; /* nothing recorded changed */
			*new = row_json(c, desc, newslot, changed, NULL);
			*old = row_json(c, desc, oldslot, changed, NULL);
			pfree(changed);
			*key = key_json(c, desc, newslot);
		}
	} else if (newslot)
		*new = row_json(c, desc, newslot, NULL, key);
	else
		*old = row_json(c, desc, oldslot, NULL, key);
	return true;
}

static void log_row(pgdbc_audit_writer *w, const audit_cfg *c, TupleDesc desc, const char *op,
                    TupleTableSlot *oldslot, TupleTableSlot *newslot)
{
	Datum key, old, new;
	if (pgdbc_audit_entry(c, desc, oldslot, newslot, &key, &old, &new))
		pgdbc_audit_writer_add(w, c->table, op, key, old, new);
}

/* The configuration of a table's own (not cloned) audit trigger, for the
 * WAL decoder: its attribute numbers are the table's. */
audit_cfg *pgdbc_audit_cfg_of(MemoryContext cxt, const Trigger *tg, Oid relid, TupleDesc desc)
{
	/* the decoder records nothing of such a trigger: an error there would
	 * stop every wal-mode table's log */
	if (records_other_table(tg, relid))
		return NULL;
	return build_cfg(cxt, tg->tgoid, tg->tgfoid, tg->tgnargs, tg->tgargs, desc, InvalidOid);
}

const char *pgdbc_audit_cfg_table(const audit_cfg *c)
{
	return c->table;
}

bool pgdbc_audit_cfg_chain(const audit_cfg *c)
{
	return c->chain;
}

/* The rows of a statement's transition tables, in the order the statement
 * changed them (an UPDATE's old and new tables hold the rows pairwise in
 * the same order), each row's JSON in a memory context reset per row.
 *
 * Memory ownership: a transition table larger than work_mem is on disk, and
 * tuplestore_gettupleslot then reads each row into a tuple palloc'd in the
 * current memory context and owned by the slot (freed when the slot is
 * cleared or stores its next row); in memory it hands out the store's own
 * tuple, owned by the store. Rows are therefore fetched in the statement's
 * context, never in per_row: a tuple that per_row's reset freed would be
 * freed again by the slot (a double free that ended the backend). The
 * slots are cleared before the reset, so each fetched row is freed once,
 * by its slot, as soon as its entry is written. */
static void log_statement(pgdbc_audit_writer *w, const audit_cfg *c, TupleDesc desc, const char *op,
                          Tuplestorestate *oldtable, Tuplestorestate *newtable)
{
	/* They do not pair up when an UPDATE moved rows to another partition
	 * and a BEFORE INSERT trigger there cancelled one (statement triggers
	 * of a partitioned table, made by an earlier build; dbaudit_refresh
	 * makes the row-level form, which sees each move as a delete and an
	 * insert). Then each old row is recorded as deleted and each new row
	 * as inserted: a row's entries still fold to what it became. */
	if (oldtable && newtable &&
	    tuplestore_tuple_count(oldtable) != tuplestore_tuple_count(newtable)) {
		log_statement(w, c, desc, "delete", oldtable, NULL);
		log_statement(w, c, desc, "insert", NULL, newtable);
		return;
	}
	TupleTableSlot *oldslot = oldtable ? MakeSingleTupleTableSlot(desc, &TTSOpsMinimalTuple) : NULL;
	TupleTableSlot *newslot = newtable ? MakeSingleTupleTableSlot(desc, &TTSOpsMinimalTuple) : NULL;
	MemoryContext per_row =
	    AllocSetContextCreate(CurrentMemoryContext, "dbcare audit row", ALLOCSET_DEFAULT_SIZES);
	MemoryContext stmt_cxt = CurrentMemoryContext;
	if (oldtable)
		tuplestore_rescan(oldtable);
	if (newtable)
		tuplestore_rescan(newtable);
	for (;;) {
		/* in stmt_cxt: a row read from disk belongs to its slot (above) */
		bool have_old = oldtable && tuplestore_gettupleslot(oldtable, true, false, oldslot);
		bool have_new = newtable && tuplestore_gettupleslot(newtable, true, false, newslot);
		if (!have_old && !have_new)
			break;
		MemoryContextSwitchTo(per_row);
		log_row(w, c, desc, op, have_old ? oldslot : NULL, have_new ? newslot : NULL);
		MemoryContextSwitchTo(stmt_cxt);
		if (oldslot)
			ExecClearTuple(oldslot);
		if (newslot)
			ExecClearTuple(newslot);
		MemoryContextReset(per_row);
		CHECK_FOR_INTERRUPTS();
	}
	MemoryContextDelete(per_row);
	if (oldslot)
		ExecDropSingleTupleTableSlot(oldslot);
	if (newslot)
		ExecDropSingleTupleTableSlot(newslot);
}

static void protocol_error(const char *what)
{
	ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
	                errmsg("dbcare: audit_trigger() %s", what)));
}

/*
 * Fired three ways: AFTER ... FOR EACH STATEMENT with a transition table,
 * one trigger per operation (what dbaudit_enable makes for most tables:
 * every entry of a statement in one call); AFTER TRUNCATE; and AFTER ...
 * FOR EACH ROW, what it makes for partitioned tables, partitions and
 * inheritance trees (and made for every table before 0.3.0).
 */
Datum dbcare_audit_trigger(PG_FUNCTION_ARGS)
{
	if (!CALLED_AS_TRIGGER(fcinfo))
		protocol_error("runs only as a trigger");
	TriggerData *td = (TriggerData *)fcinfo->context;
	TriggerEvent ev = td->tg_event;
	if (td->tg_trigger->tgnargs > 1 && strstr(td->tg_trigger->tgargs[1], "+wal")) {
		/* wal mode: the WAL has the rows (pg/audit/audit_decode.c), this the
		 * context they lack */
		if (!TRIGGER_FIRED_BEFORE(ev) || TRIGGER_FIRED_FOR_ROW(ev))
			protocol_error("of wal mode must fire BEFORE each statement");
		pgdbc_audit_wal_context();
		pgdbc_audit_wal_ensure_worker();
		return PointerGetDatum(NULL);
	}
	if (!TRIGGER_FIRED_AFTER(ev))
		protocol_error("must be an AFTER trigger");
	TupleDesc desc = RelationGetDescr(td->tg_relation);
	audit_cfg *c = fcinfo->flinfo->fn_extra;
	if (c == NULL || c->tgoid != td->tg_trigger->tgoid || c->natts != desc->natts) {
		c = cfg_of_trigger(td->tg_trigger, RelationGetRelid(td->tg_relation),
		                   fcinfo->flinfo->fn_oid, desc);
		fcinfo->flinfo->fn_extra = c;
	}
	const char *op = TRIGGER_FIRED_BY_INSERT(ev)   ? "insert"
	                 : TRIGGER_FIRED_BY_UPDATE(ev) ? "update"
	                 : TRIGGER_FIRED_BY_DELETE(ev) ? "delete"
	                                               : "truncate";
	bool row = TRIGGER_FIRED_FOR_ROW(ev);
	Tuplestorestate *oldtable = NULL, *newtable = NULL;
	if (!row && !TRIGGER_FIRED_BY_TRUNCATE(ev)) {
		oldtable = TRIGGER_FIRED_BY_INSERT(ev) ? NULL : td->tg_oldtable;
		newtable = TRIGGER_FIRED_BY_DELETE(ev) ? NULL : td->tg_newtable;
		if ((!TRIGGER_FIRED_BY_INSERT(ev) && oldtable == NULL) ||
		    (!TRIGGER_FIRED_BY_DELETE(ev) && newtable == NULL))
			protocol_error("needs the statement's transition tables (made by dbaudit_enable)");
		/* a statement that changed no row writes nothing and opens nothing */
		if ((oldtable ? tuplestore_tuple_count(oldtable) : 0) +
		        (newtable ? tuplestore_tuple_count(newtable) : 0) ==
		    0)
			return PointerGetDatum(NULL);
	}
	pgdbc_audit_writer w;
	pgdbc_audit_writer_open(&w, c->owner, c->chain);
	if (TRIGGER_FIRED_BY_TRUNCATE(ev))
		pgdbc_audit_writer_add(&w, c->table, op, (Datum)0, (Datum)0, (Datum)0);
	else if (!row)
		log_statement(&w, c, desc, op, oldtable, newtable);
	else if (TRIGGER_FIRED_BY_INSERT(ev))
		log_row(&w, c, desc, op, NULL, td->tg_trigslot);
	else if (TRIGGER_FIRED_BY_UPDATE(ev))
		log_row(&w, c, desc, op, td->tg_trigslot, td->tg_newslot);
	else
		log_row(&w, c, desc, op, td->tg_trigslot, NULL);
	pgdbc_audit_writer_close(&w);
	return PointerGetDatum(NULL);
}

/* ------------------------------------------------------------ baseline */

void pgdbc_audit_snapshot(void *arg)
{
	const pgdbc_audit_snapshot_args *a = arg;
	audit_cfg *c = NULL;
	TupleTableSlot *slot = NULL;
	pgdbc_audit_writer w;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "dbcare: SPI_connect failed");
	Portal portal = SPI_cursor_open_with_args(NULL, psprintf("SELECT * FROM %s", a->name), 0, NULL,
	                                          NULL, NULL, true, 0);
	/* each row's JSON, freed after its entry is written */
	MemoryContext per_row =
	    AllocSetContextCreate(CurrentMemoryContext, "dbcare audit row", ALLOCSET_DEFAULT_SIZES);
	for (;;) {
		SPI_cursor_fetch(portal, true, 1000);
		if (SPI_processed == 0)
			break;
		uint64 n = SPI_processed;
		SPITupleTable *tt = SPI_tuptable;
		if (c == NULL) {
			/* the arguments' attribute numbers are the table's, which counts
			 * its dropped columns; the SELECT's columns do not: the numbers
			 * are translated by name, as for a partition's clone */
			c = build_cfg(CurrentMemoryContext, InvalidOid, a->function, a->nargs, a->args,
			              tt->tupdesc, a->relid);
			slot = MakeSingleTupleTableSlot(tt->tupdesc, &TTSOpsHeapTuple);
			pgdbc_audit_writer_open(&w, c->owner, c->chain);
		}
		for (uint64 i = 0; i < n; i++) {
			MemoryContext old_cxt = MemoryContextSwitchTo(per_row);
			/* the tuple stays SPI's (shouldFree false): freed once, with its
			 * tuple table below, never by the slot or per_row's reset */
			ExecStoreHeapTuple(tt->vals[i], slot, false);
			Datum key;
			Datum image = row_json(c, tt->tupdesc, slot, NULL, &key);
			pgdbc_audit_writer_add(&w, c->table, "snapshot", key, (Datum)0, image);
			ExecClearTuple(slot);
			MemoryContextSwitchTo(old_cxt);
			MemoryContextReset(per_row);
		}
		SPI_freetuptable(tt);
		CHECK_FOR_INTERRUPTS();
	}
	SPI_cursor_close(portal);
	if (c != NULL) {
		pgdbc_audit_writer_close(&w);
		ExecDropSingleTupleTableSlot(slot);
	}
	SPI_finish();
}
