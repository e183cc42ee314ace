/*
 * serve_write.c — POST /migrate and POST /verify: the `dbcare migrate` or
 * `dbcare verify` command itself (the same binary, started with
 * posix_spawn), so a write through serve behaves exactly as the command
 * does: the --dir files, the locks, the backup before a SQLite migration,
 * all or nothing. The database's slot is held meanwhile, so serve never has
 * it open at the same time; its result is stale afterwards and read again
 * by the next request. The URL goes to the child in DATABASE_URL, never in
 * its arguments (which other users may read).
 */
#include "serve.h"

#include "base/clock.h"
#include "cli/driver/pin.h"

#include <jansson.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static bool is_ours(const char *var)
{
	return strncmp(var, "DATABASE_URL=", 13) == 0 ||
	       strncmp(var, CLI_PIN_ENV "=", strlen(CLI_PIN_ENV) + 1) == 0;
}

/* The environment with DATABASE_URL=value in place of any other, and the
 * member's pin (pin.h; none with --follow-symlinks) in CLI_PIN_ENV
 * (malloc'd; is_ours tells the strings it allocated). */
static char **env_with_url(const char *value, const cli_pin *pin)
{
	size_t n = 0;
	while (environ[n])
		n++;
	char **env = calloc(n + 3, sizeof(char *));
	char *pinned = pin ? cli_pin_to_env(pin) : NULL;
	if (!env || (pin && !pinned)) {
		free(env);
		free(pinned);
		return NULL;
	}
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (!is_ours(environ[i]))
			env[k++] = environ[i];
	if (asprintf(&env[k], "DATABASE_URL=%s", value) < 0) {
		free(env);
		free(pinned);
		return NULL;
	}
	if (pinned && asprintf(&env[k + 1], "%s=%s", CLI_PIN_ENV, pinned) < 0) {
		free(env[k]);
		free(env);
		env = NULL;
	}
	free(pinned);
	return env;
}

/* The whole of a temp file (malloc'd). */
static char *slurp(FILE *f)
{
	char *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);
	if (!m)
		return NULL;
	rewind(f);
	char buf[4096];
	size_t got;
	while ((got = fread(buf, 1, sizeof buf, f)) > 0)
		fwrite(buf, 1, got, m);
	fclose(m);
	return text;
}

/* Runs `dbcare COMMAND --json` on the database; the exit code, its stdout
 * and stderr in *out_text and *err_text. */
static int run_child(serve_fleet *f, const serve_db *d, const char *command, char **out_text,
                     char **err_text)
{
	const cli_opts *o = f->o;
	char *url = cli_target_url(&d->target);
	if (!url)
		return -1;
	const char *argv[12];
	int n = 0;
	argv[n++] = "dbcare";
	argv[n++] = command;
	argv[n++] = "--json";
	argv[n++] = "--no-progress";
	argv[n++] = "--dir";
	argv[n++] = o->dir;
	if (o->module) {
		argv[n++] = "--module";
		argv[n++] = o->module;
	}
	argv[n] = NULL;
	const char *file = cli_target_file(&d->target);
	char **env = env_with_url(url, file ? cli_pin_find(file) : NULL);
	FILE *out = tmpfile(), *err = tmpfile();
	int status = -1;
	pid_t pid;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	if (env && out && err) {
		posix_spawn_file_actions_adddup2(&fa, fileno(out), STDOUT_FILENO);
		posix_spawn_file_actions_adddup2(&fa, fileno(err), STDERR_FILENO);
		posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", 0, 0);
		if (posix_spawn(&pid, "/proc/self/exe", &fa, NULL, (char *const *)argv, env) == 0) {
			int ws;
			while (waitpid(pid, &ws, 0) < 0)
				;
			status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
		}
	}
	posix_spawn_file_actions_destroy(&fa);
	*out_text = out ? slurp(out) : NULL;
	*err_text = err ? slurp(err) : NULL;
	if (out)
		fclose(out);
	if (err)
		fclose(err);
	if (env) {
		for (size_t i = 0; env[i]; i++)
			if (is_ours(env[i]))
				free(env[i]);
		free(env);
	}
	if (*err_text)
		cli_scrub(d->target.spec, *err_text);
	free(url);
	return status;
}

/* How long a write waits for the database held by a refresh or a page. */
#define WRITE_WAIT_S 60.0

int serve_write(serve_fleet *f, int i, const char *command, char **out)
{
	serve_db *d = &f->dbs[i];
	char *stdout_text = NULL, *stderr_text = NULL;
	/* the wait for the database has a deadline (a refresh stuck behind a
	 * lock holds it); the command, once started, runs to its end, as
	 * `dbcare migrate` does: a migration cut midway would only roll back */
	int64_t deadline = (int64_t)(dbc_monotonic_ms() + WRITE_WAIT_S * 1000);
	int rc = -1;
	bool held = serve_fleet_hold_until(f, i, deadline, false);
	if (held) {
		rc = run_child(f, d, command, &stdout_text, &stderr_text);
		serve_fleet_unhold(f, i);
	} else {
		stderr_text = strdup("dbcare: the database stayed busy past the request's deadline; "
		                     "try again\n");
	}
	pthread_mutex_lock(&f->mu);
	char *label = strdup(serve_db_label(d, d->good));
	pthread_mutex_unlock(&f->mu);
	json_t *result = stdout_text ? json_loads(stdout_text, JSON_DISABLE_EOF_CHECK, NULL) : NULL;
	json_t *doc =
	    json_pack("{s:s?, s:s, s:i}", "database", label, "command", command, "exit_code", rc);
	if (doc) {
		json_object_set_new(doc, "result",
		                    result ? result : json_string(stdout_text ? stdout_text : ""));
		json_object_set_new(doc, "messages", json_string(stderr_text ? stderr_text : ""));
	}
	*out = doc ? json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(doc);
	free(label);
	free(stdout_text);
	free(stderr_text);
	return !held ? 503 : rc == 0 ? 200 : 500;
}
