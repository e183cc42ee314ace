/*
 * test_seal_file.c — the one seal of a backup file (core/container,
 * dbc_container_seal_file), on real files in a directory of its own: a
 * sealed file is published only once it read back from the disk to the
 * plain bytes the caller proved; a name already taken, a read back to
 * other bytes, a stop, a missing plain file or directory, a key asked for
 * and not given each fail at their step with nothing at the name and
 * nothing left beside it.
 */
#define _GNU_SOURCE
#include "unit.h"
#include "container/container.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

static char dir[4096];

static char *in_dir(const char *name)
{
	static char buf[4][4200];
	static int next;
	char *out = buf[next++ % 4];
	snprintf(out, sizeof buf[0], "%s/%s", dir, name);
	return out;
}

/* The names in the directory, besides . and .. */
static int entries(void)
{
	DIR *d = opendir(dir);
	int n = 0;
	for (struct dirent *e; d && (e = readdir(d));)
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	if (d)
		closedir(d);
	return n;
}

static void write_file(const char *path, const char *text, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, text, n) != (ssize_t)n)
		abort();
	close(fd);
}

/* The SHA-256 of path's bytes, as a seal of them states it. */
static void plain_sha(const char *path, char out[65])
{
	int in = open(path, O_RDONLY), sink = memfd_create("dbc-unit", 0);
	dbc_container_sums sums;
	dbc_container_err err;
	if (in < 0 || sink < 0 ||
	    dbc_container_encode(in, sink, 0, NULL, NULL, NULL, NULL, &sums, &err))
		abort();
	memcpy(out, sums.plain_sha256, 65);
	close(in);
	close(sink);
}

/* Whether the sealed file at path opens with key to want's bytes, and its
 * sealed SHA-256 and size are made's. */
static bool opens_to(const char *path, const dbc_container_key *key, const char *want,
                     const dbc_container_sums *made)
{
	int in = open(path, O_RDONLY), out = memfd_create("dbc-unit", 0);
	dbc_container_sums sums;
	dbc_container_err err;
	char got[256] = {0};
	bool ok = in >= 0 && out >= 0 &&
	          dbc_container_decode(in, out, key, NULL, NULL, &sums, &err) == 0 &&
	          pread(out, got, sizeof got - 1, 0) == (ssize_t)strlen(want) &&
	          strcmp(got, want) == 0 && strcmp(sums.sealed_sha256, made->sealed_sha256) == 0 &&
	          sums.sealed_bytes == made->sealed_bytes;
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	return ok;
}

static bool stop_now(void *arg)
{
	(void)arg;
	return true;
}

int main(void)
{
	const char *tmpdir = getenv("TMPDIR");
	snprintf(dir, sizeof dir, "%s/dbc-seal-XXXXXX", tmpdir && tmpdir[0] ? tmpdir : "/tmp");
	if (!mkdtemp(dir))
		return 1;
	dbc_container_key key = {{0}, false}, none = {{0}, false};
	dbc_container_err err;
	dbc_container_sums made;
	CHECK(dbc_container_key_hex("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
	                            &key, &err) == 0,
	      "a key reads");
	const char *text = "the verified copy's bytes\n";
	char plain[4200], sha[65];
	snprintf(plain, sizeof plain, "%s", in_dir("plain.db"));
	write_file(plain, text, strlen(text));
	plain_sha(plain, sha);
	dbc_container_seal_job job = {.plain = plain,
	                              .plain_sha256 = sha,
	                              .path = in_dir("backup.db"),
	                              .flags = DBC_CONTAINER_ZSTD | DBC_CONTAINER_ENCRYPT,
	                              .key = &key,
	                              .origin = "id:x /db\n/backup.db"};

	CHECK(dbc_container_seal_file(&job, &made, &err) == DBC_SEAL_DONE, "sealed and published");
	CHECK(opens_to(job.path, &key, text, &made), "the published file opens to the plain bytes");
	CHECK(entries() == 2, "nothing left beside the published file");

	/* never over a file: the one there is kept as it was */
	write_file(in_dir("taken.db"), "someone's", 9);
	job.path = in_dir("taken.db");
	dbc_container_seal_step step = dbc_container_seal_file(&job, &made, &err);
	CHECK(step == DBC_SEAL_NAME && strstr(err.msg, "exists"), "a name taken is not replaced");
	{
		char got[16] = {0};
		int fd = open(job.path, O_RDONLY);
		CHECK(fd >= 0 && read(fd, got, sizeof got) == 9 && strcmp(got, "someone's") == 0,
		      "the file at the name is untouched");
		if (fd >= 0)
			close(fd);
	}
	CHECK(entries() == 3, "nothing left beside a name taken");

	/* the read back compares with what the caller proved of the plain
	 * bytes: another SHA-256 publishes nothing */
	job.path = in_dir("other.db");
	job.plain_sha256 = "0000000000000000000000000000000000000000000000000000000000000000";
	CHECK(dbc_container_seal_file(&job, &made, &err) == DBC_SEAL_READ_BACK &&
	          access(job.path, F_OK) != 0,
	      "a read back to other bytes publishes nothing");
	CHECK(entries() == 3, "nothing left of a read back refused");
	job.plain_sha256 = sha;

	job.stop = stop_now;
	CHECK(dbc_container_seal_file(&job, &made, &err) == DBC_SEAL_WRITE &&
	          access(job.path, F_OK) != 0,
	      "a stop asked for stops the seal, nothing published");
	job.stop = NULL;

	job.key = &none;
	CHECK(dbc_container_seal_file(&job, &made, &err) == DBC_SEAL_WRITE && err.msg[0] &&
	          access(job.path, F_OK) != 0,
	      "encryption without a key publishes nothing");
	job.key = &key;

	job.plain = in_dir("missing.db");
	CHECK(dbc_container_seal_file(&job, &made, &err) == DBC_SEAL_WRITE &&
	          strstr(err.msg, "No such file") && access(job.path, F_OK) != 0,
	      "a missing plain file publishes nothing");
	job.plain = plain;
	CHECK(entries() == 3, "nothing left of the failed seals");

	job.path = in_dir("no-such-dir/backup.db");
	CHECK(dbc_container_seal_file(&job, &made, &err) == DBC_SEAL_CREATE && err.msg[0],
	      "no directory: no file to seal into");

	/* without encryption, the same seal opens without a key */
	job.path = in_dir("zstd.db");
	job.flags = DBC_CONTAINER_ZSTD;
	CHECK(dbc_container_seal_file(&job, &made, &err) == DBC_SEAL_DONE &&
	          opens_to(job.path, NULL, text, &made),
	      "compressed only: published and opens");

	unlink(in_dir("plain.db"));
	unlink(in_dir("backup.db"));
	unlink(in_dir("taken.db"));
	unlink(in_dir("zstd.db"));
	CHECK(entries() == 0 && rmdir(dir) == 0, "the directory holds only what the test named");
	return unit_done();
}
