/*
 * cmd_migrate.c — the migration commands: each registers the files of
 * --dir (when it reads or changes pending migrations) and calls the
 * extension's dbmigrate_* functions inside one transaction. Commands that
 * only look (status, validate, verify, script, migrate --dry-run) roll
 * their transaction back, so the files are compared, never registered.
 * A transaction that writes begins with the driver's begin_write (SQLite:
 * BEGIN IMMEDIATE): a deferred one that reads first (dbmigrate_apply does)
 * could not wait for another writer's lock when it then writes -- SQLite
 * fails such an upgrade at once with "database is locked", busy timeout or
 * not. Only a looker's begin_with_files stays deferred: its registry,
 * when busy, is given up on (register_looking).
 */
#include "cli/cli.h"
#include "cli/backup/backup_methods.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>

/* The files registered for a looker, which never waits behind a running
 * migration: the registry busy past the driver's lock timeout, its
 * transaction starts again without them, and that is said; -1 after an
 * error (rolled back). */
static int register_looking(cli_db *db, cli_opts *o)
{
	bool found;
	int n;
	const char *busy = db->drv->lock_busy_sqlstate;
	if (db->drv->look_lock_timeout &&
	    cli_q(db, o, db->drv->look_lock_timeout, 0, NULL, NULL) != 0) {
		cli_rollback(db);
		return -1;
	}
	db->error_kept = busy != NULL;
	int rc = cli_register_files(db, o, &found, &n);
	db->error_kept = false;
	if (rc == 0)
		return 0;
	bool running = busy && strcmp(db->error.sqlstate, busy) == 0;
	/* a role that may read but not register (a monitoring role): a look
	 * goes on without the files, as behind a running migration */
	bool denied = busy && strcmp(db->error.sqlstate, "42501") == 0;
	char *why = denied && db->error.message ? strdup(db->error.message) : NULL;
	if (!running && !denied && busy && db->error.message)
		cli_print_db_error(&o->out, db);
	cli_rollback(db);
	if (!running && !denied)
		return -1;
	cli_error_clear(db);
	if (cli_q(db, o, "BEGIN", 0, NULL, NULL) != 0 ||
	    (db->drv->look_read_probe && cli_q(db, o, db->drv->look_read_probe, 0, NULL, NULL) != 0)) {
		cli_rollback(db);
		free(why);
		return -1;
	}
	/* a warning, also beside --json (stdout stays the document) */
	if (!o->out.quiet && denied)
		fprintf(stderr,
		        "dbcare: %s: the files of %s are not registered to be compared; what is "
		        "shown is what is committed (the pending count includes them)\n",
		        why ? why : "this role may not register migrations", o->dir);
	else if (!o->out.quiet)
		fprintf(stderr,
		        "dbcare: %s: the files of %s are not compared; what is shown is what is "
		        "committed\n",
		        db->drv->lock_busy_holder, o->dir);
	free(why);
	return 0;
}

/* BEGIN, then the files registered; -1 after an error (rolled back). A
 * read-only database (a standby) cannot register anything: lookers then
 * see what is registered, with a note; changers fail in the extension. */
static int begin_with_files(cli_db *db, cli_opts *o, bool looking)
{
	bool found;
	int n;
	if (cli_q(db, o, looking ? "BEGIN" : db->drv->begin_write, 0, NULL, NULL) != 0)
		return -1;
	if (looking && db->drv->read_only(db)) {
		/* a warning, also beside --json (stdout stays the document) */
		if (!o->out.quiet)
			fprintf(stderr,
			        "dbcare: %s is read-only: the files of %s are not compared (the "
			        "pending count includes them)\n",
			        db->label, o->dir);
		return 0;
	}
	if (looking)
		return register_looking(db, o);
	if (cli_register_files(db, o, &found, &n) != 0) {
		cli_rollback(db);
		return -1;
	}
	return 0;
}

static int commit(cli_db *db, cli_opts *o)
{
	if (cli_q(db, o, "COMMIT", 0, NULL, NULL) != 0) {
		cli_rollback(db);
		return -1;
	}
	return 0;
}

