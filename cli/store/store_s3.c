/*
 * store_s3.c — an S3 bucket as a store (store_private.h's operations over
 * the request layer, store_s3_http.c). A file up to the profile's
 * multipart_threshold (5 GiB, S3's largest PUT, by default) is published
 * by one PUT, a bigger one by one multipart upload. Either way a name is
 * published (and the caller records it) only once the store holds the
 * whole file and its checksum came back as the file's, with no GET or
 * HEAD after:
 *  - one PUT carries the file's Content-MD5: S3 stores nothing of a body
 *    that is cut or not those bytes (400 BadDigest); its answered ETag is,
 *    for a plaintext or SSE-S3 object made by one PUT, the MD5 of the data
 *    it stored (S3's documented ETag), compared with the file's, the
 *    object deleted again when it differs;
 *  - a multipart upload sends each part (the profile's multipart_chunksize,
 *    16 MiB by default) with its Content-MD5 and compares each answered
 *    ETag with the part's; the object exists only once completed, it is
 *    completed only after every part came back right, and the completed
 *    object's ETag (the MD5 of the parts' MD5s) is checked too. A failure
 *    aborts the upload (its parts dropped); a kill leaves an unfinished
 *    upload, never an object.
 * Under SSE-KMS or SSE-C no ETag is an MD5: S3's own Content-MD5 checks
 * are what hold. GET (digested by SHA-256 as it arrives), DELETE,
 * ListObjectsV2.
 */
#include "store_s3_http.h"
#include "store_s3_parts.h"
#include "cli/common/files.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int s3_del(cli_store *s, const char *key, char *err, size_t n)
{
	store_answer a = {.fd = -1};
	request rq = {.method = "DELETE", .key = key};
	int rc = s3_perform(s, &rq, &a, err, n);
	if (rc == 0 && a.status != 404 && (a.status < 200 || a.status >= 300))
		rc = store_refused(s, rq.method, key, &a, &s3_remedies, err, n);
	free(a.text.data);
	return rc;
}

static int abort_upload(cli_store *s, const char *key, const char *id)
{
	char *q = NULL, *eid = store_encoded(id, false), ignored[256];
	if (eid && asprintf(&q, "uploadId=%s", eid) >= 0)
		s3_call(s, &(request){.method = "DELETE", .key = key, .query = q}, NULL, NULL, ignored,
		        sizeof ignored);
	free(q), free(eid);
	return -1;
}

static void hex_of(const unsigned char *md, unsigned len, char *out)
{
	for (unsigned i = 0; i < len; i++)
		sprintf(out + 2 * i, "%02x", md[i]);
}

/* A part: len bytes of fd from off sent by one PUT with their Content-MD5,
 * and the ETag the store answers, its MD5 of what it holds, compared with
 * theirs; under SSE-KMS or SSE-C the ETag is no MD5 (etag->not_md5) and S3's
 * own check of the Content-MD5 is what holds. 0; -1 with err; 1 with err
 * when the store kept the bytes but answered another MD5. */
static int send_checked(cli_store *s, const char *key, const char *query, const char *what, int fd,
                        off_t off, off_t len, const unsigned char md[16], s3_etag *etag, char *err,
                        size_t n)
{
	char md5_b64[32], md5_hex[33], header[64];
	EVP_EncodeBlock((unsigned char *)md5_b64, md, 16);
	hex_of(md, 16, md5_hex);
	snprintf(header, sizeof header, "Content-MD5: %s", md5_b64);
	store_part part = {.fd = fd, .off = off, .len = len};
	request rq = {.method = "PUT", .key = key, .query = query, .part = &part, .header = header};
	if (s3_call(s, &rq, NULL, etag, err, n) != 0)
		return -1;
	return etag->not_md5 ? 0 : store_sent_check(s, what, key, etag->text, md5_hex, true, err, n);
}

/* The parts of fd (size bytes, chunk each) sent and checked; their
 * <CompleteMultipartUpload> body in done, whole the file's MD5 and
 * parts_md5 the MD5 of the parts' MD5s (S3's ETag of the object). */
