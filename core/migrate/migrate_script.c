/*
 * migrate_script.c — a small SQL lexer, just enough to split a script into
 * statements (skipping comments, strings, quoted identifiers, dollar quotes,
 * trigger and BEGIN ATOMIC bodies) and to spot transaction control at the
 * start of a statement. It never judges SQL validity: the engine does that.
 */
#include "migrate/migrate_script.h"
#include "migrate/migrate_model.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define MAX_WORDS 8

/* the characters of a word kept (its first ones: enough for keywords) */
#define WORD_CHARS 47

typedef struct {
	char text[WORD_CHARS + 1];
	bool quoted;
} word;

typedef struct {
	bool pg;
	const char *s;
	size_t pos;
	int line;
} lexer;

static bool ident_start(unsigned char c)
{
	return isalpha(c) || c == '_' || c >= 0x80;
}

static bool ident_char(unsigned char c)
{
	return isalnum(c) || c == '_' || c == '$' || c >= 0x80;
}

/* Advances over the text [pos, to) counting newlines. */
static void advance_to(lexer *lx, size_t to)
{
	for (size_t i = lx->pos; i < to && lx->s[i]; i++)
		if (lx->s[i] == '\n')
			lx->line++;
	lx->pos = to;
}

/* Position after a quoted run opened at pos by q (doubling q escapes it; with
 * backslash, \x escapes too). Unterminated runs end at the end of the text. */
static size_t skip_quoted(const char *s, size_t pos, char q, bool backslash, bool *open)
{
	size_t i = pos + 1;
	while (s[i]) {
		if (backslash && s[i] == '\\' && s[i + 1]) {
			i += 2;
			continue;
		}
		if (s[i] == q) {
			if (s[i + 1] == q) {
				i += 2;
				continue;
			}
			return i + 1;
		}
		i++;
	}
	*open = true;
	return i;
}

/* PostgreSQL dollar quote at pos: returns the end of the quoted body, or 0 when
 * pos does not open one ("$1" is a parameter, "a$b" an identifier). */
static size_t skip_dollar(const char *s, size_t pos, bool *open)
{
	size_t i = pos + 1;
	if (s[i] != '$') {
		if (!ident_start((unsigned char)s[i]) || s[i] == '$')
			return 0;
		while (s[i] && s[i] != '$' &&
		       (isalnum((unsigned char)s[i]) || s[i] == '_' || (unsigned char)s[i] >= 0x80))
			i++;
		if (s[i] != '$')
			return 0;
	}
	size_t taglen = i - pos + 1; /* "$tag$" */
	const char *body = s + i + 1;
	const char *end = body;
	while ((end = strchr(end, '$')) != NULL) {
		if (strncmp(end, s + pos, taglen) == 0)
			return (size_t)(end - s) + taglen;
		end++;
	}
	*open = true;
	return strlen(s);
}

static size_t skip_block_comment(const char *s, size_t pos, bool nested, bool *open)
{
	size_t i = pos + 2;
	int depth = 1;
	while (s[i]) {
		if (s[i] == '*' && s[i + 1] == '/') {
			i += 2;
			if (--depth == 0)
				return i;
			continue;
		}
		if (nested && s[i] == '/' && s[i + 1] == '*') {
			depth++;
			i += 2;
			continue;
		}
		i++;
	}
	*open = true;
	return i;
}

static bool kw(const word *w, int n, int i, const char *k)
{
	return i < n && !w[i].quoted && strcasecmp(w[i].text, k) == 0;
}

/* The unquoted word src[0..len) is the keyword k (k in capitals). */
static bool word_is(const char *src, size_t len, const char *k)
{
	size_t i = 0;
	for (; i < len && k[i]; i++)
		if ((src[i] & ~0x20) != k[i])
			return false;
	return i == len && !k[i];
}

bool dbc_script_is_no_transaction(const char *script)
{
	const char *p = script;
	if ((unsigned char)p[0] == 0xEF && (unsigned char)p[1] == 0xBB && (unsigned char)p[2] == 0xBF)
		p += 3;
	while (*p == ' ' || *p == '\t')
		p++;
	if (strncmp(p, "--", 2) != 0)
		return false;
	p += 2;
	while (*p == ' ' || *p == '\t')
		p++;
	static const char marker[] = "dbcare:no-transaction";
	if (strncasecmp(p, marker, sizeof(marker) - 1) != 0)
		return false;
	p += sizeof(marker) - 1;
	while (*p == ' ' || *p == '\t')
		p++;
	return *p == '\0' || *p == '\n' || *p == '\r';
}

