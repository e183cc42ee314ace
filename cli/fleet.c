/*
 * fleet.c — one command on many databases. o->jobs worker processes (forked
 * once each, with the module and the --dir files already loaded in the
 * parent) take the databases one at a time from the parent, each with its own
 * connection; a worker's output goes to its own unlinked temp files and the
 * parent keeps where each database's part of it begins and ends. Then a
 * summary shows every database with its result and duration, followed by the
 * errors. The exit code is the worst of all: usage (2), then error (1), then
 * replicas behind (4), then threshold (3), then ok (0).
 *
 * A stop signal stops the fleet (fleet_stop.h): no database is started
 * after it, each busy worker stops as one dbcare does, and the summary
 * says which databases were done before dbcare ends of the signal.
 *
 * A worker serves many databases: forking and exiting once per database cost
 * more system time than a small database's whole migration (docs/benchmarks.md,
 * "A fleet's workers"). A database is still isolated from the others by its
 * own connection; a worker that dies inside one (a crash, a kill) fails that
 * database alone, and a new worker takes the rest.
 */
#include "fleet_stop.h"
#include "cli/common/stop_signals.h"
#include "options.h"

#include "base/clock.h"
#include "cli/backup/common/stop_cleanup.h"
#include "cli/common/version_tally.h"
#include "migrate/migrate.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* One database's run: its result, and its slice of its worker's files. */
typedef struct job {
	FILE *out, *err; /* its worker's files; NULL when it never started */
	double ms;
	int rc;
	bool started; /* false: the fleet stopped (--canary, --max-failures) first */
	cli_db_report report;
	long out_at, out_end, err_at, err_end;
} job;

/* A database's state in the summary: its exit code alone would call a
 * database with pending migrations (status --exit-code: 1) an error. */
typedef enum {
	ST_OK,
	ST_PENDING,
	ST_FAILED,
	ST_UNREACHABLE,
	ST_THRESHOLD,
	ST_USAGE,
	ST_NOT_RUN,
	ST_COUNT
} db_state;

static const char *const state_words[ST_COUNT] = {"ok",        "pending", "failed", "unreachable",
                                                  "threshold", "usage",   "not run"};

/* A worker process and the parent's ends of its pipes: the parent writes a
 * database's index to `ask`, the worker answers on `told` when it is done. */
typedef struct worker {
	pid_t pid;
	int ask, told;
	FILE *out, *err;       /* the worker's stdout and stderr, unlinked temp files */
	long out_pos, err_pos; /* where the worker's next database's output starts */
	int current;           /* the database being run, -1 when idle */
	double started;
} worker;

/* The worker's answer for one database: fixed size, far below PIPE_BUF. */
typedef struct answer {
	int rc;
	int stopped; /* a stop signal held at a commit point: the fleet stops */
	long out_end, err_end;
	cli_db_report report;
} answer;

static int severity(int rc)
{
	return rc == CLI_OK             ? 0
	       : rc == CLI_THRESHOLD    ? 1
	       : rc == CLI_REPLICAS_LAG ? 2
	       : rc == CLI_ERROR        ? 3
	                                : 4;
}

static db_state state_of(const job *j)
{
	if (!j->started)
		return ST_NOT_RUN;
	if (j->report.unreachable && j->rc != CLI_USAGE)
		return ST_UNREACHABLE;
	/* status: pending is its own state, with or without --exit-code */
	if (j->report.pending > 0 && (j->rc == CLI_OK || j->rc == CLI_ERROR))
		return ST_PENDING;
	return j->rc == CLI_OK          ? ST_OK
	       : j->rc == CLI_THRESHOLD ? ST_THRESHOLD
	       : j->rc == CLI_USAGE     ? ST_USAGE
	                                : ST_FAILED;
}

/* What stops a fleet's --canary and --max-failures: a database not done. */
static bool is_failure(db_state s)
{
	return s == ST_FAILED || s == ST_UNREACHABLE || s == ST_USAGE;
}

