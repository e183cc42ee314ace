/*
 * store_s3.c — an S3 bucket as a store, over libcurl: every request signed
 * by libcurl's own Signature V4 (CURLOPT_AWS_SIGV4; no signing here),
 * path-style or virtual-host style, to AWS or to the endpoint of an
 * S3-compatible store. PUT of an object, in parts past PART_BYTES
 * (CreateMultipartUpload, UploadPart, CompleteMultipartUpload: the object
 * exists only once completed; an upload that fails is aborted); GET;
 * server-side copy (CopyObject, which answers 200 with an <Error> body
 * when it fails late: the body is read); DELETE; ListObjectsV2.
 *
 * The credentials go to libcurl as the user name and password it signs
 * with, and the session token as the x-amz-security-token header; no URL
 * carries them, and an error names the request and S3's code and message,
 * never a header. A store that stops answering ends a request after
 * STALL_SECONDS without a byte, so a stopped store fails the upload rather
 * than hangs it.
 */
#include "store_private.h"
#include "cli/common/files.h"

#include "base/heap_grow.h"
#include "base/sha256.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PART_BYTES    ((curl_off_t)8 << 20) /* S3's least part is 5 MiB */
#define STALL_SECONDS 30L
#define BODY_CAP      (1 << 20) /* an answer in XML kept in memory, at most */

/* What a request does with the answer's body: into fd and a digest, or
 * into memory (XML). */
typedef struct answer {
	int fd;          /* -1: not written */
	dbc_sha256 *sha; /* NULL: not digested */
	dbc_ctx *ctx;
	dbc_heap_text text; /* the body, up to BODY_CAP */
	bool failed;
	char etag[128];
} answer;

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	answer *a = arg;
	size_t len = size * nmemb;
	if (a->sha && dbc_sha256_update(a->ctx, a->sha, data, len) != DBC_OK)
		return a->failed = true, 0;
	if (a->fd >= 0) {
		for (size_t off = 0; off < len;) {
			ssize_t w = write(a->fd, data + off, len - off);
			if (w < 0)
				return a->failed = true, 0;
			off += (size_t)w;
		}
	} else if (!a->sha && a->text.len + len <= BODY_CAP) {
		dbc_heap_text_append(&a->text, data, len);
	}
	return len;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *arg)
{
	answer *a = arg;
	size_t len = size * nmemb;
	if (len > 5 && strncasecmp(data, "etag:", 5) == 0) {
		size_t start = 5;
		while (start < len && (data[start] == ' ' || data[start] == '"'))
			start++;
		size_t end = len;
		while (end > start && (data[end - 1] == '\r' || data[end - 1] == '\n' ||
		                       data[end - 1] == '"' || data[end - 1] == ' '))
			end--;
		if (end - start < sizeof a->etag) {
			memcpy(a->etag, data + start, end - start);
			a->etag[end - start] = '\0';
		}
	}
	return len;
}

/* The text of <tag> in xml from `from` on (malloc'd, XML entities
 * unescaped), *next past its end; NULL when absent. */
