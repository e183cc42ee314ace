/*
 * serve_http.c — the HTTP side of `dbcare serve` on libmicrohttpd: a thread
 * per connection (a request may wait up to --scrape-timeout for a refresh),
 * the routes, the content negotiation (OpenMetrics, health+json by Accept),
 * the bearer token of the write routes, and one log line per request on
 * stderr: time (RFC 3339, UTC), method, path (both escaped), status,
 * milliseconds. The limits below keep /livez and /readyz answered whatever
 * other clients hold open.
 */
#include "serve.h"

#include "base/clock.h"

#include <errno.h>
#include <math.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

/* The limits that keep a probe answered whatever other clients do: each
 * address holds at most PER_ADDRESS open connections (one its client has
 * closed does not count, even before the server has noticed: a scraper
 * making one request at a time is never refused). A new connection from
 * an address at its limit evicts the address's connection that has waited
 * longest without a complete request head (idle or slow, its request line
 * sent or not: it holds no request; waiting_since), so a client sending
 * its head at once (a probe sharing its address with everyone local) is
 * never locked out by slow ones; when
 * every one of them is in a request (or FRESH_MS young), PROBE_RESERVE more
 * are admitted and serve only /livez and /readyz; above those, a new one
 * cuts the address's connection whose made answer has waited longest for
 * its client (oldest_sending), so clients that never read keep no probe
 * out. A connection must send each request head,
 * and the body it announces, within HEAD_DEADLINE_S of connecting or of its
 * last response (a slow or idle one is cut then; one whose body is still
 * arriving may be evicted as one without a head). CONNECTIONS_MAX holds
 * for all addresses together the way PER_ADDRESS does for one: at it, a
 * new connection evicts the oldest one of any address without a head, or
 * takes one of PROBE_RESERVE more. At most WAITING_MAX requests that may
 * wait on the databases (the page, the reports, the metrics, the writes)
 * run at once, the rest of CONNECTIONS_MAX stays for /livez and /readyz (a
 * request above it is answered 503 at once); a request leaves them once its
 * answer is made, so clients that never read theirs hold none. An answer
 * must be sent within SEND_DEADLINE_S (a client reading slowly, or not at
 * all, is cut then, with what its answer holds). MHD's own
 * MHD_OPTION_PER_IP_CONNECTION_LIMIT refuses a new connection at the limit
 * instead: slow clients then lock a probe of their address out. */
#define CONNECTIONS_MAX 1000
#define PER_ADDRESS     64
#define PROBE_RESERVE   8
#define HEAD_DEADLINE_S 5.0
#define WAITING_MAX     128
#define SEND_DEADLINE_S 20.0
/* A connection without a head younger than this is cut for a new one only
 * when neither the reserve nor a stuck answer gives a place: a probe is
 * such a one between its connect and its head (ms). */
#define FRESH_MS 500.0
/* MHD's own limit: above ours, so that admit decides, with room for the
 * connections cut but not closed yet */
#define CONNECTION_SLOTS (CONNECTIONS_MAX + PROBE_RESERVE + PER_ADDRESS)

/* A connection's head deadline: watched from its start to its close. */
typedef struct watched {
	struct watched *prev, *next;
	int fd;
	struct sockaddr_storage peer; /* the client's address */
	double since_ms;              /* connected, or its last response sent */
	bool in_request;              /* its head arrived: the request's own deadline applies */
	bool line_read;               /* its request line was read (the head follows) */
	double line_ms;               /* when its request line was read */
	bool in_body;                 /* its head was read, its body not yet: the deadline still
	                               * applies, and it may be evicted */
	bool cut;                     /* shut down (deadline or eviction): no longer counted */
	bool sending;                 /* its answer is queued since sending_ms */
	double sending_ms;
	bool reserve; /* admitted above PER_ADDRESS: serves the probes only */
} watched;

struct serve_http {
	struct MHD_Daemon *daemon;
	serve_fleet *f;
	bool writes;
	int port;                /* the listening port */
	bool loopback;           /* listening on a loopback address */
	const char *allow_hosts; /* --allow-host (serve_host_allowed) */
	unsigned char token_hash[SHA256_DIGEST_LENGTH];
	pthread_mutex_t mu; /* the watched list and stopping */
	watched *conns;
	bool stopping;
	pthread_t watchdog;
	int waiting; /* requests that may wait on the databases (atomic) */
};

