/*
 * audit_json.c — whether a json value's text is one jsonb can hold, checked
 * before the audit trigger converts it (pg/audit/audit_trigger.c). json keeps its
 * text as given; jsonb refuses some of what json accepts, and a refusal is an
 * error that would fail the application's write. Checking the text first
 * costs one pass over it and no subtransaction per row. The same pass counts
 * the nesting: a value deeper than AUDIT_JSON_MAX_DEPTH is kept as text too.
 */
#include "pg/host/glue.h"

#include "audit_glue.h"

#include "mb/pg_wchar.h"

#include <ctype.h>
#include <limits.h>

/* numeric's storage limits (what numeric_in refuses with "value overflows
 * numeric format"): an exponent of at least INT_MAX / 2 in magnitude, a
 * display scale above 0x3FFF digits after the point, a weight above
 * PG_INT16_MAX base-10000 digits before it. */
#define NUMERIC_EXPONENT_LIMIT (INT_MAX / 2)
#define NUMERIC_DSCALE_LIMIT   0x3FFF
#define NUMERIC_WEIGHT_LIMIT   PG_INT16_MAX
#define NUMERIC_DEC_DIGITS     4

/* The deepest nesting of arrays and objects converted to jsonb (docs/audit.md).
 * json_in checks its text with little stack per level; the conversion runs
 * inside the trigger, under the executor's frames, with more stack per
 * level, so a value json accepted could fail the write with "stack depth
 * limit exceeded". A deeper value is recorded as its text. */
#define AUDIT_JSON_MAX_DEPTH 1000

/* A string's body from just after its opening quote; *p ends after its
 * closing quote. False for what jsonb refuses: the escape \u0000, a high
 * surrogate not followed by a low one, a low surrogate alone, and outside a
 * UTF-8 database any \u escape (one of a character the encoding lacks
 * fails; the others are kept as text too, to stay on the safe side). */
static bool string_fits(const char **p, bool utf8)
{
	const char *s = *p;
	while (*s && *s != '"') {
		if (*s != '\\') {
			s++;
			continue;
		}
		if (s[1] != 'u') {
			s += s[1] ? 2 : 1;
			continue;
		}
		uint32_t cp;
		int took = dbc_json_unicode_escape(s + 2, &cp);
		/* not hex (not json: recorded as text), half a surrogate pair */
		if (!took || cp == 0 || !utf8)
			return false;
		s += 2 + took;
	}
	*p = *s ? s + 1 : s;
	return true;
}

/* A number from its first character; *p ends after it. False when numeric
 * cannot hold it. */
static bool number_fits(const char **p)
{
	const char *s = *p;
	int64 int_digits = 0, frac_digits = 0,
	      lead = 0; /* lead: the 10^ power of the first non-zero digit */
	bool nonzero = false;
	if (*s == '-')
		s++;
	for (; isdigit((unsigned char)*s); s++, int_digits++)
		if (*s != '0' && !nonzero) {
			nonzero = true;
			lead = -int_digits; /* fixed up below, once the count is known */
		}
	if (nonzero)
		lead += int_digits - 1;
	if (*s == '.')
		for (s++; isdigit((unsigned char)*s); s++) {
			frac_digits++;
			if (*s != '0' && !nonzero) {
				nonzero = true;
				lead = -frac_digits;
			}
		}
	int64 exponent = 0;
	if (*s == 'e' || *s == 'E') {
		bool negative = false;
		s++;
		if (*s == '+' || *s == '-')
			negative = *s++ == '-';
		for (; isdigit((unsigned char)*s); s++)
			if (exponent < NUMERIC_EXPONENT_LIMIT)
				exponent = exponent * 10 + (*s - '0');
		if (negative)
			exponent = -exponent;
	}
	*p = s;
	if (exponent >= NUMERIC_EXPONENT_LIMIT || exponent <= -NUMERIC_EXPONENT_LIMIT)
		return false;
	if (frac_digits - exponent > NUMERIC_DSCALE_LIMIT)
		return false;
	return !nonzero || lead + exponent < (int64)(NUMERIC_WEIGHT_LIMIT + 1) * NUMERIC_DEC_DIGITS;
}

bool pgdbc_audit_json_fits_jsonb(const char *json)
{
	bool utf8 = GetDatabaseEncoding() == PG_UTF8;
	const char *p = json;
	int depth = 0; /* of the arrays and objects open at p (strings skipped) */
	while (*p) {
		if (*p == '[' || *p == '{') {
			if (++depth > AUDIT_JSON_MAX_DEPTH)
				return false;
			p++;
		} else if (*p == ']' || *p == '}') {
			depth--;
			p++;
		} else if (*p == '"') {
			p++;
			if (!string_fits(&p, utf8))
				return false;
		} else if (*p == '-' || isdigit((unsigned char)*p)) {
			if (!number_fits(&p))
				return false;
		} else
			p++;
	}
	return true;
}
