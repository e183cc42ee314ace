/*
 * pg_dump.h — the pg_dump method (one row of backup_methods.c), its one
 * public header: the hooks of its row, the tool it plugs into the core's
 * backup flow, the scratch database a dump is restored into to be
 * verified, the archive's table of contents, and the record a dump file
 * carries about itself (dump_record.h).
 */
#ifndef DBCARE_CLI_PG_DUMP_H
#define DBCARE_CLI_PG_DUMP_H

#include "cli/backup/backup_methods.h"
#include "cli/backup/common/pg_backup.h"
#include "cli/cli.h"
#include "dump_record.h"

#include "backup/backup_tool.h"

/* The hooks of its row (backup_pg_dump.c, pg_dump_restore.c): a dump at
 * o's PATH, default <database>-<UTC time>.dump here; restore says how
 * pg_restore does it (the command does not replace a server's database). */
int cli_pg_dump_backup(cli_db *db, cli_opts *o, const char *target);
int cli_pg_dump_restore(cli_db *db, cli_opts *o, const char *file);
/* pg_restore of file (its entries of list; NULL: all) into the connected
 * database as the connecting role, in one transaction, without owners
 * (pg_scratch.c, beside the scratch role's).
 * -1 with *err. */
int cli_pg_restore_as_connected(cli_db *db, const char *file, const char *list, char **err);
/* A superuser's restore of file into the connected (empty) database
 * (pg_restore_role.c): the dump's objects and code restored by a role of
 * its own that logs in as itself (dbcare_restore_<pid>_<epoch>), the
 * extensions, the extensions' configuration rows, grants and comments by
 * the superuser; then everything the role made given to the database's
 * owner and the role dropped; the event triggers last. Refused when the
 * dump's SECURITY DEFINER functions would go to a superuser owning the
 * database. With check->recorded, the restored content is compared with
 * it before anything is given to the owner: a copy that differs is dropped
 * (check->why). On a failure what was restored is dropped. shown: the file
 * as the user named it (file may be its opened scratch copy). -1 with
 * *err, or printed, or check->why. */
typedef struct cli_pg_restore_check {
	const char *recorded; /* the dump's record of its content; NULL: none */
	bool done;            /* compared, before anything was given away */
	char *why;            /* the first difference (malloc'd); NULL: none */
	long long tables;     /* the tables compared */
} cli_pg_restore_check;
int cli_pg_restore_as_role(cli_db *db, cli_opts *o, const char *shown, const char *file,
                           cli_pg_restore_check *check, char **err);
/* Its verify hook (pg_dump_verify.c): a catalogued dump's SHA-256 and
 * logical content, a file no row names against the record it carries. */
int cli_pg_dump_verify(cli_db *db, cli_opts *o, const cli_backup_ref *b, char **why, char **doc);
/* A pg_dump backup (row: cli_backup_row's) verified: its SHA-256, then
 * restored into a scratch database and compared. 0 with *why NULL
 * (verified, *tables compared) or set (the backup's fault); -1 after
 * printing an error that is not the backup's. content (NULL: not
 * wanted) gets the restored copy's content (malloc'd) when it was read.
 * check (NULL: none) runs on the restored copy after its content is read,
 * connected as the scratch role in the read's transaction: *why set when
 * the copy fails it, -1 on an error. */
int cli_verify_dump(cli_db *db, cli_opts *o, const cli_rows *row, cli_restored_check check,
                    char **why, int *tables, char **content);
/* The same for the dump file at path that no catalog row names (the
 * catalog went with its database): a sealed one opened (its seal proves
 * its bytes), restored and compared with the record it carries
 * (dump_record.h), *recorded (malloc'd) that record's content. A dump
 * without a record is an error (-1, printed). */
int cli_verify_dump_file(cli_db *db, cli_opts *o, const char *path, cli_restored_check check,
                         char **why, int *tables, char **content, char **recorded);

/* pg_dump as a tool (backup_pg_dump.c): a dump in a REPEATABLE READ
 * snapshot whose schema fingerprint and content the record keeps. */
typedef struct cli_pg_dump_tool {
	cli_db *db;
	cli_opts *o;
	char *snapshot; /* the exported snapshot, between begin and end */
	bool sealing;
	const char *target; /* the file's name, for the note */
} cli_pg_dump_tool;
void cli_pg_dump_tool_init(dbc_backup_tool *tool, cli_pg_dump_tool *arg, cli_db *db, cli_opts *o,
                           const char *target);

/* The scratch role and database a dump is restored into, both named
 * dbcare_verify_<backend pid>_<epoch seconds> (the pid of the verifying
 * connection's server process, the time it made them): a role with LOGIN
 * and no other attribute, which logs in with a one-time password, and a
 * database it owns. Everything the dump holds runs as that role, whose
 * session cannot return to the verifier's rights (it logged in as itself:
 * no RESET ROLE leads anywhere). docs/security.md. */
typedef struct cli_pg_scratch {
	char *name;          /* malloc'd; NULL before create */
	char *dbname;        /* the database it restores into (malloc'd; NULL: its own) */
	char password[49];   /* hex of 24 random bytes */
	bool role, database; /* made: to drop */
} cli_pg_scratch;

