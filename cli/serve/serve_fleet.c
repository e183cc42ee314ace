/*
 * serve_fleet.c — each database's last result, and the refreshes that
 * replace it. A request asks for a refresh of every database whose result is
 * older than --min-interval and waits at most --scrape-timeout for them;
 * whatever did not finish is served from the last result with its age.
 * Requests that arrive while a refresh runs wait for that one: scrapes never
 * pile up on a database. A dispatcher thread starts a refresh thread per
 * queued database while fewer than --jobs refreshes are within their budget:
 * a refresh that runs past the budget (a lock, a slow disk) stops counting,
 * so a slow member never holds back the others, and is cut: its statement
 * is interrupted and its error says so (the time bound of each database's
 * collector: what it costs the server is bounded too). A database is never opened
 * by two threads at once: `busy` is set before its refresh or write starts
 * and cleared after its connection is closed or kept (serve_disconnect:
 * a PostgreSQL session is kept between refreshes, so a refresh pays no
 * start-up, module load or cold caches).
 */
#include "serve.h"

#include "base/clock.h"

#include <libpq-fe.h>
#include <malloc.h>
#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double mono_s(void)
{
	return dbc_monotonic_ms() / 1000;
}

/* Waits on f->changed until the monotonic time `until` at the latest. The
 * condition variable counts on the wall clock (pthread's default): the
 * deadline is moved there at each wait, and every waiter reads the
 * monotonic clock again when it wakes, so a clock step costs at most one
 * early or late wake-up. */
static void wait_until(serve_fleet *f, double until)
{
	double wall = dbc_now_epoch() + fmax(0, until - mono_s());
	struct timespec ts = {(time_t)wall, (long)((wall - floor(wall)) * 1e9)};
	pthread_cond_timedwait(&f->changed, &f->mu, &ts);
}

static void unref(serve_result *r)
{
	if (r && --r->refs == 0)
		serve_result_free(r);
}

int serve_fleet_find(serve_fleet *f, const char *label)
{
	int found = -1;
	pthread_mutex_lock(&f->mu);
	for (int i = 0; i < f->n && found < 0; i++)
		if (strcmp(serve_db_label(&f->dbs[i], f->dbs[i].good), label) == 0)
			found = i;
	pthread_mutex_unlock(&f->mu);
	return found;
}

/* A refresh that has run past the budget no longer takes a --jobs slot. */
static int counted_refreshes(serve_fleet *f, double now)
{
	int n = 0;
	for (int i = 0; i < f->n; i++) {
		const serve_db *d = &f->dbs[i];
		n += d->busy && !d->writing && now - d->started < f->budget_s;
	}
	return n;
}

typedef struct refresh_arg {
	serve_fleet *f;
	serve_db *d;
} refresh_arg;

static void *refresh_thread(void *p)
{
	refresh_arg a = *(refresh_arg *)p;
	free(p);
	char *err = NULL;
	/* the last result, whose report this refresh may carry over */
	pthread_mutex_lock(&a.f->mu);
	serve_result *prev = a.d->report_due ? NULL : a.d->good;
	a.d->report_due = false;
	if (prev)
		prev->refs++;
	pthread_mutex_unlock(&a.f->mu);
	serve_result *r = serve_collect(a.f, a.d, prev, &err);
	pthread_mutex_lock(&a.f->mu);
	unref(prev);
	if (r) {
		r->refs = 1; /* the fleet's own */
		unref(a.d->good);
		a.d->good = r;
	}
	free(a.d->error);
	a.d->error = r ? NULL : (err ? err : strdup("dbcare: the refresh failed"));
	if (!r && a.d->cut && a.d->error) {
		char *cut = NULL;
		if (asprintf(&cut,
		             "dbcare: the refresh was cut at its time bound (--scrape-timeout %gs): %s",
		             a.f->budget_s,
		             a.d->error + (strncmp(a.d->error, "dbcare: ", 8) == 0 ? 8 : 0)) >= 0) {
			free(a.d->error);
			a.d->error = cut;
		}
	}
	__atomic_store_n(&a.d->cut, false, __ATOMIC_RELEASE);
	a.d->busy = false;
	a.d->finished = mono_s();
	a.d->done++;
	a.f->threads--;
	pthread_cond_broadcast(&a.f->changed);
	pthread_mutex_unlock(&a.f->mu);
	return NULL;
}

