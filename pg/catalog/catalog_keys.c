/*
 * pg/catalog/catalog_keys.c — key columns of indexes and constraints for the catalog
 * reader (pg/catalog/catalog.c), named from the columns it has already read.
 *
 * Why here and not in SQL: naming each key column in the queries took one
 * pg_attribute probe per key column (two per index column: the table's column
 * and the index's own attribute options), an unnest, a sort and a group per
 * index; at 1,000 tables that was half of the index query and a third of the
 * constraint query, and those two were most of the schema read that every
 * dbmigrate_apply() ends with. The reader reads every column anyway
 * (pg/catalog/catalog_columns.c), so they are kept here by (relation, attnum); a
 * key outside them (a system column named by a CHECK, a referenced table
 * outside the user's schemas, a materialized view's column) is looked up in
 * the system cache.
 *
 * The CREATE INDEX text is built here for the plain case only, exactly as
 * pg_get_indexdef writes it: every key a column with its type's own default
 * operator class (exact type match) and no operator class options, the
 * column's collation, and an ordinary index without expressions, predicate,
 * storage options or NULLS NOT DISTINCT (the index reader's "simple").
 * Everything else is pg_get_indexdef's text, which is costly per index (it
 * looks up the default operator class without a cache and opens the table;
 * docs/benchmarks.md, "catalog reader and quick checks at 10,000 tables").
 *
 * The system cache reads the latest committed catalog, the readers their
 * snapshot: they differ only for a REPEATABLE READ transaction while another
 * session's DDL commits, where pg_get_indexdef and the other deparsing
 * functions the reader always called differ in the same way. The columns
 * read, which name almost every key, are read under the readers' snapshot.
 */
#include "catalog_keys.h"

#include "access/amapi.h"
#include "access/htup_details.h"
#include "catalog/pg_attribute.h"
#include "catalog/pg_opclass.h"
#include "lib/stringinfo.h"
#include "storage/lmgr.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

#include <stdlib.h>

/* -------------------------------------------------------------- relations held
 * (here, below pg/catalog/catalog.c and its readers, which all take them) */

bool pgdbc_rel_hold(Oid rel)
{
	/* a new lock processes the invalidations of DDL committed before it */
	LockRelationOid(rel, AccessShareLock);
	if (SearchSysCacheExists1(RELOID, ObjectIdGetDatum(rel)))
		return true;
	UnlockRelationOid(rel, AccessShareLock);
	return false;
}

/* Released at once, as the deparsers release theirs: the reader never holds
 * a user table's lock while waiting for another (no deadlock with DDL), and
 * never one per table to the end of the transaction. */
void pgdbc_rel_release(Oid rel)
{
	UnlockRelationOid(rel, AccessShareLock);
}

/* -------------------------------------------------------------- arrays, OID sets */

void pgdbc_oids_init(pgdbc_oids *set)
{
	*set = (pgdbc_oids){CurrentMemoryContext, NULL, 0, 0};
}

void pgdbc_oids_add(pgdbc_oids *set, Oid oid)
{
	set->oids = pgdbc_room(set->home, set->oids, set->n, &set->cap, sizeof(Oid));
	set->oids[set->n++] = oid;
}

static int oid_order(const void *a, const void *b)
{
	Oid x = *(const Oid *)a, y = *(const Oid *)b;
	return x < y ? -1 : x > y;
}

void pgdbc_oids_seal(pgdbc_oids *set)
{
	if (set->n > 1)
		qsort(set->oids, set->n, sizeof(Oid), oid_order);
}

bool pgdbc_oids_has(const pgdbc_oids *set, Oid oid)
{
	return set->n && bsearch(&oid, set->oids, set->n, sizeof(Oid), oid_order);
}

/* -------------------------------------------------------------- key columns */

typedef struct att {
	Oid rel;
	int attnum;
	Oid type;
	Oid collation;
	const char *name;
} att;

/* What an operator class tells about a key column using it. */
typedef struct opclass_info {
	Oid oid;
	bool is_default; /* found, and the default of its input type */
	Oid input_type;
	bool takes_options; /* has an options support function */
} opclass_info;

struct pgdbc_attmap {
	MemoryContext home; /* the map's own arrays */
	/* one key list's work, reset per list: thousands of indexes each
	 * leaving their buffers behind cost more in fresh pages than in work */
	MemoryContext scratch;
	att *atts;
	int n, cap;
	opclass_info *opclasses; /* the few distinct ones a schema uses */
	int nopclasses, capopclasses;
};