static char *xml_text(const char *xml, const char *tag, const char **next)
{
	char open[64], close[64];
	snprintf(open, sizeof open, "<%s>", tag);
	snprintf(close, sizeof close, "</%s>", tag);
	const char *a = xml ? strstr(xml, open) : NULL, *b = a ? strstr(a, close) : NULL;
	if (!b)
		return NULL;
	a += strlen(open);
	if (next)
		*next = b + strlen(close);
	char *out = malloc((size_t)(b - a) + 1), *w = out;
	if (!out)
		return NULL;
	static const struct {
		const char *ent;
		char c;
	} ents[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
	for (const char *r = a; r < b;) {
		size_t i = 0;
		for (; i < sizeof ents / sizeof *ents; i++)
			if (strncmp(r, ents[i].ent, strlen(ents[i].ent)) == 0)
				break;
		if (i < sizeof ents / sizeof *ents) {
			*w++ = ents[i].c;
			r += strlen(ents[i].ent);
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
	return out;
}

/* text percent-encoded as S3's canonical form wants (slash kept where
 * keep_slash): malloc'd */
static char *encoded(const char *text, bool keep_slash)
{
	char *out = malloc(strlen(text) * 3 + 1), *w = out;
	if (!out)
		return NULL;
	for (const unsigned char *r = (const unsigned char *)text; *r; r++) {
		if ((*r >= 'A' && *r <= 'Z') || (*r >= 'a' && *r <= 'z') || (*r >= '0' && *r <= '9') ||
		    *r == '-' || *r == '_' || *r == '.' || *r == '~' || (keep_slash && *r == '/'))
			*w++ = (char)*r;
		else
			w += sprintf(w, "%%%02X", *r);
	}
	*w = '\0';
	return out;
}

/* The URL of key (NULL: the bucket) with query (already canonical:
 * sorted, encoded; NULL: none). */
static char *url_of(const cli_store *s, const char *key, const char *query)
{
	char *path = encoded(key ? key : "", true), *url = NULL;
	if (!path)
		return NULL;
	const char *ep = s->aws.endpoint, *host = strstr(ep, "://");
	int ok;
	if (s->aws.path_style || !host)
		ok = asprintf(&url, "%s/%s/%s%s%s", ep, s->bucket, path, query ? "?" : "",
		              query ? query : "");
	else
		ok = asprintf(&url, "%.*s%s.%s/%s%s%s", (int)(host + 3 - ep), ep, s->bucket, host + 3, path,
		              query ? "?" : "", query ? query : "");
	free(path);
	return ok < 0 ? NULL : url;
}

typedef struct request {
	const char *method; /* GET PUT POST DELETE HEAD */
	const char *key;    /* NULL: the bucket */
	const char *query;
	FILE *body; /* the bytes sent (PUT, POST) or NULL */
	curl_off_t body_len;
	const char *text;        /* or a text sent (POST), NULL */
	const char *copy_source; /* x-amz-copy-source, already encoded */
} request;

/* Runs rq; 0 with its HTTP status in *status (any), -1 on a transport
 * error (err written). */
static int perform(cli_store *s, const request *rq, answer *a, long *status, char *err, size_t n)
{
	CURL *c = curl_easy_init();
	char *url = url_of(s, rq->key, rq->query), sigv4[128], *token_hdr = NULL, *copy_hdr = NULL;
	struct curl_slist *h = NULL;
	if (!c || !url) {
		snprintf(err, n, "dbcare: out of memory for a request to %s", s->label);
		curl_easy_cleanup(c);
		free(url);
		return -1;
	}
	snprintf(sigv4, sizeof sigv4, "aws:amz:%s:s3", s->aws.region);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_AWS_SIGV4, sigv4);
	curl_easy_setopt(c, CURLOPT_USERNAME, s->aws.key_id);
	curl_easy_setopt(c, CURLOPT_PASSWORD, s->aws.secret);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, STALL_SECONDS);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, STALL_SECONDS);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, a);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, a);
	/* the payload is not hashed into the signature (S3 allows it): a
	 * part is streamed once; its digest is checked by reading it back */
	h = curl_slist_append(h, "x-amz-content-sha256: UNSIGNED-PAYLOAD");
	h = curl_slist_append(h, "Expect:");
	if (s->aws.token && asprintf(&token_hdr, "x-amz-security-token: %s", s->aws.token) >= 0)
		h = curl_slist_append(h, token_hdr);
	if (rq->copy_source && asprintf(&copy_hdr, "x-amz-copy-source: %s", rq->copy_source) >= 0)
		h = curl_slist_append(h, copy_hdr);
	if (strcmp(rq->method, "PUT") == 0) {
		curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
		if (rq->body) {
			curl_easy_setopt(c, CURLOPT_READDATA, rq->body);
			curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, rq->body_len);
		} else {
			curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)0);
		}
	} else if (strcmp(rq->method, "POST") == 0) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, rq->text ? rq->text : "");
	} else if (strcmp(rq->method, "HEAD") == 0) {
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	} else if (strcmp(rq->method, "GET") != 0) {
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, rq->method);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	CURLcode cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	curl_easy_cleanup(c);
	curl_slist_free_all(h);
	if (token_hdr) {
		memset(token_hdr, 0, strlen(token_hdr));
		free(token_hdr);
	}
	free(copy_hdr);
	free(url);
	if (cc != CURLE_OK || a->failed) {
		snprintf(err, n, "dbcare: %s of %s/%s failed: %s", rq->method, s->label,
		         rq->key ? rq->key + strlen(s->prefix) : "",
		         a->failed ? "writing what arrived failed" : curl_easy_strerror(cc));
		return -1;
	}
	return 0;
}

