/*
 * pg_dump_verify.c — dbcare verify BACKUP of a dump the command made: the
 * file's SHA-256 against the one recorded (a byte changed since the backup
 * fails), then the dump restored into a scratch database, whose per-table
 * row counts and content hashes must equal those read at the backup's
 * snapshot (a lost row fails where the file reads back whole); a file no
 * catalog row names against the record it carries. The scratch database
 * is dropped on every path. pg_dump's verify hook (pg_dump.h); the row is
 * marked by common/backup_verified.c, the command finds the method
 * (backup_dispatch.c).
 */
#include "cli/backup/backup_methods.h"
#include "pg_dump.h"
#include "cli/backup/common/pg_backup.h"
#include "cli/backup/pgbackrest/pgbackrest.h"
#include "cli/backup/common/sealed.h"

#include "cli/common/tool.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* What the dump's dbcare objects need (issue: an audited or soft-deleted
 * table's triggers call dbcare.audit_trigger / dbcare.softdelete_row,
 * which only their owner may call, in a schema the scratch role has no
 * USAGE on): EXECUTE on exactly the functions its triggers name, and only
 * those that are trigger functions of the extension dbcare, and USAGE on
 * the schema dbcare. Nothing else of dbcare's: its tables stay unreadable
 * and its other functions uncallable (no grant to PUBLIC is made). */
static int grant_trigger_functions(cli_db *v, cli_opts *o, const cli_pg_scratch *s,
                                   const cli_pg_toc *t)
{
	size_t len = 3;
	for (int i = 0; i < t->nfns; i++)
		len += strlen(t->dbcare_fns[i]) + 1;
	char *names = malloc(len), *w = names;
	if (!names)
		return -1;
	*w++ = '{';
	for (int i = 0; i < t->nfns; i++)
		w += sprintf(w, "%s%s", i ? "," : "", t->dbcare_fns[i]);
	strcpy(w, "}");
	const char *p[2] = {names, s->name};
	cli_rows r = {0};
	int rc = cli_q(v, o,
	               "SELECT pg_catalog.format('GRANT EXECUTE ON FUNCTION dbcare.%I() TO %I',"
	               "  p.proname, CAST($2 AS text))"
	               " FROM pg_catalog.pg_proc p"
	               " JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_proc'::regclass"
	               "  AND d.objid = p.oid AND d.deptype = 'e'"
	               " JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid AND e.extname = 'dbcare'"
	               " WHERE p.pronamespace = 'dbcare'::regnamespace AND p.pronargs = 0"
	               "  AND p.prorettype = 'pg_catalog.trigger'::regtype"
	               "  AND p.proname = ANY (CAST($1 AS text[]))"
	               " UNION ALL SELECT pg_catalog.format('GRANT USAGE ON SCHEMA dbcare TO %I', "
	               "CAST($2 AS text))"
	               " ORDER BY 1",
	               2, p, &r);
	for (int i = 0; rc == 0 && i < r.nrows; i++)
		rc = cli_q(v, o, cli_cell(&r, i, 0), 0, NULL, NULL);
	cli_rows_free(&r);
	free(names);
	return rc;
}

/* Whether dbcare, an extension that is not trusted, is one the verifier
 * may not create (it is no superuser): the copy is then restored without
 * it, and without the dump's triggers, the only objects of a dump that
 * call it (its tables' rows are never restored). Triggers are post-data:
 * made after the rows are loaded, they change nothing compared. Any other
 * extension is made or fails as the server says. */
static bool leave_out(cli_db *v, cli_opts *o, const char *ext)
{
	cli_rows r = {0};
	if (strcmp(ext, "dbcare") != 0 ||
	    cli_q(v, o,
	          "SELECT r.rolsuper OR coalesce(x.trusted, false)"
	          " FROM pg_catalog.pg_roles r LEFT JOIN (pg_catalog.pg_available_extensions a"
	          "  JOIN pg_catalog.pg_available_extension_versions x ON x.name = a.name"
	          "   AND x.version = a.default_version) ON a.name = 'dbcare'"
	          " WHERE r.rolname = CURRENT_USER",
	          0, NULL, &r) != 0)
		return false;
	bool out = cli_cell(&r, 0, 0) && strcmp(cli_cell(&r, 0, 0), "false") == 0;
	cli_rows_free(&r);
	if (out)
		cli_note(&o->out,
		         "restoring without the extension dbcare, which only a superuser may create, "
		         "and without the dump's triggers (made after the rows: the content compared "
		         "is the same)");
	return out;
}

