/*
 * fuzz_migrate_script.c — script splitting and transaction-control detection
 * (core/migrate/migrate_script.c) with both engines' lexical rules. Splitting never
 * loses bytes: statements are in order and inside the script, and what lies
 * between them is only white space, comments and empty ';' (it splits into
 * no statement on its own). Line numbers are right, every statement but the
 * last ends with ';', and splitting the statements again, joined by newlines,
 * gives the same statements and the same verdict. A statement that psql or
 * sqlite3 would read as one of its own commands is always noticed
 * (shell_line), so dbmigrate_script() never writes it.
 */
#include "fuzz.h"
#include "migrate/migrate_script.h"

static int count_lines(const char *from, const char *to)
{
	int n = 1;
	for (const char *p = from; p < to; p++)
		if (*p == '\n')
			n++;
	return n;
}

static void check_engine(dbc_ctx *ctx, const dbc_dialect *engine, const char *script)
{
	dbc_script_info info;
	FUZZ_ASSERT(dbc_script_analyse(ctx, engine, script, &info) == DBC_OK, "analysis succeeds");
	size_t total = strlen(script);
	const char *end = script + total;
	const char *pos = script;
	FUZZ_ASSERT(info.nstmts >= 0, "statement count");
	FUZZ_ASSERT(info.no_transaction == dbc_script_is_no_transaction(script), "marker agrees");
	for (int i = 0; i < info.nstmts; i++) {
		const dbc_stmt *s = &info.stmts[i];
		FUZZ_ASSERT(s->text >= pos && s->text + s->len <= end && s->len > 0,
		            "statements are in order, inside the script, not empty");
		FUZZ_ASSERT(s->line == count_lines(script, s->text), "the line number is right");
		if (i + 1 < info.nstmts)
			FUZZ_ASSERT(s->text[s->len - 1] == ';', "every statement but the last ends with ';'");
		/* what dbmigrate_script() refuses to write: a statement the shell would
		 * read as its own command (psql \ meta-command, sqlite3 dot-command in
		 * the first column) is always noticed, at or before its line */
		bool pg = engine->script_grammar == DBC_GRAMMAR_PSQL;
		bool shell = pg ? s->text[0] == '\\'
		                : s->text[0] == '.' && (s->text == script || s->text[-1] == '\n');
		if (shell)
			FUZZ_ASSERT(info.shell_line >= 1 && info.shell_line <= s->line,
			            "a shell command line is noticed");
		/* the gap before this statement holds no statement of its own */
		char *gap = dbc_strndup(ctx, pos, (size_t)(s->text - pos));
		dbc_script_info g;
		FUZZ_ASSERT(dbc_script_analyse(ctx, engine, gap, &g) == DBC_OK && g.nstmts == 0,
		            "nothing between statements is lost");
		pos = s->text + s->len;
	}
	if (info.nstmts > 0 && pos < end) {
		char *gap = dbc_strndup(ctx, pos, (size_t)(end - pos));
		dbc_script_info g;
		FUZZ_ASSERT(dbc_script_analyse(ctx, engine, gap, &g) == DBC_OK && g.nstmts == 0,
		            "nothing after the last statement is lost");
	}
	/* the second reading (psql with standard_conforming_strings off) is made
	 * for PostgreSQL only, names a line of the script where the readings
	 * part, and is reported only when the first found nothing */
	if (info.escaped_shell_line)
		FUZZ_ASSERT(engine->script_grammar == DBC_GRAMMAR_PSQL && !info.shell_line &&
		                info.escaped_shell_line >= 1 &&
		                info.escaped_shell_line <= count_lines(script, end),
		            "the escaped reading names a line");
	if (info.nstmts == 0) {
		FUZZ_ASSERT(info.problem == DBC_STMT_OK || info.problem == DBC_STMT_TX_CONTROL,
		            "no statement, no problem but an empty one");
		return;
	}
	if (info.problem != DBC_STMT_OK)
		FUZZ_ASSERT(info.problem_what && info.problem_line >= 1 &&
		                info.problem_line <= count_lines(script, end),
		            "a problem names what and where");

	/* the statements on their own split the same way */
	dbc_buf b;
	dbc_buf_init(&b, ctx);
	for (int i = 0; i < info.nstmts; i++) {
		if (i)
			dbc_buf_appendc(&b, '\n');
		dbc_buf_appendn(&b, info.stmts[i].text, info.stmts[i].len);
	}
	char *joined = dbc_buf_finish(&b);
	FUZZ_ASSERT(joined, "join");
	dbc_script_info again;
	FUZZ_ASSERT(dbc_script_analyse(ctx, engine, joined, &again) == DBC_OK, "re-analysis succeeds");
	FUZZ_ASSERT(again.nstmts == info.nstmts, "the same number of statements");
	for (int i = 0; i < info.nstmts; i++) {
		size_t la = again.stmts[i].len, li = info.stmts[i].len;
		/* the last statement may carry trailing comments in the original */
		if (i + 1 < info.nstmts)
			FUZZ_ASSERT(la == li, "the same statement lengths");
		FUZZ_ASSERT(memcmp(again.stmts[i].text, info.stmts[i].text, la < li ? la : li) == 0,
		            "the same statements");
	}
	FUZZ_ASSERT(again.problem == info.problem, "the same verdict");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dbc_ctx ctx;
	dbc_ctx_init(&ctx, &unit_host, NULL);
	char *script = fuzz_cstr(&ctx, data, size);
	check_engine(&ctx, &pgdbc_dialect, script);
	check_engine(&ctx, &sqldbc_dialect, script);
	dbc_ctx_finish(&ctx);
	return 0;
}
