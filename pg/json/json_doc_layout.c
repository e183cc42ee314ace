/*
 * json_doc_layout.c — a jsonb document read from jsonb's stored layout
 * (JsonbContainer, JEntry: the macros utils/jsonb.h exposes), not through
 * JsonbIteratorNext: handed to the validator's builder as a tree, and read
 * in place by the schema's compiled check (core/jsonschema/js_access.h),
 * which asks only for the values its plans read.
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

#include "jsonschema/js_access.h"

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

/* numeric's stored layout (utils/adt/numeric.c, which keeps it private; the
 * on-disk format since 9.1, what pg_upgrade carries over): a 4-byte varlena
 * header, then either a short header (uint16: 0x8000 set, sign 0x2000,
 * display scale in bits 7-12, weight in bits 0-6 with 0x0040 its sign) or
 * a long one (uint16 sign and display scale, int16 weight; sign 0xC000 is
 * NaN or an infinity), then base-10000 digits (int16), the first of weight
 * `weight` (0: units). */
#define NUM_SIGN_MASK          0xC000
#define NUM_NEG                0x4000
#define NUM_SHORT              0x8000
#define NUM_SPECIAL            0xC000
#define NUM_SHORT_NEG          0x2000
#define NUM_SHORT_DSCALE_MASK  0x1F80
#define NUM_SHORT_DSCALE_SHIFT 7
#define NUM_SHORT_WEIGHT_NEG   0x0040
#define NUM_SHORT_WEIGHT_MASK  0x003F
#define NUM_DSCALE_MASK        0x3FFF
/* Numbers printed here at most: weight and scale that fit text[NUM_TEXT]
 * (the sign, 4 * (NUM_WEIGHT_MOST + 1) digits, the point, NUM_SCALE_MOST
 * digits and up to 3 more of the last group before the scale cuts them, the
 * NUL); others go to numeric_out. */
#define NUM_WEIGHT_MOST 7
#define NUM_SCALE_MOST  32
#define NUM_TEXT        (1 + 4 * (NUM_WEIGHT_MOST + 1) + 1 + NUM_SCALE_MOST + 3 + 1)

/* The four digits of base-10000 digit dig at cp; past them. */
static inline char *num_group(char *cp, int dig)
{
	static const char pairs[] = "00010203040506070809101112131415161718192021222324"
	                            "25262728293031323334353637383940414243444546474849"
	                            "50515253545556575859606162636465666768697071727374"
	                            "75767778798081828384858687888990919293949596979899";
	memcpy(cp, pairs + 2 * (dig / 100), 2);
	memcpy(cp + 2, pairs + 2 * (dig % 100), 2);
	return cp + 4;
}

/* A numeric's stored header read: its sign, display scale, weight and
 * base-10000 digits; false for NaN and the infinities. */
typedef struct num_head {
	bool neg;
	int weight, dscale, ndigits;
	const int16 *digits;
} num_head;

static bool numeric_head(Numeric n, num_head *h)
{
	const uint16 *w = (const uint16 *)VARDATA(n);
	int hdr;
	if ((w[0] & NUM_SIGN_MASK) == NUM_SHORT) {
		h->neg = (w[0] & NUM_SHORT_NEG) != 0;
		h->dscale = (w[0] & NUM_SHORT_DSCALE_MASK) >> NUM_SHORT_DSCALE_SHIFT;
		h->weight = (w[0] & NUM_SHORT_WEIGHT_NEG ? ~NUM_SHORT_WEIGHT_MASK : 0) |
		            (w[0] & NUM_SHORT_WEIGHT_MASK);
		hdr = 1;
	} else {
		if ((w[0] & NUM_SIGN_MASK) == NUM_SPECIAL)
			return false;
		h->neg = (w[0] & NUM_SIGN_MASK) == NUM_NEG;
		h->dscale = w[0] & NUM_DSCALE_MASK;
		h->weight = (int16)w[1];
		hdr = 2;
	}
	h->digits = (const int16 *)(w + hdr);
	h->ndigits = (int)((VARSIZE(n) - VARHDRSZ) / sizeof(uint16)) - hdr;
	return true;
}

/* Numeric n as numeric_out prints it (get_str_from_var: the sign, the
 * integer part with no leading zero but at least one digit, then, for a
 * display scale d > 0, a point and d digits), into text: false when n is
 * NaN or an infinity or too big for text (then numeric_out's). Read from
 * the stored layout, without numeric_out's palloc'd variable and string. */
