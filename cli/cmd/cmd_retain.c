/*
 * cmd_retain.c — retain: dbretain_apply in committed batches, one
 * transaction per call (the driver's begin_write: BEGIN IMMEDIATE on
 * SQLite, as docs/retention.md asks when others write), a sleep between,
 * until a call moves nothing (nothing due, or only blocked rows left) or
 * the time budget ends. A cancel or crash loses at most the batch in
 * flight; every batch before it is committed. The totals are per policy.
 */
#include "cli/cli.h"

#include "base/clock.h"
#include "base/heap_grow.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

typedef struct policy_total {
	char *name;
	long long archived, deleted, blocked, remaining;
} policy_total;

static long long num(const cli_rows *r, int row, int col)
{
	const char *v = col >= 0 ? cli_cell(r, row, col) : NULL;
	return v ? atoll(v) : 0;
}

/* The total of policy name, added when new; NULL when out of memory. */
static policy_total *total_of(policy_total **t, int *n, size_t *cap, const char *name)
{
	for (int i = 0; i < *n; i++)
		if (strcmp((*t)[i].name, name) == 0)
			return &(*t)[i];
	if (!dbc_heap_reserve(t, (size_t)*n + 1, cap, sizeof **t, 8))
		return NULL;
	(*t)[*n] = (policy_total){.name = strdup(name)};
	return &(*t)[(*n)++];
}

/* One committed call; moved = rows archived or deleted; -1 on error. */
static int one_batch(cli_db *db, cli_opts *o, policy_total **t, int *n, size_t *cap,
                     long long *moved)
{
	cli_rows r = {0};
	const char *p[1] = {o->policy};
	if (cli_q(db, o, db->drv->begin_write, 0, NULL, NULL) != 0)
		return -1;
	if (cli_q(db, o,
	          o->policy ? "SELECT policy, archived, deleted, blocked, remaining "
	                      "FROM dbretain_apply($1)"
	                    : "SELECT policy, archived, deleted, blocked, remaining "
	                      "FROM dbretain_apply()",
	          o->policy ? 1 : 0, o->policy ? p : NULL, &r) != 0 ||
	    cli_q(db, o, "COMMIT", 0, NULL, NULL) != 0) {
		cli_rollback(db);
		cli_rows_free(&r);
		return -1;
	}
	int pc = cli_col(&r, "policy"), ac = cli_col(&r, "archived"), dc = cli_col(&r, "deleted"),
	    bc = cli_col(&r, "blocked"), rc = cli_col(&r, "remaining");
	*moved = 0;
	for (int i = 0; i < r.nrows; i++) {
		policy_total *pt = total_of(t, n, cap, cli_cell(&r, i, pc) ? cli_cell(&r, i, pc) : "");
		if (!pt) {
			cli_rows_free(&r);
			return -1;
		}
		pt->archived += num(&r, i, ac);
		pt->deleted += num(&r, i, dc);
		pt->blocked = num(&r, i, bc); /* per call: the rows kept this time */
		pt->remaining = num(&r, i, rc);
		*moved += num(&r, i, ac) + num(&r, i, dc);
	}
	cli_rows_free(&r);
	return 0;
}

static void print_totals(cli_db *db, cli_opts *o, const policy_total *t, int n, int batches,
                         const char *stopped)
{
	if (o->out.format == CLI_FMT_JSON) {
		cli_json_envelope(stdout, db);
		fprintf(stdout, ",\"batches\":%d,\"stopped\":\"%s\",\"policies\":[", batches, stopped);
		for (int i = 0; i < n; i++) {
			fputs(i ? ",{\"policy\":" : "{\"policy\":", stdout);
			cli_json_string(stdout, t[i].name);
			fprintf(stdout,
			        ",\"archived\":%lld,\"deleted\":%lld,\"blocked\":%lld,\"remaining\":%lld}",
			        t[i].archived, t[i].deleted, t[i].blocked, t[i].remaining);
		}
		fputs("]}\n", stdout);
		return;
	}
	if (o->out.quiet)
		return;
	printf("%-24s %10s %10s %10s %10s\n", "policy", "archived", "deleted", "blocked", "remaining");
	for (int i = 0; i < n; i++)
		printf("%-24s %10lld %10lld %10lld %10lld\n", t[i].name, t[i].archived, t[i].deleted,
		       t[i].blocked, t[i].remaining);
	cli_note(&o->out, "%d batch(es); stopped: %s", batches, stopped);
}

/* --attach: each NAME=PATH ATTACHed to this connection before the first
 * batch (ATTACH cannot run inside a transaction), so an archive policy
 * whose target is NAME.table moves its rows into that file; each batch
 * then commits in both files at once. The name and the path are bound as
 * values, never spliced into SQL. A missing file is refused: ATTACH would
 * make it empty, and the policy would fail on a table that is not there. */
