/*
 * sqlite_driver.c — a stand-in for `sqlite3 -batch` that carries the sanitizer
 * runtime, so the ASan/UBSan build of the module can be loaded and the SQLite
 * golden tests compared byte for byte with the shell's expected output.
 *
 * Usage: sqlite_driver DATABASE MODULE < script.sql
 *
 * It mimics the shell closely enough for the golden tests: statements are
 * gathered line by line until complete, comment-only lines are skipped, rows
 * print in list mode ("|" between columns, NULL as the null value, headers once
 * per statement when on), and errors read "Parse error near line N: ..." or
 * "Runtime error near line N: ..." with the shell's error-position excerpt.
 * Dot commands: .headers, .mode list, .nullvalue, .separator, .print, .bail,
 * .timeout, .log stdout|stderr|off (SQLite's error log, "(code) message" per
 * line as the shell prints it); anything else is reported as an error so a test that needs more
 * fails loudly instead of passing by accident.
 */
#include <sqlite3.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct {
	sqlite3 *db;
	int headers;
	int bail;
	char nullvalue[64];
	char separator[64];
	int errors;
	FILE *log; /* .log target, NULL when off */
} sh = {.separator = "|"};

/* SQLITE_CONFIG_LOG callback, installed before SQLite initialises, as the
 * shell does: prints what .log asks for. */
static void log_line(void *arg, int code, const char *msg)
{
	(void)arg;
	if (!sh.log)
		return;
	fflush(stdout);
	fprintf(sh.log, "(%d) %s\n", code, msg);
	fflush(sh.log);
}

static void out_flush_err(const char *fmt, const char *a, const char *b)
{
	fflush(stdout);
	fprintf(stderr, fmt, a, b);
	fflush(stderr);
}

/* The shell's excerpt of the statement with a caret at the error offset. */
static char *error_context(const char *sql)
{
	int off = sqlite3_error_offset(sh.db);
	if (!sql || off < 0)
		return sqlite3_mprintf("");
	while (off > 50) {
		off--;
		sql++;
		while ((sql[0] & 0xc0) == 0x80) {
			sql++;
			off--;
		}
	}
	size_t len = strlen(sql);
	if (len > 78) {
		len = 78;
		while ((sql[len] & 0xc0) == 0x80)
			len--;
	}
	char *code = sqlite3_mprintf("%.*s", (int)len, sql);
	if (!code)
		return NULL;
	for (int i = 0; code[i]; i++)
		if (isspace((unsigned char)sql[i]))
			code[i] = ' ';
	char *msg;
	if (off < 25)
		msg = sqlite3_mprintf("\n  %z\n  %*s^--- error here", code, off, "");
	else
		msg = sqlite3_mprintf("\n  %z\n  %*serror here ---^", code, off - 14, "");
	return msg;
}

static void report(const char *kind, int startline, int rc, const char *ctx_sql)
{
	char *ctx = error_context(ctx_sql);
	char *text;
	if (rc > 1)
		text = sqlite3_mprintf("%s near line %d: %s (%d)%s", kind, startline, sqlite3_errmsg(sh.db),
		                       rc, ctx ? ctx : "");
	else
		text = sqlite3_mprintf("%s near line %d: %s%s", kind, startline, sqlite3_errmsg(sh.db),
		                       ctx ? ctx : "");
	out_flush_err("%s%s\n", text ? text : "out of memory", "");
	sqlite3_free(text);
	sqlite3_free(ctx);
	sh.errors++;
}

/* Runs every statement of one complete chunk; stops at the first error. */
static int run_sql(const char *sql, int startline)
{
	const char *p = sql;
	while (*p) {
		sqlite3_stmt *stmt = NULL;
		const char *tail = NULL;
		int rc = sqlite3_prepare_v2(sh.db, p, -1, &stmt, &tail);
		if (rc != SQLITE_OK) {
			report("Parse error", startline, rc, p);
			return 1;
		}
		if (!stmt) { /* only comments or white space left */
			p = tail;
			while (isspace((unsigned char)*p))
				p++;
			continue;
		}
		int ncol = sqlite3_column_count(stmt);
		int first = 1;
		while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
			if (first && sh.headers && ncol > 0) {
				for (int i = 0; i < ncol; i++)
					printf("%s%s", i ? sh.separator : "", sqlite3_column_name(stmt, i));
				putchar('\n');
			}
			first = 0;
			for (int i = 0; i < ncol; i++) {
				const char *v = sqlite3_column_type(stmt, i) == SQLITE_NULL
				                    ? sh.nullvalue
				                    : (const char *)sqlite3_column_text(stmt, i);
				printf("%s%s", i ? sh.separator : "", v ? v : "");
			}
			if (ncol > 0)
				putchar('\n');
		}
		fflush(stdout);
		rc = sqlite3_finalize(stmt);
		if (rc != SQLITE_OK) {
			report("Runtime error", startline, rc, NULL);
			return 1;
		}
		p = tail;
		while (isspace((unsigned char)*p))
			p++;
	}
	return 0;
}

/* Only white space and SQL comments: the shell skips such lines between statements. */
static int all_whitespace(const char *z)
{
	for (; *z; z++) {
		if (isspace((unsigned char)*z))
			continue;
		if (z[0] == '/' && z[1] == '*') {
			z += 2;
			while (*z && !(z[0] == '*' && z[1] == '/'))
				z++;
			if (!*z)
				return 0;
			z++;
			continue;
		}
		if (z[0] == '-' && z[1] == '-') {
			while (*z && *z != '\n')
				z++;
			if (!*z)
				return 1;
			continue;
		}
		return 0;
	}
	return 1;
}