/* Checks the verifier may (superuser, or CREATEROLE and CREATEDB), drops
 * the leftovers of verifications whose connection is gone, then makes the
 * role (the verifier becomes its member, to own and drop what it owns) and
 * the database (template0, CONNECT revoked from PUBLIC). -1 after printing
 * why; what was made is dropped by cli_pg_scratch_drop. */
int cli_pg_scratch_create(cli_db *db, cli_opts *o, cli_pg_scratch *s);
/* The same role alone, named dbcare_restore_<pid>_<epoch>, for a restore
 * into the existing database dbname (a superuser's: pg_dump_restore.c).
 * -1 after printing why; cli_pg_scratch_drop drops it. */
int cli_pg_scratch_role(cli_db *db, cli_opts *o, cli_pg_scratch *s, const char *dbname);
/* Drops the database (WITH (FORCE)) and the role; errors are printed,
 * never fatal; frees s->name. */
void cli_pg_scratch_drop(cli_db *db, cli_opts *o, cli_pg_scratch *s);
/* Drops every dbcare_verify_* database and role whose verifying connection
 * has ended (a verify killed before it could drop them) and that the
 * current role may drop. */
void cli_pg_scratch_leftovers(cli_db *db, cli_opts *o);
/* Connects to the scratch database with db's other parameters, as the
 * scratch role (as_role) or as db's own user. NULL after printing why. */
cli_db *cli_pg_scratch_connect(cli_db *db, const cli_pg_scratch *s, bool as_role);
/* pg_restore of the entries of list (pg_restore --use-list) of the
 * custom-format dump file into the scratch database, as the scratch role,
 * without owners, grants, comments, security labels, tablespaces,
 * publications or subscriptions. */
int cli_pg_restore_into(cli_db *db, const cli_pg_scratch *s, const char *file, const char *list,
                        char **err);
/* pg_restore's --dbname= naming the database name, as a connection string
 * (pg_restore reads a name holding '=' as one of its own); malloc'd. */
char *cli_pg_dbname_arg(const char *name);

/* The archive's table of contents, split for a restore by the scratch role
 * (pg_toc.c): schemas first (lists of pg_restore --use-list), then the
 * extensions it creates (made by the verifier, in those empty schemas),
 * then the rest. Left out: extensions (made beforehand), event triggers
 * (they would run as whoever runs DDL, and need a superuser), and the rows
 * of tables and sequences the archive does not create (an extension's
 * configuration tables: made and owned by the extension). The triggers
 * are named by one more list, read for the functions they call. */
typedef struct cli_pg_toc {
	char dir[4096];     /* a private directory with the lists ("" none) */
	char schemas[4200]; /* list: the SCHEMA entries */
	char rest[4200];    /* list: what the scratch role restores after */
	/* list: the same without the TRIGGER entries, for a verifier that may
	 * not make an extension the triggers call (dbcare is not trusted):
	 * triggers are post-data, made after the rows are loaded, so the
	 * content compared is the same without them */
	char rest_untriggered[4200];
	/* list: what a restore's administrator restores after the role: the
	 * rows of extensions' configuration tables, grants, comments, security
	 * labels, default privileges (no owner code runs) */
	char admin[4200];
	/* list: the event triggers (and their comments), a restore's very last
	 * step: after them no DDL of dbcare's runs (each would fire them) */
	char events[4200];
	int nevents;
	/* the roles that own what the restore role restores (the list's
	 * owners, but extensions', event triggers' and the extensions'
	 * configuration rows'), each once */
	char **owners;
	int nowners;
	size_t cap_owners;
	int nschemas, next;       /* entries of schemas; extensions */
	char **ext, **ext_schema; /* the extensions (name, schema), next each */
	int lock_fd;              /* dir, flock'ed while in use (-1: none) */
	/* the functions of the schema dbcare that the dump's triggers call
	 * (audit, soft delete), when the dump has the extension dbcare: the
	 * scratch role may call those, nothing else of dbcare's */
	char **dbcare_fns;
	int nfns;
	size_t cap_fns; /* dbcare_fns's room */
} cli_pg_toc;
/* Reads the dump's table of contents; -1 with *err when pg_restore cannot
 * (the archive is damaged). The directories of the lists that a killed
 * verify left under TMPDIR are deleted first. */
int cli_pg_toc_read(const char *file, cli_pg_toc *t, char **err);
/* The dump's extensions (t), made by db's role in the scratch role's
 * database while its schemas are still empty, with EXECUTE on the trigger
 * functions of dbcare its triggers call granted to the role (pg_dump_verify.c).
 * *left_out: dbcare was not made (db's role may not). -1 after printing. */
int cli_pg_make_extensions(cli_db *db, cli_opts *o, const cli_pg_scratch *s, const cli_pg_toc *t,
                           bool *left_out);
/* Removes the lists and frees t. */
void cli_pg_toc_free(cli_pg_toc *t);
/* The origin a plain dump carries in itself, in the text of a sealed
 * header's (core/container, dbc_container_origin_split): the identity of
 * the database dumped (the rows of dbcare.database_identity, a
 * configuration table pg_dump dumps), the database's name (the archive's
 * header) and published, the catalog row's path (a plain dump names no
 * path of its own). *origin NULL (malloc'd otherwise) when the dump holds
 * no identity (dumped before 0.3.9, or without the extension): nothing
 * to compare. -1 with *err when pg_restore cannot read it. */
int cli_pg_dump_origin(const char *file, const char *published, char **origin, char **err);

#endif