static int send_parts(cli_store *s, const char *key, const char *eid, int fd, off_t size,
                      off_t chunk, dbc_heap_text *done, char whole[33], char parts_md5[33],
                      int *count, bool *not_md5, char *err, size_t n)
{
	unsigned char md[16], all[16];
	unsigned len = 0;
	EVP_MD_CTX *w = EVP_MD_CTX_new(), *p = EVP_MD_CTX_new();
	int rc =
	    w && p && EVP_DigestInit_ex(w, EVP_md5(), NULL) && EVP_DigestInit_ex(p, EVP_md5(), NULL)
	        ? 0
	        : -1;
	if (rc != 0)
		snprintf(err, n, "dbcare: out of memory for an upload");
	dbc_heap_text_append(done, "<CompleteMultipartUpload>", 25);
	*count = 0;
	/* at least one part: an empty file is one empty part */
	for (off_t off = 0; rc == 0 && (off < size || *count == 0); off += chunk) {
		off_t part_len = size - off < chunk ? size - off : chunk;
		char q[512], what[32], line[240], hex[33];
		s3_etag etag = {0};
		snprintf(q, sizeof q, "partNumber=%d&uploadId=%s", ++*count, eid);
		snprintf(what, sizeof what, "part %d of", *count);
		rc = store_region_md5(fd, off, part_len, md, w, err, n);
		if (rc == 0 && send_checked(s, key, q, what, fd, off, part_len, md, &etag, err, n) != 0)
			rc = -1;
		if (rc != 0)
			break;
		hex_of(md, 16, hex);
		/* under SSE-KMS/SSE-C the completion names each part by the ETag
		 * S3 gave it (XML-safe: S3's ETags are hex) */
		*not_md5 |= etag.not_md5;
		int w_len = snprintf(line, sizeof line,
		                     "<Part><PartNumber>%d</PartNumber><ETag>\"%s\"</ETag></Part>", *count,
		                     etag.not_md5 ? etag.text : hex);
		dbc_heap_text_append(done, line, (size_t)w_len);
		EVP_DigestUpdate(p, md, 16);
	}
	dbc_heap_text_append(done, "</CompleteMultipartUpload>", 26);
	if (rc == 0 && EVP_DigestFinal_ex(w, all, &len))
		hex_of(all, 16, whole);
	if (rc == 0 && EVP_DigestFinal_ex(p, all, &len))
		hex_of(all, 16, parts_md5);
	if (rc == 0 && done->oom) {
		snprintf(err, n, "dbcare: out of memory completing an upload");
		rc = -1;
	}
	EVP_MD_CTX_free(w), EVP_MD_CTX_free(p);
	return rc;
}

/* Whether the completed object's ETag is the MD5 of what was sent: S3's
 * "MD5 of the parts' MD5s-N", or the MD5 of the whole (S3-compatible
 * stores that compute it so). */
static bool etag_matches(const char *etag, const char *whole, const char *parts_md5, int count)
{
	char want[48];
	snprintf(want, sizeof want, "%s-%d", parts_md5, count);
	return strcasecmp(etag, want) == 0 || strcasecmp(etag, whole) == 0;
}

/* The completed object's ETag (quotes removed) checked; an object that is
 * not the parts is removed again. Under SSE-KMS/SSE-C (not_md5: a part or
 * the completion said so) no ETag is an MD5: every part's Content-MD5 was
 * checked by S3, which completes only the parts it holds. */
static int completed_right(cli_store *s, const char *key, char *body, bool not_md5,
                           const char *whole, const char *parts_md5, int count, char *err, size_t n)
{
	if (not_md5)
		return 0;
	char *got = store_xml_text(body, "ETag", NULL), etag[128];
	size_t len = got ? strlen(got) : 0;
	bool quoted = len >= 2 && got[0] == '"';
	snprintf(etag, sizeof etag, "%.*s", (int)(quoted ? len - 2 : len), got ? got + quoted : "");
	free(got);
	if (etag_matches(etag, whole, parts_md5, count))
		return 0;
	char how[224];
	snprintf(how, sizeof how, "completed as other bytes (ETag %s, sent MD5 %s)", etag, whole);
	return store_published_wrong(s, key, how, err, n);
}

/* fd (size bytes) published by one multipart upload of chunk-sized parts */
static int publish_parts(cli_store *s, const char *key, int fd, off_t size, off_t chunk, char *err,
                         size_t n)
{
	char *body = NULL;
	if (s3_call(s, &(request){.method = "POST", .key = key, .query = "uploads="}, &body, NULL, err,
	            n) != 0)
		return -1;
	char *id = store_xml_text(body, "UploadId", NULL), *eid = id ? store_encoded(id, false) : NULL;
	free(body);
	body = NULL;
	if (!eid) {
		snprintf(err, n, "dbcare: the store answered no UploadId for %s/%s", s->label,
		         store_name_of(s, key));
		free(id);
		return -1;
	}
	dbc_heap_text done = {0};
	char whole[33] = "", parts_md5[33] = "", q[512];
	int count = 0;
	bool not_md5 = false;
	s3_etag completed = {0};
	int rc =
	    send_parts(s, key, eid, fd, size, chunk, &done, whole, parts_md5, &count, &not_md5, err, n);
	snprintf(q, sizeof q, "uploadId=%s", eid);
	if (rc == 0)
		rc = s3_call(s, &(request){.method = "POST", .key = key, .query = q, .text = done.data},
		             &body, &completed, err, n);
	if (rc == 0)
		rc = completed_right(s, key, body, not_md5 || completed.not_md5, whole, parts_md5, count,
		                     err, n);
	else
		abort_upload(s, key, id);
	free(body), free(done.data), free(id), free(eid);
	return rc;
}

