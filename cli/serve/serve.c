/*
 * serve.c — `dbcare serve`: checks its options (a bad --listen or token
 * file is a usage error, exit 2, before anything is opened), binds the
 * listening socket itself (so a port in use is a clear error, exit 1),
 * starts the fleet's refreshes and the HTTP server, and on SIGTERM, SIGINT
 * or SIGHUP stops both: requests stop waiting, the server closes, running
 * statements are interrupted, every connection is closed.
 */
#include "serve.h"

#include "base/dbc.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <netdb.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static int stop_pipe[2] = {-1, -1};

static void on_stop(int sig)
{
	unsigned char b = (unsigned char)sig;
	ssize_t w = write(stop_pipe[1], &b, 1);
	(void)w;
}

/* HOST:PORT, [V6]:PORT or :PORT (every address); false when unreadable. */
static bool split_listen(const char *value, char **host, char **port)
{
	const char *colon = strrchr(value, ':');
	if (!colon || !colon[1] || strspn(colon + 1, "0123456789") != strlen(colon + 1) ||
	    atol(colon + 1) > 65535 || strlen(colon + 1) > 5)
		return false;
	const char *h = value;
	size_t hlen = (size_t)(colon - value);
	if (hlen >= 2 && h[0] == '[' && h[hlen - 1] == ']') {
		h++;
		hlen -= 2;
	}
	*host = hlen ? strndup(h, hlen) : NULL;
	*port = strdup(colon + 1);
	return true;
}

/* The bound, listening socket; -1 after saying why (exit code in *rc). */
static int bind_listen(const char *value, int *rc, char *shown, size_t nshown)
{
	char *host = NULL, *port = NULL;
	if (!split_listen(value, &host, &port)) {
		cli_errorf("--listen needs HOST:PORT (127.0.0.1:9187, [::1]:9187, :9187), not \"%s\"",
		           value);
		*rc = CLI_USAGE;
		return -1;
	}
	struct addrinfo hints = {.ai_family = AF_UNSPEC,
	                         .ai_socktype = SOCK_STREAM,
	                         .ai_flags = AI_PASSIVE},
	                *res = NULL;
	int gai = getaddrinfo(host, port, &hints, &res);
	int fd = -1, err = 0;
	for (struct addrinfo *a = gai == 0 ? res : NULL; a && fd < 0; a = a->ai_next) {
		fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
		int on = 1;
		if (fd >= 0 && (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0 ||
		                bind(fd, a->ai_addr, a->ai_addrlen) != 0 || listen(fd, 128) != 0)) {
			err = errno;
			close(fd);
			fd = -1;
		}
	}
	if (gai != 0) {
		cli_errorf("--listen \"%s\": %s", value, gai_strerror(gai));
		*rc = CLI_USAGE;
	} else if (fd < 0) {
		cli_errorf("cannot listen on %s: %s", value, strerror(err));
		*rc = CLI_ERROR;
	} else {
		/* the address as bound: port 0 asks the system for a free one */
		struct sockaddr_storage ss;
		socklen_t sl = sizeof ss;
		char hbuf[NI_MAXHOST], pbuf[NI_MAXSERV];
		if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0 &&
		    getnameinfo((struct sockaddr *)&ss, sl, hbuf, sizeof hbuf, pbuf, sizeof pbuf,
		                NI_NUMERICHOST | NI_NUMERICSERV) == 0)
			snprintf(shown, nshown, strchr(hbuf, ':') ? "[%s]:%s" : "%s:%s", hbuf, pbuf);
	}
	if (res)
		freeaddrinfo(res);
	free(host);
	free(port);
	return fd;
}

/* The token of --token-file, white space around it dropped (malloc'd);
 * NULL after saying why. */
static char *read_token(const char *path)
{
	/* O_NONBLOCK: a FIFO at the name is refused below, not waited on */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	FILE *f = fd >= 0 ? fdopen(fd, "r") : NULL;
	if (!f) {
		if (fd >= 0)
			close(fd);
		cli_errorf("cannot read the token file \"%s\": %s", path, strerror(errno));
		return NULL;
	}
	/* as the backup key file: a token every user can read, or one another
	 * user can replace, is no secret of this server's */
	struct stat sb;
	if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
		cli_errorf("the token file \"%s\" is not a regular file", path);
		fclose(f);
		return NULL;
	}
	/* its owner may read and replace it, whatever its mode: this server's
	 * user, or root (a mounted secret), and no one else */
	if (sb.st_uid != geteuid() && sb.st_uid != 0) {
		cli_errorf("the token file \"%s\" belongs to another user (uid %ld), who can read and "
		           "replace it (chown it to the user serve runs as)",
		           path, (long)sb.st_uid);
		fclose(f);
		return NULL;
	}
	if (sb.st_mode & (S_IROTH | S_IWOTH | S_IWGRP)) {
		cli_errorf("the token file \"%s\" can be %s by other users (chmod 600 it)", path,
		           sb.st_mode & S_IROTH ? "read" : "written");
		fclose(f);
		return NULL;
	}
	char buf[4096];
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	bool more = !feof(f) && fgetc(f) != EOF;
	fclose(f);
	buf[n] = '\0';
	char *s = buf + strspn(buf, " \t\r\n");
	size_t len = strlen(s);
	while (len && strchr(" \t\r\n", s[len - 1]))
		s[--len] = '\0';
	if (more || len < 16 || strpbrk(s, " \t\r\n")) {
		cli_errorf("the token file \"%s\" must hold one token of 16 to 4000 characters "
		           "without spaces",
		           path);
		return NULL;
	}
	return strdup(s);
}

