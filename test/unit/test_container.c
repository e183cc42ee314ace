/*
 * test_container.c — the sealed backup file (core/container): round trips
 * of every flag combination over a few chunks, and every damage a file on
 * disk can take — a wrong key, a byte flipped in the header, in a chunk's
 * payload, in its tag, in the end record, a file cut short, bytes added,
 * two chunks swapped — is an error with no claim of success. Files of
 * format 1, sealed by dbcare 0.3.9 (test/fixtures/container/), still open
 * to their bytes; what is sealed now is format 2.
 */
#define _GNU_SOURCE
#include "unit.h"
#include "container/container.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

static int mem_fd(const unsigned char *data, size_t n)
{
	int fd = memfd_create("dbc-unit", 0);
	if (fd < 0)
		return -1;
	if (n && write(fd, data, n) != (ssize_t)n) {
		close(fd);
		return -1;
	}
	lseek(fd, 0, SEEK_SET);
	return fd;
}

static unsigned char *slurp(int fd, size_t *n)
{
	off_t end = lseek(fd, 0, SEEK_END);
	unsigned char *b = malloc(end > 0 ? (size_t)end : 1);
	lseek(fd, 0, SEEK_SET);
	*n = end > 0 && read(fd, b, (size_t)end) == end ? (size_t)end : 0;
	return b;
}

/* Seals data; the sealed bytes in *out (malloc'd). */
static int seal(const unsigned char *data, size_t n, unsigned flags, const dbc_container_key *key,
                unsigned char **out, size_t *out_n, dbc_container_sums *sums)
{
	int in = mem_fd(data, n), dst = mem_fd(NULL, 0);
	dbc_container_err err;
	int rc = dbc_container_encode(in, dst, flags, key, "/db\n/backup.db", NULL, NULL, sums, &err);
	*out = rc == 0 ? slurp(dst, out_n) : NULL;
	close(in);
	close(dst);
	return rc;
}

/* Opens sealed bytes; the plain ones compared with want: 0 when equal,
 * 2 when they differ, 1 when the decode failed (why says why). */
static int open_seal(const unsigned char *sealed, size_t n, const dbc_container_key *key,
                     const unsigned char *want, size_t want_n, char *why, size_t why_len)
{
	int in = mem_fd(sealed, n), dst = mem_fd(NULL, 0);
	dbc_container_err err = {{0}, false};
	dbc_container_sums sums;
	int rc = dbc_container_decode(in, dst, key, NULL, NULL, &sums, &err) == 0 ? 0 : 1;
	snprintf(why, why_len, "%s", err.msg);
	if (rc == 0) {
		size_t got_n;
		unsigned char *got = slurp(dst, &got_n);
		rc = got_n == want_n && memcmp(got, want, want_n) == 0 ? 0 : 2;
		free(got);
	}
	close(in);
	close(dst);
	return rc;
}

/* The bytes the format 1 fixtures were sealed from: n bytes of
 * compressible text with a tail of 4096 that is not. */
static unsigned char *fixture_plain(size_t n)
{
	unsigned char *d = malloc(n);
	for (size_t i = 0; i < n; i++)
		d[i] = i < n - 4096 ? (unsigned char)("dbcare rows "[i % 12])
		                    : (unsigned char)((i * 2654435761u) >> 13);
	return d;
}

/* Files sealed by dbcare 0.3.9 (format 1: AES-256-GCM, SHA-256 tags
 * without a key) with the key 0011…eeff, from origin "/db\n/backup.db":
 * each opens to its bytes, peeks its end record, and fails on a flipped
 * byte or (encrypted) another key. */
