/*
 * ctx.c — the per-call context: an arena that owns every allocation of one SQL
 * call, the error slot, and a growable text buffer. One arena per call means no
 * path, failing or not, can leak: the glue frees it once at the end.
 */
#include "base/dbc.h"
#include "base/heap_grow.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DBC_ARENA_BLOCK 8192

struct dbc_arena_block {
	dbc_arena_block *next;
	void *raw; /* what host->alloc returned: sqlite3_malloc only aligns to 8 */
	size_t used;
	size_t size;
	/* payload follows, aligned like max_align_t */
	_Alignas(16) unsigned char data[];
};

void dbc_ctx_init(dbc_ctx *ctx, const dbc_host *host, void *host_data)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->host = host;
	ctx->host_data = host_data;
}

void dbc_ctx_finish(dbc_ctx *ctx)
{
	dbc_arena_block *b = ctx->arena;
	while (b) {
		dbc_arena_block *next = b->next;
		ctx->host->free(b->raw);
		b = next;
	}
	ctx->arena = NULL;
	ctx->message = ctx->detail = ctx->hint = ctx->context = NULL;
}

static void set_oom(dbc_ctx *ctx)
{
	if (ctx->failed)
		return;
	ctx->failed = true;
	memcpy(ctx->sqlstate, DBC_SQLSTATE_OUT_OF_MEMORY, 6);
	/* static text: the arena cannot hold it when it is what ran out */
	ctx->message = (char *)"out of memory";
}

void *dbc_alloc(dbc_ctx *ctx, size_t size)
{
	if (size > SIZE_MAX - 15) {
		set_oom(ctx);
		return NULL;
	}
	size = (size + 15) & ~(size_t)15;
	dbc_arena_block *b = ctx->arena;
	if (!b || b->size - b->used < size) {
		size_t bsize = size > DBC_ARENA_BLOCK / 2 ? size : DBC_ARENA_BLOCK;
		if (bsize > SIZE_MAX - sizeof(dbc_arena_block) - 15) {
			set_oom(ctx);
			return NULL;
		}
		/* Over-allocate and align by hand: the block header promises 16-byte
		 * alignment, which a host allocator need not give (SQLite's gives 8). */
		void *raw = ctx->host->alloc(sizeof(dbc_arena_block) + bsize + 15);
		if (!raw) {
			set_oom(ctx);
			return NULL;
		}
		dbc_arena_block *nb = (dbc_arena_block *)(((uintptr_t)raw + 15) & ~(uintptr_t)15);
		nb->raw = raw;
		nb->size = bsize;
		nb->used = 0;
		/* A big private block goes behind the current one so the current one's
		 * free space stays usable for small allocations. */
		if (b && bsize != DBC_ARENA_BLOCK) {
			nb->next = b->next;
			b->next = nb;
		} else {
			nb->next = b;
			ctx->arena = nb;
		}
		b = nb;
	}
	void *p = b->data + b->used;
	b->used += size;
	return p;
}

/* Length of the well-formed UTF-8 sequence at p (n bytes left), 0 if none:
 * no overlong forms, no surrogates, nothing above U+10FFFF — exactly what
 * jansson accepts, so a sanitised text is never refused. */
int dbc_utf8_seq(const unsigned char *p, size_t n)
{
	unsigned char c = p[0];
	if (c < 0x80)
		return 1;
	int len;
	unsigned char lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
	if (c >= 0xC2 && c <= 0xDF)
		len = 2;
	else if (c >= 0xE0 && c <= 0xEF) {
		len = 3;
		if (c == 0xE0)
			lo = 0xA0; /* overlong */
		else if (c == 0xED)
			hi = 0x9F; /* surrogates */
	} else if (c >= 0xF0 && c <= 0xF4) {
		len = 4;
		if (c == 0xF0)
			lo = 0x90; /* overlong */
		else if (c == 0xF4)
			hi = 0x8F; /* above U+10FFFF */
	} else
		return 0;
	if ((size_t)len > n || p[1] < lo || p[1] > hi)
		return 0;
	for (int k = 2; k < len; k++)
		if ((p[k] & 0xC0) != 0x80)
			return 0;
	return len;
}

void dbc_utf8_repair(char *out, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0; i < n;) {
		int len = dbc_utf8_seq(p + i, n - i);
		if (len > 0) {
			memcpy(out + i, p + i, (size_t)len);
			i += (size_t)len;
		} else {
			out[i++] = '?';
		}
	}
	out[n] = '\0';
}