/* A request's own state, from its first call to its end. */
typedef struct request {
	double started_ms; /* dbc_monotonic_ms() at its first call */
	bool counted;      /* it holds one of WAITING_MAX */
	bool close;        /* the response closes the connection */
	bool body;         /* a body follows the head: in a request once it has arrived */
} request;

/* The connection's watch entry (its socket context). */
static watched *watch_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *i =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return i ? i->socket_context : NULL;
}

/* Marks the connection in a request or not; true when it was admitted in
 * the probes' reserve. */
static bool set_in_request(serve_http *h, struct MHD_Connection *c, bool on)
{
	pthread_mutex_lock(&h->mu);
	watched *w = watch_of(c);
	if (w) {
		w->in_request = on;
		w->line_read = on;
		w->in_body = false;
		w->sending = false;
		w->since_ms = dbc_monotonic_ms();
	}
	bool reserve = w && w->reserve;
	pthread_mutex_unlock(&h->mu);
	return reserve;
}

static void copy_address(struct sockaddr_storage *to, const struct sockaddr *from)
{
	size_t n = from->sa_family == AF_INET6  ? sizeof(struct sockaddr_in6)
	           : from->sa_family == AF_INET ? sizeof(struct sockaddr_in)
	                                        : 0;
	memcpy(to, from, n);
}