/* A member's label as its path gives it: the file's name, or the
 * PostgreSQL database's name (decide_labels makes them unique). */
static char *fallback_label(const cli_target *t)
{
	return cli_target_name(t);
}

/* A member as decide_labels sorts it: by label as the metrics and the
 * JSON show it, and by the SQLite file it is (its device and inode, read
 * once: the same path twice, a hard link and its file, a symlink and its
 * target with --follow-symlinks). Sorted rather than compared pair by
 * pair: a fleet of 100,000 files starts in n log n. Ties keep the --db
 * order. */
typedef struct member_key {
	const serve_db *d;
	char *shown; /* its label as shown (shown_label) */
	int index;
	bool file; /* a SQLite file that stat could read */
	dev_t dev;
	ino_t ino;
} member_key;

static int by_index(const member_key *x, const member_key *y)
{
	return (x->index > y->index) - (x->index < y->index);
}

/* A label as the exposition and the JSON documents show it (malloc'd): a
 * byte that starts no well-formed UTF-8 sequence as '?' (the module's
 * repair). Two labels are one when their shown forms are: a file named
 * "a?.db" beside one whose name holds a byte that is not UTF-8 there
 * would otherwise give its series and its report that member's label. */
static char *shown_label(const char *label)
{
	char *out = malloc(strlen(label) + 1);
	if (out)
		dbc_utf8_repair(out, label, strlen(label));
	return out;
}

static int by_label(const void *a, const void *b)
{
	const member_key *x = a, *y = b;
	int c = strcmp(x->shown, y->shown);
	return c ? c : by_index(x, y);
}

static int by_file(const void *a, const void *b)
{
	const member_key *x = a, *y = b;
	if (x->file != y->file)
		return x->file ? -1 : 1;
	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return by_index(x, y);
}

static bool same_file(const member_key *x, const member_key *y)
{
	return x->file && y->file && x->dev == y->dev && x->ino == y->ino;
}

/* One database given twice (a, b in --db order): the usage error. */
static int served_twice(const serve_db *a, const serve_db *b)
{
	char *ta = cli_text_escaped(a->target.label), *tb = cli_text_escaped(b->target.label),
	     *tl = cli_text_escaped(a->fallback_label);
	cli_errorf("%s and %s are one database served twice (label \"%s\"): give it once",
	           ta ? ta : "?", tb ? tb : "?", tl ? tl : "?");
	free(ta);
	free(tb);
	free(tl);
	return CLI_USAGE;
}

/* Two databases whose labels are one as shown (a, b in --db order): the
 * usage error that names both. */
static int one_label(const serve_db *a, const serve_db *b, const char *shown)
{
	char *ta = cli_text_escaped(a->target.label), *tb = cli_text_escaped(b->target.label),
	     *tl = cli_text_escaped(shown);
	cli_errorf("%s and %s are two databases shown under one label \"%s\" (a byte of a name "
	           "that is not UTF-8 is shown as ?): rename one",
	           ta ? ta : "?", tb ? tb : "?", tl ? tl : "?");
	free(ta);
	free(tb);
	free(tl);
	return CLI_USAGE;
}

/* Two members that are still alike once labelled (one label as shown,
 * or one file): one database twice, or two under one label; a usage
 * error that names both. */
static int refuse_twice_served(member_key *keys, int n)
{
	qsort(keys, (size_t)n, sizeof(member_key), by_label);
	for (int k = 1; k < n; k++)
		if (strcmp(keys[k - 1].shown, keys[k].shown) == 0)
			return same_file(&keys[k - 1], &keys[k]) ||
			               strcmp(keys[k - 1].d->fallback_label, keys[k].d->fallback_label) == 0
			           ? served_twice(keys[k - 1].d, keys[k].d)
			           : one_label(keys[k - 1].d, keys[k].d, keys[k].shown);
	qsort(keys, (size_t)n, sizeof(member_key), by_file);
	for (int k = 1; k < n; k++)
		if (same_file(&keys[k - 1], &keys[k]))
			return served_twice(keys[k - 1].d, keys[k].d);
	return CLI_OK;
}