/* err from an answer that is no success: S3's code and message */
static int refused(cli_store *s, const request *rq, long status, answer *a, char *err, size_t n)
{
	char *code = xml_text(a->text.data, "Code", NULL),
	     *msg = xml_text(a->text.data, "Message", NULL);
	const char *key =
	    rq->key && strlen(rq->key) >= strlen(s->prefix) ? rq->key + strlen(s->prefix) : "";
	snprintf(err, n, "dbcare: %s of %s/%s refused by the store (HTTP %ld%s%s%s%s)%s", rq->method,
	         s->label, key, status, code ? ", " : "", code ? code : "", msg ? ": " : "",
	         msg ? msg : "",
	         status == 403   ? ": check the credentials, AWS_REGION and the bucket's policy"
	         : status == 404 ? ": check the bucket and the name"
	                         : "");
	free(code), free(msg);
	return -1;
}

/* rq run with its answer in memory (XML); 0 on 2xx with *body (malloc'd,
 * may be NULL when body is NULL) */
static int call(cli_store *s, const request *rq, char **body, char etag[128], char *err, size_t n)
{
	answer a = {.fd = -1};
	long status = 0;
	int rc = perform(s, rq, &a, &status, err, n);
	if (rc == 0 && (status < 200 || status >= 300))
		rc = refused(s, rq, status, &a, err, n);
	/* CopyObject and CompleteMultipartUpload may fail after the 200 */
	else if (rc == 0 && a.text.data && strstr(a.text.data, "<Error>"))
		rc = refused(s, rq, 500, &a, err, n);
	if (etag)
		snprintf(etag, 128, "%s", a.etag);
	if (rc == 0 && body) {
		*body = a.text.data;
		a.text.data = NULL;
	}
	free(a.text.data);
	return rc;
}

static int s3_put_part(cli_store *s, const char *key, const char *query, FILE *f, curl_off_t len,
                       char etag[128], char *err, size_t n)
{
	request rq = {.method = "PUT", .key = key, .query = query, .body = f, .body_len = len};
	return call(s, &rq, NULL, etag, err, n);
}

static int abort_upload(cli_store *s, const char *key, const char *id)
{
	char *q = NULL, *eid = encoded(id, false), ignored[256];
	if (eid && asprintf(&q, "uploadId=%s", eid) >= 0)
		call(s, &(request){.method = "DELETE", .key = key, .query = q}, NULL, NULL, ignored,
		     sizeof ignored);
	free(q), free(eid);
	return -1;
}

/* A large file in parts: the object exists only once completed. */
static int s3_multipart(cli_store *s, const char *key, FILE *f, curl_off_t size, char *err,
                        size_t n)
{
	char *body = NULL;
	if (call(s, &(request){.method = "POST", .key = key, .query = "uploads="}, &body, NULL, err,
	         n) != 0)
		return -1;
	char *id = xml_text(body, "UploadId", NULL), *eid = id ? encoded(id, false) : NULL;
	free(body);
	if (!eid) {
		snprintf(err, n, "dbcare: the store answered no UploadId for %s/%s", s->label, key);
		free(id);
		return -1;
	}
	dbc_heap_text done = {0};
	dbc_heap_text_append(&done, "<CompleteMultipartUpload>", 25);
	int rc = 0;
	for (int part = 1; rc == 0 && (curl_off_t)(part - 1) * PART_BYTES < size; part++) {
		curl_off_t off = (curl_off_t)(part - 1) * PART_BYTES;
		curl_off_t len = size - off < PART_BYTES ? size - off : PART_BYTES;
		char q[512], etag[128], line[256];
		snprintf(q, sizeof q, "partNumber=%d&uploadId=%s", part, eid);
		if (fseeko(f, (off_t)off, SEEK_SET) != 0) {
			snprintf(err, n, "dbcare: cannot read part %d to upload: %s", part, strerror(errno));
			rc = -1;
		} else if ((rc = s3_put_part(s, key, q, f, len, etag, err, n)) == 0) {
			int w =
			    snprintf(line, sizeof line,
			             "<Part><PartNumber>%d</PartNumber><ETag>\"%s\"</ETag></Part>", part, etag);
			dbc_heap_text_append(&done, line, (size_t)w);
		}
	}
	dbc_heap_text_append(&done, "</CompleteMultipartUpload>", 26);
	if (rc == 0 && done.oom) {
		snprintf(err, n, "dbcare: out of memory completing an upload");
		rc = -1;
	}
	if (rc == 0) {
		char q[512];
		snprintf(q, sizeof q, "uploadId=%s", eid);
		rc = call(s, &(request){.method = "POST", .key = key, .query = q, .text = done.data}, NULL,
		          NULL, err, n);
	}
	if (rc != 0)
		abort_upload(s, key, id);
	free(done.data), free(id), free(eid);
	return rc;
}

