/*
 * js_uri.c — the URI work $id and $ref need: RFC 3986 reference resolution
 * (section 5.2, with dot-segment removal) and JSON Pointer fragments
 * (RFC 6901, percent-decoded first as a URI fragment is).
 *
 * Hand-written rather than liburiparser's: Debian ships that library
 * without a static archive, and the npm module, which validates JSON
 * Schema too, links every library but libc statically; uriparser also
 * resolves only against an absolute base, where a schema's may be
 * relative or absent.
 */
#include "jsonschema/js_private.h"

#include <stdlib.h>
#include <string.h>

typedef struct uri_parts {
	const char *scheme, *authority, *path, *query, *fragment;
	size_t scheme_n, authority_n, path_n, query_n, fragment_n;
	bool has_scheme, has_authority, has_query, has_fragment;
} uri_parts;

static void split(const char *s, uri_parts *u)
{
	memset(u, 0, sizeof *u);
	const char *p = s;
	/* scheme: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":" */
	const char *q = p;
	while (*q && (strchr("+-.", *q) || (*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') ||
	              (q > p && *q >= '0' && *q <= '9')))
		q++;
	if (q > p && *q == ':') {
		u->has_scheme = true;
		u->scheme = p;
		u->scheme_n = (size_t)(q - p);
		p = q + 1;
	}
	if (p[0] == '/' && p[1] == '/') {
		u->has_authority = true;
		u->authority = p + 2;
		u->authority_n = strcspn(p + 2, "/?#");
		p = p + 2 + u->authority_n;
	}
	u->path = p;
	u->path_n = strcspn(p, "?#");
	p += u->path_n;
	if (*p == '?') {
		u->has_query = true;
		u->query = p + 1;
		u->query_n = strcspn(p + 1, "#");
		p += 1 + u->query_n;
	}
	if (*p == '#') {
		u->has_fragment = true;
		u->fragment = p + 1;
		u->fragment_n = strlen(p + 1);
	}
}

/* RFC 3986 5.2.4 over path (arena copy). */
static char *remove_dots(dbc_ctx *ctx, const char *in, size_t n)
{
	char *out = dbc_alloc(ctx, n + 2);
	if (!out)
		return NULL;
	size_t o = 0, i = 0;
	while (i < n) {
		const char *s = in + i;
		size_t left = n - i;
		if (left >= 3 && !strncmp(s, "../", 3))
			i += 3;
		else if (left >= 2 && !strncmp(s, "./", 2))
			i += 2;
		else if ((left >= 3 && !strncmp(s, "/./", 3)))
			i += 2;
		else if (left == 2 && !strncmp(s, "/.", 2)) {
			i += 1;
			out[o++] = '/';
			i += 1;
		} else if ((left >= 4 && !strncmp(s, "/../", 4)) || (left == 3 && !strncmp(s, "/..", 3))) {
			i += 3;
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--;
			if (left == 3) {
				out[o++] = '/';
			}
		} else if ((left == 1 && s[0] == '.') || (left == 2 && !strncmp(s, "..", 2)))
			i = n;
		else {
			size_t seg = 1;
			while (seg < left && s[seg] != '/')
				seg++;
			memcpy(out + o, s, seg);
			o += seg;
			i += seg;
		}
	}
	out[o] = '\0';
	return out;
}

char *dbc_js_uri_resolve(dbc_ctx *ctx, const char *base, const char *ref)
{
	uri_parts b, r;
	split(base ? base : "", &b);
	split(ref, &r);
	dbc_buf out;
	dbc_buf_init(&out, ctx);
	const uri_parts *auth_from = &r, *query_from = &r;
	char *path;
	if (r.has_scheme) {
		path = remove_dots(ctx, r.path, r.path_n);
	} else if (r.has_authority) {
		path = remove_dots(ctx, r.path, r.path_n);
	} else {
		auth_from = &b;
		if (r.path_n == 0) {
			path = dbc_strndup(ctx, b.path, b.path_n);
			if (!r.has_query)
				query_from = &b;
		} else if (r.path[0] == '/') {
			path = remove_dots(ctx, r.path, r.path_n);
		} else {
			/* merge: base path up to its last '/', then the reference */
			dbc_buf m;
			dbc_buf_init(&m, ctx);
			if (b.has_authority && b.path_n == 0)
				dbc_buf_appendc(&m, '/');
			else {
				size_t keep = b.path_n;
				while (keep > 0 && b.path[keep - 1] != '/')
					keep--;
				dbc_buf_appendn(&m, b.path, keep);
			}
			dbc_buf_appendn(&m, r.path, r.path_n);
			char *merged = dbc_buf_finish(&m);
			path = merged ? remove_dots(ctx, merged, strlen(merged)) : NULL;
		}
	}
	if (!path)
		return NULL;
	const uri_parts *scheme_from = r.has_scheme ? &r : &b;
	if (scheme_from->has_scheme) {
		dbc_buf_appendn(&out, scheme_from->scheme, scheme_from->scheme_n);
		dbc_buf_appendc(&out, ':');
	}
	if (r.has_scheme)
		auth_from = &r;
	if (auth_from->has_authority) {
		dbc_buf_append(&out, "//");
		dbc_buf_appendn(&out, auth_from->authority, auth_from->authority_n);
	}
	dbc_buf_append(&out, path);
	if (query_from->has_query) {
		dbc_buf_appendc(&out, '?');
		dbc_buf_appendn(&out, query_from->query, query_from->query_n);
	}
	if (r.has_fragment) {
		dbc_buf_appendc(&out, '#');
		dbc_buf_appendn(&out, r.fragment, r.fragment_n);
	}
	return dbc_buf_finish(&out);
}

char *dbc_js_uri_strip_fragment(dbc_ctx *ctx, const char *uri, const char **fragment)
{
	const char *hash = strchr(uri, '#');
	if (fragment)
		*fragment = hash ? hash + 1 : "";
	return dbc_strndup(ctx, uri, hash ? (size_t)(hash - uri) : strlen(uri));
}

/* Percent-decodes s into the arena (length in *n: a %00 is kept). */
static char *percent_decode(dbc_ctx *ctx, const char *s, size_t *n)
{
	size_t len = strlen(s), o = 0;
	char *out = dbc_alloc(ctx, len + 1);
	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		int h, l;
		if (s[i] == '%' && i + 2 < len + 0 + 1 &&
		    (h = dbc_hex_digit((unsigned char)s[i + 1])) >= 0 &&
		    (l = dbc_hex_digit((unsigned char)s[i + 2])) >= 0) {
			out[o++] = (char)(h * 16 + l);
			i += 2;
		} else
			out[o++] = s[i];
	}
	out[o] = '\0';
	*n = o;
	return out;
}

