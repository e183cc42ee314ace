/*
 * name_map.h — a map from strings to non-negative ints in a ctx's arena
 * (open addressing, deleted slots kept as tombstones until the map
 * grows): lookups in about constant time where a list scan would make a
 * reader quadratic. Keys are the caller's strings, compared byte for
 * byte (fold them first for names without case); they must outlive the
 * map.
 */
#ifndef DBC_NAME_MAP_H
#define DBC_NAME_MAP_H

#include "base/dbc.h"

typedef struct dbc_name_map {
	struct dbc_name_slot *slots;
	int cap;  /* a power of two, or 0 */
	int used; /* live and deleted slots */
} dbc_name_map;

/* The value of key, or -1. */
int dbc_name_map_get(const dbc_name_map *m, const char *key);
/* Sets key to value (>= 0), replacing an older value. */
int dbc_name_map_put(dbc_ctx *ctx, dbc_name_map *m, const char *key, int value);
/* Removes key, if there. */
void dbc_name_map_del(dbc_name_map *m, const char *key);

#endif
