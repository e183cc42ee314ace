/*
 * file_sha256.c — the SHA-256 of a file, read in 1 MB blocks (a dump of any
 * size in constant memory), through libcrypto's EVP interface as the core's
 * base/sha256.c does.
 */
#include "pg_backup.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <unistd.h>

int cli_file_sha256(const char *path, char hex[65])
{
	static const char digits[] = "0123456789abcdef";
	enum { BLOCK = 1 << 20 };
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	unsigned char *buf = malloc(BLOCK);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int rc = -1;
	if (!buf || !md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		errno = ENOMEM;
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, buf, BLOCK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto out;
		if (n == 0)
			break;
		if (EVP_DigestUpdate(md, buf, (size_t)n) != 1) {
			errno = EIO;
			goto out;
		}
	}
	unsigned char out[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	if (EVP_DigestFinal_ex(md, out, &len) != 1 || len != 32) {
		errno = EIO;
		goto out;
	}
	for (unsigned i = 0; i < 32; i++) {
		hex[2 * i] = digits[out[i] >> 4];
		hex[2 * i + 1] = digits[out[i] & 15];
	}
	hex[64] = '\0';
	rc = 0;
out:
	EVP_MD_CTX_free(md);
	free(buf);
	close(fd);
	return rc;
}
