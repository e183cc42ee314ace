/*
 * pg/check/check_domain.c — domain CHECK constraints added NOT VALID, checked on
 * the table columns of that domain (dbc_host.domain_checks).
 *
 * A domain's CHECK expression is the domain owner's code. The table's check
 * scope (pg/check/check_scope.c) runs the scan as the table's owner; the
 * expression itself runs as the domain's owner, in a security-restricted
 * operation, through dbcheck_domain_value_holds(value, constraint): the
 * stored expression (pg_constraint.conbin) is planned and evaluated as
 * PostgreSQL's own ALTER DOMAIN ... VALIDATE CONSTRAINT does, with VALUE
 * bound to the column's value, and never becomes SQL text. Why the domain's
 * owner and not the table's: a table owner may be a superuser using a type
 * an unprivileged role owns; PostgreSQL's validation runs as the domain's
 * owner (only it may validate), and the owner can lend its code no rights it
 * does not have. The evaluator refuses to run outside an open check scope,
 * and inside one for a constraint of a domain no column of the scope's
 * table uses, so it is no way for anybody to run a domain's code as its
 * owner at will; it sees only values the table's owner could pass itself.
 */
#include "pg/host/glue.h"

#include "access/htup_details.h"
#include "access/relation.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"

/* Every (column, NOT VALID domain CHECK) of an ordinary or partitioned
 * table, through domains over domains. Catalog reads only: it runs with the
 * caller's rights before any scope. The test names the evaluator in the
 * extension's schema and the constraint by OID, the column quoted. */
static const char *const domain_checks_sql =
    "WITH RECURSIVE doms(typid, conoid, conname) AS ("
    " SELECT k.contypid, k.oid, k.conname FROM pg_catalog.pg_constraint k"
    "  WHERE k.contypid <> 0 AND k.contype = 'c' AND NOT k.convalidated"
    " UNION ALL SELECT t.oid, d.conoid, d.conname FROM doms d"
    "  JOIN pg_catalog.pg_type t ON t.typbasetype = d.typid AND t.typtype = 'd')"
    " SELECT n.nspname::text, r.relname::text, a.attname::text, d.conname::text,"
    "  pg_catalog.quote_ident(x.nspname) || '.dbcheck_domain_value_holds('"
    "  || pg_catalog.quote_ident(a.attname)"
    "  || ', ' || d.conoid::text || '::pg_catalog.oid)'"
    " FROM doms d JOIN pg_catalog.pg_attribute a ON a.atttypid = d.typid"
    "  AND a.attnum > 0 AND NOT a.attisdropped"
    " JOIN pg_catalog.pg_class r ON r.oid = a.attrelid AND r.relkind IN ('r', 'p')"
    " JOIN pg_catalog.pg_namespace n ON n.oid = r.relnamespace"
    " CROSS JOIN (SELECT s.nspname FROM pg_catalog.pg_extension e"
    "  JOIN pg_catalog.pg_namespace s ON s.oid = e.extnamespace"
    "  WHERE e.extname = 'dbcare') x"
    " ORDER BY 1, 2, a.attnum, 4";

static int add_check(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *cols)
{
	dbc_domain_checks *out = arg;
	if (ncol != 5)
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "domain query returned %d columns", ncol);
	for (int i = 0; i < 5; i++)
		if (cols[i].type != DBC_TEXT)
			return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "domain query returned a NULL");
	if (dbc_grow(ctx, &out->items, out->n, &out->cap, sizeof(*out->items), 8) != DBC_OK)
		return DBC_ERROR;
	dbc_domain_check *c = &out->items[out->n];
	c->schema = dbc_strdup(ctx, cols[0].s);
	c->table = dbc_strdup(ctx, cols[1].s);
	c->column = dbc_strdup(ctx, cols[2].s);
	c->name = dbc_strdup(ctx, cols[3].s);
	c->test = dbc_strdup(ctx, cols[4].s);
	if (!c->schema || !c->table || !c->column || !c->name || !c->test)
		return DBC_ERROR;
	out->n++;
	return DBC_OK;
}

int pgdbc_domain_checks(dbc_ctx *ctx, dbc_domain_checks *out)
{
	return ctx->host->query(ctx, domain_checks_sql, 0, NULL, add_check, out);
}

/* Every domain CHECK constraint, for what must not go while one names it
 * (a registered JSON Schema: core/jsonschema/js_registry.c). */
static const char *const domain_constraints_sql =
    "SELECT n.nspname::text, t.typname::text, k.conname::text,"
    " pg_catalog.pg_get_constraintdef(k.oid)"
    " FROM pg_catalog.pg_constraint k"
    " JOIN pg_catalog.pg_type t ON t.oid = k.contypid"
    " JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace"
    " WHERE k.contypid <> 0 AND k.contype = 'c'"
    " ORDER BY 1, 2, 3";

int pgdbc_domain_constraints(dbc_ctx *ctx, dbc_row_fn fn, void *arg)
{
	return ctx->host->query(ctx, domain_constraints_sql, 0, NULL, fn, arg);
}