static bool numeric_text(Numeric n, char text[NUM_TEXT])
{
	num_head h;
	if (!numeric_head(n, &h) || h.weight > NUM_WEIGHT_MOST || h.dscale > NUM_SCALE_MOST)
		return false;
	const int16 *digits = h.digits;
	int ndigits = h.ndigits, weight = h.weight, dscale = h.dscale;
	char *cp = text;
	if (h.neg)
		*cp++ = '-';
	int d = 0;
	if (weight < 0) {
		d = weight + 1;
		*cp++ = '0';
	} else {
		/* the first group without its leading zeroes, at least a digit */
		int dig = ndigits > 0 ? digits[0] : 0;
		if (dig >= 1000)
			*cp++ = (char)('0' + dig / 1000);
		if (dig >= 100)
			*cp++ = (char)('0' + dig / 100 % 10);
		if (dig >= 10)
			*cp++ = (char)('0' + dig / 10 % 10);
		*cp++ = (char)('0' + dig % 10);
		for (d = 1; d <= weight; d++)
			cp = num_group(cp, d < ndigits ? digits[d] : 0);
	}
	if (dscale > 0) {
		*cp++ = '.';
		char *end = cp + dscale;
		/* whole groups, then cut at the scale */
		for (int i = 0; i < dscale; d++, i += 4)
			cp = num_group(cp, d >= 0 && d < ndigits ? digits[d] : 0);
		cp = end;
	}
	*cp = '\0';
	return true;
}

/*
 * Numeric n's value as the builder reads the text numeric_text prints
 * (js_build.c's dbc_js_build_number): 1, an integer *i (no display scale:
 * strtoll's reading of the digits); 2, a real *d (a display scale s:
 * strtod's reading of "digits.fraction"); 0 when not sure (then the text).
 * The real is m / 10^s for the printed digits m without the point: both
 * are doubles exactly (m < 2^53, s <= 15), so the one division is
 * correctly rounded, as strtod rounds the same text. A CHECK reads every
 * number of every row: no text, no parse.
 */
static int numeric_value(Numeric n, int64 *i, double *d)
{
	static const double tens[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
	                              1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
	static const uint64 cut[] = {1, 1000, 100,
	                             10}; /* by the digits the scale keeps of its last group */
	num_head h;
	if (!numeric_head(n, &h) || h.dscale > 15)
		return 0;
	/* the groups printed, from the units' (or the first, weight above 0)
	 * to the one holding the scale's last digit: group e is 10000^e, the
	 * digit at index weight - e */
	int last = (h.dscale + 3) / 4;
	uint64 m = 0;
	for (int e = h.weight > 0 ? h.weight : 0; e >= -last; e--) {
		int k = h.weight - e;
		if (m > (PG_UINT64_MAX - 9999) / 10000)
			return 0;
		m = m * 10000 + (uint64)(k >= 0 && k < h.ndigits ? h.digits[k] : 0);
	}
	m /= cut[h.dscale % 4]; /* printed: cut at the scale */
	if (h.dscale == 0) {
		if (m > (uint64)PG_INT64_MAX)
			return 0;
		*i = h.neg ? -(int64)m : (int64)m;
		return 1;
	}
	if (m >= (uint64)1 << 53)
		return 0;
	double v = (double)m / tens[h.dscale];
	*d = h.neg ? -v : v;
	return 2;
}

/* A scalar entry of type (its JEntry's type bits) whose data is at at, of
 * len bytes (a numeric's int-aligned start): the call the iterator's token
 * would have made (pg/json/json_doc.c's scalar()). */
static int scalar_at(dbc_js_builder *b, JEntry type, const char *at, uint32 len)
{
	switch (type) {
	case JENTRY_ISSTRING:
		return dbc_js_build_string(b, at, (size_t)len);
	case JENTRY_ISNUMERIC: {
		Numeric n = (Numeric)at;
		int64 i;
		double d;
		switch (numeric_value(n, &i, &d)) {
		case 1:
			return dbc_js_build_int(b, i);
		case 2:
			return dbc_js_build_real(b, d);
		}
		char text[NUM_TEXT];
		if (numeric_text(n, text))
			return dbc_js_build_number(b, text);
		char *out = DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(n)));
		int rc = dbc_js_build_number(b, out);
		pfree(out);
		return rc;
	}
	case JENTRY_ISBOOL_FALSE:
		return dbc_js_build_bool(b, false);
	case JENTRY_ISBOOL_TRUE:
		return dbc_js_build_bool(b, true);
	case JENTRY_ISNULL:
		return dbc_js_build_null(b);
	default:
		elog(ERROR, "dbcare: unexpected jsonb entry type 0x%x", (unsigned)type);
		return DBC_ERROR;
	}
}

/* Where entry e's data starts, its container's data area at data and its
 * offset start: a numeric and a nested container start int-aligned. */
static inline const char *entry_at(const char *data, JEntry e, uint32 start)
{
	uint32 type = e & JENTRY_TYPEMASK;
	return data +
	       (type == JENTRY_ISNUMERIC || type == JENTRY_ISCONTAINER ? INTALIGN(start) : start);
}

