/*
 * files.h — the command's small file helpers: read a whole file, create a
 * new one without replacing anything, replace one whole or not at all, and
 * the memory-and-dialect host the core needs to read migration folders.
 * Every helper that fails has printed its `dbcare:` error.
 */
#ifndef DBCARE_CLI_FILES_H
#define DBCARE_CLI_FILES_H

#include "base/dbc.h"

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

/* Hosts for core calls that touch files and text only (no callback of a
 * database host is reached): malloc/free and an engine's dialect. Each
 * driver names its own (cli_driver.files_host); a call on files or text
 * of no engine (alert rules, a backup file's digest) takes
 * cli_text_host(). */
extern const dbc_host cli_pg_files_host, cli_sqlite_files_host;
const dbc_host *cli_text_host(void);

/* The file's bytes, NUL-terminated (free() them); NULL after printing
 * "cannot read PATH: reason" (a directory or an I/O error included). */
char *cli_read_file(const char *path);

/* PATH's absolute name, whether or not the file is there (a deleted or
 * not yet made one: its directory resolved, its name kept), as the catalog
 * records paths; malloc'd, NULL when its directory cannot be resolved. */
char *cli_resolved_path(const char *path);
/* The resolved directory PATH names a file in (malloc'd; "." for a bare
 * name), or NULL when it cannot be resolved. */
char *cli_resolved_parent(const char *path);

/* Creates PATH with TEXT; an existing file is never replaced (-1). */
int cli_write_new_file(const char *path, const char *text);

/* Replaces PATH whole or not at all: write to the stream cli_replace_open
 * returns (a temporary file beside PATH), then cli_replace_close renames it
 * over PATH, or removes it when writing failed or ok is false (the caller
 * has said why; a failed write or rename is reported here). */
typedef struct cli_replace {
	FILE *f;
	char *tmp;
	const char *path;
} cli_replace;
FILE *cli_replace_open(cli_replace *r, const char *path);
/* The same with the file's mode (before the umask): 0600 for a secret,
 * which no other user can read at any moment, the replaced file's readers
 * included. */
FILE *cli_replace_open_mode(cli_replace *r, const char *path, mode_t mode);
int cli_replace_close(cli_replace *r, bool ok);

/* Removes the directory tree at path (not following links); with
 * keep_top, only what is inside it. Best effort. */
void cli_remove_tree(const char *path, bool keep_top);

#endif
