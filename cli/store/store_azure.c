/*
 * store_azure.c — an Azure Blob container as a store (store_private.h's
 * operations over the request layer, store_azure_http.c). A file of at
 * most put_blob_max bytes (AZ_PUT_BLOB_MAX, Azure's largest Put Blob) is
 * published by one Put Blob, larger ones by Put Block of each block then
 * one Put Block List. Every PUT carries its bytes' Content-MD5, which
 * Azure checks before it keeps them, and the Content-MD5 Azure answers
 * (its own MD5 of what it holds) is compared with them: a block or blob
 * that came back other is not published. A Put Blob's blob exists only
 * once its whole body arrived, and its answer is the store's read-back:
 * the Content-MD5 Azure computed of the blob it keeps (azurite reads the
 * stored bytes again for it), nothing more to ask. Blocks are invisible
 * until the block list commits them, and the list is sent only after
 * every block came back right, with the whole file's MD5 as the blob's
 * Content-MD5; a Put Block List answers the MD5 of the list, not of the
 * blob, so the committed blob is read back (its properties: length and
 * MD5) before the upload counts. A blob that is not the file is deleted
 * again. A kill leaves uncommitted blocks (never listed, Azure drops them
 * within a week) or nothing, never a blob. A download is checked against
 * the blob's Content-MD5 as it arrives.
 */
#include "store_azure_http.h"
#include "cli/common/files.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A block's size: AZ_BLOCK, or more for a file that would need more than
 * Azure's 50,000 blocks (then the least whole MiB that fits). */
#define AZ_BLOCK      ((off_t)8 << 20)
#define AZ_MAX_BLOCKS 50000

static off_t block_size(off_t size)
{
	off_t least = (size + AZ_MAX_BLOCKS - 1) / AZ_MAX_BLOCKS;
	least = (least + (1 << 20) - 1) / (1 << 20) * (1 << 20);
	return least > AZ_BLOCK ? least : AZ_BLOCK;
}

static void answer_free(store_answer *a)
{
	free(a->text.data);
	a->text.data = NULL;
}

static int az_del(cli_store *s, const char *key, char *err, size_t n)
{
	store_answer a = {.fd = -1};
	az_request rq = {.method = "DELETE", .key = key};
	int rc = az_perform(s, &rq, &a, err, n);
	if (rc == 0 && a.status != 404 && (a.status < 200 || a.status >= 300))
		rc = store_refused(s, rq.method, key, &a, &az_remedies, err, n);
	answer_free(&a);
	return rc;
}

/* The MD5 of len bytes of fd from off, in base64 (as Azure's headers
 * carry it); whole, when not NULL, digests them too. 0, or -1 with err. */
static int region_md5(int fd, off_t off, off_t len, char b64[32], EVP_MD_CTX *whole, char *err,
                      size_t n)
{
	unsigned char md[16];
	if (store_region_md5(fd, off, len, md, whole, err, n) != 0)
		return -1;
	EVP_EncodeBlock((unsigned char *)b64, md, 16);
	return 0;
}

/* One PUT of len bytes of fd from off with their Content-MD5 md5, which
 * the store checks before it keeps them, and the Content-MD5 it answers
 * (its MD5 of what it holds) compared with it. A blob's answer must carry
 * one; a block's may not (azurite answers none): then the store's own
 * check of the Content-MD5 sent is what holds. 0; -1 with err; 1 with
 * err when the store kept the bytes but answered another MD5. */
static int put_checked(cli_store *s, az_request *rq, const char *what, int fd, off_t off, off_t len,
                       const char *md5, char *err, size_t n)
{
	store_part part = {.fd = fd, .off = off, .len = len};
	store_answer a = {.fd = -1};
	bool block = rq->params[0].name != NULL;
	rq->part = &part;
	rq->content_md5 = md5;
	int rc = az_call(s, rq, &a, err, n);
	if (rc == 0 && (a.content_md5[0] || !block))
		rc = store_sent_check(s, what, rq->key, a.content_md5, md5, false, err, n);
	answer_free(&a);
	return rc;
}

/* The blob a block list committed read back: its length and Content-MD5
 * must be the file's; else it is deleted again. 0, or -1 with err. */
static int read_back(cli_store *s, const char *key, off_t size, const char *md5, char *err,
                     size_t n)
{
	store_answer a = {.fd = -1};
	az_request rq = {.method = "HEAD", .key = key};
	int rc = az_call(s, &rq, &a, err, n);
	if (rc == 0 && (strtoll(a.length, NULL, 10) != (long long)size || strcmp(a.content_md5, md5))) {
		char how[224];
		snprintf(how, sizeof how, "committed as other bytes (%s bytes, MD5 %s; sent %lld, MD5 %s)",
		         a.length, a.content_md5[0] ? a.content_md5 : "none", (long long)size, md5);
		rc = store_published_wrong(s, key, how, err, n);
	}
	answer_free(&a);
	return rc;
}

