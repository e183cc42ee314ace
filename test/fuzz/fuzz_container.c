/*
 * fuzz_container.c — the sealed backup file's reader on hostile bytes (a
 * file anyone could put where a backup is expected): the header parser and
 * the whole decode (both formats: the seeds are of format 1 and 2), with
 * the key the seeds were sealed with and with none.
 * Invariants: no crash, no read past the input; a header parsed whole is
 * no longer than the input; a decode that succeeds wrote exactly the plain
 * bytes it counted, and a second decode of the same input agrees.
 */
#define _GNU_SOURCE
#include "fuzz.h"
#include "container/container.h"

#include <sys/mman.h>
#include <unistd.h>

static int mem_fd(const uint8_t *data, size_t n)
{
	int fd = memfd_create("dbc-fuzz", 0);
	if (fd >= 0 && n && write(fd, data, n) != (ssize_t)n) {
		close(fd);
		return -1;
	}
	if (fd >= 0)
		lseek(fd, 0, SEEK_SET);
	return fd;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dbc_container_header h;
	dbc_container_err err;
	int parsed = dbc_container_parse_header(data, size, &h, &err);
	FUZZ_ASSERT(parsed != 1 || (h.length <= size && strlen(h.origin) < sizeof h.origin),
	            "a whole header lies inside the input");
	/* the seeds' key (test/fuzz/corpus/container/ were sealed with it) */
	dbc_container_key key;
	dbc_container_key_hex("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", &key,
	                      &err);
	for (int k = 0; k < 2; k++) {
		int in = mem_fd(data, size), out = mem_fd(NULL, 0);
		if (in < 0 || out < 0)
			abort();
		dbc_container_sums sums;
		int rc = dbc_container_decode(in, out, k ? &key : NULL, NULL, NULL, &sums, &err);
		off_t written = lseek(out, 0, SEEK_END);
		FUZZ_ASSERT(rc != 0 || (written == sums.plain_bytes && sums.sealed_bytes == (int64_t)size),
		            "a successful decode wrote what it counted and read the whole input");
		FUZZ_ASSERT(rc == 0 || err.msg[0], "a failed decode says why");
		close(in);
		close(out);
	}
	return 0;
}
