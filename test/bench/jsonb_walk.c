/*
 * jsonb_walk.c — the floors of any validator of a jsonb column, for
 * bench_json_schemastore.py: a CHECK that reads every token of the document
 * and decides nothing. Built by pg_cluster.sh into the bench cluster's
 * library folder only (never part of dbcare):
 *   jsonb_walk_tokens(jsonb)  every token through JsonbIteratorNext, the
 *                             public API dbcare's validator reads jsonb with
 *   jsonb_walk_direct(jsonb)  every entry read straight from the stored
 *                             layout (utils/jsonb.h's JEntry macros): what a
 *                             validator bound to the on-disk format could
 *                             reach, touching one byte of each string
 * Both return true (the sum only keeps the compiler from dropping the walk).
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/jsonb.h"

PG_MODULE_MAGIC;

PG_FUNCTION_INFO_V1(jsonb_walk_tokens);
PG_FUNCTION_INFO_V1(jsonb_walk_direct);

Datum jsonb_walk_tokens(PG_FUNCTION_ARGS)
{
	Jsonb *jb = PG_GETARG_JSONB_P(0);
	JsonbIterator *it = JsonbIteratorInit(&jb->root);
	JsonbValue v;
	JsonbIteratorToken token;
	int64 sum = 0;
	while ((token = JsonbIteratorNext(&it, &v, false)) != WJB_DONE)
		sum += token;
	PG_RETURN_BOOL(sum >= 0);
}

/* Entries of a container: an object's keys, then its values; each entry's
 * end is its offset field (every JB_OFFSET_STRIDE-th) or the previous end
 * plus its length; a nested container starts int-aligned. */
static int64 walk(const JsonbContainer *c)
{
	uint32 count = c->header & JB_CMASK;
	uint32 entries = (c->header & JB_FOBJECT) ? count * 2 : count;
	const char *data = (const char *)&c->children[entries];
	uint32 start = 0;
	int64 sum = 1;
	for (uint32 i = 0; i < entries; i++) {
		JEntry e = c->children[i];
		uint32 end = JBE_HAS_OFF(e) ? JBE_OFFLENFLD(e) : start + JBE_OFFLENFLD(e);
		if (JBE_ISCONTAINER(e))
			sum += walk((const JsonbContainer *)(data + INTALIGN(start)));
		else if (JBE_ISSTRING(e) && end > start)
			sum += (unsigned char)data[start];
		else
			sum++;
		start = end;
	}
	return sum;
}

Datum jsonb_walk_direct(PG_FUNCTION_ARGS)
{
	Jsonb *jb = PG_GETARG_JSONB_P(0);
	PG_RETURN_BOOL(walk(&jb->root) >= 0);
}
