/*
 * pin.h — the files a --db glob found, pinned when the command starts.
 * Without --follow-symlinks a fleet member is the file the glob matched
 * then: every later open of it (serve's refreshes and pages, the writes
 * serve runs, a fleet's workers) opens that very file (its device and
 * inode), reached through no symlink below the glob's folder, or is
 * refused with an error naming the path. A tenant who swaps its file or
 * its folder for a symlink (or for a hard link to another file) after
 * the start leads no open out of the fleet.
 * Invariant: pins are added, then sorted (cli_pins_sort), before any
 * thread or worker starts, and only read afterwards.
 */
#ifndef DBCARE_CLI_PIN_H
#define DBCARE_CLI_PIN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct cli_pin {
	char *path;  /* as the glob gave it (the member's --db path) */
	size_t from; /* where the components the glob matched begin in path */
	dev_t dev;
	ino_t ino;
	/* no folder of path before `from` is a symlink either, so SQLite may
	 * open it with SQLITE_OPEN_NOFOLLOW (which refuses a symlink anywhere
	 * in the path, the folders the user wrote included) */
	bool nofollow;
} cli_pin;

/* The environment variable that carries a pin to the command serve runs
 * for POST /migrate and /verify ("DEV:INO:FROM" of its DATABASE_URL's
 * file). It only ever makes an open stricter. */
#define CLI_PIN_ENV "DBCARE_PINNED_FILE"

/* Pins path as it is now (lstat: the caller has checked that no component
 * from `from` on is a symlink; the folders before may be): 0, or -1 after
 * saying why. */
int cli_pin_file(const char *path, size_t from);
/* Sorts the pins by path once all are added: cli_pin_find looks them up
 * by bisection (a fleet of 100,000 files opens each once). */
void cli_pins_sort(void);
/* The pin of path (its --db path, as given), NULL when it has none. */
const cli_pin *cli_pin_find(const char *path);
/* 0 when path still is the pinned file, reached through no symlink from
 * p->from on; else -1 and the error in *err (malloc'd, "dbcare: ...";
 * NULL when out of memory). */
int cli_pin_check(const cli_pin *p, char **err);
/* p as CLI_PIN_ENV's value (malloc'd), and back: a pin of path from
 * value (0; -1 when value is unreadable, after saying so). */
char *cli_pin_to_env(const cli_pin *p);
int cli_pin_from_env(const char *path, const char *value);

#endif
