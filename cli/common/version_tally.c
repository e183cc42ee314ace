/*
 * version_tally.c — the count of databases by schema version, bounded
 * (version_tally.h).
 */
#include "cli/common/version_tally.h"

#include "base/heap_grow.h"
#include "migrate/migrate.h"

#include <stdlib.h>
#include <string.h>

void cli_version_tally_add(cli_version_tally *t, const char *version, bool pending)
{
	int at = 0;
	while (at < t->n && !(t->g[at].pending == pending && strcmp(t->g[at].version, version) == 0))
		at++;
	if (at == t->n) {
		if (!dbc_heap_reserve(&t->g, (size_t)t->n + 1, &t->cap, sizeof *t->g, 16)) {
			t->failed = true;
			return;
		}
		t->g[t->n++] = (cli_version_group){.version = version, .pending = pending};
	}
	t->g[at].count++;
}

/* Newest first; "" (no migration applied) last; pending after not. */
static int newest_first(const void *pa, const void *pb)
{
	const cli_version_group *a = pa, *b = pb;
	int c = dbc_version_cmp(b->version, a->version);
	if (c == 0 && (!*a->version || !*b->version))
		c = strcmp(b->version, a->version);
	return c ? c : a->pending - b->pending;
}

static int largest_first(const void *pa, const void *pb)
{
	const cli_version_group *a = pa, *b = pb;
	return a->count != b->count ? b->count - a->count : newest_first(pa, pb);
}

void cli_version_tally_end(cli_version_tally *t)
{
	if (t->n > CLI_VERSION_GROUPS) {
		qsort(t->g, (size_t)t->n, sizeof *t->g, largest_first);
		for (int i = CLI_VERSION_GROUPS; i < t->n; i++) {
			t->other_versions++;
			t->other_count += t->g[i].count;
			*(t->g[i].pending ? &t->other_pending : &t->other_ok) += t->g[i].count;
		}
		t->n = CLI_VERSION_GROUPS;
	}
	if (t->n > 1)
		qsort(t->g, (size_t)t->n, sizeof *t->g, newest_first);
}

void cli_version_tally_free(cli_version_tally *t)
{
	free(t->g);
	*t = (cli_version_tally){0};
}