/* A count of what a call did: {"database": ..., key: n} or a line. */
static void print_count(cli_db *db, cli_opts *o, const char *key, const char *n, const char *words)
{
	if (o->out.format == CLI_FMT_JSON) {
		cli_json_envelope(stdout, db);
		fprintf(stdout, ",\"%s\":%s}\n", key, n ? n : "0");
	} else if (!o->out.quiet) {
		printf("%s %s\n", n ? n : "0", words);
	}
}

static int check_default_folder(cli_db *db, cli_opts *o, const char *verb, bool refuse_empty);

/* status --exit-code: the rows migrate refuses to go past (an applied
 * migration edited or gone, one that failed or runs now), each said with
 * its file; how many. The states are the core's; out_of_order is counted
 * pending already (and allowed by a setting). */
static int refused_states(cli_db *db, cli_opts *o, const cli_rows *r)
{
	static const char *const refused[] = {"changed", "missing", "failed", "running"};
	int vc = cli_col(r, "version"), nc = cli_col(r, "name"), sc = cli_col(r, "state"), n = 0;
	for (int i = 0; i < r->nrows; i++) {
		const char *s = cli_cell(r, i, sc), *v = cli_cell(r, i, vc);
		bool bad = false;
		for (size_t k = 0; s && k < sizeof refused / sizeof *refused; k++)
			bad |= strcmp(s, refused[k]) == 0;
		if (!bad)
			continue;
		const char *file = cli_file_of(db, v);
		cli_progress_end(&o->out);
		fprintf(stderr, "dbcare: migration %s%s%s is %s%s%s%s\n", v ? v : "", v ? " " : "",
		        cli_cell(r, i, nc) ? cli_cell(r, i, nc) : "", s, file ? " (" : "", file ? file : "",
		        file ? ")" : "");
		n++;
	}
	if (n)
		fprintf(stderr, "HINT: dbcare migrate refuses to go on: restore a changed file as it "
		                "was applied, or accept the files as they are with dbcare repair; see "
		                "dbcare validate.\n");
	return n;
}

int cmd_status(cli_db *db, cli_opts *o)
{
	if (o->replicas)
		return cli_replicas_show(db, o);
	cli_rows r = {0};
	/* status --exit-code from cron's folder must not pass as "0 pending";
	 * without it, a look at a new project is only warned */
	if (check_default_folder(db, o, "shown", o->exit_code) != 0)
		return CLI_ERROR;
	if (begin_with_files(db, o, true) != 0)
		return CLI_ERROR;
	/* a table for people leaves out the checksum and duration; JSON has all */
	int rc = cli_q(db, o,
	               o->out.format == CLI_FMT_JSON
	                   ? "SELECT version, name, kind, state, checksum, applied_at, duration_ms "
	                     "FROM dbmigrate_status()"
	                   : "SELECT version, name, kind, state, applied_at FROM dbmigrate_status()",
	               0, NULL, &r);
	cli_rollback(db);
	/* the count is the core's (dbmigrate_pending, as /readyz and the page
	 * ask), over the registry and the folder, read only */
	bool found;
	int pending = 0;
	if (rc == 0 && cli_pending_files(db, o, &found, &pending) != 0) {
		if (db->error.message) /* else the folder's error is said */
			cli_print_db_error(&o->out, db);
		rc = -1;
	}
	if (rc != 0) {
		cli_rows_free(&r);
		return CLI_ERROR;
	}
	o->report.pending = pending;
	cli_report_version(db, o);
	char *layouts = cli_folder_layouts(db);
	if (o->out.format == CLI_FMT_JSON) {
		cli_json_envelope(stdout, db);
		fprintf(stdout, ",\"pending\":%d,\"layout\":", pending);
		if (layouts)
			cli_json_string(stdout, layouts);
		else
			fputs("null", stdout);
		fputs(",\"migrations\":", stdout);
		cli_json_rows(stdout, &r);
		fputs("}\n", stdout);
	} else {
		cli_print_result(db, o, "migrations", &r);
		cli_note(&o->out, "%d pending", pending);
		if (layouts)
			cli_note(&o->out, "layout: %s", layouts);
	}
	free(layouts);
	int refused = o->exit_code ? refused_states(db, o, &r) : 0;
	cli_rows_free(&r);
	return o->exit_code && (pending || refused) ? CLI_ERROR : CLI_OK;
}

static bool is_versioned(const cli_rows *plan, int i, int kc)
{
	const char *k = cli_cell(plan, i, kc);
	return k && strcmp(k, "versioned") == 0;
}

