/*
 * js_format.c — the "format" values asserted when format assertion is on:
 * date-time, date, time (RFC 3339), email, hostname (RFC 1123 letters,
 * digits and hyphens), ipv4, ipv6, uri, uri-reference, uuid, regex (ECMA-262
 * through js_regex), json-pointer. Any other format is an annotation only.
 */
#include "jsonschema/js_private.h"

#include <arpa/inet.h>
#include <string.h>

static bool digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static int num(const char *s, size_t n)
{
	int v = 0;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

static bool leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static bool date_ok(const char *s, size_t n)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (n != 10 || s[4] != '-' || s[7] != '-' || !digits(s, 4) || !digits(s + 5, 2) ||
	    !digits(s + 8, 2))
		return false;
	int y = num(s, 4), m = num(s + 5, 2), d = num(s + 8, 2);
	if (m < 1 || m > 12 || d < 1)
		return false;
	return d <= days[m - 1] + (m == 2 && leap(y));
}

/* hh:mm:ss[.frac](Z|+hh:mm|-hh:mm); a leap second only at 23:59:60 UTC. */
static bool time_ok(const char *s, size_t n)
{
	if (n < 9 || s[2] != ':' || s[5] != ':' || !digits(s, 2) || !digits(s + 3, 2) ||
	    !digits(s + 6, 2))
		return false;
	int h = num(s, 2), mi = num(s + 3, 2), sec = num(s + 6, 2);
	size_t i = 8;
	if (i < n && s[i] == '.') {
		size_t start = ++i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == start)
			return false;
	}
	int off = 0;
	if (i < n && (s[i] == 'Z' || s[i] == 'z'))
		i++;
	else if (i + 6 == n && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':' &&
	         digits(s + i + 1, 2) && digits(s + i + 4, 2)) {
		int oh = num(s + i + 1, 2), om = num(s + i + 4, 2);
		if (oh > 23 || om > 59)
			return false;
		off = (s[i] == '+' ? 1 : -1) * (oh * 60 + om);
		i += 6;
	} else
		return false;
	if (i != n || h > 23 || mi > 59 || sec > 60)
		return false;
	if (sec == 60) {
		int utc = ((h * 60 + mi - off) % 1440 + 1440) % 1440;
		return utc == 23 * 60 + 59;
	}
	return true;
}

static bool date_time_ok(const char *s, size_t n)
{
	return n > 11 && (s[10] == 'T' || s[10] == 't') && date_ok(s, 10) && time_ok(s + 11, n - 11);
}

static bool hostname_ok(const char *s, size_t n)
{
	if (n == 0 || n > 253 + (s[n - 1] == '.'))
		return false;
	if (s[n - 1] == '.')
		n--;
	size_t label = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i == n || s[i] == '.') {
			if (label == 0 || label > 63 || s[i - 1] == '-' || s[i - label] == '-')
				return false;
			label = 0;
			continue;
		}
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-'))
			return false;
		label++;
	}
	return true;
}

static bool ip_ok(int family, const char *s, size_t n)
{
	char buf[64];
	unsigned char out[16];
	if (n == 0 || n >= sizeof buf || memchr(s, '\0', n))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return inet_pton(family, buf, out) == 1;
}

static bool email_ok(const char *s, size_t n)
{
	const char *at = NULL;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '@')
			at = s + i;
	if (!at || at == s || at == s + n - 1)
		return false;
	size_t local = (size_t)(at - s);
	if (s[0] == '.' || s[local - 1] == '.')
		return false;
	for (size_t i = 0; i < local; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= ' ' || c >= 0x7f || strchr("()<>[]:;@\\,\"", c) || (c == '.' && s[i + 1] == '.'))
			return false;
	}
	const char *dom = at + 1;
	size_t dn = n - local - 1;
	if (dom[0] == '[' && dom[dn - 1] == ']') {
		if (dn > 6 && !strncmp(dom + 1, "IPv6:", 5))
			return ip_ok(AF_INET6, dom + 6, dn - 7);
		return ip_ok(AF_INET, dom + 1, dn - 2);
	}
	return hostname_ok(dom, dn);
}

static bool hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool uuid_ok(const char *s, size_t n)
{
	if (n != 36)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((i == 8 || i == 13 || i == 18 || i == 23) ? s[i] != '-' : !hex(s[i]))
			return false;
	return true;
}

/* RFC 3986 characters, percent-escapes well formed; absolute needs a scheme. */
static bool uri_ok(const char *s, size_t n, bool absolute)
{
	size_t i = 0;
	if (absolute) {
		if (n == 0 || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
			return false;
		while (i < n && s[i] != ':') {
			char c = s[i];
			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			      c == '+' || c == '-' || c == '.'))
				return false;
			i++;
		}
		if (i == n)
			return false;
	}
	int hashes = 0;
	for (; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '%') {
			if (i + 2 >= n || !hex(s[i + 1]) || !hex(s[i + 2]))
				return false;
			i += 2;
		} else if (c == '#') {
			if (++hashes > 1)
				return false;
		} else if (c <= ' ' || c >= 0x7f || strchr("\"<>\\^`{|}", c))
			return false;
	}
	/* an authority's port is digits only */
	const char *auth = memchr(s, '/', n);
	if (absolute && auth && auth + 1 < s + n && auth[1] == '/') {
		const char *a = auth + 2, *end = a;
		while (end < s + n && *end != '/' && *end != '?' && *end != '#')
			end++;
		const char *colon = NULL;
		for (const char *p = a; p < end; p++)
			if (*p == ':')
				colon = p;
			else if (*p == ']' || *p == '@')
				colon = NULL;
		if (colon && !digits(colon + 1, (size_t)(end - colon - 1)))
			return false;
	}
	return true;
}

static bool json_pointer_ok(const char *s, size_t n)
{
	if (n > 0 && s[0] != '/')
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '~' && (i + 1 >= n || (s[i + 1] != '0' && s[i + 1] != '1')))
			return false;
	return true;
}

bool dbc_js_format_ok(dbc_ctx *ctx, const char *format, const char *s, size_t n)
{
	if (!strcmp(format, "date-time"))
		return date_time_ok(s, n);
	if (!strcmp(format, "date"))
		return date_ok(s, n);
	if (!strcmp(format, "time"))
		return time_ok(s, n);
	if (!strcmp(format, "email"))
		return email_ok(s, n);
	if (!strcmp(format, "hostname"))
		return hostname_ok(s, n);
	if (!strcmp(format, "ipv4"))
		return ip_ok(AF_INET, s, n);
	if (!strcmp(format, "ipv6"))
		return ip_ok(AF_INET6, s, n);
	if (!strcmp(format, "uri"))
		return uri_ok(s, n, true);
	if (!strcmp(format, "uri-reference"))
		return uri_ok(s, n, false);
	if (!strcmp(format, "uuid"))
		return uuid_ok(s, n);
	if (!strcmp(format, "json-pointer"))
		return json_pointer_ok(s, n);
	if (!strcmp(format, "regex")) {
		char *why;
		js_regex *re = dbc_js_regex_compile(ctx, s, n, &why);
		bool ok = re != NULL;
		dbc_js_regex_free(re);
		return ok;
	}
	return true;
}
