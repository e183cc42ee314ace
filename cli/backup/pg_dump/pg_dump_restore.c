/*
 * pg_dump_restore.c — dbcare restore FILE on PostgreSQL: a dump dbcare
 * made (plain or sealed) restored into the connected database, which must
 * be empty (a new one: dbcare create), from the file alone: no catalog, no
 * source database. A sealed dump is opened (the key from
 * --encrypt-key-file, as docs/backups.md says where it is kept) into a
 * scratch file without a name; restored by a superuser, the dump's code
 * runs as a role of its own (pg_restore_role.c), else pg_restore runs in one
 * transaction as the connecting role (--no-owner: it owns what it
 * restores), so a failure restores nothing; then every table's row count
 * and content hash is read
 * and compared with the record the dump carries (dump_record.h), by the
 * core's rule. A dump without a record (pg_dump's own) is restored and
 * said unchecked.
 */
#include "pg_dump.h"
#include "cli/backup/backup_methods.h"
#include "cli/backup/common/pg_backup.h"
#include "cli/backup/common/sealed.h"

#include "cli/common/tool.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What the connected database already holds that a restore would mix
 * with: relations, functions, types (but the row types of relations and
 * arrays) and schemas (but public) outside the system schemas, and
 * extensions but plpgsql, each kind with its count. NULL when it is empty
 * (malloc'd otherwise); -1 via *failed. A restore into a database holding
 * a function of its own mixed it with the dump's. */
static char *not_empty(cli_db *db, cli_opts *o, bool *failed)
{
	cli_rows r = {0};
	char *what = NULL;
	*failed =
	    cli_q(db, o,
	          "WITH u AS (SELECT oid FROM pg_catalog.pg_namespace"
	          "  WHERE nspname <> 'information_schema' AND nspname !~ '^pg_')"
	          " SELECT pg_catalog.concat_ws(', ',"
	          "  (SELECT pg_catalog.count(*) || ' relation(s)' FROM pg_catalog.pg_class"
	          "   WHERE relnamespace IN (SELECT oid FROM u) HAVING pg_catalog.count(*) > 0),"
	          "  (SELECT pg_catalog.count(*) || ' function(s)' FROM pg_catalog.pg_proc"
	          "   WHERE pronamespace IN (SELECT oid FROM u) HAVING pg_catalog.count(*) > 0),"
	          "  (SELECT pg_catalog.count(*) || ' type(s)' FROM pg_catalog.pg_type"
	          "   WHERE typnamespace IN (SELECT oid FROM u) AND typrelid = 0 AND typelem = 0"
	          "   HAVING pg_catalog.count(*) > 0),"
	          "  (SELECT pg_catalog.count(*) || ' schema(s)' FROM pg_catalog.pg_namespace"
	          "   WHERE oid IN (SELECT oid FROM u) AND nspname <> 'public'"
	          "   HAVING pg_catalog.count(*) > 0),"
	          "  (SELECT 'extensions ' || pg_catalog.string_agg(extname, ', ' ORDER BY extname)"
	          "   FROM pg_catalog.pg_extension WHERE extname <> 'plpgsql')),"
	          " pg_catalog.current_database()",
	          0, NULL, &r) != 0;
	if (!*failed && cli_cell(&r, 0, 0) && *cli_cell(&r, 0, 0) &&
	    asprintf(&what, "the database %s is not empty (%s)", cli_cell(&r, 0, 1),
	             cli_cell(&r, 0, 0)) < 0)
		what = strdup("the database is not empty");
	cli_rows_free(&r);
	return what;
}

/* Whether the connected role is a superuser (-1: not known, printed). */
static int connected_superuser(cli_db *db, cli_opts *o)
{
	cli_rows r = {0};
	if (cli_q(db, o, "SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = CURRENT_USER", 0,
	          NULL, &r) != 0 ||
	    r.nrows != 1) {
		cli_rows_free(&r);
		return -1;
	}
	int super = strcmp(cli_cell(&r, 0, 0), "true") == 0;
	cli_rows_free(&r);
	return super;
}

/* pg_restore of file into the connected database: by a superuser, as a
 * role of its own (pg_restore_role.c: the dump's code never runs with a
 * superuser's rights), else as the connecting role, in one transaction
 * (--no-owner: it owns what it restores). -1 with *err, or printed. */
static int run_pg_restore(cli_db *db, cli_opts *o, const char *shown, const char *file,
                          cli_pg_restore_check *check, char **err)
{
	int super = connected_superuser(db, o);
	if (super < 0)
		return -1;
	if (super)
		return cli_pg_restore_as_role(db, o, shown, file, check, err);
	/* dbcare is not a trusted extension: a dump that creates it restores
	 * only by a superuser, said before anything is restored */
	cli_pg_toc toc;
	bool needs_dbcare = false;
	if (cli_pg_toc_read(file, &toc, err) == 0)
		for (int i = 0; i < toc.next; i++)
			needs_dbcare = needs_dbcare || strcmp(toc.ext[i], "dbcare") == 0;
	cli_pg_toc_free(&toc);
	if (*err)
		return -1;
	if (needs_dbcare) {
		*err =
		    cli_fmt_err(shown, " creates the extension dbcare, which only a superuser may create",
		                "nothing restored\nHINT: Run the restore as a superuser: the dump's "
		                "code then runs as a role of its own, and what it restores goes to "
		                "the database's owner.");
		return -1;
	}
	return cli_pg_restore_as_connected(db, file, NULL, err);
}

/* The restored content against the dump's record (the one check of a
 * restored copy): NULL when equal, else why not (malloc'd); *tables the
 * tables compared. -1 via *failed. */
static char *compare_restored(cli_db *db, cli_opts *o, const char *file, const char *recorded,
                              long long *tables, bool *failed)
{
	cli_pg_restored v;
	*failed = cli_pg_restored_check(db, o, file, recorded, NULL, &v) != 0;
	*tables = v.counts.tables;
	free(v.content);
	return v.why;
}

static void answer(cli_db *db, cli_opts *o, const char *file, long long tables, bool checked)
{
	if (o->out.format == CLI_FMT_JSON) {
		cli_json_envelope(stdout, db);
		fputs(",\"restored\":", stdout);
		cli_json_string(stdout, file);
		if (checked)
			fprintf(stdout, ",\"tables\":%lld,\"verified\":true}\n", tables);
		else
			fputs(",\"verified\":false}\n", stdout);
	} else if (!o->out.quiet) {
		if (checked)
			printf("restored %s into %s: %lld table(s), every row count and content hash the "
			       "source's\n",
			       file, db->label, tables);
		else
			printf("restored %s into %s (the dump carries no record of its content: not "
			       "compared)\n",
			       file, db->label);
	}
}

/* The opened dump (dump: file, or its scratch copy) restored and
 * compared with its record: a CLI_* code, its error printed. */
static int restore_opened(cli_db *db, cli_opts *o, const char *file, const char *dump)
{
	cli_dump_record rec = {0};
	char *err = NULL, *why = NULL;
	bool failed = false;
	long long tables = 0;
	int has = cli_dump_record_read(dump, &rec, &err);
	bool checked = has == 1 && rec.content;
	cli_pg_restore_check check = {.recorded = checked ? rec.content : NULL};
	if (has >= 0) {
		cli_note(&o->out, "pg_restore %s into %s", file, db->label);
		failed = run_pg_restore(db, o, file, dump, &check, &err) != 0;
	}
	if (check.done) { /* compared by the restore, before it kept anything */
		why = check.why;
		tables = check.tables;
	} else if (has >= 0 && !failed && checked) {
		why = compare_restored(db, o, file, rec.content, &tables, &failed);
	}
	if (why && check.done)
		cli_errorf("%s differs from its source once restored: %s; nothing restored", file, why);
	else if (why)
		fprintf(stderr,
		        "dbcare: %s was restored into %s but differs from its source: %s\n"
		        "HINT: The database holds that copy: drop it and restore into a new one.\n",
		        file, db->label, why);
	if (err)
		fprintf(stderr, "%s\n", err);
	int rc = has < 0 || failed || why ? CLI_ERROR : CLI_OK;
	if (rc == CLI_OK)
		answer(db, o, file, tables, checked);
	free(err);
	free(why);
	cli_dump_record_free(&rec);
	return rc;
}

int cli_pg_dump_restore(cli_db *db, cli_opts *o, const char *file)
{
	bool failed = false;
	char *why = NULL, *opened = NULL;
	char *full = not_empty(db, o, &failed);
	if (failed || full) {
		if (full)
			fprintf(stderr,
			        "dbcare: %s: nothing restored\nHINT: Restore into a new database: dbcare "
			        "create --db URL, then dbcare restore %s --db URL.\n",
			        full, file);
		free(full);
		return CLI_ERROR;
	}
	if (cli_is_sealed(file) && !(opened = cli_unseal_to_temp(file, &why))) {
		if (why)
			cli_errorf("%s cannot be opened: %s; nothing restored", file, why);
		free(why);
		return CLI_ERROR;
	}
	int rc = restore_opened(db, o, file, opened ? opened : file);
	cli_scratch_release(opened);
	return rc;
}
