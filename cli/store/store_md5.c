/*
 * store_md5.c — the MD5 of a region of a file to upload, one home for both
 * stores: S3 sends it as Content-MD5 and compares ETags with it, Azure
 * sends it per block and per blob.
 */
#include "store_private.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int store_region_md5(int fd, off_t off, off_t len, unsigned char md[16], EVP_MD_CTX *whole,
                     char *err, size_t n)
{
	unsigned char buf[1 << 16];
	unsigned mdlen = 0;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int rc = c && EVP_DigestInit_ex(c, EVP_md5(), NULL) ? 0 : -1;
	for (off_t done = 0; rc == 0 && done < len;) {
		size_t want = len - done < (off_t)sizeof buf ? (size_t)(len - done) : sizeof buf;
		ssize_t got = pread(fd, buf, want, off + done);
		if (got <= 0) {
			snprintf(err, n, "dbcare: cannot read the file to upload: %s",
			         got < 0 ? strerror(errno) : "it shrank");
			rc = -1;
			break;
		}
		EVP_DigestUpdate(c, buf, (size_t)got);
		if (whole)
			EVP_DigestUpdate(whole, buf, (size_t)got);
		done += got;
	}
	if (rc == 0 && (!EVP_DigestFinal_ex(c, md, &mdlen) || mdlen != 16))
		rc = -1;
	if (rc != 0 && !err[0])
		snprintf(err, n, "dbcare: cannot compute an MD5 to upload");
	EVP_MD_CTX_free(c);
	return rc;
}
