/*
 * js_regex.c — ECMA-262 regular expressions ("pattern", "patternProperties",
 * format "regex") through PCRE2. The differences that matter for JSON Schema
 * are bridged: \s and \S take ECMA's whitespace set, \uXXXX and \u{...} are
 * code points, $ matches only at the very end, "." matches no line
 * terminator, [] matches nothing and [^] anything. Matching is bounded by PCRE2's
 * match and depth limits, so a pathological pattern ends in an error, never a
 * hang, and a document's matches together by DBC_JS_MAX_REGEX_STEPS. Memory is PCRE2's own
 * (malloc), owned by the compiled schema. why (raw heap, the whole file): a compiled regex lives as
 * long as its schema, which outlives the call (js_compile.c); dbc_js_regex_free frees it.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "jsonschema/js_private.h"

#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

/* Steps and backtracking depth one match may take. */
#define JS_REGEX_MATCH_LIMIT 200000
#define JS_REGEX_DEPTH_LIMIT 4000
/* The first try's match limit: a match that ends within it is not counted
 * against the document's budget. A longer one is tried again with a limit
 * JS_REGEX_GROWTH times larger, until the per-match limit. */
#define JS_REGEX_FREE_STEPS 1000
#define JS_REGEX_GROWTH     8

struct js_regex {
	pcre2_code *code;
	pcre2_match_data *match;
	pcre2_match_context *mctx;
	/* A pattern that is plain text, maybe between ^ and $ ("^_", "^x-",
	 * "\\.js$"): matched by comparing bytes, as PCRE2 would match it,
	 * without a call into it (patternProperties runs such a pattern on
	 * every member of every document). literal is NULL for the others. */
	const char *literal;
	size_t literal_len;
	bool at_start, at_end;
	/* JIT-compiled: searched through pcre2_jit_match, without
	 * pcre2_match's checks of its arguments and of the subject's UTF-8
	 * (every string searched is valid UTF-8: a document's text is checked
	 * by its parse; a jsonb is walked only in a UTF-8 database) */
	bool jit;
};

/* ECMA-262 WhiteSpace and LineTerminator, in PCRE2's \u notation. */
#define ECMA_SPACE                                                                                 \
	"\\t\\n\\v\\f\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff"

/* ECMA-262 LineTerminator: what "." does not match (PCRE2's "." matches
 * all but its newline, \n). */
#define ECMA_LINE_END "\\n\\r\\u2028\\u2029"

/* Letters that may follow a backslash in ECMA-262. */
#define ECMA_LETTERS "dDwWsSbBtnvfrcxupPk"

/* ECMA-262's names of Unicode general categories (UCD PropertyValueAliases,
 * gc: long names and the other aliases); PCRE2 knows only the short ones. */
static const char *category_alias(const char *name, size_t n)
{
	static const char *const map[][2] = {
	    {"Letter", "L"},
	    {"Cased_Letter", "LC"},
	    {"Lowercase_Letter", "Ll"},
	    {"Uppercase_Letter", "Lu"},
	    {"Titlecase_Letter", "Lt"},
	    {"Modifier_Letter", "Lm"},
	    {"Other_Letter", "Lo"},
	    {"Mark", "M"},
	    {"Combining_Mark", "M"},
	    {"Spacing_Mark", "Mc"},
	    {"Enclosing_Mark", "Me"},
	    {"Nonspacing_Mark", "Mn"},
	    {"Number", "N"},
	    {"Decimal_Number", "Nd"},
	    {"digit", "Nd"},
	    {"Letter_Number", "Nl"},
	    {"Other_Number", "No"},
	    {"Punctuation", "P"},
	    {"punct", "P"},
	    {"Connector_Punctuation", "Pc"},
	    {"Dash_Punctuation", "Pd"},
	    {"Close_Punctuation", "Pe"},
	    {"Final_Punctuation", "Pf"},
	    {"Initial_Punctuation", "Pi"},
	    {"Other_Punctuation", "Po"},
	    {"Open_Punctuation", "Ps"},
	    {"Symbol", "S"},
	    {"Currency_Symbol", "Sc"},
	    {"Modifier_Symbol", "Sk"},
	    {"Math_Symbol", "Sm"},
	    {"Other_Symbol", "So"},
	    {"Separator", "Z"},
	    {"Line_Separator", "Zl"},
	    {"Paragraph_Separator", "Zp"},
	    {"Space_Separator", "Zs"},
	    {"Other", "C"},
	    {"Control", "Cc"},
	    {"cntrl", "Cc"},
	    {"Format", "Cf"},
	    {"Unassigned", "Cn"},
	    {"Private_Use", "Co"},
	    {"Surrogate", "Cs"},
	};
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (strlen(map[i][0]) == n && !memcmp(map[i][0], name, n))
			return map[i][1];
	return NULL;
}

