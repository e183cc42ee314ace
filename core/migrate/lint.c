/*
 * lint.c — dbmigrate_lint and the migrate.lint gate of apply and plan
 * (docs/lint.md): every statement of the pending migrations, in order,
 * classified (lint_classify.c), judged against the tables as the earlier
 * statements leave them (lint_model.c), and matched with the rules
 * (lint_rules.c). Nothing runs: the lint reads the catalog and the scripts.
 */
#include "migrate/lint.h"
#include "migrate/migrate_script.h"
#include "migrate/migrate_store.h"
#include "migrate/migrate_version.h"
#include "schema/ddl_lex.h"
#include "settings/settings.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* ------------------------------------------------------------ messages */

typedef struct fill {
	const dbc_lint_action *a;
	const char *table;
	int64_t rows;
	int64_t high;
	const char *lock;
	const char *problem; /* rename_check's words */
} fill;

static const char *rows_text(dbc_ctx *ctx, int64_t rows, int64_t high)
{
	if (high >= 0)
		return dbc_printf(ctx, "its sequence is at %lld", (long long)high);
	if (rows < 0)
		return "row count unknown";
	return dbc_printf(ctx, "about %lld row%s", (long long)rows, rows == 1 ? "" : "s");
}

static char *render(dbc_ctx *ctx, const char *tmpl, const fill *f)
{
	dbc_buf b;
	dbc_buf_init(&b, ctx);
	for (const char *p = tmpl; *p; p++) {
		const char *close = *p == '{' ? strchr(p, '}') : NULL;
		if (!close) {
			dbc_buf_appendc(&b, *p);
			continue;
		}
		size_t n = (size_t)(close - p - 1);
		const char *v = NULL;
#define KEY(k) (n == strlen(k) && strncmp(p + 1, k, n) == 0)
		if (KEY("table"))
			v = f->table;
		else if (KEY("column"))
			v = f->a->column;
		else if (KEY("rows"))
			v = rows_text(ctx, f->rows, f->high);
		else if (KEY("lock"))
			v = f->lock ? f->lock : "exclusive";
		else if (KEY("new"))
			v = f->a->new_name;
		else if (KEY("index"))
			v = f->a->index;
		else if (KEY("type"))
			v = f->a->type;
		else if (KEY("what"))
			v = f->a->what;
		else if (KEY("problem"))
			v = f->problem;
		else if (KEY("evidence"))
			v = f->a->evidence;
#undef KEY
		dbc_buf_append(&b, v ? v : "?");
		p = close;
	}
	return dbc_buf_finish(&b);
}

/* ------------------------------------------------------------ ignore comments */

typedef struct script_lines {
	const char *script;
	const char **starts; /* starts[k]: line k+1 */
	int n;
} script_lines;

static int index_lines(dbc_ctx *ctx, const char *script, script_lines *out)
{
	int n = 1;
	for (const char *p = script; *p; p++)
		n += *p == '\n';
	out->script = script;
	out->n = n;
	if (!(out->starts = dbc_alloc(ctx, sizeof(*out->starts) * (size_t)n)))
		return DBC_ERROR;
	out->starts[0] = script;
	int k = 1;
	for (const char *p = script; *p; p++)
		if (*p == '\n')
			out->starts[k++] = p + 1;
	return DBC_OK;
}

/* "-- dbcare:lint-ignore rule[, rule...]" on line (1-based) names rule (or all). */
static bool line_ignores(const script_lines *sl, int line, const char *rule)
{
	static const char marker[] = "dbcare:lint-ignore";
	if (line < 1 || line > sl->n)
		return false;
	const char *p = sl->starts[line - 1];
	const char *end = strchr(p, '\n');
	if (!end)
		end = p + strlen(p);
	const char *dash = NULL;
	for (const char *q = p; q + 1 < end; q++)
		if (q[0] == '-' && q[1] == '-') {
			dash = q;
			break;
		}
	if (!dash)
		return false;
	const char *m = dash + 2;
	while (m < end && *m == ' ')
		m++;
	if ((size_t)(end - m) < sizeof(marker) - 1 || strncmp(m, marker, sizeof(marker) - 1) != 0)
		return false;
	m += sizeof(marker) - 1;
	size_t rn = strlen(rule);
	while (m < end) {
		while (m < end && (*m == ' ' || *m == ',' || *m == '\t' || *m == '\r'))
			m++;
		const char *w = m;
		while (m < end && *m != ' ' && *m != ',' && *m != '\t' && *m != '\r')
			m++;
		size_t wn = (size_t)(m - w);
		if ((wn == rn && strncmp(w, rule, rn) == 0) || (wn == 3 && strncmp(w, "all", 3) == 0))
			return true;
	}
	return false;
}