static void format_1_opens(const dbc_container_key *key, const dbc_container_key *other)
{
	static const struct {
		const char *name;
		size_t plain;
		unsigned flags;
	} files[] = {
	    {"v1_plain.seal", 5000, 0},
	    {"v1_encrypt.seal", 5000, DBC_CONTAINER_ENCRYPT},
	    {"v1_zstd.seal", 5u << 19, DBC_CONTAINER_ZSTD},
	    {"v1_zstd_encrypt.seal", 5u << 19, DBC_CONTAINER_ZSTD | DBC_CONTAINER_ENCRYPT},
	};
	for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
		char path[128], name[160], why[512];
		snprintf(path, sizeof path, "test/fixtures/container/%s", files[f].name);
		int fd = open(path, O_RDONLY);
		size_t sn = 0;
		unsigned char *s = fd >= 0 ? slurp(fd, &sn) : NULL, *want = fixture_plain(files[f].plain);
		dbc_container_header h;
		dbc_container_err err;
		snprintf(name, sizeof name, "%s: a format 1 header with its flags", files[f].name);
		CHECK(s && dbc_container_parse_header(s, sn, &h, &err) == 1 && h.version == 1 &&
		          h.flags == files[f].flags && strcmp(h.origin, "/db\n/backup.db") == 0,
		      name);
		snprintf(name, sizeof name, "%s: opens to the bytes it was sealed from", files[f].name);
		CHECK(s && open_seal(s, sn, key, want, files[f].plain, why, sizeof why) == 0, name);
		dbc_container_sums peek;
		lseek(fd, 0, SEEK_SET);
		snprintf(name, sizeof name, "%s: its end record peeked", files[f].name);
		CHECK(fd >= 0 && dbc_container_peek(fd, key, &peek, &err) == 0 &&
		          peek.plain_bytes == (int64_t)files[f].plain,
		      name);
		s[sn / 2] ^= 0x20;
		snprintf(name, sizeof name, "%s: a byte flipped fails", files[f].name);
		CHECK(open_seal(s, sn, key, want, files[f].plain, why, sizeof why) == 1, name);
		s[sn / 2] ^= 0x20;
		if (files[f].flags & DBC_CONTAINER_ENCRYPT) {
			snprintf(name, sizeof name, "%s: another key fails naming it", files[f].name);
			CHECK(open_seal(s, sn, other, want, files[f].plain, why, sizeof why) == 1 &&
			          strstr(why, "another key"),
			      name);
		}
		if (fd >= 0)
			close(fd);
		free(s);
		free(want);
	}
}

