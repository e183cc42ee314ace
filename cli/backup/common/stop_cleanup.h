/*
 * stop_cleanup.h — the files a restore or a backup is making, removed when
 * a stop signal (SIGINT, SIGTERM, SIGHUP) ends the process before it is
 * done (stop_cleanup.c).
 */
#ifndef DBC_CLI_STOP_CLEANUP_H
#define DBC_CLI_STOP_CLEANUP_H

#include <signal.h>
#include <stdbool.h>

/* One file each, with its -journal, -wal and -shm: a new database's
 * staging file (restore_stage.c), and a point-in-time restore's target,
 * begun empty, and scratch image (log/pitr_restore.c, log/pitr_mark.c);
 * a backup's temporary file and, from its publication until its record
 * commits, its published file (backup_files.c, backup_record.c), and a
 * backup bound for a store made in a private folder first, the file and
 * its folder (upload_stage.c); a SQLite database file a command created
 * (run_one.c: removed when the run fails, new_file.c, so when it is
 * stopped too). A slot naming a folder is removed once its files are
 * (rmdir: an empty folder only). */
typedef enum {
	CLI_STOP_STAGING,
	CLI_STOP_TARGET,
	CLI_STOP_IMAGE,
	CLI_STOP_BACKUP_TEMP,
	CLI_STOP_BACKUP_FILE,
	CLI_STOP_UPLOAD_FILE,
	CLI_STOP_UPLOAD_DIR,
	CLI_STOP_NEW_DB,
	CLI_STOP_SLOTS
} cli_stop_slot;

/* file (NULL: none) is the slot's from now on. The handler is armed while
 * some slot holds a file and the one it replaced is put back once none
 * does. */
void cli_stop_track(cli_stop_slot slot, const char *file);
/* mkstemp(template), the file it made the slot's at once: a signal never
 * finds it made and not tracked. */
int cli_stop_mkstemp(cli_stop_slot slot, char *template);
/* mkdtemp(template), the folder it made the slot's at once: NULL as
 * mkdtemp. */
char *cli_stop_mkdtemp(cli_stop_slot slot, char *template);
/* make(from, to) (link, or another call giving from the name to), the
 * name it made the slot's at once: a signal never finds it made and not
 * tracked. 0, or -1 as make (errno kept). */
int cli_stop_link(cli_stop_slot slot, int (*make)(const char *, const char *), const char *from,
                  const char *to);
/* The commit point of the slot's work: commit(arg) runs with the stop
 * signals held. When it returns 0 the slot is emptied and, unless another
 * slot still holds a file, a stop signal that came meanwhile is dropped:
 * it found the work done, so the command ends as it would have just
 * before it. Otherwise the signal is answered once commit returns, the
 * slots' files removed. commit's errno is kept. */
int cli_stop_commit(cli_stop_slot slot, int (*commit)(void *), void *arg);
/* The stop signals held (cli_stop_hold, *old the mask before) around work
 * whose end is its commit point; whether one is pending meanwhile; then
 * released: done (the work committed), a pending one is dropped, as
 * cli_stop_commit's, else answered as the signal's disposition says. */
void cli_stop_hold(sigset_t *old);
bool cli_stop_pending(void);
void cli_stop_release(sigset_t *old, bool done);
/* The stop signal a commit point dropped since the last call (0: none;
 * never one set to be ignored, as nohup leaves SIGHUP): one command ends
 * as it would have, but a fleet's worker (fleet.c) tells its parent, which
 * starts no further database. */
int cli_stop_take_dropped(void);
/* A step boundary after a commit point: the stop signal it dropped (0:
 * none) stops the command before its next step, whose caller says what is
 * left undone. The signal stays for cli_stop_take_dropped (a fleet's
 * worker tells its parent, which ends of it), and one command ends of it
 * once it returns (cli_stop_end_stopped). */
int cli_stop_at_boundary(void);
/* The process ends of the stop signal a step boundary honoured, if any:
 * 128+N, as a signal that found no commit point would have. */
void cli_stop_end_stopped(void);

#endif
