/*
 * pg/dbsize.c — the database's size on disk for the health metrics:
 * pg_database_size(current_database())'s figure by the same rules, and kept
 * between a session's reports while the kernel reports no change in the
 * directories it came from.
 *
 * Why keep it: the walk stats every file of the database, one system call
 * each, and was the largest part of a small report after amcheck (0.7 ms of
 * a 2 ms fixed cost at ~360 files; ~150 ms of a 270 ms quick report at
 * 10,000 tables). A report repeated
 * by a monitoring session over a database whose files did not change then
 * answers from one non-blocking read instead.
 *
 * Why it is right: on Linux an inotify watch on a directory reports every
 * write to, truncation or allocation of a file in it, and every file created,
 * removed or renamed there (the kernel raises these in the system calls
 * themselves, whichever process makes them; PostgreSQL changes relation files
 * only through those calls, never through mmap). Each directory walked is
 * watched before it is read, so a change during the walk shows up at the
 * next report, and a directory where this database's files could appear (a
 * tablespace's version directory, pg_tblspc itself) is watched for
 * creations. Any event at all, or a watch that could not be set, means walk
 * again. The watches are one-shot: each queues one event at most, so the
 * kernel holds a few events per backend however busy the database is.
 * On other systems, or when the kernel refuses an instance or a watch, every
 * report walks.
 */
#include "glue.h"

#include "catalog/pg_authid_d.h"
#include "commands/dbcommands.h"
#include "common/relpath.h"
#include "miscadmin.h"
#include "storage/fd.h"
#include "utils/acl.h"

#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef __linux__
#include <sys/inotify.h>
#define SIZE_WATCH 1
#endif

/* The last walk's figure and the watch that vouches for it. */
static struct {
	int fd;      /* the inotify instance; -1: none */
	bool valid;  /* bytes was walked under this instance's watches, all set */
	int64 bytes;
	int walks;   /* walks by this backend so far */
} kept = {-1, false, 0, 0};

#ifdef SIZE_WATCH
/* what changes a directory's total: files written, truncated or allocated,
 * and files or the directory itself appearing, going or moving. Writes to
 * files already unlinked (IN_EXCL_UNLINK) count nothing any more. */
#define DATA_EVENTS                                                                        \
	(IN_MODIFY | IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF |    \
	 IN_MOVE_SELF | IN_EXCL_UNLINK)
/* where a directory of this database could appear or go */
#define PARENT_EVENTS                                                                      \
	(IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF)

static void watch_close(void)
{
	if (kept.fd >= 0) {
		close(kept.fd);
		ReleaseExternalFD();
	}
	kept.fd = -1;
	kept.valid = false;
}

/* Only from a backend's second walk on: an application's one report at
 * start-up leaves no instance behind in its pooled connection (the kernel
 * allows each user 128 by default). */
static void watch_open(void)
{
	if (kept.walks++ == 0 || !AcquireExternalFD())
		return;
	kept.fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (kept.fd < 0)
		ReleaseExternalFD();
}

/* Watch PATH for EVENTS, once. A directory that is not there (no files of
 * this database in that tablespace) needs no watch: its parent's watch
 * reports its creation. Any other refusal leaves the walk unvouched. */
static void watch_dir(const char *path, uint32 events)
{
	if (kept.fd >= 0 && inotify_add_watch(kept.fd, path, events | IN_ONESHOT | IN_ONLYDIR) < 0 &&
	    errno != ENOENT)
		watch_close();
}

/* Nothing happened since the last walk: no event queued, nothing failed. */
static bool watch_quiet(void)
{
	char events[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	if (kept.fd < 0 || !kept.valid)
		return false;
	return read(kept.fd, events, sizeof(events)) < 0 && errno == EAGAIN;
}
#else
static void watch_close(void) {}
static void watch_open(void) {}
static void watch_dir(const char *path, uint32 events)
{
	(void)path;
	(void)events;
}
static bool watch_quiet(void)
{
	return false;
}
#define DATA_EVENTS 0
#define PARENT_EVENTS 0
#endif

/* The bytes of the files in one directory of the database, watched first;
 * a directory that cannot be opened (no files of this database in that
 * tablespace) counts 0 and a file removed meanwhile counts nothing, as in
 * pg_database_size. */
static int64 dir_bytes(const char *path)
{
	DIR *dir;
	struct dirent *de;
	int64 total = 0;
	watch_dir(path, DATA_EVENTS);
	dir = AllocateDir(path);
	if (!dir)
		return 0;
	while ((de = ReadDir(dir, path)) != NULL) {
		struct stat st;
		CHECK_FOR_INTERRUPTS();
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		/* relative to the open directory: no path walk per file */
		if (fstatat(dirfd(dir), de->d_name, &st, 0) < 0) {
			if (errno == ENOENT)
				continue;
			ereport(ERROR, (errcode_for_file_access(),
			                errmsg("could not stat file \"%s/%s\": %m", path, de->d_name)));
		}
		total += st.st_size;
	}
	FreeDir(dir);
	return total;
}

/* The walk: the default tablespace's directory plus this database's
 * directory in every other tablespace. */
static int64 walk(void)
{
	char path[MAXPGPATH];
	DIR *spaces;
	struct dirent *de;
	int64 total;
	snprintf(path, sizeof(path), "base/%u", MyDatabaseId);
	total = dir_bytes(path);
	watch_dir("pg_tblspc", PARENT_EVENTS);
	spaces = AllocateDir("pg_tblspc");
	while ((de = ReadDir(spaces, "pg_tblspc")) != NULL) {
		CHECK_FOR_INTERRUPTS();
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "pg_tblspc/%s/%s", de->d_name, TABLESPACE_VERSION_DIRECTORY);
		watch_dir(path, PARENT_EVENTS);
		snprintf(path, sizeof(path), "pg_tblspc/%s/%s/%u", de->d_name,
		         TABLESPACE_VERSION_DIRECTORY, MyDatabaseId);
		total += dir_bytes(path);
	}
	FreeDir(spaces);
	return total;
}

/* pg_database_size(current_database()), the same figure by the same rules
 * (CONNECT on the database or pg_read_all_stats), at a fraction of the
 * cost: it stats every file by its full path, each time. ARG: int64 *. */
void pgdbc_database_size(void *arg)
{
	int64 *out = arg;
	AclResult acl = pg_database_aclcheck(MyDatabaseId, GetUserId(), ACL_CONNECT);
	if (acl != ACLCHECK_OK && !is_member_of_role(GetUserId(), ROLE_PG_READ_ALL_STATS))
		aclcheck_error(acl, OBJECT_DATABASE, get_database_name(MyDatabaseId));
	if (watch_quiet()) {
		*out = kept.bytes;
		return;
	}
	/* a new instance: whatever the old one queued is answered by this walk */
	watch_close();
	watch_open();
	kept.bytes = walk();
	/* an error in the walk leaves valid unset: the next report walks again */
	kept.valid = kept.fd >= 0;
	*out = kept.bytes;
}
