/*
 * sqlite_driver.c — the smallest client the SQLite matrix needs: it links one
 * SQLite amalgamation (a version, a distribution's compile options) whose
 * shell.c is not shipped, opens a database file, loads the module and runs
 * SQL from standard input, printing what the sqlite3 shell prints for the
 * golden tests (test/sqlite/NAME.sql): list mode, "|" between values, NULL as
 * nothing, ".headers on|off", ".mode list", ".log stdout|off", and errors as
 * "Parse error near line N: ..." / "Runtime error near line N: ...".
 *
 *   sqlite_driver DATABASE MODULE < script.sql
 *
 * Exit status: 0 when every statement ran, 1 when one failed, 2 when the
 * database could not be opened or the module not loaded.
 */
#include "sqlite3.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static FILE *log_to; /* .log: where SQLite's error log goes (NULL: nowhere) */
static bool headers;

static void on_log(void *arg, int code, const char *message)
{
	(void)arg;
	if (!log_to)
		return;
	fprintf(log_to, "(%d) %s\n", code, message);
	fflush(log_to);
}

/* The shell's excerpt of the statement around sqlite3_error_offset. */
static void print_error_context(sqlite3 *db, const char *sql)
{
#if SQLITE_VERSION_NUMBER >= 3038000
	int offset = sqlite3_error_offset(db);
#else
	int offset = ((void)db, -1); /* older than supported: only the refusal is read */
#endif
	if (offset < 0)
		return;
	while (offset > 50) {
		offset--;
		sql++;
		while ((sql[0] & 0xc0) == 0x80) {
			sql++;
			offset--;
		}
	}
	size_t len = strlen(sql);
	if (len > 78) {
		len = 78;
		while ((sql[len] & 0xc0) == 0x80)
			len--;
	}
	fprintf(stderr, "\n  ");
	for (size_t i = 0; i < len; i++)
		fputc(isspace((unsigned char)sql[i]) ? ' ' : sql[i], stderr);
	if (offset < 25)
		fprintf(stderr, "\n  %*s^--- error here", offset, "");
	else
		fprintf(stderr, "\n  %*serror here ---^", offset - 14, "");
}

static void print_error(sqlite3 *db, const char *kind, int line, int rc, const char *sql)
{
	fflush(stdout);
	fprintf(stderr, "%s near line %d: %s", kind, line, sqlite3_errmsg(db));
	if (rc > 1)
		fprintf(stderr, " (%d)", rc);
	if (sql)
		print_error_context(db, sql);
	fputc('\n', stderr);
}

static void print_row(sqlite3_stmt *stmt, bool names)
{
	int n = sqlite3_column_count(stmt);
	for (int i = 0; i < n; i++) {
		const char *text =
		    names ? sqlite3_column_name(stmt, i) : (const char *)sqlite3_column_text(stmt, i);
		fprintf(stdout, "%s%s", i ? "|" : "", text ? text : "");
	}
	fputc('\n', stdout);
}

/* Every statement of one complete input: the first failure ends it, as in
 * the shell. Returns 0, or 1 after an error. */
static int run_sql(sqlite3 *db, const char *sql, int line)
{
	while (*sql) {
		sqlite3_stmt *stmt = NULL;
		const char *tail = NULL;
		int rc = sqlite3_prepare_v2(db, sql, -1, &stmt, &tail);
		if (rc != SQLITE_OK) {
			print_error(db, "Parse error", line, rc, sql);
			return 1;
		}
		sql = tail;
		if (!stmt)
			continue; /* a comment or white space */
		bool first = true;
		while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
			if (first && headers)
				print_row(stmt, true);
			first = false;
			print_row(stmt, false);
		}
		rc = sqlite3_finalize(stmt);
		if (rc != SQLITE_OK) {
			print_error(db, "Runtime error", line, rc, NULL);
			return 1;
		}
	}
	return 0;
}

static int run_dot(const char *line, int lineno)
{
	char word[32] = "", arg[32] = "";
	sscanf(line, ".%31s %31s", word, arg);
	if (strcmp(word, "headers") == 0)
		headers = strcmp(arg, "on") == 0;
	else if (strcmp(word, "mode") == 0 && strcmp(arg, "list") == 0)
		return 0;
	else if (strcmp(word, "log") == 0 && (strcmp(arg, "stdout") == 0 || strcmp(arg, "off") == 0))
		log_to = strcmp(arg, "stdout") == 0 ? stdout : NULL;
	else {
		fprintf(stderr, "line %d: the driver does not know %s\n", lineno, line);
		return 1;
	}
	return 0;
}

/* A line of white space and complete comments only (nothing pending). */
static bool blank(const char *line)
{
	while (isspace((unsigned char)*line))
		line++;
	return *line == '\0' || (line[0] == '-' && line[1] == '-');
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s DATABASE MODULE < script.sql\n", argv[0]);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	sqlite3_config(SQLITE_CONFIG_LOG, on_log, NULL);
	sqlite3_initialize(); /* a build with SQLITE_OMIT_AUTOINIT needs it */
	sqlite3 *db = NULL;
	char *err = NULL;
	if (sqlite3_open(argv[1], &db) != SQLITE_OK ||
	    sqlite3_enable_load_extension(db, 1) != SQLITE_OK ||
	    sqlite3_load_extension(db, argv[2], NULL, &err) != SQLITE_OK) {
		fprintf(stderr, "Error: %s\n", err ? err : sqlite3_errmsg(db));
		return 2;
	}
	size_t cap = 1 << 16, len = 0;
	char *sql = malloc(cap), *line = NULL;
	size_t line_cap = 0;
	int lineno = 0, start = 0, failed = 0;
	ssize_t n;
	while (sql && (n = getline(&line, &line_cap, stdin)) >= 0) {
		lineno++;
		if (n > 0 && line[n - 1] == '\n')
			line[--n] = '\0';
		if (len == 0 && line[0] == '.') {
			failed |= run_dot(line, lineno);
			continue;
		}
		if (len == 0 && blank(line))
			continue;
		const char *text = line;
		if (len == 0) {
			start = lineno;
			while (isspace((unsigned char)*text))
				text++;
			n -= text - line;
		}
		while (len + (size_t)n + 2 > cap)
			sql = realloc(sql, cap *= 2);
		if (!sql)
			break;
		if (len)
			sql[len++] = '\n';
		memcpy(sql + len, text, (size_t)n + 1);
		len += (size_t)n;
		if (sqlite3_complete(sql)) {
			failed |= run_sql(db, sql, start);
			len = 0;
		}
	}
	if (len)
		failed |= run_sql(db, sql, start);
	free(line);
	free(sql);
	sqlite3_close(db);
	return failed;
}