/* The dump's extensions, made in the scratch database by the verifier
 * (the scratch role may not; the dump's objects need them), into the
 * schemas the first restore step made, still empty: only an extension the
 * server has, its name and schema quoted. *left_out: dbcare was not made
 * (leave_out). */
int cli_pg_make_extensions(cli_db *db, cli_opts *o, const cli_pg_scratch *s, const cli_pg_toc *t,
                           bool *left_out)
{
	*left_out = false;
	if (t->next == 0)
		return 0;
	cli_db *v = cli_pg_scratch_connect(db, s, false);
	int rc = v ? 0 : -1;
	for (int i = 0; rc == 0 && i < t->next && !cli_tool_held_signal(); i++) {
		cli_rows r = {0};
		const char *p[1] = {t->ext[i]};
		if (leave_out(v, o, t->ext[i])) {
			*left_out = true;
			continue;
		}
		rc =
		    cli_q(v, o, "SELECT FROM pg_catalog.pg_available_extensions WHERE name = $1", 1, p, &r);
		if (rc == 0 && r.nrows == 0) {
			cli_errorf("the dump needs the extension %s, which this server does not have",
			           t->ext[i]);
			rc = -1;
		}
		cli_rows_free(&r);
		/* the name and schema quoted by the server (format's %I), as the
		 * statement's own identifiers: no library call of a driver's here */
		const char *q[2] = {t->ext[i], t->ext_schema[i]};
		if (rc == 0 &&
		    (cli_q(v, o,
		           "SELECT pg_catalog.format('CREATE EXTENSION IF NOT EXISTS %I WITH SCHEMA %I',"
		           " CAST($1 AS text), CAST($2 AS text))",
		           2, q, &r) != 0 ||
		     !cli_cell(&r, 0, 0) || cli_q(v, o, cli_cell(&r, 0, 0), 0, NULL, NULL) != 0))
			rc = -1;
		cli_rows_free(&r);
	}
	if (rc == 0 && t->nfns > 0 && !*left_out)
		rc = grant_trigger_functions(v, o, s, t);
	cli_disconnect(v);
	return rc;
}

/* The one check of a restored copy (cli_pg_restored_check) as the scratch
 * role, which owns every table: forced row security, which would filter
 * its owner too (and run the policies), is turned off first (the copy is
 * thrown away). */
static int read_restored(cli_db *rs, cli_opts *o, const char *path, const char *recorded,
                         cli_restored_check check, cli_pg_restored *v)
{
	cli_rows r = {0};
	if (cli_q(rs, o,
	          "SELECT pg_catalog.format('ALTER TABLE %I.%I NO FORCE ROW LEVEL SECURITY',"
	          " n.nspname, c.relname) FROM pg_catalog.pg_class c"
	          " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
	          " WHERE c.relforcerowsecurity",
	          0, NULL, &r) != 0)
		return -1;
	int rc = 0;
	for (int i = 0; rc == 0 && i < r.nrows; i++)
		rc = cli_q(rs, o, cli_cell(&r, i, 0), 0, NULL, NULL);
	cli_rows_free(&r);
	return rc == 0 ? cli_pg_restored_check(rs, o, path, recorded, check, v) : rc;
}

/* The restore steps (pg_backup.h): schemas as the scratch role, the
 * extensions as the verifier (with the grants the dump's dbcare triggers
 * need), the rest as the scratch role; then the read.
 * -1 after printing why, *why set when it is the dump's fault. */
static int restore_and_read(cli_db *db, cli_opts *o, const char *path, const char *file,
                            const cli_pg_toc *t, const cli_pg_scratch *s, const char *recorded,
                            cli_restored_check check, cli_pg_restored *v, char **why)
{
	char *err = NULL;
	/* the role logs in (a clear error when the server does not let it) */
	cli_db *rs = cli_pg_scratch_connect(db, s, true);
	if (!rs)
		return -1;
	cli_note(&o->out, "restoring %s into the scratch database %s as the role %s", file, s->name,
	         s->name);
	int rc = -1;
	bool left_out = false;
	if ((t->nschemas == 0 || cli_pg_restore_into(db, s, file, t->schemas, &err) == 0) &&
	    !cli_tool_held_signal() && cli_pg_make_extensions(db, o, s, t, &left_out) == 0 &&
	    !cli_tool_held_signal() &&
	    cli_pg_restore_into(db, s, file, left_out ? t->rest_untriggered : t->rest, &err) == 0 &&
	    !cli_tool_held_signal())
		rc = read_restored(rs, o, path, recorded, check, v);
	else if (err && left_out && !cli_tool_stop_signal())
		/* something else of the dump needs dbcare: not the backup's fault */
		fprintf(stderr,
		        "%s\nHINT: The dump needs the extension dbcare beyond its triggers, and only a "
		        "superuser may create it: verify it as a superuser.\n",
		        err);
	else if (err && !cli_tool_stop_signal())
		*why = strdup(err + strlen("dbcare: "));
	else if (err)
		fprintf(stderr, "%s\n", err);
	free(err);
	cli_disconnect(rs);
	return rc;
}

