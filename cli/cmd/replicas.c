/*
 * replicas.c — a primary's replicas as the command sees them
 * (docs/topology.md): `migrate --wait-replicas` waits until the listed
 * standbys have replayed, and the listed logical subscribers confirmed,
 * the position of the last migration (the bookmark's LSN), each
 * subscriber also holding every column of the tables its publications
 * publish; `status --replicas` lists them; `migrate --online` waits
 * before a batch while one lags too far. What a replica is and how far
 * it is comes from the driver's SQL (cli_driver: replicas,
 * subscriptions, published_columns, missing_columns); a subscriber is
 * reached through its --subscriber URL, which never carries a password.
 */
#include "cli/cli.h"

#include "base/clock.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define POLL_MS 100

/* One --subscriber: its connection, and each poll what it lacks. */
typedef struct subscriber {
	const char *url;
	cli_db *db;
	cli_rows subs; /* its subscriptions: slot, publications */
} subscriber;

typedef struct replicas {
	cli_db *db;
	cli_opts *o;
	char *target;   /* the WAL position to pass */
	cli_rows rows;  /* the driver's replicas, this poll */
	char **lacking; /* per row: the first column a subscriber lacks, or NULL */
	int *nlacking;  /* per row: how many it lacks */
	bool *checked;  /* per row: a subscriber whose schema was compared */
	subscriber *subs;
	int nsubs;
} replicas;

static int connect_subscribers(replicas *r)
{
	r->subs = calloc((size_t)r->o->nsubscribers + 1, sizeof *r->subs);
	if (!r->subs)
		return -1;
	for (int i = 0; i < r->o->nsubscribers; i++) {
		subscriber *s = &r->subs[r->nsubs++];
		cli_target t;
		char *err = NULL;
		s->url = r->o->subscribers[i];
		cli_connect_opts co = {.bare = true};
		if (cli_target_parse(s->url, &t, &err) == 0) {
			s->db = cli_connect(&t, &co, &err);
			free(t.spec);
			free(t.label);
		}
		if (!s->db || !s->db->drv->subscriptions) {
			cli_errorf("--subscriber %s: %s", s->url,
			           err ? err : "not a PostgreSQL database: logical subscribers are");
			free(err);
			return -1;
		}
		if (cli_q(s->db, r->o, s->db->drv->subscriptions, 0, NULL, &s->subs) != 0)
			return -1;
	}
	return 0;
}

/* Row i's subscriber compared: the publisher's published columns of its
 * publications against the subscriber's tables. */
static int compare_schema(replicas *r, int i, subscriber *s, const char *pubs)
{
	cli_rows lines = {0}, missing = {0};
	const char *p[1] = {pubs};
	if (cli_q(r->db, r->o, r->db->drv->published_columns, 1, p, &lines) != 0)
		return -1;
	const char *q[1] = {cli_cell(&lines, 0, 0) ? cli_cell(&lines, 0, 0) : ""};
	int rc = cli_q(s->db, r->o, s->db->drv->missing_columns, 1, q, &missing);
	if (rc == 0) {
		r->checked[i] = true;
		r->nlacking[i] = missing.nrows;
		if (missing.nrows)
			r->lacking[i] = strdup(cli_cell(&missing, 0, 0));
	}
	cli_rows_free(&lines);
	cli_rows_free(&missing);
	return rc;
}

static int compare_schemas(replicas *r)
{
	int kc = cli_col(&r->rows, "kind"), sc = cli_col(&r->rows, "slot");
	for (int i = 0; i < r->rows.nrows; i++) {
		const char *kind = cli_cell(&r->rows, i, kc), *slot = cli_cell(&r->rows, i, sc);
		if (!kind || strcmp(kind, "subscriber") != 0 || !slot)
			continue;
		for (int k = 0; k < r->nsubs; k++)
			for (int j = 0; j < r->subs[k].subs.nrows; j++) {
				const char *sub_slot = cli_cell(&r->subs[k].subs, j, 0);
				if (sub_slot && strcmp(sub_slot, slot) == 0 &&
				    compare_schema(r, i, &r->subs[k], cli_cell(&r->subs[k].subs, j, 1)) != 0)
					return -1;
			}
	}
	return 0;
}

static void forget_poll(replicas *r)
{
	for (int i = 0; r->lacking && i < r->rows.nrows; i++)
		free(r->lacking[i]);
	free(r->lacking);
	free(r->nlacking);
	free(r->checked);
	r->lacking = NULL;
	r->nlacking = NULL;
	r->checked = NULL;
	cli_rows_free(&r->rows);
}

