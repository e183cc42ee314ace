/*
 * page_map.h — which rowids a page of a SQLite database file can hold,
 * read from the b-tree pages of a snapshot as they stream past (the SQLite
 * file format's pages, "Database File Format" of SQLite's documentation:
 * the bytes only, no engine call).
 *
 * An incremental backup feeds every page of its snapshot to
 * dbc_page_map_take, then asks, for each rowid table's root page, the
 * rowid ranges of the leaves and overflow pages that changed since its
 * base and the table's row count (the cells of its leaves), with
 * dbc_page_map_ranges. Why that finds every row that differs from the
 * base (backup_windows.h keeps the rest, by rowid window): take a table
 * with the same root page in both images, and the windows of the ranges
 * read again.
 *   - A row there now that is new or whose bytes differ is in a cell that
 *     changed, on a page (leaf, overflow page) that changed and is in
 *     today's tree: that page's range holds its rowid, its window is read
 *     again (a row moved by a split is found where it went: windows are
 *     by rowid, not by page).
 *   - A window taken over can then only count rows that are gone (deleted,
 *     or moved out of it): it never lacks one, since a row added to it is
 *     on a changed page, and the window was read again. So the windows'
 *     rows summed equal the table's row count exactly when no window taken
 *     over is stale; when they do not, the caller reads the table whole.
 * A leaf's range: its ancestors' separator keys bound it (its cells may
 * hold less); an overflow page's is its cell's rowid. An interior page's
 * range is never given: the proof above needs none, and rows deleted
 * under one are the count check's (SQLite rebalances an emptied leaf with
 * its siblings, which change, and their ranges then cover the rows gone).
 * Its range is every row under it, and any leaf split below changes it:
 * reading it would make one grown row re-read a large part of the table.
 */
#ifndef DBC_PAGE_MAP_H
#define DBC_PAGE_MAP_H

#include "base/dbc.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct dbc_page_map dbc_page_map;

typedef struct dbc_rowid_range {
	int64_t first, last;
} dbc_rowid_range;

/* usable: the page size less the bytes reserved at each page's end (page
 * 1's byte 20), which every page taken must agree with. */
dbc_page_map *dbc_page_map_new(dbc_ctx *ctx, int64_t usable);
/* One page of the snapshot (pgno from 1), any number of times (the last
 * one counts). Never fails: a page it cannot keep makes the map unknown
 * (every range asked then is "unknown"). */
void dbc_page_map_take(dbc_page_map *pm, int64_t pgno, const unsigned char *page, int64_t size);
/* The ranges of the changed leaves and overflow pages (changed[pgno - 1]
 * nonzero; pages past nchanged count as changed) in the rowid table
 * rooted at root, in no order, and *rows the cells of its leaves: DBC_OK
 * with *known true, or *known false where the tree is not what a rowid
 * table's is (WITHOUT ROWID, a page not seen, a loop): then the caller
 * reads the table whole. *ranges is malloc'd (free it). */
int dbc_page_map_ranges(dbc_ctx *ctx, dbc_page_map *pm, int64_t root, const unsigned char *changed,
                        int64_t nchanged, dbc_rowid_range **ranges, int64_t *nranges, int64_t *rows,
                        bool *known);
void dbc_page_map_free(dbc_page_map *pm);

#endif
