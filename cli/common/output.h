/*
 * output.h — how results are shown: a table for people, JSON for programs
 * (--json, one document on stdout), plain tab-separated lines for shell
 * pipes; errors on stderr, each starting "dbcare: "; progress on stderr, as
 * a bar on a terminal and as plain lines otherwise (--quiet: none).
 */
#ifndef DBCARE_CLI_OUTPUT_H
#define DBCARE_CLI_OUTPUT_H

#include "cli/driver/driver.h"

#include <stdio.h>

typedef enum { CLI_FMT_TABLE, CLI_FMT_JSON, CLI_FMT_PLAIN, CLI_FMT_PROMETHEUS } cli_format;

typedef struct cli_out {
	cli_format format;
	bool quiet;
	bool term;        /* stderr is a terminal (any TERM): progress of one long step is shown */
	bool tty;         /* ... and understands escapes (TERM is not dumb): progress draws a bar */
	bool no_progress; /* --no-progress: no bar and no progress lines */
	int progress_width;
	bool progress_open; /* a bar is drawn and needs its line ended */
	/* cli_progress_hold: the steps shown belong to a transaction not yet
	 * committed; plain lines wait in held until it commits */
	bool progress_held;
	FILE *held;
	char *held_text;
	size_t held_len;
} cli_out;

/* Rows in the chosen format (JSON: an array of objects). */
void cli_print_rows(cli_out *o, FILE *f, const cli_rows *r);
/* JSON pieces. */
void cli_json_string(FILE *f, const char *s);
void cli_json_rows(FILE *f, const cli_rows *r);
/* The value of a cell as JSON (by its column's type). */
void cli_json_cell(FILE *f, const cli_rows *r, int row, int col);

/* A name (a member's path or label) or a message for one field of one
 * line of text output: a backslash and every control character written
 * as a C escape (\\, \n, \r, \t, \xNN), so a name never ends a line
 * nor starts one of its own, and two names never print alike. The one
 * rule of the text outputs; JSON and the metrics have their own
 * (malloc'd; NULL when out of memory). */
char *cli_text_escaped(const char *s);

/* A JSON document of the extension for people (--format table or plain): an
 * object as key/value rows, an array of objects as rows; doc may be NULL. */
typedef struct json_t json_t;
void cli_print_json_table(cli_out *o, FILE *f, const json_t *doc);

/* An engine error: "dbcare: message", then DETAIL and HINT lines. */
void cli_print_db_error(cli_out *o, const cli_db *db);
/* A message of the CLI itself ("dbcare: " is added). */
void cli_errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Information for people on stderr, unless --quiet or --json. */
void cli_note(cli_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Progress of long work: done of total, what is running now. */
void cli_progress(cli_out *o, int done, int total, const char *what);
void cli_progress_end(cli_out *o);
/* Progress of steps inside one transaction: no line may stay for work that
 * is rolled back. After hold, plain lines are kept back and an error (or
 * cli_progress_end) erases the bar instead of ending its line; release
 * (committed) writes the lines kept back, drop (rolled back) forgets them. */
void cli_progress_hold(cli_out *o);
void cli_progress_release(cli_out *o);
void cli_progress_drop(cli_out *o);
/* Whether a long step (a backup, a retention run, a verify) shows its
 * progress: stderr is a terminal, and no --quiet, --no-progress or --json.
 * A log (stderr a file or a pipe) never gets these lines. */
bool cli_progress_shown(const cli_out *o);
/* Progress of a long step where the total is unknown (pg_dump's bytes):
 * one redrawn line on a terminal, a plain line with TERM=dumb. */
void cli_progress_text(cli_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Where progress reported from below a command goes (the SQLite error log's
 * "dbcare progress: " lines, pg_dump's wait): the command's output, set by
 * main; NULL drops it. */
extern cli_out *cli_progress_sink;
/* Flushes stdout; when anything written to it was lost, says so on stderr
 * and returns -1 (the error is then cleared). */
int cli_flush_stdout(void);

#endif