/* A scalar entry at [start, end) of data. */
static int scalar(dbc_js_builder *b, const char *data, JEntry e, uint32 start, uint32 end)
{
	const char *at = entry_at(data, e, start);
	return scalar_at(b, e & JENTRY_TYPEMASK, at, end - (uint32)(at - data));
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

/*
 * The same layout read in place by the schema's compiled check
 * (core/jsonschema/js_access.h): the check asks for an object's members in
 * turn and reads a value only when a schema applies to it; nothing is
 * handed over token by token, and a member no schema constrains is never
 * converted. A ref's at is a container's JsonbContainer, a string's bytes
 * or a number's Numeric (both int-aligned where they start so).
 */

/* The ref of container c, an object's or an array's by its header. */
static inline dbc_js_ref container_ref(const JsonbContainer *c)
{
	return (dbc_js_ref){.at = c,
	                    .kind = (c->header & JB_FOBJECT) ? DBC_JS_REF_OBJECT : DBC_JS_REF_ARRAY};
}

/* The ref of entry e, whose data is [start, end) of the data area at data. */
static inline dbc_js_ref entry_ref(const char *data, JEntry e, uint32 start, uint32 end)
{
	switch (e & JENTRY_TYPEMASK) {
	case JENTRY_ISSTRING:
		return (dbc_js_ref){.at = data + start, .len = end - start, .kind = DBC_JS_REF_STRING};
	case JENTRY_ISNUMERIC:
		return (dbc_js_ref){.at = data + INTALIGN(start), .kind = DBC_JS_REF_NUMBER};
	case JENTRY_ISBOOL_FALSE:
		return (dbc_js_ref){.kind = DBC_JS_REF_FALSE};
	case JENTRY_ISBOOL_TRUE:
		return (dbc_js_ref){.kind = DBC_JS_REF_TRUE};
	case JENTRY_ISNULL:
		return (dbc_js_ref){.kind = DBC_JS_REF_NULL};
	case JENTRY_ISCONTAINER:
		return container_ref((const JsonbContainer *)(data + INTALIGN(start)));
	default:
		elog(ERROR, "dbcare: unexpected jsonb entry type 0x%x", (unsigned)(e & JENTRY_TYPEMASK));
		return (dbc_js_ref){0};
	}
}

static int access_number(dbc_ctx *ctx, const dbc_js_ref *v, dbc_js_number *out)
{
	Numeric n = (Numeric)v->at;
	switch (numeric_value(n, &out->i, &out->d)) {
	case 1:
		out->kind = DBC_JS_NUMBER_INT;
		return DBC_OK;
	case 2:
		out->kind = DBC_JS_NUMBER_REAL;
		return DBC_OK;
	}
	char *text = dbc_alloc(ctx, NUM_TEXT);
	if (!text)
		return DBC_ERROR;
	out->kind = DBC_JS_NUMBER_TEXT;
	out->text = numeric_text(n, text)
	                ? text
	                : DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(n)));
	return DBC_OK;
}

static uint32_t access_count(const dbc_js_ref *c)
{
	return ((const JsonbContainer *)c->at)->header & JB_CMASK;
}

/* cur: p[0] the container, p[1] its data area; u[0] the next entry, u[1]
 * the count, u[2] and u[3] where the next key's and value's data start,
 * u[4] whether it is an object */
static void access_open(const dbc_js_ref *c, dbc_js_cursor *cur)
{
	const JsonbContainer *jc = c->at;
	uint32 count = jc->header & JB_CMASK;
	bool object = (jc->header & JB_FOBJECT) != 0;
	cur->p[0] = jc;
	cur->p[1] = &jc->children[object ? count * 2 : count];
	cur->u[0] = 0;
	cur->u[1] = count;
	cur->u[2] = 0;
	cur->u[3] = object && count ? getJsonbOffset(jc, (int)count) : 0;
	cur->u[4] = object;
}

static uint32_t access_next(dbc_js_cursor *cur, dbc_js_item *out, uint32_t max)
{
	const JsonbContainer *c = cur->p[0];
	const char *data = cur->p[1];
	uint32 i = cur->u[0], count = cur->u[1], kstart = cur->u[2], vstart = cur->u[3];
	uint32 got = 0;
	if (cur->u[4])
		for (; i < count && got < max; i++, got++) {
			uint32 kend = entry_end(kstart, c->children[i]);
			JEntry e = c->children[count + i];
			uint32 vend = entry_end(vstart, e);
			out[got].key = data + kstart;
			out[got].klen = kend - kstart;
			out[got].val = entry_ref(data, e, vstart, vend);
			kstart = kend;
			vstart = vend;
		}
	else
		for (; i < count && got < max; i++, got++) {
			JEntry e = c->children[i];
			uint32 vend = entry_end(vstart, e);
			out[got].key = NULL;
			out[got].klen = 0;
			out[got].val = entry_ref(data, e, vstart, vend);
			vstart = vend;
		}
	cur->u[0] = i;
	cur->u[2] = kstart;
	cur->u[3] = vstart;
	return got;
}

