/*
 * audit_trigger.c — dbcare.audit_trigger(), the trigger of every audited
 * table (docs/audit.md), and the baseline snapshot that writes rows the same
 * way.
 *
 * Privileges: the audited roles have no privilege on dbcare.audit_log. The
 * trigger switches to the owner of the trigger function (the role that
 * installed dbcare, who owns the log) for one prepared INSERT, inside a
 * security-restricted operation, the way PostgreSQL's own foreign-key
 * triggers act as the table owner; an error or cancel restores the caller's
 * identity with the (sub)transaction's abort. It is not SECURITY DEFINER so
 * that it can record the writer's current_user. Nothing it runs resolves a
 * name through search_path: the INSERT names dbcare.audit_log and its
 * parameters are typed by OID.
 *
 * The trigger's arguments carry its configuration (dbaudit_enable writes
 * them): the stored table name, "changed" or "full" (with "+chain": the
 * entries carry the hash chain), the number of key
 * columns and their names, then "+column" (only these are recorded) or
 * "-column" (never recorded). Column names are matched at each statement, so
 * a column added later is recorded without a new trigger.
 */
#include "glue.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/guc.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "utils/xid8.h"

#include "audit_glue.h"

#include "audit/audit.h"
#include "datatype/timestamp.h"
#include "utils/fmgroids.h"

/* SET LOCAL dbcare.actor = '...': the application's user, logged with each entry. */
static char *audit_actor = NULL;

void pgdbc_define_audit_settings(void)
{
	DefineCustomStringVariable(
		"dbcare.actor", "The application's user, recorded in dbcare.audit_log.actor.",
		"Set it with SET LOCAL in each transaction that changes audited tables.", &audit_actor,
		NULL, PGC_USERSET, 0, NULL, NULL, NULL);
}

/* How a column's values are written into JSON. */
typedef enum { K_TEXT, K_BOOL, K_NUMBER, K_JSON } value_kind;

/* The configuration of one trigger for one statement (the FmgrInfo's
 * fn_extra lives as long as the statement's executor state). */
typedef struct audit_cfg {
	Oid tgoid;
	int natts;
	const char *table;
	bool full;
	bool chain;        /* entries carry the hash chain */
	bool *recorded;    /* per attribute: its values are logged */
	bool *in_key;      /* per attribute: part of the key */
	AttrNumber *key;   /* the key's attributes, in key order */
	int nkey;
	value_kind *kind;  /* per attribute */
	FmgrInfo *out;     /* per attribute: the type's output function */
	Oid owner;         /* the log's writer: the trigger function's owner */
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
	case INT4OID:
	case INT8OID:
	case FLOAT4OID:
	case FLOAT8OID:
	case NUMERICOID:
		return K_NUMBER;
	case JSONOID:
	case JSONBOID:
		return K_JSON;
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

/* Reads the configuration from the arguments (see the file comment). */
static audit_cfg *build_cfg(MemoryContext cxt, Oid tgoid, Oid fn, int nargs, char **args,
                            TupleDesc desc)
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
	bool only = false;
	for (int i = 3 + c->nkey; i < nargs; i++)
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
	for (int i = 3 + c->nkey; i < nargs; i++) {
		AttrNumber at = attnum_of(desc, args[i] + 1);
		if (at != InvalidAttrNumber)
			c->recorded[at - 1] = args[i][0] == '+';
	}
	for (int k = 0; k < c->nkey; k++) {
		AttrNumber at = attnum_of(desc, args[3 + k]);
		if (at == InvalidAttrNumber)
			ereport(ERROR,
			        (errcode(ERRCODE_UNDEFINED_COLUMN),
			         errmsg("dbcare: key column \"%s\" of audited table %s does not exist",
			                args[3 + k], c->table),
			         errhint("Disable and enable auditing of the table with its new key.")));
		c->key[k] = at;
		c->in_key[at - 1] = true;
	}
	c->owner = function_owner(fn);
	MemoryContextSwitchTo(old);
	return c;
}

static void append_value(StringInfo buf, const audit_cfg *c, int i, Datum d)
{
	char *s = OutputFunctionCall(&c->out[i], d);
	switch (c->kind[i]) {
	case K_BOOL:
		appendStringInfoString(buf, s[0] == 't' ? "true" : "false");
		break;
	case K_NUMBER:
		/* NaN and the infinities are no JSON numbers */
		if (strpbrk(s, "NIni") != NULL)
			escape_json(buf, s);
		else
			appendStringInfoString(buf, s);
		break;
	case K_JSON:
		appendStringInfoString(buf, s);
		break;
	case K_TEXT:
		escape_json(buf, s);
		break;
	}
	pfree(s);
}