/* One look at every replica: positions, then the subscribers' schemas. */
static int poll(replicas *r)
{
	const char *p[1] = {r->target};
	forget_poll(r);
	if (cli_q(r->db, r->o, r->db->drv->replicas, 1, p, &r->rows) != 0)
		return -1;
	size_t n = (size_t)r->rows.nrows + 1;
	r->lacking = calloc(n, sizeof *r->lacking);
	r->nlacking = calloc(n, sizeof *r->nlacking);
	r->checked = calloc(n, sizeof *r->checked);
	if (!r->lacking || !r->nlacking || !r->checked)
		return -1;
	return compare_schemas(r);
}

/* Row i shows the migrations: passed the position, and a subscriber
 * compared lacks no column. */
static bool row_ready(const replicas *r, int i)
{
	const char *c = cli_cell(&r->rows, i, cli_col(&r->rows, "caught_up"));
	return c && (strcmp(c, "t") == 0 || strcmp(c, "true") == 0) && r->nlacking[i] == 0;
}

/* Row i is a receiver (pg_receivewal, Barman, a base backup): it replays
 * nothing, so it is listed but never waited on. */
static bool row_receiver(const replicas *r, int i)
{
	const char *k = cli_cell(&r->rows, i, cli_col(&r->rows, "kind"));
	return k && strcmp(k, "receiver") == 0;
}