pgdbc_attmap *pgdbc_attmap_new(void)
{
	pgdbc_attmap *m = palloc0(sizeof(pgdbc_attmap));
	m->home = CurrentMemoryContext;
	m->scratch =
	    AllocSetContextCreate(CurrentMemoryContext, "dbcare key columns", ALLOCSET_DEFAULT_SIZES);
	return m;
}

void pgdbc_attmap_add(pgdbc_attmap *m, Oid rel, int attnum, Oid type, Oid collation,
                      const char *name)
{
	m->atts = pgdbc_room(m->home, m->atts, m->n, &m->cap, sizeof(att));
	m->atts[m->n++] = (att){rel, attnum, type, collation, name};
}

static int att_cmp(const void *a, const void *b)
{
	const att *x = a, *y = b;
	if (x->rel != y->rel)
		return x->rel < y->rel ? -1 : 1;
	return x->attnum < y->attnum ? -1 : x->attnum > y->attnum;
}

void pgdbc_attmap_seal(pgdbc_attmap *m)
{
	if (m->n > 1)
		qsort(m->atts, m->n, sizeof(att), att_cmp);
}

/* rel's column attnum, from the columns read or else the system cache (which
 * also knows system columns). False when there is no such column. */
static bool att_find(pgdbc_attmap *m, Oid rel, int attnum, att *out)
{
	att key = {rel, attnum, InvalidOid, InvalidOid, NULL};
	const att *hit = m->n ? bsearch(&key, m->atts, m->n, sizeof(att), att_cmp) : NULL;
	HeapTuple tup;
	bool found = false;
	if (hit) {
		*out = *hit;
		return true;
	}
	tup = SearchSysCache2(ATTNUM, ObjectIdGetDatum(rel), Int16GetDatum((int16)attnum));
	if (HeapTupleIsValid(tup)) {
		Form_pg_attribute a = (Form_pg_attribute)GETSTRUCT(tup);
		*out = (att){rel, attnum, a->atttypid, a->attcollation, pstrdup(NameStr(a->attname))};
		found = true;
		ReleaseSysCache(tup);
	}
	return found;
}

static const opclass_info *opclass_of(pgdbc_attmap *m, Oid oid)
{
	opclass_info info = {oid, false, InvalidOid, false};
	HeapTuple tup;
	for (int i = 0; i < m->nopclasses; i++)
		if (m->opclasses[i].oid == oid)
			return &m->opclasses[i];
	tup = SearchSysCache1(CLAOID, ObjectIdGetDatum(oid));
	if (HeapTupleIsValid(tup)) {
		Form_pg_opclass oc = (Form_pg_opclass)GETSTRUCT(tup);
		IndexAmRoutine *am = GetIndexAmRoutineByAmId(oc->opcmethod, true);
		info.is_default = oc->opcdefault;
		info.input_type = oc->opcintype;
		/* An index column can carry options only through its operator
		 * class's options function (CREATE INDEX refuses them otherwise);
		 * only then is the column's attoptions worth a lookup. */
		info.takes_options =
		    !am || (am->amoptsprocnum != 0 &&
		            OidIsValid(get_opfamily_proc(oc->opcfamily, oc->opcintype, oc->opcintype,
		                                         am->amoptsprocnum)));
		ReleaseSysCache(tup);
	}
	m->opclasses =
	    pgdbc_room(m->home, m->opclasses, m->nopclasses, &m->capopclasses, sizeof(opclass_info));
	m->opclasses[m->nopclasses] = info;
	return &m->opclasses[m->nopclasses++];
}

char *pgdbc_builtin_text(PGFunction fn, int nargs, const Datum *args)
{
	LOCAL_FCINFO(fcinfo, 3);
	Datum d;
	Assert(nargs <= 3);
	InitFunctionCallInfoData(*fcinfo, NULL, nargs, InvalidOid, NULL, NULL);
	for (int i = 0; i < nargs; i++) {
		fcinfo->args[i].value = args[i];
		fcinfo->args[i].isnull = false;
	}
	d = fn(fcinfo);
	return fcinfo->isnull ? NULL : text_to_cstring(DatumGetTextPP(d));
}

/* pg_get_indexdef(index) or, for column > 0, pg_get_indexdef(index, column,
 * true); NULL where the SQL function returns NULL (the index is gone). */
static char *indexdef(Oid index, int column)
{
	Datum args[3] = {ObjectIdGetDatum(index), Int32GetDatum(column), BoolGetDatum(true)};
	return column ? pgdbc_builtin_text(pg_get_indexdef_ext, 3, args)
	              : pgdbc_builtin_text(pg_get_indexdef, 1, args);
}