/* Whole transfers only: false on end of file or an error. */
static bool read_all(int fd, void *buf, size_t len)
{
	char *p = buf;
	while (len > 0) {
		ssize_t got = read(fd, p, len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return false;
		p += got;
		len -= (size_t)got;
	}
	return true;
}

static bool write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t put = write(fd, p, len);
		if (put < 0 && errno == EINTR)
			continue;
		if (put <= 0)
			return false;
		p += put;
		len -= (size_t)put;
	}
	return true;
}

/* A slice of a worker's file, as a string (empty when there is none). */
static char *slice(FILE *f, long at, long end)
{
	size_t n = f && end > at ? (size_t)(end - at) : 0;
	char *s = malloc(n + 1);
	if (!s)
		return NULL;
	ssize_t got = n ? pread(fileno(f), s, n, at) : 0;
	s[got > 0 ? got : 0] = '\0';
	return s;
}

static long file_end(FILE *f)
{
	return lseek(fileno(f), 0, SEEK_END);
}

/* The worker's loop: a database index in, its run, the answer out, until
 * the parent closes `ask`. Its stdout and stderr are its temp files, so each
 * answer says where this database's output ends. */
static void serve(const cli_command *cmd, cli_opts *o, int ask, int told)
{
	o->out.tty = o->out.term = false;
	o->out.quiet = true; /* no progress lines from inside a fleet */
	int i;
	while (read_all(ask, &i, sizeof i)) {
		o->report = (cli_db_report){.wanted = true};
		answer a = {.rc = cli_run_one(cmd, o, o->dbs[i])};
		a.report = o->report;
		a.stopped = cli_stop_take_dropped();
		/* output lost on the way to the temp file fails this database */
		if (cli_flush_stdout() != 0 && a.rc != CLI_USAGE)
			a.rc = CLI_ERROR;
		fflush(stderr);
		a.out_end = lseek(STDOUT_FILENO, 0, SEEK_CUR);
		a.err_end = lseek(STDERR_FILENO, 0, SEEK_CUR);
		if (!write_all(told, &a, sizeof a))
			break;
	}
	_exit(CLI_OK);
}

/* Forks worker w (its temp files made once, kept by a replacement). The
 * child closes the parent's ends of every other worker's pipes: a worker
 * holding a sibling's `ask` open would keep that sibling from ever reading
 * its end. */
static int spawn(const cli_command *cmd, cli_opts *o, worker *ws, int nw, int w,
                 void (*sigpipe)(int))
{
	worker *k = &ws[w];
	int ask[2], told[2];
	if (!k->out && !(k->out = tmpfile()))
		return -1;
	if (!k->err && !(k->err = tmpfile()))
		return -1;
	if (pipe2(ask, O_CLOEXEC) != 0)
		return -1;
	if (pipe2(told, O_CLOEXEC) != 0) {
		close(ask[0]);
		close(ask[1]);
		return -1;
	}
	k->out_pos = file_end(k->out);
	k->err_pos = file_end(k->err);
	fflush(stdout);
	fflush(stderr);
	k->pid = fork();
	if (k->pid < 0) {
		close(ask[0]);
		close(ask[1]);
		close(told[0]);
		close(told[1]);
		return -1;
	}
	if (k->pid == 0) {
		cli_fleet_stop_child();
		signal(SIGPIPE, sigpipe);
		for (int i = 0; i < nw; i++)
			if (i != w && ws[i].pid > 0) {
				close(ws[i].ask);
				close(ws[i].told);
			}
		close(ask[1]);
		close(told[0]);
		dup2(fileno(k->out), STDOUT_FILENO);
		dup2(fileno(k->err), STDERR_FILENO);
		serve(cmd, o, ask[0], told[1]);
	}
	close(ask[0]);
	close(told[1]);
	k->ask = ask[1];
	k->told = told[0];
	k->current = -1;
	return 0;
}

/* Gives worker w database i; false when the worker is gone (the caller
 * learns why from its pipe's end). */
static bool dispatch(worker *k, job *jobs, int i)
{
	if (!write_all(k->ask, &i, sizeof i))
		return false;
	k->current = i;
	k->started = dbc_monotonic_ms();
	jobs[i].started = true;
	jobs[i].out = k->out;
	jobs[i].err = k->err;
	jobs[i].out_at = k->out_pos;
	jobs[i].err_at = k->err_pos;
	return true;
}

