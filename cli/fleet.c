/*
 * fleet.c — one command on many databases: each runs in a child process
 * (its own connection; o->jobs at a time) whose output is kept, then a
 * summary shows every database with its result and duration, followed by
 * the errors. The exit code is the worst of all: usage (2), then error
 * (1), then threshold (3), then ok (0).
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef struct job {
	pid_t pid;
	FILE *out, *err; /* the child's stdout and stderr, unlinked temp files */
	double started, ms;
	int rc;
} job;

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000 + ts.tv_nsec / 1e6;
}

static int severity(int rc)
{
	return rc == CLI_OK ? 0 : rc == CLI_THRESHOLD ? 1 : rc == CLI_ERROR ? 2 : 3;
}

static const char *result_word(int rc)
{
	return rc == CLI_OK ? "ok" : rc == CLI_THRESHOLD ? "threshold" : rc == CLI_USAGE ? "usage" : "error";
}

static char *slurp(FILE *f)
{
	if (!f)
		return strdup("");
	fflush(f);
	long n = ftell(f);
	char *s = malloc(n > 0 ? (size_t)n + 1 : 1);
	if (!s)
		return NULL;
	rewind(f);
	size_t got = n > 0 ? fread(s, 1, (size_t)n, f) : 0;
	s[got] = '\0';
	return s;
}

static int start(const cli_command *cmd, cli_opts *o, int i, job *j)
{
	j->out = tmpfile();
	j->err = tmpfile();
	if (!j->out || !j->err)
		return -1;
	fflush(stdout);
	fflush(stderr);
	j->started = now_ms();
	j->pid = fork();
	if (j->pid < 0)
		return -1;
	if (j->pid == 0) {
		dup2(fileno(j->out), STDOUT_FILENO);
		dup2(fileno(j->err), STDERR_FILENO);
		o->out.tty = false;
		o->out.quiet = true; /* no progress lines from inside a fleet */
		int rc = cli_run_one(cmd, o, o->dbs[i]);
		fflush(stdout);
		fflush(stderr);
		_exit(rc);
	}
	return 0;
}

int cli_run_fleet(const cli_command *cmd, cli_opts *o)
{
	int n = o->ndbs, next = 0, running = 0, finished = 0, worst = CLI_OK;
	job *jobs = calloc((size_t)n, sizeof(job));
	if (!jobs)
		return CLI_ERROR;
	bool json = o->out.format == CLI_FMT_JSON, quiet = o->out.quiet;
	for (int i = 0; i < n; i++) {
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
	while (finished < n) {
		while (running < o->jobs && next < n) {
			if (start(cmd, o, next, &jobs[next]) != 0) {
				cli_errorf("cannot start a process for %s", o->dbs[next]);
				jobs[next].rc = CLI_ERROR;
				finished++;
				next++;
				continue;
			}
			next++;
			running++;
		}
		if (running == 0)
			break;
		int status;
		pid_t pid = wait(&status);
		if (pid < 0)
			break;
		for (int i = 0; i < next; i++)
			if (jobs[i].pid == pid) {
				jobs[i].ms = now_ms() - jobs[i].started;
				jobs[i].rc = WIFEXITED(status) ? WEXITSTATUS(status) : CLI_ERROR;
				jobs[i].pid = 0;
				running--;
				finished++;
				if (!quiet && !json)
					cli_progress(&o->out, finished, n, "databases");
				break;
			}
	}
	cli_progress_end(&o->out);
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
		char *out = slurp(j->out), *err = slurp(j->err);
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
		if (j->out)
			fclose(j->out);
		if (j->err)
			fclose(j->err);
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
	free(jobs);
	return worst;
}
