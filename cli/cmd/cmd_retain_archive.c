/*
 * cmd_retain_archive.c — retain's policies whose archive is another
 * database (target archive-db:NAME; docs/retention.md, "Archives in
 * another database"). The other database comes from --archive-db, or
 * DBCARE_ARCHIVE_DB in the environment or .env: a connection string is
 * never written into SQL text or either database's catalog.
 *
 * Each batch goes in stages, each one transaction in one database, in
 * this order: the source picks it (dbretain_export_next: rows, count,
 * hash), the archive stores it and reads back its count and hash
 * (dbretain_archive_store, an upsert by the batch's key), the source
 * records that they match (dbretain_export_mark), then deletes exactly
 * those rows (dbretain_export_delete). A kill between any two leaves a
 * stage the next run resumes: the source's batch in flight is handed out
 * again first, storing it again changes nothing, and nothing is deleted
 * before the archive has read back what the source counted.
 */
#include "cli/cli.h"

#include "base/clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* consecutive re-picks of a batch whose rows keep changing before it is
 * deleted: then the run stops with an error instead of chasing writers */
#define MAX_REPICKS 20

/* One statement in its own write transaction; rows into out (may be NULL). */
static int in_txn(cli_db *db, cli_opts *o, const char *sql, int n, const char *const *p,
                  cli_rows *out)
{
	if (cli_q(db, o, db->drv->begin_write, 0, NULL, NULL) != 0)
		return -1;
	if (cli_q(db, o, sql, n, p, out) != 0 || cli_q(db, o, "COMMIT", 0, NULL, NULL) != 0) {
		cli_rollback(db);
		return -1;
	}
	return 0;
}

/* One batch of policy, from wherever the last run left it; *rows: the rows
 * deleted from the source (0: nothing due), -1 on error. */
static int one_batch(cli_db *db, cli_db *adb, cli_opts *o, const char *policy, long long *rows)
{
	*rows = 0;
	for (int repick = 0; repick <= MAX_REPICKS; repick++) {
		cli_rows b = {0};
		const char *p1[1] = {policy};
		if (in_txn(db, o,
		           "SELECT batch_id, batch_key, stage, archive, source, rows, hash, payload "
		           "FROM dbretain_export_next($1)",
		           1, p1, &b) != 0)
			return -1;
		if (b.nrows == 0) {
			cli_rows_free(&b);
			return 0;
		}
		const char *id = cli_cell(&b, 0, 0), *stage = cli_cell(&b, 0, 2);
		int rc = 0;
		if (stage && strcmp(stage, "picked") == 0) {
			/* the archive's copy, and its count and hash as read back */
			cli_rows got = {0};
			const char *codec = o->archive_codec ? o->archive_codec : "zstd";
			const char *ps[7] = {cli_cell(&b, 0, 1),
			                     cli_cell(&b, 0, 3),
			                     cli_cell(&b, 0, 4),
			                     cli_cell(&b, 0, 5),
			                     cli_cell(&b, 0, 6),
			                     cli_cell(&b, 0, 7),
			                     codec};
			rc = in_txn(adb, o,
			            "SELECT stored_rows, stored_hash FROM dbretain_archive_store($1, $2, $3, "
			            "$4, $5, $6, $7)",
			            7, ps, &got);
			if (rc == 0 && got.nrows == 1) {
				const char *pm[4] = {policy, id, cli_cell(&got, 0, 0), cli_cell(&got, 0, 1)};
				rc = in_txn(db, o, "SELECT dbretain_export_mark($1, $2, $3, $4)", 4, pm, NULL);
			} else if (rc == 0) {
				cli_errorf("the archive database stored no batch");
				rc = -1;
			}
			cli_rows_free(&got);
		}
		cli_rows del = {0};
		const char *pd[2] = {policy, id};
		if (rc == 0)
			rc = in_txn(db, o, "SELECT dbretain_export_delete($1, $2)", 2, pd, &del);
		long long n =
		    rc == 0 && del.nrows == 1 && cli_cell(&del, 0, 0) ? atoll(cli_cell(&del, 0, 0)) : 0;
		cli_rows_free(&del);
		cli_rows_free(&b);
		if (rc != 0)
			return -1;
		if (n >= 0) {
			/* 0 rows: the batch's rows all changed or went; it was stored
			 * empty and is done: look for the next one */
			*rows = n;
			return n > 0 ? 0 : one_batch(db, adb, o, policy, rows);
		}
		/* -1: its rows changed before the delete: picked again, stored again */
	}
	cli_errorf("retention policy \"%s\": the rows of a batch changed %d times before they could "
	           "be deleted; try again later",
	           policy, MAX_REPICKS);
	return -1;
}

static cli_db *connect_archive(cli_opts *o, const char *url)
{
	cli_target t;
	char *err = NULL;
	if (cli_target_parse(url, &t, &err) != 0) {
		fprintf(stderr, "--archive-db: %s\n", err);
		free(err);
		return NULL;
	}
	/* a SQLite archive file is made on first use */
	cli_connect_opts co = {.module = o->module, .install = o->install, .create = true};
	cli_db *adb = cli_connect(&t, &co, &err);
	if (!adb) {
		fprintf(stderr, "--archive-db: %s\n", err);
		free(err);
	}
	free(t.spec);
	free(t.label);
	return adb;
}

int cli_retain_archive(cli_db *db, cli_opts *o, cli_archived_fn fn, void *arg)
{
	cli_rows pol = {0};
	const char *p[1] = {o->policy};
	if (cli_q(db, o,
	          o->policy ? "SELECT name FROM dbretain_policies WHERE target LIKE 'archive-db:%' "
	                      "AND name = $1"
	                    : "SELECT name FROM dbretain_policies WHERE target LIKE 'archive-db:%' "
	                      "ORDER BY name",
	          o->policy ? 1 : 0, o->policy ? p : NULL, &pol) != 0)
		return CLI_ERROR;
	if (pol.nrows == 0) {
		cli_rows_free(&pol);
		return CLI_OK;
	}
	const char *url = o->archive_db;
	if (!url) {
		cli_load_dotenv(".env");
		url = getenv("DBCARE_ARCHIVE_DB");
	}
	if (!url || !*url) {
		cli_errorf("retention policy \"%s\" archives into another database: pass --archive-db "
		           "URL or set DBCARE_ARCHIVE_DB (or write it in .env)",
		           cli_cell(&pol, 0, 0));
		cli_rows_free(&pol);
		return CLI_USAGE;
	}
	cli_db *adb = connect_archive(o, url);
	if (!adb) {
		cli_rows_free(&pol);
		return CLI_ERROR;
	}
	double start = dbc_monotonic_ms() / 1000;
	int rc = CLI_OK;
	for (int i = 0; i < pol.nrows && rc == CLI_OK; i++) {
		const char *name = cli_cell(&pol, i, 0);
		for (;;) {
			long long n = 0;
			if (one_batch(db, adb, o, name, &n) != 0 || fn(arg, name, n) != 0) {
				rc = CLI_ERROR;
				break;
			}
			if (n == 0 || dbc_monotonic_ms() / 1000 - start >= o->budget_s)
				break;
		}
	}
	cli_disconnect(adb);
	cli_rows_free(&pol);
	return rc;
}
