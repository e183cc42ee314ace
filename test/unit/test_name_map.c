/*
 * test_name_map.c — core/base/name_map.c: what is put is got, a later put
 * replaces, a deleted key is gone (and may come back), keys that share a
 * hash bucket stay apart, and 20,000 keys put, half deleted, the rest put
 * again, all answer right across the map's growth and its tombstones.
 */
#include "base/name_map.h"
#include "unit.h"

#include <stdio.h>

int main(void)
{
	dbc_ctx ctx;
	dbc_ctx_init(&ctx, &unit_host, NULL);
	dbc_name_map m = {0};
	CHECK(dbc_name_map_get(&m, "a") == -1, "an empty map has nothing");
	dbc_name_map_del(&m, "a");
	CHECK(dbc_name_map_put(&ctx, &m, "a", 1) == DBC_OK && dbc_name_map_get(&m, "a") == 1,
	      "a key put is got");
	CHECK(dbc_name_map_put(&ctx, &m, "a", 7) == DBC_OK && dbc_name_map_get(&m, "a") == 7,
	      "a later put replaces");
	dbc_name_map_del(&m, "a");
	CHECK(dbc_name_map_get(&m, "a") == -1, "a deleted key is gone");
	CHECK(dbc_name_map_put(&ctx, &m, "a", 2) == DBC_OK && dbc_name_map_get(&m, "a") == 2,
	      "a deleted key comes back");
	CHECK(dbc_name_map_get(&m, "A") == -1, "keys compare byte for byte");
	enum { N = 20000 };
	char **keys = dbc_alloc(&ctx, sizeof(char *) * N);
	bool ok = keys != NULL;
	for (int i = 0; ok && i < N; i++) {
		keys[i] = dbc_printf(&ctx,
		                     "t%d\x1f"
		                     "c%d",
		                     i / 7, i);
		ok = keys[i] && dbc_name_map_put(&ctx, &m, keys[i], i) == DBC_OK;
	}
	for (int i = 0; ok && i < N; i += 2)
		dbc_name_map_del(&m, keys[i]);
	for (int i = 0; ok && i < N; i++)
		ok = dbc_name_map_get(&m, keys[i]) == (i % 2 ? i : -1);
	CHECK(ok, "20,000 keys, half deleted: each answers right");
	for (int i = 0; ok && i < N; i += 2)
		ok = dbc_name_map_put(&ctx, &m, keys[i], N + i) == DBC_OK;
	for (int i = 0; ok && i < N; i++)
		ok = dbc_name_map_get(&m, keys[i]) == (i % 2 ? i : N + i);
	CHECK(ok, "the deleted half put again: each answers its new value");
	CHECK(m.cap <= 4 * 65536, "tombstones do not make the map grow without end");
	dbc_ctx_finish(&ctx);
	return unit_done();
}
