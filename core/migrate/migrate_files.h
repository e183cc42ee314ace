/*
 * migrate_files.h — migration file names, in the layouts dbmigrate_load
 * accepts: Flyway (V<version>__<name>.sql, U<version>__<name>.sql,
 * R__<name>.sql), golang-migrate (<version>_<name>.up.sql / .down.sql, with
 * popx's optional engine infix <version>_<name>.<engine>.up.sql) and diesel
 * (a directory <version>_<name> holding up.sql and down.sql), Prisma (a
 * directory <timestamp>_<name> holding migration.sql, keyed and run by the
 * folder's name), and bare <version>_<name>.sql files: dbmate's ("-- migrate:up"
 * and "-- migrate:down" blocks, migrate_dbmate.h), goose's ("-- +goose Up"
 * and "-- +goose Down", migrate_goose.h) or sqlx's (the whole file the up
 * script), as the folder's files say. The ".sql"
 * suffix matches in any letter case, as Flyway's does; '_' in names reads as
 * a space.
 */
#ifndef DBC_MIGRATE_FILES_H
#define DBC_MIGRATE_FILES_H

#include "base/dbc.h"

typedef enum { DBC_FILE_UP, DBC_FILE_DOWN, DBC_FILE_REPEATABLE } dbc_file_kind;
typedef enum {
	DBC_LAYOUT_FLYWAY,
	DBC_LAYOUT_GOLANG,
	DBC_LAYOUT_DIESEL,
	DBC_LAYOUT_DBMATE, /* both directions in one file: its down is split into a file of its own */
	DBC_LAYOUT_GOOSE,  /* the same, with goose's annotations */
	DBC_LAYOUT_SQLX,   /* a bare file without markers: the up script */
	DBC_LAYOUT_PRISMA  /* a folder <timestamp>_<name>/migration.sql: the name is the version */
} dbc_file_layout;
#define DBC_LAYOUT_COUNT 7

/* What a file name is. DBC_NAME_BAD is 0, so "!parse(...)" reads "refused". */
typedef enum {
	DBC_NAME_BAD = 0,      /* matches no layout: *why says why */
	DBC_NAME_MIGRATION,    /* an up, down or repeatable script of this engine */
	DBC_NAME_OTHER_ENGINE, /* <version>_<name>.<engine>.up.sql of another engine */
	DBC_NAME_CALLBACK      /* a Flyway callback (beforeMigrate.sql, ...): never run */
} dbc_name_kind;

typedef struct dbc_migrate_file {
	char *file; /* the file name (diesel: "<directory>/up.sql") */
	dbc_file_kind kind;
	dbc_file_layout layout;
	bool engine_specific; /* has this engine's infix: wins over the plain file */
	char *version;        /* as written (diesel: without its '-'); NULL for repeatables */
	char *canon;          /* canonical version */
	char *name;
	char *script; /* normalised contents */
	char *checksum;
	bool no_transaction;
	bool refused;   /* listed as bad: its partner is not reported a second time */
	bool lone_down; /* golang-migrate down without up: registers a no-op up */
	/* popx's .autocommit infix, or sqlx's "-- no-transaction" first line:
	 * its script is read with the "-- dbcare:no-transaction" marker line
	 * put before it */
	bool autocommit;
} dbc_migrate_file;

/* The layouts, for errors and hints. */
extern const char dbc_migrate_layouts[];

/* A layout and the order its own tool runs it in, for `dbcare status`. */
const char *dbc_migrate_layout_order(dbc_file_layout layout);

/* Parses the name of a file directly in the migration directory for the
 * engine of dialect d (its file infixes). */
dbc_name_kind dbc_migrate_parse_filename(dbc_ctx *ctx, const dbc_dialect *d, const char *file,
                                         dbc_migrate_file *out, const char **why);

/* True when a directory entry's name has diesel's shape
 * (<digits and '-'>_<name>, no '.'): a directory of that name is a migration. */
bool dbc_migrate_diesel_dirname(const char *dir);

/* True when a directory entry's name starts with a digit: a directory of
 * that name is a migration folder, read or refused, never skipped. */
bool dbc_migrate_dirname_candidate(const char *dir);

/* Parses a diesel directory name and its script ("up.sql" or "down.sql"). */
bool dbc_migrate_parse_diesel(dbc_ctx *ctx, const char *dir, const char *script,
                              dbc_migrate_file *out, const char **why);

/* Parses a Prisma directory name and its script ("migration.sql", or the
 * "down.sql" Prisma's docs write beside it). */
bool dbc_migrate_parse_prisma(dbc_ctx *ctx, const char *dir, const char *script,
                              dbc_migrate_file *out, const char **why);

/* A migration directory read and checked without a database: the files of
 * every accepted layout, sorted (versions in order, each up followed by its
 * down; repeatables last by name), the engine-specific choice made, every
 * script normalised, analysed and checksummed, pairs checked. Names, reading
 * and pairing problems are collected, not raised: dbc_migrate_dir_refuse raises
 * them in one error, which dbmigrate_load extends by its registry checks.
 * Used by dbmigrate_load on the server and by the command-line client on
 * its own machine, so both accept exactly the same directories. */
struct dbc_migrate_bad;
typedef struct dbc_migrate_dir {
	dbc_migrate_file *files;
	int n;
	int nbad;         /* files refused so far */
	char *callbacks;  /* Flyway callbacks skipped, comma-separated; NULL when none */
	unsigned layouts; /* 1 << dbc_file_layout of each layout read */
	struct dbc_migrate_bad *bad;
} dbc_migrate_dir;

int dbc_migrate_read_dir(dbc_ctx *ctx, const dbc_dialect *dialect, const char *path,
                         dbc_migrate_dir *out);
/* The same read and the same checks, without the checksums (each file's
 * checksum is left NULL): for a reader that only passes the scripts on to
 * dbmigrate_add / dbmigrate_add_all, which normalise and checksum every
 * script themselves and must not trust a client's checksum. */
int dbc_migrate_read_dir_unhashed(dbc_ctx *ctx, const dbc_dialect *dialect, const char *path,
                                  dbc_migrate_dir *out);
/* DBC_ERROR with the error naming every refused file, DBC_OK when none. */
int dbc_migrate_dir_refuse(dbc_ctx *ctx, dbc_migrate_dir *dir, const char *path);
/* The down script registered with files[i] (an up, or a lone golang-migrate
 * down, which is its own down over an empty up); NULL when none. */
const dbc_migrate_file *dbc_migrate_dir_down(const dbc_migrate_dir *dir, int i);

/* True when the first line of a script is the no-transaction marker
 * (-- dbcare:no-transaction). */
bool dbc_script_is_no_transaction(const char *script);

#endif