/* The PCRE2 spelling of the ECMA-262 property name..close (after "\p{"):
 * General_Category=X and gc=X are the category X (long or short name); a
 * bare long category name its short one; anything else (L, Lu,
 * Script=Greek, sc=Grek, scx=..., binary properties) PCRE2 reads as it is.
 * Arena text, or NULL for "as it is". */
static const char *property(const char *name, size_t n)
{
	static const char *const prefixes[] = {"General_Category=", "gc="};
	for (size_t i = 0; i < 2; i++) {
		size_t k = strlen(prefixes[i]);
		if (n > k && !memcmp(name, prefixes[i], k)) {
			const char *alias = category_alias(name + k, n - k);
			if (alias)
				return alias;
			/* a short name after the prefix: itself, when PCRE2 knows it */
			static const char *const shorts[] = {
			    "L",  "LC", "Ll", "Lu", "Lt", "Lm", "Lo", "M",  "Mc", "Me", "Mn", "N",  "Nd",
			    "Nl", "No", "P",  "Pc", "Pd", "Pe", "Pf", "Pi", "Po", "Ps", "S",  "Sc", "Sk",
			    "Sm", "So", "Z",  "Zl", "Zp", "Zs", "C",  "Cc", "Cf", "Cn", "Co", "Cs"};
			for (size_t j = 0; j < sizeof shorts / sizeof shorts[0]; j++)
				if (strlen(shorts[j]) == n - k && !memcmp(shorts[j], name + k, n - k))
					return shorts[j];
			return NULL;
		}
	}
	return category_alias(name, n);
}

