/*
 * fleet.c — one command on many databases. o->jobs worker processes (forked
 * once each, with the module and the --dir files already loaded in the
 * parent) take the databases one at a time from the parent, each with its own
 * connection; a worker's output goes to its own unlinked temp files and the
 * parent keeps where each database's part of it begins and ends. Then a
 * summary shows every database with its result and duration, followed by the
 * errors. The exit code is the worst of all: usage (2), then error (1), then
 * threshold (3), then ok (0).
 *
 * A worker serves many databases: forking and exiting once per database cost
 * more system time than a small database's whole migration (docs/benchmarks.md,
 * "A fleet's workers"). A database is still isolated from the others by its
 * own connection; a worker that dies inside one (a crash, a signal) fails that
 * database alone, and a new worker takes the rest.
 */
#include "cli.h"

#include "base/clock.h"

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
	long out_at, out_end, err_at, err_end;
} job;

/* A worker process and the parent's ends of its pipes: the parent writes a
 * database's index to `ask`, the worker answers on `told` when it is done. */
typedef struct worker {
	pid_t pid;
	int ask, told;
	FILE *out, *err; /* the worker's stdout and stderr, unlinked temp files */
	long out_pos, err_pos; /* where the worker's next database's output starts */
	int current; /* the database being run, -1 when idle */
	double started;
} worker;

/* The worker's answer for one database: fixed size, far below PIPE_BUF. */
typedef struct answer {
	int rc;
	long out_end, err_end;
} answer;

static int severity(int rc)
{
	return rc == CLI_OK ? 0 : rc == CLI_THRESHOLD ? 1 : rc == CLI_ERROR ? 2 : 3;
}

