/*
 * json_scan_floor.c — the floor of any JSON CHECK on SQLite's text, for
 * bench_json_schemastore_instructions.py. Built by the bench into
 * build/bench only (never part of dbcare), loaded beside dbcare's module:
 *
 *   json_scan_floor(text)  1 when text is one JSON value (RFC 8259's
 *                          grammar: every token, strings' escapes, UTF-8),
 *                          else 0; NULL for NULL (a CHECK passes it)
 *
 * It reads every token once and decides nothing else: no schema, no
 * duplicate member names (which dbcare's parser refuses), no tree, no
 * value decoded. One loop with no call per token; string bytes passed 16
 * at a time (SSE2) as dbcare's reader passes them, whitespace and string
 * bytes classified by one table load each. No validator of the same
 * documents can read them for less.
 */
#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT1

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* Containers nested deeper: not JSON to this floor (dbcare's limit is
 * lower still). */
#define FLOOR_DEPTH 1024

/* Bytes a string holds as they are: printable ASCII but '"' and '\\'. */
static bool plain[256];
/* JSON whitespace. */
static bool space[256];

/* Past the whitespace at p (the text ends at its NUL, end). Most calls
 * land on a token or pass one space; a line break and an indentation of up
 * to seven spaces take one 8-byte load, as dbcare's reader takes them. */
static inline __attribute__((always_inline)) const unsigned char *
skip_space(const unsigned char *p, const unsigned char *end)
{
	if (*p > ' ')
		return p;
	if (*p == ' ' && p[1] > ' ')
		return p + 1;
	if (*p == '\n' && end - p >= 9) {
		uint64_t w;
		memcpy(&w, p + 1, 8);
		w ^= 0x2020202020202020u; /* a space: a zero byte (little-endian) */
		if (w) {
			const unsigned char *q = p + 1 + (__builtin_ctzll(w) >> 3);
			if (*q > ' ')
				return q;
		}
	}
	while (space[*p])
		p++;
	return p;
}

/* The UTF-8 sequence at p (its lead byte 0x80 or more): past it, or NULL
 * when it is not a well-formed one (overlong, a surrogate, past U+10FFFF,
 * cut short by the text's NUL). */
static const unsigned char *utf8(const unsigned char *p)
{
	unsigned c = *p, n = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : 1;
	if (c < 0xc2 || c > 0xf4)
		return NULL;
	unsigned v = c & (0x3f >> n);
	for (unsigned i = 1; i <= n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return NULL;
		v = v << 6 | (p[i] & 0x3f);
	}
	if ((n == 2 && (v < 0x800 || (v >= 0xd800 && v <= 0xdfff))) ||
	    (n == 3 && (v < 0x10000 || v > 0x10ffff)))
		return NULL;
	return p + n + 1;
}

static bool hex(unsigned char c)
{
	return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

/* The string whose opening quote is just before p: past its closing quote,
 * or NULL when it is not a JSON string. The text ends at its NUL, end. */
static inline __attribute__((always_inline)) const unsigned char *string(const unsigned char *p,
                                                                         const unsigned char *end)
{
	for (;;) {
#ifdef __SSE2__
		while (end - p >= 16) {
			__m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
			/* signed: a byte of 0x80 or more is below 0x20 too */
			__m128i stop = _mm_or_si128(_mm_cmplt_epi8(x, _mm_set1_epi8(0x20)),
			                            _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('"')),
			                                         _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'))));
			unsigned m = (unsigned)_mm_movemask_epi8(stop);
			if (m) {
				p += __builtin_ctz(m);
				break;
			}
			p += 16;
		}
#endif
		while (plain[*p])
			p++;
		if (*p == '"')
			return p + 1;
		if (*p == '\\') {
			unsigned char e = p[1];
			if (e == 'u') {
				if (!hex(p[2]) || !hex(p[3]) || !hex(p[4]) || !hex(p[5]))
					return NULL;
				p += 6;
			} else if (e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' ||
			           e == 'r' || e == 't')
				p += 2;
			else
				return NULL;
		} else if (*p >= 0x80) {
			if (!(p = utf8(p)))
				return NULL;
		} else
			return NULL; /* a control character, or the text's end */
	}
}

static bool digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* The number at p: past it, or NULL. */
static const unsigned char *number(const unsigned char *p)
{
	p += *p == '-';
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		while (digit(*++p))
			;
	else
		return NULL;
	if (*p == '.') {
		if (!digit(*++p))
			return NULL;
		while (digit(*++p))
			;
	}
	if ((*p | 0x20) == 'e') {
		p++;
		p += *p == '+' || *p == '-';
		if (!digit(*p))
			return NULL;
		while (digit(*++p))
			;
	}
	return p;
}

/* Whether the n bytes at p are word (each compared until one differs:
 * never past the text's NUL). */
static bool word(const unsigned char *p, const char *w, int n)
{
	for (int i = 0; i < n; i++)
		if (p[i] != (unsigned char)w[i])
			return false;
	return true;
}

/* Whether the text at p, ending at its NUL end, is one JSON value. */
static bool scan(const unsigned char *p, const unsigned char *end)
{
	unsigned char closer[FLOOR_DEPTH]; /* '}' or ']' of each open container */
	int depth = 0;
	p = skip_space(p, end);
value:
	switch (*p) {
	case '{':
		if (depth == FLOOR_DEPTH)
			return false;
		closer[depth++] = '}';
		p = skip_space(p + 1, end);
		if (*p == '}') {
			p++;
			depth--;
			goto next;
		}
		goto member;
	case '[':
		if (depth == FLOOR_DEPTH)
			return false;
		closer[depth++] = ']';
		p = skip_space(p + 1, end);
		if (*p == ']') {
			p++;
			depth--;
			goto next;
		}
		goto value;
	case '"':
		if (!(p = string(p + 1, end)))
			return false;
		goto next;
	case 't':
		if (!word(p, "true", 4))
			return false;
		p += 4;
		goto next;
	case 'f':
		if (!word(p, "false", 5))
			return false;
		p += 5;
		goto next;
	case 'n':
		if (!word(p, "null", 4))
			return false;
		p += 4;
		goto next;
	default:
		if (!(p = number(p)))
			return false;
		goto next;
	}
member:
	if (*p != '"' || !(p = string(p + 1, end)))
		return false;
	p = skip_space(p, end);
	if (*p != ':')
		return false;
	p = skip_space(p + 1, end);
	goto value;
next:
	p = skip_space(p, end);
	if (depth == 0)
		return p == end;
	if (*p == ',') {
		p = skip_space(p + 1, end);
		if (closer[depth - 1] == '}')
			goto member;
		goto value;
	}
	if (*p != closer[depth - 1])
		return false;
	p++;
	depth--;
	goto next;
}

static void json_scan_floor(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	(void)argc;
	const unsigned char *text = sqlite3_value_text(argv[0]);
	if (!text) {
		sqlite3_result_null(c);
		return;
	}
	sqlite3_result_int(c, scan(text, text + sqlite3_value_bytes(argv[0])));
}

int sqlite3_extension_init(sqlite3 *db, char **err, const sqlite3_api_routines *api)
{
	SQLITE_EXTENSION_INIT2(api);
	(void)err;
	for (int b = 0x20; b < 0x80; b++)
		plain[b] = b != '"' && b != '\\';
	space[' '] = space['\n'] = space['\t'] = space['\r'] = true;
	return sqlite3_create_function(db, "json_scan_floor", 1,
	                               SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL,
	                               json_scan_floor, NULL, NULL);
}