static void append_column(StringInfo buf, const audit_cfg *c, TupleDesc desc, int i,
                          HeapTuple tup, bool *first)
{
	bool isnull;
	Datum d = heap_getattr(tup, i + 1, desc, &isnull);
	appendStringInfoString(buf, *first ? "{" : ", ");
	*first = false;
	escape_json(buf, NameStr(TupleDescAttr(desc, i)->attname));
	appendStringInfoString(buf, ": ");
	if (isnull)
		appendStringInfoString(buf, "null");
	else
		append_value(buf, c, i, d);
}

static Datum jsonb_of(StringInfo buf, bool first)
{
	if (first)
		appendStringInfoChar(buf, '{');
	appendStringInfoChar(buf, '}');
	return DirectFunctionCall1(jsonb_in, CStringGetDatum(buf->data));
}

/* The recorded columns of a row (changed_from: only those that differ). */
static Datum row_json(const audit_cfg *c, TupleDesc desc, HeapTuple tup, HeapTuple changed_from,
                      bool *any)
{
	StringInfoData buf;
	bool first = true;
	initStringInfo(&buf);
	for (int i = 0; i < desc->natts && i < c->natts; i++) {
		if (!c->recorded[i] && !c->in_key[i])
			continue;
		if (changed_from && !c->recorded[i])
			continue;
		if (changed_from) {
			Form_pg_attribute a = TupleDescAttr(desc, i);
			bool n1, n2;
			Datum d1 = heap_getattr(tup, i + 1, desc, &n1);
			Datum d2 = heap_getattr(changed_from, i + 1, desc, &n2);
			if (n1 && n2)
				continue;
			if (!n1 && !n2) {
				if (datumIsEqual(d1, d2, a->attbyval, a->attlen))
					continue;
				char *s1 = OutputFunctionCall((FmgrInfo *)&c->out[i], d1);
				char *s2 = OutputFunctionCall((FmgrInfo *)&c->out[i], d2);
				bool same = strcmp(s1, s2) == 0;
				pfree(s1);
				pfree(s2);
				if (same)
					continue;
			}
		}
		append_column(&buf, c, desc, i, tup, &first);
	}
	if (any)
		*any = !first;
	return jsonb_of(&buf, first);
}

static Datum key_json(const audit_cfg *c, TupleDesc desc, HeapTuple tup)
{
	StringInfoData buf;
	bool first = true;
	initStringInfo(&buf);
	for (int k = 0; k < c->nkey; k++)
		append_column(&buf, c, desc, c->key[k] - 1, tup, &first);
	return jsonb_of(&buf, first);
}

/* ------------------------------------------------------------ the INSERT */

static SPIPlanPtr insert_plan = NULL;

/* The current user's name, remembered for the next row. */
static const char *user_name(Oid user)
{
	static Oid cached = InvalidOid;
	static char name[NAMEDATALEN];
	if (user != cached) {
		strlcpy(name, GetUserNameFromId(user, false), sizeof(name));
		cached = user;
	}
	return name;
}

static SPIPlanPtr chain_head_plan = NULL;
static SPIPlanPtr chain_init_plan = NULL;
static SPIPlanPtr chain_move_plan = NULL;

static SPIPlanPtr keep_plan(SPIPlanPtr *slot, const char *sql, int nargs, Oid *types)
{
	if (*slot == NULL) {
		SPIPlanPtr p = SPI_prepare(sql, nargs, types);
		if (p == NULL || SPI_keepplan(p) != 0)
			elog(ERROR, "dbcare: could not prepare an audit statement: %s",
			     SPI_result_code_string(SPI_result));
		*slot = p;
	}
	return *slot;
}

static char *text_of(Datum d, bool isnull, Oid out)
{
	return isnull ? NULL : OidOutputFunctionCall(out, d);
}

/* The entry's link in the hash chain (core/audit/audit_chain.c): waits for
 * the chain's head row, which the previous writer holds until it ends, so
 * chained entries are linked in the order their transactions commit. */
