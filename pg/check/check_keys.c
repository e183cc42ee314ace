/*
 * pg/check/check_keys.c — how a foreign key check compares a child key with a
 * parent key (dbc_host's key_match).
 *
 * Written "p.a = c.a", the comparison would be found by operator and cast
 * resolution when the statement is parsed: with columns of different types
 * an IMPLICIT cast anyone may have created (casts are global; no
 * search_path protects them) could be picked, and run. The RI triggers
 * never resolve: they write the constraint's own equality operator
 * (pg_constraint.conpfeqop) schema-qualified, with explicit casts to the
 * operator's input types where a column's type differs, and the parent
 * column's collation where the two differ (ri_triggers.c, RI_Initial_Check).
 * The text here is made by the same routine they use
 * (generate_operator_clause), from the catalog as it is under the scope's
 * lock. A declared relation has no constraint row: its operator is chosen as
 * ALTER TABLE ... ADD FOREIGN KEY chooses one, from the default btree
 * operator family of the parent column's type.
 */
#include "pg/host/glue.h"

#include "access/htup_details.h"
#include "access/stratnum.h"
#include "catalog/namespace.h"
#include "catalog/pg_am.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_constraint.h"
#include "commands/defrem.h"
#include "lib/stringinfo.h"
#include "nodes/makefuncs.h"
#include "parser/parse_coerce.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

typedef struct key_args {
	const char *schema, *table, *name;
	bool declared;
	const char *parent_schema, *parent_table;
	const char *const *columns;
	const char *const *ref_columns;
	int n;
	/* out, in the memory current at the call */
	char *match;
	char *skip;
} key_args;

static Oid relid_of(const char *schema, const char *table)
{
	RangeVar *rv = makeRangeVar(schema ? pstrdup(schema) : NULL, pstrdup(table), -1);
	/* the scope holds the lock: no new one, and no wait */
	return RangeVarGetRelid(rv, NoLock, true);
}

/* The equality operator ALTER TABLE ... ADD FOREIGN KEY would choose for a
 * parent column of pktype and a child column of fktype; InvalidOid when the
 * types cannot be compared that way. */
static Oid relation_operator(Oid pktype, Oid fktype)
{
	Oid opclass = GetDefaultOpClass(pktype, BTREE_AM_OID);
	Oid family, intype, op, in[2], target[2];
	if (!OidIsValid(opclass))
		return InvalidOid;
	family = get_opclass_family(opclass);
	intype = get_opclass_input_type(opclass);
	op = get_opfamily_member(family, intype, getBaseType(fktype), BTEqualStrategyNumber);
	if (OidIsValid(op))
		return op;
	in[0] = pktype;
	in[1] = fktype;
	target[0] = target[1] = intype;
	if (can_coerce_type(2, in, target, COERCION_IMPLICIT))
		return get_opfamily_member(family, intype, intype, BTEqualStrategyNumber);
	return InvalidOid;
}

/* " COLLATE schema.name", always qualified. */
static void append_collation(StringInfo buf, Oid collation)
{
	HeapTuple tp = SearchSysCache1(COLLOID, ObjectIdGetDatum(collation));
	Form_pg_collation c;
	if (!HeapTupleIsValid(tp))
		elog(ERROR, "cache lookup failed for collation %u", collation);
	c = (Form_pg_collation)GETSTRUCT(tp);
	appendStringInfo(buf, " COLLATE %s.%s", quote_identifier(get_namespace_name(c->collnamespace)),
	                 quote_identifier(NameStr(c->collname)));
	ReleaseSysCache(tp);
}

