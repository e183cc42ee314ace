/*
 * store_remote.c — what the S3 and Azure stores share (store_remote.h):
 * the answer taken as it arrives, curl's common options, the errors of a
 * failed or refused request, and the publish checks, each once.
 */
#include "store_remote.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

size_t store_part_read(char *buf, size_t size, size_t nmemb, void *arg)
{
	store_part *p = arg;
	size_t room = size * nmemb, left = (size_t)(p->len - p->sent);
	ssize_t got = pread(p->fd, buf, left < room ? left : room, p->off + p->sent);
	if (got < 0)
		return CURL_READFUNC_ABORT;
	p->sent += got;
	return (size_t)got;
}

static bool success(long status)
{
	return status >= 200 && status < 300;
}

/* The body: into the file and its digests while the status is a success
 * (or not known yet), else into memory up to the cap. */
static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	store_answer *a = arg;
	size_t len = size * nmemb;
	if (a->fd >= 0 && (a->status == 0 || success(a->status))) {
		if (a->sha && dbc_sha256_update(a->ctx, a->sha, data, len) != DBC_OK)
			return a->failed = true, 0;
		if (a->md5 && !EVP_DigestUpdate(a->md5, data, len))
			return a->failed = true, 0;
		for (size_t off = 0; off < len;) {
			ssize_t w = write(a->fd, data + off, len - off);
			if (w < 0)
				return a->failed = true, 0;
			off += (size_t)w;
		}
	} else if (a->text.len + len <= STORE_BODY_CAP) {
		dbc_heap_text_append(&a->text, data, len);
	} else {
		a->overflow = true;
	}
	return len;
}

/* The value of header name (with its colon) in data, trimmed of blanks
 * and quotes, into out; false when data is another header. */
static bool header_value(const char *data, size_t len, const char *name, char *out, size_t cap)
{
	size_t nl = strlen(name);
	if (len <= nl || strncasecmp(data, name, nl) != 0)
		return false;
	size_t start = nl, end = len;
	while (start < len && (data[start] == ' ' || data[start] == '"'))
		start++;
	while (end > start && (data[end - 1] == '\r' || data[end - 1] == '\n' || data[end - 1] == ' ' ||
	                       data[end - 1] == '"'))
		end--;
	if (end - start < cap) {
		memcpy(out, data + start, end - start);
		out[end - start] = '\0';
	}
	return true;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *arg)
{
	store_answer *a = arg;
	size_t len = size * nmemb;
	char sse[64] = "";
	/* a new status line (after a 100 Continue, say) starts the headers anew */
	if (len > 5 && strncmp(data, "HTTP/", 5) == 0) {
		a->etag[0] = a->content_md5[0] = a->length[0] = '\0';
		a->etag_not_md5 = false;
		const char *sp = memchr(data, ' ', len);
		a->status = sp ? strtol(sp + 1, NULL, 10) : 0;
	}
	header_value(data, len, "etag:", a->etag, sizeof a->etag);
	header_value(data, len, "content-md5:", a->content_md5, sizeof a->content_md5);
	header_value(data, len, "content-length:", a->length, sizeof a->length);
	/* under SSE-KMS or SSE-C S3's ETag is no MD5 of the bytes */
	if (header_value(data, len, "x-amz-server-side-encryption-customer-algorithm:", sse,
	                 sizeof sse) ||
	    (header_value(data, len, "x-amz-server-side-encryption:", sse, sizeof sse) &&
	     strncasecmp(sse, "aws:kms", 7) == 0))
		a->etag_not_md5 = true;
	return len;
}

/* Whether a's answer asks for another try with tries (the ones made) left;
 * then the pause is taken and the answer dropped. */
static bool try_again(store_answer *a, int *tries)
{
	bool busy = a->status == 500 || a->status == 502 || a->status == 503 || a->status == 504;
	if (!busy || a->overflow || *tries >= STORE_RETRIES)
		return false;
	long ms = (long)STORE_RETRY_BASE_MS << *tries;
	uint32_t draw = 0;
	if (getrandom(&draw, sizeof draw, 0) != (ssize_t)sizeof draw)
		draw = (uint32_t)getpid() * 2654435761u;
	ms = ms / 2 + (long)(draw % (uint32_t)(ms / 2 + 1));
	nanosleep(&(struct timespec){.tv_sec = ms / 1000, .tv_nsec = ms % 1000 * 1000000L}, NULL);
	++*tries;
	free(a->text.data);
	a->text = (dbc_heap_text){0};
	a->status = 0;
	a->overflow = false;
	a->etag[0] = a->content_md5[0] = a->length[0] = '\0';
	a->etag_not_md5 = false;
	return true;
}