const js_val *dbc_js_pointer(dbc_ctx *ctx, const js_val *root, const char *pointer)
{
	size_t n;
	char *p = percent_decode(ctx, pointer, &n);
	if (!p)
		return NULL;
	const js_val *cur = root;
	size_t i = 0;
	if (n == 0)
		return cur;
	if (p[0] != '/')
		return NULL;
	while (i < n && cur) {
		i++; /* the '/' */
		size_t start = i;
		while (i < n && p[i] != '/')
			i++;
		/* unescape ~1 and ~0 of this token */
		char *tok = dbc_alloc(ctx, i - start + 1);
		if (!tok)
			return NULL;
		size_t t = 0;
		for (size_t k = start; k < i; k++) {
			if (p[k] == '~' && k + 1 < i && (p[k + 1] == '0' || p[k + 1] == '1')) {
				tok[t++] = p[k + 1] == '0' ? '~' : '/';
				k++;
			} else
				tok[t++] = p[k];
		}
		tok[t] = '\0';
		if (cur->kind == JV_OBJ) {
			const js_val *next = NULL;
			for (size_t m = 0; m < cur->n; m++)
				if (cur->u.members[m].klen == t && !memcmp(cur->u.members[m].key, tok, t)) {
					next = cur->u.members[m].val;
					break;
				}
			cur = next;
		} else if (cur->kind == JV_ARR) {
			char *end;
			if (t == 0 || (t > 1 && tok[0] == '0'))
				return NULL;
			unsigned long idx = strtoul(tok, &end, 10);
			cur = (*end == '\0' && idx < cur->n) ? cur->u.items[idx] : NULL;
		} else
			cur = NULL;
	}
	return cur;
}
