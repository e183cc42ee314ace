/*
 * generate_dump.c — the desired schema as users have it: the text
 * `pg_dump --schema-only` writes, or the SQLite shell's `.schema` (and
 * `.fullschema`), read as a schema file. What those tools write around the
 * schema, and only that, is blanked: each character becomes a space, line
 * ends stay, so every line number the generator reports is the file's.
 *
 * PostgreSQL: the \restrict and \unrestrict lines (psql meta-commands, no
 * SQL), the session settings pg_dump begins with (SET of the names it
 * writes, SELECT pg_catalog.set_config('search_path', '', false)).
 * SQLite: the tables SQLite makes itself (sqlite_sequence, sqlite_stat1..4)
 * and the statistics .fullschema writes into them.
 * Anything else, a SET of another name included, is left for the
 * generator to judge as the user's own SQL.
 *
 * PostgreSQL reads '...' with backslash escapes while
 * standard_conforming_strings is off, and the file (a SET, or code of its
 * own that calls set_config) or the session may turn it off: a schema
 * file must then lex alike under both readings, or the statements the
 * server's parser judged (desired_statements.c) would not be the ones it
 * runs, text read as a string's under one reading running as statements
 * under the other. One that does not is refused at the first line where
 * the readings part.
 */
#include "migrate/generate.h"
#include "migrate/migrate_script.h"
#include "schema/ddl_lex.h"

#include <string.h>
#include <strings.h>

/* The settings pg_dump (15 to 18) writes before the schema. */
static const char *const dump_settings[] = {"statement_timeout",
                                            "lock_timeout",
                                            "idle_in_transaction_session_timeout",
                                            "transaction_timeout",
                                            "client_encoding",
                                            "standard_conforming_strings",
                                            "check_function_bodies",
                                            "xmloption",
                                            "client_min_messages",
                                            "row_security",
                                            "default_tablespace",
                                            "default_table_access_method",
                                            "default_with_oids",
                                            NULL};

static void blank(char *from, const char *to)
{
	for (char *p = from; p < to; p++)
		if (*p != '\n')
			*p = ' ';
}

static bool word_in(dbc_token t, const char *const *words)
{
	for (int i = 0; words[i]; i++)
		if (t.kind == TK_WORD && t.len == strlen(words[i]) &&
		    strncasecmp(t.start, words[i], t.len) == 0)
			return true;
	return false;
}

/* pg_dump's own lines: SET name = value; and the search_path set_config. */
static bool is_pg_dump_setting(const char *p)
{
	static const char *const set_config[] = {"set_config", NULL};
	dbc_token t = dbc_lex_next(&p);
	if (dbc_lex_is_word(t, "SET"))
		return word_in(dbc_lex_next(&p), dump_settings);
	if (!dbc_lex_is_word(t, "SELECT") || !dbc_lex_is_word(dbc_lex_next(&p), "pg_catalog") ||
	    !dbc_lex_is_punct(dbc_lex_next(&p), '.') || !word_in(dbc_lex_next(&p), set_config) ||
	    !dbc_lex_is_punct(dbc_lex_next(&p), '('))
		return false;
	t = dbc_lex_next(&p);
	return t.kind == TK_STRING && t.len == strlen("'search_path'") &&
	       strncmp(t.start, "'search_path'", t.len) == 0;
}

/* The SQLite shell's lines about tables SQLite makes itself. */
static bool is_sqlite_internal(const char *p)
{
	static const char *const internal[] = {"sqlite_sequence", "sqlite_stat1", "sqlite_stat2",
	                                       "sqlite_stat3",    "sqlite_stat4", NULL};
	static const char *const schema_tables[] = {"sqlite_schema", "sqlite_master", NULL};
	dbc_token t = dbc_lex_next(&p);
	if (dbc_lex_is_word(t, "CREATE"))
		return dbc_lex_is_word(dbc_lex_next(&p), "TABLE") && word_in(dbc_lex_next(&p), internal);
	if (dbc_lex_is_word(t, "INSERT"))
		return dbc_lex_is_word(dbc_lex_next(&p), "INTO") && word_in(dbc_lex_next(&p), internal);
	if (dbc_lex_is_word(t, "ANALYZE"))
		return word_in(dbc_lex_next(&p), schema_tables);
	return false;
}

/* Blanks the \restrict and \unrestrict lines that begin the statement text
 * s (up to end); the first position after them. */
static char *skip_restrict_lines(char *s, const char *end)
{
	for (;;) {
		char *p = (char *)dbc_lex_skip_space(s);
		if (p >= end || *p != '\\' ||
		    (strncmp(p, "\\restrict ", 10) != 0 && strncmp(p, "\\unrestrict ", 12) != 0))
			return p;
		char *eol = memchr(p, '\n', (size_t)(end - p));
		blank(p, eol ? eol : end);
		s = eol ? eol : (char *)end;
	}
}

/* PostgreSQL: the text (pg_dump's framing blanked) lexes alike whether
 * '...' reads backslash escapes or not; a backslash outside every string
 * (no SQL, a psql meta-command) is refused as well, since where it stands
 * depends on the reading too. */
static int reads_alike(dbc_ctx *ctx, const dbc_dialect *d, const char *text)
{
	dbc_script_info info;
	if (dbc_script_analyse(ctx, d, text, &info) != DBC_OK)
		return DBC_ERROR;
	int line = info.shell_line ? info.shell_line : info.escaped_shell_line;
	if (!line)
		return DBC_OK;
	dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
	          "the desired schema reads differently from line %d when "
	          "standard_conforming_strings is off",
	          line);
	dbc_error_detail(ctx, "With standard_conforming_strings off (set by the file, by code it "
	                      "runs, or for the session), a backslash in '...' escapes the next "
	                      "character, so a string ends elsewhere: text read as a string's could "
	                      "run as statements of its own.");
	dbc_error_hint(ctx, "Write a string holding a backslash as E'...' with the backslash "
	                    "doubled, or as chr(92).");
	return DBC_ERROR;
}

int dbc_gen_dump_text(dbc_ctx *ctx, const char *sql, char **out)
{
	const dbc_dialect *d = ctx->host->dialect;
	bool pg = d->script_grammar == DBC_GRAMMAR_PSQL;
	dbc_script_info info;
	char *text = dbc_strdup(ctx, sql);
	if (!text || dbc_script_analyse(ctx, d, text, &info) != DBC_OK)
		return DBC_ERROR;
	for (int i = 0; i < info.nstmts; i++) {
		char *s = (char *)info.stmts[i].text, *end = s + info.stmts[i].len;
		char *p = pg ? skip_restrict_lines(s, end) : (char *)dbc_lex_skip_space(s);
		if (p < end && (pg ? is_pg_dump_setting(p) : is_sqlite_internal(p)))
			blank(p, end);
	}
	if (pg && strchr(text, '\\') && reads_alike(ctx, d, text) != DBC_OK)
		return DBC_ERROR;
	*out = text;
	return DBC_OK;
}