/* The dump restored into a scratch database and checked against
 * recorded (v), or -1 after printing why (*why set when it is the dump's
 * fault rather than the server's). The scratch database and role are
 * dropped on every path; a signal is acted on after the step that runs. */
static int restored_check(cli_db *db, cli_opts *o, const char *path, const char *file,
                          const char *recorded, cli_restored_check check, cli_pg_restored *v,
                          char **why)
{
	cli_pg_toc toc;
	cli_pg_scratch s = {0};
	char *err = NULL;
	int rc = -1;
	memset(v, 0, sizeof *v);
	/* a signal between the steps of the restore: the steps stop, the
	 * scratch database and role are dropped, then it fails */
	cli_signal_hold hold;
	cli_tool_hold_signals(&hold);
	if (cli_pg_toc_read(file, &toc, &err) != 0) {
		if (err && !cli_tool_stop_signal())
			*why = strdup(err + strlen("dbcare: "));
		else if (err)
			fprintf(stderr, "%s\n", err);
	} else if (!cli_tool_held_signal() && cli_pg_scratch_create(db, o, &s) == 0 &&
	           !cli_tool_held_signal())
		rc = restore_and_read(db, o, path, file, &toc, &s, recorded, check, v, why);
	cli_pg_scratch_drop(db, o, &s);
	cli_pg_toc_free(&toc);
	free(err);
	cli_tool_release_signals(&hold);
	if (cli_tool_held_signal() || cli_tool_stop_signal()) {
		cli_errorf("verification was stopped by a signal; the scratch database and role are "
		           "dropped");
		free(*why);
		*why = NULL;
		free(v->content);
		free(v->why);
		memset(v, 0, sizeof *v);
		rc = -1;
	}
	return rc;
}

/* *why: how the dump at path is not this database's (NULL: it is, or it
 * names no identity to compare): a sealed dump by its header, a plain one
 * by the identity and name it carries in itself. -1 after printing an
 * error reading what this database is. */
static int dump_origin(cli_db *db, cli_opts *o, const char *path, char **why)
{
	cli_rows r = {0};
	char *identity = NULL, *origin = NULL, *err = NULL;
	if (cli_pg_database_identity(db, o, &identity) != 0 ||
	    cli_q(db, o, "SELECT current_database()", 0, NULL, &r) != 0) {
		free(identity);
		return -1;
	}
	if (cli_is_sealed(path))
		*why = cli_sealed_origin_mismatch(path, path, identity, cli_cell(&r, 0, 0));
	else if (cli_pg_dump_origin(path, path, &origin, &err) == 0 && origin)
		*why = cli_plain_dump_mismatch(origin, path, identity, cli_cell(&r, 0, 0));
	/* a dump pg_restore cannot read: the restore that follows says why */
	free(err);
	free(origin);
	cli_rows_free(&r);
	free(identity);
	return 0;
}

static int compare_restored(cli_db *db, cli_opts *o, const char *path, const char *dump,
                            const char *contents, cli_restored_check check, char **why, int *tables,
                            char **content);

int cli_verify_dump(cli_db *db, cli_opts *o, const cli_rows *row, cli_restored_check check,
                    char **why, int *tables, char **content)
{
	const char *path = cli_cell(row, 0, 2), *sha = cli_cell(row, 0, 3);
	const char *contents = cli_cell(row, 0, 4);
	/* the file first: a byte changed since the backup fails it */
	bool oom = false;
	*why = cli_file_mismatch(path, sha, &oom);
	if (oom)
		cli_errorf("out of memory");
	if (*why || oom)
		return oom ? -1 : 0;
	/* a dump is the one the row names: a sealed one published under its
	 * path (another database's copied over it, row and all, names its
	 * own); sealed or plain, taken from this database (its identity:
	 * another's names another; its name: a clone keeps the identity) */
	if (dump_origin(db, o, path, why) != 0)
		return -1;
	if (*why)
		return 0;
	if (!contents) {
		cli_note(&o->out, "%s was recorded without its content: only its SHA-256 was checked",
		         path);
		return 0;
	}
	char *opened = NULL;
	/* a sealed dump: opened (its SHA-256 checked above) into a scratch
	 * file without a name, which pg_restore reads */
	if (cli_is_sealed(path) && !(opened = cli_unseal_to_temp(path, why)))
		return *why ? 0 : -1;
	int rc = compare_restored(db, o, path, opened ? opened : path, contents, check, why, tables,
	                          content);
	cli_scratch_release(opened);
	return rc;
}