typedef struct {
	dbc_ctx *ctx;
	dbc_script_info *info;
	bool pg;           /* the psql grammar (DBC_GRAMMAR_PSQL), else the sqlite3 one */
	char **savepoints; /* names the script created itself (SQLite) */
	int nsavepoints;
	int capsavepoints;
} classify_state;

static void set_problem(classify_state *st, dbc_stmt_problem p, int line, const char *what)
{
	if (st->info->problem != DBC_STMT_OK)
		return;
	st->info->problem = p;
	st->info->problem_line = line;
	st->info->problem_what = dbc_strdup(st->ctx, what);
}

static bool own_savepoint(classify_state *st, const char *name)
{
	for (int i = 0; i < st->nsavepoints; i++)
		if (strcasecmp(st->savepoints[i], name) == 0)
			return true;
	return false;
}

static void classify(classify_state *st, const word *w, int n, bool concurrently, int line)
{
	if (n == 0)
		return;
	const char *k0 = w[0].quoted ? "" : w[0].text;
	char what[128];
	if (kw(w, n, 0, "BEGIN") || kw(w, n, 0, "COMMIT") || kw(w, n, 0, "END") ||
	    (st->pg && kw(w, n, 0, "ABORT")) || (kw(w, n, 0, "START") && kw(w, n, 1, "TRANSACTION")) ||
	    (st->pg && kw(w, n, 0, "PREPARE") && kw(w, n, 1, "TRANSACTION"))) {
		snprintf(what, sizeof(what), "%.*s", WORD_CHARS, k0);
		for (char *c = what; *c; c++)
			*c = (char)toupper((unsigned char)*c);
		set_problem(st, DBC_STMT_TX_CONTROL, line, what);
		return;
	}
	if (kw(w, n, 0, "ROLLBACK")) {
		int i = 1;
		if (kw(w, n, i, "TRANSACTION") || kw(w, n, i, "WORK"))
			i++;
		if (!kw(w, n, i, "TO")) {
			set_problem(st, DBC_STMT_TX_CONTROL, line, "ROLLBACK");
			return;
		}
		i++;
		if (kw(w, n, i, "SAVEPOINT"))
			i++;
		const char *name = i < n ? w[i].text : "";
		if (st->pg) {
			set_problem(st, DBC_STMT_SAVEPOINT, line, "ROLLBACK TO SAVEPOINT");
		} else if (!own_savepoint(st, name)) {
			snprintf(what, sizeof(what), "ROLLBACK TO %s", name);
			set_problem(st, DBC_STMT_TX_CONTROL, line, what);
		}
		return;
	}
	if (kw(w, n, 0, "SAVEPOINT")) {
		if (st->pg) {
			set_problem(st, DBC_STMT_SAVEPOINT, line, "SAVEPOINT");
			return;
		}
		if (n > 1) {
			if (dbc_grow(st->ctx, &st->savepoints, st->nsavepoints, &st->capsavepoints,
			             sizeof(char *), 8) != DBC_OK)
				return;
			st->savepoints[st->nsavepoints++] = dbc_strdup(st->ctx, w[1].text);
		}
		return;
	}
	if (kw(w, n, 0, "RELEASE")) {
		int i = kw(w, n, 1, "SAVEPOINT") ? 2 : 1;
		const char *name = i < n ? w[i].text : "";
		if (st->pg) {
			set_problem(st, DBC_STMT_SAVEPOINT, line, "RELEASE SAVEPOINT");
		} else if (!own_savepoint(st, name)) {
			snprintf(what, sizeof(what), "RELEASE %s", name);
			set_problem(st, DBC_STMT_TX_CONTROL, line, what);
		}
		return;
	}
	if (kw(w, n, 0, "VACUUM")) {
		set_problem(st, DBC_STMT_NEEDS_NO_TX, line, "VACUUM");
		return;
	}
	if (!st->pg)
		return;
	if ((kw(w, n, 0, "CREATE") || kw(w, n, 0, "DROP")) &&
	    (kw(w, n, 1, "DATABASE") || kw(w, n, 1, "TABLESPACE"))) {
		snprintf(what, sizeof(what), "%.*s %.*s", WORD_CHARS, k0, WORD_CHARS, w[1].text);
		set_problem(st, DBC_STMT_NEEDS_NO_TX, line, what);
		return;
	}
	if (kw(w, n, 0, "ALTER") && kw(w, n, 1, "SYSTEM")) {
		set_problem(st, DBC_STMT_NEEDS_NO_TX, line, "ALTER SYSTEM");
		return;
	}
	if (concurrently && !kw(w, n, 0, "REFRESH")) {
		const char *verb = kw(w, n, 0, "CREATE")    ? "CREATE INDEX CONCURRENTLY"
		                   : kw(w, n, 0, "DROP")    ? "DROP INDEX CONCURRENTLY"
		                   : kw(w, n, 0, "REINDEX") ? "REINDEX CONCURRENTLY"
		                                            : "CONCURRENTLY";
		set_problem(st, DBC_STMT_NEEDS_NO_TX, line, verb);
	}
}