char *dbc_excerpt(dbc_ctx *ctx, const char *s, size_t max)
{
	if (!s)
		return (char *)"(null)";
	size_t n = strlen(s);
	dbc_buf b;
	dbc_buf_init(&b, ctx);
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (i < n && b.len < max) {
		int len = dbc_utf8_seq(p + i, n - i);
		if (len > 0 && b.len + (size_t)len > max)
			break;
		if (len > 0) {
			dbc_buf_appendn(&b, s + i, (size_t)len);
			i += (size_t)len;
		} else {
			dbc_buf_appendc(&b, '?');
			i++;
		}
	}
	if (i < n)
		dbc_buf_appendf(&b, "... (%zu bytes)", n);
	char *out = dbc_buf_finish(&b);
	return out ? out : (char *)"(out of memory)";
}

char *dbc_comment_text(dbc_ctx *ctx, const char *s)
{
	char *out = dbc_strdup(ctx, s ? s : "");
	if (!out)
		return NULL;
	unsigned char *p = (unsigned char *)out;
	for (size_t i = 0; p[i]; i++) {
		if (p[i] < 0x20 || p[i] == 0x7f)
			p[i] = '?';
		else if (p[i] == 0xc2 && p[i + 1] == 0x85)
			p[i] = '?', p[i + 1] = '?';
		else if (p[i] == 0xe2 && p[i + 1] == 0x80 && (p[i + 2] == 0xa8 || p[i + 2] == 0xa9))
			p[i] = p[i + 1] = p[i + 2] = '?';
	}
	return out;
}

void *dbc_zalloc(dbc_ctx *ctx, size_t size)
{
	void *p = dbc_alloc(ctx, size);
	if (p)
		memset(p, 0, size);
	return p;
}

int dbc_grow(dbc_ctx *ctx, void *items, int n, int *cap, size_t size, int first)
{
	void **slot = items;
	size_t ncap;
	if (n < *cap)
		return DBC_OK;
	if (!dbc_grown_capacity((size_t)*cap, (size_t)n + 1, size, (size_t)first, &ncap) ||
	    ncap > INT_MAX) {
		set_oom(ctx);
		return DBC_ERROR;
	}
	void *grown = dbc_zalloc(ctx, size * ncap);
	if (!grown)
		return DBC_ERROR;
	if (n)
		memcpy(grown, *slot, size * (size_t)n);
	*slot = grown;
	*cap = (int)ncap;
	return DBC_OK;
}

