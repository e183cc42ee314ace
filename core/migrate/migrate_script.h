/*
 * migrate_script.h — what dbcare needs to know about a migration script before
 * running it: its statements with their line numbers, whether it is marked
 * "-- dbcare:no-transaction", and whether it holds transaction control.
 */
#ifndef DBC_MIGRATE_SCRIPT_H
#define DBC_MIGRATE_SCRIPT_H

#include "base/dbc.h"
#include "migrate/migrate_files.h" /* dbc_script_is_no_transaction */

typedef struct dbc_stmt {
	const char *text; /* points into the script; not NUL-terminated */
	size_t len;       /* up to and including the closing ';' when there is one */
	int line;         /* 1-based line of the statement's first token */
} dbc_stmt;

typedef enum {
	DBC_STMT_OK = 0,
	DBC_STMT_TX_CONTROL,  /* BEGIN, COMMIT, END, ROLLBACK, foreign RELEASE, ... */
	DBC_STMT_SAVEPOINT,   /* savepoints where the engine cannot nest them (PostgreSQL) */
	DBC_STMT_NEEDS_NO_TX, /* VACUUM, CREATE INDEX CONCURRENTLY, ... */
	DBC_STMT_TX_ROLLBACK, /* SQLite OR ROLLBACK, ON CONFLICT ROLLBACK, RAISE(ROLLBACK) */
} dbc_stmt_problem;

typedef struct dbc_script_info {
	bool no_transaction; /* first line is -- dbcare:no-transaction */
	dbc_stmt *stmts;
	int nstmts;
	bool ends_with_semicolon; /* the last token is ';' (or there is none) */
	/* the first problem found, if any */
	dbc_stmt_problem problem;
	int problem_line;
	char *problem_what; /* e.g. "COMMIT", "RELEASE dbcare_sp_1" */
	/* The first line the engine's shell would read as one of its own commands
	 * if the script were fed to it (dbmigrate_script): PostgreSQL, a backslash
	 * outside strings, quoted names, dollar quotes and comments (psql's
	 * meta-commands such as \!); SQLite, a '.' in the first column outside
	 * strings and comments, inside a statement too (sqlite3's dot-commands
	 * such as .shell: the shell ends statements by rules of its own, a line
	 * "go" or "/" among them, so where it stands is not ours to judge). 0:
	 * none. Neither is
	 * valid SQL, so such a script is refused at registration. */
	int shell_line;
	/* PostgreSQL, shell_line 0: the first line where psql, reading '...' with
	 * backslash escapes as it does while standard_conforming_strings is off,
	 * lexes the script differently (a token or comment starts elsewhere); 0:
	 * both readings agree, and so does any mixture of them. Refused at
	 * registration too. */
	int escaped_shell_line;
	/* The line where a string, quoted name, dollar quote or block comment
	 * opens that the text never closes; 0: none. The shell would read
	 * whatever dbmigrate_script writes after the script from inside it (the
	 * next script included, whose own lines were judged from outside), so
	 * such a script is refused at registration too. */
	int open_line;
	/* PostgreSQL: the line of the first COPY ... FROM STDIN or TO STDOUT, 0:
	 * none. Only a client feeds or reads those (a function gets
	 * SPI_ERROR_COPY), and the data block of a script would be shell lines,
	 * so such a script is refused at registration; copy_in tells which. */
	int copy_line;
	bool copy_in;
	/* The line of the first "${" outside strings, quoted names, dollar
	 * quotes and comments (a Flyway-style placeholder such as ${schema}),
	 * and the placeholder as written (up to its '}', at most 64 bytes); 0:
	 * none. dbcare substitutes nothing and neither engine reads "${" as
	 * SQL, so such a script is refused at registration rather than failing
	 * at apply. */
	int placeholder_line;
	char *placeholder;
} dbc_script_info;

/* Splits and classifies script (already normalised) with the lexical rules of
 * the dialect's script grammar (dbc.h: DBC_GRAMMAR_PSQL: dollar quotes,
 * nested comments, E'' strings, BEGIN ATOMIC bodies; DBC_GRAMMAR_SQLITE3:
 * [ident], `ident`, CREATE TRIGGER bodies). */
int dbc_script_analyse(dbc_ctx *ctx, const dbc_dialect *d, const char *script,
                       dbc_script_info *out);

/* The analysis of m's (up) script, made on the first call and kept on m for
 * the call's later readers: an apply's lint gate and its run read the same
 * scripts. */
struct dbc_migration;
int dbc_migrate_script_info(dbc_ctx *ctx, struct dbc_migration *m, const dbc_script_info **out);

/* A 22023 error for a script with a copy_line, an open_line, a shell_line,
 * an escaped_shell_line or a placeholder_line; DBC_OK without any. */
int dbc_script_check_shell(dbc_ctx *ctx, const dbc_script_info *info, const dbc_dialect *d,
                           const char *label);

/* Turns info->problem into an error for "migration <label>" with sqlstate;
 * DBC_OK when the script may run inside dbcare's transaction. Problems of a
 * no-transaction script are not errors: it runs at top level. */
int dbc_script_check(dbc_ctx *ctx, const dbc_script_info *info, const char *label,
                     const char *sqlstate);

#endif
