/*
 * health_run.c — runs the catalogue against one engine: settings and
 * health.ignore are read once, each check's fact is gathered (by the glue or
 * the core), graded against its thresholds, and the score and status derived.
 */
#include "health/health.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

double dbc_round(double v)
{
	return v < 0 ? -(double)(long long)(-v + 0.5) : (double)(long long)(v + 0.5);
}

bool dbc_is_whole(double v)
{
	if (!(v > -1e15 && v < 1e15))
		return false;
	double d = v - dbc_round(v);
	return d < 1e-9 && d > -1e-9;
}

/* ---------------------------------------------------------------- names */

int dbc_health_parse_scope(dbc_ctx *ctx, const char *text, dbc_health_scope *scope)
{
	*scope = DBC_HEALTH_SCOPE_CONNECTION;
	if (!text || strcasecmp(text, "connection") == 0)
		return DBC_OK;
	if (strcasecmp(text, "database") == 0) {
		*scope = DBC_HEALTH_SCOPE_DATABASE;
		return DBC_OK;
	}
	dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "invalid health report scope \"%s\"",
	          dbc_excerpt(ctx, text, DBC_EXCERPT));
	dbc_error_hint(ctx, "Use connection (this connection's settings count) or database.");
	return DBC_ERROR;
}

int dbc_health_parse_mode(dbc_ctx *ctx, const char *text, dbc_health_mode *mode)
{
	static const char *names[] = {"quick", "standard", "full"};
	if (!text) {
		*mode = DBC_HEALTH_STANDARD;
		return DBC_OK;
	}
	for (int i = 0; i < 3; i++)
		if (strcasecmp(text, names[i]) == 0) {
			*mode = (dbc_health_mode)i;
			return DBC_OK;
		}
	dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "invalid health mode \"%s\"",
	          dbc_excerpt(ctx, text, DBC_EXCERPT));
	dbc_error_hint(ctx, "Use quick, standard or full.");
	return DBC_ERROR;
}

const char *dbc_health_mode_name(dbc_health_mode mode)
{
	return mode == DBC_HEALTH_QUICK ? "quick" : mode == DBC_HEALTH_FULL ? "full" : "standard";
}

const char *dbc_check_status_name(dbc_check_status s)
{
	switch (s) {
	case DBC_CHECK_OK:
		return "ok";
	case DBC_CHECK_WARNING:
		return "warning";
	case DBC_CHECK_CRITICAL:
		return "critical";
	case DBC_CHECK_SKIPPED:
		return "skipped";
	case DBC_CHECK_ERROR:
		return "error";
	}
	return "error";
}

static bool fires(double value, double threshold, bool lower_is_worse)
{
	if (threshold < 0)
		return false;
	return lower_is_worse ? value < threshold : value > threshold;
}

/* Numbers in messages: whole numbers without decimals, others with two. */
static char *number_text(dbc_ctx *ctx, double v)
{
	if (dbc_is_whole(v))
		return dbc_printf(ctx, "%.0f", v);
	return dbc_printf(ctx, "%.2f", v);
}

/* "2 tables without a primary key: a, b" — up to five names, then a count. */
static char *compose_message(dbc_ctx *ctx, const dbc_health_check_def *def,
                             const dbc_health_object **objs, int n, double value,
                             dbc_check_status status, bool capped)
{
	dbc_buf b;
	dbc_buf_init(&b, ctx);
	const char *at_least = capped ? "at least " : "";
	if (def->value_kind == DBC_VALUE_MAX && n > 0 && status == DBC_CHECK_OK) {
		/* ok: the objects measured are not problems; name the highest only */
		dbc_buf_appendf(&b, "%s; highest %s%s", def->ok_message, number_text(ctx, value),
		                def->unit);
		n = n > 1 ? 1 : n;
	} else if (def->value_kind == DBC_VALUE_COUNT) {
		dbc_buf_appendf(&b, "%s%d %s", at_least, n, n == 1 ? def->noun1 : def->nounN);
	} else if (def->value_kind == DBC_VALUE_MAX && n > 0) {
		dbc_buf_appendf(&b, "%s%d %s, worst %s%s", at_least, n, n == 1 ? def->noun1 : def->nounN,
		                number_text(ctx, value), def->unit);
	} else {
		dbc_buf_appendf(&b, "%s is %s%s", def->name, number_text(ctx, value), def->unit);
		(void)status;
	}
	for (int i = 0; i < n && i < 5; i++) {
		const dbc_health_object *o = objs[i];
		dbc_buf_append(&b, i == 0 ? ": " : ", ");
		dbc_buf_append(&b, o->schema ? dbc_qualified_name(ctx, o->schema, o->name) : o->name);
		if (o->detail) {
			dbc_buf_append(&b, " (");
			dbc_buf_append(&b, o->detail);
			dbc_buf_append(&b, ")");
		} else if (def->value_kind == DBC_VALUE_MAX) {
			dbc_buf_appendf(&b, " (%s%s)", number_text(ctx, o->value), def->unit);
		}
	}
	if (n > 5)
		dbc_buf_appendf(&b, " and %s%d more", at_least, n - 5);
	return dbc_buf_finish(&b);
}