int store_perform_retried(store_try_fn try_once, cli_store *s, const void *rq, store_part *part,
                          store_answer *a, char *err, size_t n)
{
	int rc, tries = 0;
	do {
		if (part)
			part->sent = 0;
		rc = try_once(s, rq, a, err, n);
	} while (rc == 0 && try_again(a, &tries));
	return rc;
}

void store_curl_answer(CURL *c, store_answer *a)
{
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, STORE_STALL_SECONDS);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, STORE_STALL_SECONDS);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, a);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, a);
}

/* The text of <tag> in xml from `from` on (malloc'd, XML entities
 * unescaped), *next past its end; NULL when absent. */
char *store_xml_text(const char *xml, const char *tag, const char **next)
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

/* text percent-encoded as S3's canonical form and Azure's URLs want
 * (slash kept where keep_slash): malloc'd */
char *store_encoded(const char *text, bool keep_slash)
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

const char *store_name_of(const cli_store *s, const char *key)
{
	size_t plen = strlen(s->prefix);
	return key && strncmp(key, s->prefix, plen) == 0 ? key + plen : key ? key : "";
}

int store_failed(const cli_store *s, const char *method, const char *key, CURLcode cc,
                 const store_answer *a, char *err, size_t n)
{
	snprintf(err, n, "dbcare: %s of %s/%s failed: %s", method, s->label, store_name_of(s, key),
	         a->failed ? "writing what arrived failed" : curl_easy_strerror(cc));
	return -1;
}

int store_refused(const cli_store *s, const char *method, const char *key, const store_answer *a,
                  const store_remedies *r, char *err, size_t n)
{
	char *code = store_xml_text(a->text.data, "Code", NULL),
	     *msg = store_xml_text(a->text.data, "Message", NULL);
	/* a message's first line: the rest (a request id, a time, an
	 * authentication detail) is not for the user */
	if (msg)
		msg[strcspn(msg, "\r\n")] = '\0';
	const char *remedy = a->status == 403 ? r->denied : a->status == 404 ? r->missing : NULL;
	snprintf(err, n, "dbcare: %s of %s/%s refused by the store (HTTP %ld%s%s%s%s)%s%s", method,
	         s->label, store_name_of(s, key), a->status, code ? ", " : "", code ? code : "",
	         msg ? ": " : "", msg ? msg : "", remedy ? ": " : "", remedy ? remedy : "");
	free(code), free(msg);
	return -1;
}

int store_judged(const cli_store *s, const char *method, const char *key, const store_answer *a,
                 const store_remedies *r, char *err, size_t n)
{
	if (a->overflow) {
		snprintf(err, n,
		         "dbcare: %s of %s answered more than %d bytes: not read; check the endpoint%s",
		         method, s->label, STORE_BODY_CAP, r->endpoint);
		return -1;
	}
	return success(a->status) ? 0 : store_refused(s, method, key, a, r, err, n);
}

int store_get_refused(const cli_store *s, const char *key, const store_answer *a,
                      const store_remedies *r, char *err, size_t n)
{
	if (a->status != 404)
		return store_refused(s, "GET", key, a, r, err, n);
	snprintf(err, n,
	         "dbcare: GET of %s/%s refused by the store (HTTP 404): no such object; dbcare "
	         "backups ... lists the names",
	         s->label, store_name_of(s, key));
	return -1;
}

int store_sent_check(const cli_store *s, const char *what, const char *key, const char *got,
                     const char *sent, bool hex, char *err, size_t n)
{
	if ((hex ? strcasecmp(got, sent) : strcmp(got, sent)) == 0)
		return 0;
	snprintf(err, n,
	         "dbcare: the store holds other bytes than sent for %s %s/%s (its MD5 %s, sent %s): "
	         "not published",
	         what, s->label, store_name_of(s, key), got[0] ? got : "none", sent);
	return 1;
}

int store_published_wrong(cli_store *s, const char *key, const char *how, char *err, size_t n)
{
	char ignored[256];
	snprintf(err, n, "dbcare: %s/%s was %s: removed, not published; check the store", s->label,
	         store_name_of(s, key), how);
	s->ops->del(s, key, ignored, sizeof ignored);
	return -1;
}

int store_publish_file(cli_store *s, const char *key, const char *file,
                       int (*by_size)(cli_store *s, const char *key, int fd, off_t size, char *err,
                                      size_t n),
                       char *err, size_t n)
{
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	struct stat st;
	err[0] = '\0';
	if (fd < 0 || fstat(fd, &st) != 0) {
		snprintf(err, n, "dbcare: cannot read %s to upload it: %s", file, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	int rc = by_size(s, key, fd, st.st_size, err, n);
	close(fd);
	return rc;
}
