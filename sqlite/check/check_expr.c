/*
 * check_expr.c — may dbcare evaluate an expression read from the schema (a
 * CHECK constraint) in a statement of its own? That statement runs at top
 * level, where neither SQLITE_DIRECTONLY, PRAGMA trusted_schema = OFF nor a
 * read-only open limit what it calls: a hostile file could make dbcare call
 * any application function, or the shell's sha3_query() that runs any SQL.
 *
 * The rule is an allow-list, so nothing unforeseen gets through: every
 * function the expression calls, however SQLite's tokenizer lets it be
 * spelled (quoted, bracketed, a comment before its "("; the operators LIKE,
 * GLOB, REGEXP, MATCH, -> and ->> call functions by name too), must be one of
 * SQLite's own built-in functions without side effects, AND its live
 * definition on this connection must be SQLite's (PRAGMA function_list:
 * a row with builtin = 1 and none with builtin = 0, since an application
 * function of the same name would win). A subquery or "IN <table>" reads
 * tables, possibly an application's virtual table, and is refused as well.
 * Whatever is refused is reported as not checked, with the reason.
 */
#include "sqlite/host/glue.h"
#include "schema/ddl_lex.h"

#include <string.h>

/* SQLite's built-in scalar functions that only compute a value from their
 * arguments: no side effect, no reading of the database or the connection
 * (so not changes(), last_insert_rowid(), load_extension(), random() ...).
 * Names this SQLite lacks are harmless here: the runtime check refuses them. */
static const char *const pure_builtins[] = {
    "->",           "->>",          "abs",          "acos",
    "acosh",        "asin",         "asinh",        "atan",
    "atan2",        "atanh",        "ceil",         "ceiling",
    "char",         "coalesce",     "concat",       "concat_ws",
    "cos",          "cosh",         "date",         "datetime",
    "degrees",      "exp",          "floor",        "format",
    "glob",         "hex",          "ifnull",       "iif",
    "instr",        "json",         "json_array",   "json_array_length",
    "json_extract", "json_insert",  "json_object",  "json_patch",
    "json_quote",   "json_remove",  "json_replace", "json_set",
    "json_type",    "json_valid",   "julianday",    "length",
    "like",         "likelihood",   "likely",       "ln",
    "log",          "log10",        "log2",         "lower",
    "ltrim",        "max",          "min",          "mod",
    "nullif",       "octet_length", "pi",           "pow",
    "power",        "printf",       "quote",        "radians",
    "replace",      "round",        "rtrim",        "sign",
    "sin",          "sinh",         "sqrt",         "strftime",
    "substr",       "substring",    "tan",          "tanh",
    "time",         "trim",         "trunc",        "typeof",
    "unhex",        "unicode",      "unixepoch",    "unlikely",
    "upper",        "zeroblob"};

/* dbcare's own validators, which this module registered on this
 * connection: pure (a registered schema's name only reads dbcare's
 * registry), and a CHECK of a file is where they are meant to stand. Their
 * definition is the module's (PRAGMA function_list cannot tell it from an
 * application's: an application that registered a function of the same
 * name on purpose answers for it). */
static const char *const module_pure[] = {"dbjson_valid", "dbjson_assert"};

/* Words after which "(" opens an operand, not an argument list: reserved
 * words SQLite never reads as a name there. Any other word before "(" is
 * taken as a call -- at worst a refusal too many, never a call missed. */
static const char *const operand_keywords[] = {"and",  "between", "case",   "cast", "distinct",
                                               "else", "escape",  "exists", "in",   "is",
                                               "not",  "or",      "then",   "when"};

/* Operators that call the function of the same name. */
static const char *const operator_calls[] = {"like", "glob", "regexp", "match"};

/* Words that start reading tables: never in a CHECK SQLite accepts. */
static const char *const subquery_words[] = {"select", "values", "from"};

/* Keywords SQLite turns into calls without parentheses. */
static const char *const time_keywords[] = {"current_date", "current_time", "current_timestamp"};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* SQLite compares function names without regard to ASCII case only. */
static bool same_name(const char *a, size_t alen, const char *b)
{
	if (alen != strlen(b))
		return false;
	for (size_t i = 0; i < alen; i++) {
		unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
		if (x >= 'A' && x <= 'Z')
			x = (unsigned char)(x + 32);
		if (y >= 'A' && y <= 'Z')
			y = (unsigned char)(y + 32);
		if (x != y)
			return false;
	}
	return true;
}

static bool in_list(const char *name, size_t len, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (same_name(name, len, list[i]))
			return true;
	return false;
}

static bool next_is_paren(const char *p)
{
	dbc_token t = dbc_lex_next(&p);
	return dbc_lex_is_punct(t, '(');
}

/* The functions one expression calls, and the first thing that refuses it
 * outright. */
typedef struct expr_calls {
	dbc_strlist names;
	char *refusal;
} expr_calls;

static int add_call(dbc_ctx *ctx, expr_calls *c, const char *name, size_t len)
{
	for (int i = 0; i < c->names.n; i++)
		if (same_name(name, len, c->names.items[i]))
			return DBC_OK;
	char *copy = dbc_strndup(ctx, name, len);
	if (!copy)
		return DBC_ERROR;
	for (char *q = copy; *q; q++) /* shown as SQLite names them: LIKE calls like() */
		if (*q >= 'A' && *q <= 'Z')
			*q = (char)(*q + 32);
	return dbc_strlist_add(ctx, &c->names, copy);
}