static int cmp_obj_desc(const void *a, const void *b)
{
	double va = (*(const dbc_health_object *const *)a)->value;
	double vb = (*(const dbc_health_object *const *)b)->value;
	return va < vb ? 1 : va > vb ? -1 : 0;
}

static bool sequence_capped(const dbc_health_object *o)
{
	long long room;
	bool type_bound, descending;
	return dbc_health_sequence_capped(o, &room, &type_bound, &descending);
}

/* The hint of a check the maintenance plan repairs ends with the plan's row
 * for its first (worst) finding: "See dbmaintain_plan(): analyze public.t." */
static char *point_to_plan(dbc_ctx *ctx, const dbc_health_check_def *def,
                           const dbc_health_object *o, char *hint)
{
	const char *action = def->repair;
	const char *name = o->schema ? dbc_qualified_name(ctx, o->schema, o->name) : o->name;
	if (!action)
		return hint;
	if (def->id == DBC_HC_INTEGRITY) {
		if (!o->index || o->listing)
			return hint; /* damage no statement repairs, or duplicates to fix by hand */
		name = o->index;
	} else if (def->id == DBC_HC_SEQUENCE_EXHAUSTION && !o->type) {
		return hint; /* an AUTOINCREMENT counter: no statement raises it */
	} else if (def->id == DBC_HC_SEQUENCE_EXHAUSTION && o->column && !sequence_capped(o)) {
		action = "widen_column";
	} else if (def->id == DBC_HC_INVALID_INDEXES && o->listing) {
		action = "list_duplicates";
	}
	return dbc_printf(ctx, "%s%sSee dbmaintain_plan(): %s %s.", hint ? hint : "", hint ? " " : "",
	                  action, name);
}