/* The same host (the port aside); false for a family other than IP. */
static bool same_host(const struct sockaddr_storage *a, const struct sockaddr *b)
{
	if (a->ss_family != b->sa_family)
		return false;
	if (b->sa_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	if (b->sa_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		              &((const struct sockaddr_in6 *)b)->sin6_addr, sizeof(struct in6_addr)) == 0;
	return false;
}

/* The client has closed its end (its FIN or reset arrived) though the
 * connection's thread has not closed ours yet. A peek consumes nothing. */
static bool peer_gone(int fd)
{
	char b;
	ssize_t n = recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
	return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

/* A complete request head waits in the socket, not read yet: the
 * connection's thread is about to start its request. A peek consumes
 * nothing. */
static bool head_pending(int fd)
{
	char b[4096];
	ssize_t n = recv(fd, b, sizeof b, MSG_PEEK | MSG_DONTWAIT);
	return n > 0 && memmem(b, (size_t)n, "\r\n\r\n", 4) != NULL;
}

/* The connections of an address that count against its limit (h->mu
 * held): those not cut; the ones whose client has closed are left out
 * once the count reaches the limit (checked only then): they wait for
 * their threads to notice, and counting them refused a client making one
 * request at a time. */
static int open_from(serve_http *h, const struct sockaddr *addr)
{
	int held = 0, open = 0;
	for (watched *w = h->conns; w; w = w->next)
		held += same_host(&w->peer, addr) && !w->cut;
	if (held < PER_ADDRESS)
		return held;
	for (watched *w = h->conns; w; w = w->next)
		open += same_host(&w->peer, addr) && !w->cut && !peer_gone(w->fd);
	return open;
}

/* The connections not cut, of every address (h->mu held). */
static int open_total(serve_http *h)
{
	int n = 0;
	for (watched *w = h->conns; w; w = w->next)
		n += !w->cut;
	return n;
}

/* When a connection without a complete request head last showed it was
 * on its way to one: its request line read (line_ms), else its start or
 * its last response (since_ms; also for one whose body is arriving).
 * Eviction takes the one that has waited longest since. A probe's whole
 * head arrives at once and is read moments after it connects, so every
 * other connection of its address would have to come after it for the
 * probe to be the one evicted; a slow client that sends its line and then
 * dribbles the rest of its head holds no request, and is evicted like an
 * idle one (kept until its deadline, 72 of them refused every probe from
 * their address). */
static double waiting_since(const watched *w)
{
	return w->line_read && !w->in_body ? w->line_ms : w->since_ms;
}

/* The address's (addr NULL: any address's) connection without a complete
 * request head that has waited longest (waiting_since), or NULL (h->mu
 * held). */
static watched *oldest_without_head(serve_http *h, const struct sockaddr *addr)
{
	watched *oldest = NULL;
	for (watched *w = h->conns; w; w = w->next)
		if ((!addr || same_host(&w->peer, addr)) && !w->cut && !w->in_request &&
		    (!oldest || waiting_since(w) < waiting_since(oldest)) && !head_pending(w->fd))
			oldest = w;
	return oldest;
}

/* The address's (addr NULL: any address's) connection whose answer has
 * been queued longest (sending_ms), or NULL (h->mu held). Its answer is
 * made: it waits on nothing but a client that has not taken it. */
static watched *oldest_sending(serve_http *h, const struct sockaddr *addr)
{
	watched *oldest = NULL;
	for (watched *w = h->conns; w; w = w->next)
		if ((!addr || same_host(&w->peer, addr)) && !w->cut && w->sending &&
		    (!oldest || w->sending_ms < oldest->sending_ms))
			oldest = w;
	return oldest;
}

/* Cuts w for a new connection (h->mu held): its thread ends, MHD closes
 * it; true when there was one. */
static bool cut_for_new(watched *w)
{
	if (!w)
		return false;
	shutdown(w->fd, SHUT_RDWR);
	w->cut = true;
	return true;
}

/* The accept policy (see PER_ADDRESS): below the limit, admitted; at it,
 * the oldest connection without a head is cut for the new one, else the
 * probes' reserve admits it, else the connection whose answer has waited
 * longest for its client is cut for it. A connection without a head that
 * is FRESH_MS young is cut last: clients that never read their answers
 * (an 18 MB /metrics each) hold the limit and, coming back, the reserve,
 * and each new one cut the probe that had connected and not yet sent its
 * head (issue 64). */
static enum MHD_Result admit(void *cls, const struct sockaddr *addr, socklen_t len)
{
	serve_http *h = cls;
	(void)len;
	pthread_mutex_lock(&h->mu);
	int open = open_from(h, addr);
	bool yes = open < PER_ADDRESS;
	if (!yes) {
		watched *idle = oldest_without_head(h, addr);
		bool fresh = idle && dbc_monotonic_ms() - waiting_since(idle) < FRESH_MS;
		yes = (!fresh && cut_for_new(idle)) || open < PER_ADDRESS + PROBE_RESERVE ||
		      cut_for_new(oldest_sending(h, addr)) || cut_for_new(idle);
	}
	/* the same in all, for clients of many addresses (an IPv6 network has
	 * more than CONNECTIONS_MAX): the oldest connection of any address
	 * without a head is cut, else the probes' reserve admits it */
	int total = yes ? open_total(h) : 0;
	if (total >= CONNECTIONS_MAX)
		yes = cut_for_new(oldest_without_head(h, NULL)) ||
		      total < CONNECTIONS_MAX + PROBE_RESERVE || cut_for_new(oldest_sending(h, NULL));
	pthread_mutex_unlock(&h->mu);
	return yes ? MHD_YES : MHD_NO;
}

/* MHD_OPTION_NOTIFY_CONNECTION: the list of watched connections. CLOSED
 * comes before the socket is closed, so the watchdog never shuts down a
 * descriptor that was reused. */
static void on_connection(void *cls, struct MHD_Connection *c, void **ctx,
                          enum MHD_ConnectionNotificationCode what)
{
	serve_http *h = cls;
	pthread_mutex_lock(&h->mu);
	if (what == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *i =
		    MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
		const union MHD_ConnectionInfo *a =
		    MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		watched *w = i ? calloc(1, sizeof *w) : NULL;
		if (w) {
			*w = (watched){.next = h->conns, .fd = i->connect_fd, .since_ms = dbc_monotonic_ms()};
			if (a && a->client_addr) {
				copy_address(&w->peer, a->client_addr);
				w->reserve =
				    open_from(h, a->client_addr) >= PER_ADDRESS || open_total(h) >= CONNECTIONS_MAX;
			}
			if (h->conns)
				h->conns->prev = w;
			h->conns = w;
		}
		*ctx = w;
	} else if (*ctx) {
		watched *w = *ctx;
		if (w->prev)
			w->prev->next = w->next;
		else
			h->conns = w->next;
		if (w->next)
			w->next->prev = w->prev;
		free(w);
		*ctx = NULL;
	}
	pthread_mutex_unlock(&h->mu);
}

/* Cuts every connection whose request head is later than HEAD_DEADLINE_S
 * or whose answer is not sent within SEND_DEADLINE_S: shutdown() ends its
 * thread's read or write, MHD closes it. */
static void *watchdog(void *arg)
{
	serve_http *h = arg;
	pthread_mutex_lock(&h->mu);
	while (!h->stopping) {
		double now = dbc_monotonic_ms();
		for (watched *w = h->conns; w; w = w->next)
			if (!w->cut && ((!w->in_request && now - w->since_ms > HEAD_DEADLINE_S * 1000) ||
			                (w->sending && now - w->sending_ms > SEND_DEADLINE_S * 1000))) {
				shutdown(w->fd, SHUT_RDWR);
				w->cut = true; /* once */
			}
		pthread_mutex_unlock(&h->mu);
		nanosleep(&(struct timespec){0, 200 * 1000 * 1000}, NULL);
		pthread_mutex_lock(&h->mu);
	}
	pthread_mutex_unlock(&h->mu);
	return NULL;
}

static const char index_text[] = "dbcare serve\n"
                                 "GET  /             the page of dbcare report --html\n"
                                 "GET  /livez        the process is up\n"
                                 "GET  /readyz       503 while migrations are pending, the schema "
                                 "drifted or the report is critical or unread; "
                                 "?replicas=1: also while a replica lags\n"
                                 "GET  /health       the health report (JSON; health+json by "
                                 "Accept)\n"
                                 "GET  /schema       the schema snapshot\n"
                                 "GET  /statistics   size, tables, indexes, growth\n"
                                 "GET  /migrations   status and history\n"
                                 "GET  /metrics      Prometheus text (OpenMetrics by Accept)\n"
                                 "POST /migrate      with --allow-writes and the bearer token\n"
                                 "POST /verify       with --allow-writes and the bearer token\n"
                                 "GET  /live         the page's live panels (HTML)\n"
                                 "POST /cancel       ?pid=N: cancel a session's statement, with "
                                 "--allow-writes and the bearer token\n"
                                 "POST /terminate    ?pid=N: end a session, likewise\n"
                                 "?database=LABEL    one database of a fleet\n";

/* A request's own text as the log shows it: a byte that could end the
 * line or split a field (a control character, a space, a byte above
 * ASCII) and '%' itself percent-encoded, so a client writes one field of
 * one line, never a line of its own (malloc'd; NULL when out of memory). */
static char *log_escaped(const char *s)
{
	char *out = malloc(strlen(s) * 3 + 1), *p = out;
	if (!out)
		return NULL;
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		if (*c <= 0x20 || *c >= 0x7f || *c == '%')
			p += sprintf(p, "%%%02X", *c);
		else
			*p++ = (char)*c;
	}
	*p = '\0';
	return out;
}

/* The request log's rate: at most LOG_LINES_PER_S request lines in a
 * second of the clock, so clients pipelining requests by the million
 * cannot fill the disk the log is on; the lines left out are counted and
 * said on the first line of a later second. */
#define LOG_LINES_PER_S 200

static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;
static time_t log_second;
static long log_lines, log_left_out;

/* Whether a request line may be written in second now; *left_out: the
 * lines left out before it, to be said first (0: none). */
static bool log_admit(time_t now, long *left_out)
{
	pthread_mutex_lock(&log_mu);
	*left_out = 0;
	if (now != log_second) {
		log_second = now;
		log_lines = 0;
		*left_out = log_left_out;
		log_left_out = 0;
	}
	bool yes = log_lines < LOG_LINES_PER_S;
	if (yes)
		log_lines++;
	else
		log_left_out++;
	pthread_mutex_unlock(&log_mu);
	return yes;
}

static void log_request(const char *method, const char *url, int status, const request *rq)
{
	struct timespec now;
	struct tm tm;
	char when[32];
	long left_out;
	clock_gettime(CLOCK_REALTIME, &now);
	if (!log_admit(now.tv_sec, &left_out))
		return;
	gmtime_r(&now.tv_sec, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
	if (left_out)
		fprintf(stderr, "dbcare: %ld request lines left out of this log (more than %d a second)\n",
		        left_out, LOG_LINES_PER_S);
	char *m = log_escaped(method), *u = log_escaped(url);
	/* one fprintf: stdio's lock keeps the line whole among threads */
	fprintf(stderr, "%s.%03ldZ %s %s %d %.0fms\n", when, now.tv_nsec / 1000000, m ? m : "-",
	        u ? u : "-", status, dbc_monotonic_ms() - rq->started_ms);
	free(m);
	free(u);
}

static bool accepts(struct MHD_Connection *c, const char *type)
{
	const char *a = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
	return a && strstr(a, type) != NULL;
}

/* The bearer token of the request against --token-file's, in constant
 * time: both hashed first, so neither length nor content leaks. */
static int authorize(const serve_http *h, struct MHD_Connection *c)
{
	const char *a = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	if (!a || strncasecmp(a, "Bearer ", 7) != 0)
		return 401;
	unsigned char got[SHA256_DIGEST_LENGTH];
	SHA256((const unsigned char *)a + 7, strlen(a + 7), got);
	return CRYPTO_memcmp(got, h->token_hash, sizeof got) == 0 ? 200 : 403;
}

/* The routes that change something: POST only, behind the token. */
static bool is_write_route(const char *url)
{
	return strcmp(url, "/migrate") == 0 || strcmp(url, "/verify") == 0 ||
	       strcmp(url, "/cancel") == 0 || strcmp(url, "/terminate") == 0;
}

static enum MHD_Result respond(struct MHD_Connection *c, int status, const char *type, char *body,
                               const char *method, const char *url, const request *rq)
{
	if (!body) {
		body = strdup("dbcare: out of memory\n");
		status = 500;
		type = "text/plain; charset=utf-8";
	}
	struct MHD_Response *r =
	    MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	/* the pages (sessions' query text on /live) are never framed by
	 * another site */
	if (strncmp(type, "text/html", 9) == 0) {
		MHD_add_response_header(r, "X-Frame-Options", "DENY");
		MHD_add_response_header(r, "Content-Security-Policy", "frame-ancestors 'none'");
	}
	if (rq->close)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
	if (status == 401)
		MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"dbcare\"");
	if (status == 405)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW,
		                        is_write_route(url) ? "POST" : "GET, HEAD");
	enum MHD_Result rc = MHD_queue_response(c, (unsigned)status, r);
	MHD_destroy_response(r);
	log_request(method, url, status, rq);
	return rc;
}