/* Ends the parent's side of worker w and waits for it; its status. */
static int retire(worker *k)
{
	int status = 0;
	close(k->ask);
	close(k->told);
	while (waitpid(k->pid, &status, 0) < 0 && errno == EINTR)
		;
	k->pid = 0;
	return status;
}

/* Where a fleet stands while it runs: for the progress line, --canary
 * and --max-failures. */
typedef struct fleet_run {
	int n, finished, failures;
	int limit; /* databases that may be started now (the canaries first) */
	bool stopped;
} fleet_run;

static void finish_job(cli_opts *o, worker *k, job *j, const answer *a, fleet_run *fr)
{
	j->rc = a->rc;
	j->report = a->report;
	j->ms = dbc_monotonic_ms() - k->started;
	j->out_end = k->out_pos = a->out_end;
	j->err_end = k->err_pos = a->err_end;
	k->current = -1;
	fr->finished++;
	if (a->stopped)
		cli_fleet_stop_note(a->stopped);
	if (is_failure(state_of(j)))
		fr->failures++;
	if (o->max_failures > 0 && fr->failures >= o->max_failures)
		fr->stopped = true;
	/* a progress bar on a terminal only: a log gets the summary */
	if (!o->out.quiet && o->out.tty && o->out.format != CLI_FMT_JSON) {
		char what[64];
		snprintf(what, sizeof what, fr->failures ? "databases, %d failed" : "databases",
		         fr->failures);
		cli_progress(&o->out, fr->finished, fr->n, what);
	}
}

/* What the parent waits on (fds: nw + 1 entries): the busy workers' answer
 * pipes (*busy of them, first), then the stop's wake-up, so a stop signal
 * ends the wait even when it came before it began; the set's size. */
static nfds_t wait_set(const worker *ws, int nw, struct pollfd *fds, nfds_t *busy)
{
	struct pollfd *f = fds;
	for (int w = 0; w < nw; w++)
		if (ws[w].pid > 0 && ws[w].current >= 0)
			*f++ = (struct pollfd){.fd = ws[w].told, .events = POLLIN};
	*busy = (nfds_t)(f - fds);
	int stop_fd = cli_fleet_stop_fd();
	if (stop_fd >= 0)
		*f++ = (struct pollfd){.fd = stop_fd, .events = POLLIN};
	return (nfds_t)(f - fds);
}

/* Runs every database through the workers ws (nw of them); each job gets
 * its result. A job no worker could take keeps CLI_ERROR. */