static int s3_put(cli_store *s, const char *key, const char *file, char *err, size_t n)
{
	FILE *f = fopen(file, "rbe");
	struct stat st;
	if (!f || fstat(fileno(f), &st) != 0) {
		snprintf(err, n, "dbcare: cannot read %s to upload it: %s", file, strerror(errno));
		if (f)
			fclose(f);
		return -1;
	}
	int rc = (curl_off_t)st.st_size > PART_BYTES
	             ? s3_multipart(s, key, f, (curl_off_t)st.st_size, err, n)
	             : s3_put_part(s, key, NULL, f, (curl_off_t)st.st_size, NULL, err, n);
	fclose(f);
	return rc;
}

static int s3_get(cli_store *s, const char *key, int fd, char sha256[65], char *err, size_t n)
{
	dbc_ctx ctx;
	dbc_ctx_init(&ctx, cli_text_host(), NULL);
	answer a = {.fd = fd, .ctx = &ctx, .sha = dbc_sha256_begin(&ctx)};
	request rq = {.method = "GET", .key = key};
	long status = 0;
	int rc = a.sha ? perform(s, &rq, &a, &status, err, n) : -1;
	if (!a.sha)
		snprintf(err, n, "dbcare: cannot start a SHA-256");
	if (rc == 0 && (status < 200 || status >= 300)) {
		/* the body was an error, not the object: say what it was */
		snprintf(err, n, "dbcare: GET of %s/%s refused by the store (HTTP %ld)%s", s->label,
		         key + strlen(s->prefix), status,
		         status == 404 ? ": no such object; dbcare backups ... lists the names" : "");
		rc = -1;
	}
	if (a.sha && rc == 0)
		rc = dbc_sha256_finish(&ctx, a.sha, sha256) == DBC_OK ? 0 : -1;
	else if (a.sha)
		dbc_sha256_abort(a.sha);
	free(a.text.data);
	dbc_ctx_finish(&ctx);
	return rc;
}

static int s3_copy(cli_store *s, const char *from, const char *to, char *err, size_t n)
{
	char *src = NULL, *efrom = encoded(from, true);
	if (!efrom || asprintf(&src, "/%s/%s", s->bucket, efrom) < 0) {
		free(efrom);
		snprintf(err, n, "dbcare: out of memory");
		return -1;
	}
	int rc =
	    call(s, &(request){.method = "PUT", .key = to, .copy_source = src}, NULL, NULL, err, n);
	free(src), free(efrom);
	return rc;
}

static int s3_del(cli_store *s, const char *key, char *err, size_t n)
{
	answer a = {.fd = -1};
	long status = 0;
	request rq = {.method = "DELETE", .key = key};
	int rc = perform(s, &rq, &a, &status, err, n);
	if (rc == 0 && status != 404 && (status < 200 || status >= 300))
		rc = refused(s, &rq, status, &a, err, n);
	free(a.text.data);
	return rc;
}

static int s3_list(cli_store *s, char ***names, size_t *count, size_t *cap, char *err, size_t n)
{
	char *token = NULL, *eprefix = encoded(s->prefix, false);
	int rc = eprefix ? 0 : -1;
	do {
		char *q = NULL, *etoken = token ? encoded(token, false) : NULL, *body = NULL;
		/* sorted by name: the canonical query the signature covers */
		if (rc != 0 ||
		    asprintf(&q, "%s%s%slist-type=2&prefix=%s", etoken ? "continuation-token=" : "",
		             etoken ? etoken : "", etoken ? "&" : "", eprefix) < 0) {
			free(etoken);
			snprintf(err, n, "dbcare: out of memory listing %s", s->label);
			rc = -1;
			break;
		}
		rc = call(s, &(request){.method = "GET", .query = q}, &body, NULL, err, n);
		free(q), free(etoken), free(token);
		token = NULL;
		const char *at = body;
		char *contents;
		while (rc == 0 && (contents = xml_text(at, "Contents", &at))) {
			char *key = xml_text(contents, "Key", NULL);
			if (key && !store_names_add(names, count, cap, key, strlen(key)))
				rc = -1;
			free(key), free(contents);
		}
		char *truncated = rc == 0 ? xml_text(body, "IsTruncated", NULL) : NULL;
		if (truncated && strcmp(truncated, "true") == 0)
			token = xml_text(body, "NextContinuationToken", NULL);
		free(truncated), free(body);
	} while (rc == 0 && token);
	free(token), free(eprefix);
	return rc;
}

const store_ops store_s3_ops = {
    .put = s3_put, .get = s3_get, .copy = s3_copy, .del = s3_del, .list = s3_list};