static char *text(const char *fmt, const char *arg)
{
	char *s = NULL;
	if (asprintf(&s, fmt, arg) < 0)
		return NULL;
	return s;
}

/* ?replicas=1 (any value but 0): /readyz lists each primary's replicas */
static bool wants_replicas(struct MHD_Connection *c)
{
	const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "replicas");
	return v && strcmp(v, "0") != 0;
}

/* The GET endpoints over a snapshot of the fleet. */
static int get_endpoint(serve_http *h, struct MHD_Connection *c, const char *url, int only,
                        char **body, const char **type)
{
	serve_fleet *f = h->f;
	serve_view *views = calloc((size_t)f->n, sizeof(serve_view));
	if (!views)
		return 500;
	serve_fleet_scrape(f, only, views);
	serve_snapshot s = {f, views, only};
	int status;
	if (strcmp(url, "/metrics") == 0)
		status = serve_render_metrics(&s, accepts(c, "application/openmetrics-text"), body, type);
	else if (strcmp(url, "/readyz") == 0)
		status = serve_render_readyz(&s, wants_replicas(c), body, type);
	else if (strcmp(url, "/health") == 0 && accepts(c, "application/health+json"))
		status = serve_render_health_json(&s, body, type);
	else
		status = serve_render_json(&s, url + 1, body, type);
	serve_release(f, views);
	free(views);
	return status;
}