static bool ignored(const script_lines *sl, const dbc_stmt *st, const char *rule)
{
	int last = st->line;
	for (size_t i = 0; i < st->len; i++)
		last += st->text[i] == '\n';
	for (int line = st->line - 1; line <= last; line++)
		if (line_ignores(sl, line, rule))
			return true;
	return false;
}

/* ------------------------------------------------------------ the run */

typedef struct lint_run {
	dbc_ctx *ctx;
	const dbc_lint_hooks *eng;
	dbc_lint_model *model;
	dbc_lint_findings *out;
	bool session_timeout; /* the session has a lock_timeout */
} lint_run;

static int add_finding(lint_run *r, const dbc_migration *mig, const dbc_stmt *st,
                       const script_lines *sl, const dbc_lint_rule *rule, const fill *f)
{
	if (ignored(sl, st, rule->id))
		return DBC_OK;
	dbc_lint_findings *out = r->out;
	if (dbc_grow(r->ctx, &out->items, out->n, &out->cap, sizeof(*out->items), 16) != DBC_OK)
		return DBC_ERROR;
	dbc_lint_finding *x = &out->items[out->n];
	x->mig = mig;
	x->line = st->line;
	x->rule = rule;
	x->message = render(r->ctx, rule->message, f);
	x->suggestion = render(r->ctx, rule->suggestion, f);
	if (!x->message || !x->suggestion)
		return DBC_ERROR;
	out->n++;
	return DBC_OK;
}

static bool rule_applies(const lint_run *r, const dbc_lint_rule *rule, const dbc_lint_action *a,
                         int64_t rows)
{
	if (rule->op != DBC_LOP_COUNT && rule->op != a->op)
		return false;
	if ((a->flags & rule->all) != rule->all || (a->flags & rule->none))
		return false;
	if (rule->rows && rows == 0)
		return false;
	return dbc_lint_has_fact(r->ctx, rule->fact);
}

/* Renames the engine re-parses views and triggers for: whether one of them
 * stops the rename, or keeps the old name (the engine's verdict on the live
 * schema; a table only a pending migration creates has none). */
static int check_rename(lint_run *r, dbc_lint_action *a, fill *f)
{
	bool fails = false, stale = false;
	char *problem = NULL;
	if ((a->op != DBC_LOP_RENAME_TABLE && a->op != DBC_LOP_RENAME_COLUMN) ||
	    !r->eng->rename_check || !a->new_name)
		return DBC_OK;
	if (r->eng->rename_check(r->ctx, a->schema, a->table,
	                         a->op == DBC_LOP_RENAME_COLUMN ? a->column : NULL, a->new_name, &fails,
	                         &stale, &problem) != DBC_OK)
		return DBC_ERROR;
	if (fails)
		a->flags |= DBC_LF_RENAME_FAILS;
	else if (stale)
		a->flags |= DBC_LF_RENAME_STALE;
	f->problem = problem;
	return DBC_OK;
}

/* A column added to a table this server publishes, or dropped from one it
 * subscribes to: the order the subscriber needs (docs/topology.md), with
 * the publications or subscriptions named. */
static int check_replication(lint_run *r, dbc_lint_action *a, fill *f)
{
	char *pubs = NULL, *subs = NULL;
	if ((a->op != DBC_LOP_ADD_COLUMN && a->op != DBC_LOP_DROP_COLUMN) || !r->eng->replicated ||
	    !a->table)
		return DBC_OK;
	const char *schema = a->schema ? a->schema : r->ctx->host->dialect->default_schema;
	if (r->eng->replicated(r->ctx, schema, a->table, &pubs, &subs) != DBC_OK)
		return DBC_ERROR;
	if (a->op == DBC_LOP_ADD_COLUMN && pubs) {
		a->flags |= DBC_LF_PUBLISHED;
		f->problem = pubs;
	} else if (a->op == DBC_LOP_DROP_COLUMN && subs) {
		a->flags |= DBC_LF_SUBSCRIBED;
		f->problem = subs;
	}
	return DBC_OK;
}

