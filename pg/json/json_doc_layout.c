/*
 * json_doc_layout.c — a jsonb document handed to the validator's builder by
 * reading jsonb's stored layout (JsonbContainer, JEntry: the macros
 * utils/jsonb.h exposes), not through JsonbIteratorNext.
 *
 * Why: a CHECK (dbjson_valid(doc, 'package')) reads every document once a
 * row. The public iterator copies each token into a JsonbValue, keeps a
 * palloc'd frame per container and is a call per token; in the bench
 * (docs/benchmarks.md, "json schemastore") reading every token through it
 * costs 1.5-1.7x the INSERT alone, reading the same entries from the layout
 * 1.2-1.3x. The layout has been jsonb's on-disk format since 9.4 (it is
 * what pg_upgrade carries over), but it is not an interface: the reader is
 * built only for the major version it was checked against (PostgreSQL 15),
 * with the header's constants asserted at compile time; any other version,
 * a -DDBC_PLAIN_PG_PATHS build, or SET dbcare.jsonb_layout = off takes the
 * iterator (pg/json/json_doc.c). Both hand the builder the same calls in the
 * same order (test/script/pg_json_direct.sh compares them on fuzzed
 * documents, pg_json_suite.sh on the JSON-Schema-Test-Suite).
 */
#include "pg/host/glue.h"
#include "json_doc.h"

#include "miscadmin.h"
#include "utils/fmgrprotos.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#if PG_VERSION_NUM >= 150000 && PG_VERSION_NUM < 160000 && !defined(DBC_PLAIN_PG_PATHS)
#define LAYOUT_READ 1
#endif

/* dbcare.jsonb_layout: off makes every jsonb document go through the
 * public iterator (for comparing the two, and as a way out). */
static bool layout_setting = true;

void pgdbc_define_jsonb_layout_setting(void)
{
	DefineCustomBoolVariable(
	    "dbcare.jsonb_layout",
	    "Reads jsonb documents for JSON Schema validation from their stored layout.",
	    "Off: through PostgreSQL's jsonb iterator. Has no effect where the layout reader is "
	    "not built (PostgreSQL other than 15).",
	    &layout_setting, true, PGC_USERSET, 0, NULL, NULL, NULL);
}

#ifdef LAYOUT_READ
/* The layout this reader was written against (PostgreSQL 15's jsonb.h). */
StaticAssertDecl(JB_CMASK == 0x0FFFFFFF && JB_FSCALAR == 0x10000000 && JB_FOBJECT == 0x20000000 &&
                     JB_FARRAY == 0x40000000,
                 "jsonb container header flags");
StaticAssertDecl(JENTRY_OFFLENMASK == 0x0FFFFFFF && JENTRY_TYPEMASK == 0x70000000 &&
                     JENTRY_HAS_OFF == 0x80000000,
                 "JEntry masks");
StaticAssertDecl(JENTRY_ISSTRING == 0x00000000 && JENTRY_ISNUMERIC == 0x10000000 &&
                     JENTRY_ISBOOL_FALSE == 0x20000000 && JENTRY_ISBOOL_TRUE == 0x30000000 &&
                     JENTRY_ISNULL == 0x40000000 && JENTRY_ISCONTAINER == 0x50000000,
                 "JEntry types");
StaticAssertDecl(sizeof(JEntry) == 4 && offsetof(JsonbContainer, children) == 4,
                 "JsonbContainer layout");

/* Entry e's data is [start, end) of its container's data area: end is the
 * entry's offset field (every JB_OFFSET_STRIDE-th entry has one) or start
 * plus its length. */
static inline uint32 entry_end(uint32 start, JEntry e)
{
	return JBE_HAS_OFF(e) ? JBE_OFFLENFLD(e) : start + JBE_OFFLENFLD(e);
}

/* A scalar entry at [start, end): the call the iterator's token would have
 * made (pg/json/json_doc.c's scalar()). A numeric starts int-aligned. */
static int scalar(dbc_js_builder *b, const char *data, JEntry e, uint32 start, uint32 end)
{
	switch (e & JENTRY_TYPEMASK) {
	case JENTRY_ISSTRING:
		return dbc_js_build_string(b, data + start, (size_t)(end - start));
	case JENTRY_ISNUMERIC: {
		Numeric n = (Numeric)(data + INTALIGN(start));
		char *text = DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(n)));
		int rc = dbc_js_build_number(b, text);
		pfree(text);
		return rc;
	}
	case JENTRY_ISBOOL_FALSE:
		return dbc_js_build_bool(b, false);
	case JENTRY_ISBOOL_TRUE:
		return dbc_js_build_bool(b, true);
	case JENTRY_ISNULL:
		return dbc_js_build_null(b);
	default:
		elog(ERROR, "dbcare: unexpected jsonb entry type 0x%x", (unsigned)(e & JENTRY_TYPEMASK));
		return DBC_ERROR;
	}
}

/* One container, opened and closed around its entries. An object's entries
 * are its keys (in jsonb's key order), then its values in the same order:
 * two runs read side by side, the values' starting where the keys end; an
 * array's are its items. A nested container starts int-aligned. The builder
 * refuses a container past its depth limit, so the recursion is bounded by
 * it; a cancel ends a big document's walk at once (a look every 256
 * entries). */
static int container(dbc_js_builder *b, const JsonbContainer *c, unsigned *entries_seen)
{
	uint32 count = c->header & JB_CMASK;
	bool object = (c->header & JB_FOBJECT) != 0;
	*entries_seen += count;
	if ((*entries_seen & ~255u) != ((*entries_seen - count) & ~255u))
		CHECK_FOR_INTERRUPTS();
	const JEntry *values = object ? c->children + count : c->children;
	const char *data = (const char *)&c->children[object ? count * 2 : count];
	uint32 kstart = 0, vstart = object && count ? getJsonbOffset(c, (int)count) : 0;
	int rc = dbc_js_build_open(b, object, (size_t)count);
	for (uint32 i = 0; rc == DBC_OK && i < count; i++) {
		if (object) {
			uint32 kend = entry_end(kstart, c->children[i]);
			rc = dbc_js_build_key(b, data + kstart, (size_t)(kend - kstart));
			kstart = kend;
			if (rc != DBC_OK)
				break;
		}
		JEntry e = values[i];
		uint32 vend = entry_end(vstart, e);
		rc = JBE_ISCONTAINER(e)
		         ? container(b, (const JsonbContainer *)(data + INTALIGN(vstart)), entries_seen)
		         : scalar(b, data, e, vstart, vend);
		vstart = vend;
	}
	return rc == DBC_OK ? dbc_js_build_close(b) : rc;
}

int pgdbc_jsonb_layout_walk(dbc_js_builder *b, const Jsonb *jb, bool *done)
{
	*done = false;
	if (!layout_setting)
		return DBC_OK;
	*done = true;
	const JsonbContainer *root = &jb->root;
	unsigned entries_seen = 0;
	/* a scalar document is a one-element array marked raw: its value alone */
	if (JsonContainerIsScalar(root))
		return scalar(b, (const char *)&root->children[1], root->children[0], 0,
		              entry_end(0, root->children[0]));
	return container(b, root, &entries_seen);
}
#else
int pgdbc_jsonb_layout_walk(dbc_js_builder *b, const Jsonb *jb, bool *done)
{
	(void)b;
	(void)jb;
	*done = false;
	return DBC_OK;
}
#endif
