/*
 * generate_deadline.c — the scratch place's own deadline (docs/security.md,
 * docs/schema-as-code.md): code a desired schema still reaches while it is
 * applied and proved (a default computed once, an index expression, a
 * partition bound) runs with no rights, but could spend time: pg_sleep(600)
 * there held the call until the caller's own statement_timeout, if any.
 * dbcare.generate_timeout (milliseconds, 1 min by default, 0: none) bounds
 * the scratch place: when it passes, the call is cancelled as a
 * statement_timeout would be (57014, everything rolled back), with an error
 * naming the desired statement's line that was running (or the proof).
 *
 * Invariant: the timer runs only between pgdbc_deadline_start and
 * pgdbc_deadline_stop, and every way out of a dbcare call stops it
 * (pgdbc_escape), so it never cancels anything else.
 */
#include "glue.h"

#include "miscadmin.h"
#include "storage/latch.h"
#include "utils/guc.h"
#include "utils/timeout.h"

#include <limits.h>
#include <signal.h>

static int timeout_ms = 60000;
static bool registered = false;
static TimeoutId deadline_id;
static volatile sig_atomic_t passed = false;
static bool running = false;
static int running_line = 0; /* the desired statement's line being applied; 0: the proof */

void pgdbc_define_generate_timeout_setting(void)
{
	DefineCustomIntVariable(
	    "dbcare.generate_timeout",
	    "Bounds the time dbmigrate_generate's scratch place may take (0: no bound).",
	    "The desired schema's code runs there: a default, an index expression, a partition "
	    "bound.",
	    &timeout_ms, 60000, 0, INT_MAX, PGC_USERSET, GUC_UNIT_MS, NULL, NULL, NULL);
}

/* A signal handler: only flags and the latch. */
static void deadline_passed(void)
{
	passed = true;
	QueryCancelPending = true;
	InterruptPending = true;
	SetLatch(MyLatch);
}

void pgdbc_deadline_start(void)
{
	passed = false;
	running_line = 0;
	if (timeout_ms <= 0)
		return;
	if (!registered) {
		deadline_id = RegisterTimeout(USER_TIMEOUT, deadline_passed);
		registered = true;
	}
	enable_timeout_after(deadline_id, timeout_ms);
	running = true;
}

void pgdbc_deadline_stop(void)
{
	if (running)
		disable_timeout(deadline_id, false);
	running = false;
}

void pgdbc_deadline_line(int line)
{
	running_line = line;
}

bool pgdbc_deadline_rewrite(ErrorData *ed)
{
	pgdbc_deadline_stop();
	if (!passed || ed->sqlerrcode != ERRCODE_QUERY_CANCELED)
		return false;
	passed = false;
	ed->message =
	    running_line > 0
	        ? psprintf("dbcare: the desired schema ran past dbcare.generate_timeout (%d ms) at "
	                   "line %d: code it runs there (a default, an index expression, a partition "
	                   "bound) takes too long",
	                   timeout_ms, running_line)
	        : psprintf("dbcare: the proof of the generated plan ran past "
	                   "dbcare.generate_timeout (%d ms): code of the desired schema it runs (a "
	                   "default, an index expression, a partition bound) takes too long",
	                   timeout_ms);
	ed->detail = NULL;
	ed->hint = pstrdup("Look at that statement's code; if the schema needs longer, SET "
	                   "dbcare.generate_timeout = '5min' (0: no bound) for the session, or "
	                   "PGOPTIONS='-c dbcare.generate_timeout=5min' for dbcare generate.");
	return true;
}