int dbc_health_grade(dbc_ctx *ctx, const dbc_health_fact *fact, int penalty, double warn,
                     double critical, const dbc_strlist *ignore, dbc_health_result *out)
{
	const dbc_health_check_def *def = fact->def;
	memset(out, 0, sizeof(*out));
	out->def = def;
	if (fact->skipped) {
		out->status = DBC_CHECK_SKIPPED;
		out->unread = fact->denied;
		out->penalty = fact->denied ? penalty : 0;
		out->message = fact->reason ? fact->reason : dbc_strdup(ctx, "skipped");
		out->hint = fact->hint;
		return ctx->failed ? DBC_ERROR : DBC_OK;
	}

	/* health.ignore first: what is left decides the value. */
	const dbc_health_object **kept =
	    dbc_alloc(ctx, sizeof(*kept) * (size_t)(fact->nobjects ? fact->nobjects : 1));
	if (!kept)
		return DBC_ERROR;
	int n = 0;
	double max = fact->value;
	for (int i = 0; i < fact->nobjects; i++) {
		const dbc_health_object *o = &fact->objects[i];
		if (dbc_health_ignored(ignore, o->schema, o->name, o->table))
			continue;
		kept[n++] = o;
		if (o->value > max)
			max = o->value;
	}
	double value = def->value_kind == DBC_VALUE_COUNT ? (double)n
	               : def->value_kind == DBC_VALUE_MAX ? max
	                                                  : fact->value;
	dbc_check_status status = DBC_CHECK_OK;
	if (fires(value, critical, def->lower_is_worse))
		status = DBC_CHECK_CRITICAL;
	else if (fires(value, warn, def->lower_is_worse))
		status = DBC_CHECK_WARNING;
	if (fact->min_status > status && fact->min_status <= DBC_CHECK_CRITICAL)
		status = fact->min_status;

	out->status = status;
	out->warn_at = warn;
	out->has_value = true;
	out->value = value;
	out->value_text = fact->value_text ? fact->value_text : number_text(ctx, value);
	if (status == DBC_CHECK_CRITICAL && critical >= 0) {
		out->has_threshold = true;
		out->threshold = critical;
	} else if (warn >= 0) {
		out->has_threshold = true;
		out->threshold = warn;
	} else if (critical >= 0) {
		out->has_threshold = true;
		out->threshold = critical;
	}

	if (status == DBC_CHECK_OK || status > DBC_CHECK_CRITICAL) {
		out->penalty = 0;
	} else if (def->penalty_cap > 0) {
		int per = n > 0 ? n : 1;
		long long p = (long long)penalty * per;
		int cap = def->penalty_cap > penalty ? def->penalty_cap : penalty;
		out->penalty = (int)(p > cap ? cap : p);
	} else {
		out->penalty = penalty;
	}

	if (def->value_kind == DBC_VALUE_MAX)
		qsort(kept, (size_t)n, sizeof(*kept), cmp_obj_desc);
	/* A measured check that is not ok names the objects past the line it
	 * crossed, not every object it measured (one sequence at 95% does not
	 * make the others, at 0.01%, "near their limit"); the line is warn's,
	 * or critical's when warn is disabled. A status the gatherer forced
	 * (min_status: an inactive replication slot) keeps every object. */
	if (def->value_kind == DBC_VALUE_MAX && status != DBC_CHECK_OK &&
	    fact->min_status == DBC_CHECK_OK) {
		double line = warn >= 0 ? warn : critical;
		while (n > 0 && !fires(kept[n - 1]->value, line, def->lower_is_worse))
			n--;
	}
	if (fact->message)
		out->message = fact->message;
	else if (status == DBC_CHECK_OK && n == 0)
		out->message = dbc_strdup(ctx, def->ok_message);
	else
		out->message = compose_message(ctx, def, kept, n, value, status,
		                               fact->cap > 0 && fact->nobjects >= fact->cap);
	if (fact->note && out->message)
		out->message = dbc_printf(ctx, "%s; %s", out->message, fact->note);
	out->hint = status == DBC_CHECK_OK ? NULL
	            : fact->hint           ? fact->hint
	            : def->hint            ? dbc_strdup(ctx, def->hint)
	                                   : NULL;
	if (status != DBC_CHECK_OK && n > 0)
		out->hint = point_to_plan(ctx, def, kept[0], out->hint);
	return ctx->failed ? DBC_ERROR : DBC_OK;
}

static bool is_finding(const dbc_health_result *r)
{
	return r->status == DBC_CHECK_WARNING || r->status == DBC_CHECK_CRITICAL;
}

/* 100 less the penalties of the findings and, with_unread, of the unread
 * checks, clamped to 0..100. */
static int score_counting(const dbc_health_result *results, int n, bool with_unread)
{
	int score = 100;
	for (int i = 0; i < n; i++)
		if (is_finding(&results[i]) || (with_unread && results[i].unread))
			score -= results[i].penalty;
	return score < 0 ? 0 : score > 100 ? 100 : score;
}

int dbc_health_score_of(const dbc_health_result *results, int n)
{
	return score_counting(results, n, true);
}

const char *dbc_health_status_of(const dbc_health_result *results, int n)
{
	bool unread = false;
	for (int i = 0; i < n; i++) {
		if (results[i].status == DBC_CHECK_CRITICAL)
			return "critical";
		unread = unread || results[i].unread;
	}
	/* what was read decides critical; what was not keeps it from healthy */
	int found = score_counting(results, n, false);
	if (found < DBC_HEALTH_SCORE_CRITICAL)
		return "critical";
	if (unread)
		return "unknown";
	if (found < DBC_HEALTH_SCORE_WARNING)
		return "warning";
	return "healthy";
}

/* ---------------------------------------------------------------- run */

/* The stored settings, each value already
 * validated (dbc_settings_stored: an invalid one reads as its default): the
 * checks' defaults are in their definitions, so the report needs no
 * catalogue of every setting. */
typedef struct {
	dbc_setting_stored_list stored;
} loaded_settings;

/* The stored value of the key "health." + check + "." + what (check NULL:
 * "health." + what), or NULL; no key is built: a report asks ~100 times. */