/* POST /migrate, /verify: each database (or the one asked for) in turn. */
static int post_endpoint(serve_http *h, const char *url, int only, char **body)
{
	serve_fleet *f = h->f;
	char *all = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&all, &len);
	if (!m)
		return 500;
	int status = 200;
	bool list = only < 0 && f->n > 1;
	if (list)
		fputc('[', m);
	for (int i = 0, k = 0; i < f->n; i++) {
		if (only >= 0 && i != only)
			continue;
		char *one = NULL;
		int st = serve_write(f, i, url + 1, &one);
		if (st != 200)
			status = st;
		fprintf(m, "%s%s", k++ ? "," : "", one ? one : "null");
		free(one);
	}
	if (list)
		fputc(']', m);
	fputc('\n', m);
	if (fclose(m) != 0) {
		free(all);
		return 500;
	}
	*body = all;
	return status;
}

/* POST /cancel, /terminate: one session of one database (?database=, or
 * the fleet's only one) and ?pid=. */
static int signal_endpoint(serve_http *h, struct MHD_Connection *c, const char *url, int only,
                           char **body)
{
	if (only < 0 && h->f->n != 1) {
		*body = strdup("dbcare: name the session's database: ?database=LABEL&pid=N\n");
		return 400;
	}
	const char *pid = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "pid");
	return serve_signal(h->f, only >= 0 ? only : 0, strcmp(url, "/terminate") == 0, pid, body);
}