/* fd (size bytes) published by one Put Blob: the Content-MD5 it answers,
 * which Azure computed of the blob it now holds, is the read-back (no
 * HEAD after it: it would answer the same property) */
static int publish_blob(cli_store *s, const char *key, int fd, off_t size, char *err, size_t n)
{
	char md5[32];
	if (region_md5(fd, 0, size, md5, NULL, err, n) != 0)
		return -1;
	az_request rq = {.method = "PUT", .key = key, .headers = {"x-ms-blob-type:BlockBlob"}};
	int rc = put_checked(s, &rq, "blob", fd, 0, size, md5, err, n);
	if (rc == 1) {
		/* a Put Blob publishes as it answers: what came back wrong goes */
		char ignored[256];
		az_del(s, key, ignored, sizeof ignored);
	}
	return rc == 0 ? 0 : -1;
}

/* The id of block i of the upload tagged tag: base64 of a fixed-length
 * text, as Azure wants every id of a blob the same length. */
static void block_id(const char *tag, int i, char out[64])
{
	char raw[40];
	int len = snprintf(raw, sizeof raw, "dbcare-%s-%06d", tag, i);
	EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)raw, len);
}

/* The blocks of fd sent and checked; their <BlockList> in list and the
 * whole file's MD5 in whole. 0, or -1 with err. */
static int send_blocks(cli_store *s, const char *key, int fd, off_t size, dbc_heap_text *list,
                       char whole[32], char *err, size_t n)
{
	char tag[17];
	unsigned char rnd[8], md[16];
	unsigned len = 0;
	int rc = 0;
	FILE *ur = fopen("/dev/urandom", "re");
	if (!ur || fread(rnd, 1, sizeof rnd, ur) != sizeof rnd)
		memcpy(rnd, &(long long){(long long)getpid() * 7919 + (long long)size}, sizeof rnd);
	if (ur)
		fclose(ur);
	for (int i = 0; i < 8; i++)
		sprintf(tag + 2 * i, "%02x", rnd[i]);
	EVP_MD_CTX *w = EVP_MD_CTX_new();
	if (!w || !EVP_DigestInit_ex(w, EVP_md5(), NULL)) {
		snprintf(err, n, "dbcare: out of memory for an upload");
		EVP_MD_CTX_free(w);
		return -1;
	}
	off_t chunk = block_size(size);
	static const char head[] = "<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList>";
	dbc_heap_text_append(list, head, sizeof head - 1);
	for (int i = 0; rc == 0 && (off_t)i * chunk < size; i++) {
		off_t off = (off_t)i * chunk, blen = size - off < chunk ? size - off : chunk;
		char id[64], md5[32], what[32], line[128];
		block_id(tag, i, id);
		snprintf(what, sizeof what, "block %d of", i + 1);
		az_request rq = {
		    .method = "PUT", .key = key, .params = {{"comp", "block"}, {"blockid", id}}};
		rc = region_md5(fd, off, blen, md5, w, err, n);
		if (rc == 0 && put_checked(s, &rq, what, fd, off, blen, md5, err, n) != 0)
			rc = -1;
		int l = snprintf(line, sizeof line, "<Latest>%s</Latest>", id);
		dbc_heap_text_append(list, line, (size_t)l);
	}
	dbc_heap_text_append(list, "</BlockList>", 12);
	if (rc == 0 && EVP_DigestFinal_ex(w, md, &len))
		EVP_EncodeBlock((unsigned char *)whole, md, 16);
	if (rc == 0 && list->oom) {
		snprintf(err, n, "dbcare: out of memory completing an upload");
		rc = -1;
	}
	EVP_MD_CTX_free(w);
	return rc;
}

/* fd (size bytes) published by Put Block of each block, then Put Block
 * List with the whole file's MD5 as the blob's */
static int publish_blocks(cli_store *s, const char *key, int fd, off_t size, char *err, size_t n)
{
	dbc_heap_text list = {0};
	char whole[32] = "", list_md5[32], blob_md5[64];
	int rc = send_blocks(s, key, fd, size, &list, whole, err, n);
	if (rc == 0) {
		unsigned char md[16];
		unsigned len = 0;
		EVP_Digest(list.data, strlen(list.data), md, &len, EVP_md5(), NULL);
		EVP_EncodeBlock((unsigned char *)list_md5, md, 16);
		snprintf(blob_md5, sizeof blob_md5, "x-ms-blob-content-md5:%s", whole);
		az_request rq = {.method = "PUT",
		                 .key = key,
		                 .params = {{"comp", "blocklist"}},
		                 .text = list.data,
		                 .content_md5 = list_md5,
		                 .headers = {blob_md5}};
		store_answer a = {.fd = -1};
		rc = az_call(s, &rq, &a, err, n);
		answer_free(&a);
	}
	if (rc == 0)
		rc = read_back(s, key, size, whole, err, n);
	free(list.data);
	return rc;
}