/* SQLite's ROLLBACK conflict resolution ends the whole transaction, the
 * caller's and dbcare's savepoints with it, so it cannot run inside a
 * migration: INSERT OR ROLLBACK, UPDATE OR ROLLBACK, ON CONFLICT ROLLBACK on
 * a constraint, RAISE(ROLLBACK, ...) in a trigger body. Strings and comments
 * never reach here (the lexer skipped them), quoted identifiers are no words. */
static void note_rollback(classify_state *st, char *back1, char *back2, const char *tok, size_t len,
                          bool word_tok, int line)
{
	char cur[16] = "";
	if (word_tok && len < sizeof(cur)) {
		memcpy(cur, tok, len);
		cur[len] = '\0';
	} else if (len == 1 && tok[0] == '(')
		strcpy(cur, "(");
	if (word_tok && word_is(tok, len, "ROLLBACK")) {
		const char *what = NULL;
		if (strcasecmp(back1, "OR") == 0 && strcasecmp(back2, "INSERT") == 0)
			what = "INSERT OR ROLLBACK";
		else if (strcasecmp(back1, "OR") == 0 && strcasecmp(back2, "UPDATE") == 0)
			what = "UPDATE OR ROLLBACK";
		else if (strcasecmp(back1, "CONFLICT") == 0 && strcasecmp(back2, "ON") == 0)
			what = "ON CONFLICT ROLLBACK";
		else if (strcmp(back1, "(") == 0 && strcasecmp(back2, "RAISE") == 0)
			what = "RAISE(ROLLBACK, ...)";
		if (what)
			set_problem(st, DBC_STMT_TX_ROLLBACK, line, what);
	}
	memcpy(back2, back1, 16);
	memcpy(back1, cur, 16);
}

static int add_stmt(dbc_ctx *ctx, dbc_script_info *info, int *cap, const char *text, size_t len,
                    int line)
{
	if (dbc_grow(ctx, &info->stmts, info->nstmts, cap, sizeof(dbc_stmt), 16) != DBC_OK)
		return DBC_ERROR;
	info->stmts[info->nstmts++] = (dbc_stmt){text, len, line};
	return DBC_OK;
}

/* Where each token and comment starts, in order: two readings of a script
 * lex it alike exactly when these agree. */
typedef struct lex_marks {
	size_t *at;
	int n, cap;
} lex_marks;

static int mark(dbc_ctx *ctx, lex_marks *m, size_t pos)
{
	if (!m)
		return DBC_OK;
	if (dbc_grow(ctx, &m->at, m->n, &m->cap, sizeof(*m->at), 64) != DBC_OK)
		return DBC_ERROR;
	m->at[m->n++] = pos;
	return DBC_OK;
}

/* plain_escapes: read '...' with backslash escapes, as psql does while
 * standard_conforming_strings is off. marks (or NULL) gets where every
 * token and comment starts. */
/* "${name}" at p, outside strings and comments: the first one is kept. */
static int note_placeholder(dbc_ctx *ctx, dbc_script_info *out, const char *p, int line)
{
	size_t n = 2;
	while (n < 64 && p[n] && p[n] != '}' && p[n] != '\n')
		n++;
	if (p[n] == '}')
		n++;
	out->placeholder_line = line;
	out->placeholder = dbc_strndup(ctx, p, n);
	return out->placeholder ? DBC_OK : DBC_ERROR;
}