/* Whether a statement may change the values in existing rows in a way the
 * model does not follow: anything but the schema statements it reads (an
 * UPDATE, INSERT, DO block, CALL, SELECT of a function). */
static bool may_write_rows(dbc_ctx *ctx, const dbc_stmt *st)
{
	static const char *const schema_only[] = {
	    "CREATE", "ALTER",     "DROP",    "COMMENT",  "GRANT",   "REVOKE", "SET",   "RESET",
	    "VACUUM", "CLUSTER",   "ANALYZE", "ANALYSE",  "REINDEX", "LOCK",   "BEGIN", "COMMIT",
	    "END",    "SAVEPOINT", "RELEASE", "TRUNCATE", "PRAGMA",  NULL};
	char *text = dbc_strndup(ctx, st->text, st->len);
	const char *p = text;
	if (!text)
		return true;
	dbc_token t = dbc_lex_next(&p);
	if (t.kind == TK_END)
		return false;
	for (int i = 0; schema_only[i]; i++)
		if (dbc_lex_is_word(t, schema_only[i]))
			return false;
	return true;
}

static int lint_one(lint_run *r, dbc_migration *mig)
{
	const dbc_script_info *info;
	script_lines sl;
	if (!mig->script)
		return DBC_OK;
	if (dbc_migrate_script_info(r->ctx, mig, &info) != DBC_OK ||
	    index_lines(r->ctx, mig->script, &sl) != DBC_OK)
		return DBC_ERROR;
	bool timeout = r->session_timeout, timeout_reported = false;
	dbc_strlist copied = {0};             /* tables whose rows the migration copied */
	dbc_keys_track keys = {false, false}; /* foreign keys a no-transaction script turned off */
	for (int s = 0; s < info->nstmts; s++) {
		const dbc_stmt *st = &info->stmts[s];
		if (info->no_transaction && dbc_keys_track_stmt(r->ctx, &keys, st->text, st->len) != DBC_OK)
			return DBC_ERROR;
		dbc_lint_actions acts = {0};
		if (dbc_lint_classify(r->ctx, r->eng, st->text, st->len, &acts) != DBC_OK)
			return DBC_ERROR;
		if (acts.n == 0 && may_write_rows(r->ctx, st))
			dbc_lint_model_rows_may_change(r->model);
		if (acts.n == 0 && dbc_lint_note_copy(r->ctx, st->text, st->len, &copied) != DBC_OK)
			return DBC_ERROR;
		for (int k = 0; k < acts.n; k++) {
			dbc_lint_action *a = &acts.items[k];
			fill f = {a, NULL, 0, -1, NULL, NULL};
			if (a->op == DBC_LOP_SET_LOCK_TIMEOUT) {
				timeout = !(a->flags & DBC_LF_LOCK_TIMEOUT_OFF);
				continue;
			}
			char *table;
			if (dbc_lint_model_judge(r->model, a, &f.rows, &table) != DBC_OK)
				return DBC_ERROR;
			f.table = table;
			char *children = NULL;
			if (check_rename(r, a, &f) != DBC_OK || check_replication(r, a, &f) != DBC_OK ||
			    dbc_lint_drop_facts(r->ctx, r->eng, &copied, a, &children) != DBC_OK)
				return DBC_ERROR;
			if (keys.off)
				a->flags &= ~DBC_LF_DELETING_CHILDREN;
			else if (children)
				f.problem = children;
			bool concurrent = a->flags & DBC_LF_CONCURRENTLY;
			const dbc_dialect *d = r->ctx->host->dialect;
			f.lock = d->lint_locks && !concurrent ? d->lint_locks[a->op] : NULL;
			if (f.lock && d->exclusive_lock && strcmp(f.lock, d->exclusive_lock) == 0 && !timeout &&
			    !timeout_reported && f.rows != 0) {
				if (dbc_lint_model_rows(r->model, a, &f.rows) != DBC_OK)
					return DBC_ERROR;
				if (f.rows != 0) {
					a->flags |= DBC_LF_NO_LOCK_TIMEOUT;
					timeout_reported = true;
				}
			}
			bool counted = false;
			for (int i = 0; i < dbc_lint_nrules; i++) {
				const dbc_lint_rule *rule = &dbc_lint_rules[i];
				if (!rule_applies(r, rule, a, f.rows))
					continue;
				if (!counted && f.rows != 0 && (rule->rows || strstr(rule->message, "{rows}"))) {
					counted = true;
					if (dbc_lint_model_rows(r->model, a, &f.rows) != DBC_OK)
						return DBC_ERROR;
					if (rule->rows && f.rows == 0)
						continue;
				}
				fill g = f;
				if (a->flags & DBC_LF_KEY_NEAR_LIMIT && rule->all & DBC_LF_KEY_NEAR_LIMIT)
					g.high = dbc_lint_model_key_high(r->model, a);
				if (add_finding(r, mig, st, &sl, rule, &g) != DBC_OK)
					return DBC_ERROR;
			}
			if (dbc_lint_model_apply(r->model, a) != DBC_OK)
				return DBC_ERROR;
		}
	}
	return DBC_OK;
}

