/*
 * test_jsonschema_text.c — the JSON text scanners of js_private.h that the
 * parse and the compiled check share (dbc_js_plain_16, dbc_js_plain_run,
 * dbc_js_skip_ws), against byte-at-a-time answers written here: random
 * texts of plain bytes, quotes, backslashes, control bytes, NUL, spaces
 * and UTF-8 sequences well-formed and not (overlong, surrogate, past
 * U+10FFFF, cut short), each scanned from every offset, once in a heap
 * buffer and once with its NUL on the last byte of a page whose next page
 * is unreadable (a scanner that reads a byte past the text's end faults).
 * This file runs the path the build selects (SSE2 on x86-64);
 * test_jsonschema_text_scalar.c includes it with DBC_JS_SCALAR defined,
 * so the portable path is run too.
 */
#define _DEFAULT_SOURCE
#include "jsonschema/js_private.h"
#include "unit.h"

#include <sys/mman.h>
#include <unistd.h>

/* The length of the well-formed UTF-8 sequence at p (lead byte 0x80 or
 * more), 0 when it is none: RFC 3629's table, byte by byte (a NUL ends it
 * as any byte that is no continuation). */
static int oracle_utf8(const unsigned char *p)
{
	unsigned c = p[0], lo = 0x80, hi = 0xbf;
	int n;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0; /* overlong */
	else if (c == 0xed)
		hi = 0x9f; /* a surrogate */
	else if (c == 0xf0)
		lo = 0x90; /* overlong */
	else if (c == 0xf4)
		hi = 0x8f; /* past U+10FFFF */
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (int i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return n;
}

/* dbc_js_plain_run's answer, a byte at a time. */
static const unsigned char *oracle_run(const unsigned char *q)
{
	for (;;) {
		unsigned c = *q;
		if (c == '"' || c == '\\' || c < 0x20)
			return q;
		if (c < 0x80) {
			q++;
			continue;
		}
		int n = oracle_utf8(q);
		if (!n)
			return NULL;
		q += n;
	}
}

static const char *oracle_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

static unsigned oracle_16(const unsigned char *q)
{
	unsigned i = 0;
	while (i < 16 && q[i] >= 0x20 && q[i] < 0x80 && q[i] != '"' && q[i] != '\\')
		i++;
	return i;
}

/* The pieces random texts are made of. */
static const char *const pieces[] = {
    "a",
    "z",
    "0",
    " ",
    "~",
    "\x7f",
    "\"",
    "\\",
    "\n",
    "\t",
    "\r",
    "\x01",
    "\x1f",
    "\xc3\xa9",         /* é */
    "\xe2\x82\xac",     /* € */
    "\xf0\x9f\x98\x80", /* an emoji, 4 bytes */
    "\xf4\x8f\xbf\xbf", /* U+10FFFF */
    "\xc0\xaf",         /* overlong */
    "\xe0\x80\x80",     /* overlong */
    "\xed\xa0\x80",     /* a surrogate */
    "\xf4\x90\x80\x80", /* past U+10FFFF */
    "\xf5\x80\x80\x80", /* no lead byte */
    "\x80",
    "\xbf",
    "\xc2",
    "\xe2\x82",
    "\xf0\x9f\x98",
    "abcdefghijklmnop", /* a whole 16-byte block */
    "        ",
    "\n    ",
};
#define NPIECES (sizeof pieces / sizeof *pieces)

static unsigned rand_state = 12345;
static unsigned next_rand(void)
{
	rand_state = rand_state * 1103515245u + 12345u;
	return rand_state >> 16;
}

/* A random text of at most max bytes into t; its length. Mostly one kind
 * of byte (plain, or spaces) with the others now and then, so runs of each
 * cross 16-byte blocks. */
static size_t random_text(char *t, size_t max)
{
	size_t len = 0, want = next_rand() % (max + 1);
	bool spaces = next_rand() % 2;
	while (len < want) {
		const char *piece;
		unsigned r = next_rand() % 8;
		if (r < 5)
			piece = spaces ? (r < 3 ? " " : r == 3 ? "\n" : "\t") : (r < 3 ? "a" : "\xc3\xa9");
		else
			piece = pieces[next_rand() % NPIECES];
		size_t n = strlen(piece);
		if (n == 0 || len + n > max)
			break;
		memcpy(t + len, piece, n);
		len += n;
	}
	t[len] = '\0';
	return len;
}

typedef struct tally {
	long scans, run_wrong, ws_wrong, block_wrong;
} tally;

/* Every scanner from every offset of the text at t (len bytes, its NUL
 * after them, every byte before the NUL readable). */
static void scan_all(const char *t, size_t len, tally *k)
{
	const char *end = t + len;
	for (size_t i = 0; i <= len; i++) {
		const unsigned char *q = (const unsigned char *)t + i;
		k->scans++;
		if (dbc_js_plain_run(q, (const unsigned char *)end) != oracle_run(q))
			k->run_wrong++;
		if (dbc_js_skip_ws(t + i, end) != oracle_ws(t + i))
			k->ws_wrong++;
		if (len - i >= 16 && dbc_js_plain_16(q) != oracle_16(q))
			k->block_wrong++;
	}
}

int main(void)
{
#ifdef DBC_JS_SCALAR
	CHECK(DBC_JS_SSE2 == 0, "DBC_JS_SCALAR selects the portable scanners");
	const char *path = "portable";
#else
#ifdef __SSE2__
	CHECK(DBC_JS_SSE2 == 1, "an SSE2 build selects the 16-byte scanners");
#endif
	const char *path = DBC_JS_SSE2 ? "SSE2" : "portable";
#endif
	long page = sysconf(_SC_PAGESIZE);
	char *pages =
	    mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(pages != MAP_FAILED && mprotect(pages + page, (size_t)page, PROT_NONE) == 0,
	      "a page followed by an unreadable one");
	if (pages == MAP_FAILED)
		return unit_done();
	enum { MAX = 96 };
	char text[MAX + 1], heap[MAX + 64];
	tally at_heap = {0}, at_page = {0};
	for (int round = 0; round < 20000; round++) {
		size_t len = random_text(text, MAX);
		/* in a buffer with room after the text */
		memcpy(heap, text, len + 1);
		memset(heap + len + 1, 'a', sizeof heap - len - 1);
		scan_all(heap, len, &at_heap);
		/* the NUL on the page's last byte */
		char *t = pages + page - (long)len - 1;
		memcpy(t, text, len + 1);
		scan_all(t, len, &at_page);
	}
	printf("# %s scanners: %ld scans in a heap buffer, %ld at a page's end\n", path, at_heap.scans,
	       at_page.scans);
	CHECK(at_heap.run_wrong == 0 && at_page.run_wrong == 0,
	      "a string's plain run ends where a byte-at-a-time reading ends it");
	CHECK(at_heap.ws_wrong == 0 && at_page.ws_wrong == 0,
	      "whitespace ends where a byte-at-a-time reading ends it");
	CHECK(at_heap.block_wrong == 0 && at_page.block_wrong == 0,
	      "a 16-byte block's plain bytes are counted as one at a time counts them");
	/* each kind of stop, its text ending on the page's last byte: where
	 * the run ends (NULL: a bad sequence) */
	static const struct {
		const char *text;
		int stop; /* -1: NULL */
	} stops[] = {{"\"", 0},
	             {"ab\\", 2},
	             {"\x01", 0},
	             {"", 0},
	             {"\xed\xa0\x80", -1},
	             {"\xc3\xa9x\"", 3},
	             {"\xe2\x82", -1},
	             {"abcdefghijklmnopq\"", 17}};
	for (size_t i = 0; i < sizeof stops / sizeof *stops; i++) {
		size_t n = strlen(stops[i].text);
		char *t = pages + page - (long)n - 1;
		memcpy(t, stops[i].text, n + 1);
		const unsigned char *q = (const unsigned char *)t;
		const unsigned char *got = dbc_js_plain_run(q, q + n);
		CHECK(stops[i].stop < 0 ? got == NULL : got == q + stops[i].stop,
		      "a string's stop at a page's end");
	}
	munmap(pages, (size_t)page * 2);
	return unit_done();
}
