/*
 * pg/host/tuple_attr.c — one column of a catalog tuple, through an API every
 * PostgreSQL 15 minor exports.
 *
 * heap_getattr() is an inline function of access/htup_details.h, so what it
 * calls is compiled into dbcare.so: from 15.20 on it calls heap_datum_check(),
 * a function older 15.x servers do not have, and a module built on 15.20
 * would then fail to load on them ("undefined symbol"). heap_deform_tuple()
 * is a server function with the same signature on every 15.x: the server's
 * own version of it decides how a tuple is read, whichever minor runs.
 * Invariant: dbcare.so references only server symbols that 15.0 exports
 * (test/script/pg_minors.sh checks the built module against older servers).
 */
#include "glue.h"

#include "access/htup_details.h"

Datum pgdbc_tuple_attr(HeapTuple tup, int attno, TupleDesc desc, bool *isnull)
{
	Datum *values;
	bool *nulls;
	Datum d;
	Assert(attno > 0 && attno <= desc->natts);
	values = palloc(sizeof(Datum) * desc->natts);
	nulls = palloc(sizeof(bool) * desc->natts);
	heap_deform_tuple(tup, desc, values, nulls);
	/* a by-reference value points into tup, which outlives the arrays */
	d = values[attno - 1];
	*isnull = nulls[attno - 1];
	pfree(values);
	pfree(nulls);
	return d;
}
