/*
 * backup_tool.h — the one backup flow, for every engine and method
 * (docs/backups.md): copy, read back, seal, publish, record, in that
 * order, each step taken only once the one before it has proved what it
 * must. What touches the copy or a file is a hook: the tool's copy and
 * read back (dbc_backup_tool: the SQLite module's page copy and its
 * verification, backup_create.c; the command's pg_dump and pgBackRest),
 * the files (dbc_backup_files: a temporary file, the seal, the
 * publication, the digest, the removal) and the catalog (record: the
 * module's catalog write, or dbbackup_record through SQL, the command's
 * only way in). A new backup method is a tool (its hooks) and a row of the
 * command's method table (cli/backup/backup_methods.c).
 *
 * The rules decided here, for a tool that writes a file:
 *   - the target's name never holds anything but the whole, read-back copy
 *     (sealed, the sealed file read back to the copy's bytes): the copy is
 *     written where nothing names it, published only after its read back;
 *   - a sealed copy's plain bytes live only in a file without a name;
 *   - nothing is recorded unless the file is published, and the record
 *     holds the published file's bytes and SHA-256;
 *   - on any failure before the record the temporary files are released
 *     and nothing is published;
 *   - a record that failed and is known not committed leaves no file: the
 *     published file is removed (unrecorded, it would be a backup no
 *     prune, list or restore sees, and its name would refuse a retry);
 *     a record that may have been committed (the connection was lost, or
 *     the row was written and its answer not read) keeps the file, and
 *     the error names it: removing it could lose a recorded backup.
 * For a tool that keeps its copy itself (a repository), only copy, read
 * back (the tool names what it made) and record apply.
 */
#ifndef DBC_BACKUP_TOOL_H
#define DBC_BACKUP_TOOL_H

#include "backup/backup.h"

/* What the steps learn of the backup, in the order they learn it. */
typedef struct dbc_backup_made {
	/* begin: the copy's moment (the schema fingerprint, the content JSON,
	 * the database's name for a default file name, and its identity that a
	 * sealed header names, NULL: none) */
	char *fingerprint, *content, *database, *identity;
	/* the flow (a tool that writes a file): the published file's absolute
	 * name, bytes and SHA-256 */
	char *location;
	int64_t bytes;
	char sha256[65];
	/* read_back of a tool that keeps its copy: where it is (location),
	 * its label and WAL range (NULL: none), its bytes (-1: unknown) */
	char *label, *wal_start, *wal_stop;
	/* the copy's duration (the flow measures it) */
	double duration_ms;
} dbc_backup_made;

/* The tool: what the command plugs in. Every hook returns DBC_OK, or
 * DBC_ERROR with the ctx's error set (its message may be empty when the
 * hook has said why itself). */
typedef struct dbc_backup_tool {
	const char *kind; /* the catalog's kind ("pg_dump", "pgbackrest") */
	/* true: the copy is a file the flow publishes under the target's
	 * name; false: the tool keeps it (a repository) and names it */
	bool writes_file;
	void *arg;
	/* Opens the copy's moment (pg_dump: a snapshot) and reads into made
	 * what the record keeps of it. NULL: nothing to open. */
	int (*begin)(dbc_ctx *ctx, void *arg, dbc_backup_made *made);
	/* The consistent copy: into file (a new, empty file no name reaches,
	 * or a file without a name) for a tool that writes a file; file NULL
	 * otherwise. */
	int (*copy)(dbc_ctx *ctx, void *arg, const char *file, dbc_backup_made *made);
	/* Closes the moment begin opened; ok says whether the copy was made.
	 * Called exactly once after begin succeeded. NULL: nothing to close. */
	int (*end)(dbc_ctx *ctx, void *arg, bool ok);
	/* Reads the copy back whole (a file: file; else the tool's own
	 * listing, which names the copy in made): an error when it does not
	 * read as the backup just made. */
	int (*read_back)(dbc_ctx *ctx, void *arg, const char *file, dbc_backup_made *made);
} dbc_backup_tool;

/* The files of a tool that writes one (the module's: its VFS files and
 * seal; the command's: core/container's scratch files and seal). */
typedef struct dbc_backup_files {
	void *arg;
	/* An error when anything is at path (a file, a link): a backup never
	 * replaces one. */
	int (*check_target)(dbc_ctx *ctx, void *arg, const char *path);
	/* The name the backup is published and recorded under, once
	 * check_target accepted path (made absolute, its directory resolved).
	 * NULL: path as given. */
	int (*resolve)(dbc_ctx *ctx, void *arg, const char *path, char **out);
	/* A new, empty file for the copy to be published as path: beside it
	 * (a temporary name no one else uses), or with plain a file without a
	 * name on path's file system (a copy to seal). *tmp is released by
	 * release. */
	int (*make_temp)(dbc_ctx *ctx, void *arg, const char *path, bool plain, char **tmp);
	/* Seals plain (the read-back copy) as path, compressed and/or
	 * encrypted (DBC_BACKUP_SEAL_*), names database (and identity) in its
	 * header, reads the sealed file back to plain's bytes and publishes it
	 * (never over a file): core/container's one seal,
	 * dbc_container_seal_file, to which the hook supplies the key and the
	 * origin. */
	int (*seal)(dbc_ctx *ctx, void *arg, const char *plain, const char *path, const char *database,
	            const char *identity, unsigned flags);
	/* Syncs tmp, gives it the name path (never over a file) and syncs the
	 * directory. */
	int (*publish)(dbc_ctx *ctx, void *arg, const char *tmp, const char *path);
	/* The published file at path: its absolute name, bytes and SHA-256.
	 * NULL: the tool's steps learnt them (made->location is path). */
	int (*describe)(dbc_ctx *ctx, void *arg, const char *path, dbc_backup_made *made);
	/* Releases a temporary file of make_temp (gone already once
	 * published is no error); an error already set stays the error. */
	void (*release)(dbc_ctx *ctx, void *arg, char *tmp);
	/* Deletes the published file path (a record known not committed);
	 * an error already set stays the error. */
	void (*remove)(dbc_ctx *ctx, void *arg, const char *path);
} dbc_backup_files;

/* The catalog: records made as one row of kind (dbbackup_record); *json
 * describes the row. On an error, *maybe_recorded says whether the row
 * may be there all the same (false: the write is known rolled back). */
typedef struct dbc_backup_recorder {
	void *arg;
	int (*record)(dbc_ctx *ctx, void *arg, const char *kind, const dbc_backup_made *made,
	              char **json, bool *maybe_recorded);
} dbc_backup_recorder;

/* Runs the flow: path is the target (a tool that writes a file; NULL
 * otherwise), seal its DBC_BACKUP_SEAL_* flags (0: a plain copy). *json
 * the recorder's description of the row. */
int dbc_backup_tool_run(dbc_ctx *ctx, const dbc_backup_tool *tool, const dbc_backup_files *files,
                        const dbc_backup_recorder *rec, const char *path, unsigned seal,
                        char **json);

#endif