/* Whether name is one of the comma-separated names of list. */
static bool listed(const char *list, const char *name)
{
	size_t len = strlen(name);
	for (const char *p = list; p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
		if (strncmp(p, name, len) == 0 && (p[len] == ',' || p[len] == '\0'))
			return true;
	return false;
}

static int row_named(const replicas *r, const char *name, size_t len)
{
	int nc = cli_col(&r->rows, "name");
	for (int i = 0; i < r->rows.nrows; i++) {
		const char *n = cli_cell(&r->rows, i, nc);
		if (n && strlen(n) == len && strncmp(n, name, len) == 0)
			return i;
	}
	return -1;
}

/* Whether what --wait-replicas asks is met: all rows ready, N of them, or
 * each named one present and ready. */
static bool wanted_ready(const replicas *r)
{
	const char *w = r->o->wait_replicas;
	char *end;
	long want = strtol(w, &end, 10);
	int ready = 0, waited = 0;
	for (int i = 0; i < r->rows.nrows; i++) {
		waited += !row_receiver(r, i);
		ready += !row_receiver(r, i) && row_ready(r, i);
	}
	if (strcmp(w, "all") == 0)
		return ready == waited;
	if (*end == '\0')
		return ready >= want;
	for (const char *p = w; p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL) {
		const char *e = strchr(p, ',');
		int i = row_named(r, p, e ? (size_t)(e - p) : strlen(p));
		if (i < 0 || (!row_receiver(r, i) && !row_ready(r, i)))
			return false;
	}
	return true;
}

static bool row_wanted(const replicas *r, int i)
{
	const char *w = r->o->wait_replicas, *name = cli_cell(&r->rows, i, cli_col(&r->rows, "name"));
	char *end;
	(void)strtol(w, &end, 10);
	if (row_receiver(r, i))
		return false;
	return strcmp(w, "all") == 0 || *end == '\0' || (name && listed(w, name));
}

/* The laggards, one line each on stderr, then the names asked for that
 * are not replicas of this primary at all. */
static void say_laggards(const replicas *r, double waited_ms)
{
	int kc = cli_col(&r->rows, "kind"), nc = cli_col(&r->rows, "name"),
	    stc = cli_col(&r->rows, "state"), pc = cli_col(&r->rows, "position"),
	    lc = cli_col(&r->rows, "lag_bytes");
	for (int i = 0; i < r->rows.nrows; i++) {
		if (row_ready(r, i) || !row_wanted(r, i))
			continue;
		const char *kind = cli_cell(&r->rows, i, kc), *name = cli_cell(&r->rows, i, nc);
		const char *pos = cli_cell(&r->rows, i, pc), *lag = cli_cell(&r->rows, i, lc);
		const char *c = cli_cell(&r->rows, i, cli_col(&r->rows, "caught_up"));
		if (!c || (strcmp(c, "t") != 0 && strcmp(c, "true") != 0))
			fprintf(stderr,
			        "dbcare: %s %s (%s) has not %s %s after %.0f ms: it is at %s, %s bytes of "
			        "WAL behind\n",
			        kind, name ? name : "",
			        cli_cell(&r->rows, i, stc) ? cli_cell(&r->rows, i, stc) : "state unknown",
			        strcmp(kind, "standby") == 0 ? "replayed" : "confirmed", r->target, waited_ms,
			        pos ? pos : "an unknown position (grant pg_monitor to see it)",
			        lag ? lag : "unknown");
		if (r->nlacking[i])
			fprintf(stderr,
			        "dbcare: %s %s lacks %d column(s) of the tables it subscribes to, first %s: "
			        "add them on the subscriber (docs/topology.md, the order of changes)\n",
			        kind, name ? name : "", r->nlacking[i], r->lacking[i]);
	}
	const char *w = r->o->wait_replicas;
	char *end;
	(void)strtol(w, &end, 10);
	for (const char *p = w; strcmp(w, "all") != 0 && *end != '\0' && p;
	     p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL) {
		const char *e = strchr(p, ',');
		int len = e ? (int)(e - p) : (int)strlen(p);
		if (row_named(r, p, (size_t)len) < 0)
			fprintf(stderr, "dbcare: replica %.*s is not connected to this primary\n", len, p);
	}
}

static void forget(replicas *r)
{
	forget_poll(r);
	for (int i = 0; i < r->nsubs; i++) {
		cli_rows_free(&r->subs[i].subs);
		if (r->subs[i].db)
			cli_disconnect(r->subs[i].db);
	}
	free(r->subs);
	free(r->target);
}

/* The position to pass, and the subscribers connected. */
static int begin(replicas *r)
{
	cli_rows t = {0};
	if (!r->db->drv->replicas) {
		cli_errorf("%s has no replicas to wait for, list or compare: --wait-replicas, --replicas "
		           "and --subscriber are PostgreSQL's (docs/topology.md)",
		           r->db->label);
		return -1;
	}
	if (cli_q(r->db, r->o, r->db->drv->replica_target, 0, NULL, &t) != 0)
		return -1;
	r->target = cli_cell(&t, 0, 0) ? strdup(cli_cell(&t, 0, 0)) : NULL;
	cli_rows_free(&t);
	if (!r->target)
		return -1;
	return connect_subscribers(r);
}

int cli_replicas_wait(cli_db *db, cli_opts *o)
{
	replicas r = {.db = db, .o = o};
	double started = dbc_monotonic_ms(), deadline = started + o->timeout_s * 1000;
	int rc = begin(&r) == 0 ? CLI_REPLICAS_LAG : CLI_ERROR;
	while (rc == CLI_REPLICAS_LAG) {
		if (poll(&r) != 0) {
			rc = CLI_ERROR;
			break;
		}
		if (wanted_ready(&r)) {
			int shown = 0;
			for (int i = 0; i < r.rows.nrows; i++)
				shown += !row_receiver(&r, i) && row_ready(&r, i);
			rc = CLI_OK;
			cli_note(&o->out, "replicas: %d show the migrations at %s (waited %.0f ms)", shown,
			         r.target, dbc_monotonic_ms() - started);
			break;
		}
		if (dbc_monotonic_ms() >= deadline) {
			say_laggards(&r, dbc_monotonic_ms() - started);
			fprintf(stderr, "HINT: dbcare status --replicas lists them; a standby paused with "
			                "pg_wal_replay_pause() waits for pg_wal_replay_resume().\n");
			break;
		}
		nanosleep(&(struct timespec){0, POLL_MS * 1000000L}, NULL);
	}
	forget(&r);
	return rc;
}

/* What status --replicas adds to each replica: whether the schema
 * version is visible there, and a subscriber's schema comparison. */
static const char *schema_words(const replicas *r, int i, const char *version, char *buf,
                                size_t size)
{
	if (row_receiver(r, i))
		snprintf(buf, size, "receives WAL, replays none (not waited on)");
	else if (r->nlacking[i])
		snprintf(buf, size, "lacks %d published column(s), first %s", r->nlacking[i],
		         r->lacking[i]);
	else if (!row_ready(r, i))
		snprintf(buf, size, "schema %s not visible yet", version ? version : "(none)");
	else
		snprintf(buf, size, "schema %s visible%s", version ? version : "(none)",
		         strcmp(cli_cell(&r->rows, i, 0), "subscriber") == 0 && !r->checked[i]
		             ? " (columns not compared: no --subscriber for it)"
		             : "");
	return buf;
}

int cli_replicas_show(cli_db *db, cli_opts *o)
{
	replicas r = {.db = db, .o = o};
	cli_rows v = {0};
	int rc = begin(&r) == 0 && poll(&r) == 0 &&
	                 cli_q(db, o, "SELECT dbmigrate_current()", 0, NULL, &v) == 0
	             ? CLI_OK
	             : CLI_ERROR;
	int nc = cli_col(&r.rows, "name"), lc = cli_col(&r.rows, "lag_bytes"),
	    stc = cli_col(&r.rows, "state");
	for (int i = 0; rc == CLI_OK && i < r.rows.nrows; i++) {
		char buf[512];
		const char *name = cli_cell(&r.rows, i, nc), *lag = cli_cell(&r.rows, i, lc);
		const char *slot = cli_cell(&r.rows, i, cli_col(&r.rows, "slot"));
		if (o->out.format == CLI_FMT_JSON)
			continue;
		printf("%s %s: %s, %s, %s bytes behind, slot %s\n", cli_cell(&r.rows, i, 0),
		       name ? name : "", schema_words(&r, i, cli_cell(&v, 0, 0), buf, sizeof buf),
		       cli_cell(&r.rows, i, stc) ? cli_cell(&r.rows, i, stc) : "state unknown",
		       lag ? lag : "unknown", slot ? slot : "none");
	}
	if (rc == CLI_OK && o->out.format == CLI_FMT_JSON) {
		cli_json_envelope(stdout, db);
		fputs(",\"replicas\":", stdout);
		cli_json_rows(stdout, &r.rows);
		fputs("}\n", stdout);
	} else if (rc == CLI_OK && r.rows.nrows == 0) {
		cli_note(&o->out, "no standby or subscriber is connected to %s", db->label);
	}
	cli_rows_free(&v);
	forget(&r);
	return rc;
}

/* The subscribers reached through --subscriber whose schema lags this
 * publisher's: one message each, for health's finding. */
int cli_replicas_schema_lag(cli_db *db, cli_opts *o, char ***msgs, int *n)
{
	replicas r = {.db = db, .o = o};
	*msgs = NULL;
	*n = 0;
	int rc = begin(&r) == 0 && poll(&r) == 0 ? 0 : -1;
	if (rc == 0 && !(*msgs = calloc((size_t)r.rows.nrows + 1, sizeof **msgs)))
		rc = -1;
	for (int i = 0; rc == 0 && i < r.rows.nrows; i++) {
		const char *name = cli_cell(&r.rows, i, cli_col(&r.rows, "name"));
		char buf[512];
		if (!r.nlacking[i])
			continue;
		snprintf(buf, sizeof buf,
		         "subscriber %s lacks %d column(s) of the tables it subscribes to, first %s: its "
		         "apply stops at the first row carrying one",
		         name ? name : "", r.nlacking[i], r.lacking[i]);
		(*msgs)[(*n)++] = strdup(buf);
	}
	forget(&r);
	return rc;
}

int cli_replicas_compare(cli_db *db, cli_opts *o, const cli_rows *rows, int *nlacking,
                         char **lacking)
{
	replicas r = {.db = db, .o = o, .rows = *rows, .nlacking = nlacking, .lacking = lacking};
	r.checked = calloc((size_t)rows->nrows + 1, sizeof *r.checked);
	int rc = r.checked && connect_subscribers(&r) == 0 && compare_schemas(&r) == 0 ? 0 : -1;
	free(r.checked);
	for (int i = 0; i < r.nsubs; i++) {
		cli_rows_free(&r.subs[i].subs);
		if (r.subs[i].db)
			cli_disconnect(r.subs[i].db);
	}
	free(r.subs);
	return rc;
}

/* The worst lag of the replicas that replay: each poll of migrate
 * --online's backfill, from the same rows as the waits above. The
 * position passed is none ($1 NULL): lags count from this server's
 * position now. */
int cli_replicas_worst_lag(cli_db *db, cli_opts *o, char **name, long long *lag_bytes, int *unknown)
{
	replicas r = {.db = db, .o = o};
	const char *p[1] = {NULL};
	*name = NULL;
	*lag_bytes = -1;
	*unknown = 0;
	if (!db->drv->replicas)
		return 0;
	if (cli_q(db, o, db->drv->replicas, 1, p, &r.rows) != 0)
		return -1;
	int nc = cli_col(&r.rows, "name"), lc = cli_col(&r.rows, "lag_bytes"),
	    stc = cli_col(&r.rows, "state");
	for (int i = 0; i < r.rows.nrows; i++) {
		const char *lag = cli_cell(&r.rows, i, lc), *state = cli_cell(&r.rows, i, stc);
		if (row_receiver(&r, i) || (state && strcmp(state, "disconnected") == 0))
			continue;
		if (!lag) {
			++*unknown;
			continue;
		}
		if (atoll(lag) > *lag_bytes) {
			*lag_bytes = atoll(lag);
			free(*name);
			*name = strdup(cli_cell(&r.rows, i, nc) ? cli_cell(&r.rows, i, nc) : "");
		}
	}
	cli_rows_free(&r.rows);
	return 0;
}