/* How many rows of the plan are not versioned (repeatables). */
static int count_other(const cli_rows *plan, int kc)
{
	int n = 0;
	for (int i = 0; i < plan->nrows; i++)
		n += !is_versioned(plan, i, kc);
	return n;
}

/* The progress label of plan row i: its version and name, or its name. */
static char *step_label(const cli_rows *plan, int i)
{
	const char *v = cli_cell(plan, i, cli_col(plan, "version"));
	const char *n = cli_cell(plan, i, cli_col(plan, "name"));
	char *s = NULL;
	if (asprintf(&s, "%s%s%s", v ? v : "", v ? " " : "", n ? n : "") < 0)
		s = NULL;
	return s;
}

static int apply_call(cli_db *db, cli_opts *o, const char *target, int *done)
{
	cli_rows r = {0};
	const char *p[1] = {target};
	if (cli_q(db, o, "SELECT dbmigrate_apply($1)", 1, p, &r) != 0)
		return -1;
	*done += cli_cell(&r, 0, 0) ? atoi(cli_cell(&r, 0, 0)) : 0;
	cli_rows_free(&r);
	return 0;
}

/* The versioned rows of the plan in at most 100 calls of
 * dbmigrate_apply(version), a progress line after each. dbmigrate_apply
 * applies the pending repeatables with any target, so the caller has the
 * versioned files alone registered while these steps run. */
static int versioned_steps(cli_db *db, cli_opts *o, const cli_rows *plan, int *done)
{
	int vc = cli_col(plan, "version"), kc = cli_col(plan, "kind"), total = plan->nrows;
	int nv = total - count_other(plan, kc), seen = 0;
	int every = nv > 100 ? (nv + 99) / 100 : 1;
	for (int i = 0; i < total; i++) {
		if (!is_versioned(plan, i, kc) || !cli_cell(plan, i, vc))
			continue;
		if (++seen % every && seen != nv)
			continue;
		if (apply_call(db, o, cli_cell(plan, i, vc), done) != 0)
			return -1;
		char *label = step_label(plan, i);
		cli_progress(&o->out, *done, total, label);
		free(label);
	}
	return 0;
}

/* The apply, in steps when progress is shown: the versioned migrations of
 * the plan step by step with only the versioned files registered, then the
 * repeatable files registered and one dbmigrate_apply(target) for the
 * repeatables (and what the steps did not reach). The files were first
 * registered whole, for the plan, inside a savepoint this rolls back to. All
 * inside the one transaction, so the result is what one call would give,
 * each repeatable applied (and recorded) after the versioned migrations
 * before it. */
static int apply_steps(cli_db *db, cli_opts *o, const cli_rows *plan, long *applied)
{
	int kc = cli_col(plan, "kind"), total = plan->nrows, done = 0;
	bool steps = !o->out.quiet && o->out.format != CLI_FMT_JSON && total > 1;
	bool split = steps && count_other(plan, kc) > 0 && count_other(plan, kc) < total;
	bool found;
	int n;
	if (split) {
		cli_rows check = {0};
		const char *p[1] = {o->to};
		if (cli_q(db, o, "ROLLBACK TO SAVEPOINT dbcare_files", 0, NULL, NULL) != 0 ||
		    cli_register_files_part(db, o, CLI_FILES_VERSIONED, &found, &n) != 0 ||
		    cli_q(db, o, "SELECT kind FROM dbmigrate_plan($1) WHERE kind <> 'versioned'", 1, p,
		          &check) != 0)
			return -1;
		/* a repeatable registered before and still pending would be
		 * applied by the first step: then no steps, one call */
		steps = check.nrows == 0;
		cli_rows_free(&check);
		if (steps && versioned_steps(db, o, plan, &done) != 0)
			return -1;
		if (cli_register_files_part(db, o, CLI_FILES_REPEATABLE, &found, &n) != 0)
			return -1;
	} else if (steps && versioned_steps(db, o, plan, &done) != 0) {
		return -1;
	}
	int before = done;
	if (apply_call(db, o, o->to, &done) != 0)
		return -1;
	if (steps && done > before) {
		int other = count_other(plan, kc);
		char *label = NULL;
		for (int i = total - 1; !label && i >= 0; i--)
			if (!is_versioned(plan, i, kc))
				label = step_label(plan, i);
		if (other > 1 && asprintf(&label, "%d repeatables", other) < 0)
			label = NULL;
		cli_progress(&o->out, done, total, label ? label : "");
		free(label);
	}
	*applied = done;
	return 0;
}

