/*
 * vfs_base.c — what the module's VFSes share (vfs_base.h).
 */
#include "vfs_base.h"

int sqldbc_vfs_file_sync(sqlite3_file *f, int flags)
{
	(void)f, (void)flags; /* a file that never outlives the call */
	return SQLITE_OK;
}

int sqldbc_vfs_file_lock(sqlite3_file *f, int level)
{
	(void)f, (void)level; /* one connection, the journal off */
	return SQLITE_OK;
}

int sqldbc_vfs_file_reserved(sqlite3_file *f, int *out)
{
	(void)f;
	*out = 0;
	return SQLITE_OK;
}

int sqldbc_vfs_file_control(sqlite3_file *f, int op, void *arg)
{
	(void)f, (void)op, (void)arg;
	return SQLITE_NOTFOUND;
}

int sqldbc_vfs_file_sector(sqlite3_file *f)
{
	(void)f;
	return 4096;
}

int sqldbc_vfs_file_device(sqlite3_file *f)
{
	(void)f;
	return 0;
}

static int pass_random(sqlite3_vfs *vfs, int n, char *out)
{
	sqlite3_vfs *d = vfs->pAppData;
	return d->xRandomness(d, n, out);
}

static int pass_sleep(sqlite3_vfs *vfs, int us)
{
	sqlite3_vfs *d = vfs->pAppData;
	return d->xSleep(d, us);
}

static int pass_time(sqlite3_vfs *vfs, double *out)
{
	sqlite3_vfs *d = vfs->pAppData;
	return d->xCurrentTime(d, out);
}

bool sqldbc_vfs_over_default(sqlite3_vfs *vfs, const char *name, int file_size)
{
	sqlite3_vfs *dflt = sqlite3_vfs_find(NULL);
	if (!dflt)
		return false;
	vfs->iVersion = 1;
	vfs->szOsFile = dflt->szOsFile > file_size ? dflt->szOsFile : file_size;
	vfs->mxPathname = dflt->mxPathname;
	vfs->zName = name;
	vfs->pAppData = dflt;
	vfs->xRandomness = pass_random;
	vfs->xSleep = pass_sleep;
	vfs->xCurrentTime = pass_time;
	return true;
}