static const char *setting(const loaded_settings *ls, const char *check, const char *what)
{
	size_t lc = check ? strlen(check) : 0;
	for (int i = 0; i < ls->stored.n; i++) {
		const char *k = ls->stored.items[i].key;
		if (strncmp(k, "health.", 7) != 0)
			continue;
		k += 7;
		if (check) {
			if (strncmp(k, check, lc) != 0 || k[lc] != '.')
				continue;
			k += lc + 1;
		}
		if (strcmp(k, what) == 0)
			return ls->stored.items[i].value;
	}
	return NULL;
}

static double setting_num(const loaded_settings *ls, const char *check, const char *what,
                          double dflt)
{
	const char *v = setting(ls, check, what);
	char *end;
	if (!v)
		return dflt;
	double d = strtod(v, &end);
	return end == v ? dflt : d;
}

/* Whether the error set ends the whole report rather than one check's row:
 * a cancel or statement timeout (57014), out of memory, and, where a lock
 * is on the whole database (SQLite: busy or locked after the busy
 * timeout), a lock another connection holds (55P03): the report could read
 * nothing, and a report of error rows (which cost no points) would read as
 * healthy. None is a finding of the check that met it. A lock on one
 * relation (PostgreSQL's lock_timeout) fails that check alone: the others
 * read the rest of the database. */
static bool ends_report(const dbc_ctx *ctx)
{
	return strcmp(ctx->sqlstate, DBC_SQLSTATE_CANCELED) == 0 ||
	       strcmp(ctx->sqlstate, DBC_SQLSTATE_OUT_OF_MEMORY) == 0 ||
	       (strcmp(ctx->sqlstate, DBC_SQLSTATE_LOCK_TIMEOUT) == 0 &&
	        ctx->host->dialect->lock_is_whole_database);
}

/* One check; an error inside becomes the check's "error" row, except one
 * that ends the whole report with that error (ends_report).
 * *shared is the open savepoint the checks share (engines with
 * errors_unwind; NULL for the others, 0 when none is open): a savepoint per
 * check costs as much as a small catalog check (docs/benchmarks.md,
 * "Migrations and health"), so one savepoint holds the checks until one
 * fails. The failing check rolls it back
 * -- the checks before it only read, so nothing of theirs is lost -- and the
 * next check opens a new one: every check still fails alone, with the same
 * row as under a savepoint of its own. */
