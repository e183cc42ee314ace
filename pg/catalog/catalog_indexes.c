/*
 * pg/catalog/catalog_indexes.c — the indexes of the catalog reader's tables and
 * materialized views, read from pg_index through its indrelid index in C.
 *
 * Why not SQL: the index query was the largest part of the schema read at
 * the end of dbmigrate_apply() (docs/benchmarks.md, "PostgreSQL apply, third
 * round"): it joined pg_index to pg_class twice, pg_namespace
 * and pg_am, filtered extension members through pg_depend, collected every
 * constraint's index, and printed four key vectors per index for the reader
 * to parse back. The relations are known from the tables query; each is one
 * index range scan here, the indexes' names, methods and storage options
 * come from one pass over pg_class, and which indexes a constraint owns from
 * the constraints just read. A partial index's predicate is deparsed by
 * pg_get_expr, as the query's was.
 */
#include "catalog_keys.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "catalog/pg_class.h"
#include "catalog/pg_index.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "miscadmin.h"
#include "utils/fmgroids.h"
#include "utils/fmgrprotos.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/syscache.h"

/* What an index's own pg_class row tells. */
typedef struct index_class {
	Oid oid;
	char *name;
	Oid method;
	char kind;
	bool has_options;
} index_class;

typedef struct index_classes {
	index_class *items;
	int n, cap;
} index_classes;

static int index_class_order(const void *a, const void *b)
{
	Oid x = ((const index_class *)a)->oid, y = ((const index_class *)b)->oid;
	return x < y ? -1 : x > y;
}

/* Every index's pg_class row outside pg_catalog and pg_toast, sorted by OID.
 * One pass over pg_class costs less than a system cache lookup per index:
 * the cache misses for every index the transaction created or changed, and
 * in every new backend (figures: docs/benchmarks.md, "PostgreSQL apply,
 * third round"). */
static void read_index_classes(Snapshot snap, index_classes *out)
{
	Relation class = table_open(RelationRelationId, AccessShareLock);
	SysScanDesc scan = systable_beginscan(class, InvalidOid, false, snap, 0, NULL);
	HeapTuple tup;
	while (HeapTupleIsValid(tup = systable_getnext(scan))) {
		Form_pg_class c = (Form_pg_class)GETSTRUCT(tup);
		if ((c->relkind != RELKIND_INDEX && c->relkind != RELKIND_PARTITIONED_INDEX) ||
		    c->relnamespace == PG_CATALOG_NAMESPACE || c->relnamespace == PG_TOAST_NAMESPACE)
			continue;
		out->items =
		    pgdbc_room(CurrentMemoryContext, out->items, out->n, &out->cap, sizeof(index_class));
		out->items[out->n++] =
		    (index_class){c->oid, pstrdup(NameStr(c->relname)), c->relam, c->relkind,
		                  !heap_attisnull(tup, Anum_pg_class_reloptions, RelationGetDescr(class))};
	}
	systable_endscan(scan);
	table_close(class, NoLock);
	if (out->n > 1)
		qsort(out->items, out->n, sizeof(index_class), index_class_order);
}

static const index_class *index_class_of(const index_classes *all, Oid index)
{
	index_class key = {index, NULL, InvalidOid, 0, false};
	return all->n ? bsearch(&key, all->items, all->n, sizeof(index_class), index_class_order)
	              : NULL;
}

/* The values of a pg_index vector column (indclass, indcollation,
 * indoption), which PostgreSQL never stores toasted or NULL. */
static const void *vector_of(HeapTuple tup, TupleDesc desc, int attno)
{
	bool isnull;
	Datum d = pgdbc_tuple_attr(tup, attno, desc, &isnull);
	return isnull ? NULL : DatumGetPointer(d);
}

/* The types whose btree order is their value's, the same on every machine
 * (ANYENUMOID: enum_ops, which orders by pg_enum.enumsortorder). */