/* BEGIN of a transaction that writes; under --online with the lock wait
 * --online sets (cli_online_tx_wait: it ends with the transaction), so
 * the lint of the plan read in it sees that timeout. */
static int begin(cli_db *db, cli_opts *o)
{
	if (cli_q(db, o, db->drv->begin_write, 0, NULL, NULL) != 0)
		return -1;
	if (o->online && cli_online_tx_wait(db, o) != 0) {
		cli_rollback(db);
		return -1;
	}
	return 0;
}

/* One transaction of its own: BEGIN, sql, COMMIT (rolled back on error). */
static int own_tx(cli_db *db, cli_opts *o, const char *sql, int n, const char *const *p, int *done)
{
	cli_rows r = {0};
	if (begin(db, o) != 0)
		return -1;
	if (cli_q(db, o, sql, n, p, &r) != 0 || commit(db, o) != 0) {
		cli_rollback(db);
		return -1;
	}
	*done += cli_cell(&r, 0, 0) ? atoi(cli_cell(&r, 0, 0)) : 0;
	cli_rows_free(&r);
	return 0;
}

/* Whether plan row i runs outside a transaction: the core's plan says so
 * (direction "script": marked -- dbcare:no-transaction, dbmate's
 * transaction:false, popx's .autocommit). */
static bool runs_outside(const cli_rows *plan, int i)
{
	const char *d = cli_cell(plan, i, cli_col(plan, "direction"));
	return d && strcmp(d, "script") == 0;
}

/* A progress line for plan row i, shown once what it did has committed:
 * lines are numbered in the order they are shown. */
static void committed_line(cli_opts *o, const cli_rows *plan, int i, bool *shown, int *nshown)
{
	if (shown[i] || o->out.format == CLI_FMT_JSON)
		return;
	shown[i] = true;
	char *label = step_label(plan, i);
	cli_progress(&o->out, ++*nshown, plan->nrows, label);
	free(label);
}

/* The full plan (every file registered in a savepoint, rolled back to), then
 * the versioned files alone registered and committed; -1 after an error. */
static int plan_then_versioned(cli_db *db, cli_opts *o, cli_rows *plan)
{
	bool found;
	int n;
	const char *p[1] = {o->to};
	if (begin(db, o) != 0)
		return -1;
	if (cli_q(db, o, "SAVEPOINT dbcare_files", 0, NULL, NULL) != 0 ||
	    cli_register_files(db, o, &found, &n) != 0 ||
	    cli_q(db, o, "SELECT step, version, name, kind, direction FROM dbmigrate_plan($1)", 1, p,
	          plan) != 0 ||
	    cli_q(db, o, "ROLLBACK TO SAVEPOINT dbcare_files", 0, NULL, NULL) != 0 ||
	    cli_register_files_part(db, o, CLI_FILES_VERSIONED, &found, &n) != 0 ||
	    commit(db, o) != 0) {
		cli_rollback(db);
		return -1;
	}
	return 0;
}

/* The migrate of a folder that cannot run as one transaction, as dbmate
 * and Flyway run one: the versioned files registered (committed); a
 * migration marked to run outside a transaction (-- dbcare:no-transaction,
 * dbmate's transaction:false, popx's .autocommit) statement by statement at
 * top level, as dbmigrate_script() does; the others in transactions: with
 * each (--commit-each) one per migration, as CALL dbmigrate_run() does (an
 * enum value one adds is usable in the next), else one per run of them
 * between two such migrations; then the repeatable files registered and
 * applied, with the versioned migrations after the last such one, in one
 * last transaction. A failure stops there: what committed before stays. A
 * progress line is shown only for what has committed. */