/* fd (size bytes) published by one PUT with its Content-MD5: S3 (and
 * every store that checks Content-MD5, as the tests' s3rver wrapper does)
 * refuses a body that is not those bytes, so a cut PUT is never
 * published; the answered ETag, the store's MD5 of what it holds, must be
 * theirs too, else the object this PUT wrote is removed again. A PUT that
 * failed or was refused is never recorded, and what the key holds then
 * (another writer's object, a precondition's, or these very bytes when a
 * store kept them and still answered a 5xx to every try) is left as it
 * is: whole, since the store checked its Content-MD5. */
static int publish_one(cli_store *s, const char *key, int fd, off_t size, char *err, size_t n)
{
	unsigned char md[16];
	s3_etag etag = {0};
	if (store_region_md5(fd, 0, size, md, NULL, err, n) != 0)
		return -1;
	int rc = send_checked(s, key, NULL, "the object", fd, 0, size, md, &etag, err, n);
	if (rc == 1) {
		char ignored[256];
		s3_del(s, key, ignored, sizeof ignored);
	}
	return rc == 0 ? 0 : -1;
}

/* up to the profile's multipart_threshold one PUT; above it (or above
 * S3's largest PUT) one multipart upload, whose object exists only once
 * completed */
static int publish_by_size(cli_store *s, const char *key, int fd, off_t size, char *err, size_t n)
{
	return size <= s->aws.single_put_max
	           ? publish_one(s, key, fd, size, err, n)
	           : publish_parts(s, key, fd, size, store_s3_part_size(s->aws.multipart_chunk, size),
	                           err, n);
}

static int s3_publish(cli_store *s, const char *key, const char *file, char *err, size_t n)
{
	return store_publish_file(s, key, file, publish_by_size, err, n);
}

static int s3_get(cli_store *s, const char *key, int fd, char sha256[65], char *err, size_t n)
{
	dbc_ctx ctx;
	dbc_ctx_init(&ctx, cli_text_host(), NULL);
	store_answer a = {.fd = fd, .ctx = &ctx, .sha = dbc_sha256_begin(&ctx)};
	request rq = {.method = "GET", .key = key};
	int rc = a.sha ? s3_perform(s, &rq, &a, err, n) : -1;
	if (!a.sha)
		snprintf(err, n, "dbcare: cannot start a SHA-256");
	if (rc == 0 && (a.status < 200 || a.status >= 300))
		rc = store_get_refused(s, key, &a, &s3_remedies, err, n);
	if (a.sha && rc == 0)
		rc = dbc_sha256_finish(&ctx, a.sha, sha256) == DBC_OK ? 0 : -1;
	else if (a.sha)
		dbc_sha256_abort(a.sha);
	free(a.text.data);
	dbc_ctx_finish(&ctx);
	return rc;
}

/* A listing asks LIST_PAGE_KEYS names a page (a page's XML then stays far
 * below the answer's cap) and follows at most LIST_PAGES pages: an
 * endpoint that answers IsTruncated forever ends in an error, and the
 * names kept stay bounded. */
#define LIST_PAGE_KEYS 1000
#define LIST_PAGES     1000

static int s3_list(cli_store *s, char ***names, size_t *count, size_t *cap, char *err, size_t n)
{
	char *token = NULL, *eprefix = store_encoded(s->prefix, false);
	int rc = eprefix ? 0 : -1, pages = 0;
	do {
		if (rc == 0 && ++pages > LIST_PAGES) {
			snprintf(err, n,
			         "dbcare: the listing of %s goes on past %d pages of %d names: stopped; "
			         "check the endpoint, or keep fewer objects under the prefix",
			         s->label, LIST_PAGES, LIST_PAGE_KEYS);
			rc = -1;
			break;
		}
		char *q = NULL, *etoken = token ? store_encoded(token, false) : NULL, *body = NULL;
		/* sorted by name: the canonical query the signature covers */
		if (rc != 0 || asprintf(&q, "%s%s%slist-type=2&max-keys=%d&prefix=%s",
		                        etoken ? "continuation-token=" : "", etoken ? etoken : "",
		                        etoken ? "&" : "", LIST_PAGE_KEYS, eprefix) < 0) {
			free(etoken);
			snprintf(err, n, "dbcare: out of memory listing %s", s->label);
			rc = -1;
			break;
		}
		rc = s3_call(s, &(request){.method = "GET", .query = q}, &body, NULL, err, n);
		free(q), free(etoken), free(token);
		token = NULL;
		const char *at = body;
		char *contents;
		while (rc == 0 && (contents = store_xml_text(at, "Contents", &at))) {
			char *key = store_xml_text(contents, "Key", NULL);
			if (key && !store_names_add(names, count, cap, key, strlen(key)))
				rc = -1;
			free(key), free(contents);
		}
		char *truncated = rc == 0 ? store_xml_text(body, "IsTruncated", NULL) : NULL;
		if (truncated && strcmp(truncated, "true") == 0)
			token = store_xml_text(body, "NextContinuationToken", NULL);
		free(truncated), free(body);
	} while (rc == 0 && token);
	free(token), free(eprefix);
	return rc;
}

const store_ops store_s3_ops = {
    .publish = s3_publish, .get = s3_get, .del = s3_del, .list = s3_list};