/* Every member whose label (as shown) another shares takes its path (URL)
 * as given: all the shared names are found before any is replaced, so the
 * labels do not depend on the --db order. keys: sorted by label; their
 * shown labels follow. */
static int label_shared_by_path(serve_fleet *f, member_key *keys)
{
	bool *shared = calloc((size_t)f->n + 1, sizeof(bool));
	if (!shared)
		return CLI_ERROR;
	for (int k = 1; k < f->n; k++)
		if (strcmp(keys[k - 1].shown, keys[k].shown) == 0)
			shared[keys[k - 1].index] = shared[keys[k].index] = true;
	int rc = CLI_OK;
	for (int i = 0; i < f->n && rc == CLI_OK; i++) {
		const cli_target *t = &f->dbs[i].target;
		char *path = shared[i] ? strdup(cli_target_file(t) ? cli_target_file(t) : t->label) : NULL;
		if (shared[i] && !path)
			rc = CLI_ERROR;
		else if (path) {
			free(f->dbs[i].fallback_label);
			f->dbs[i].fallback_label = path;
		}
	}
	for (int k = 0; k < f->n && rc == CLI_OK; k++)
		if (shared[keys[k].index]) {
			free(keys[k].shown);
			if (!(keys[k].shown = shown_label(keys[k].d->fallback_label)))
				rc = CLI_ERROR;
		}
	free(shared);
	return rc;
}

/* Members whose paths are still one label as shown (their names differ
 * only in bytes that are not UTF-8, shown as '?') and that are two
 * files: each takes its file's inode number beside its path, which tells
 * them apart for as long as the files exist, so that a tenant's file name
 * never keeps the fleet from being served. keys: sorted by label. */
static int label_apart_by_inode(serve_fleet *f, member_key *keys, int n)
{
	for (int k = 0; k < n; k++) {
		bool shared = (k > 0 && strcmp(keys[k - 1].shown, keys[k].shown) == 0) ||
		              (k + 1 < n && strcmp(keys[k + 1].shown, keys[k].shown) == 0);
		if (!shared || !keys[k].file)
			continue;
		char *label = NULL;
		serve_db *d = &f->dbs[keys[k].index];
		if (asprintf(&label, "%s (inode %llu)", d->fallback_label,
		             (unsigned long long)keys[k].ino) < 0)
			return CLI_ERROR;
		free(d->fallback_label);
		d->fallback_label = label;
	}
	for (int k = 0; k < n; k++) {
		free(keys[k].shown);
		if (!(keys[k].shown = shown_label(keys[k].d->fallback_label)))
			return CLI_ERROR;
	}
	qsort(keys, (size_t)n, sizeof(member_key), by_label);
	return CLI_OK;
}

/* Every member's label, decided by its path, never by the database: a
 * label stored in a file (health.database_label) is only the report's
 * display name, so no tenant takes another's label. The file's name (the
 * PostgreSQL database's name); members sharing a name take their paths,
 * and two files whose paths are still one as shown their inodes too; two
 * members that are still alike are one database twice. */
static int decide_labels(serve_fleet *f)
{
	member_key *keys = calloc((size_t)f->n + 1, sizeof(member_key));
	if (!keys)
		return CLI_ERROR;
	for (int i = 0; i < f->n; i++) {
		const char *file = cli_target_file(&f->dbs[i].target);
		struct stat st;
		keys[i] = (member_key){.d = &f->dbs[i], .index = i};
		if (!(keys[i].shown = shown_label(f->dbs[i].fallback_label))) {
			for (int k = 0; k < i; k++)
				free(keys[k].shown);
			free(keys);
			return CLI_ERROR;
		}
		if (file && stat(file, &st) == 0) {
			keys[i].file = true;
			keys[i].dev = st.st_dev;
			keys[i].ino = st.st_ino;
		}
	}
	qsort(keys, (size_t)f->n, sizeof(member_key), by_label);
	int rc = label_shared_by_path(f, keys);
	if (rc == CLI_OK) {
		qsort(keys, (size_t)f->n, sizeof(member_key), by_label);
		rc = label_apart_by_inode(f, keys, f->n);
	}
	if (rc == CLI_OK)
		rc = refuse_twice_served(keys, f->n);
	for (int k = 0; k < f->n; k++)
		free(keys[k].shown);
	free(keys);
	return rc;
}