static int run_one(dbc_ctx *ctx, const dbc_health_hooks *eng, dbc_health_mode mode,
                   const dbc_health_check_def *def, const loaded_settings *ls,
                   const dbc_strlist *ignore, int *shared, dbc_health_result *out,
                   dbc_health_fact *kept)
{
	dbc_health_fact fact;
	memset(&fact, 0, sizeof(fact));
	fact.def = def;
	kept->def = def; /* empty unless the check is graded below */
	int penalty = (int)setting_num(ls, def->name, "penalty", def->penalty);

	const char *enabled = setting(ls, def->name, "enabled");
	if (enabled && strcmp(enabled, "off") == 0) {
		dbc_health_skip(ctx, &fact, "disabled by setting", NULL);
		fact.reason = dbc_printf(ctx, "disabled by health.%s.enabled", def->name);
	} else if (mode < def->cost) {
		fact.reason = dbc_printf(ctx, "runs in %s mode%s", dbc_health_mode_name(def->cost),
		                         def->cost == DBC_HEALTH_STANDARD ? " and full mode" : " only");
		fact.skipped = true;
	} else {
		dbc_health_gather_fn gather = def->core_gather ? def->core_gather
		                              : eng->gatherers ? eng->gatherers[def->id]
		                                               : NULL;
		if (!gather) {
			/* an engine that claims the check but has no gatherer for it:
			 * a build defect, shown as the check's error, never skipped */
			memset(out, 0, sizeof(*out));
			out->def = def;
			out->status = DBC_CHECK_ERROR;
			out->unread = true;
			out->penalty = penalty;
			out->message =
			    dbc_printf(ctx, "no gatherer for the %s check on this engine", def->name);
			return out->message ? DBC_OK : DBC_ERROR;
		}
		int level = 0;
		if (shared) {
			if (*shared == 0)
				*shared = ctx->host->savepoint(ctx);
			if (*shared < 0)
				return DBC_ERROR;
			level = *shared;
		}
		int rc = gather(ctx, eng, mode, &fact);
		if ((rc != DBC_OK || ctx->failed) && ends_report(ctx)) {
			/* A cancel, timeout or lock is not a finding of this check: it
			 * ends the report with its own error (the savepoint rolled back,
			 * which leaves the error as it is). */
			if (level > 0) {
				*shared = 0;
				ctx->host->rollback(ctx, level);
			}
			return DBC_ERROR;
		}
		if (rc != DBC_OK || ctx->failed) {
			char *msg = dbc_printf(ctx, "%s", ctx->message ? ctx->message : "check failed");
			char *why_hint = ctx->hint ? dbc_strdup(ctx, ctx->hint) : NULL;
			/* The engine refused to let the caller read a table the check
			 * scans: where the dialect has a hint for it, a check that cannot
			 * run is skipped with that hint, not an error */
			const char *denied_hint = ctx->host->dialect->read_denied_hint;
			bool denied = denied_hint && strcmp(ctx->sqlstate, DBC_SQLSTATE_PRIVILEGE) == 0 &&
			              msg && strncmp(msg, "permission denied", 17) == 0;
			if (level > 0) {
				/* rollback needs a clean slot to report its own trouble */
				dbc_error_clear(ctx);
				*shared = 0;
				if (ctx->host->rollback(ctx, level) != DBC_OK)
					return DBC_ERROR;
			}
			dbc_error_clear(ctx);
			if (denied) {
				/* the hint names the role to grant to, as the caller is */
				char *role = NULL;
				if (ctx->host->dialect->current_role_sql &&
				    dbc_query_text(ctx, ctx->host->dialect->current_role_sql, 0, NULL, &role,
				                   NULL) != DBC_OK)
					return DBC_ERROR;
				const char *who = role ? role : "the monitoring role";
				dbc_health_skip_denied(ctx, &fact, msg, dbc_printf(ctx, denied_hint, who, who));
				return dbc_health_grade(ctx, &fact, penalty, -1, -1, ignore, out);
			}
			memset(out, 0, sizeof(*out));
			out->def = def;
			out->status = DBC_CHECK_ERROR;
			out->unread = true;
			out->penalty = penalty;
			out->message = msg ? msg : (char *)"check failed";
			out->hint = why_hint;
			return DBC_OK;
		}
	}
	*kept = fact;
	return dbc_health_grade(ctx, &fact, penalty, setting_num(ls, def->name, "warn", def->warn),
	                        setting_num(ls, def->name, "critical", def->critical), ignore, out);
}

int dbc_health_tolerant(dbc_ctx *ctx, const dbc_health_hooks *eng, dbc_health_step step, void *arg,
                        bool *ok, char **why)
{
	int level = 0;
	*ok = true;
	if (ctx->host->dialect->errors_unwind && (level = ctx->host->savepoint(ctx)) < 0)
		return DBC_ERROR;
	if (step(ctx, eng, arg) == DBC_OK && !ctx->failed)
		return level > 0 ? ctx->host->release(ctx, level) : DBC_OK;
	if (ends_report(ctx)) {
		if (level > 0)
			ctx->host->rollback(ctx, level);
		return DBC_ERROR;
	}
	if (why)
		*why = dbc_strdup(ctx, ctx->message ? ctx->message : "an error");
	dbc_error_clear(ctx); /* rollback needs a clean slot to report its own trouble */
	*ok = false;
	return level > 0 ? ctx->host->rollback(ctx, level) : DBC_OK;
}

static int read_settings(dbc_ctx *ctx, const dbc_health_hooks *eng, void *arg)
{
	(void)eng;
	return dbc_settings_stored(ctx, &((loaded_settings *)arg)->stored);
}

static int read_metrics(dbc_ctx *ctx, const dbc_health_hooks *eng, void *arg)
{
	return eng->metrics(ctx, eng, arg);
}

static int read_fingerprint(dbc_ctx *ctx, const dbc_health_hooks *eng, void *arg)
{
	dbc_schema *s;
	/* The fingerprint reuses the schema a check may already have read. */
	return dbc_health_schema(ctx, eng, &s) != DBC_OK
	           ? DBC_ERROR
	           : dbc_schema_fingerprint_model(s, &((dbc_health_metrics *)arg)->schema_fingerprint);
}

static int read_migrations(dbc_ctx *ctx, const dbc_health_hooks *eng, void *arg)
{
	return dbc_health_migration_metrics(ctx, eng, arg);
}

static int read_drill(dbc_ctx *ctx, const dbc_health_hooks *eng, void *arg)
{
	(void)eng;
	return dbc_health_drill_metrics(ctx, arg);
}

