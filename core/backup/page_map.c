/*
 * page_map.c — the rowid ranges of a SQLite snapshot's changed pages
 * (declared, and why they are enough, in page_map.h).
 *
 * What is kept per page (arrays by page number, malloc'd): its kind, its
 * first 4 bytes (an overflow page's next page), and for a table interior
 * page its cells (child, key) and right child, for a table leaf only its
 * cells that spill to overflow pages (rowid, first overflow page). The
 * pages are any bytes (a corrupt file, a freelist page that looks like a
 * b-tree page): every offset is checked against the page, a page that
 * does not parse is BAD, and a walk that meets a BAD or unseen page, a
 * page twice (a loop) or keys out of order answers "unknown", never a
 * wrong range (test/fuzz/fuzz_page_map.c).
 *
 * why (raw heap, the whole file): the arrays grow by doubling to one entry
 * per page of the database; the call's arena would keep every block they
 * outgrow until the call ends (twice the memory at the peak), so they are
 * malloc'd and freed by dbc_page_map_free on every path.
 */
#include "backup/page_map.h"

#include "base/heap_grow.h"

#include <stdlib.h>
#include <string.h>

enum { UNSEEN = 0, OTHER, INTERIOR, LEAF, BAD };

#define TABLE_INTERIOR 0x05
#define TABLE_LEAF     0x0d

typedef struct cell {
	int64_t key;    /* interior: the largest rowid under child; leaf: the rowid */
	uint32_t child; /* interior: the child page; leaf: the first overflow page */
} cell;

struct dbc_page_map {
	int64_t pages, cap;  /* the largest page number taken, the arrays' room */
	unsigned char *kind; /* UNSEEN, OTHER, INTERIOR, LEAF or BAD */
	uint32_t *next;      /* the page's first 4 bytes, big-endian */
	uint32_t *right;     /* an interior page's right child; a leaf's cell count */
	int64_t *first;      /* the page's first cell in kept */
	uint32_t *count;     /* its cells */
	uint32_t *stamp;     /* the walk that last reached the page */
	uint32_t walk;       /* this walk's stamp */
	cell *kept;          /* every page's cells, appended as pages come */
	int64_t nkept;
	size_t capkept;
	int64_t usable; /* page size less the reserved bytes */
	bool lost;      /* out of memory, or pages not as said: unknown */
};

dbc_page_map *dbc_page_map_new(dbc_ctx *ctx, int64_t usable)
{
	dbc_page_map *pm = calloc(1, sizeof *pm);
	if (!pm) {
		dbc_error(ctx, DBC_SQLSTATE_OUT_OF_MEMORY, "out of memory");
		return NULL;
	}
	pm->usable = usable;
	pm->lost = usable < 480 || usable > 65536;
	return pm;
}

void dbc_page_map_free(dbc_page_map *pm)
{
	if (!pm)
		return;
	free(pm->kind);
	free(pm->next);
	free(pm->right);
	free(pm->first);
	free(pm->count);
	free(pm->stamp);
	free(pm->kept);
	free(pm);
}

/* One of the arrays by page (all of room pm->cap) grown to hold pgno, its
 * new slots zeroed: each grows from the same room to the same size. */
static bool grow_array(void *a, size_t item, const dbc_page_map *pm, int64_t pgno, size_t *cap)
{
	*cap = (size_t)pm->cap;
	return dbc_heap_reserve(a, (size_t)pgno, cap, item, 1024);
}

static bool room_for_page(dbc_page_map *pm, int64_t pgno)
{
	if (pgno <= pm->cap)
		return true;
	size_t cap;
	if (!grow_array(&pm->kind, sizeof *pm->kind, pm, pgno, &cap) ||
	    !grow_array(&pm->next, sizeof *pm->next, pm, pgno, &cap) ||
	    !grow_array(&pm->right, sizeof *pm->right, pm, pgno, &cap) ||
	    !grow_array(&pm->first, sizeof *pm->first, pm, pgno, &cap) ||
	    !grow_array(&pm->count, sizeof *pm->count, pm, pgno, &cap) ||
	    !grow_array(&pm->stamp, sizeof *pm->stamp, pm, pgno, &cap))
		return false;
	pm->cap = (int64_t)cap;
	return true;
}

