/*
 * dump_record.c — a dump's own record, after its archive (dump_record.h).
 * Invariant: a file with a record ends with exactly one footer, whose
 * length names the JSON right before it; a file whose last bytes are not
 * a footer has no record (an archive cannot end so: pg_dump's last block
 * is its data's end marker).
 */
#include "dump_record.h"

#include "cli/common/tool.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FOOTER_TAG "DBCARE-DUMP-RECORD "
#define RECORD_MAX (64LL << 20) /* a record is per-table counts: far below */

static char *errno_err(const char *what, const char *path)
{
	return cli_fmt_err(what, path, strerror(errno));
}

static int write_all(int fd, const char *buf, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, buf, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		buf += w;
		n -= (size_t)w;
	}
	return 0;
}

static char *record_json(const cli_dump_record *r)
{
	json_t *content = r->content ? json_loads(r->content, 0, NULL) : json_null();
	json_t *doc =
	    json_pack("{s:i, s:s?, s:s?, s:s?, s:o?}", "dbcare_dump_record", 1, "database", r->database,
	              "identity", r->identity, "fingerprint", r->fingerprint, "content", content);
	char *text = doc ? json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(doc);
	return text;
}

int cli_dump_record_append(const char *path, const cli_dump_record *r, char **err)
{
	char *json = record_json(r);
	if (!json) {
		*err = cli_fmt_err("out of memory", NULL, NULL);
		return -1;
	}
	size_t n = strlen(json);
	char footer[64];
	/* n < 2^48: always 12 digits (RECORD_MAX is far below) */
	snprintf(footer, sizeof footer, FOOTER_TAG "%012llx\n",
	         (unsigned long long)n & 0xffffffffffffULL);
	int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	int rc = fd >= 0 && write_all(fd, "\n", 1) == 0 && write_all(fd, json, n) == 0 &&
	                 write_all(fd, "\n", 1) == 0 && write_all(fd, footer, DBC_DUMP_FOOTER_LEN) == 0
	             ? 0
	             : -1;
	if (rc != 0)
		*err = errno_err("cannot write the record of the dump ", path);
	if (fd >= 0 && close(fd) != 0 && rc == 0) {
		*err = errno_err("cannot write the record of the dump ", path);
		rc = -1;
	}
	free(json);
	return rc;
}

static char *dup_string(json_t *doc, const char *key)
{
	const char *s = json_string_value(json_object_get(doc, key));
	return s ? strdup(s) : NULL;
}

/* The JSON of n bytes at offset of fd parsed into r. */
static int parse_at(int fd, off_t offset, size_t n, cli_dump_record *r)
{
	char *buf = malloc(n + 1);
	if (!buf || pread(fd, buf, n, offset) != (ssize_t)n) {
		free(buf);
		return -1;
	}
	buf[n] = '\0';
	json_t *doc = json_loads(buf, 0, NULL);
	free(buf);
	if (!json_is_object(doc) ||
	    json_integer_value(json_object_get(doc, "dbcare_dump_record")) != 1) {
		json_decref(doc);
		return -1;
	}
	json_t *content = json_object_get(doc, "content");
	*r = (cli_dump_record){
	    .database = dup_string(doc, "database"),
	    .identity = dup_string(doc, "identity"),
	    .fingerprint = dup_string(doc, "fingerprint"),
	    .content =
	        json_is_object(content) ? json_dumps(content, JSON_COMPACT | JSON_SORT_KEYS) : NULL,
	};
	json_decref(doc);
	return 0;
}

/* How far from its end a file is searched for what is left of a record
 * whose footer is gone: the footer's tag, or the record's own key, which
 * its JSON (keys sorted) writes after the content, a few hundred bytes
 * before the footer. */
#define TAIL_SEARCHED 4096

/* Whether the last bytes of the file hold the footer's tag or the
 * record's key: a record was there, cut or changed. A dump pg_dump made
 * alone ends with its archive's data, which holds neither. */
static bool record_remains(int fd, off_t size)
{
	char tail[TAIL_SEARCHED];
	off_t from = size > TAIL_SEARCHED ? size - TAIL_SEARCHED : 0;
	ssize_t n = pread(fd, tail, (size_t)(size - from), from);
	return n > 0 && (memmem(tail, (size_t)n, FOOTER_TAG, strlen(FOOTER_TAG)) ||
	                 memmem(tail, (size_t)n, "\"dbcare_dump_record\"", 20));
}

int cli_dump_record_read(const char *path, cli_dump_record *r, char **err)
{
	*r = (cli_dump_record){0};
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		*err = errno_err("cannot read the dump ", path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	char footer[DBC_DUMP_FOOTER_LEN + 1] = {0};
	int rc = 0;
	if (st.st_size >= DBC_DUMP_FOOTER_LEN &&
	    pread(fd, footer, DBC_DUMP_FOOTER_LEN, st.st_size - DBC_DUMP_FOOTER_LEN) ==
	        DBC_DUMP_FOOTER_LEN &&
	    memcmp(footer, FOOTER_TAG, strlen(FOOTER_TAG)) == 0) {
		char *end = NULL;
		long long n = strtoll(footer + strlen(FOOTER_TAG), &end, 16);
		off_t at = st.st_size - DBC_DUMP_FOOTER_LEN - 1 - n;
		rc = end == footer + DBC_DUMP_FOOTER_LEN - 1 && *end == '\n' && n > 0 && n <= RECORD_MAX &&
		             at > 0 && parse_at(fd, at, (size_t)n, r) == 0
		         ? 1
		         : -1;
	} else if (record_remains(fd, st.st_size)) {
		rc = -1;
	}
	if (rc < 0)
		*err = cli_fmt_err("the record at the end of the dump ", path,
		                   "it is damaged (the file was changed after the backup)");
	close(fd);
	return rc;
}

void cli_dump_record_free(cli_dump_record *r)
{
	free(r->database);
	free(r->identity);
	free(r->fingerprint);
	free(r->content);
	*r = (cli_dump_record){0};
}

bool cli_dump_is_archive(const char *path)
{
	char magic[5];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool is = fd >= 0 && pread(fd, magic, sizeof magic, 0) == (ssize_t)sizeof magic &&
	          memcmp(magic, "PGDMP", sizeof magic) == 0;
	if (fd >= 0)
		close(fd);
	return is;
}
