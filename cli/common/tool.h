/*
 * tool.h — running one outside tool (pg_dump, pg_restore, pgbackrest,
 * pg_ctl) as a child of the command: signals that reach the command while
 * it runs are passed on to it, so a stopped command never leaves a tool
 * running alone; on a terminal its progress is drawn.
 */
#ifndef DBCARE_CLI_TOOL_H
#define DBCARE_CLI_TOOL_H

#include <libpq-fe.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

typedef struct cli_tool {
	const char *const *argv; /* argv[0] found on PATH */
	/* NULL, or a connection's parameters: the child then gets exactly
	 * their libpq environment variables (no password on a command line) */
	PQconninfoOption *info;
	const char *what;   /* names the tool in messages ("pg_dump") */
	const char *watch;  /* a file it writes, whose size progress shows; NULL */
	const char *failed; /* after "<what> failed" in the error ("; nothing was recorded") */
	int out_fd;         /* >= 0: the child's stdout goes there */
	bool quiet_stderr;  /* the child's stderr goes to /dev/null */
	int err_fd;         /* > 0: the child's stderr goes there (0: this command's) */
	bool as_user;       /* run as uid/gid (the command runs as root) */
	uid_t uid;
	gid_t gid;
	const char *const *env; /* extra NAME=VALUE words for the child, NULL-ended; NULL */
} cli_tool;

/* 0 when the tool exited 0; else -1 and *err ("dbcare: ..."): it could
 * not start, a signal stopped the command, or it failed. */
int cli_run_tool(const cli_tool *t, char **err);

/* The signal that stopped the last tool run (its error says so), 0 when
 * none did: a caller tells a stop from a failure of the tool's own. */
int cli_tool_stop_signal(void);

/* The exit code of the last tool run, -1 when it did not exit (it could
 * not start, or a signal ended it): a caller tells one failure of the
 * tool's from another (pgBackRest's 50: its lock is held). */
int cli_tool_exit_code(void);

/* A job of several steps (a restore test) holds the stop signals
 * (SIGINT, SIGTERM, SIGHUP) from hold to release: one that arrives is
 * remembered, not acted on, so the job stops after the step that runs and
 * cleans up; cli_tool_held_signal() says which arrived (0: none). A tool
 * run inside passes its signals on as usual. */
typedef struct cli_signal_hold {
	struct sigaction saved[3];
} cli_signal_hold;
void cli_tool_hold_signals(cli_signal_hold *h);
void cli_tool_release_signals(const cli_signal_hold *h);
int cli_tool_held_signal(void);

/* "dbcare: " a b, then ": " c when c is given (malloc'd; NULL: no memory). */
char *cli_fmt_err(const char *a, const char *b, const char *c);

#endif