/* What the scan of one statement keeps until its ';'. */
typedef struct stmt_scan {
	word w[MAX_WORDS];
	int nw, ntokens, paren, case_depth, line;
	size_t start;
	bool in_body, trigger, concurrently, prev_begin;
	/* the two significant tokens before this one (unquoted words, or "("):
	 * enough to spot SQLite's conflict resolution ROLLBACK */
	char back1[16], back2[16];
} stmt_scan;

/* One significant token: [start, end) of the script, and whether it is a
 * word (a quoted name included). */
typedef struct token {
	size_t start, end;
	int line;
	bool is_word, quoted;
} token;

/* Where the token starting at t->start ends, and what it is; a '(' or ')'
 * counted in ss, a ${placeholder} noted. *open: a string, quoted name or
 * comment is still open at the end of the text. */
static int scan_token(classify_state *st, stmt_scan *ss, const char *s, token *t,
                      bool plain_escapes, bool *open)
{
	size_t tok = t->start, end;
	unsigned char c = (unsigned char)s[tok];
	t->is_word = t->quoted = false;
	if (c == '\'') {
		end = skip_quoted(s, tok, '\'', plain_escapes, open);
	} else if (c == '"') {
		end = skip_quoted(s, tok, '"', false, open);
		t->is_word = t->quoted = true;
	} else if (!st->pg && c == '`') {
		end = skip_quoted(s, tok, '`', false, open);
		t->is_word = t->quoted = true;
	} else if (!st->pg && c == '[') {
		const char *close = strchr(s + tok, ']');
		end = close ? (size_t)(close - s) + 1 : strlen(s);
		*open = *open || !close;
		t->is_word = t->quoted = true;
	} else if (st->pg && c == '$' && (end = skip_dollar(s, tok, open)) != 0) {
		/* dollar-quoted body */
	} else if (ident_start(c)) {
		end = tok + 1;
		while (ident_char((unsigned char)s[end]))
			end++;
		/* E'...' escape strings (PostgreSQL) and X'..' blobs */
		if (s[end] == '\'' && end - tok == 1) {
			bool esc = st->pg && (c == 'E' || c == 'e');
			end = skip_quoted(s, end, '\'', esc, open);
		} else if (st->pg && s[end] == '\'' && end - tok == 2 && (c == 'U' || c == 'u') &&
		           s[tok + 1] == '&') {
			end = skip_quoted(s, end, '\'', false, open);
		} else
			t->is_word = true;
		/* prefix_${name}: the identifier ends with the placeholder's '$' */
		if (t->is_word && s[end - 1] == '$' && s[end] == '{' && !st->info->placeholder_line &&
		    note_placeholder(st->ctx, st->info, s + end - 1, t->line) != DBC_OK)
			return DBC_ERROR;
	} else {
		end = tok + 1;
		if (c == '(')
			ss->paren++;
		else if (c == ')')
			ss->paren--;
		else if (c == '$' && s[tok + 1] == '{' && !st->info->placeholder_line &&
		         note_placeholder(st->ctx, st->info, s + tok, t->line) != DBC_OK)
			return DBC_ERROR;
	}
	t->end = end;
	return DBC_OK;
}

/* An unquoted word of the statement: the blocks whose ';' do not end it
 * (a SQLite trigger's BEGIN ... END, PostgreSQL's BEGIN ATOMIC), COPY
 * from or to the client, CONCURRENTLY. */
static void note_keyword(classify_state *st, stmt_scan *ss, const char *src, size_t len)
{
	const word *w = ss->w;
	int nw = ss->nw;
	bool begin = ss->ntokens > 1 && word_is(src, len, "BEGIN");
	if (!st->pg && word_is(src, len, "TRIGGER") && kw(w, nw, 0, "CREATE") &&
	    (nw == 2 || (nw == 3 && (kw(w, nw, 1, "TEMP") || kw(w, nw, 1, "TEMPORARY")))))
		ss->trigger = true;
	if (word_is(src, len, "CONCURRENTLY"))
		ss->concurrently = true;
	if (st->pg && !st->info->copy_line && kw(w, nw, 0, "COPY") &&
	    (word_is(src, len, "STDIN") || word_is(src, len, "STDOUT"))) {
		st->info->copy_line = ss->line;
		st->info->copy_in = word_is(src, len, "STDIN");
	}
	if (ss->in_body) {
		if (word_is(src, len, "CASE"))
			ss->case_depth++;
		else if (word_is(src, len, "END")) {
			if (ss->case_depth > 0)
				ss->case_depth--;
			else
				ss->in_body = false;
		}
	} else if ((begin && ss->trigger) ||
	           (st->pg && ss->prev_begin && word_is(src, len, "ATOMIC"))) {
		ss->in_body = true;
		ss->case_depth = 0;
	}
	ss->prev_begin = begin;
}