/* Whether the index's column has operator class options (attoptions). */
static bool has_options(Oid index, int column)
{
	HeapTuple tup = SearchSysCache2(ATTNUM, ObjectIdGetDatum(index), Int16GetDatum((int16)column));
	bool isnull = true;
	if (HeapTupleIsValid(tup)) {
		(void)SysCacheGetAttr(ATTNUM, tup, Anum_pg_attribute_attoptions, &isnull);
		ReleaseSysCache(tup);
	}
	return !isnull;
}

/* Whether key column k (0-based) of the index prints as its bare name. */
static bool plain_key(pgdbc_attmap *m, const pgdbc_index_row *row, int k, const att *a)
{
	const opclass_info *oc = opclass_of(m, row->opclasses[k]);
	if (!oc->is_default || oc->input_type != a->type)
		return false;
	if (OidIsValid(row->collations[k]) && row->collations[k] != a->collation)
		return false;
	return !oc->takes_options || !has_options(row->index, k + 1);
}

/* DESC / NULLS FIRST / NULLS LAST as pg_get_indexdef writes them for btree's
 * indoption bits (1 = DESC, 2 = NULLS FIRST). */
static const char *direction(int16 option)
{
	if (option & 1)
		return option & 2 ? " DESC" : " DESC NULLS LAST";
	return option & 2 ? " NULLS FIRST" : "";
}

static int index_keys(dbc_ctx *ctx, pgdbc_attmap *m, const pgdbc_index_row *row, dbc_index *ix)
{
	bool plain = row->simple;
	StringInfoData keys, include;
	initStringInfo(&keys);
	initStringInfo(&include);
	for (int k = 0; k < row->natts; k++) {
		bool is_key = k < row->key_count;
		att a = {InvalidOid, 0, InvalidOid, InvalidOid, NULL};
		const char *name;
		if (row->attnums[k] == 0) {
			name = indexdef(row->index, k + 1);
			plain = false;
		} else if (att_find(m, row->table, row->attnums[k], &a))
			name = a.name;
		else {
			name = NULL;
			plain = false;
		}
		if (is_key && dbc_strlist_add(ctx, &ix->keys, name) != DBC_OK)
			return DBC_ERROR;
		if (!plain)
			continue;
		if (is_key) {
			plain = plain_key(m, row, k, &a);
			appendStringInfo(&keys, "%s%s%s", keys.len ? ", " : "", quote_identifier(name),
			                 direction(row->options[k]));
		} else
			appendStringInfo(&include, "%s%s", include.len ? ", " : "", quote_identifier(name));
	}
	if (plain) {
		StringInfoData def;
		initStringInfo(&def);
		appendStringInfo(&def, "CREATE %sINDEX %s ON %s.%s USING %s (%s)",
		                 row->unique ? "UNIQUE " : "", quote_identifier(row->index_name),
		                 quote_identifier(row->schema), quote_identifier(row->table_name),
		                 quote_identifier(row->method), keys.data);
		if (include.len)
			appendStringInfo(&def, " INCLUDE (%s)", include.data);
		ix->definition = dbc_strdup(ctx, def.data);
		return ix->definition ? DBC_OK : DBC_ERROR;
	}
	{
		char *def = indexdef(row->index, 0);
		ix->definition = def ? dbc_strdup(ctx, def) : NULL;
		return !def || ix->definition ? DBC_OK : DBC_ERROR;
	}
}

/* Runs in the scratch context; the model's strings are the ctx's own
 * allocations, made outside it. */
int pgdbc_index_keys(dbc_ctx *ctx, pgdbc_attmap *m, const pgdbc_index_row *row, dbc_index *ix)
{
	MemoryContext old;
	int rc;
	MemoryContextReset(m->scratch);
	old = MemoryContextSwitchTo(m->scratch);
	rc = index_keys(ctx, m, row, ix);
	MemoryContextSwitchTo(old);
	return rc;
}

int pgdbc_key_names(dbc_ctx *ctx, pgdbc_attmap *m, Oid rel, const int16 *attnums, int n,
                    dbc_strlist *out)
{
	MemoryContext old;
	int rc = DBC_OK;
	MemoryContextReset(m->scratch);
	old = MemoryContextSwitchTo(m->scratch);
	for (int k = 0; rc == DBC_OK && k < n; k++) {
		att a = {InvalidOid, 0, InvalidOid, InvalidOid, NULL};
		rc = dbc_strlist_add(ctx, out, att_find(m, rel, attnums[k], &a) ? a.name : "");
	}
	MemoryContextSwitchTo(old);
	return rc;
}