static int migrate_in_steps(cli_db *db, cli_opts *o, bool each)
{
	bool found;
	int n, done = 0, nshown = 0;
	cli_rows plan = {0};
	const char *p[1] = {o->to};
	if (plan_then_versioned(db, o, &plan) != 0)
		return CLI_ERROR;
	bool *shown = calloc((size_t)plan.nrows + 1, sizeof(bool));
	if (!shown) {
		cli_errorf("out of memory");
		cli_rows_free(&plan);
		return CLI_ERROR;
	}
	int vc = cli_col(&plan, "version"), kc = cli_col(&plan, "kind");
	int rc = 0, run_from = -1; /* the first row of the transactional run not applied */
	for (int i = 0; rc == 0 && i < plan.nrows; i++) {
		const char *v = cli_cell(&plan, i, vc);
		if (!is_versioned(&plan, i, kc) || !v)
			continue; /* a repeatable: in the last transaction */
		bool outside = runs_outside(&plan, i) || o->online;
		if (outside && run_from >= 0) {
			/* the run before it, up to the versioned row before i */
			int last = i - 1;
			while (last > run_from && !is_versioned(&plan, last, kc))
				last--;
			const char *lp[1] = {cli_cell(&plan, last, vc)};
			rc = own_tx(db, o, "SELECT dbmigrate_apply($1)", 1, lp, &done);
			for (int j = run_from; rc == 0 && j <= last; j++)
				if (is_versioned(&plan, j, kc))
					committed_line(o, &plan, j, shown, &nshown);
			run_from = -1;
		}
		if (rc != 0)
			break;
		if (outside) {
			bool ran;
			rc = o->online ? cli_run_online(db, o, v, &ran) : cli_run_outside_tx(db, o, v, &ran);
			done += ran;
		} else if (each) {
			const char *vp[1] = {v};
			rc = own_tx(db, o, "SELECT dbmigrate_apply($1)", 1, vp, &done);
		} else {
			if (run_from < 0)
				run_from = i;
			continue;
		}
		if (rc == 0)
			committed_line(o, &plan, i, shown, &nshown);
	}
	if (rc == 0) {
		cli_rows r = {0};
		if (begin(db, o) != 0 ||
		    cli_register_files_part(db, o, CLI_FILES_REPEATABLE, &found, &n) != 0 ||
		    cli_q(db, o, "SELECT dbmigrate_apply($1)", 1, p, &r) != 0 || commit(db, o) != 0) {
			cli_rollback(db);
			rc = -1;
		} else {
			done += cli_cell(&r, 0, 0) ? atoi(cli_cell(&r, 0, 0)) : 0;
			for (int i = 0; i < plan.nrows; i++)
				committed_line(o, &plan, i, shown, &nshown);
		}
		cli_rows_free(&r);
	}
	free(shown);
	cli_progress_end(&o->out);
	if (rc == 0)
		cli_report_version(db, o);
	if (rc == 0 && o->out.format == CLI_FMT_JSON) {
		cli_json_envelope(stdout, db);
		fprintf(stdout, ",\"applied\":%d,\"migrations\":", done);
		cli_json_rows(stdout, &plan);
		fputs("}\n", stdout);
	} else if (!o->out.quiet) {
		printf("%d migration(s) applied%s\n", done, rc == 0 ? "" : " before the error");
	}
	cli_rows_free(&plan);
	if (rc == 0 && o->wait_replicas)
		return cli_replicas_wait(db, o);
	return rc == 0 ? CLI_OK : CLI_ERROR;
}

/* Whether any row of the plan runs outside a transaction. */
static bool plan_has_outside(const cli_rows *plan)
{
	for (int i = 0; i < plan->nrows; i++)
		if (runs_outside(plan, i))
			return true;
	return false;
}

/* migrate or status without --dir in a folder that has no migrations/: a
 * run in the wrong folder must not pass for a database that is up to date.
 * Nothing registered either: an error that names the folder (and a
 * dbmate-style db/migrations when there is one); otherwise the registered
 * migrations are applied or shown, with a warning that the folder was not
 * there. */
