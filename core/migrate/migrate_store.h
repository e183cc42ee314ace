/*
 * migrate_store.h — the bookkeeping tables of migrations, read and written
 * with the same SQL text on both engines ('@' in a template becomes the host's
 * book_prefix), plus the call frame every changing flow shares: re-entrancy
 * guard, savepoint, migration lock.
 */
#ifndef DBC_MIGRATE_STORE_H
#define DBC_MIGRATE_STORE_H

#include "base/clock.h"
#include "migrate/migrate.h"
#include "migrate/migrate_model.h"

/* Which scripts to fetch with the registry (never more than a flow runs). */
typedef enum {
	DBC_LOAD_META,         /* no script text */
	DBC_LOAD_UP_DUE,       /* up scripts of migrations not applied yet, and repeatables */
	DBC_LOAD_DOWN_APPLIED, /* down scripts of applied ones */
	DBC_LOAD_ALL,          /* both scripts of every migration */
} dbc_load_mode;

/* '@' in tmpl replaced by the host's book_prefix. */
char *dbc_migrate_sql(dbc_ctx *ctx, const char *tmpl);
/* host->query of a template. */
int dbc_migrate_query(dbc_ctx *ctx, const char *tmpl, int n, const dbc_value *p, dbc_row_fn fn,
                      void *arg);

/* One read of registry, applied list and unfinished history rows. A fresh
 * database without bookkeeping tables reads as empty. */
int dbc_migrate_read(dbc_ctx *ctx, dbc_load_mode mode, dbc_migrate_set *set);
/* Sets each unfinished event's live flag from the engine's step marks
 * (dbc_migrate_hooks.step_live); dbc_migrate_read calls it. */
int dbc_migrate_mark_live(dbc_ctx *ctx, dbc_migrate_set *set);

/* Appends a history event; NULL arguments leave the column NULL. duration < 0: none. */
int dbc_migrate_record(dbc_ctx *ctx, const char *version, const char *name, const char *kind,
                       const char *direction, const char *checksum, double duration_ms,
                       bool success, const char *error, double started_ms);

/* A migration this call ran up, waiting to be written to the bookkeeping. */
typedef struct dbc_migrate_done {
	const dbc_migration *mig;
	double duration_ms;
	double at_s; /* wall clock when it finished, seconds since the epoch */
} dbc_migrate_done;

/* Writes the applied rows and the 'up' history events of done[0..n), in
 * order, with a few multi-row INSERTs: per migration no statement of its own,
 * because on SQLite each migration's DDL would force a fresh prepare anyway. */
int dbc_migrate_record_applied(dbc_ctx *ctx, const dbc_migrate_done *done, int n);

/* Stores the live schema's snapshot and fingerprint (read through the host) on
 * history row id (0: the latest). */
int dbc_migrate_store_snapshot(dbc_ctx *ctx, int64_t id);

/* The fingerprint of the snapshot recorded last and its history row (NULL
 * and 0 when none); the snapshot text of that row (NULL: the row is gone). */
int dbc_migrate_last_snapshot(dbc_ctx *ctx, char **fingerprint, int64_t *id);
int dbc_migrate_snapshot_text(dbc_ctx *ctx, int64_t id, char **snapshot);

/* The call frame of a changing flow. */
typedef struct dbc_migrate_frame {
	int level;
	bool guarded;
} dbc_migrate_frame;

/* Refuses re-entry, opens the savepoint, ensures the tables inside it and (lock) takes
 * the migration lock. */
int dbc_migrate_frame_begin(dbc_ctx *ctx, const dbc_migrate_hooks *env, dbc_migrate_frame *f,
                            bool lock);
/* Releases on rc == DBC_OK, else rolls back keeping the error. Returns rc. */
int dbc_migrate_frame_end(dbc_ctx *ctx, dbc_migrate_frame *f, int rc);
/* Rolls back with no error (dbmigrate_verify). */
int dbc_migrate_frame_discard(dbc_ctx *ctx, dbc_migrate_frame *f);
/* Enters only the re-entrancy guard (registration needs no lock). */
int dbc_migrate_guard_enter(dbc_ctx *ctx);
void dbc_migrate_guard_leave(void);

/* Registration of one migration whose scripts were normalised and checked;
 * exists says whether to replace the registered row. */
int dbc_migrate_register_versioned(dbc_ctx *ctx, const char *canon, const char *vtext,
                                   const char *name, const char *up, const char *down,
                                   const char *checksum, const char *down_checksum, bool no_tx,
                                   bool exists);
int dbc_migrate_register_repeatable(dbc_ctx *ctx, const char *name, const char *sql,
                                    const char *checksum, bool no_tx, bool exists);
/* A migration checked and normalised by dbmigrate_add's rules (version,
 * name, scripts, checksums), ready to register; repeatables have no
 * version and no down script. */
typedef struct dbc_migrate_checked {
	bool repeatable;
	const char *version; /* as given */
	char *canon;
	const char *name;
	char *up, *down; /* normalised; down NULL when none */
	char *checksum, *down_checksum;
	bool no_tx;
} dbc_migrate_checked;

/* from_file: the script is a migration folder's file, where an empty one is
 * a no-op migration (dbmigrate_load's rule); dbmigrate_add refuses it. */
int dbc_migrate_check_versioned(dbc_ctx *ctx, const char *version, const char *name, const char *up,
                                const char *down, bool from_file, dbc_migrate_checked *out);
int dbc_migrate_check_repeatable(dbc_ctx *ctx, const char *name, const char *sql, bool from_file,
                                 dbc_migrate_checked *out);
/* Registers m (inserted, or replacing the registered row of its version or
 * name): the caller holds the re-entrancy guard and made the bookkeeping. */
int dbc_migrate_register_checked(dbc_ctx *ctx, const dbc_migrate_checked *m);
/* The "1 and 1.0 are one version" error. */
int dbc_migrate_duplicate_error(dbc_ctx *ctx, const char *given, const char *registered);

/* Value helpers for rows read from either engine. */
char *dbc_migrate_text(dbc_ctx *ctx, const dbc_value *v);
bool dbc_migrate_bool(const dbc_value *v);
double dbc_migrate_num(const dbc_value *v, bool *isnull);
/* Whether @migrations_online_steps is there to read (migrate_online_steps.c):
 * the engine keeps it, and SQLite's first online run made it. */
bool dbc_migrate_online_steps_kept(dbc_ctx *ctx);

#endif