static const char *result_word(int rc)
{
	return rc == CLI_OK ? "ok" : rc == CLI_THRESHOLD ? "threshold" : rc == CLI_USAGE ? "usage" : "error";
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
	o->out.tty = false;
	o->out.quiet = true; /* no progress lines from inside a fleet */
	int i;
	while (read_all(ask, &i, sizeof i)) {
		answer a = {.rc = cli_run_one(cmd, o, o->dbs[i])};
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

static void finish_job(cli_opts *o, worker *k, job *j, int rc, long out_end, long err_end,
                       int *finished, int n)
{
	j->rc = rc;
	j->ms = dbc_monotonic_ms() - k->started;
	j->out_end = k->out_pos = out_end;
	j->err_end = k->err_pos = err_end;
	k->current = -1;
	(*finished)++;
	if (!o->out.quiet && o->out.format != CLI_FMT_JSON)
		cli_progress(&o->out, *finished, n, "databases");
}

/* Runs every database through the workers ws (nw of them); each job gets
 * its result. A job no worker could take keeps CLI_ERROR. */
static void run_jobs(const cli_command *cmd, cli_opts *o, job *jobs, int n, worker *ws, int nw)
{
	int next = 0, finished = 0, lost = 0;
	struct pollfd *fds = calloc((size_t)nw, sizeof(struct pollfd));
	if (!fds)
		return;
	/* a worker gone between two databases must not end the parent */
	void (*sigpipe)(int) = signal(SIGPIPE, SIG_IGN);
	for (;;) {
		/* idle or missing workers take the next databases; a worker that
		 * cannot be started or dies before reading its database is
		 * replaced, a few times in a row at most */
		for (int w = 0; w < nw && next < n && lost <= 2 * nw; w++) {
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
		struct pollfd *f = fds;
		for (int w = 0; w < nw; w++)
			if (ws[w].pid > 0 && ws[w].current >= 0)
				*f++ = (struct pollfd){.fd = ws[w].told, .events = POLLIN};
		nfds_t busy = (nfds_t)(f - fds);
		if (busy == 0)
			break;
		if (poll(fds, busy, -1) < 0) {
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
				finish_job(o, k, &jobs[k->current], a.rc, a.out_end, a.err_end, &finished, n);
				lost = 0;
				continue;
			}
			/* ended inside a database without answering: that one fails,
			 * with what it wrote (and its own exit code when it gave one
			 * other than 0); a new worker takes the rest */
			int status = retire(k), err = fileno(k->err), rc = CLI_ERROR;
			if (WIFSIGNALED(status))
				dprintf(err, "dbcare: the process for this database ended by signal %d\n",
				        WTERMSIG(status));
			else if (WIFEXITED(status) && WEXITSTATUS(status) != CLI_OK)
				rc = WEXITSTATUS(status);
			else
				dprintf(err, "dbcare: the process for this database ended before it finished\n");
			finish_job(o, k, &jobs[k->current], rc, file_end(k->out), file_end(k->err), &finished,
			           n);
		}
	}
	for (; next < n; next++)
		cli_errorf("cannot start a process for %s", o->dbs[next]);
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
		if (cli_target_parse(o->dbs[i], &t, &err) == 0 && t.engine == CLI_ENGINE_SQLITE) {
			cli_preload_module(&(cli_connect_opts){.module = o->module});
			if (cmd->options & OPT_DIR)
				cli_preread_files(o, false);
			free(t.spec);
			free(t.label);
			break;
		}
		free(err);
	}
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
	run_jobs(cmd, o, jobs, n, ws, nw);
	if (json)
		fputs("{\"databases\":[", stdout);
	cli_rows sum = {.ncols = 3, .nrows = n};
	char *names[3] = {"database", "result", "duration_ms"};
	cli_type types[3] = {CLI_T_TEXT, CLI_T_TEXT, CLI_T_NUM};
	sum.names = names;
	sum.types = types;
	sum.cells = calloc((size_t)n * 3 + 1, sizeof(char *));
	int failed = 0;
	for (int i = 0; i < n; i++) {
		job *j = &jobs[i];
		char *label = cli_mask_password(o->dbs[i]);
		char *out = slice(j->out, j->out_at, j->out_end), *err = slice(j->err, j->err_at, j->err_end);
		if (severity(j->rc) > severity(worst))
			worst = j->rc;
		failed += j->rc != CLI_OK;
		if (json) {
			fputs(i ? ",{\"database\":" : "{\"database\":", stdout);
			cli_json_string(stdout, label);
			fprintf(stdout, ",\"exit\":%d,\"result\":\"%s\",\"duration_ms\":%.1f,\"output\":",
			        j->rc, result_word(j->rc), j->ms);
			/* the command's own JSON document, as it is */
			size_t len = out ? strlen(out) : 0;
			while (len && (out[len - 1] == '\n'))
				out[--len] = '\0';
			fputs(len ? out : "null", stdout);
			fputs(",\"errors\":", stdout);
			cli_json_string(stdout, err ? err : "");
			fputc('}', stdout);
		} else {
			if (!quiet && err && *err)
				for (char *line = strtok(err, "\n"); line; line = strtok(NULL, "\n"))
					fprintf(stderr, "%s: %s\n", label, line);
			sum.cells[i * 3] = label;
			sum.cells[i * 3 + 1] = strdup(result_word(j->rc));
			char *d = NULL;
			if (asprintf(&d, "%.1f", j->ms) < 0)
				d = NULL;
			sum.cells[i * 3 + 2] = d;
			label = NULL;
		}
		free(label);
		free(out);
		free(err);
	}
	if (json) {
		fprintf(stdout, "],\"failed\":%d,\"exit\":%d}\n", failed, worst);
	} else {
		if (!quiet || failed)
			cli_print_rows(&o->out, stdout, &sum);
		if (!quiet)
			printf("%d database(s), %d not ok\n", n, failed);
	}
	for (int i = 0; i < n * 3; i++)
		free(sum.cells[i]);
	free(sum.cells);
	for (int w = 0; w < nw; w++) {
		if (ws[w].out)
			fclose(ws[w].out);
		if (ws[w].err)
			fclose(ws[w].err);
	}
	free(ws);
	free(jobs);
	return worst;
}