static int setup_fleet(serve_fleet *f, cli_opts *o)
{
	f->dbs = calloc((size_t)o->ndbs, sizeof(serve_db));
	if (!f->dbs)
		return CLI_ERROR;
	bool files = false; /* a member is a file: the SQLite module is loaded once, before */
	for (int i = 0; i < o->ndbs; i++) {
		char *err = NULL;
		if (cli_target_parse(o->dbs[i], &f->dbs[i].target, &err) != 0) {
			fprintf(stderr, "%s\n", err);
			free(err);
			return CLI_USAGE;
		}
		f->dbs[i].fallback_label = fallback_label(&f->dbs[i].target);
		f->dbs[i].fleet = f;
		files |= cli_target_file(&f->dbs[i].target) != NULL;
		f->n++;
	}
	int rc = decide_labels(f);
	if (rc != CLI_OK)
		return rc;
	f->o = o;
	f->budget_s = o->scrape_timeout_s;
	f->interval_s = o->min_interval_s;
	f->report_interval_s = o->report_every_s;
	f->jobs = o->jobs_given ? o->jobs : 4;
	f->keep_max = o->keep_given ? o->keep_connections : 100;
	if (files) {
		cli_connect_opts co = {.module = o->module};
		cli_preload_module(&co);
	}
	return CLI_OK;
}

/* Every answer larger than 128 KB (a fleet's /metrics: 1.6 MB for 200
 * files) is a mapping of its own, given back when it is freed. glibc
 * raises its threshold when the first such block is freed, after which
 * the answers are carved out of the arenas of whichever connection threads
 * ran, and what they keep depends on the scheduling: serve at rest swung
 * between 20 and 62 MB from one load to the next without a leak. With it
 * fixed, serve at rest stays within a few MB (test/bench/serve_load.sh). */
static void keep_large_blocks_mapped(void)
{
#ifdef M_MMAP_THRESHOLD
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
#endif
}

int cmd_serve(cli_db *unused, cli_opts *o)
{
	(void)unused;
	/* a stop signal ends serving with 0, one that comes while the fleet
	 * is set up too (the pipe keeps it until serving begins); handled (not
	 * SIG_DFL), so the PostgreSQL driver's per-statement cancel handler is
	 * never armed in a thread */
	if (pipe2(stop_pipe, O_CLOEXEC) != 0)
		return CLI_ERROR;
	struct sigaction sa = {.sa_handler = on_stop};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	keep_large_blocks_mapped();
	if (o->allow_writes != (o->token_file != NULL)) {
		cli_errorf("--allow-writes and --token-file go together: the write endpoints need a "
		           "bearer token");
		return CLI_USAGE;
	}
	if (o->scrape_timeout_s <= 0) {
		cli_errorf("--scrape-timeout must be above 0");
		return CLI_USAGE;
	}
	char *token = NULL;
	if (o->token_file && !(token = read_token(o->token_file)))
		return CLI_USAGE;
	int rc = CLI_OK;
	char shown[NI_MAXHOST + NI_MAXSERV + 4] = "";
	int fd = bind_listen(o->listen ? o->listen : "127.0.0.1:9187", &rc, shown, sizeof shown);
	if (fd < 0) {
		free(token);
		return rc;
	}
	/* threads each open their own connections: SQLite must lock its own
	 * state (main set it single-threaded; nothing is open yet); progress
	 * lines are for a terminal, never for a server's log */
	cli_drivers_threaded();
	cli_progress_sink = NULL;
	serve_fleet f = {0};
	if ((rc = setup_fleet(&f, o)) != CLI_OK) {
		close(fd);
		free(token);
		return rc;
	}

	char *err = NULL;
	serve_http *h = NULL;
	if (serve_fleet_start(&f) != 0 ||
	    !(h = serve_http_start(&f, fd, token, o->allow_writes, o->allow_hosts, &err))) {
		fprintf(stderr, "%s\n", err ? err : "dbcare: cannot start serving");
		free(err);
		return CLI_ERROR;
	}
	fprintf(stderr, "dbcare: serving %d database(s) on http://%s/ (%s)\n", f.n, shown,
	        o->allow_writes ? "writes allowed with the token" : "read-only");
	unsigned char sig = 0;
	while (read(stop_pipe[0], &sig, 1) < 0 && errno == EINTR)
		;
	fprintf(stderr, "dbcare: stopping (signal %d)\n", sig);
	serve_fleet_begin_stop(&f);
	serve_http_stop(h);
	serve_fleet_stop(&f);
	close(fd);
	for (int i = 0; i < f.n; i++) {
		serve_result_free(f.dbs[i].good);
		free(f.dbs[i].error);
		free(f.dbs[i].fallback_label);
		free(f.dbs[i].target.spec);
		free(f.dbs[i].target.label);
	}
	free(f.dbs);
	free(token);
	fprintf(stderr, "dbcare: stopped\n");
	return CLI_OK;
}