/* Whether some rule could report an action of this kind on this engine,
 * whatever the table: when none could for any statement of the plan, the
 * lint reads no catalog at all (an apply of CREATE statements costs
 * nothing more). */
static bool may_report(const dbc_ctx *ctx, dbc_lint_op op)
{
	for (int i = 0; i < dbc_lint_nrules; i++) {
		const dbc_lint_rule *rule = &dbc_lint_rules[i];
		if ((rule->op == op || rule->op == DBC_LOP_COUNT) && dbc_lint_has_fact(ctx, rule->fact))
			return true;
	}
	return false;
}

static int plan_may_report(dbc_ctx *ctx, const dbc_lint_hooks *eng, dbc_migrate_row **plan, int n,
                           bool *may)
{
	*may = false;
	for (int i = 0; i < n && !*may; i++) {
		const dbc_script_info *info;
		if (!plan[i]->mig->script)
			continue;
		/* kept on the migration: lint_one and the apply's run read it again */
		if (dbc_migrate_script_info(ctx, plan[i]->mig, &info) != DBC_OK)
			return DBC_ERROR;
		for (int s = 0; s < info->nstmts && !*may; s++) {
			dbc_lint_actions acts = {0};
			if (dbc_lint_classify(ctx, eng, info->stmts[s].text, info->stmts[s].len, &acts) !=
			    DBC_OK)
				return DBC_ERROR;
			for (int k = 0; k < acts.n && !*may; k++)
				*may = acts.items[k].op != DBC_LOP_SET_LOCK_TIMEOUT &&
				       may_report(ctx, acts.items[k].op);
		}
	}
	return DBC_OK;
}

int dbc_lint_plan(dbc_ctx *ctx, const dbc_lint_hooks *eng, dbc_migrate_row **plan, int n,
                  dbc_lint_findings *out)
{
	lint_run r = {ctx, eng, NULL, out, false};
	bool may;
	memset(out, 0, sizeof(*out));
	if (n == 0)
		return DBC_OK;
	if (plan_may_report(ctx, eng, plan, n, &may) != DBC_OK)
		return DBC_ERROR;
	if (!may)
		return DBC_OK;
	if (dbc_lint_model_open(ctx, eng, &r.model) != DBC_OK)
		return DBC_ERROR;
	if (eng->lock_timeout_set && eng->lock_timeout_set(ctx, &r.session_timeout) != DBC_OK)
		return DBC_ERROR;
	for (int i = 0; i < n; i++)
		if (lint_one(&r, plan[i]->mig) != DBC_OK)
			return DBC_ERROR;
	return DBC_OK;
}

/* ------------------------------------------------------------ the entries */

static const dbc_lint_hooks no_facts = {0};

const dbc_lint_hooks *dbc_lint_engine_of(const dbc_migrate_hooks *env)
{
	return env && env->lint ? env->lint : &no_facts;
}

static const char *label(const dbc_migration *m)
{
	return m->version ? m->version : m->name;
}

int dbc_lint_pending(dbc_ctx *ctx, dbc_migrate_row ***plan, int *n)
{
	dbc_migrate_set set;
	dbc_migrate_derived st;
	char *ooo = NULL;
	memset(&set, 0, sizeof(set));
	if (dbc_setting_get(ctx, "migrate.out_of_order", &ooo) != DBC_OK ||
	    dbc_migrate_read(ctx, DBC_LOAD_UP_DUE, &set) != DBC_OK ||
	    dbc_migrate_derive(ctx, &set, &st) != DBC_OK)
		return DBC_ERROR;
	return dbc_migrate_plan_up(ctx, &st, NULL, ooo && strcmp(ooo, "allow") == 0, plan, n);
}