/* A body follows the request's head (a Content-Length other than 0, or a
 * chunked one): until it has arrived, the connection holds no request yet:
 * the head's deadline still applies and a new connection from its address
 * may evict it, so a body dribbled a byte at a time cannot hold a
 * connection (and lock a probe sharing the address out) for as long as
 * the client likes. Marked so (h->mu taken); whether one follows. */
static bool body_follows(serve_http *h, struct MHD_Connection *c)
{
	const char *len =
	    MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	const char *te =
	    MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);
	bool body = (len && strspn(len, "0") != strlen(len)) || te;
	pthread_mutex_lock(&h->mu);
	watched *w = body ? watch_of(c) : NULL;
	if (w)
		w->in_body = true;
	pthread_mutex_unlock(&h->mu);
	return body;
}

/* The request's answer, queued: it leaves the requests that may wait on
 * the databases (made, it waits on nothing but its client), and its
 * sending deadline starts. */
static enum MHD_Result answer(serve_http *h, struct MHD_Connection *c, int status, const char *type,
                              char *body, const char *method, const char *url, request *rq)
{
	enum MHD_Result rc = respond(c, status, type, body, method, url, rq);
	if (rq->counted) {
		__atomic_sub_fetch(&h->waiting, 1, __ATOMIC_ACQ_REL);
		rq->counted = false;
	}
	pthread_mutex_lock(&h->mu);
	watched *w = watch_of(c);
	if (w) {
		w->sending = true;
		w->sending_ms = dbc_monotonic_ms();
	}
	pthread_mutex_unlock(&h->mu);
	return rc;
}

/* MHD_OPTION_URI_LOG_CALLBACK: a request line was read. MHD has taken the
 * bytes from the socket, so head_pending no longer sees them, and the
 * handler has not started yet: without this mark a probe whose head is
 * being parsed looked idle since it connected (or since its last
 * response, on a kept-alive connection) and could be the one evicted;
 * with it, it has waited only since now (waiting_since). Returns no
 * request state (handle makes it). */
static void *request_line_read(void *cls, const char *uri, struct MHD_Connection *c)
{
	serve_http *h = cls;
	(void)uri;
	pthread_mutex_lock(&h->mu);
	watched *w = watch_of(c);
	if (w) {
		w->line_read = true;
		w->line_ms = dbc_monotonic_ms();
	}
	pthread_mutex_unlock(&h->mu);
	return NULL;
}

static int hex_digit(char ch)
{
	return ch >= '0' && ch <= '9'   ? ch - '0'
	       : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
	       : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
	                                : -1;
}