static void key_body(void *arg)
{
	key_args *a = arg;
	MemoryContext cxt = CurrentMemoryContext;
	Oid child = relid_of(a->schema, a->table);
	Oid parent = relid_of(a->parent_schema, a->parent_table);
	AttrNumber fkatts[INDEX_MAX_KEYS], pkatts[INDEX_MAX_KEYS];
	Oid ops[INDEX_MAX_KEYS];
	int n = a->n;
	StringInfoData buf;

	if (!OidIsValid(child) || !OidIsValid(parent)) {
		a->skip = MemoryContextStrdup(cxt, "a table it names was dropped or renamed while dbcare "
		                                   "read it; not checked");
		return;
	}
	if (n <= 0 || n > INDEX_MAX_KEYS)
		elog(ERROR, "foreign key %s has %d columns", a->name, n);
	if (!a->declared) {
		Oid conoid = get_relation_constraint_oid(child, a->name, true);
		HeapTuple tp =
		    OidIsValid(conoid) ? SearchSysCache1(CONSTROID, ObjectIdGetDatum(conoid)) : NULL;
		Oid pp[INDEX_MAX_KEYS], ff[INDEX_MAX_KEYS];
		int nkeys = 0;
		bool same = false;
		if (tp && HeapTupleIsValid(tp)) {
			Form_pg_constraint con = (Form_pg_constraint)GETSTRUCT(tp);
			if (con->contype == CONSTRAINT_FOREIGN && con->confrelid == parent) {
				DeconstructFkConstraintRow(tp, &nkeys, fkatts, pkatts, ops, pp, ff, NULL, NULL);
				same = nkeys == n;
			}
			ReleaseSysCache(tp);
		}
		if (!same) {
			a->skip = MemoryContextStrdup(cxt, "the foreign key was dropped or altered while "
			                                   "dbcare read it; not checked");
			return;
		}
	} else {
		for (int i = 0; i < n; i++) {
			fkatts[i] = get_attnum(child, a->columns[i]);
			pkatts[i] = get_attnum(parent, a->ref_columns[i]);
			if (fkatts[i] == InvalidAttrNumber || pkatts[i] == InvalidAttrNumber) {
				a->skip = MemoryContextStrdup(cxt, "a column it names was dropped or renamed "
				                                   "while dbcare read it; not checked");
				return;
			}
			ops[i] =
			    relation_operator(get_atttype(parent, pkatts[i]), get_atttype(child, fkatts[i]));
			if (!OidIsValid(ops[i])) {
				a->skip = MemoryContextStrdup(
				    cxt, psprintf("no equality operator compares %s with %s; not checked",
				                  format_type_be(get_atttype(parent, pkatts[i])),
				                  format_type_be(get_atttype(child, fkatts[i]))));
				return;
			}
		}
	}
	initStringInfo(&buf);
	for (int i = 0; i < n; i++) {
		Oid pktype, fktype, pkcoll, fkcoll;
		int32 typmod;
		char *pk = psprintf("p.%s", quote_identifier(get_attname(parent, pkatts[i], false)));
		char *fk = psprintf("c.%s", quote_identifier(get_attname(child, fkatts[i], false)));
		get_atttypetypmodcoll(parent, pkatts[i], &pktype, &typmod, &pkcoll);
		get_atttypetypmodcoll(child, fkatts[i], &fktype, &typmod, &fkcoll);
		if (i)
			appendStringInfoString(&buf, " AND ");
		/* "p.a OPERATOR(nsp.op) c.a", a cast on a side whose type is not the
		 * operator's input type: the RI triggers' own text */
		generate_operator_clause(&buf, pk, pktype, ops[i], fk, fktype);
		if (pkcoll != fkcoll && OidIsValid(pkcoll))
			append_collation(&buf, pkcoll);
	}
	a->match = MemoryContextStrdup(cxt, buf.data);
}

int pgdbc_key_match(dbc_ctx *ctx, const char *schema, const char *table, const char *name,
                    bool declared, const char *parent_schema, const char *parent_table,
                    const char *const *columns, const char *const *ref_columns, int ncolumns,
                    char **match, char **skip)
{
	key_args a = {schema,  table,       name,     declared, parent_schema, parent_table,
	              columns, ref_columns, ncolumns, NULL,     NULL};
	*match = *skip = NULL;
	if (pgdbc_guarded(ctx, key_body, &a) != DBC_OK)
		return DBC_ERROR;
	if (a.skip) {
		*skip = dbc_strdup(ctx, a.skip);
		return *skip ? DBC_OK : DBC_ERROR;
	}
	*match = dbc_strdup(ctx, a.match);
	return *match ? DBC_OK : DBC_ERROR;
}