static int attach_all(cli_db *db, cli_opts *o)
{
	if (o->nattach == 0)
		return CLI_OK;
	if (!db->drv->attaches_files) {
		cli_errorf("--attach attaches SQLite databases; on PostgreSQL an archive target is a "
		           "schema of the same database (no attachment needed)");
		return CLI_USAGE;
	}
	for (int i = 0; i < o->nattach; i++) {
		struct stat sb;
		if (stat(o->attach_paths[i], &sb) != 0) {
			cli_errorf("--attach %s: cannot use \"%s\": %s", o->attach_names[i], o->attach_paths[i],
			           strerror(errno));
			return CLI_ERROR;
		}
		const char *p[2] = {o->attach_paths[i], o->attach_names[i]};
		if (cli_q(db, o, "ATTACH DATABASE $1 AS $2", 2, p, NULL) != 0)
			return CLI_ERROR;
	}
	return CLI_OK;
}

/* What cli_retain_archive reports after each batch it moved. */
typedef struct archived_acc {
	cli_opts *o;
	policy_total **t;
	int *n, batches;
	size_t *cap; /* *t's room */
	long long moved;
} archived_acc;

static int add_archived(void *arg, const char *policy, long long rows)
{
	archived_acc *a = arg;
	policy_total *pt = total_of(a->t, a->n, a->cap, policy);
	if (!pt)
		return -1;
	pt->archived += rows;
	a->batches++;
	a->moved += rows;
	if (rows > 0 && !a->o->out.quiet && a->o->out.format != CLI_FMT_JSON)
		fprintf(stderr, "batch %d: %lld row(s) archived into another database, %lld in all\n",
		        a->batches, rows, a->moved);
	return 0;
}

/* SQLite enforces foreign keys only on a connection that asks: this one
 * does, so an ON DELETE CASCADE, SET NULL or SET DEFAULT key acts on the
 * rows a policy deletes as it does for the application (the extension
 * refuses such a policy on a connection that does not enforce them, and
 * keeps rows a key without an action references either way). */
static int enforce_foreign_keys(cli_db *db, cli_opts *o)
{
	const char *enforce = db->drv->enforce_foreign_keys;
	if (!enforce)
		return CLI_OK; /* always enforced */
	return cli_q(db, o, enforce, 0, NULL, NULL) == 0 ? CLI_OK : CLI_ERROR;
}

int cmd_retain(cli_db *db, cli_opts *o)
{
	if (enforce_foreign_keys(db, o) != CLI_OK)
		return CLI_ERROR;
	int attached = attach_all(db, o);
	if (attached != CLI_OK)
		return attached;
	policy_total *t = NULL;
	int n = 0, batches = 0, rc = CLI_OK;
	size_t cap = 0;
	/* the policies archiving into another database first (the applies
	 * below leave them alone) */
	archived_acc acc = {.o = o, .t = &t, .n = &n, .cap = &cap};
	rc = cli_retain_archive(db, o, add_archived, &acc);
	if (rc != CLI_OK) {
		for (int i = 0; i < n; i++)
			free(t[i].name);
		free(t);
		return rc;
	}
	batches = acc.batches;
	double start = dbc_monotonic_ms() / 1000;
	const char *stopped = "done";
	long long moved_all = 0;
	for (;;) {
		long long moved = 0;
		if (one_batch(db, o, &t, &n, &cap, &moved) != 0) {
			rc = CLI_ERROR;
			stopped = "error";
			break;
		}
		batches++;
		moved_all += moved;
		if (cli_progress_shown(&o->out)) {
			/* a terminal: one line redrawn, rows moved of moved + still due */
			long long remaining = 0;
			for (int i = 0; i < n; i++)
				remaining += t[i].remaining > 0 ? t[i].remaining : 0;
			char what[64];
			snprintf(what, sizeof what, "rows moved (batch %d)", batches);
			long long all = moved_all + remaining, done = moved_all;
			if (all > INT_MAX) { /* the bar counts in ints */
				done = done * 1000 / all;
				all = 1000;
			}
			cli_progress(&o->out, (int)done, all > 0 ? (int)all : 1, what);
		} else if (!o->out.quiet && o->out.format != CLI_FMT_JSON) {
			fprintf(stderr, "batch %d: %lld row(s) moved, %lld in all\n", batches, moved,
			        moved_all);
		}
		if (moved == 0)
			break;
		if (dbc_monotonic_ms() / 1000 - start >= o->budget_s) {
			stopped = "budget";
			break;
		}
		if (o->sleep_ms > 0)
			nanosleep(&(struct timespec){o->sleep_ms / 1000, (long)(o->sleep_ms % 1000) * 1000000L},
			          NULL);
	}
	cli_progress_end(&o->out);
	print_totals(db, o, t, n, batches, stopped);
	for (int i = 0; i < n; i++)
		free(t[i].name);
	free(t);
	return rc;
}