/* Whether numeric n reads as a double (js_build.c refuses a number beyond
 * a double's range): below 10000^77 = 1e308, under DBL_MAX. */
static inline bool numeric_readable(Numeric n)
{
	num_head h;
	return numeric_head(n, &h) && h.weight < 77;
}

/* Whether container c holds nothing the builder refuses, no deeper than
 * depth below it (the check's bound: deeper, the usual way reads it). A
 * cancel ends the look at a big one (a look every 1024 entries). */
static bool container_readable(const JsonbContainer *c, int depth)
{
	uint32 count = c->header & JB_CMASK;
	bool object = (c->header & JB_FOBJECT) != 0;
	const JEntry *values = object ? c->children + count : c->children;
	const char *data = (const char *)&c->children[object ? count * 2 : count];
	uint32 vstart = object && count ? getJsonbOffset(c, (int)count) : 0;
	for (uint32 i = 0; i < count; i++) {
		JEntry e = values[i];
		uint32 type = e & JENTRY_TYPEMASK;
		if ((i & 1023) == 1023)
			CHECK_FOR_INTERRUPTS();
		if (type == JENTRY_ISCONTAINER) {
			if (depth == 0 ||
			    !container_readable((const JsonbContainer *)(data + INTALIGN(vstart)), depth - 1))
				return false;
		} else if (type == JENTRY_ISNUMERIC &&
		           !numeric_readable((Numeric)(data + INTALIGN(vstart))))
			return false;
		vstart = entry_end(vstart, e);
	}
	return true;
}

static bool access_readable(const dbc_js_ref *v, int depth)
{
	if (v->kind == DBC_JS_REF_NUMBER)
		return numeric_readable((Numeric)v->at);
	return v->kind < DBC_JS_REF_ARRAY || container_readable(v->at, depth);
}

/* Number or container v into b, from the layout as the iterator's tokens
 * would hand it over. */
static int access_build(dbc_js_builder *b, const dbc_js_ref *v)
{
	unsigned entries_seen = 0;
	return v->kind == DBC_JS_REF_NUMBER ? scalar_at(b, JENTRY_ISNUMERIC, v->at, 0)
	                                    : container(b, v->at, &entries_seen);
}

/* The ref of jb's document: its root container, or the value of a scalar
 * document (stored as a one-element array marked raw, not part of it). */
static dbc_js_ref document_ref(const Jsonb *jb)
{
	const JsonbContainer *root = &jb->root;
	if (JsonContainerIsScalar(root))
		return entry_ref((const char *)&root->children[1], root->children[0], 0,
		                 entry_end(0, root->children[0]));
	return container_ref(root);
}

static const dbc_js_access layout_access = {
    .number = access_number,
    .count = access_count,
    .open = access_open,
    .next = access_next,
    .readable = access_readable,
    .build = access_build,
};

int pgdbc_jsonb_layout_valid(dbc_ctx *ctx, dbc_js_cache *cache, const char *schema,
                             bool format_assertion, const Jsonb *jb, int *verdict, bool *done)
{
	*verdict = 0;
	*done = layout_setting;
	if (!layout_setting)
		return DBC_OK;
	dbc_js_ref root = document_ref(jb);
	return dbc_js_valid_access(ctx, cache, schema, format_assertion, &layout_access, &root,
	                           verdict);
}

int pgdbc_jsonb_layout_doc(dbc_ctx *ctx, const Jsonb *jb, const dbc_js_doc **out, bool *done)
{
	*out = NULL;
	*done = layout_setting;
	if (!layout_setting)
		return DBC_OK;
	dbc_js_ref root = document_ref(jb);
	return dbc_js_build_ref(ctx, &root, access_build, out);
}
#else
int pgdbc_jsonb_layout_doc(dbc_ctx *ctx, const Jsonb *jb, const dbc_js_doc **out, bool *done)
{
	(void)ctx;
	(void)jb;
	*out = NULL;
	*done = false;
	return DBC_OK;
}

int pgdbc_jsonb_layout_valid(dbc_ctx *ctx, dbc_js_cache *cache, const char *schema,
                             bool format_assertion, const Jsonb *jb, int *verdict, bool *done)
{
	(void)ctx;
	(void)cache;
	(void)schema;
	(void)format_assertion;
	(void)jb;
	*verdict = 0;
	*done = false;
	return DBC_OK;
}
#endif