/* A word token: kept (its first characters) among the statement's words,
 * an unquoted one read as a keyword. */
static void take_word(classify_state *st, stmt_scan *ss, const char *s, const token *t)
{
	size_t len = t->end - t->start;
	const char *src = s + t->start;
	if (t->quoted) {
		src++;
		len = len >= 2 ? len - 2 : 0;
	}
	if (ss->nw < MAX_WORDS) {
		word *cur = &ss->w[ss->nw++];
		size_t n = len < sizeof(cur->text) ? len : sizeof(cur->text) - 1;
		memcpy(cur->text, src, n);
		cur->text[n] = '\0';
		cur->quoted = t->quoted;
	}
	if (!t->quoted)
		note_keyword(st, ss, src, len);
	else
		ss->prev_begin = false;
}

/* The statement ends, at its ';' (at_semicolon) or at the script's end:
 * classified and, when it holds more than a ';', added to the list. */
static int end_statement(classify_state *st, stmt_scan *ss, int *cap, const char *s, size_t end,
                         bool at_semicolon)
{
	classify(st, ss->w, ss->nw, ss->concurrently, ss->line);
	bool only_semicolon = at_semicolon && ss->ntokens == 1;
	if (!only_semicolon &&
	    add_stmt(st->ctx, st->info, cap, s + ss->start, end - ss->start, ss->line) != DBC_OK)
		return DBC_ERROR;
	*ss = (stmt_scan){0};
	return DBC_OK;
}

static int analyse(dbc_ctx *ctx, const dbc_dialect *d, const char *script, dbc_script_info *out,
                   bool plain_escapes, lex_marks *marks)
{
	memset(out, 0, sizeof(*out));
	out->no_transaction = dbc_script_is_no_transaction(script);
	out->ends_with_semicolon = true;
	classify_state st = {ctx, out, d->script_grammar == DBC_GRAMMAR_PSQL, NULL, 0, 0};
	lexer lx = {st.pg, script, 0, 1};
	const char *s = script;
	int cap = 0;
	stmt_scan ss = {0};
	/* a string, quoted name or comment still open at the end of the text,
	 * and the line where the last token or comment started */
	bool open = false;
	int last_line = 1;

	for (unsigned char c; (c = (unsigned char)s[lx.pos]) != '\0';) {
		if (isspace(c)) {
			lx.line += c == '\n';
			lx.pos++;
			continue;
		}
		bool line_comment = c == '-' && s[lx.pos + 1] == '-';
		bool block_comment = c == '/' && s[lx.pos + 1] == '*';
		if (mark(ctx, marks, lx.pos) != DBC_OK)
			return DBC_ERROR;
		if (line_comment) {
			const char *nl = strchr(s + lx.pos, '\n');
			advance_to(&lx, nl ? (size_t)(nl - s) : strlen(s));
			continue;
		}
		last_line = lx.line;
		if (block_comment) {
			advance_to(&lx, skip_block_comment(s, lx.pos, st.pg, &open));
			continue;
		}
		/* a significant token starts here */
		token t = {.start = lx.pos, .line = lx.line};
		if (!out->shell_line &&
		    (st.pg ? c == '\\' : c == '.' && (t.start == 0 || s[t.start - 1] == '\n')))
			out->shell_line = t.line;
		if (ss.ntokens++ == 0) {
			ss.start = t.start;
			ss.line = t.line;
		}
		out->ends_with_semicolon = false;
		if (c == ';' && ss.paren <= 0 && !ss.in_body) {
			advance_to(&lx, t.start + 1);
			if (end_statement(&st, &ss, &cap, s, t.start + 1, true) != DBC_OK)
				return DBC_ERROR;
			out->ends_with_semicolon = true;
			continue;
		}
		if (scan_token(&st, &ss, s, &t, plain_escapes, &open) != DBC_OK)
			return DBC_ERROR;
		if (t.is_word)
			take_word(&st, &ss, s, &t);
		else
			ss.prev_begin = false;
		if (!st.pg)
			note_rollback(&st, ss.back1, ss.back2, s + t.start, t.end - t.start,
			              t.is_word && !t.quoted, t.line);
		if (t.is_word && !t.quoted)
			lx.pos = t.end; /* a bare word holds no newline */
		else
			advance_to(&lx, t.end);
	}
	if (open)
		out->open_line = last_line;
	if (ss.ntokens > 0 && end_statement(&st, &ss, &cap, s, strlen(s), false) != DBC_OK)
		return DBC_ERROR;
	return ctx->failed ? DBC_ERROR : DBC_OK;
}

