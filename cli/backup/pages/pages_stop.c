/*
 * pages_stop.c — the SQLite module makes, publishes and records a backup
 * inside one statement (dbbackup_create), which commits its catalog row as
 * the statement ends; the module's flow removes what it made when it
 * fails. So the stop signals are held for the statement, and one held
 * meanwhile interrupts it (a progress handler) only while nothing is at
 * the backup's name: from the publication on the statement runs to its
 * end. It is answered then, the module's flow having removed what it made,
 * or, the statement done, dropped as at any commit point (stop_cleanup.h):
 * the backup is whole and recorded, or nothing of it is left. Invariant:
 * the handler only reads the pending set and the name's existence.
 *
 * So the name must be known before the call: without PATH the caller
 * (backup_methods.c) names the backup in backup.dir by the module's own
 * rule, the core's (core/backup/backup_name.h), and passes it. The other
 * way, watching the module publish a name it chose (the folder's
 * listing, the catalog's row), cannot tell this backup's file from
 * another process's, nor see the row before the statement commits it.
 *
 * The module looks at an interrupt between its steps (a copy step, a
 * phase of the verification) by stepping a trivial statement of a few
 * virtual machine steps on this connection: the handler runs every
 * STOP_LOOK_STEPS steps so that each such look reaches it.
 */
#include "pages.h"
#include "cli/backup/common/stop_cleanup.h"
#include "base/clock.h"

#include <sqlite3.h>
#include <stdbool.h>
#include <sys/stat.h>

/* fewer than the module's look at an interrupt (host_interrupted) takes */
#define STOP_LOOK_STEPS 4

/* the pending set is read at most once per STOP_LOOK_GAP_MS: the handler
 * runs every few steps of every row the verification reads, and a clock
 * read through the vDSO costs a fraction of sigpending's system call */
#define STOP_LOOK_GAP_MS 10.0

static bool look_due(void)
{
	static double last = -1;
	double now = dbc_monotonic_ms();
	if (last >= 0 && now - last < STOP_LOOK_GAP_MS)
		return false;
	last = now;
	return true;
}

/* the progress handler: non-zero interrupts the statement */
static int stop_before_publish(void *target)
{
	struct stat st;
	return look_due() && cli_stop_pending() && target && lstat(target, &st) != 0;
}

int cli_module_backup_create(cli_db *db, cli_opts *o, const char *const p[2], cli_rows *r)
{
	sigset_t old;
	cli_stop_hold(&old);
	sqlite3_progress_handler(db->handle, STOP_LOOK_STEPS, stop_before_publish, (void *)p[0]);
	int made = cli_q(db, o, "SELECT dbbackup_create($1, $2)", 2, p, r);
	sqlite3_progress_handler(db->handle, 0, NULL, NULL);
	struct stat st;
	if (made != 0 && cli_stop_pending() && p[0] && lstat(p[0], &st) != 0)
		cli_errorf("the backup was interrupted; nothing of it is left");
	cli_stop_release(&old, made == 0);
	return made;
}