static int check_default_folder(cli_db *db, cli_opts *o, const char *verb, bool refuse_empty)
{
	struct stat sb;
	cli_rows r = {0};
	if (o->dir_given || stat(o->dir, &sb) == 0 || errno != ENOENT)
		return 0;
	if (cli_q(db, o, "SELECT count(*) FROM dbmigrate_status()", 0, NULL, &r) != 0)
		return -1;
	bool registered = cli_cell(&r, 0, 0) && atol(cli_cell(&r, 0, 0)) > 0;
	cli_rows_free(&r);
	if (registered) {
		if (!o->out.quiet)
			fprintf(stderr,
			        "dbcare: no migration folder \"%s\" here: only the migrations registered "
			        "in %s are %s\n",
			        o->dir, db->label, verb);
		return 0;
	}
	if (!refuse_empty) {
		if (!o->out.quiet)
			fprintf(stderr,
			        "dbcare: no migration folder \"%s\" here, and no migration is registered "
			        "in %s\n",
			        o->dir, db->label);
		return 0;
	}
	cli_errorf("no migration folder \"%s\" here, and no migration is registered in %s: "
	           "nothing to %s",
	           o->dir, db->label, strcmp(verb, "applied") == 0 ? "migrate" : "check");
	fprintf(stderr, "HINT: Name the folder with --dir%s.\n",
	        stat("db/migrations", &sb) == 0 ? " (db/migrations is here: --dir db/migrations)" : "");
	return -1;
}

static int migrate_run(cli_db *db, cli_opts *o);

int cmd_migrate(cli_db *db, cli_opts *o)
{
	/* refused before anything is applied: a SQLite file has no replicas */
	if (o->wait_replicas && !db->drv->replicas) {
		cli_errorf("%s has no replicas to wait for: --wait-replicas is PostgreSQL's "
		           "(docs/topology.md)",
		           db->label);
		return CLI_USAGE;
	}
	if (!o->online &&
	    (o->lock_timeout_s > 0 || o->lock_retries > 0 || o->blockers || o->max_replica_lag > 0)) {
		cli_errorf("--lock-timeout, --lock-retries, --blockers and --max-replica-lag are "
		           "--online's: add --online");
		return CLI_USAGE;
	}
	if (o->online && !db->drv->lock_wait_local) {
		cli_errorf("%s has no online migration (docs/migrations.md)", db->label);
		return CLI_USAGE;
	}
	/* --online's waits end with their transaction or statement; where the
	 * engine's wait is the connection's, it is put back as found */
	long found = -1;
	if (o->online && cli_online_waits_found(db, o, &found) != 0)
		return CLI_ERROR;
	int rc = migrate_run(db, o);
	if (cli_online_waits_restore(db, o, found) != 0 && rc == CLI_OK)
		rc = CLI_ERROR;
	return rc;
}

/* cmd_migrate once its options are checked. */
static int migrate_run(cli_db *db, cli_opts *o)
{
	if (check_default_folder(db, o, "applied", true) != 0)
		return CLI_ERROR;
	if ((o->commit_each || o->online) && !o->dry_run)
		return migrate_in_steps(db, o, true);
	cli_rows plan = {0};
	const char *p[1] = {o->to};
	bool found;
	int n;
	if (begin(db, o) != 0)
		return CLI_ERROR;
	/* the plan is shown (dry run, JSON), drives the progress steps, and
	 * says whether a migration must run outside a transaction */
	if (cli_q(db, o, "SAVEPOINT dbcare_files", 0, NULL, NULL) != 0 ||
	    cli_register_files(db, o, &found, &n) != 0 ||
	    cli_q(db, o, "SELECT step, version, name, kind, direction FROM dbmigrate_plan($1)", 1, p,
	          &plan) != 0) {
		cli_rollback(db);
		return CLI_ERROR;
	}
	if (!o->dry_run && plan_has_outside(&plan)) {
		cli_rollback(db);
		cli_rows_free(&plan);
		return migrate_in_steps(db, o, false);
	}
	if (o->dry_run && o->online) {
		/* what each pending migration would run as, step by step */
		cli_rows steps = {0};
		int rc = cli_q(db, o,
		               "SELECT p.version, s.step, s.unit, s.mode, s.statement, s.purpose "
		               "FROM dbmigrate_plan($1) p, dbmigrate_online_plan(p.version) s "
		               "WHERE p.kind = 'versioned' ORDER BY p.step, s.step",
		               1, p, &steps);
		cli_rollback(db);
		if (rc == 0)
			cli_print_result(db, o, "steps", &steps);
		cli_rows_free(&steps);
		cli_rows_free(&plan);
		if (rc == 0)
			cli_note(&o->out, "dry run: the steps of migrate --online; nothing was changed");
		return rc == 0 ? CLI_OK : CLI_ERROR;
	}
	if (o->dry_run) {
		cli_rollback(db);
		cli_print_result(db, o, "plan", &plan);
		cli_note(&o->out, "dry run: %d migration(s) would be applied; nothing was changed",
		         plan.nrows);
		cli_rows_free(&plan);
		return CLI_OK;
	}
	long applied = 0;
	/* one transaction: its steps are shown once it has committed */
	cli_progress_hold(&o->out);
	if (apply_steps(db, o, &plan, &applied) != 0 || commit(db, o) != 0) {
		cli_rollback(db);
		cli_progress_drop(&o->out);
		cli_rows_free(&plan);
		return CLI_ERROR;
	}
	cli_progress_release(&o->out);
	cli_progress_end(&o->out);
	cli_report_version(db, o);
	if (o->out.format == CLI_FMT_JSON) {
		cli_json_envelope(stdout, db);
		fprintf(stdout, ",\"applied\":%ld,\"migrations\":", applied);
		cli_json_rows(stdout, &plan);
		fputs("}\n", stdout);
	} else if (!o->out.quiet) {
		printf("%ld migration(s) applied\n", applied);
	}
	cli_rows_free(&plan);
	return o->wait_replicas ? cli_replicas_wait(db, o) : CLI_OK;
}