static char *translate(dbc_ctx *ctx, const char *p, size_t n)
{
	dbc_buf b;
	dbc_buf_init(&b, ctx);
	bool in_class = false;
	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		if (c == '\\' && i + 1 < n) {
			char e = p[++i];
			/* letters ECMA-262 gives no meaning to (\Z, \A, \z, ...) are
			 * errors in its Unicode mode, not PCRE2's anchors */
			if (((e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z')) && !strchr(ECMA_LETTERS, e)) {
				return NULL;
			}
			if ((e == 'p' || e == 'P') && i + 1 < n && p[i + 1] == '{') {
				const char *close = memchr(p + i + 2, '}', n - i - 2);
				const char *alias = close ? property(p + i + 2, (size_t)(close - p - i - 2)) : NULL;
				if (alias) {
					dbc_buf_appendf(&b, "\\%c{%s}", e, alias);
					i = (size_t)(close - p);
					continue;
				}
			}
			if (e == 's')
				dbc_buf_append(&b, in_class ? ECMA_SPACE : "[" ECMA_SPACE "]");
			else if (e == 'S' && !in_class)
				dbc_buf_append(&b, "[^" ECMA_SPACE "]");
			else {
				dbc_buf_appendc(&b, '\\');
				dbc_buf_appendc(&b, e);
			}
			continue;
		}
		if (c == '.' && !in_class) {
			dbc_buf_append(&b, "[^" ECMA_LINE_END "]");
			continue;
		}
		if (c == '[' && !in_class)
			in_class = true;
		else if (c == ']' && in_class)
			in_class = false;
		dbc_buf_appendc(&b, c);
	}
	return dbc_buf_finish(&b);
}

/* Whether pattern (n bytes) is plain text between an optional ^ and an
 * optional $: no character with a meaning in ECMA-262 (an escaped
 * punctuation character is itself); sets its text and anchors. */
static bool plain_text(js_regex *re, const char *pattern, size_t n, char **text)
{
	re->at_start = n > 0 && pattern[0] == '^';
	size_t from = re->at_start ? 1 : 0, to = n;
	if (to > from && pattern[to - 1] == '$' && (to < 2 || pattern[to - 2] != '\\')) {
		re->at_end = true;
		to--;
	}
	char *out = malloc(to - from + 1);
	size_t len = 0;
	if (!out)
		return false;
	for (size_t i = from; i < to; i++) {
		char c = pattern[i];
		if (c == '\\' && i + 1 < to && strchr("^$\\.|?*+()[]{}/-", pattern[i + 1])) {
			out[len++] = pattern[++i];
			continue;
		}
		if (strchr("^$\\.|?*+()[]{}", c)) {
			free(out);
			return false;
		}
		out[len++] = c;
	}
	out[len] = '\0';
	*text = out;
	re->literal_len = len;
	return true;
}

js_regex *dbc_js_regex_compile(dbc_ctx *ctx, const char *pattern, size_t n, char **why)
{
	*why = NULL;
	char *text = translate(ctx, pattern, n);
	if (!text) {
		if (!ctx->failed)
			*why = dbc_strdup(ctx, "an escape ECMA-262 does not define");
		return NULL;
	}
	js_regex *re = calloc(1, sizeof(js_regex));
	pcre2_compile_context *cctx = pcre2_compile_context_create(NULL);
	if (!re || !cctx) {
		free(re);
		pcre2_compile_context_free(cctx);
		dbc_error(ctx, DBC_SQLSTATE_OUT_OF_MEMORY, "out of memory");
		return NULL;
	}
	pcre2_set_compile_extra_options(cctx, PCRE2_EXTRA_ALT_BSUX);
	int code;
	PCRE2_SIZE offset;
	re->code =
	    pcre2_compile((PCRE2_SPTR)text, strlen(text),
	                  PCRE2_UTF | PCRE2_ALT_BSUX | PCRE2_DOLLAR_ENDONLY | PCRE2_ALLOW_EMPTY_CLASS,
	                  &code, &offset, cctx);
	pcre2_compile_context_free(cctx);
	if (!re->code) {
		PCRE2_UCHAR msg[256];
		pcre2_get_error_message(code, msg, sizeof msg);
		*why = dbc_printf(ctx, "%s", (char *)msg);
		free(re);
		return NULL;
	}
	/* JIT when the platform has it (it also honours the match limit);
	 * the interpreter otherwise */
	re->jit = pcre2_jit_compile(re->code, PCRE2_JIT_COMPLETE) == 0;
	re->match = pcre2_match_data_create_from_pattern(re->code, NULL);
	re->mctx = pcre2_match_context_create(NULL);
	if (!re->match || !re->mctx) {
		dbc_js_regex_free(re);
		dbc_error(ctx, DBC_SQLSTATE_OUT_OF_MEMORY, "out of memory");
		return NULL;
	}
	pcre2_set_depth_limit(re->mctx, JS_REGEX_DEPTH_LIMIT);
	char *literal = NULL;
	if (plain_text(re, pattern, n, &literal))
		re->literal = literal;
	return re;
}

void dbc_js_regex_free(js_regex *re)
{
	if (!re)
		return;
	pcre2_match_data_free(re->match);
	pcre2_match_context_free(re->mctx);
	pcre2_code_free(re->code);
	free((char *)re->literal);
	free(re);
}

bool dbc_js_regex_literal(const js_regex *re)
{
	return re->literal != NULL;
}

int dbc_js_regex_first_byte(const js_regex *re)
{
	return re->literal && re->at_start && re->literal_len ? (unsigned char)re->literal[0] : -1;
}

/* The search of a plain-text pattern: a prefix, a suffix, the whole string
 * or anywhere in it. */
static int literal_search(const js_regex *re, const char *s, size_t n)
{
	size_t k = re->literal_len;
	if (k > n)
		return 0;
	if (re->at_start && re->at_end)
		return k == n && memcmp(s, re->literal, k) == 0;
	if (re->at_start)
		return memcmp(s, re->literal, k) == 0;
	if (re->at_end)
		return memcmp(s + n - k, re->literal, k) == 0;
	for (size_t at = 0; at + k <= n; at++)
		if (memcmp(s + at, re->literal, k) == 0)
			return 1;
	return 0;
}

static int over_budget(dbc_ctx *ctx, const js_path *where)
{
	char *at = dbc_js_path_pointer(ctx, where);
	dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
	          "the regular expressions of the schema took more than %d steps on one document "
	          "(the pattern at #%s was running)",
	          DBC_JS_MAX_REGEX_STEPS, at ? at : "");
	dbc_error_hint(ctx,
	               "Simplify the pattern (nested quantifiers such as (a+)+ backtrack), "
	               "or split the document: its matches longer than %d steps share one "
	               "budget (each match alone may take %d).",
	               JS_REGEX_FREE_STEPS, JS_REGEX_MATCH_LIMIT);
	return -1;
}