/* MHD_OPTION_UNESCAPE_CALLBACK: %HH decoded in place, as MHD would, but
 * for %00, which stays as written: a decoded NUL would end the path for
 * every reader after this one, so that /livez%00x were served as /livez
 * and logged cut short (as MHD_http_unescape, which decodes it, does). */
static size_t unescape(void *cls, struct MHD_Connection *c, char *s)
{
	(void)cls, (void)c;
	char *out = s;
	for (const char *in = s; *in; out++) {
		int hi = in[0] == '%' ? hex_digit(in[1]) : -1, lo = hi >= 0 ? hex_digit(in[2]) : -1;
		if (lo >= 0 && (hi | lo)) {
			*out = (char)(hi * 16 + lo);
			in += 3;
		} else {
			*out = *in++;
		}
	}
	*out = '\0';
	return (size_t)(out - s);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **state)
{
	(void)version;
	(void)upload;
	serve_http *h = cls;
	request *rq = *state;
	if (!rq) {
		rq = calloc(1, sizeof *rq);
		if (!rq)
			return MHD_NO;
		rq->started_ms = dbc_monotonic_ms();
		*state = rq;
		rq->body = body_follows(h, c);
		if (!rq->body)
			rq->close = set_in_request(h, c, true);
		return MHD_YES;
	}
	if (*upload_size) {
		*upload_size = 0; /* a body is read and ignored */
		return MHD_YES;
	}
	if (rq->body) { /* the body has arrived: the request is whole */
		rq->body = false;
		rq->started_ms = dbc_monotonic_ms();
		rq->close = set_in_request(h, c, true);
	}
	bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
	bool post = strcmp(method, "POST") == 0;
	const char *plain = "text/plain; charset=utf-8", *type = plain;
	char *body = NULL;
	int status;
	bool reads = strcmp(url, "/readyz") == 0 || strcmp(url, "/health") == 0 ||
	             strcmp(url, "/schema") == 0 || strcmp(url, "/statistics") == 0 ||
	             strcmp(url, "/migrations") == 0 || strcmp(url, "/metrics") == 0;
	bool writes = is_write_route(url);
	bool live = strcmp(url, "/live") == 0;
	const char *want = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "database");
	int only = want ? serve_fleet_find(h->f, want) : -1;

	bool page = strcmp(url, "/") == 0 || live;
	/* the probes' reserve: what may wait on the databases is bounded */
	bool probe = strcmp(url, "/livez") == 0 || strcmp(url, "/readyz") == 0;
	const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
	if (!serve_host_allowed(host, h->port, h->loopback, h->allow_hosts)) {
		body = text("dbcare: Host \"%s\" does not name this server: ask by its address, or "
		            "start dbcare serve with --allow-host NAME\n",
		            host);
		return answer(h, c, 421, plain, body, method, url, rq);
	}
	if (!probe && rq->close) {
		body = strdup("dbcare: busy: this address holds its 64 connections in requests; "
		              "try again\n");
		return answer(h, c, 503, plain, body, method, url, rq);
	}
	if (!probe && (page || reads || writes)) {
		rq->counted = true;
		if (__atomic_add_fetch(&h->waiting, 1, __ATOMIC_ACQ_REL) > WAITING_MAX) {
			body = strdup("dbcare: busy: too many requests at once; try again\n");
			return answer(h, c, 503, plain, body, method, url, rq);
		}
	}
	if (strcmp(url, "/livez") == 0 || strcmp(url, "/endpoints") == 0) {
		status = get ? 200 : 405;
		body = strdup(!get ? "dbcare: method not allowed\n" : url[1] == 'l' ? "ok\n" : index_text);
	} else if (page && get && !(want && only < 0)) {
		status = live ? serve_live(h->f, only, &body, &type) : serve_page(h->f, only, &body, &type);
	} else if (!reads && !writes && !page) {
		status = 404;
		body = text("dbcare: no such endpoint \"%s\" (GET /endpoints lists them)\n", url);
	} else if (((reads || page) && !get) || (writes && !post)) {
		status = 405;
		body = strdup("dbcare: method not allowed\n");
	} else if (want && only < 0) {
		status = 404;
		body = text("dbcare: no database labelled \"%s\" is served\n", want);
	} else if (reads) {
		status = get_endpoint(h, c, url, only, &body, &type);
	} else if (!h->writes) {
		status = 403;
		body = strdup("dbcare: writes are off: start dbcare serve with --allow-writes "
		              "--token-file FILE\n");
	} else if ((status = authorize(h, c)) != 200) {
		body = strdup(status == 401 ? "dbcare: this endpoint needs Authorization: Bearer TOKEN\n"
		                            : "dbcare: the bearer token is not the one of --token-file\n");
	} else {
		bool signal = strcmp(url, "/cancel") == 0 || strcmp(url, "/terminate") == 0;
		status =
		    signal ? signal_endpoint(h, c, url, only, &body) : post_endpoint(h, url, only, &body);
		type = "application/json";
	}
	return answer(h, c, status, type, body, method, url, rq);
}