int main(void)
{
	/* 2.5 chunks of compressible text with a random tail */
	size_t n = (5u << 20) / 2;
	unsigned char *data = malloc(n);
	for (size_t i = 0; i < n; i++)
		data[i] = i < n - 4096 ? (unsigned char)("dbcare rows "[i % 12]) : (unsigned char)rand();
	dbc_container_key key, other;
	dbc_container_err err;
	CHECK(dbc_container_key_hex("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
	                            &key, &err) == 0 &&
	          key.set,
	      "a 64-hex-digit key reads");
	CHECK(dbc_container_key_hex("0011", &other, &err) != 0 && strstr(err.msg, "64 hex digits"),
	      "a short key is refused");
	CHECK(dbc_container_key_hex("ff112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
	                            &other, &err) == 0,
	      "another key reads");

	char why[512];
	unsigned flags_of[4] = {0, DBC_CONTAINER_ZSTD, DBC_CONTAINER_ENCRYPT,
	                        DBC_CONTAINER_ZSTD | DBC_CONTAINER_ENCRYPT};
	for (int f = 0; f < 4; f++) {
		unsigned flags = flags_of[f];
		unsigned char *s;
		size_t sn;
		dbc_container_sums sums;
		char name[128];
		snprintf(name, sizeof name, "flags %u: sealed", flags);
		CHECK(seal(data, n, flags, &key, &s, &sn, &sums) == 0 && (int64_t)sn == sums.sealed_bytes,
		      name);
		if (flags & DBC_CONTAINER_ZSTD) {
			snprintf(name, sizeof name, "flags %u: compressed (%zu of %zu bytes)", flags, sn, n);
			CHECK(sn < n / 10, name);
		}
		snprintf(name, sizeof name, "flags %u: opens to the same bytes", flags);
		CHECK(open_seal(s, sn, &key, data, n, why, sizeof why) == 0, name);
		{
			int fd = mem_fd(s, sn);
			dbc_container_sums peek;
			snprintf(name, sizeof name, "flags %u: the end record peeked holds the plain SHA-256",
			         flags);
			CHECK(dbc_container_peek(fd, &key, &peek, &err) == 0 &&
			          strcmp(peek.plain_sha256, sums.plain_sha256) == 0 &&
			          peek.plain_bytes == (int64_t)n,
			      name);
			close(fd);
		}
		dbc_container_header h;
		CHECK(dbc_container_parse_header(s, sn, &h, &err) == 1 &&
		          strcmp(h.origin, "/db\n/backup.db") == 0 && h.flags == flags && h.version == 2,
		      "the header reads back, origin included, in format 2");
		if (flags & DBC_CONTAINER_ENCRYPT) {
			CHECK(open_seal(s, sn, &other, data, n, why, sizeof why) == 1 &&
			          strstr(why, "another key"),
			      "a wrong key is an error naming it");
			CHECK(open_seal(s, sn, NULL, data, n, why, sizeof why) == 1 && strstr(why, "no key"),
			      "no key for an encrypted file is an error");
			CHECK(memmem(s, sn, "dbcare rows dbcare rows", 23) == NULL,
			      "no plain text in the encrypted file");
		}
		/* every part damaged: a flip at each of these offsets fails */
		size_t hlen = h.length;
		size_t spots[] = {9,       12,       20,       30,       40,         hlen - 1,
		                  hlen,    hlen + 5, hlen + 8, hlen + 9, hlen + 200, sn / 2,
		                  sn - 60, sn - 40,  sn - 17,  sn - 1};
		int bad = 0;
		for (size_t k = 0; k < sizeof spots / sizeof spots[0]; k++) {
			s[spots[k]] ^= 0x20;
			if (open_seal(s, sn, &key, data, n, why, sizeof why) == 0)
				bad++, printf("# flip at %zu of %zu opened\n", spots[k], sn);
			s[spots[k]] ^= 0x20;
		}
		snprintf(name, sizeof name, "flags %u: a byte flipped in header, chunk, tag, end fails",
		         flags);
		CHECK(bad == 0, name);
		snprintf(name, sizeof name, "flags %u: a file cut short fails", flags);
		CHECK(open_seal(s, sn - 1, &key, data, n, why, sizeof why) == 1 &&
		          strstr(why, "cut short") &&
		          open_seal(s, sn - 65, &key, data, n, why, sizeof why) == 1 &&
		          open_seal(s, hlen + 3, &key, data, n, why, sizeof why) == 1 &&
		          open_seal(s, 20, &key, data, n, why, sizeof why) == 1,
		      name);
		unsigned char *longer = malloc(sn + 1);
		memcpy(longer, s, sn);
		longer[sn] = 0;
		snprintf(name, sizeof name, "flags %u: a byte after the end fails", flags);
		CHECK(open_seal(longer, sn + 1, &key, data, n, why, sizeof why) == 1 &&
		          strstr(why, "after its end"),
		      name);
		free(longer);
		free(s);
	}
	/* two whole chunks swapped: same bytes, wrong place */
	{
		unsigned char *s;
		size_t sn;
		dbc_container_sums sums;
		unsigned char *blocks = malloc(3u << 20);
		for (size_t i = 0; i < (3u << 20); i++)
			blocks[i] = (unsigned char)(i >> 20); /* chunk k is all k */
		CHECK(seal(blocks, 3u << 20, DBC_CONTAINER_ENCRYPT, &key, &s, &sn, &sums) == 0,
		      "three chunks");
		dbc_container_header h;
		dbc_container_parse_header(s, sn, &h, &err);
		size_t rec = 9 + (1u << 20) + 17, a = h.length, b = h.length + rec; /* format 2's tag: 17 */
		unsigned char *tmp = malloc(rec);
		memcpy(tmp, s + a, rec);
		memmove(s + a, s + b, rec);
		memcpy(s + b, tmp, rec);
		CHECK(open_seal(s, sn, &key, blocks, 3u << 20, why, sizeof why) == 1 &&
		          strstr(why, "chunk 0"),
		      "two chunks swapped fail");
		free(tmp);
		free(s);
		free(blocks);
	}
	/* an empty input seals and opens */
	{
		unsigned char *s;
		size_t sn;
		dbc_container_sums sums;
		CHECK(seal((const unsigned char *)"", 0, DBC_CONTAINER_ZSTD | DBC_CONTAINER_ENCRYPT, &key,
		           &s, &sn, &sums) == 0 &&
		          open_seal(s, sn, &key, (const unsigned char *)"", 0, why, sizeof why) == 0,
		      "an empty file round-trips");
		free(s);
	}
	CHECK(dbc_container_parse_header((const unsigned char *)"SQLite format 3", 15,
	                                 &(dbc_container_header){0}, &err) < 0,
	      "a database is no sealed file");
	/* origins: with an identity, without one, before origins named a path */
	{
		char with[] = "id:0123abcd /srv/a db.db\n/backups/a.db", without[] = "/srv/a.db\n/b.db",
		     old[] = "/backups/a.db", pg[] = "shop\n/b.dump";
		dbc_container_origin o;
		CHECK(dbc_container_origin_split(with, &o) && o.identity &&
		          strcmp(o.identity, "0123abcd") == 0 && strcmp(o.file, "/srv/a db.db") == 0 &&
		          strcmp(o.published, "/backups/a.db") == 0,
		      "an origin with an identity splits in three");
		CHECK(dbc_container_origin_split(without, &o) && !o.identity &&
		          strcmp(o.file, "/srv/a.db") == 0 && strcmp(o.published, "/b.db") == 0,
		      "an origin without an identity names the file and the path");
		CHECK(dbc_container_origin_split(pg, &o) && !o.identity && strcmp(o.file, "shop") == 0,
		      "a database name is no identity");
		CHECK(!dbc_container_origin_split(old, &o) && !o.identity && o.file == old,
		      "a path alone is the whole origin");
	}
	/* a header's origin is read only once its tag authenticates; what a
	 * message quotes of an origin shows no control byte */
	{
		unsigned char *s;
		size_t sn;
		dbc_container_sums sums;
		dbc_container_header h;
		char path[] = "/tmp/dbc-unit-sealXXXXXX";
		int fd = mkstemp(path);
		CHECK(fd >= 0 && seal(data, 4096, DBC_CONTAINER_ENCRYPT, &key, &s, &sn, &sums) == 0 &&
		          write(fd, s, sn) == (ssize_t)sn,
		      "a sealed file written");
		CHECK(dbc_container_header_read(path, &key, &h, &err) == 0 &&
		          strcmp(h.origin, "/db\n/backup.db") == 0,
		      "an authentic header reads, origin included");
		CHECK(dbc_container_header_read(path, &other, &h, &err) != 0 && err.key && !h.origin[0],
		      "with another key the header is not read");
		((unsigned char *)memmem(s, sn, "/db\n/backup.db", 14))[1] = 'X'; /* its tag unchanged */
		CHECK(pwrite(fd, s, sn, 0) == (ssize_t)sn &&
		          dbc_container_header_read(path, &key, &h, &err) != 0 &&
		          strstr(err.msg, "tag does not match") && !h.origin[0],
		      "a forged origin does not authenticate and is not read");
		close(fd);
		unlink(path);
		free(s);
		char *why_not = NULL;
		dbc_container_expect want = {.identity = "ours", .file = "/a.db", .published = "/b.db"};
		CHECK(!dbc_container_origin_matches("id:theirs /x\x1b[31m.db\n/b.db", &want, &why_not) &&
		          why_not && !strchr(why_not, '\x1b') && strstr(why_not, "/x?[31m.db"),
		      "a mismatch quotes the origin without its control bytes");
		free(why_not);
		/* a clone keeps the identity: the file decides, unless named */
		const char *clone = "id:ours /staging.db\n/b.db";
		CHECK(!dbc_container_origin_matches(clone, &want, &why_not) && why_not &&
		          strstr(why_not, "database /staging.db, not of this database /a.db") &&
		          strstr(why_not, "--allow-origin /staging.db"),
		      "the backup of a clone (same identity, another file) is refused, naming both");
		free(why_not);
		want.allowed = "/other.db";
		CHECK(!dbc_container_origin_matches(clone, &want, &why_not), "another origin named");
		free(why_not);
		want.allowed = "/staging.db";
		CHECK(dbc_container_origin_matches(clone, &want, &why_not) && !why_not,
		      "the origin the user named passes the file comparison");
		CHECK(!dbc_container_origin_matches("id:theirs /staging.db\n/b.db", &want, &why_not) &&
		          why_not && strstr(why_not, "(identity theirs)") &&
		          !strstr(why_not, "--allow-origin"),
		      "naming an origin never passes another identity to a catalog row's file");
		free(why_not);
		/* a restore target made again in the database's place: another
		 * identity, taken only when the user names the backup's database */
		dbc_container_expect again = {.identity = "new", .file = "/a.db"};
		CHECK(!dbc_container_origin_matches("id:old /a.db\n/bk.db", &again, &why_not) && why_not &&
		          strstr(why_not, "(identity old), not of this database /a.db (identity new)") &&
		          strstr(why_not, "--allow-origin /a.db"),
		      "a restore over a database of another identity is refused, naming the way");
		free(why_not);
		again.allowed = "/a.db";
		CHECK(dbc_container_origin_matches("id:old /a.db\n/bk.db", &again, &why_not) && !why_not,
		      "... and taken when the user names the backup's database");
		CHECK(!dbc_container_origin_matches("id:old /z.db\n/bk.db", &again, &why_not),
		      "... but not another database's");
		free(why_not);
		dbc_container_expect target = {.file = "/plain.db"};
		CHECK(!dbc_container_origin_matches("id:x /plain.db\n/b.db", &target, &why_not) &&
		          why_not && strstr(why_not, "no identity yet"),
		      "a target without identity takes no file naming one");
		free(why_not);
		target.allowed = "/plain.db";
		CHECK(dbc_container_origin_matches("id:x /plain.db\n/b.db", &target, &why_not),
		      "... unless its origin is named");
		/* a plain copy's own origin: the same rule, not called sealed */
		dbc_container_expect plain = {
		    .identity = "ours", .file = "/a.db", .published = "/b.db", .plain = true};
		CHECK(!dbc_container_origin_matches("id:theirs /c.db\n/b.db", &plain, &why_not) &&
		          why_not &&
		          strstr(why_not, "it is the backup of database /c.db (identity theirs)") &&
		          !strstr(why_not, "sealed"),
		      "a plain copy of another identity is refused, not called sealed");
		free(why_not);
	}
	free(data);
	format_1_opens(&key, &other);
	/* the names a kill leaves of temporary files, which the sweeps delete */
	CHECK(dbc_scratch_temp_name("a.db.tmp-Ab12Cd") && dbc_scratch_temp_name("x.tmp-000000"),
	      "a name and mkstemp's tail is a temporary file's");
	CHECK(!dbc_scratch_temp_name(".tmp-Ab12Cd") && !dbc_scratch_temp_name("a.db.tmp-Ab12C") &&
	          !dbc_scratch_temp_name("a.db.tmp-Ab12C.") && !dbc_scratch_temp_name("a.db"),
	      "without a name, six letters or digits or the tail, it is not");
	return unit_done();
}