static void run_jobs(const cli_command *cmd, cli_opts *o, job *jobs, int n, worker *ws, int nw)
{
	int next = 0, lost = 0;
	fleet_run fr = {.n = n, .limit = o->canary > 0 && o->canary < n ? o->canary : n};
	struct pollfd *fds = calloc((size_t)nw + 1, sizeof(struct pollfd));
	if (!fds)
		return;
	/* a worker gone between two databases must not end the parent */
	void (*sigpipe)(int) = signal(SIGPIPE, SIG_IGN);
	bool passed = false;
	for (;;) {
		/* stopped: no database starts, the busy ones are told once */
		if (cli_fleet_stop_signal() && !passed) {
			fr.stopped = passed = true;
			for (int w = 0; w < nw; w++)
				if (ws[w].current >= 0)
					cli_fleet_stop_pass(ws[w].pid);
		}
		/* idle or missing workers take the next databases; a worker that
		 * cannot be started or dies before reading its database is
		 * replaced, a few times in a row at most */
		if (fr.limit < n && fr.finished >= fr.limit) {
			/* the canaries are done: the rest only when none failed */
			if (fr.failures)
				fr.stopped = true;
			fr.limit = n;
		}
		for (int w = 0;
		     w < nw && next < fr.limit && !fr.stopped && !cli_fleet_stop_signal() && lost <= 2 * nw;
		     w++) {
			worker *k = &ws[w];
			if (k->pid == 0) {
				if (spawn(cmd, o, ws, nw, w, sigpipe) != 0) {
					lost++;
					continue;
				}
			}
			if (k->current >= 0)
				continue;
			if (dispatch(k, jobs, next)) {
				next++;
			} else {
				retire(k);
				lost++;
				w--; /* the same slot again */
			}
		}
		nfds_t busy, all = wait_set(ws, nw, fds, &busy);
		if (busy == 0)
			break;
		if (cli_fleet_stop_signal() && !passed)
			continue; /* came meanwhile: told at the top first */
		if (poll(fds, all, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int w = 0; w < nw; w++) {
			worker *k = &ws[w];
			bool ready = false;
			for (nfds_t i = 0; i < busy; i++)
				ready |= k->pid > 0 && fds[i].fd == k->told && fds[i].revents != 0;
			if (!ready)
				continue;
			answer a;
			if (read_all(k->told, &a, sizeof a)) {
				finish_job(o, k, &jobs[k->current], &a, &fr);
				lost = 0;
				continue;
			}
			/* ended inside a database without answering: that one fails,
			 * with what it wrote (and its own exit code when it gave one
			 * other than 0); a new worker takes the rest */
			int status = retire(k), err = fileno(k->err), rc = CLI_ERROR;
			if (WIFSIGNALED(status)) {
				dprintf(err, "dbcare: the process for this database ended by signal %d\n",
				        WTERMSIG(status));
				/* a stop signal, even to this worker alone, stops the fleet */
				cli_fleet_stop_note(WTERMSIG(status));
			} else if (WIFEXITED(status) && WEXITSTATUS(status) != CLI_OK)
				rc = WEXITSTATUS(status);
			else
				dprintf(err, "dbcare: the process for this database ended before it finished\n");
			a = (answer){.rc = rc, .out_end = file_end(k->out), .err_end = file_end(k->err)};
			finish_job(o, k, &jobs[k->current], &a, &fr);
		}
	}
	for (; next < n && !fr.stopped; next++) {
		cli_errorf("cannot start a process for %s", o->dbs[next]);
		jobs[next].started = true; /* failed, not skipped */
	}
	for (int w = 0; w < nw; w++)
		if (ws[w].pid > 0)
			retire(&ws[w]);
	signal(SIGPIPE, sigpipe);
	cli_progress_end(&o->out);
	free(fds);
}

/* Loads once, in this process, what every worker would otherwise load for
 * each database: the SQLite module, and the --dir files. */
static void preload(const cli_command *cmd, cli_opts *o)
{
	for (int i = 0; i < o->ndbs; i++) {
		cli_target t;
		char *err = NULL;
		/* a database file: its engine loads a module into each connection */
		if (cli_target_parse(o->dbs[i], &t, &err) == 0 && cli_target_file(&t)) {
			cli_preload_module(&(cli_connect_opts){.module = o->module});
			if (cli_option_listed_for(cli_option_find("dir", 3), cmd->name))
				cli_preread_files(o, cli_target_driver(&t)->files_host);
			free(t.spec);
			free(t.label);
			break;
		}
		free(err);
	}
}

/* n with a thousands separator: 4,990. */
static void put_count(FILE *f, int n)
{
	if (n >= 1000) {
		put_count(f, n / 1000);
		fprintf(f, ",%03d", n % 1000);
	} else {
		fprintf(f, "%d", n);
	}
}

/* The summary counted by schema version where the command read one
 * (status, migrate): "4,990 at 12, 8 at 11 (pending), 2 failed"; else by
 * state: "9 ok, 1 failed". Groups also go to JSON's "versions"; at most
 * CLI_VERSION_GROUPS are named, the rest counted as other versions. */
static cli_version_tally group_versions(const job *jobs, int n)
{
	cli_version_tally t = {0};
	for (int i = 0; i < n; i++) {
		db_state st = state_of(&jobs[i]);
		if (jobs[i].report.has_version && (st == ST_OK || st == ST_PENDING))
			cli_version_tally_add(&t, jobs[i].report.version, st == ST_PENDING);
	}
	cli_version_tally_end(&t);
	return t;
}

static void print_summary_line(FILE *f, int n, const int *counts, const cli_version_tally *t)
{
	int parts = 0;
	put_count(f, n);
	fputs(" database(s): ", f);
	for (int i = 0; i < t->n; i++) {
		const cli_version_group *g = &t->g[i];
		fputs(parts++ ? ", " : "", f);
		put_count(f, g->count);
		fprintf(f, *g->version ? " at %s%s" : " with no migration applied%s%s",
		        *g->version ? g->version : "", g->pending ? " (pending)" : "");
	}
	if (t->other_count) {
		fputs(parts++ ? ", " : "", f);
		put_count(f, t->other_count);
		fputs(" at ", f);
		put_count(f, t->other_versions);
		fputs(" other versions", f);
	}
	for (int s = 0; s < ST_COUNT; s++) {
		int c = counts[s]; /* without those a version group names */
		if (c <= 0)
			continue;
		fputs(parts++ ? ", " : "", f);
		put_count(f, c);
		fprintf(f, " %s", state_words[s]);
	}
	if (!parts)
		fputs("none", f);
	fputc('\n', f);
}

/* One database in the fleet's JSON document: its exit, result, duration,
 * version, the command's own JSON output (as it is) and its errors. */
static void json_database(int i, const char *label, const job *j, db_state st, char *out,
                          const char *err)
{
	fputs(i ? ",{\"database\":" : "{\"database\":", stdout);
	cli_json_string(stdout, label);
	fprintf(stdout, ",\"exit\":%d,\"result\":\"%s\",\"duration_ms\":%.1f,\"version\":",
	        st == ST_NOT_RUN ? -1 : j->rc, state_words[st], j->ms);
	if (j->report.has_version && *j->report.version)
		cli_json_string(stdout, j->report.version);
	else
		fputs("null", stdout);
	fputs(",\"output\":", stdout);
	size_t len = out ? strlen(out) : 0;
	while (len && (out[len - 1] == '\n'))
		out[--len] = '\0';
	fputs(len ? out : "null", stdout);
	fputs(",\"errors\":", stdout);
	cli_json_string(stdout, err ? err : "");
	fputc('}', stdout);
}

/* One database's row of the text table (it takes label); its errors go to
 * stderr, each line named by the database. */
static void text_row(char **row, char *label, const job *j, db_state st, char *err, bool versions,
                     bool quiet)
{
	if (!quiet && err && *err)
		for (char *line = strtok(err, "\n"); line; line = strtok(NULL, "\n"))
			fprintf(stderr, "%s: %s\n", label ? label : "?", line);
	row[0] = label;
	row[1] = strdup(state_words[st]);
	char *d = NULL;
	if (st != ST_NOT_RUN && asprintf(&d, "%.1f", j->ms) < 0)
		d = NULL;
	row[versions ? 3 : 2] = d;
	if (versions && j->report.has_version)
		row[2] = strdup(j->report.version);
}

/* The end of the JSON document: the failures, the exit, how many
 * databases are in each state, the versions they reported. */
static void json_tail(const job *jobs, int n, int failed, int worst, const cli_version_tally *t)
{
	fprintf(stdout, "],\"failed\":%d,\"exit\":%d,\"states\":{", failed, worst);
	int all[ST_COUNT] = {0};
	for (int i = 0; i < n; i++)
		all[state_of(&jobs[i])]++;
	for (int s = 0; s < ST_COUNT; s++)
		fprintf(stdout, "%s\"%s\":%d", s ? "," : "", s == ST_NOT_RUN ? "not_run" : state_words[s],
		        all[s]);
	fputs("},\"versions\":[", stdout);
	for (int i = 0; i < t->n; i++) {
		const cli_version_group *g = &t->g[i];
		fputs(i ? ",{\"version\":" : "{\"version\":", stdout);
		if (*g->version)
			cli_json_string(stdout, g->version);
		else
			fputs("null", stdout);
		fprintf(stdout, ",\"pending\":%s,\"count\":%d}", g->pending ? "true" : "false", g->count);
	}
	fprintf(stdout, "],\"other_versions\":{\"versions\":%d,\"count\":%d}}\n", t->other_versions,
	        t->other_count);
}

static void free_fleet(job *jobs, worker *ws, int nw, cli_rows *sum)
{
	for (int i = 0; sum->cells && i < sum->nrows * sum->ncols; i++)
		free(sum->cells[i]);
	free(sum->cells);
	for (int w = 0; w < nw; w++) {
		if (ws[w].out)
			fclose(ws[w].out);
		if (ws[w].err)
			fclose(ws[w].err);
	}
	free(ws);
	free(jobs);
}

int cli_run_fleet(const cli_command *cmd, cli_opts *o)
{
	int n = o->ndbs, worst = CLI_OK;
	int nw = o->jobs < n ? o->jobs : n;
	job *jobs = calloc((size_t)n + 1, sizeof(job));
	worker *ws = calloc((size_t)nw + 1, sizeof(worker));
	if (!jobs || !ws) {
		free(jobs);
		free(ws);
		return CLI_ERROR;
	}
	for (int i = 0; i < n; i++)
		jobs[i].rc = CLI_ERROR;
	bool json = o->out.format == CLI_FMT_JSON, quiet = o->out.quiet;
	preload(cmd, o);
	cli_fleet_stop_arm();
	run_jobs(cmd, o, jobs, n, ws, nw);
	bool versions = false;
	for (int i = 0; i < n; i++)
		versions |= jobs[i].report.has_version;
	if (json)
		fputs("{\"databases\":[", stdout);
	/* the version, when any database reported one, before the duration */
	static char *plain_names[] = {"database", "result", "duration_ms"},
	            *version_names[] = {"database", "result", "version", "duration_ms"};
	static cli_type plain_types[] = {CLI_T_TEXT, CLI_T_TEXT, CLI_T_NUM},
	                version_types[] = {CLI_T_TEXT, CLI_T_TEXT, CLI_T_TEXT, CLI_T_NUM};
	int ncols = versions ? 4 : 3;
	cli_rows sum = {.ncols = ncols,
	                .nrows = n,
	                .names = versions ? version_names : plain_names,
	                .types = versions ? version_types : plain_types,
	                .cells = calloc((size_t)n * ncols + 1, sizeof(char *))};
	int counts[ST_COUNT] = {0};
	for (int i = 0; i < n; i++) {
		job *j = &jobs[i];
		db_state st = state_of(j);
		counts[st]++;
		char *label = cli_mask_password(o->dbs[i]);
		char *out = slice(j->out, j->out_at, j->out_end),
		     *err = slice(j->err, j->err_at, j->err_end);
		/* a database the fleet stopped before is no success */
		int rc = st == ST_NOT_RUN ? CLI_ERROR : j->rc;
		if (severity(rc) > severity(worst))
			worst = rc;
		if (json) {
			json_database(i, label, j, st, out, err);
			free(label);
		} else {
			/* a member's name is one cell of one line (a file name may hold a newline) */
			char *shown = cli_text_escaped(label);
			free(label);
			text_row(&sum.cells[i * ncols], shown, j, st, err, versions, quiet);
		}
		free(out);
		free(err);
	}
	int sig = cli_fleet_stop_signal();
	if ((counts[ST_NOT_RUN] || sig) && !quiet)
		fprintf(stderr, "dbcare: the fleet stopped (%s): %d database(s) not run\n",
		        sig ? cli_stop_signal_name(sig)
		        : o->max_failures > 0 &&
		                counts[ST_FAILED] + counts[ST_UNREACHABLE] + counts[ST_USAGE] >=
		                    o->max_failures
		            ? "--max-failures"
		            : "--canary",
		        counts[ST_NOT_RUN]);
	cli_version_tally tally = group_versions(jobs, n);
	/* counts keeps the members no version group names */
	for (int i = 0; i < tally.n; i++)
		counts[tally.g[i].pending ? ST_PENDING : ST_OK] -= tally.g[i].count;
	counts[ST_OK] -= tally.other_ok;
	counts[ST_PENDING] -= tally.other_pending;
	int not_ok = n - counts[ST_OK] - tally.other_ok;
	for (int i = 0; i < tally.n; i++)
		not_ok -= tally.g[i].pending ? 0 : tally.g[i].count;
	if (json) {
		json_tail(jobs, n, counts[ST_FAILED], worst, &tally);
	} else {
		if (!quiet || not_ok)
			cli_print_rows(&o->out, stdout, &sum);
		if (!quiet)
			print_summary_line(stdout, n, counts, &tally);
	}
	cli_version_tally_free(&tally);
	free_fleet(jobs, ws, nw, &sum);
	/* stopped by a signal: reported, then ended of it */
	cli_fleet_stop_end();
	return worst;
}