int dbc_health_run(dbc_ctx *ctx, const dbc_health_hooks *engine, dbc_health_mode mode,
                   dbc_health_report *out)
{
	double t0 = dbc_monotonic_ms();
	loaded_settings ls;
	dbc_strlist ignore = {0};
	dbc_health_shared shared = {NULL, &ignore, NULL, false};
	/* a copy that carries this run's shared state; the report keeps the caller's */
	dbc_health_hooks run_eng = *engine;
	const dbc_health_hooks *eng = &run_eng;
	bool ok;
	run_eng.shared = &shared;
	memset(out, 0, sizeof(*out));
	out->eng = engine;
	out->mode = mode;
	out->database = engine->database;
	out->checked_at = dbc_now_iso(ctx);
	if (!out->checked_at || dbc_health_tolerant(ctx, eng, read_settings, &ls, &ok, NULL) != DBC_OK)
		return DBC_ERROR;
	/* Settings that cannot be read (a broken table, not a locked database:
	 * ends_report) are their defaults; the checks that read the same
	 * bookkeeping (migrations, orphans) say what is wrong with it. */
	if (!ok)
		memset(&ls.stored, 0, sizeof(ls.stored));
	const char *ig = setting(&ls, NULL, "ignore");
	if (ig && *ig && dbc_strlist_split(ctx, &ignore, ig) != DBC_OK)
		return DBC_ERROR;
	/* the caller's label decides (serve: the file's path, unique in its
	 * fleet); a label stored in the database is then only shown beside it */
	const char *label = setting(&ls, NULL, "database_label");
	if (engine->label && *engine->label) {
		out->database = engine->label;
		out->display_name = label && *label ? label : NULL;
	} else if (label && *label) {
		out->database = label;
	}

	out->results = dbc_zalloc(ctx, sizeof(dbc_health_result) * (size_t)dbc_health_checks_count);
	out->facts = dbc_zalloc(ctx, sizeof(dbc_health_fact) * (size_t)dbc_health_checks_count);
	if (!out->results || !out->facts)
		return DBC_ERROR;
	int shared_level = 0;
	for (int i = 0; i < dbc_health_checks_count; i++) {
		const dbc_health_check_def *def = &dbc_health_checks_catalog[i];
		if (!(def->engines & ctx->host->dialect->engine_bit))
			continue;
		if (ctx->host->interrupted && ctx->host->interrupted(ctx))
			return DBC_ERROR;
		if (run_one(ctx, eng, mode, def, &ls, &ignore,
		            ctx->host->dialect->errors_unwind ? &shared_level : NULL,
		            &out->results[out->nresults], &out->facts[out->nresults]) != DBC_OK)
			return DBC_ERROR;
		out->nresults++;
	}
	if (shared_level > 0 && ctx->host->release(ctx, shared_level) != DBC_OK)
		return DBC_ERROR;
	out->ignore = ignore;
	if (dbc_health_link_xmin_holder(ctx, out) != DBC_OK)
		return DBC_ERROR;

	/* Metrics: the glue's numbers, then what the core knows itself; each
	 * part that cannot be read is unknown (null in JSON, NaN or left out in
	 * the Prometheus text), as a check that fails is that check's error row. */
	out->metrics.size_bytes = out->metrics.tables = out->metrics.indexes = -1;
	out->metrics.pending_migrations = -1;
	if (eng->metrics &&
	    dbc_health_tolerant(ctx, eng, read_metrics, &out->metrics, &ok, NULL) != DBC_OK)
		return DBC_ERROR;
	if (ctx->host->read_schema &&
	    dbc_health_tolerant(ctx, eng, read_fingerprint, &out->metrics, &ok, NULL) != DBC_OK)
		return DBC_ERROR;
	if (dbc_health_tolerant(ctx, eng, read_migrations, &out->metrics, &ok, NULL) != DBC_OK)
		return DBC_ERROR;
	if (!ok) {
		out->metrics.migration_version = NULL;
		out->metrics.pending_migrations = -1;
	}
	if (dbc_health_tolerant(ctx, eng, read_drill, &out->metrics, &ok, NULL) != DBC_OK)
		return DBC_ERROR;
	if (!ok)
		out->metrics.drill_known = false;

	out->schema = shared.schema;
	out->score = dbc_health_score_of(out->results, out->nresults);
	out->status = dbc_health_status_of(out->results, out->nresults);
	out->duration_ms = dbc_monotonic_ms() - t0;
	return DBC_OK;
}