char *dbc_strndup(dbc_ctx *ctx, const char *s, size_t n)
{
	char *p = dbc_alloc(ctx, n + 1);
	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *dbc_strdup(dbc_ctx *ctx, const char *s)
{
	return s ? dbc_strndup(ctx, s, strlen(s)) : NULL;
}

char *dbc_vprintf(dbc_ctx *ctx, const char *fmt, va_list ap)
{
	/* one formatting pass for the short texts most calls make (messages,
	 * numbers); a second, into the arena, only for longer ones */
	char small[256];
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(small, sizeof small, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return NULL;
	char *p = dbc_alloc(ctx, (size_t)n + 1);
	if (p && (size_t)n < sizeof small)
		memcpy(p, small, (size_t)n + 1);
	else if (p)
		vsnprintf(p, (size_t)n + 1, fmt, ap);
	return p;
}

char *dbc_printf(dbc_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *p = dbc_vprintf(ctx, fmt, ap);
	va_end(ap);
	return p;
}

/* Backstop for every error text: whatever a caller quoted into it (a 10 MB
 * version, a name with invalid UTF-8), the client gets valid UTF-8 of a
 * bounded size. Arguments should still be quoted through dbc_excerpt. */
__attribute__((format(printf, 2, 0))) static char *error_text(dbc_ctx *ctx, const char *fmt,
                                                              va_list ap)
{
	char *text = dbc_vprintf(ctx, fmt, ap);
	if (!text)
		return NULL;
	size_t n = strlen(text);
	const unsigned char *p = (const unsigned char *)text;
	for (size_t i = 0; i < n;) {
		int len = dbc_utf8_seq(p + i, n - i);
		if (len <= 0 || n > DBC_ERROR_TEXT_MAX)
			return dbc_excerpt(ctx, text, DBC_ERROR_TEXT_MAX);
		i += (size_t)len;
	}
	return text;
}

int dbc_error(dbc_ctx *ctx, const char *sqlstate, const char *fmt, ...)
{
	if (ctx->failed)
		return DBC_ERROR;
	va_list ap;
	va_start(ap, fmt);
	char *msg = error_text(ctx, fmt, ap);
	va_end(ap);
	if (ctx->failed) /* the message itself ran out of memory */
		return DBC_ERROR;
	ctx->failed = true;
	memcpy(ctx->sqlstate, sqlstate, 5);
	ctx->sqlstate[5] = '\0';
	ctx->message = msg;
	return DBC_ERROR;
}

void dbc_error_detail(dbc_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	ctx->detail = error_text(ctx, fmt, ap);
	va_end(ap);
}

void dbc_error_hint(dbc_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	ctx->hint = error_text(ctx, fmt, ap);
	va_end(ap);
}

void dbc_warning(dbc_ctx *ctx, const char *hint, const char *fmt, ...)
{
	if (!ctx->host->warning)
		return;
	va_list ap;
	va_start(ap, fmt);
	char *msg = dbc_vprintf(ctx, fmt, ap);
	va_end(ap);
	if (msg)
		ctx->host->warning(ctx, msg, hint);
}

void dbc_progress(dbc_ctx *ctx, int64_t done, int64_t total, const char *what)
{
	/* on the stack: a long step reports often, the arena would grow with it */
	char line[256];
	if (!ctx->host->progress)
		return;
	snprintf(line, sizeof line, DBC_PROGRESS_PREFIX "%lld/%lld %s", (long long)done,
	         (long long)total, what ? what : "");
	ctx->host->progress(ctx, line);
}

void dbc_error_clear(dbc_ctx *ctx)
{
	ctx->failed = false;
	ctx->sqlstate[0] = '\0';
	ctx->message = ctx->detail = ctx->hint = ctx->context = NULL;
	ctx->error_line = ctx->error_cursor = 0;
}

void dbc_buf_init(dbc_buf *b, dbc_ctx *ctx)
{
	b->ctx = ctx;
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->oom = false;
}

static bool buf_reserve(dbc_buf *b, size_t extra)
{
	if (b->oom)
		return false;
	if (b->len + extra + 1 <= b->cap)
		return true;
	size_t cap = 0;
	char *nd = NULL;
	if (dbc_grown_capacity(b->cap, b->len + extra + 1, 1, 256, &cap))
		nd = dbc_alloc(b->ctx, cap);
	else
		set_oom(b->ctx);
	if (!nd) {
		b->oom = true;
		return false;
	}
	if (b->len)
		memcpy(nd, b->data, b->len);
	b->data = nd;
	b->cap = cap;
	return true;
}

void dbc_buf_reserve(dbc_buf *b, size_t n)
{
	if (b->oom || b->len + n + 1 <= b->cap)
		return;
	char *nd = dbc_alloc(b->ctx, b->len + n + 1);
	if (!nd) {
		b->oom = true;
		return;
	}
	if (b->len)
		memcpy(nd, b->data, b->len);
	b->data = nd;
	b->cap = b->len + n + 1;
}

void dbc_buf_appendn(dbc_buf *b, const char *s, size_t n)
{
	if (!buf_reserve(b, n))
		return;
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void dbc_buf_append(dbc_buf *b, const char *s)
{
	dbc_buf_appendn(b, s, strlen(s));
}

void dbc_buf_appendc(dbc_buf *b, char c)
{
	dbc_buf_appendn(b, &c, 1);
}

void dbc_buf_appendf(dbc_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = dbc_vprintf(b->ctx, fmt, ap);
	va_end(ap);
	if (s)
		dbc_buf_append(b, s);
	else
		b->oom = true;
}

char *dbc_buf_finish(dbc_buf *b)
{
	if (b->oom)
		return NULL;
	if (!b->data && !buf_reserve(b, 0))
		return NULL;
	b->data[b->len] = '\0';
	return b->data;
}

dbc_value dbc_text(const char *s)
{
	dbc_value v = {.type = s ? DBC_TEXT : DBC_NULL, .s = s};
	return v;
}

dbc_value dbc_int(int64_t i)
{
	dbc_value v = {.type = DBC_INT, .i = i};
	return v;
}

dbc_value dbc_float(double f)
{
	dbc_value v = {.type = DBC_FLOAT, .f = f};
	return v;
}

dbc_value dbc_bool(bool b)
{
	dbc_value v = {.type = DBC_BOOL, .i = b ? 1 : 0};
	return v;
}

dbc_value dbc_null(void)
{
	dbc_value v = {.type = DBC_NULL};
	return v;
}

void dbc_rows_init(dbc_rows *rows, dbc_ctx *ctx, int ncol)
{
	memset(rows, 0, sizeof(*rows));
	rows->ctx = ctx;
	rows->ncol = ncol;
}

/* The next row's cells, the array grown by whole rows when full. Not
 * zeroed: a row is written whole before nrows counts it. */
static dbc_value *rows_next(dbc_rows *rows)
{
	size_t row_size = sizeof(dbc_value) * (size_t)rows->ncol;
	if (rows->nrows == rows->cap) {
		size_t ncap;
		if (!dbc_grown_capacity((size_t)rows->cap, (size_t)rows->nrows + 1, row_size, 16, &ncap) ||
		    ncap > INT_MAX) {
			set_oom(rows->ctx);
			return NULL;
		}
		dbc_value *grown = dbc_alloc(rows->ctx, row_size * ncap);
		if (!grown)
			return NULL;
		if (rows->nrows)
			memcpy(grown, rows->cells, row_size * (size_t)rows->nrows);
		rows->cells = grown;
		rows->cap = (int)ncap;
	}
	return rows->cells + (size_t)rows->nrows * (size_t)rows->ncol;
}

int dbc_rows_add(dbc_rows *rows, const dbc_value *row)
{
	dbc_value *dst = rows_next(rows);
	if (!dst)
		return DBC_ERROR;
	for (int i = 0; i < rows->ncol; i++) {
		dst[i] = row[i];
		if (row[i].type == DBC_TEXT) {
			dst[i].s = dbc_strdup(rows->ctx, row[i].s);
			if (!dst[i].s)
				return DBC_ERROR;
		}
	}
	rows->nrows++;
	return DBC_OK;
}

int dbc_rows_add_kept(dbc_rows *rows, const dbc_value *row)
{
	dbc_value *dst = rows_next(rows);
	if (!dst)
		return DBC_ERROR;
	memcpy(dst, row, sizeof(dbc_value) * (size_t)rows->ncol);
	rows->nrows++;
	return DBC_OK;
}

typedef struct {
	char *text;
	bool found;
} first_text;

static int take_first_text(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *cols)
{
	first_text *ft = arg;
	if (ft->found || ncol < 1)
		return DBC_OK;
	ft->found = true;
	if (cols[0].type == DBC_TEXT) {
		ft->text = dbc_strdup(ctx, cols[0].s);
	} else if (cols[0].type == DBC_INT || cols[0].type == DBC_BOOL) {
		ft->text = dbc_printf(ctx, "%lld", (long long)cols[0].i);
	} else if (cols[0].type == DBC_FLOAT) {
		ft->text = dbc_printf(ctx, "%.17g", cols[0].f);
	}
	return ctx->failed ? DBC_ERROR : DBC_OK;
}

static int
query_text_with(dbc_ctx *ctx,
                int (*query)(dbc_ctx *, const char *, int, const dbc_value *, dbc_row_fn, void *),
                const char *sql, int nparam, const dbc_value *params, char **out, bool *found)
{
	first_text ft = {NULL, false};
	if (query(ctx, sql, nparam, params, take_first_text, &ft) != DBC_OK)
		return DBC_ERROR;
	*out = ft.text;
	if (found)
		*found = ft.found;
	return DBC_OK;
}

int dbc_query_text(dbc_ctx *ctx, const char *sql, int nparam, const dbc_value *params, char **out,
                   bool *found)
{
	return query_text_with(ctx, ctx->host->query, sql, nparam, params, out, found);
}

int dbc_query_text_latest(dbc_ctx *ctx, const char *sql, int nparam, const dbc_value *params,
                          char **out, bool *found)
{
	return query_text_with(ctx,
	                       ctx->host->query_latest ? ctx->host->query_latest : ctx->host->query,
	                       sql, nparam, params, out, found);
}

int dbc_book_ensure_part(dbc_ctx *ctx, const char *part)
{
	if (ctx->host->book_ensure_part)
		return ctx->host->book_ensure_part(ctx, part);
	return ctx->host->book_ensure ? ctx->host->book_ensure(ctx) : DBC_OK;
}

int dbc_hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int hex4(const char *s)
{
	int v = 0;
	for (int i = 0; i < 4; i++) {
		int d = dbc_hex_digit((unsigned char)s[i]);
		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

int dbc_json_unicode_escape(const char *s, uint32_t *cp)
{
	int v = hex4(s);
	if (v < 0 || (v >= 0xDC00 && v <= 0xDFFF))
		return 0; /* not hex, or a low surrogate alone */
	if (v < 0xD800 || v > 0xDBFF) {
		*cp = (uint32_t)v;
		return 4;
	}
	int lo = s[4] == '\\' && s[5] == 'u' ? hex4(s + 6) : -1;
	if (lo < 0xDC00 || lo > 0xDFFF)
		return 0; /* a high surrogate alone */
	*cp = 0x10000 + (((uint32_t)v - 0xD800) << 10) + ((uint32_t)lo - 0xDC00);
	return 10;
}

size_t dbc_utf8_put(char *out, uint32_t cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}