/* Starts database d's refresh thread; under f->mu. */
static void start_refresh(serve_fleet *f, serve_db *d, double now)
{
	refresh_arg *a = malloc(sizeof *a);
	pthread_attr_t attr;
	pthread_t t;
	d->queued = false;
	if (!a)
		return;
	*a = (refresh_arg){f, d};
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	d->busy = true;
	d->started = now;
	d->interrupted = 0;
	__atomic_store_n(&d->cut, false, __ATOMIC_RELEASE);
	if (pthread_create(&t, &attr, refresh_thread, a) != 0) {
		d->busy = false;
		free(a);
		free(d->error);
		d->error = strdup("dbcare: cannot start a refresh thread");
		d->done++;
		pthread_cond_broadcast(&f->changed);
	} else {
		f->threads++;
	}
	pthread_attr_destroy(&attr);
}

/* Interrupts the statement of a held database past its request's deadline
 * (again every HOLD_INTERRUPT_S: a PostgreSQL cancel may land between two
 * statements); under f->mu. The next time to look, or INFINITY. */
#define HOLD_INTERRUPT_S 0.25
static double enforce_deadlines(serve_fleet *f, double now)
{
	double next = INFINITY;
	for (int i = 0; i < f->n; i++) {
		serve_db *d = &f->dbs[i];
		int64_t dl = __atomic_load_n(&d->deadline_ms, __ATOMIC_ACQUIRE);
		if (!dl)
			continue;
		if (now * 1000 < (double)dl) {
			next = fmin(next, (double)dl / 1000);
			continue;
		}
		if (d->interrupt && now - d->interrupted >= HOLD_INTERRUPT_S) {
			d->interrupt_drv->interrupt(d->interrupt);
			d->interrupted = now;
		}
		next = fmin(next, now + HOLD_INTERRUPT_S);
	}
	return next;
}

/* The dispatcher: starts queued refreshes while slots are free, and wakes
 * up when a running refresh passes its budget (a slot frees then). */
static void *dispatcher(void *p)
{
	serve_fleet *f = p;
	bool refreshed = false; /* a refresh started since memory was last returned */
	pthread_mutex_lock(&f->mu);
	while (!f->stopping) {
		double now = mono_s(), next = INFINITY;
		int counted = counted_refreshes(f, now);
		bool busy = false;
		for (int i = 0; i < f->n && counted < f->jobs; i++) {
			serve_db *d = &f->dbs[i];
			if (d->queued && !d->busy) {
				start_refresh(f, d, now);
				refreshed = true;
				counted++;
			}
		}
		for (int i = 0; i < f->n; i++)
			busy = busy || f->dbs[i].busy || f->dbs[i].queued;
		/* a refresh cycle over: the freed memory goes back to the system
		 * (the refresh and request threads' arenas keep it otherwise,
		 * and serve's memory at rest grows with them); outside the lock,
		 * then everything is looked at again */
		if (refreshed && !busy) {
			refreshed = false;
			pthread_mutex_unlock(&f->mu);
			malloc_trim(0);
			pthread_mutex_lock(&f->mu);
			continue;
		}
		for (int i = 0; i < f->n; i++) {
			serve_db *d = &f->dbs[i];
			if (!d->busy || d->writing)
				continue;
			if (d->started + f->budget_s > now) {
				next = fmin(next, d->started + f->budget_s);
				continue;
			}
			/* past its time bound: cut, not waited on (a cancel may land
			 * between two statements: again every HOLD_INTERRUPT_S) */
			__atomic_store_n(&d->cut, true, __ATOMIC_RELEASE);
			if (d->interrupt && now - d->interrupted >= HOLD_INTERRUPT_S) {
				d->interrupt_drv->interrupt(d->interrupt);
				d->interrupted = now;
			}
			next = fmin(next, now + HOLD_INTERRUPT_S);
		}
		next = fmin(next, enforce_deadlines(f, now));
		if (isinf(next)) {
			pthread_cond_wait(&f->changed, &f->mu);
		} else {
			wait_until(f, next + 0.001);
		}
	}
	pthread_mutex_unlock(&f->mu);
	return NULL;
}

int serve_fleet_start(serve_fleet *f)
{
	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->changed, NULL);
	/* every database is read once at start: the first request finds results */
	for (int i = 0; i < f->n; i++)
		f->dbs[i].queued = true;
	return pthread_create(&f->dispatcher, NULL, dispatcher, f) == 0 ? 0 : -1;
}

void serve_fleet_begin_stop(serve_fleet *f)
{
	pthread_mutex_lock(&f->mu);
	/* atomic: SQLite's busy handler reads it without the mutex */
	__atomic_store_n(&f->stopping, true, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&f->changed);
	pthread_mutex_unlock(&f->mu);
}

void serve_fleet_stop(serve_fleet *f)
{
	serve_fleet_begin_stop(f);
	pthread_join(f->dispatcher, NULL);
	pthread_mutex_lock(&f->mu);
	while (f->threads > 0) {
		/* interrupt what still runs (a statement behind a lock): the
		 * handle is published only while its connection is open */
		for (int i = 0; i < f->n; i++) {
			serve_db *d = &f->dbs[i];
			if (d->interrupt)
				d->interrupt_drv->interrupt(d->interrupt);
		}
		wait_until(f, mono_s() + 0.2);
	}
	pthread_mutex_unlock(&f->mu);
	serve_close_kept(f);
}