static void strip_newline(char *s)
{
	size_t n = strlen(s);
	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
}

/* The second word of a dot command (quotes removed), or "". */
static const char *arg1(char *line, char **rest)
{
	char *p = line;
	while (*p && !isspace((unsigned char)*p))
		p++;
	while (isspace((unsigned char)*p))
		p++;
	*rest = p;
	char *a = p;
	if (*a == '"' || *a == '\'') {
		char q = *a++;
		char *e = strchr(a, q);
		if (e)
			*e = '\0';
		return a;
	}
	char *e = a;
	while (*e && !isspace((unsigned char)*e))
		e++;
	*e = '\0';
	return a;
}

static int on_off(const char *a)
{
	return strcmp(a, "on") == 0 || strcmp(a, "1") == 0 || strcmp(a, "yes") == 0 ||
	       strcmp(a, "true") == 0;
}

static void meta(char *line)
{
	strip_newline(line);
	char cmd[32];
	size_t n = strcspn(line + 1, " \t");
	snprintf(cmd, sizeof cmd, "%.*s", (int)(n < 31 ? n : 31), line + 1);
	char *rest;
	if (strcmp(cmd, "print") == 0) {
		char *p = line + 1 + n;
		while (isspace((unsigned char)*p))
			p++;
		printf("%s\n", p);
		fflush(stdout);
		return;
	}
	const char *a = arg1(line, &rest);
	if (strcmp(cmd, "headers") == 0 || strcmp(cmd, "header") == 0)
		sh.headers = on_off(a);
	else if (strcmp(cmd, "bail") == 0)
		sh.bail = on_off(a);
	else if (strcmp(cmd, "nullvalue") == 0)
		snprintf(sh.nullvalue, sizeof sh.nullvalue, "%s", a);
	else if (strcmp(cmd, "separator") == 0)
		snprintf(sh.separator, sizeof sh.separator, "%s", a);
	else if (strcmp(cmd, "timeout") == 0)
		sqlite3_busy_timeout(sh.db, atoi(a));
	else if (strcmp(cmd, "log") == 0 && strcmp(a, "stdout") == 0)
		sh.log = stdout;
	else if (strcmp(cmd, "log") == 0 && strcmp(a, "stderr") == 0)
		sh.log = stderr;
	else if (strcmp(cmd, "log") == 0 && strcmp(a, "off") == 0)
		sh.log = NULL;
	else if (strcmp(cmd, "mode") == 0 && strcmp(a, "list") == 0)
		snprintf(sh.separator, sizeof sh.separator, "|");
	else {
		out_flush_err("sqlite_driver: unsupported dot command: %s%s\n", line, "");
		sh.errors++;
	}
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s DATABASE MODULE < script.sql\n", argv[0]);
		return 2;
	}
	sqlite3_config(SQLITE_CONFIG_LOG, log_line, NULL);
	if (sqlite3_open(argv[1], &sh.db) != SQLITE_OK) {
		fprintf(stderr, "cannot open %s: %s\n", argv[1], sqlite3_errmsg(sh.db));
		return 2;
	}
	char *err = NULL;
	sqlite3_enable_load_extension(sh.db, 1);
	if (sqlite3_load_extension(sh.db, argv[2], NULL, &err) != SQLITE_OK) {
		fprintf(stderr, "Error: %s\n", err ? err : "cannot load the module");
		sqlite3_free(err);
		sqlite3_close(sh.db);
		return 2;
	}

	char *line = NULL;
	size_t linecap = 0;
	char *sql = NULL;
	size_t nsql = 0, capsql = 0;
	int lineno = 0, startline = 0;
	while (getline(&line, &linecap, stdin) >= 0) {
		lineno++;
		if (nsql == 0 && all_whitespace(line))
			continue;
		if (nsql == 0 && (line[0] == '.' || line[0] == '#')) {
			if (line[0] == '.')
				meta(line);
			continue;
		}
		/* Chunks are joined the way the shell joins them: the first line
		 * without its leading white space, later lines after a newline, no
		 * trailing newline (it shows in error excerpts). */
		strip_newline(line);
		const char *text = line;
		if (nsql == 0) {
			startline = lineno;
			while (isspace((unsigned char)*text))
				text++;
		}
		size_t len = strlen(text);
		if (nsql + len + 2 > capsql) {
			capsql = (nsql + len + 2) * 2;
			char *grown = realloc(sql, capsql);
			if (!grown) {
				fprintf(stderr, "out of memory\n");
				return 2;
			}
			sql = grown;
		}
		if (nsql)
			sql[nsql++] = '\n';
		memcpy(sql + nsql, text, len + 1);
		nsql += len;
		if (sqlite3_complete(sql)) {
			int failed = run_sql(sql, startline);
			nsql = 0;
			if (failed && sh.bail)
				break;
		}
	}
	if (nsql && !all_whitespace(sql))
		run_sql(sql, startline);
	free(sql);
	free(line);
	if (sqlite3_close(sh.db) != SQLITE_OK) {
		fprintf(stderr, "sqlite_driver: connection not closed cleanly: %s\n",
		        sqlite3_errmsg(sh.db));
		return 3;
	}
	return sh.errors ? 1 : 0;
}