static int find_calls(dbc_ctx *ctx, const char *expr, expr_calls *c)
{
	const char *p = expr;
	dbc_token prev = {TK_END, expr, 0};
	for (;;) {
		dbc_token t = dbc_lex_next(&p);
		bool after_distinct = dbc_lex_is_word(prev, "distinct"); /* IS [NOT] DISTINCT FROM */
		prev = t;
		if (t.kind == TK_END)
			return DBC_OK;
		if (t.kind == TK_WORD) {
			if (in_list(t.start, t.len, subquery_words, COUNT(subquery_words)) &&
			    !(after_distinct && same_name(t.start, t.len, "from"))) {
				c->refusal = dbc_printf(ctx, "it contains a subquery (%.*s)", (int)t.len, t.start);
				return c->refusal ? DBC_OK : DBC_ERROR;
			}
			if (same_name(t.start, t.len, "in") && !next_is_paren(p)) {
				c->refusal = dbc_strdup(ctx, "it reads a table (IN without a parenthesised list)");
				return c->refusal ? DBC_OK : DBC_ERROR;
			}
			bool call = in_list(t.start, t.len, operator_calls, COUNT(operator_calls)) ||
			            in_list(t.start, t.len, time_keywords, COUNT(time_keywords)) ||
			            (next_is_paren(p) &&
			             !in_list(t.start, t.len, operand_keywords, COUNT(operand_keywords)));
			if (call && add_call(ctx, c, t.start, t.len) != DBC_OK)
				return DBC_ERROR;
		} else if ((t.kind == TK_QIDENT || t.kind == TK_STRING) && next_is_paren(p)) {
			char *name = dbc_lex_ident(ctx, t);
			if (!name || add_call(ctx, c, name, strlen(name)) != DBC_OK)
				return DBC_ERROR;
		} else if (t.kind == TK_OTHER && t.start[0] == '-' && t.start[1] == '>') {
			bool two = t.start[2] == '>';
			p = t.start + (two ? 3 : 2);
			if (add_call(ctx, c, two ? "->>" : "->", two ? 3 : 2) != DBC_OK)
				return DBC_ERROR;
		}
	}
}

/* Per called name: whether this connection has SQLite's own definition of
 * it, and whether an application function of that name exists. */
typedef struct live_defs {
	const dbc_strlist *names;
	bool *builtin;
	bool *app;
} live_defs;

static int on_function_row(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *cols)
{
	live_defs *d = arg;
	(void)ctx;
	/* PRAGMA function_list: name, builtin, type, enc, narg, flags */
	if (ncol < 2 || cols[0].type != DBC_TEXT)
		return DBC_OK;
	for (int i = 0; i < d->names->n; i++) {
		if (!same_name(cols[0].s, strlen(cols[0].s), d->names->items[i]))
			continue;
		if (cols[1].type == DBC_INT && cols[1].i == 1)
			d->builtin[i] = true;
		else
			d->app[i] = true;
	}
	return DBC_OK;
}

int sqldbc_schema_expr_allowed(dbc_ctx *ctx, const char *expr, char **why_not)
{
	expr_calls c = {0};
	*why_not = NULL;
	if (find_calls(ctx, expr, &c) != DBC_OK)
		return DBC_ERROR;
	if (c.refusal) {
		*why_not = c.refusal;
		return DBC_OK;
	}
	for (int i = 0; i < c.names.n; i++) {
		const char *n = c.names.items[i];
		if (!in_list(n, strlen(n), pure_builtins, COUNT(pure_builtins)) &&
		    !in_list(n, strlen(n), module_pure, COUNT(module_pure))) {
			*why_not = dbc_printf(ctx,
			                      "it calls %s(), which is not one of the SQLite built-in "
			                      "functions dbcare evaluates",
			                      dbc_excerpt(ctx, n, DBC_EXCERPT));
			return *why_not ? DBC_OK : DBC_ERROR;
		}
	}
	if (c.names.n == 0)
		return DBC_OK;
	/* The names are SQLite's; now the definitions this connection would
	 * call. A PRAGMA, not pragma_function_list: no module can stand in. */
	live_defs d = {&c.names, dbc_zalloc(ctx, sizeof(bool) * (size_t)c.names.n),
	               dbc_zalloc(ctx, sizeof(bool) * (size_t)c.names.n)};
	if (!d.builtin || !d.app ||
	    ctx->host->query(ctx, "PRAGMA function_list", 0, NULL, on_function_row, &d) != DBC_OK)
		return DBC_ERROR;
	for (int i = 0; i < c.names.n; i++) {
		const char *n = c.names.items[i];
		if (in_list(n, strlen(n), module_pure, COUNT(module_pure)))
			continue;
		if (d.app[i])
			*why_not = dbc_printf(ctx,
			                      "it calls %s(), which an application function replaces on this "
			                      "connection",
			                      n);
		else if (!d.builtin[i])
			*why_not = dbc_printf(ctx, "it calls %s(), which this SQLite does not provide", n);
		if (*why_not || ctx->failed)
			return ctx->failed ? DBC_ERROR : DBC_OK;
	}
	return DBC_OK;
}
