/*
 * pg/catalog/catalog_constraints.c — the constraints of the catalog reader's tables,
 * read from pg_constraint through its conrelid index in C.
 *
 * Why not SQL: after the columns moved to C, the constraint query was the
 * largest part of the schema read at the end of dbmigrate_apply()
 * (docs/benchmarks.md, "PostgreSQL apply, third round"): it found the
 * tables again through pg_class, filtered extension members through
 * pg_depend, collected every disabled RI trigger and printed four key arrays
 * per row for the reader to parse back. The tables are known from the tables
 * query; each is one index range scan here, and a foreign key's triggers one
 * more through pg_trigger's tgconstraint index. CHECK and EXCLUDE texts come
 * from pg_get_constraintdef, as the query's did.
 */
#include "catalog_keys.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "catalog/pg_class.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/fmgroids.h"
#include "utils/fmgrprotos.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/syscache.h"

static bool kind_of(char contype, dbc_constraint_kind *kind)
{
	switch (contype) {
	case CONSTRAINT_PRIMARY:
		*kind = DBC_CON_PRIMARY_KEY;
		return true;
	case CONSTRAINT_UNIQUE:
		*kind = DBC_CON_UNIQUE;
		return true;
	case CONSTRAINT_FOREIGN:
		*kind = DBC_CON_FOREIGN_KEY;
		return true;
	case CONSTRAINT_CHECK:
		*kind = DBC_CON_CHECK;
		return true;
	case CONSTRAINT_EXCLUSION:
		*kind = DBC_CON_EXCLUDE;
		return true;
	default: /* constraint triggers are the triggers' business */
		return false;
	}
}

static char *fk_action(char code)
{
	switch (code) {
	case FKCONSTR_ACTION_RESTRICT:
		return "restrict";
	case FKCONSTR_ACTION_CASCADE:
		return "cascade";
	case FKCONSTR_ACTION_SETNULL:
		return "set null";
	case FKCONSTR_ACTION_SETDEFAULT:
		return "set default";
	default:
		return "no action";
	}
}

/* A foreign key is enforced by its RI triggers: a disabled one, an ordinary
 * one while session_replication_role is replica, or a replica one while it
 * is not, lets rows past the check now. */
static bool fk_enforced(Relation trigger, Snapshot snap, Oid constraint)
{
	bool replica = SessionReplicationRole == SESSION_REPLICATION_ROLE_REPLICA;
	bool enforced = true;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple tup;
	ScanKeyInit(&key, Anum_pg_trigger_tgconstraint, BTEqualStrategyNumber, F_OIDEQ,
	            ObjectIdGetDatum(constraint));
	scan = systable_beginscan(trigger, TriggerConstraintIndexId, true, snap, 1, &key);
	while (enforced && HeapTupleIsValid(tup = systable_getnext(scan))) {
		char enabled = ((Form_pg_trigger)GETSTRUCT(tup))->tgenabled;
		enforced =
		    !(enabled == TRIGGER_DISABLED || (enabled == TRIGGER_FIRES_ON_ORIGIN && replica) ||
		      (enabled == TRIGGER_FIRES_ON_REPLICA && !replica));
	}
	systable_endscan(scan);
	return enforced;
}

/* The names of rel's columns in the constraint's key array attno (conkey or
 * confkey: a one-dimensional smallint array without NULLs, or NULL). */
static int key_names(dbc_ctx *ctx, pgdbc_attmap *atts, HeapTuple tup, TupleDesc desc, int attno,
                     Oid rel, dbc_strlist *out)
{
	bool isnull;
	Datum d = pgdbc_tuple_attr(tup, attno, desc, &isnull);
	ArrayType *keys;
	if (isnull)
		return DBC_OK;
	keys = DatumGetArrayTypeP(d);
	if (ARR_NDIM(keys) != 1 || ARR_HASNULL(keys) || ARR_ELEMTYPE(keys) != INT2OID)
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "constraint key of relation %u is malformed",
		                 rel);
	/* ARR_DATA_PTR, for an array known to have no NULLs (its own form
	 * trips -Wsign-compare) */
	return pgdbc_key_names(ctx, atts, rel,
	                       (const int16 *)((const char *)keys + ARR_OVERHEAD_NONULLS(1)),
	                       ARR_DIMS(keys)[0], out);
}

/* The schema and name of a foreign key's referenced table. */
static int referenced(dbc_ctx *ctx, Oid rel, dbc_constraint *k)
{
	HeapTuple tup = SearchSysCache1(RELOID, ObjectIdGetDatum(rel));
	if (HeapTupleIsValid(tup)) {
		Form_pg_class c = (Form_pg_class)GETSTRUCT(tup);
		k->ref_schema = dbc_strdup(ctx, get_namespace_name(c->relnamespace));
		k->ref_table = dbc_strdup(ctx, NameStr(c->relname));
		ReleaseSysCache(tup);
	}
	return ctx->failed ? DBC_ERROR : DBC_OK;
}