static bool wanted(int only, int i)
{
	return only < 0 || only == i;
}

void serve_fleet_scrape(serve_fleet *f, int only, serve_view *views)
{
	double now = mono_s(), deadline = now + f->budget_s;
	unsigned long *seen = calloc((size_t)f->n, sizeof(unsigned long));
	bool *waiting = calloc((size_t)f->n, sizeof(bool));
	pthread_mutex_lock(&f->mu);
	bool any = false;
	for (int i = 0; seen && waiting && i < f->n; i++) {
		serve_db *d = &f->dbs[i];
		if (!wanted(only, i) || f->stopping)
			continue;
		bool fresh = d->finished > 0 && now - d->finished < f->interval_s;
		if (!d->busy && !fresh)
			d->queued = true;
		/* a running refresh is awaited too (its result is newer), unless
		 * it is past its budget already: then it is slow, and waiting
		 * for it would make every request pay for it */
		if (d->queued || (d->busy && !d->writing && now - d->started < f->budget_s)) {
			seen[i] = d->done;
			waiting[i] = true;
			any = true;
		}
	}
	if (any)
		pthread_cond_broadcast(&f->changed);
	while (any && !f->stopping) {
		any = false;
		for (int i = 0; i < f->n && !any; i++)
			any = waiting && waiting[i] && f->dbs[i].done == seen[i];
		if (!any || mono_s() >= deadline)
			break;
		wait_until(f, deadline);
	}
	now = mono_s();
	for (int i = 0; i < f->n; i++) {
		serve_db *d = &f->dbs[i];
		views[i] = (serve_view){0};
		if (!wanted(only, i))
			continue;
		views[i].r = d->good;
		if (d->good)
			d->good->refs++;
		/* late: this request waited for its refresh, which did not end in
		 * time (it may have started a moment after the request did) */
		bool late = waiting && waiting[i] && d->done == seen[i];
		views[i].up = d->good && !d->error && !late &&
		              !(d->busy && !d->writing && now - d->started >= f->budget_s);
		if (d->error)
			views[i].error = strdup(d->error);
		else if (!views[i].up && (late || d->busy))
			views[i].error = strdup("dbcare: the refresh did not finish within the scrape timeout");
		else if (!d->good)
			views[i].error = strdup("dbcare: no result yet");
	}
	pthread_mutex_unlock(&f->mu);
	free(seen);
	free(waiting);
}

void serve_release(serve_fleet *f, serve_view *views)
{
	pthread_mutex_lock(&f->mu);
	for (int i = 0; i < f->n; i++) {
		unref(views[i].r);
		free(views[i].error);
		views[i] = (serve_view){0};
	}
	pthread_mutex_unlock(&f->mu);
}

void serve_fleet_hold(serve_fleet *f, int i)
{
	serve_db *d = &f->dbs[i];
	pthread_mutex_lock(&f->mu);
	while (d->busy)
		pthread_cond_wait(&f->changed, &f->mu);
	d->busy = true;
	d->writing = true;
	d->queued = false;
	d->interrupted = 0;
	pthread_mutex_unlock(&f->mu);
}

bool serve_fleet_hold_until(serve_fleet *f, int i, int64_t deadline_ms, bool reads)
{
	serve_db *d = &f->dbs[i];
	pthread_mutex_lock(&f->mu);
	while (d->busy && !f->stopping && mono_s() * 1000 < (double)deadline_ms)
		wait_until(f, (double)deadline_ms / 1000);
	bool held = !d->busy && !f->stopping && mono_s() * 1000 < (double)deadline_ms;
	if (held) {
		d->busy = true;
		d->writing = true;
		d->queued = false;
		d->interrupted = 0;
		if (reads)
			__atomic_store_n(&d->deadline_ms, deadline_ms, __ATOMIC_RELEASE);
		/* the dispatcher keeps the deadline */
		pthread_cond_broadcast(&f->changed);
	}
	pthread_mutex_unlock(&f->mu);
	return held;
}

void serve_fleet_unhold(serve_fleet *f, int i)
{
	serve_db *d = &f->dbs[i];
	pthread_mutex_lock(&f->mu);
	d->busy = false;
	d->writing = false;
	__atomic_store_n(&d->deadline_ms, 0, __ATOMIC_RELEASE);
	d->finished = 0;      /* stale: the next request reads it again */
	d->report_due = true; /* ... with a new report, not the one before the write */
	pthread_cond_broadcast(&f->changed);
	pthread_mutex_unlock(&f->mu);
}