static const Oid order_fixed_types[] = {
    INT2OID, INT4OID,  INT8OID, OIDOID,  NUMERICOID, FLOAT4OID,    FLOAT8OID,      BOOLOID,
    CHAROID, CASHOID,  DATEOID, TIMEOID, TIMETZOID,  TIMESTAMPOID, TIMESTAMPTZOID, INTERVALOID,
    UUIDOID, BYTEAOID, INETOID, CIDROID, MACADDROID, MACADDR8OID,  ANYENUMOID};

static bool type_order_fixed(Oid type)
{
	for (int i = 0; i < (int)lengthof(order_fixed_types); i++)
		if (order_fixed_types[i] == type)
			return true;
	return false;
}

/* True when no key of the index orders by a collation (dbc_index.order_fixed):
 * each key is a column (no expression), without a collation, under a
 * built-in operator class of a type above (domains over them take their
 * base type's class; an enum orders by pg_enum.enumsortorder). A text key,
 * even in the C locale, is not: it is what a collation change reorders. */
static bool key_order_fixed(const pgdbc_index_row *row)
{
	for (int k = 0; k < row->key_count; k++) {
		if (row->attnums[k] == 0 || OidIsValid(row->collations[k]) ||
		    row->opclasses[k] >= FirstNormalObjectId ||
		    !type_order_fixed(get_opclass_input_type(row->opclasses[k])))
			return false;
	}
	return row->key_count > 0;
}

static int add_index_held(dbc_ctx *ctx, dbc_schema *s, const pgdbc_rel *rel, HeapTuple tup,
                          TupleDesc desc, const index_classes *classes, const pgdbc_oids *owned,
                          pgdbc_attmap *atts)
{
	Form_pg_index i = (Form_pg_index)GETSTRUCT(tup);
	const oidvector *opclasses = vector_of(tup, desc, Anum_pg_index_indclass);
	const oidvector *collations = vector_of(tup, desc, Anum_pg_index_indcollation);
	const int2vector *options = vector_of(tup, desc, Anum_pg_index_indoption);
	bool no_predicate;
	Datum predicate = pgdbc_tuple_attr(tup, Anum_pg_index_indpred, desc, &no_predicate);
	const index_class *ic = index_class_of(classes, i->indexrelid);
	dbc_index *ix;
	pgdbc_index_row row;
	if (!ic) /* both read under one snapshot: only a broken catalog gets here */
		return DBC_OK;
	if (!opclasses || !collations || !options)
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "index %u has no operator classes",
		                 i->indexrelid);
	ix = dbc_schema_add_index(s, rel->schema, ic->name);
	if (!ix)
		return DBC_ERROR;
	ix->table = dbc_strdup(ctx, rel->name);
	ix->unique = i->indisunique;
	ix->primary = i->indisprimary;
	ix->constraint = pgdbc_oids_has(owned, i->indexrelid);
	/* An index that inserts do not maintain (indisready false: a CREATE
	 * INDEX CONCURRENTLY under way or failed, or a catalog edited by hand)
	 * proves nothing about the rows, whatever indisvalid says: the model
	 * calls it invalid, so its UNIQUE constraint is scanned. */
	ix->valid = i->indisvalid && i->indisready && i->indislive;
	ix->method = dbc_strdup(ctx, get_am_name(ic->method));
	if (!no_predicate) {
		Datum args[3] = {predicate, ObjectIdGetDatum(i->indrelid), BoolGetDatum(true)};
		ix->predicate = dbc_strdup(ctx, pgdbc_builtin_text(pg_get_expr_ext, 3, args));
	}
	row = (pgdbc_index_row){
	    .index = i->indexrelid,
	    .table = i->indrelid,
	    .index_name = ic->name,
	    .schema = rel->schema,
	    .table_name = rel->name,
	    .method = ix->method,
	    .unique = ix->unique,
	    .simple = heap_attisnull(tup, Anum_pg_index_indexprs, desc) && no_predicate &&
	              !ic->has_options && !i->indnullsnotdistinct && ic->kind == RELKIND_INDEX,
	    .natts = i->indnatts,
	    .key_count = i->indnkeyatts,
	    .attnums = i->indkey.values,
	    .opclasses = opclasses->values,
	    .collations = collations->values,
	    .options = options->values,
	};
	ix->order_fixed = key_order_fixed(&row);
	if (ctx->failed || pgdbc_index_keys(ctx, atts, &row, ix) != DBC_OK)
		return DBC_ERROR;
	return DBC_OK;
}