int dbc_script_analyse(dbc_ctx *ctx, const dbc_dialect *d, const char *script, dbc_script_info *out)
{
	lex_marks on = {0}, off = {0};
	bool psql = d->script_grammar == DBC_GRAMMAR_PSQL && strchr(script, '\\');
	if (analyse(ctx, d, script, out, false, psql ? &on : NULL) != DBC_OK)
		return DBC_ERROR;
	/* psql reads '...' with backslash escapes while standard_conforming_strings
	 * is off (a SET in the script, or the database's or the role's setting),
	 * and follows every change of it as it runs the script, line by line: a
	 * backslash inside a string under one reading can stand outside every
	 * string under another, where psql runs it as a meta-command. When both
	 * readings lex the script alike (every token and comment starts at the
	 * same place, so at every line start both are in the same state), any
	 * mixture of them psql may follow lexes it alike too; otherwise the
	 * script is refused at the first line where they part. */
	if (psql && !out->shell_line) {
		dbc_script_info other;
		if (analyse(ctx, d, script, &other, true, &off) != DBC_OK)
			return DBC_ERROR;
		int i = 0;
		while (i < on.n && i < off.n && on.at[i] == off.at[i])
			i++;
		if (i < on.n || i < off.n || (out->open_line != 0) != (other.open_line != 0)) {
			size_t at = i < on.n && i < off.n ? (on.at[i] < off.at[i] ? on.at[i] : off.at[i])
			            : i < on.n            ? on.at[i]
			            : i < off.n           ? off.at[i]
			                                  : strlen(script);
			if (i > 0 && at > on.at[i - 1])
				at = on.at[i - 1]; /* the token that ends differently */
			int line = 1;
			for (size_t k = 0; k < at; k++)
				line += script[k] == '\n';
			out->escaped_shell_line = line;
		}
	}
	return DBC_OK;
}

int dbc_script_check_shell(dbc_ctx *ctx, const dbc_script_info *info, const dbc_dialect *d,
                           const char *label)
{
	bool psql = d->script_grammar == DBC_GRAMMAR_PSQL;
	if (info->copy_line) {
		dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		          "migration %s runs COPY %s at line %d, which only a client can %s", label,
		          info->copy_in ? "FROM STDIN" : "TO STDOUT", info->copy_line,
		          info->copy_in ? "feed" : "read");
		dbc_error_detail(ctx, "Migrations run inside a server function (dbmigrate_apply), where "
		                      "there is no client connection to copy with.");
		if (!info->copy_in)
			dbc_error_hint(ctx, "Remove the statement; a migration changes the schema and its "
			                    "data, it does not print rows.");
		else if (d->copy_in_hint)
			dbc_error_hint(ctx, "%s", d->copy_in_hint);
		else
			dbc_error_hint(ctx, "Write the rows as INSERT ... VALUES statements.");
		return DBC_ERROR;
	}
	if (info->placeholder_line && !info->open_line) {
		dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		          "migration %s has the placeholder %s at line %d, which dbcare does not replace",
		          label, info->placeholder, info->placeholder_line);
		dbc_error_detail(ctx, "dbcare runs a script as it was registered; \"${\" outside a "
		                      "string, quoted name or comment is not SQL, so the migration "
		                      "would fail when applied.");
		dbc_error_hint(ctx, "Write the value itself in the script (Flyway-style placeholders are "
		                    "not supported), or put the text in a string if it is data.");
		return DBC_ERROR;
	}
	if (info->open_line) {
		dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		          "migration %s ends inside the string, quoted name or comment opened at line %d",
		          label, info->open_line);
		dbc_error_detail(ctx,
		                 "dbmigrate_script() writes scripts one after another into a %s "
		                 "script, where the next script's text would be read from inside it.",
		                 d->shell);
		dbc_error_hint(ctx, "Close it; a migration holds complete SQL statements only.");
		return DBC_ERROR;
	}
	if (!info->shell_line && info->escaped_shell_line) {
		dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		          "migration %s reads differently from line %d when standard_conforming_strings "
		          "is off",
		          label, info->escaped_shell_line);
		dbc_error_detail(ctx, "With standard_conforming_strings off (set by the script or for the "
		                      "database or role), a backslash in '...' escapes the next "
		                      "character, so a string ends elsewhere; psql follows that setting "
		                      "as it runs dbmigrate_script()'s script, where text dbcare reads "
		                      "inside a string could run as a meta-command.");
		dbc_error_hint(ctx, "Write a string holding a backslash as E'...' with the backslash "
		                    "doubled, or as chr(92).");
		return DBC_ERROR;
	}
	if (!info->shell_line)
		return DBC_OK;
	dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "migration %s has a %s at line %d, which is not SQL",
	          label,
	          psql ? "psql meta-command (a backslash outside a string)"
	               : "sqlite3 dot-command (a line starting with '.')",
	          info->shell_line);
	dbc_error_detail(ctx,
	                 "dbmigrate_script() writes scripts into a %s script, where that line "
	                 "would run as a command of the shell.",
	                 d->shell);
	dbc_error_hint(ctx, "Remove the line; a migration holds SQL only.");
	return DBC_ERROR;
}

