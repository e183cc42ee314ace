/*
 * purge_scope.c — which tables a running purge deletes from for real.
 *
 * A purge (dbsoftdelete_purge, a batch of a purge policy) opens a frame
 * holding the OIDs of the tables its DELETE may remove rows from for real:
 * the purged table, its inheritance children and partitions, and the tables
 * ON DELETE CASCADE foreign keys reach from those, transitively. The
 * soft-delete trigger lets a DELETE through only in a table of an open
 * frame; a DELETE anywhere else (an application trigger's, during the purge)
 * stays a soft delete. Frames nest: a purge started by a trigger during
 * another adds its tables until it ends.
 *
 * Invariant: no frame outlives the (sub)transaction it was opened in. The
 * core closes each frame on its own paths; an error the host raises
 * straight through it (a cancel) aborts the frame's subtransaction or the
 * transaction, and the callbacks below close the frames opened inside.
 */
#include "purge_scope.h"

#include "access/xact.h"
#include "utils/memutils.h"

#include <stdlib.h>

typedef struct purge_frame {
	SubTransactionId subid; /* the subtransaction it was opened in */
	int start;              /* its OIDs: oids[start .. next frame's start), sorted */
} purge_frame;

/* In TopMemoryContext; freed when the last frame closes. */
static purge_frame *frames;
static int nframes, capframes;
static Oid *oids;
static int noids, capoids;
static bool callbacks_registered;

void pgdbc_purge_end_to(int depth)
{
	if (depth < 0)
		depth = 0;
	if (depth >= nframes)
		return;
	nframes = depth;
	noids = nframes ? frames[nframes].start : 0;
	if (nframes == 0) {
		if (frames)
			pfree(frames);
		if (oids)
			pfree(oids);
		frames = NULL;
		oids = NULL;
		capframes = capoids = noids = 0;
	}
}

int pgdbc_purge_depth(void)
{
	return nframes;
}

static void end_all_xact(XactEvent event, void *arg)
{
	(void)event, (void)arg;
	pgdbc_purge_end_to(0);
}

/* An aborted subtransaction takes the frames opened in it and in its
 * children (opened later, so with larger ids) along. */
static void end_aborted_subxact(SubXactEvent event, SubTransactionId mine, SubTransactionId parent,
                                void *arg)
{
	(void)parent, (void)arg;
	if (event != SUBXACT_EVENT_ABORT_SUB)
		return;
	int depth = nframes;
	while (depth > 0 && frames[depth - 1].subid >= mine)
		depth--;
	pgdbc_purge_end_to(depth);
}

static int compare_oids(const void *a, const void *b)
{
	Oid x = *(const Oid *)a, y = *(const Oid *)b;
	return x < y ? -1 : x > y;
}

static void add_oid(Oid oid)
{
	oids = pgdbc_room(TopMemoryContext, oids, noids, &capoids, sizeof(Oid));
	oids[noids++] = oid;
}

static int collect_oid(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *cols)
{
	(void)ctx, (void)arg, (void)ncol;
	if (cols[0].type == DBC_TEXT && cols[0].s)
		add_oid((Oid)strtoul(cols[0].s, NULL, 10));
	return DBC_OK;
}

/* The purged table (whole: its DELETE has no ONLY, so inheritance children
 * lose rows too), then breadth by breadth: a reached table's partitions (a
 * cascade's DELETE of a partitioned table reaches them; plain inheritance
 * children only of a whole table), and the tables whose ON DELETE CASCADE
 * keys reference it (a key to a partitioned table has one row per
 * referenced partition too). UNION keeps each table once, cycles too. */
#define PURGE_REACH_SQL                                                                            \
	"WITH RECURSIVE reach(oid, whole) AS ("                                                        \
	"SELECT pg_catalog.to_regclass(pg_catalog.quote_ident($1) OPERATOR(pg_catalog.||) '.' "        \
	"OPERATOR(pg_catalog.||) pg_catalog.quote_ident($2))::pg_catalog.oid, true "                   \
	"UNION SELECT n.oid, n.whole FROM reach r CROSS JOIN LATERAL ("                                \
	"SELECT i.inhrelid, r.whole FROM pg_catalog.pg_inherits i "                                    \
	"JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) i.inhrelid "                       \
	"WHERE i.inhparent OPERATOR(pg_catalog.=) r.oid AND (r.whole OR c.relispartition) "            \
	"UNION ALL SELECT con.conrelid, false FROM pg_catalog.pg_constraint con "                      \
	"WHERE con.confrelid OPERATOR(pg_catalog.=) r.oid "                                            \
	"AND con.contype OPERATOR(pg_catalog.=) 'f' "                                                  \
	"AND con.confdeltype OPERATOR(pg_catalog.=) 'c') AS n(oid, whole)) "                           \
	"SELECT DISTINCT oid::pg_catalog.text FROM reach WHERE oid IS NOT NULL"

int pgdbc_purge_begin(dbc_ctx *ctx, const dbc_table *t, int *depth)
{
	if (!callbacks_registered) {
		RegisterXactCallback(end_all_xact, NULL);
		RegisterSubXactCallback(end_aborted_subxact, NULL);
		callbacks_registered = true;
	}
	frames = pgdbc_room(TopMemoryContext, frames, nframes, &capframes, sizeof(*frames));
	/* open before the query: an error raised through it finds the frame
	 * and closes it with the subtransaction */
	*depth = nframes;
	frames[nframes].subid = GetCurrentSubTransactionId();
	frames[nframes].start = noids;
	nframes++;
	dbc_value p[2] = {dbc_text(t->schema), dbc_text(t->name)};
	if (ctx->host->query(ctx, PURGE_REACH_SQL, 2, p, collect_oid, NULL) != DBC_OK) {
		pgdbc_purge_end_to(*depth);
		return DBC_ERROR;
	}
	int start = frames[*depth].start;
	qsort(oids + start, (size_t)(noids - start), sizeof(Oid), compare_oids);
	return DBC_OK;
}

bool pgdbc_purge_covers(Oid rel)
{
	for (int f = 0; f < nframes; f++) {
		int start = frames[f].start, end = f + 1 < nframes ? frames[f + 1].start : noids;
		if (end > start &&
		    bsearch(&rel, oids + start, (size_t)(end - start), sizeof(Oid), compare_oids))
			return true;
	}
	return false;
}