/* Whether a column of table relid has type domain, or a domain over it. */
static bool table_uses_domain(Oid relid, Oid domain)
{
	/* the scope holds the table's lock */
	Relation rel = relation_open(relid, AccessShareLock);
	TupleDesc desc = RelationGetDescr(rel);
	bool uses = false;
	for (int att = 0; !uses && att < desc->natts; att++) {
		Oid typ = TupleDescAttr(desc, att)->attisdropped ? InvalidOid
		                                                 : TupleDescAttr(desc, att)->atttypid;
		for (int depth = 0; OidIsValid(typ) && depth < 64; depth++) {
			HeapTuple ty;
			Form_pg_type t;
			if (typ == domain) {
				uses = true;
				break;
			}
			ty = SearchSysCache1(TYPEOID, ObjectIdGetDatum(typ));
			if (!HeapTupleIsValid(ty))
				break;
			t = (Form_pg_type)GETSTRUCT(ty);
			typ = t->typtype == TYPTYPE_DOMAIN ? t->typbasetype : InvalidOid;
			ReleaseSysCache(ty);
		}
	}
	relation_close(rel, AccessShareLock);
	return uses;
}

/* One domain constraint, planned once per query (fn_extra). */
typedef struct domain_test {
	Oid conoid;
	Oid relid;   /* the scope's table it was checked against */
	Oid argtype; /* the value's type it was checked against */
	Oid owner;
	ExprState *state;
	ExprContext *econtext;
} domain_test;

/* Plans the constraint's expression as the domain's owner: planning folds
 * constants, which may call the owner's functions. */
static domain_test *prepare(FunctionCallInfo fcinfo, Oid relid, Oid conoid)
{
	domain_test *dt = fcinfo->flinfo->fn_extra;
	HeapTuple tup;
	Form_pg_constraint con;
	Datum bin;
	bool isnull;
	char *bin_text;
	Expr *expr;
	Oid save_user;
	int save_sec;
	MemoryContext old;

	Oid argtype = get_fn_expr_argtype(fcinfo->flinfo, 0);

	/* a plan kept across scopes (a caller's cached expression) is checked
	 * again for this scope's table and this value's type */
	if (dt && dt->conoid == conoid && dt->relid == relid && dt->argtype == argtype)
		return dt;
	tup = SearchSysCache1(CONSTROID, ObjectIdGetDatum(conoid));
	if (!HeapTupleIsValid(tup))
		ereport(ERROR, (errcode(ERRCODE_UNDEFINED_OBJECT),
		                errmsg("dbcare: domain constraint %u no longer exists", conoid)));
	con = (Form_pg_constraint)GETSTRUCT(tup);
	/* Only what dbcheck_constraints asks: a NOT VALID CHECK of a domain the
	 * scope's table uses, on a value of that domain's base type (the
	 * compiled expression reads VALUE as that type: any other datum would be
	 * misread), never a validated one (nothing to count, and no reason to
	 * run its owner's code). */
	if (con->contype != CONSTRAINT_CHECK || !OidIsValid(con->contypid) || con->convalidated ||
	    !OidIsValid(argtype) || getBaseType(argtype) != getBaseType(con->contypid) ||
	    !table_uses_domain(relid, con->contypid))
		ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
		                errmsg("dbcare: constraint %u is no NOT VALID domain CHECK of the checked "
		                       "table for a value of this type",
		                       conoid)));
	bin = SysCacheGetAttr(CONSTROID, tup, Anum_pg_constraint_conbin, &isnull);
	if (isnull)
		elog(ERROR, "dbcare: domain constraint %u has no expression", conoid);
	bin_text = TextDatumGetCString(bin);

	old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
	dt = palloc0(sizeof(*dt));
	dt->conoid = conoid;
	dt->relid = relid;
	dt->argtype = argtype;
	{
		HeapTuple ty = SearchSysCache1(TYPEOID, ObjectIdGetDatum(con->contypid));
		if (!HeapTupleIsValid(ty))
			elog(ERROR, "cache lookup failed for type %u", con->contypid);
		dt->owner = ((Form_pg_type)GETSTRUCT(ty))->typowner;
		ReleaseSysCache(ty);
	}
	ReleaseSysCache(tup);
	expr = stringToNode(bin_text);
	GetUserIdAndSecContext(&save_user, &save_sec);
	SetUserIdAndSecContext(dt->owner, save_sec | SECURITY_RESTRICTED_OPERATION);
	/* an error restores the user: it aborts the scope's subtransaction */
	expr = expression_planner(expr);
	dt->state = ExecInitExpr(expr, NULL);
	SetUserIdAndSecContext(save_user, save_sec);
	dt->econtext = CreateStandaloneExprContext();
	MemoryContextSwitchTo(old);
	fcinfo->flinfo->fn_extra = dt;
	return dt;
}

/* dbcheck_domain_value_holds(value anyelement, constraint oid): false when
 * the domain CHECK constraint refuses the (non-NULL) value, true when it
 * accepts it or its result is NULL, as PostgreSQL judges. STRICT. */
Datum dbcheck_domain_value_holds(PG_FUNCTION_ARGS)
{
	domain_test *dt;
	Datum result;
	bool isnull;
	bool holds;
	Oid save_user;
	int save_sec;
	Oid relid = pgdbc_check_scope_relid();

	if (!OidIsValid(relid))
		ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
		                errmsg("dbcare: dbcheck_domain_value_holds runs only inside "
		                       "dbcheck_constraints")));
	dt = prepare(fcinfo, relid, PG_GETARG_OID(1));
	GetUserIdAndSecContext(&save_user, &save_sec);
	SetUserIdAndSecContext(dt->owner, save_sec | SECURITY_RESTRICTED_OPERATION);
	dt->econtext->domainValue_datum = PG_GETARG_DATUM(0);
	dt->econtext->domainValue_isNull = false;
	result = ExecEvalExprSwitchContext(dt->state, dt->econtext, &isnull);
	SetUserIdAndSecContext(save_user, save_sec);
	holds = isnull || DatumGetBool(result);
	/* what the expression allocated goes per row, not per scan */
	ResetExprContext(dt->econtext);
	PG_RETURN_BOOL(holds);
}