/* --steps N: the target is the applied version N below the newest ("0":
 * all of them), from dbmigrate_status's apply order. */
static int steps_target(cli_db *db, cli_opts *o, char **target)
{
	cli_rows r = {0};
	if (cli_q(db, o, "SELECT version, kind, state FROM dbmigrate_status()", 0, NULL, &r) != 0)
		return -1;
	int vc = cli_col(&r, "version"), kc = cli_col(&r, "kind"), sc = cli_col(&r, "state");
	const char **applied = calloc((size_t)r.nrows + 1, sizeof(char *));
	int n = 0;
	for (int i = 0; i < r.nrows; i++) {
		const char *k = cli_cell(&r, i, kc), *s = cli_cell(&r, i, sc);
		if (k && strcmp(k, "repeatable") != 0 && s &&
		    (strcmp(s, "applied") == 0 || strcmp(s, "changed") == 0))
			applied[n++] = cli_cell(&r, i, vc);
	}
	*target = strdup(o->steps >= n ? "0" : applied[n - 1 - o->steps]);
	free(applied);
	cli_rows_free(&r);
	return 0;
}

int cmd_rollback(cli_db *db, cli_opts *o)
{
	if ((o->to != NULL) + (o->steps > 0) > 1) {
		cli_errorf("rollback takes --to or --steps, not both");
		return CLI_USAGE;
	}
	/* a half-done online migration is the newest change: undone first,
	 * and alone */
	int undone = 0;
	if (cli_undo_online(db, o, &undone) != 0)
		return CLI_ERROR;
	if (undone) {
		cli_note(&o->out, "%d half-done online migration(s) undone", undone);
		return CLI_OK;
	}
	char *target = o->to ? strdup(o->to) : NULL;
	if (o->steps > 0 && steps_target(db, o, &target) != 0)
		return CLI_ERROR;
	cli_rows r = {0};
	const char *p[1] = {target};
	int rc = cli_q(db, o, "SELECT dbmigrate_rollback($1) AS rolled_back", 1, p, &r);
	free(target);
	if (rc != 0)
		return CLI_ERROR;
	print_count(db, o, "rolled_back", cli_cell(&r, 0, 0), "migration(s) rolled back");
	cli_rows_free(&r);
	return CLI_OK;
}

