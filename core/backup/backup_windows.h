/*
 * backup_windows.h — a table's content record cut into rowid windows, so an
 * incremental backup re-reads only the rows of the windows its changed
 * pages can hold (docs/backups.md, "Incremental backups").
 *
 * A window is every rowid r with floor(r / 2^shift) equal to its number;
 * it keeps the count and the two 64-bit sums of the row digests of its
 * rows (the table's content hash is the sum over its windows, as the whole
 * table's is: sums do not depend on how the rows are cut). A record also
 * says where it was read: the table's root page and a hash of its CREATE
 * statement; a later backup may take a window over only when both are the
 * same (the engine's proof, sqlite/backup/backup_incr_content.c).
 *
 * Text form (kept in the catalog's content record; a row of the database,
 * so dbc_windows_parse reads any bytes and takes only a shift from
 * DBC_WINDOW_FIRST_SHIFT to 62, windows a rowid falls in and a row count
 * an int64 holds: test/fuzz/fuzz_backup_windows.c):
 *   "<shift>:<root>:<16 hex>" then, per window in ascending order,
 *   "|<window>:<rows>:<32 hex>" (decimal integers; the hex is the two sums,
 *   16 digits each).
 */
#ifndef DBC_BACKUP_WINDOWS_H
#define DBC_BACKUP_WINDOWS_H

#include "base/dbc.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct dbc_window {
	int64_t number;
	int64_t rows;
	uint64_t sum[2];
} dbc_window;

#define DBC_WINDOWS_SQL_HASH 16

typedef struct dbc_windows {
	int shift; /* 0..62 */
	int64_t root;
	char sql_hash[DBC_WINDOWS_SQL_HASH + 1];
	dbc_window *w; /* ascending by number, none empty */
	int64_t n, cap;
} dbc_windows;

/* The shift a whole-table read starts at (coarsened as it goes). */
#define DBC_WINDOW_FIRST_SHIFT 9

/* The window rowid falls in, under shift. */
int64_t dbc_window_of(int64_t rowid, int shift);
/* The first and last rowid of window number under shift (saturated). */
void dbc_window_bounds(int64_t number, int shift, int64_t *first, int64_t *last);

/* Adds one row (rowids ascending). With coarsen, the windows double in
 * width while they hold fewer than DBC_WINDOW_MIN_ROWS rows on average, so
 * a table of sparse rowids keeps few windows. */
#define DBC_WINDOW_MIN_ROWS 512
int dbc_windows_add(dbc_ctx *ctx, dbc_windows *ws, int64_t rowid, const unsigned char digest[16],
                    bool coarsen);
/* Ends a whole-table read: the final coarsening. */
void dbc_windows_settle(dbc_windows *ws);
/* Replaces the windows numbered first..last of ws by fresh's (same shift). */
int dbc_windows_replace(dbc_ctx *ctx, dbc_windows *ws, int64_t first, int64_t last,
                        const dbc_windows *fresh);
/* The table's row count and content hash (as the engine prints it). */
void dbc_windows_totals(const dbc_windows *ws, int64_t *rows, uint64_t sum[2]);

char *dbc_windows_text(dbc_ctx *ctx, const dbc_windows *ws);
/* DBC_OK and ws filled, or DBC_ERROR with the error cleared and ws empty:
 * a record that does not read is no record (the table is read whole). */
int dbc_windows_parse(dbc_ctx *ctx, const char *text, dbc_windows *ws);
void dbc_windows_free(dbc_windows *ws);

#endif