static int add_constraint(dbc_ctx *ctx, dbc_table *t, Oid table, HeapTuple tup, TupleDesc desc,
                          Relation trigger, Snapshot snap, pgdbc_attmap *atts, pgdbc_oids *owned)
{
	Form_pg_constraint con = (Form_pg_constraint)GETSTRUCT(tup);
	dbc_constraint_kind kind;
	dbc_constraint *k;
	if (!kind_of(con->contype, &kind))
		return DBC_OK;
	k = dbc_table_add_constraint(ctx, t, kind, NameStr(con->conname));
	if (!k ||
	    key_names(ctx, atts, tup, desc, Anum_pg_constraint_conkey, table, &k->columns) != DBC_OK)
		return DBC_ERROR;
	if (kind == DBC_CON_FOREIGN_KEY) {
		if (referenced(ctx, con->confrelid, k) != DBC_OK ||
		    key_names(ctx, atts, tup, desc, Anum_pg_constraint_confkey, con->confrelid,
		              &k->ref_columns) != DBC_OK)
			return DBC_ERROR;
		k->match = con->confmatchtype == FKCONSTR_MATCH_FULL      ? "full"
		           : con->confmatchtype == FKCONSTR_MATCH_PARTIAL ? "partial"
		                                                          : "simple";
		k->on_update = fk_action(con->confupdtype);
		k->on_delete = fk_action(con->confdeltype);
		k->enforced = fk_enforced(trigger, snap, con->oid);
	}
	if (kind == DBC_CON_CHECK || kind == DBC_CON_EXCLUDE) {
		/* pg_get_constraintdef opens the table */
		Datum arg = ObjectIdGetDatum(con->oid);
		if (!pgdbc_rel_hold(table)) {
			t->nconstraints--; /* dropped since the snapshot: skipped */
			return DBC_OK;
		}
		k->expr = dbc_strdup(ctx, pgdbc_builtin_text(pg_get_constraintdef, 1, &arg));
		pgdbc_rel_release(table);
	}
	/* a foreign key's conindid is the referenced table's index, not its own */
	if ((kind == DBC_CON_PRIMARY_KEY || kind == DBC_CON_UNIQUE || kind == DBC_CON_EXCLUDE) &&
	    OidIsValid(con->conindid))
		pgdbc_oids_add(owned, con->conindid);
	k->deferrable = con->condeferrable;
	k->initially_deferred = con->condeferred;
	k->validated = con->convalidated;
	return ctx->failed ? DBC_ERROR : DBC_OK;
}

int pgdbc_read_constraints(dbc_ctx *ctx, dbc_schema *s, Snapshot snap, const pgdbc_rel *tables,
                           pgdbc_attmap *atts, pgdbc_oids *owned)
{
	MemoryContext scratch =
	    AllocSetContextCreate(CurrentMemoryContext, "dbcare constraints", ALLOCSET_DEFAULT_SIZES);
	MemoryContext home = CurrentMemoryContext;
	Relation constraint = table_open(ConstraintRelationId, AccessShareLock);
	Relation trigger = table_open(TriggerRelationId, AccessShareLock);
	int rc = DBC_OK;
	for (int i = 0; rc == DBC_OK && i < s->ntables; i++) {
		ScanKeyData key;
		SysScanDesc scan;
		HeapTuple tup;
		CHECK_FOR_INTERRUPTS();
		MemoryContextReset(scratch);
		ScanKeyInit(&key, Anum_pg_constraint_conrelid, BTEqualStrategyNumber, F_OIDEQ,
		            ObjectIdGetDatum(tables[i].oid));
		MemoryContextSwitchTo(scratch);
		scan = systable_beginscan(constraint, ConstraintRelidTypidNameIndexId, true, snap, 1, &key);
		while (rc == DBC_OK && HeapTupleIsValid(tup = systable_getnext(scan)))
			rc = add_constraint(ctx, &s->tables[i], tables[i].oid, tup,
			                    RelationGetDescr(constraint), trigger, snap, atts, owned);
		systable_endscan(scan);
		MemoryContextSwitchTo(home);
	}
	/* held to the end of the transaction, as the query's locks were */
	table_close(trigger, NoLock);
	table_close(constraint, NoLock);
	MemoryContextDelete(scratch);
	pgdbc_oids_seal(owned);
	if (rc != DBC_OK && !ctx->failed)
		dbc_error(ctx, DBC_SQLSTATE_OUT_OF_MEMORY, "out of memory while reading the catalog");
	return rc;
}