static Datum chain_link(const Datum *values, const char *nulls, Datum *prev_out, bool *prev_null)
{
	bool isnull;
	char *prev = NULL;
	keep_plan(&chain_head_plan, "SELECT last_hash FROM dbcare.audit_chain WHERE id = 1 FOR UPDATE",
	          0, NULL);
	if (SPI_execute_plan(chain_head_plan, NULL, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "dbcare: could not read the audit log's hash chain");
	if (SPI_processed == 0) {
		/* the first chained entry: the head row is made here, not by the
		 * extension script, so a restored dump does not meet a second one */
		if (SPI_execute_plan(keep_plan(&chain_init_plan,
		                               "INSERT INTO dbcare.audit_chain (id) VALUES (1)"
		                               " ON CONFLICT (id) DO NOTHING",
		                               0, NULL),
		                     NULL, NULL, false, 0) != SPI_OK_INSERT ||
		    SPI_execute_plan(chain_head_plan, NULL, NULL, false, 1) != SPI_OK_SELECT ||
		    SPI_processed != 1)
			elog(ERROR, "dbcare: could not make the audit log's hash chain head");
	}
	Datum d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	*prev_null = isnull;
	if (!isnull) {
		prev = TextDatumGetCString(d);
		*prev_out = CStringGetTextDatum(prev);
	}
	const char *fields[DBC_AUDIT_LINK_FIELDS];
	TimestampTz at = DatumGetTimestampTz(values[0]);
	fields[0] = psprintf(INT64_FORMAT,
	                     at + (int64)(POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * USECS_PER_DAY);
	fields[1] = psprintf(UINT64_FORMAT, U64FromFullTransactionId(DatumGetFullTransactionId(values[1])));
	for (int i = 2; i < 6; i++)
		fields[i] = nulls[i] == 'n' ? NULL : TextDatumGetCString(values[i]);
	for (int i = 6; i < 9; i++)
		fields[i] = text_of(values[i], nulls[i] == 'n', F_JSONB_OUT);
	dbc_ctx ctx;
	char hex[DBC_AUDIT_HASH_LEN + 1];
	dbc_ctx_init(&ctx, &pgdbc_host, NULL);
	int rc = dbc_audit_link(&ctx, prev, fields, hex);
	dbc_ctx_finish(&ctx);
	if (rc != DBC_OK)
		elog(ERROR, "dbcare: could not hash an audit log entry");
	Datum hash = CStringGetTextDatum(hex);
	Oid type = TEXTOID;
	if (SPI_execute_plan(keep_plan(&chain_move_plan,
	                               "UPDATE dbcare.audit_chain SET last_hash = $1 WHERE id = 1", 1,
	                               &type),
	                     &hash, NULL, false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "dbcare: could not move the audit log's hash chain");
	return hash;
}

/* Writes one entry as the log's owner. key/old/new: (Datum)0 for NULL. */
static void write_entry(const audit_cfg *c, const char *op, Datum key, Datum old, Datum new)
{
	Oid save_user;
	int save_sec;
	GetUserIdAndSecContext(&save_user, &save_sec);
	Datum values[11];
	char nulls[11];
	memset(nulls, ' ', sizeof(nulls));
	values[0] = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
	values[1] = FullTransactionIdGetDatum(GetTopFullTransactionId());
	values[2] = CStringGetTextDatum(user_name(save_user));
	if (audit_actor && audit_actor[0])
		values[3] = CStringGetTextDatum(audit_actor);
	else
		nulls[3] = 'n';
	values[4] = CStringGetTextDatum(op);
	values[5] = CStringGetTextDatum(c->table);
	values[6] = key;
	values[7] = old;
	values[8] = new;
	for (int i = 6; i < 9; i++)
		if (values[i] == (Datum)0)
			nulls[i] = 'n';
	nulls[9] = nulls[10] = 'n';
	values[9] = values[10] = (Datum)0;

	SetUserIdAndSecContext(c->owner, save_sec | SECURITY_LOCAL_USERID_CHANGE |
	                                     SECURITY_RESTRICTED_OPERATION);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "dbcare: SPI_connect failed");
	if (c->chain) {
		bool prev_null;
		values[9] = chain_link(values, nulls, &values[10], &prev_null);
		nulls[9] = ' ';
		nulls[10] = prev_null ? 'n' : ' ';
	}
	Oid types[11] = {TIMESTAMPTZOID, XID8OID,  TEXTOID,  TEXTOID, TEXTOID, TEXTOID,
	                 JSONBOID,       JSONBOID, JSONBOID, TEXTOID, TEXTOID};
	keep_plan(&insert_plan,
	          "INSERT INTO dbcare.audit_log (at, txid, db_user, actor, operation, table_name, key,"
	          " old_values, new_values, hash, prev_hash)"
	          " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
	          11, types);
	if (SPI_execute_plan(insert_plan, values, nulls, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "dbcare: could not write the audit log");
	SPI_finish();
	SetUserIdAndSecContext(save_user, save_sec);
}

static void log_row(const audit_cfg *c, TupleDesc desc, const char *op, HeapTuple oldtup,
                    HeapTuple newtup)
{
	Datum key, old = (Datum)0, new = (Datum)0;
	if (newtup && oldtup) {
		bool any;
		if (c->full) {
			old = row_json(c, desc, oldtup, NULL, NULL);
			new = row_json(c, desc, newtup, NULL, NULL);
		} else {
			new = row_json(c, desc, newtup, oldtup, &any);
			if (!any)
				return; /* nothing recorded changed */
			old = row_json(c, desc, oldtup, newtup, NULL);
		}
		key = key_json(c, desc, newtup);
	} else if (newtup) {
		new = row_json(c, desc, newtup, NULL, NULL);
		key = key_json(c, desc, newtup);
	} else {
		old = row_json(c, desc, oldtup, NULL, NULL);
		key = key_json(c, desc, oldtup);
	}
	write_entry(c, op, key, old, new);
}

Datum dbcare_audit_trigger(PG_FUNCTION_ARGS)
{
	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
		                errmsg("dbcare: audit_trigger() runs only as a trigger")));
	TriggerData *td = (TriggerData *)fcinfo->context;
	TriggerEvent ev = td->tg_event;
	if (!TRIGGER_FIRED_AFTER(ev))
		ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
		                errmsg("dbcare: audit_trigger() must be an AFTER trigger")));
	TupleDesc desc = RelationGetDescr(td->tg_relation);
	audit_cfg *c = fcinfo->flinfo->fn_extra;
	if (c == NULL || c->tgoid != td->tg_trigger->tgoid || c->natts != desc->natts) {
		c = build_cfg(fcinfo->flinfo->fn_mcxt, td->tg_trigger->tgoid, fcinfo->flinfo->fn_oid,
		              td->tg_trigger->tgnargs, td->tg_trigger->tgargs, desc);
		fcinfo->flinfo->fn_extra = c;
	}
	if (TRIGGER_FIRED_BY_TRUNCATE(ev))
		write_entry(c, "truncate", (Datum)0, (Datum)0, (Datum)0);
	else if (!TRIGGER_FIRED_FOR_ROW(ev))
		ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
		                errmsg("dbcare: audit_trigger() records rows and TRUNCATE only")));
	else if (TRIGGER_FIRED_BY_INSERT(ev))
		log_row(c, desc, "insert", NULL, td->tg_trigtuple);
	else if (TRIGGER_FIRED_BY_UPDATE(ev))
		log_row(c, desc, "update", td->tg_trigtuple, td->tg_newtuple);
	else if (TRIGGER_FIRED_BY_DELETE(ev))
		log_row(c, desc, "delete", td->tg_trigtuple, NULL);
	return PointerGetDatum(NULL);
}

/* ------------------------------------------------------------ baseline */

void pgdbc_audit_snapshot(void *arg)
{
	const pgdbc_audit_snapshot_args *a = arg;
	audit_cfg *c = NULL;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "dbcare: SPI_connect failed");
	Portal portal = SPI_cursor_open_with_args(NULL, psprintf("SELECT * FROM %s", a->name), 0,
	                                          NULL, NULL, NULL, true, 0);
	for (;;) {
		SPI_cursor_fetch(portal, true, 1000);
		if (SPI_processed == 0)
			break;
		uint64 n = SPI_processed;
		SPITupleTable *tt = SPI_tuptable;
		if (c == NULL)
			c = build_cfg(CurrentMemoryContext, InvalidOid, a->function, a->nargs, a->args,
			              tt->tupdesc);
		for (uint64 i = 0; i < n; i++) {
			HeapTuple tup = tt->vals[i];
			write_entry(c, "snapshot", key_json(c, tt->tupdesc, tup), (Datum)0,
			            row_json(c, tt->tupdesc, tup, NULL, NULL));
		}
		SPI_freetuptable(tt);
		CHECK_FOR_INTERRUPTS();
	}
	SPI_cursor_close(portal);
	SPI_finish();
}