static int publish_by_size(cli_store *s, const char *key, int fd, off_t size, char *err, size_t n)
{
	return size <= s->azure->put_blob_max ? publish_blob(s, key, fd, size, err, n)
	                                      : publish_blocks(s, key, fd, size, err, n);
}

static int az_publish(cli_store *s, const char *key, const char *file, char *err, size_t n)
{
	return store_publish_file(s, key, file, publish_by_size, err, n);
}

/* The blob's bytes into fd, digested; when the blob has a Content-MD5
 * (dbcare's uploads always set one) the bytes must match it. */
static int az_get(cli_store *s, const char *key, int fd, char sha256[65], char *err, size_t n)
{
	dbc_ctx ctx;
	dbc_ctx_init(&ctx, cli_text_host(), NULL);
	store_answer a = {
	    .fd = fd, .ctx = &ctx, .sha = dbc_sha256_begin(&ctx), .md5 = EVP_MD_CTX_new()};
	az_request rq = {.method = "GET", .key = key};
	int rc = a.sha && a.md5 && EVP_DigestInit_ex(a.md5, EVP_md5(), NULL) ? 0 : -1;
	if (rc != 0)
		snprintf(err, n, "dbcare: cannot start a digest");
	if (rc == 0)
		rc = az_perform(s, &rq, &a, err, n);
	if (rc == 0 && (a.status < 200 || a.status >= 300))
		rc = store_get_refused(s, key, &a, &az_remedies, err, n);
	unsigned char md[16];
	char got[32];
	unsigned len = 0;
	if (rc == 0 && a.content_md5[0] && EVP_DigestFinal_ex(a.md5, md, &len)) {
		EVP_EncodeBlock((unsigned char *)got, md, 16);
		if (strcmp(got, a.content_md5) != 0) {
			snprintf(err, n,
			         "dbcare: the bytes downloaded of %s/%s are not the blob's (MD5 %s, the "
			         "store's %s): not used; download it again",
			         s->label, store_name_of(s, key), got, a.content_md5);
			rc = -1;
		}
	}
	if (a.sha && rc == 0)
		rc = dbc_sha256_finish(&ctx, a.sha, sha256) == DBC_OK ? 0 : -1;
	else if (a.sha)
		dbc_sha256_abort(a.sha);
	EVP_MD_CTX_free(a.md5);
	answer_free(&a);
	dbc_ctx_finish(&ctx);
	return rc;
}

/* A listing follows at most LIST_PAGES pages of LIST_PAGE_KEYS names: an
 * endpoint that answers a NextMarker forever ends in an error. */
#define LIST_PAGE_KEYS "5000"
#define LIST_PAGES     1000

static int az_list(cli_store *s, char ***names, size_t *count, size_t *cap, char *err, size_t n)
{
	char *marker = NULL;
	int rc = 0, pages = 0;
	do {
		if (++pages > LIST_PAGES) {
			snprintf(err, n,
			         "dbcare: the listing of %s goes on past %d pages: stopped; check the "
			         "endpoint, or keep fewer blobs under the prefix",
			         s->label, LIST_PAGES);
			rc = -1;
			break;
		}
		az_request rq = {.method = "GET",
		                 .params = {{"restype", "container"},
		                            {"comp", "list"},
		                            {"prefix", s->prefix},
		                            {"maxresults", LIST_PAGE_KEYS},
		                            {marker ? "marker" : NULL, marker}}};
		store_answer a = {.fd = -1};
		rc = az_call(s, &rq, &a, err, n);
		free(marker);
		marker = NULL;
		dbc_heap_text_append(&a.text, "", 0); /* data never NULL */
		const char *at = a.text.data;
		char *blob;
		while (rc == 0 && (blob = store_xml_text(at, "Blob", &at))) {
			char *name = store_xml_text(blob, "Name", NULL);
			if (name && !store_names_add(names, count, cap, name, strlen(name)))
				rc = -1;
			free(name), free(blob);
		}
		if (rc == 0) {
			marker = store_xml_text(a.text.data, "NextMarker", NULL);
			if (marker && !*marker) {
				free(marker);
				marker = NULL;
			}
		}
		answer_free(&a);
	} while (rc == 0 && marker);
	free(marker);
	return rc;
}

const store_ops store_azure_ops = {
    .publish = az_publish, .get = az_get, .del = az_del, .list = az_list};