int dbc_lint_pending_at(dbc_ctx *ctx, const char *version, dbc_migrate_row ***plan, int *n, int *at,
                        char **canon)
{
	if (dbc_version_canonical(ctx, version, "version", canon) != DBC_OK ||
	    dbc_lint_pending(ctx, plan, n) != DBC_OK)
		return DBC_ERROR;
	int k = 0;
	while (k < *n && !((*plan)[k]->mig->version && strcmp((*plan)[k]->mig->version, *canon) == 0))
		k++;
	if (k == *n) {
		dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "migration %s is not pending", version);
		dbc_error_hint(ctx, "dbmigrate_status() lists the pending migrations.");
		return DBC_ERROR;
	}
	*at = k;
	return DBC_OK;
}

int dbc_migrate_lint(dbc_ctx *ctx, const dbc_migrate_hooks *env, const char *version, dbc_rows *out)
{
	dbc_migrate_row **plan;
	int n, at;
	char *canon = NULL;
	dbc_lint_findings f;
	dbc_rows_init(out, ctx, 6);
	if (version) {
		if (dbc_lint_pending_at(ctx, version, &plan, &n, &at, &canon) != DBC_OK)
			return DBC_ERROR;
		n = at + 1; /* the earlier ones shape the model; only its findings are kept */
	} else if (dbc_lint_pending(ctx, &plan, &n) != DBC_OK)
		return DBC_ERROR;
	if (dbc_lint_plan(ctx, dbc_lint_engine_of(env), plan, n, &f) != DBC_OK)
		return DBC_ERROR;
	for (int i = 0; i < f.n; i++) {
		const dbc_lint_finding *x = &f.items[i];
		if (canon && x->mig != plan[n - 1]->mig)
			continue;
		dbc_value row[6] = {
		    dbc_text(label(x->mig)), dbc_int(x->line),
		    dbc_text(x->rule->id),   dbc_text(dbc_lint_severity_name(x->rule->severity)),
		    dbc_text(x->message),    dbc_text(x->suggestion)};
		if (dbc_rows_add(out, row) != DBC_OK)
			return DBC_ERROR;
	}
	return DBC_OK;
}

int dbc_lint_gate(dbc_ctx *ctx, const dbc_migrate_hooks *env, dbc_migrate_row **plan, int n,
                  bool applying)
{
	char *mode = NULL;
	dbc_lint_findings f;
	const dbc_lint_hooks *eng = dbc_lint_engine_of(env);
	if (n == 0 || dbc_setting_get(ctx, "migrate.lint", &mode) != DBC_OK)
		return n == 0 ? DBC_OK : DBC_ERROR;
	if (!mode || strcmp(mode, "off") == 0)
		return DBC_OK;
	bool enforce = strcmp(mode, "enforce") == 0;
	/* notices need an engine that shows them; enforcing needs the findings */
	if (!enforce && !ctx->host->notice)
		return DBC_OK;
	if (dbc_lint_plan(ctx, eng, plan, n, &f) != DBC_OK)
		return DBC_ERROR;
	for (int i = 0; i < f.n; i++) {
		const dbc_lint_finding *x = &f.items[i];
		if (enforce && applying && x->rule->severity != DBC_LINT_INFO) {
			dbc_error(ctx, DBC_SQLSTATE_BAD_STATE,
			          "migration %s has a lint %s (%s, line %d); migrate.lint is enforce",
			          label(x->mig), dbc_lint_severity_name(x->rule->severity), x->rule->id,
			          x->line);
			dbc_error_detail(ctx, "%s", x->message);
			dbc_error_hint(ctx,
			               "%s; or add -- dbcare:lint-ignore %s on the line above the "
			               "statement once the risk is accepted.",
			               x->suggestion, x->rule->id);
			return DBC_ERROR;
		}
		if (ctx->host->notice)
			ctx->host->notice(ctx,
			                  dbc_printf(ctx, "lint %s %s in migration %s, line %d: %s",
			                             dbc_lint_severity_name(x->rule->severity), x->rule->id,
			                             label(x->mig), x->line, x->message),
			                  x->suggestion);
	}
	return DBC_OK;
}