static bool add_cell(dbc_page_map *pm, int64_t key, uint32_t child)
{
	/* a bound on what garbage pages may make us keep: real interior pages
	 * are a small share of a file (the room dbc_heap_reserve would grow
	 * to, checked before it grows) */
	size_t need = (size_t)pm->nkept + 1, want;
	if (need > pm->capkept &&
	    (!dbc_grown_capacity(pm->capkept, need, sizeof *pm->kept, 4096, &want) ||
	     want > (size_t)(64 * (pm->pages + 1024)) ||
	     !dbc_heap_reserve(&pm->kept, need, &pm->capkept, sizeof *pm->kept, 4096)))
		return false;
	pm->kept[pm->nkept++] = (cell){key, child};
	return true;
}

static uint32_t be16(const unsigned char *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A SQLite varint at p (at most 9 bytes, before end): its length, or 0
 * where it runs past end. */
static int varint(const unsigned char *p, const unsigned char *end, uint64_t *v)
{
	uint64_t x = 0;
	for (int i = 0; i < 9; i++) {
		if (p + i >= end)
			return 0;
		if (i == 8) {
			*v = (x << 8) | p[i];
			return 9;
		}
		x = (x << 7) | (p[i] & 0x7f);
		if (!(p[i] & 0x80)) {
			*v = x;
			return i + 1;
		}
	}
	return 0;
}

/* The bytes of a table leaf cell's payload kept on the page, for payload
 * p (the file format's rule for table b-tree leaves). */
static int64_t local_bytes(int64_t usable, uint64_t p)
{
	int64_t x = usable - 35;
	if (p <= (uint64_t)x)
		return (int64_t)p;
	int64_t m = ((usable - 12) * 32 / 255) - 23;
	int64_t k = m + (int64_t)((p - (uint64_t)m) % (uint64_t)(usable - 4));
	return k <= x ? k : m;
}

/* The cells of a table page whose header starts at h: true,
 * or false where an offset leaves the page. */
static bool parse_cells(dbc_page_map *pm, const unsigned char *page, int64_t h, bool interior)
{
	int64_t usable = pm->usable, header = interior ? 12 : 8;
	if (h + header > usable)
		return false;
	uint32_t n = be16(page + h + 3);
	if (h + header + 2 * (int64_t)n > usable)
		return false;
	const unsigned char *end = page + usable;
	for (uint32_t i = 0; i < n; i++) {
		int64_t off = be16(page + h + header + 2 * (int64_t)i);
		if (off < h + header || off >= usable)
			return false;
		const unsigned char *c = page + off;
		uint64_t v1, v2;
		if (interior) {
			int k;
			if (c + 4 > end || !(k = varint(c + 4, end, &v1)) ||
			    !add_cell(pm, (int64_t)v1, be32(c)))
				return false;
			continue;
		}
		/* the payload's size first: a cell kept whole on the page (most)
		 * needs nothing more */
		int a = varint(c, end, &v1), b;
		if (!a)
			return false;
		int64_t local = local_bytes(usable, v1);
		if ((uint64_t)local == v1)
			continue;
		if (!(b = varint(c + a, end, &v2)))
			return false;
		const unsigned char *ptr = c + a + b + local;
		if (local < 0 || ptr + 4 > end || !add_cell(pm, (int64_t)v2, be32(ptr)))
			return false;
	}
	return true;
}

void dbc_page_map_take(dbc_page_map *pm, int64_t pgno, const unsigned char *page, int64_t size)
{
	if (pm->lost)
		return;
	/* pages of another size than the one said, or a page 1 that says
	 * another reserve: nothing here can be trusted */
	if (pgno < 1 || size < pm->usable || size > 65536 ||
	    (pgno == 1 && size - page[20] != pm->usable) || !room_for_page(pm, pgno)) {
		pm->lost = true;
		return;
	}
	if (pgno > pm->pages)
		pm->pages = pgno;
	int64_t i = pgno - 1, h = pgno == 1 ? 100 : 0;
	pm->next[i] = be32(page);
	pm->first[i] = pm->nkept;
	pm->count[i] = 0;
	pm->kind[i] = OTHER;
	unsigned char type = page[h];
	if (type != TABLE_INTERIOR && type != TABLE_LEAF)
		return;
	bool interior = type == TABLE_INTERIOR;
	if (!parse_cells(pm, page, h, interior)) {
		pm->nkept = pm->first[i];
		pm->kind[i] = BAD;
		return;
	}
	pm->kind[i] = interior ? INTERIOR : LEAF;
	pm->count[i] = (uint32_t)(pm->nkept - pm->first[i]);
	pm->right[i] = interior ? be32(page + h + 8) : be16(page + h + 3);
}

typedef struct walk {
	dbc_rowid_range *out;
	int64_t n;
	size_t cap;
	struct frame {
		int64_t pgno, first, last;
	} * stack;
	int64_t depth;
	size_t room;
	int64_t rows; /* the cells of the leaves reached: the table's rows */
} walk;

static bool put_range(walk *w, int64_t first, int64_t last)
{
	if (!dbc_heap_reserve(&w->out, (size_t)w->n + 1, &w->cap, sizeof *w->out, 64))
		return false;
	w->out[w->n++] = (dbc_rowid_range){first, last};
	return true;
}

static bool push(walk *w, int64_t pgno, int64_t first, int64_t last)
{
	if (!dbc_heap_reserve(&w->stack, (size_t)w->depth + 1, &w->room, sizeof *w->stack, 64))
		return false;
	w->stack[w->depth++] = (struct frame){pgno, first, last};
	return true;
}

/* Marks pgno reached by this walk: false where it was not taken or was
 * reached before (a loop, or two parents). */
static bool reach(dbc_page_map *pm, int64_t pgno)
{
	if (pgno < 1 || pgno > pm->pages || pm->kind[pgno - 1] == UNSEEN ||
	    pm->stamp[pgno - 1] == pm->walk)
		return false;
	pm->stamp[pgno - 1] = pm->walk;
	return true;
}

/* One page of the walk: its range if it changed, its children pushed.
 * false: unknown (or out of memory, *oom). */
static bool visit(dbc_page_map *pm, walk *w, struct frame f, const unsigned char *changed,
                  int64_t nchanged, bool *oom)
{
#define CHANGED(p) ((p) > nchanged || changed[(p)-1])
	if (!reach(pm, f.pgno))
		return false;
	int64_t i = f.pgno - 1;
	unsigned char kind = pm->kind[i];
	if (kind != INTERIOR && kind != LEAF)
		return false;
	/* a changed leaf's range; never an interior page's (page_map.h) */
	if (kind == LEAF && CHANGED(f.pgno) && !put_range(w, f.first, f.last)) {
		*oom = true;
		return false;
	}
	const cell *c = pm->count[i] ? pm->kept + pm->first[i] : NULL;
	if (kind == LEAF) {
		w->rows += pm->right[i];
		for (uint32_t k = 0; k < pm->count[i]; k++) {
			int64_t steps = 0;
			for (int64_t q = c[k].child; q != 0; q = pm->next[q - 1]) {
				if (!reach(pm, q) || ++steps > pm->pages)
					return false;
				if (CHANGED(q) && !put_range(w, c[k].key, c[k].key)) {
					*oom = true;
					return false;
				}
			}
		}
		return true;
	}
	/* child k holds rowids in (key[k-1], key[k]], the right child those
	 * above the last key; keys ascend inside the page's own range */
	int64_t lo = f.first;
	for (uint32_t k = 0; k < pm->count[i]; k++) {
		int64_t key = c[k].key;
		if (key < lo || key > f.last)
			return false;
		if (!push(w, c[k].child, lo, key)) {
			*oom = true;
			return false;
		}
		if (key == INT64_MAX)
			return false; /* no rowid left for the right child */
		lo = key + 1;
	}
	if (!push(w, pm->right[i], lo, f.last)) {
		*oom = true;
		return false;
	}
	return true;
#undef CHANGED
}

int dbc_page_map_ranges(dbc_ctx *ctx, dbc_page_map *pm, int64_t root, const unsigned char *changed,
                        int64_t nchanged, dbc_rowid_range **ranges, int64_t *nranges, int64_t *rows,
                        bool *known)
{
	*ranges = NULL;
	*nranges = 0;
	*rows = 0;
	*known = false;
	if (pm->lost || pm->pages == 0)
		return DBC_OK;
	if (++pm->walk == 0) { /* stamps wrapped: start over */
		memset(pm->stamp, 0, (size_t)pm->cap * sizeof *pm->stamp);
		pm->walk = 1;
	}
	walk w = {0};
	bool ok = push(&w, root, INT64_MIN, INT64_MAX), oom = !ok;
	while (ok && w.depth > 0)
		ok = visit(pm, &w, w.stack[--w.depth], changed, nchanged, &oom);
	free(w.stack);
	if (!ok) {
		free(w.out);
		return oom ? dbc_error(ctx, DBC_SQLSTATE_OUT_OF_MEMORY, "out of memory") : DBC_OK;
	}
	*ranges = w.out;
	*nranges = w.n;
	*rows = w.rows;
	*known = true;
	return DBC_OK;
}