int cli_verify_dump_file(cli_db *db, cli_opts *o, const char *path, cli_restored_check check,
                         char **why, int *tables, char **content, char **recorded)
{
	char *opened = NULL, *err = NULL;
	cli_dump_record rec = {0};
	*why = NULL;
	*recorded = NULL;
	/* the seal proves the bytes (every chunk authenticated, the plain
	 * SHA-256 its end names); the record inside it the content */
	if (cli_is_sealed(path) && !(opened = cli_unseal_to_temp(path, why)))
		return *why ? 0 : -1;
	int has = cli_dump_record_read(opened ? opened : path, &rec, &err);
	int rc = -1;
	if (has < 0) {
		*why = strdup(err + strlen("dbcare: "));
		rc = 0;
	} else if (has == 0 && !cli_dump_is_archive(opened ? opened : path)) {
		/* a file cut to nothing, a text: no dump the hint below could help */
		*why = NULL;
		if (asprintf(why, "%s is not a pg_dump archive (empty, cut short, or another file)", path) <
		    0)
			*why = NULL;
		rc = *why ? 0 : -1;
	} else if (has == 0 || !rec.content) {
		fprintf(stderr,
		        "dbcare: no catalogued backup at %s, and the file carries no record of its "
		        "content (a dump made by pg_dump alone, or by dbcare before 0.3.9)\n"
		        "HINT: Restore it with dbcare restore %s --db URL (a new database) and check "
		        "it there, or verify it with the database whose catalog records it.\n",
		        path, path);
	} else {
		cli_note(&o->out, "%s: no catalog row; verifying it from the record it carries", path);
		rc = compare_restored(db, o, path, opened ? opened : path, rec.content, check, why, tables,
		                      content);
		if (rc == 0 && !(*recorded = strdup(rec.content)))
			rc = -1;
	}
	free(err);
	cli_dump_record_free(&rec);
	cli_scratch_release(opened);
	return rc;
}

/* The dump at dump (path, or its opened scratch copy) restored into a
 * scratch database and its content compared with contents (see
 * cli_verify_dump). */
static int compare_restored(cli_db *db, cli_opts *o, const char *path, const char *dump,
                            const char *contents, cli_restored_check check, char **why, int *tables,
                            char **content)
{
	cli_pg_restored v;
	if (restored_check(db, o, path, dump, contents, check, &v, why) != 0)
		return *why ? 0 : -1;
	*why = v.why;
	if (!*why)
		*tables = (int)v.counts.tables;
	if (content)
		*content = v.content;
	else
		free(v.content);
	return 0;
}

/* A row the command read (cli_backup_row's) verified by run and marked:
 * the verify hook of pg_dump and pgBackRest (backup_methods.h). */
/* A file no catalog row names (pg_dump's files_alone): verified from the
 * record it carries; nothing to mark. */
static int verify_alone(cli_db *db, cli_opts *o, const char *path, char **why, char **doc)
{
	char *failed = NULL, *recorded = NULL;
	int tables = -1;
	if (cli_verify_dump_file(db, o, path, NULL, &failed, &tables, NULL, &recorded) != 0)
		return -1;
	free(recorded);
	json_t *d = failed ? NULL
	                   : json_pack("{s:s, s:s, s:b, s:i, s:b}", "path", path, "kind", "pg_dump",
	                               "verified", 1, "tables", tables, "catalogued", 0);
	if (doc && d)
		*doc = json_dumps(d, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(d);
	if (why) {
		*why = failed;
		return 0;
	}
	if (failed)
		cli_errorf("backup %s failed verification: %s", path, failed);
	free(failed);
	return failed ? -1 : 0;
}

static int dump_check(cli_db *db, cli_opts *o, const cli_rows *row, char **failed, int *tables)
{
	return cli_verify_dump(db, o, row, NULL, failed, tables, NULL);
}

int cli_pg_dump_verify(cli_db *db, cli_opts *o, const cli_backup_ref *b, char **why, char **doc)
{
	if (!b->row)
		return verify_alone(db, o, b->arg, why, doc);
	return cli_backup_verify_marked(db, o, b->row, b->stored, dump_check, why, doc);
}
