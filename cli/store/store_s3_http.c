/*
 * store_s3_http.c — one S3 request over libcurl (store_s3_http.h): its URL
 * (path- or virtual-host style), Signature V4 by libcurl
 * (CURLOPT_AWS_SIGV4: no signing here), the session token's header, the
 * answer's body into a file and a SHA-256 or into memory, its ETag, and
 * an error naming the request and S3's code and message, never a header.
 * A store that stops answering ends a request after STALL_SECONDS without
 * a byte, so a stopped store fails the upload rather than hangs it.
 */
#include "store_s3_http.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define STALL_SECONDS 30L
#define BODY_CAP      (1 << 20) /* an answer in XML kept in memory, at most */

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
	} else if (!a->sha) {
		a->overflow = true;
	}
	return len;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *arg)
{
	answer *a = arg;
	size_t len = size * nmemb;
	static const char sse[] = "x-amz-server-side-encryption:",
	                  sse_c[] = "x-amz-server-side-encryption-customer-algorithm:";
	if (len > sizeof sse_c - 1 && strncasecmp(data, sse_c, sizeof sse_c - 1) == 0)
		a->etag_not_md5 = true;
	if (len > sizeof sse - 1 && strncasecmp(data, sse, sizeof sse - 1) == 0) {
		const char *v = data + sizeof sse - 1, *end = data + len;
		while (v < end && *v == ' ')
			v++;
		if (end - v >= 7 && strncasecmp(v, "aws:kms", 7) == 0)
			a->etag_not_md5 = true;
	}
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
char *s3_xml_text(const char *xml, const char *tag, const char **next)
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
char *s3_encoded(const char *text, bool keep_slash)
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
	char *path = s3_encoded(key ? key : "", true), *url = NULL;
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

/* A part read from its file as curl sends it (CURLOPT_READFUNCTION). */
static size_t on_read(char *buf, size_t size, size_t nmemb, void *arg)
{
	s3_part *p = arg;
	size_t room = size * nmemb, left = (size_t)(p->len - p->sent);
	ssize_t got = pread(p->fd, buf, left < room ? left : room, p->off + p->sent);
	if (got < 0)
		return CURL_READFUNC_ABORT;
	p->sent += got;
	return (size_t)got;
}

/* Runs rq; 0 with its HTTP status in *status (any), -1 on a transport
 * error (err written). */
int s3_perform(cli_store *s, const request *rq, answer *a, long *status, char *err, size_t n)
{
	CURL *c = curl_easy_init();
	char *url = url_of(s, rq->key, rq->query), sigv4[128], *token_hdr = NULL;
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
	if (rq->header)
		h = curl_slist_append(h, rq->header);
	if (strcmp(rq->method, "PUT") == 0) {
		curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
		if (rq->part) {
			curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
			curl_easy_setopt(c, CURLOPT_READDATA, rq->part);
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
int s3_refused(cli_store *s, const request *rq, long status, answer *a, char *err, size_t n)
{
	char *code = s3_xml_text(a->text.data, "Code", NULL),
	     *msg = s3_xml_text(a->text.data, "Message", NULL);
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
int s3_call(cli_store *s, const request *rq, char **body, s3_etag *etag, char *err, size_t n)
{
	answer a = {.fd = -1};
	long status = 0;
	int rc = s3_perform(s, rq, &a, &status, err, n);
	if (rc == 0 && a.overflow) {
		snprintf(err, n,
		         "dbcare: %s of %s answered more than %d bytes: not read; check the endpoint "
		         "(AWS_ENDPOINT_URL)",
		         rq->method, s->label, BODY_CAP);
		rc = -1;
	} else if (rc == 0 && (status < 200 || status >= 300))
		rc = s3_refused(s, rq, status, &a, err, n);
	/* CopyObject and CompleteMultipartUpload may fail after the 200 */
	else if (rc == 0 && a.text.data && strstr(a.text.data, "<Error>"))
		rc = s3_refused(s, rq, 500, &a, err, n);
	if (etag) {
		snprintf(etag->text, sizeof etag->text, "%s", a.etag);
		etag->not_md5 = a.etag_not_md5;
	}
	if (rc == 0 && body) {
		*body = a.text.data;
		a.text.data = NULL;
	}
	free(a.text.data);
	return rc;
}