/* One index; its table held for the deparsers when they will run
 * (pg_get_indexdef and pg_get_expr open it): expression keys, a predicate,
 * options, or not a plain index. The index of a table dropped since the
 * snapshot is then skipped. A plain index on columns needs no deparser and
 * waits for no DDL; should a key's operator class still send it to
 * pg_get_indexdef, a table dropped meanwhile fails the read, which is then
 * read again (pgdbc_read_schema). */
static int add_index(dbc_ctx *ctx, dbc_schema *s, const pgdbc_rel *rel, HeapTuple tup,
                     TupleDesc desc, const index_classes *classes, const pgdbc_oids *owned,
                     pgdbc_attmap *atts)
{
	Form_pg_index i = (Form_pg_index)GETSTRUCT(tup);
	const index_class *ic = index_class_of(classes, i->indexrelid);
	bool deparsed = !heap_attisnull(tup, Anum_pg_index_indexprs, desc) ||
	                !heap_attisnull(tup, Anum_pg_index_indpred, desc) || !ic || ic->has_options ||
	                i->indnullsnotdistinct || ic->kind != RELKIND_INDEX;
	int rc;
	if (!deparsed)
		return add_index_held(ctx, s, rel, tup, desc, classes, owned, atts);
	if (!pgdbc_rel_hold(i->indrelid))
		return DBC_OK;
	rc = add_index_held(ctx, s, rel, tup, desc, classes, owned, atts);
	pgdbc_rel_release(i->indrelid);
	return rc;
}

int pgdbc_read_indexes(dbc_ctx *ctx, dbc_schema *s, Snapshot snap, const pgdbc_rel *rels, int nrels,
                       const pgdbc_oids *owned, pgdbc_attmap *atts)
{
	MemoryContext work, scratch, old;
	Relation index;
	index_classes classes = {NULL, 0, 0};
	int rc = DBC_OK;
	if (nrels == 0)
		return DBC_OK;
	/* the index classes live in work, each relation's rows in scratch */
	work = AllocSetContextCreate(CurrentMemoryContext, "dbcare indexes", ALLOCSET_DEFAULT_SIZES);
	scratch = AllocSetContextCreate(work, "dbcare index rows", ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(work);
	read_index_classes(snap, &classes);
	index = table_open(IndexRelationId, AccessShareLock);
	for (int r = 0; rc == DBC_OK && r < nrels; r++) {
		ScanKeyData key;
		SysScanDesc scan;
		HeapTuple tup;
		CHECK_FOR_INTERRUPTS();
		MemoryContextReset(scratch);
		MemoryContextSwitchTo(scratch);
		ScanKeyInit(&key, Anum_pg_index_indrelid, BTEqualStrategyNumber, F_OIDEQ,
		            ObjectIdGetDatum(rels[r].oid));
		scan = systable_beginscan(index, IndexIndrelidIndexId, true, snap, 1, &key);
		while (rc == DBC_OK && HeapTupleIsValid(tup = systable_getnext(scan)))
			rc = add_index(ctx, s, &rels[r], tup, RelationGetDescr(index), &classes, owned, atts);
		systable_endscan(scan);
	}
	MemoryContextSwitchTo(old);
	/* held to the end of the transaction, as the query's locks were */
	table_close(index, NoLock);
	MemoryContextDelete(work);
	if (rc != DBC_OK && !ctx->failed)
		dbc_error(ctx, DBC_SQLSTATE_OUT_OF_MEMORY, "out of memory while reading the catalog");
	return rc;
}
