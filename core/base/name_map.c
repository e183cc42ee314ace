/*
 * name_map.c — see name_map.h. Invariant: at most half the slots are
 * used (live or deleted), so a probe always ends at an empty slot.
 */
#include "base/name_map.h"
#include "base/heap_grow.h"

#include <limits.h>
#include <stdint.h>
#include <string.h>

typedef struct dbc_name_slot {
	const char *key; /* NULL: empty */
	int value;       /* -1: deleted */
	uint32_t hash;
} slot;

static uint32_t hash_of(const char *s)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* The slot of key, or the empty slot where it would go. */
static slot *find(const dbc_name_map *m, const char *key, uint32_t h)
{
	for (uint32_t i = h & (uint32_t)(m->cap - 1);; i = (i + 1) & (uint32_t)(m->cap - 1)) {
		slot *s = &m->slots[i];
		if (!s->key || (s->hash == h && strcmp(s->key, key) == 0))
			return s;
	}
}

int dbc_name_map_get(const dbc_name_map *m, const char *key)
{
	if (!m->cap)
		return -1;
	const slot *s = find(m, key, hash_of(key));
	return s->key ? s->value : -1;
}

static int grow(dbc_ctx *ctx, dbc_name_map *m)
{
	int live = 0;
	for (int i = 0; i < m->cap; i++)
		live += m->slots[i].key && m->slots[i].value >= 0;
	/* a power of two of at least 16 slots, four per live key and the next,
	 * rehashed anew */
	size_t slots;
	if (!dbc_grown_capacity(0, 4 * ((size_t)live + 1), sizeof(slot), 16, &slots) || slots > INT_MAX)
		return dbc_error(ctx, DBC_SQLSTATE_OUT_OF_MEMORY, "out of memory");
	dbc_name_map g = {.cap = (int)slots};
	g.slots = dbc_zalloc(ctx, sizeof(slot) * slots);
	if (!g.slots)
		return DBC_ERROR;
	for (int i = 0; i < m->cap; i++)
		if (m->slots[i].key && m->slots[i].value >= 0) {
			*find(&g, m->slots[i].key, m->slots[i].hash) = m->slots[i];
			g.used++;
		}
	*m = g;
	return DBC_OK;
}

int dbc_name_map_put(dbc_ctx *ctx, dbc_name_map *m, const char *key, int value)
{
	if ((m->used + 1) * 2 > m->cap && grow(ctx, m) != DBC_OK)
		return DBC_ERROR;
	uint32_t h = hash_of(key);
	slot *s = find(m, key, h);
	if (!s->key)
		m->used++;
	*s = (slot){key, value, h};
	return DBC_OK;
}

void dbc_name_map_del(dbc_name_map *m, const char *key)
{
	if (!m->cap)
		return;
	slot *s = find(m, key, hash_of(key));
	if (s->key)
		s->value = -1;
}
