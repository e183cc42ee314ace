/*
 * migrate_version.c — parsing, canonical form and ordering of migration
 * versions. Components are compared as digit strings (length, then bytes after
 * dropping leading zeros), so any length works and "1.10" > "1.9". A name
 * version (a Prisma folder's name) is its own canonical form and is compared
 * with other names byte by byte, as Prisma orders its folders; every number
 * version sorts before every name version, so the order stays total.
 */
#include "migrate/migrate_version.h"

#include <string.h>

static bool is_sep(char c)
{
	return c == '.' || c == '_';
}

bool dbc_version_is_name(const char *text)
{
	if (!text || !(*text >= '0' && *text <= '9') || dbc_version_number(text))
		return false;
	const char *p = text;
	while (*p >= '0' && *p <= '9')
		p++;
	if (*p != '_')
		return false;
	for (; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == '/')
			return false;
	return true;
}

bool dbc_version_valid(const char *text)
{
	return dbc_version_number(text) || dbc_version_is_name(text);
}

bool dbc_version_number(const char *text)
{
	if (!text || !*text)
		return false;
	bool need_digit = true;
	for (const char *p = text; *p; p++) {
		if (*p >= '0' && *p <= '9')
			need_digit = false;
		else if (is_sep(*p) && !need_digit)
			need_digit = true;
		else
			return false;
	}
	return !need_digit;
}

/* Next component of a valid version: [*start, *end) without leading zeros
 * (empty for a zero component). Returns false at the end of the text. */
static bool next_component(const char **p, const char **start, const char **end)
{
	if (!**p)
		return false;
	const char *s = *p;
	while (*s == '0' && s[1] >= '0' && s[1] <= '9')
		s++;
	if (*s == '0')
		s++; /* a lone zero is the empty (zero) component */
	const char *e = s;
	while (*e >= '0' && *e <= '9')
		e++;
	*start = s;
	*end = e;
	*p = *e ? e + 1 : e;
	return true;
}

int dbc_version_cmp(const char *a, const char *b)
{
	bool na = dbc_version_is_name(a), nb = dbc_version_is_name(b);
	if (na || nb) {
		int c = na && nb ? strcmp(a, b) : na ? 1 : -1;
		return c < 0 ? -1 : c > 0;
	}
	const char *pa = a, *pb = b;
	for (;;) {
		const char *as = "", *ae = as, *bs = "", *be = bs;
		bool ha = next_component(&pa, &as, &ae);
		bool hb = next_component(&pb, &bs, &be);
		if (!ha && !hb)
			return 0;
		/* a missing component counts as zero: "1" == "1.0" */
		size_t la = (size_t)(ae - as), lb = (size_t)(be - bs);
		if (la != lb)
			return la < lb ? -1 : 1;
		int c = la ? memcmp(as, bs, la) : 0;
		if (c)
			return c < 0 ? -1 : 1;
	}
}

int dbc_version_canonical(dbc_ctx *ctx, const char *text, const char *what, char **out)
{
	if (!dbc_version_valid(text)) {
		dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "invalid %s \"%s\"", what,
		          dbc_excerpt(ctx, text ? text : "", DBC_EXCERPT));
		dbc_error_hint(ctx, "A version is digits separated by '.' or '_', e.g. 1, 1.2.10 or "
		                    "20261121093000.");
		return DBC_ERROR;
	}
	if (dbc_version_is_name(text)) {
		*out = dbc_strdup(ctx, text);
		return *out ? DBC_OK : DBC_ERROR;
	}
	dbc_buf b;
	dbc_buf_init(&b, ctx);
	const char *p = text, *s, *e;
	size_t keep = 0; /* length of b up to the last non-zero component */
	bool first = true;
	while (next_component(&p, &s, &e)) {
		if (!first)
			dbc_buf_appendc(&b, '.');
		first = false;
		if (s == e)
			dbc_buf_appendc(&b, '0');
		else {
			dbc_buf_appendn(&b, s, (size_t)(e - s));
			keep = b.len;
		}
	}
	char *res = dbc_buf_finish(&b);
	if (!res)
		return DBC_ERROR;
	if (keep == 0)
		res[1] = '\0'; /* every component zero: "0" */
	else
		res[keep] = '\0';
	*out = res;
	return DBC_OK;
}