static void completed(void *cls, struct MHD_Connection *c, void **state,
                      enum MHD_RequestTerminationCode why)
{
	(void)why;
	serve_http *h = cls;
	request *rq = *state;
	if (rq && rq->counted)
		__atomic_sub_fetch(&h->waiting, 1, __ATOMIC_ACQ_REL);
	/* the next request's head has HEAD_DEADLINE_S from now */
	set_in_request(h, c, false);
	free(rq);
	*state = NULL;
}

/* the listening socket's port, and whether its address is loopback */
static void listening_on(serve_http *h, int fd)
{
	struct sockaddr_storage a;
	socklen_t len = sizeof a;
	if (getsockname(fd, (struct sockaddr *)&a, &len) != 0)
		return;
	if (a.ss_family == AF_INET) {
		const struct sockaddr_in *v4 = (const struct sockaddr_in *)&a;
		h->port = ntohs(v4->sin_port);
		h->loopback = (ntohl(v4->sin_addr.s_addr) >> 24) == 127;
	} else if (a.ss_family == AF_INET6) {
		const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)&a;
		h->port = ntohs(v6->sin6_port);
		h->loopback = IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr);
	}
}

serve_http *serve_http_start(serve_fleet *f, int listen_fd, const char *token, bool writes,
                             const char *allow_hosts, char **err)
{
	serve_http *h = calloc(1, sizeof *h);
	if (!h)
		return NULL;
	h->f = f;
	h->writes = writes;
	h->allow_hosts = allow_hosts;
	listening_on(h, listen_fd);
	if (token)
		SHA256((const unsigned char *)token, strlen(token), h->token_hash);
	pthread_mutex_init(&h->mu, NULL);
	if (pthread_create(&h->watchdog, NULL, watchdog, h) != 0) {
		*err = strdup("dbcare: cannot start a thread");
		free(h);
		return NULL;
	}
	/* the connection timeout: a stalled response or upload (the head has
	 * its own deadline, the watchdog's) */
	h->daemon = MHD_start_daemon(
	    MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL, 0, admit, h,
	    handle, h, MHD_OPTION_LISTEN_SOCKET, listen_fd, MHD_OPTION_NOTIFY_COMPLETED, completed, h,
	    MHD_OPTION_NOTIFY_CONNECTION, on_connection, h, MHD_OPTION_URI_LOG_CALLBACK,
	    request_line_read, h, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONNECTION_SLOTS, MHD_OPTION_UNESCAPE_CALLBACK,
	    unescape, NULL, MHD_OPTION_END);
	if (!h->daemon) {
		*err = strdup("dbcare: the HTTP server did not start");
		serve_http_stop(h);
		return NULL;
	}
	return h;
}

void serve_http_stop(serve_http *h)
{
	if (!h)
		return;
	if (h->daemon)
		MHD_stop_daemon(h->daemon);
	pthread_mutex_lock(&h->mu);
	h->stopping = true;
	pthread_mutex_unlock(&h->mu);
	pthread_join(h->watchdog, NULL);
	pthread_mutex_destroy(&h->mu);
	free(h);
}
