/*
 * test_file_uri.c — core/base/file_uri.c: a path as a SQLite file: URI with
 * its query, every byte a URI gives a meaning to ('?', '#', '%', a space,
 * a non-ASCII byte) percent-encoded, so that SQLite opens the file the
 * path names (the command opens every database through one, and the
 * backup sweep its candidates: their script tests read them back).
 */
#include "base/file_uri.h"
#include "unit.h"

#include <stdlib.h>
#include <string.h>

static void test_encoding(void)
{
	char *u = dbc_file_uri("/tmp/a b/x?y#z%w~é.db", "immutable=1");
	CHECK(u && strcmp(u, "file:/tmp/a%20b/x%3Fy%23z%25w~%C3%A9.db?immutable=1") == 0,
	      "reserved bytes, a space and UTF-8 percent-encoded; the query after '?'");
	free(u);
	u = dbc_file_uri("rel/plain-name_1.db", "dbcare_capture=0");
	CHECK(u && strcmp(u, "file:rel/plain-name_1.db?dbcare_capture=0") == 0,
	      "a relative path of safe bytes as it is");
	free(u);
}

int main(void)
{
	test_encoding();
	return unit_done();
}