int cmd_verify(cli_db *db, cli_opts *o)
{
	if (o->nargs > 0 || o->all_backups) {
		if (o->dir_given || o->to || (o->nargs > 0 && o->all_backups)) {
			cli_errorf("verify BACKUP and verify --all-backups take no --dir or --to (they are "
			           "for migrations), and not both");
			return CLI_USAGE;
		}
		return o->all_backups ? cli_verify_all_backups(db, o) : cli_verify_backup(db, o);
	}
	cli_rows r = {0};
	const char *p[1] = {o->to};
	if (begin_with_files(db, o, false) != 0)
		return CLI_ERROR;
	int rc;
	if (!db->drv->rows_hold_statement) {
		rc = cli_q(db, o, "SELECT * FROM dbmigrate_verify($1)", 1, p, &r);
	} else {
		/* the rows come as JSON from a scalar call (a table function's
		 * SELECT would keep the database busy while verify drops tables) */
		cli_rows j = {0};
		rc = cli_q(db, o, "SELECT dbmigrate_verify_json($1)", 1, p, &j);
		const char *jp[1] = {cli_cell(&j, 0, 0) ? cli_cell(&j, 0, 0) : "[]"};
		if (rc == 0)
			rc = cli_q(db, o,
			           "SELECT value->>'version' AS version, value->>'name' AS name, "
			           "value->'up_ok' AS up_ok, value->'down_ok' AS down_ok, "
			           "value->'reversible' AS reversible, value->>'detail' AS detail "
			           "FROM json_each($1)",
			           1, jp, &r);
		cli_rows_free(&j);
		for (int c = 2; rc == 0 && c < 5; c++)
			r.types[c] = CLI_T_JSON;
	}
	cli_rollback(db);
	cli_progress_end(&o->out); /* SQLite: the steps, drawn from its log */
	if (rc != 0)
		return CLI_ERROR;
	int failed = 0;
	for (int i = 0; i < r.nrows; i++)
		for (int c = 2; c < 5; c++) {
			const char *v = cli_cell(&r, i, c);
			failed += v && strcmp(v, "false") == 0;
		}
	cli_print_result(db, o, "verified", &r);
	cli_rows_free(&r);
	return failed ? CLI_ERROR : CLI_OK;
}

int cmd_validate(cli_db *db, cli_opts *o)
{
	cli_rows r = {0};
	if (begin_with_files(db, o, true) != 0)
		return CLI_ERROR;
	int rc = cli_q(db, o, "SELECT version, name, problem, detail FROM dbmigrate_validate()", 0,
	               NULL, &r);
	cli_rollback(db);
	if (rc != 0)
		return CLI_ERROR;
	cli_print_result(db, o, "problems", &r);
	if (r.nrows == 0)
		cli_note(&o->out, "no problems");
	int n = r.nrows;
	cli_rows_free(&r);
	return n ? CLI_ERROR : CLI_OK;
}

/* One changing call after the files: baseline and repair. */
static int change_call(cli_db *db, cli_opts *o, const char *sql, int n, const char *const *p,
                       const char *key, const char *words)
{
	cli_rows r = {0};
	if (begin_with_files(db, o, false) != 0)
		return CLI_ERROR;
	if (cli_q(db, o, sql, n, p, &r) != 0 || commit(db, o) != 0) {
		cli_rollback(db);
		return CLI_ERROR;
	}
	print_count(db, o, key, cli_cell(&r, 0, 0), words);
	cli_rows_free(&r);
	return CLI_OK;
}

int cmd_baseline(cli_db *db, cli_opts *o)
{
	const char *p[1] = {o->args[0]};
	return change_call(db, o, "SELECT dbmigrate_baseline($1)", 1, p, "baselined",
	                   "migration(s) marked as applied");
}

int cmd_repair(cli_db *db, cli_opts *o)
{
	return change_call(db, o, "SELECT dbmigrate_repair()", 0, NULL, "repaired",
	                   "record(s) repaired");
}

int cmd_history(cli_db *db, cli_opts *o)
{
	cli_rows r = {0};
	if (cli_q(db, o, "SELECT * FROM dbmigrate_history()", 0, NULL, &r) != 0)
		return CLI_ERROR;
	cli_print_result(db, o, "history", &r);
	cli_rows_free(&r);
	return CLI_OK;
}

int cmd_script(cli_db *db, cli_opts *o)
{
	cli_rows r = {0};
	const char *p[1] = {o->to};
	if (begin_with_files(db, o, true) != 0)
		return CLI_ERROR;
	int rc = cli_q(db, o, "SELECT dbmigrate_script($1)", 1, p, &r);
	cli_rollback(db);
	if (rc != 0)
		return CLI_ERROR;
	const char *s = cli_cell(&r, 0, 0);
	if (o->out.format == CLI_FMT_JSON) {
		cli_json_envelope(stdout, db);
		fprintf(stdout, ",\"script\":");
		cli_json_string(stdout, s ? s : "");
		fputs("}\n", stdout);
	} else {
		fputs(s ? s : "", stdout);
	}
	cli_rows_free(&r);
	return CLI_OK;
}
