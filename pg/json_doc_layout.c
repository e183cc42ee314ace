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
 * iterator (pg/json_doc.c). Both hand the builder the same calls in the
 * same order (test/script/pg_json_direct.sh compares them on fuzzed
 * documents, pg_json_suite.sh on the JSON-Schema-Test-Suite).
 */
#include "glue.h"
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

/* A cursor over a run of a container's entries: entry i's data is
 * [start, end) of the container's data area; end is the entry's offset
 * field (every JB_OFFSET_STRIDE-th has one) or start plus its length. */
typedef struct entry_cursor {
	const JEntry *entries;
	const char *data;
	uint32 start;
} entry_cursor;

static int container(dbc_js_builder *b, const JsonbContainer *c, unsigned *entries_seen);

static inline uint32 entry_end(const entry_cursor *cur, JEntry e)
{
	return JBE_HAS_OFF(e) ? JBE_OFFLENFLD(e) : cur->start + JBE_OFFLENFLD(e);
}

/* The value of entry e at [start, end): the calls the iterator's token
 * would have made (pg/json_doc.c's scalar()). */
static int value(dbc_js_builder *b, const char *data, JEntry e, uint32 start, uint32 end,
                 unsigned *entries_seen)
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
	case JENTRY_ISCONTAINER:
		return container(b, (const JsonbContainer *)(data + INTALIGN(start)), entries_seen);
	default:
		elog(ERROR, "dbcare: unexpected jsonb entry type 0x%x", (unsigned)(e & JENTRY_TYPEMASK));
		return DBC_ERROR;
	}
}

/* An object's entries are its keys (in jsonb's key order), then its values
 * in the same order: two cursors, the values' starting where the keys end. */
static int object_members(dbc_js_builder *b, const JsonbContainer *c, uint32 count,
                          unsigned *entries_seen)
{
	const char *data = (const char *)&c->children[count * 2];
	entry_cursor key = {c->children, data, 0};
	entry_cursor val = {c->children + count, data, count ? getJsonbOffset(c, (int)count) : 0};
	int rc = DBC_OK;
	for (uint32 i = 0; rc == DBC_OK && i < count; i++) {
		JEntry ke = key.entries[i], ve = val.entries[i];
		uint32 kend = entry_end(&key, ke), vend = entry_end(&val, ve);
		rc = dbc_js_build_key(b, data + key.start, (size_t)(kend - key.start));
		if (rc == DBC_OK)
			rc = value(b, data, ve, val.start, vend, entries_seen);
		key.start = kend;
		val.start = vend;
	}
	return rc;
}

static int array_items(dbc_js_builder *b, const JsonbContainer *c, uint32 count,
                       unsigned *entries_seen)
{
	entry_cursor item = {c->children, (const char *)&c->children[count], 0};
	int rc = DBC_OK;
	for (uint32 i = 0; rc == DBC_OK && i < count; i++) {
		JEntry e = item.entries[i];
		uint32 end = entry_end(&item, e);
		rc = value(b, item.data, e, item.start, end, entries_seen);
		item.start = end;
	}
	return rc;
}

/* One container, opened and closed around its entries. The builder refuses
 * a container past its depth limit, so the recursion is bounded by it; a
 * cancel ends a big document's walk at once (a look every 256 entries). */
static int container(dbc_js_builder *b, const JsonbContainer *c, unsigned *entries_seen)
{
	uint32 count = c->header & JB_CMASK;
	bool object = (c->header & JB_FOBJECT) != 0;
	*entries_seen += count;
	if ((*entries_seen & ~255u) != ((*entries_seen - count) & ~255u))
		CHECK_FOR_INTERRUPTS();
	int rc = dbc_js_build_open(b, object, (size_t)count);
	if (rc == DBC_OK)
		rc = object ? object_members(b, c, count, entries_seen)
		            : array_items(b, c, count, entries_seen);
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
	if (JsonContainerIsScalar(root)) {
		entry_cursor item = {root->children, (const char *)&root->children[1], 0};
		JEntry e = root->children[0];
		return value(b, item.data, e, 0, entry_end(&item, e), &entries_seen);
	}
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