int dbc_script_check(dbc_ctx *ctx, const dbc_script_info *info, const char *label,
                     const char *sqlstate)
{
	if (info->no_transaction || info->problem == DBC_STMT_OK)
		return DBC_OK;
	switch (info->problem) {
	case DBC_STMT_TX_CONTROL:
		dbc_error(ctx, sqlstate, "migration %s contains transaction control: %s at line %d", label,
		          info->problem_what, info->problem_line);
		dbc_error_detail(ctx, "dbcare runs every migration inside its own transaction or savepoint "
		                      "and commits it together with the history; a script may not end, "
		                      "commit or roll back that transaction.");
		dbc_error_hint(ctx, "Remove the statement, or make the first line of the script "
		                    "-- dbcare:no-transaction and run it with dbmigrate_script().");
		break;
	case DBC_STMT_SAVEPOINT:
		dbc_error(ctx, sqlstate,
		          "migration %s uses %s at line %d, which PostgreSQL functions cannot run", label,
		          info->problem_what, info->problem_line);
		dbc_error_hint(ctx,
		               "dbcare already runs the migration in its own subtransaction; split the "
		               "script into separate migrations instead.");
		break;
	case DBC_STMT_NEEDS_NO_TX:
		dbc_error(ctx, sqlstate,
		          "migration %s runs %s at line %d, which cannot run inside a transaction", label,
		          info->problem_what, info->problem_line);
		dbc_error_hint(ctx, "Make the first line of the script -- dbcare:no-transaction and run it "
		                    "with dbmigrate_script().");
		break;
	case DBC_STMT_TX_ROLLBACK:
		dbc_error(ctx, sqlstate,
		          "migration %s uses %s at line %d, which rolls back the whole enclosing "
		          "transaction",
		          label, info->problem_what, info->problem_line);
		dbc_error_detail(ctx, "SQLite's ROLLBACK conflict resolution ends the transaction the "
		                      "migration runs in, with the caller's work and dbcare's "
		                      "savepoints, instead of failing only the statement.");
		dbc_error_hint(ctx, "Use ABORT (the default) or FAIL, which undo only the failing "
		                    "statement.");
		break;
	default:
		break;
	}
	return DBC_ERROR;
}

int dbc_migrate_script_info(dbc_ctx *ctx, dbc_migration *m, const dbc_script_info **out)
{
	if (!m->analysis || m->analysed_script != m->script) {
		dbc_script_info *info = dbc_zalloc(ctx, sizeof(dbc_script_info));
		if (!info || dbc_script_analyse(ctx, ctx->host->dialect, m->script, info) != DBC_OK)
			return DBC_ERROR;
		m->analysis = info;
		m->analysed_script = m->script;
	}
	*out = m->analysis;
	return DBC_OK;
}