/* One match, tried with a limit that grows until the match ends, the
 * per-match limit or the document's budget is reached (PCRE2 reports no
 * count of the steps a match took, only that it hit its limit). A try that
 * hits its limit spent exactly that many steps, and the try that ends
 * needed more than the limit before it: *spent counts both, never more
 * than ran, and at least about 1/JS_REGEX_GROWTH of what ran beyond the
 * free first try. */
static int match_counted(js_regex *re, const char *s, size_t n, uint64_t *spent, bool *budget_out)
{
	uint64_t limit = JS_REGEX_FREE_STEPS, before = 0;
	*budget_out = false;
	for (;;) {
		uint64_t left = DBC_JS_MAX_REGEX_STEPS > *spent ? DBC_JS_MAX_REGEX_STEPS - *spent : 0;
		bool capped = before > 0 && limit > left; /* the first try is free */
		uint64_t run = capped ? left : limit;
		if (run == 0) {
			*budget_out = true;
			return PCRE2_ERROR_MATCHLIMIT;
		}
		pcre2_set_match_limit(re->mctx, (uint32_t)run);
		int rc = re->jit ? pcre2_jit_match(re->code, (PCRE2_SPTR)s, n, 0, 0, re->match, re->mctx)
		                 : pcre2_match(re->code, (PCRE2_SPTR)s, n, 0, 0, re->match, re->mctx);
		if (rc != PCRE2_ERROR_MATCHLIMIT) {
			*spent += before; /* it needed more than the last limit it hit */
			return rc;
		}
		if (before > 0)
			*spent += run; /* a counted try spent its whole limit */
		if (capped) {
			*budget_out = true;
			return rc;
		}
		if (limit >= JS_REGEX_MATCH_LIMIT)
			return rc;
		before = limit;
		limit = limit * JS_REGEX_GROWTH < JS_REGEX_MATCH_LIMIT ? limit * JS_REGEX_GROWTH
		                                                       : JS_REGEX_MATCH_LIMIT;
	}
}

int dbc_js_regex_search(dbc_ctx *ctx, js_regex *re, const char *s, size_t n, uint64_t *spent,
                        const struct js_path *where)
{
	if (re->literal)
		return literal_search(re, s, n);
	bool budget;
	int rc = match_counted(re, s, n, spent, &budget);
	if (rc >= 0)
		return 1;
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	if (budget)
		return over_budget(ctx, where);
	if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
	    rc == PCRE2_ERROR_HEAPLIMIT) {
		dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		          "a regular expression of the schema took too many steps on a string of %zu bytes",
		          n);
		dbc_error_hint(ctx, "Simplify the pattern: nested quantifiers such as (a+)+ backtrack "
		                    "exponentially.");
		return -1;
	}
	PCRE2_UCHAR msg[256];
	pcre2_get_error_message(rc, msg, sizeof msg);
	dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "regular expression match failed: %s", (char *)msg);
	return -1;
}
