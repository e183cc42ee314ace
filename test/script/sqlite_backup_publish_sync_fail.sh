#!/usr/bin/env bash
# A backup whose name cannot be made durable (fsync of its directory
# fails) is refused, leaves no file under its name, and every descriptor
# is closed once: the sealed file's (a file without a name until it is
# linked) was closed when it was linked and again when the failed backup
# cleaned up, which in a threaded application could close another
# thread's file. A preloaded shim fails fsync on directories and reports
# any close() of a descriptor that is not open (EBADF).
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
command -v cc >/dev/null || fail "no C compiler: the shim cannot be built"
cat > "$work/shim.c" <<'C'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
int fsync(int fd)
{
	struct stat st;
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		errno = EIO;
		return -1;
	}
	int (*real)(int) = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
	return real(fd);
}
int close(int fd)
{
	int (*real)(int) = (int (*)(int))dlsym(RTLD_NEXT, "close");
	int rc = real(fd);
	if (rc != 0 && errno == EBADF) {
		static const char msg[] = "shim: close of a descriptor that is not open\n";
		(void)!write(2, msg, sizeof msg - 1);
	}
	return rc;
}
C
cc -shared -fPIC -O0 -o "$work/shim.so" "$work/shim.c" -ldl
db="$work/app.db"
sqlite3 "$db" "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);
  INSERT INTO t (v) SELECT hex(randomblob(50)) FROM generate_series(1, 2000);"
head -c 32 /dev/urandom > "$work/key"
chmod 600 "$work/key"
export DBCARE_BACKUP_KEY_FILE="$work/key"
mkdir "$work/bk"
for method in full+encrypt full; do
  out=$(LD_PRELOAD="$work/shim.so" sqlite3 -batch -cmd ".load $module" "$db" \
    "SELECT dbbackup_create('$work/bk/b.db', '$method')" 2>&1) && fail "$method: published without a durable name: $out"
  case "$out" in *"could not sync directory"*) ;; *) fail "$method: $out" ;; esac
  case "$out" in *"shim: close of a descriptor that is not open"*) fail "$method: a descriptor was closed twice: $out" ;; esac
  [ ! -e "$work/bk/b.db" ] || fail "$method: a file is left under the backup's name"
  [ "$(ls -A "$work/bk")" = "" ] || fail "$method: files are left: $(ls -A "$work/bk")"
  # no catalog row (the catalog itself is made by the first backup that
  # succeeds)
  [ "$(q "SELECT coalesce((SELECT 1 FROM sqlite_master WHERE name = 'dbcare_backups'), 0)")" = 0 ] ||
    [ "$(q "SELECT count(*) FROM dbcare_backups")" = 0 ] || fail "$method: a catalog row was written"
done
# without the shim the same backups are taken
q "SELECT json_extract(dbbackup_create('$work/bk/b.db', 'full+encrypt'), '\$.verified')" | grep -qx 1 ||
  fail "the backup without the shim"
echo "ok: a backup whose directory cannot be synced is refused, each descriptor closed once"
