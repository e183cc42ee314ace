/*
 * sqlite/health/health.c — the facts of SQLite's health checks: one query per check
 * over sqlite_schema, PRAGMAs and the pragma_* table-valued functions, plus
 * the database-wide metrics and the snapshot table. The core grades them.
 */
#include "sqlite/backup/backup_glue.h"
#include "health_glue.h"
#include "sqlite/host/glue.h"
#include "check/check.h"

#include <stdlib.h>
#include <string.h>

/* User tables: not SQLite's own, not dbcare's bookkeeping, not virtual. */
#define USER_TABLE(m)                                                                              \
	m ".type = 'table' AND " m ".name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND " m                    \
	  ".name NOT LIKE 'dbcare\\_%' ESCAPE '\\' AND coalesce(" m                                    \
	  ".sql, '') NOT LIKE 'CREATE VIRTUAL%'"

/* The pragmas stop after this many problems. */
#define INTEGRITY_LIMIT 100

typedef struct integrity_rows {
	dbc_health_fact *fact;
	int rows; /* rows the pragma returned (each may hold several lines) */
} integrity_rows;

/* One problem per line: a pragma row can hold several lines, the first of
 * them the header "*** in database main ***" naming the schema. */
static int on_integrity_row(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	integrity_rows *ir = arg;
	(void)ncol;
	ir->rows++;
	const char *p = c[0].type == DBC_TEXT ? c[0].s : "";
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		if (n && !(n > 3 && strncmp(p, "***", 3) == 0 && strncmp(p + n - 3, "***", 3) == 0)) {
			char *line = dbc_strndup(ctx, p, n);
			if (!line || dbc_health_add_object(ctx, ir->fact, NULL, line, NULL, 1, NULL) != DBC_OK)
				return DBC_ERROR;
		}
		p += n + (nl ? 1 : 0);
	}
	return DBC_OK;
}

/* Index, table and column named by a problem line, for the hint. */
static const char *after(const char *line, const char *prefix)
{
	size_t n = strlen(prefix);
	return strncmp(line, prefix, n) == 0 ? line + n : NULL;
}

/* The index a problem line names ("row 3 missing from index i", "wrong #
 * of entries in index i", "non-unique entry in index i"), or NULL. */
static const char *named_index(const char *line)
{
	static const char *const marks[] = {" missing from index ", "wrong # of entries in index ",
	                                    "non-unique entry in index "};
	for (size_t k = 0; k < sizeof(marks) / sizeof(marks[0]); k++) {
		const char *at = strstr(line, marks[k]);
		if (at)
			return at + strlen(marks[k]);
	}
	return NULL;
}

/* What the maintenance plan repairs: each problem that names an index
 * carries the index and its table; a unique index's duplicate keys carry
 * the query listing them (REINDEX fails while they remain). */
static int repair_targets(dbc_ctx *ctx, const dbc_health_hooks *eng, dbc_health_fact *fact)
{
	dbc_schema *s = NULL;
	for (int i = 0; i < fact->nobjects; i++) {
		dbc_health_object *o = &fact->objects[i];
		const char *ix = named_index(o->name);
		if (!ix)
			continue;
		if (!s && dbc_health_schema(ctx, eng, &s) != DBC_OK)
			return DBC_ERROR;
		for (int k = 0; k < s->nindexes; k++) {
			const dbc_index *x = &s->indexes[k];
			if (x->schema || strcmp(x->name, ix) != 0)
				continue;
			o->index = x->name;
			o->table = x->table;
			if (!strstr(o->name, "non-unique entry") || x->keys.n == 0 ||
			    dbc_strlist_find(&x->keys, "(expression)") >= 0)
				continue;
			dbc_buf b;
			dbc_buf_init(&b, ctx);
			for (int c = 0; c < x->keys.n; c++)
				dbc_buf_appendf(&b, "%s%s", c ? ", " : "",
				                ctx->host->quote_ident(ctx, x->keys.items[c]));
			char *cols = dbc_buf_finish(&b);
			char *tq = dbc_quoted_name(ctx, "main", x->table);
			if (!cols || !tq)
				return DBC_ERROR;
			o->listing = dbc_printf(
			    ctx, "SELECT %s, count(*) FROM %s%s%s GROUP BY %s HAVING count(*) > 1", cols, tq,
			    x->predicate ? " WHERE " : "", x->predicate ? x->predicate : "", cols);
		}
	}
	return ctx->failed ? DBC_ERROR : DBC_OK;
}

/* REINDEX rebuilds an index from its table: it fails on duplicate keys
 * under a unique index and cannot help a NULL in a NOT NULL column. Those
 * problems get a hint that finds the rows instead. */
static int integrity_hint(dbc_ctx *ctx, const dbc_health_hooks *eng, dbc_health_fact *fact)
{
	const char *dup_index = NULL, *null_column = NULL;
	for (int i = 0; i < fact->nobjects; i++) {
		const char *line = fact->objects[i].name, *rest;
		if (!dup_index && (rest = after(line, "non-unique entry in index ")))
			dup_index = rest;
		if (!null_column && (rest = after(line, "NULL value in ")))
			null_column = rest;
	}
	if (repair_targets(ctx, eng, fact) != DBC_OK)
		return DBC_ERROR;
	if (!dup_index && !null_column)
		return DBC_OK;
	dbc_buf b;
	dbc_buf_init(&b, ctx);
	if (dup_index) {
		dbc_schema *s;
		const char *table = NULL;
		if (dbc_health_schema(ctx, eng, &s) != DBC_OK)
			return DBC_ERROR;
		bool on_expr = false;
		/* the REINDEX is pasted as it stands: the name quoted */
		char *ixq = ctx->host->quote_ident(ctx, dup_index);
		if (!ixq)
			return DBC_ERROR;
		for (int i = 0; i < s->nindexes; i++)
			if (!s->indexes[i].schema && strcmp(s->indexes[i].name, dup_index) == 0) {
				table = s->indexes[i].table;
				on_expr = dbc_strlist_find(&s->indexes[i].keys, "(expression)") >= 0;
			}
		if (on_expr) {
			dbc_buf_appendf(
			    &b,
			    "Unique index %s holds duplicate keys (REINDEX fails on them): find the "
			    "rows of %s whose indexed expressions repeat (GROUP BY them HAVING "
			    "count(*) > 1), change or delete them, then REINDEX %s.",
			    dup_index, table ? table : "its table", ixq);
			table = NULL;
		}
		char *lit = ctx->host->quote_literal(ctx, dup_index);
		char *tlit = table ? ctx->host->quote_literal(ctx, table) : NULL;
		if (!lit || (table && !tlit))
			return DBC_ERROR;
		if (!on_expr)
			dbc_buf_appendf(
			    &b,
			    "Unique index %s holds duplicate keys (REINDEX fails on them): SELECT * "
			    "FROM dbcheck_constraints(%s) WHERE constraint_name = %s shows them; change "
			    "or delete those rows, then REINDEX %s.",
			    dup_index, tlit ? tlit : "", lit, ixq);
	}
	if (null_column)
		dbc_buf_appendf(
		    &b,
		    "%sColumn %s holds NULLs although declared NOT NULL (REINDEX cannot help): "
		    "SELECT * FROM dbcheck_constraints() WHERE kind = 'not_null' AND violations "
		    "> 0 counts them; fill in or delete those rows.",
		    dup_index ? " " : "", null_column);
	fact->hint = dbc_buf_finish(&b);
	return fact->hint ? DBC_OK : DBC_ERROR;
}

/* Whether integrity_check's problems, all of them (fewer than the limit),
 * leave every index verified: each is a row's CHECK or NOT NULL failure,
 * which says nothing against an index. Any other line (a missing or
 * non-unique index entry, a damaged page) withdraws the proof. */
static bool indexes_verified(const integrity_rows *ir)
{
	if (ir->rows >= INTEGRITY_LIMIT)
		return false;
	for (int i = 0; i < ir->fact->nobjects; i++) {
		const char *line = ir->fact->objects[i].name;
		if (!after(line, "CHECK constraint failed in ") && !after(line, "NULL value in "))
			return false;
	}
	return true;
}

/* Any failure of quick_check/integrity_check other than an interrupt is itself
 * the finding: a malformed file makes the pragma error instead of returning
 * rows, possibly after some rows that say where (both are kept). The pragma
 * reads main only: the report is main's.
 *
 * On the caller's connection the pragma evaluates schema code with no limit
 * on what it calls (integrity_vet.c): it runs there only when all of it
 * passes the allow-list. Otherwise it runs on a read-only connection of its
 * own, where SQLite evaluates no CHECK and no application function exists;
 * the caller's connection is never reconfigured. integrity_check would still
 * evaluate a refused index key, predicate or generated column there, so full
 * mode falls back to quick_check, which rebuilds no index key. */
static int gather_integrity(dbc_ctx *ctx, const dbc_health_hooks *eng, dbc_health_mode mode,
                            dbc_health_fact *fact)
{
	sqldbc_integrity_vet vet;
	if (sqldbc_integrity_vet_schema(ctx, mode == DBC_HEALTH_FULL, &vet) != DBC_OK)
		return DBC_ERROR;
	const char *pragma =
	    mode == DBC_HEALTH_FULL && !vet.refused_key ? "integrity_check" : "quick_check";
	/* The PRAGMA statement, not the pragma_quick_check(N, 'main') function:
	 * SQLite 3.53 reads the function's arguments the other way round ("no
	 * such table: main.100"); the statement reads the same in every version. */
	char *sql = dbc_printf(ctx, "PRAGMA main.%s(%d)", pragma, INTEGRITY_LIMIT);
	integrity_rows ir = {fact, 0};
	char *refused = vet.refused, *not_run = NULL;
	if (!sql)
		return DBC_ERROR;
	int rc = refused ? sqldbc_integrity_elsewhere(ctx, ((sqldbc_conn *)eng->state)->db, sql,
	                                              on_integrity_row, &ir, &not_run)
	                 : ctx->host->query(ctx, sql, 0, NULL, on_integrity_row, &ir);
	if (rc == DBC_OK && not_run) {
		char *reason = dbc_printf(ctx, "PRAGMA %s not run: %s; this connection would evaluate %s",
		                          pragma, not_run, refused);
		if (!reason)
			return DBC_ERROR;
		dbc_health_skip(ctx, fact, reason, NULL);
		return DBC_OK;
	}
	if (refused && mode == DBC_HEALTH_FULL && vet.refused_key)
		fact->note =
		    dbc_printf(ctx,
		               "CHECK constraints not evaluated by PRAGMA %s: it ran on a read-only "
		               "connection of its own, since this connection would evaluate %s; "
		               "quick_check instead of integrity_check (it rebuilds no index key), "
		               "since integrity_check would evaluate even there %s",
		               pragma, refused, vet.refused_key);
	else if (refused)
		fact->note =
		    dbc_printf(ctx,
		               "CHECK constraints not evaluated by PRAGMA %s: it ran on a read-only "
		               "connection of its own, since this connection would evaluate %s",
		               pragma, refused);
	if (rc != DBC_OK) {
		if (strcmp(ctx->sqlstate, DBC_SQLSTATE_CANCELED) == 0 ||
		    strcmp(ctx->sqlstate, DBC_SQLSTATE_OUT_OF_MEMORY) == 0)
			return DBC_ERROR;
		char *msg = dbc_strdup(ctx, ctx->message ? ctx->message : "integrity check failed");
		dbc_error_clear(ctx);
		/* a lone "ok" before the error is no finding */
		if (fact->nobjects == 1 && strcmp(fact->objects[0].name, "ok") == 0)
			fact->nobjects = 0;
		return dbc_health_add_object(ctx, fact, NULL, msg, NULL, 1, NULL);
	}
	/* the pragma's limit: that many rows mean "at least that many" */
	fact->cap = INTEGRITY_LIMIT;
	/* a single "ok" row means no problem */
	if (fact->nobjects == 1 && strcmp(fact->objects[0].name, "ok") == 0)
		fact->nobjects = 0;
	/* integrity_check on this connection compared every unique index's
	 * entries: the constraint check need not count their keys again
	 * (dbc_check_options.keys_proven) */
	if (!refused && strcmp(pragma, "integrity_check") == 0 && eng->shared)
		eng->shared->keys_proven = indexes_verified(&ir);
	if (fact->nobjects == 0) {
		fact->value_text = dbc_strdup(ctx, "ok");
		fact->message = dbc_printf(ctx, "PRAGMA %s found no problem", pragma);
		return DBC_OK;
	}
	if (ir.rows >= INTEGRITY_LIMIT)
		fact->note = dbc_printf(ctx, "PRAGMA %s stops after %d%s%s", pragma, INTEGRITY_LIMIT,
		                        refused ? "; " : "", refused ? fact->note : "");
	return integrity_hint(ctx, eng, fact);
}

/* The first foreign key whose declaration is broken ("foreign key
 * mismatch"): "<name> of table <table>: <why>", or NULL. */
static char *first_fk_mismatch(dbc_ctx *ctx, const dbc_schema *s, int *count)
{
	char *first = NULL;
	*count = 0;
	for (int i = 0; i < s->ntables; i++) {
		const dbc_table *t = &s->tables[i];
		for (int k = 0; k < t->nconstraints; k++) {
			const dbc_constraint *con = &t->constraints[k];
			if (con->kind != DBC_CON_FOREIGN_KEY || !con->ref_table)
				continue;
			const char *why = dbc_check_fk_mismatch(ctx, s, t, con);
			if (why && (*count)++ == 0)
				first = dbc_printf(ctx, "%s of table %s", con->name, t->name);
		}
	}
	return first;
}

static int gather_fk_enforced(dbc_ctx *ctx, const dbc_health_hooks *eng, dbc_health_mode mode,
                              dbc_health_fact *fact)
{
	(void)mode;
	/* Each object: a declared foreign key (the count is of keys, not of the
	 * tables declaring them); the flag is this connection's pragma. */
	dbc_schema *s;
	bool on;
	if (dbc_health_schema(ctx, eng, &s) != DBC_OK ||
	    dbc_health_model_fks(ctx, s, fact, &on) != DBC_OK)
		return DBC_ERROR;
	if (fact->nobjects == 0) {
		dbc_health_skip(ctx, fact, "the schema declares no foreign key", NULL);
		return DBC_OK;
	}
	/* the pragma is this connection's: a report of the database (the
	 * command, serve) cannot know the application's */
	if (eng->scope == DBC_HEALTH_SCOPE_DATABASE) {
		fact->nobjects = 0;
		dbc_health_skip(ctx, fact,
		                "PRAGMA foreign_keys is set per connection, not stored in the file: a "
		                "report of the database cannot tell the application's connections' "
		                "(dbhealth_report() on the application's connection does)",
		                NULL);
		return DBC_OK;
	}
	if (on) {
		fact->nobjects = 0;
		fact->message = dbc_strdup(ctx, "PRAGMA foreign_keys is on");
		fact->value_text = dbc_strdup(ctx, "on");
	} else {
		/* Turning foreign keys on with a broken declaration would make every
		 * write to its table fail: the declaration is repaired first. */
		int broken;
		char *first = first_fk_mismatch(ctx, s, &broken);
		if (ctx->failed)
			return DBC_ERROR;
		if (broken)
			fact->hint = dbc_printf(
			    ctx,
			    "First repair %d broken foreign key declaration%s (foreign key mismatch, e.g. %s: "
			    "the parent key is not a primary key or unique index; SELECT * FROM "
			    "dbcheck_constraints() WHERE violations IS NULL says why): with PRAGMA "
			    "foreign_keys = ON SQLite refuses every write to %s. Then run PRAGMA "
			    "foreign_keys = ON on every connection.",
			    broken, broken == 1 ? "" : "s", first, broken == 1 ? "its table" : "their tables");
		else
			fact->hint = dbc_strdup(ctx, "Run PRAGMA foreign_keys = ON on every connection (it "
			                             "is off by default and not stored in the file).");
	}
	return DBC_OK;
}

static int gather_fragmentation(dbc_ctx *ctx, const dbc_health_hooks *eng, dbc_health_mode mode,
                                dbc_health_fact *fact)
{
	(void)eng, (void)mode;
	int64_t freelist = 0, pages = 0;
	dbc_health_fact tmp = {0};
	if (dbc_health_collect(
	        ctx, &tmp,
	        /* the last column: how the plan's repair of the
	         * file goes (auto_vacuum: 0 none, 1 full, 2 incremental) */
	        "SELECT NULL, 'main', NULL, f.freelist_count, p.page_count, "
	        "NULL, NULL, NULL, NULL, CASE a.auto_vacuum WHEN 2 THEN 'incremental' "
	        "WHEN 1 THEN 'full' ELSE 'none' END "
	        "FROM pragma_freelist_count f, pragma_page_count p, pragma_auto_vacuum a",
	        0, NULL) != DBC_OK)
		return DBC_ERROR;
	if (tmp.nobjects == 1) {
		freelist = (int64_t)tmp.objects[0].value;
		pages = tmp.objects[0].detail ? strtoll(tmp.objects[0].detail, NULL, 10) : 0;
	}
	double pct = pages > 0 ? 100.0 * (double)freelist / (double)pages : 0;
	/* A handful of free pages is normal churn; grade only a real freelist. */
	fact->value = freelist >= 64 ? pct : 0;
	/* The file is the object the plan repairs: its value is the graded one
	 * (the message below stays the report's). */
	if (dbc_health_add_object(ctx, fact, NULL, "main", NULL, fact->value, NULL) != DBC_OK)
		return DBC_ERROR;
	fact->objects[0].type = tmp.nobjects == 1 ? tmp.objects[0].type : NULL;
	fact->message = dbc_printf(ctx, "%lld of %lld pages are free (%.1f%%)%s", (long long)freelist,
	                           (long long)pages, pct,
	                           freelist >= 64 ? "" : "; fewer than 64 free pages are not graded");
	fact->hint = dbc_strdup(ctx, "Run VACUUM (or use auto_vacuum = incremental and PRAGMA "
	                             "incremental_vacuum).");
	return DBC_OK;
}

/* The catalog checks below (and tables_without_primary_key) decide from the
 * model the report reads once (core/health/health_model.c), not from pragma
 * joins of their own. */

/* A foreign key is supported when some full (non-partial) index of the child
 * has exactly its columns, in any order, as its leading columns; a single
 * column that is the INTEGER PRIMARY KEY is the rowid itself. */
static int gather_unindexed_fk(dbc_ctx *ctx, const dbc_health_hooks *eng, dbc_health_mode mode,
                               dbc_health_fact *fact)
{
	(void)mode;
	dbc_schema *s;
	if (dbc_health_schema(ctx, eng, &s) != DBC_OK)
		return DBC_ERROR;
	return dbc_health_model_unindexed_fk(ctx, s, true, fact);
}

/* Same table, same key columns with the same order, direction and collation,
 * neither partial nor on expressions: all but the one worth keeping (unique
 * before plain, constraint-owned before created, then by name) are duplicates. */
static int gather_duplicate_indexes(dbc_ctx *ctx, const dbc_health_hooks *eng, dbc_health_mode mode,
                                    dbc_health_fact *fact)
{
	(void)mode;
	dbc_schema *s;
	if (dbc_health_schema(ctx, eng, &s) != DBC_OK)
		return DBC_ERROR;
	return dbc_health_model_duplicate_indexes(ctx, s, fact);
}

static int on_stat_table(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	(void)ncol;
	dbc_strlist *l = arg;
	return c[0].type == DBC_TEXT ? dbc_strlist_add(ctx, l, c[0].s) : DBC_OK;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Only tables with an index and rows: without an index the planner has
 * nothing to choose, without rows nothing to count. */
static int gather_statistics(dbc_ctx *ctx, const dbc_health_hooks *eng, dbc_health_mode mode,
                             dbc_health_fact *fact)
{
	(void)mode;
	char *found = NULL;
	dbc_schema *s;
	dbc_strlist analysed = {0};
	if (dbc_query_text(
	        ctx, "SELECT 1 FROM main.sqlite_schema WHERE type = 'table' AND name = 'sqlite_stat1'",
	        0, NULL, &found, NULL) != DBC_OK ||
	    (found && ctx->host->query(ctx, "SELECT DISTINCT tbl FROM main.sqlite_stat1 ORDER BY tbl",
	                               0, NULL, on_stat_table, &analysed) != DBC_OK) ||
	    dbc_health_schema(ctx, eng, &s) != DBC_OK)
		return DBC_ERROR;
	bool *indexed = dbc_health_model_indexed(ctx, s);
	if (!indexed)
		return DBC_ERROR;
	for (int i = 0; i < s->ntables; i++) {
		const dbc_table *t = &s->tables[i];
		if (!indexed[i] || strcmp(t->kind, "table") != 0)
			continue;
		if (found && analysed.n > 0 &&
		    bsearch(&t->name, analysed.items, (size_t)analysed.n, sizeof(char *), cmp_name))
			continue;
		/* ANALYZE writes no sqlite_stat1 row for an empty table, and an
		 * empty table gives the planner nothing to misjudge: only tables
		 * with rows need statistics. */
		char *qn = dbc_quoted_name(ctx, "main", t->name);
		char *sql = qn ? dbc_printf(ctx, "SELECT 1 FROM %s LIMIT 1", qn) : NULL;
		char *has_rows = NULL;
		if (!sql || dbc_query_text(ctx, sql, 0, NULL, &has_rows, NULL) != DBC_OK)
			return DBC_ERROR;
		if (!has_rows)
			continue;
		if (dbc_health_add_object(ctx, fact, NULL, t->name, t->name, 0,
		                          found ? "no statistics" : "never analysed") != DBC_OK)
			return DBC_ERROR;
	}
	return DBC_OK;
}

static int gather_journal_mode(dbc_ctx *ctx, const dbc_health_hooks *eng, dbc_health_mode mode,
                               dbc_health_fact *fact)
{
	(void)eng, (void)mode;
	char *journal = NULL;
	if (dbc_query_text(ctx, "SELECT journal_mode FROM pragma_journal_mode", 0, NULL, &journal,
	                   NULL) != DBC_OK)
		return DBC_ERROR;
	fact->value_text = journal ? journal : dbc_strdup(ctx, "unknown");
	fact->message = dbc_printf(ctx, "journal_mode is %s", fact->value_text);
	return DBC_OK;
}

/* sequence_exhaustion: the AUTOINCREMENT counters (sqlite_sequence, made
 * with the first such table): a table's rowid never goes past 2^63-1, and
 * then every insert fails with "database or disk is full". */
static int gather_autoincrement(dbc_ctx *ctx, const dbc_health_hooks *eng, dbc_health_mode mode,
                                dbc_health_fact *fact)
{
	(void)eng, (void)mode;
	char *found = NULL;
	if (dbc_query_text(
	        ctx,
	        "SELECT 1 FROM main.sqlite_schema WHERE type = 'table' AND name = 'sqlite_sequence'", 0,
	        NULL, &found, NULL) != DBC_OK)
		return DBC_ERROR;
	if (!found)
		return DBC_OK;
	if (dbc_health_collect(
	        ctx, fact,
	        "SELECT NULL, name, name, 100.0 * seq / 9223372036854775807.0, "
	        "seq || ' of 9223372036854775807 (AUTOINCREMENT)' "
	        "FROM main.sqlite_sequence WHERE typeof(seq) = 'integer' ORDER BY 4 DESC",
	        0, NULL) != DBC_OK)
		return DBC_ERROR;
	fact->hint = dbc_strdup(ctx, "An AUTOINCREMENT table cannot take a rowid past 2^63-1: "
	                             "renumber its rows (and the keys that reference them), then "
	                             "lower its counter: UPDATE sqlite_sequence SET seq = (SELECT "
	                             "max(rowid) FROM t) WHERE name = 't'.");
	return ctx->failed ? DBC_ERROR : DBC_OK;
}

static int take_metrics(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *cols)
{
	dbc_health_metrics *m = arg;
	(void)ctx;
	if (ncol >= 3) {
		m->size_bytes = cols[0].type == DBC_INT ? cols[0].i : -1;
		m->tables = cols[1].type == DBC_INT ? cols[1].i : -1;
		m->indexes = cols[2].type == DBC_INT ? cols[2].i : -1;
	}
	return DBC_OK;
}

static int read_log_metrics(dbc_ctx *ctx, const dbc_health_hooks *eng, void *arg)
{
	(void)eng;
	return sqldbc_pitr_health_metrics(ctx, arg);
}

static int read_waiting_metrics(dbc_ctx *ctx, const dbc_health_hooks *eng, void *arg)
{
	(void)eng;
	return dbc_backup_waiting_metrics(ctx, &sqldbc_backup_hooks, arg);
}

static int metrics(dbc_ctx *ctx, const dbc_health_hooks *eng, dbc_health_metrics *m)
{
	/* the log's and the staged backups' numbers need the settings:
	 * unreadable (bookkeeping incomplete), they are left out and the rest
	 * still counts */
	bool read_ok;
	if (dbc_health_tolerant(ctx, eng, read_log_metrics, m, &read_ok, NULL) != DBC_OK ||
	    dbc_health_tolerant(ctx, eng, read_waiting_metrics, m, &read_ok, NULL) != DBC_OK)
		return DBC_ERROR;
	return ctx->host->query(
	    ctx,
	    "SELECT (SELECT page_count FROM pragma_page_count) * (SELECT page_size FROM "
	    "pragma_page_size), "
	    "(SELECT count(*) FROM sqlite_schema m WHERE " USER_TABLE(
	        "m") "), "
	             /* IN (a list built once), not a join: the join builds an automatic
	              * index per call (docs/benchmarks.md, "Figures behind code comments") */
	             "(SELECT count(*) FROM sqlite_schema i WHERE i.type = 'index' AND i.tbl_name IN "
	             " (SELECT m.name FROM sqlite_schema m WHERE " USER_TABLE("m") "))",
	    0, NULL, take_metrics, m);
}

static int take_table_size(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	if (ncol < 2 || c[0].type != DBC_TEXT || c[1].type != DBC_INT)
		return DBC_OK;
	return dbc_health_table_sizes_add(ctx, arg, NULL, c[0].s, -1, c[1].i);
}

static int take_count(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	(void)ctx;
	if (ncol >= 1 && c[0].type == DBC_INT)
		*(int64_t *)arg = c[0].i;
	return DBC_OK;
}

/* The largest tables with their indexes, from the dbstat table's
 * aggregate rows (one per b-tree; a build without dbstat records none),
 * and their rows counted: SQLite keeps no estimate that ANALYZE did not
 * write, and dbstat has read every page of the file already. */
static int table_sizes(dbc_ctx *ctx, const dbc_health_hooks *eng, int limit,
                       dbc_health_table_sizes *out)
{
	(void)eng;
	if (!sqldbc_compiled_with("ENABLE_DBSTAT_VTAB"))
		return DBC_OK;
	dbc_value p = dbc_int(limit);
	if (ctx->host->query(ctx,
	                     "SELECT m.name, sum(d.pgsize) FROM sqlite_schema m "
	                     "JOIN sqlite_schema s ON s.tbl_name = m.name "
	                     "JOIN dbstat('main', 1) d ON d.name = s.name WHERE " USER_TABLE(
	                         "m") " GROUP BY m.name ORDER BY 2 DESC, 1 LIMIT $1",
	                     1, &p, take_table_size, out) != DBC_OK)
		return DBC_ERROR;
	for (int i = 0; !out->sizes_only && i < out->n; i++) {
		char *q = dbc_printf(ctx, "SELECT count(*) FROM main.%s",
		                     ctx->host->quote_ident(ctx, out->items[i].name));
		if (!q || ctx->host->query(ctx, q, 0, NULL, take_count, &out->items[i].rows) != DBC_OK)
			return DBC_ERROR;
	}
	return DBC_OK;
}

static int gather_backups(dbc_ctx *ctx, const dbc_health_hooks *eng, dbc_health_mode mode,
                          dbc_health_fact *fact)
{
	(void)eng, (void)mode;
	return dbc_backup_health(ctx, &sqldbc_backup_hooks, fact);
}

/* SQLite's gatherers by check id; a check of the catalogue that applies to
 * SQLite and has no core gatherer needs one here (test/script/
 * sqlite_health_dispatch.sh proves every one is answered). */
static const dbc_health_gather_fn gatherers[DBC_HC_COUNT] = {
    [DBC_HC_INTEGRITY] = gather_integrity,
    [DBC_HC_FOREIGN_KEYS_ENFORCED] = gather_fk_enforced,
    [DBC_HC_TABLES_WITHOUT_PRIMARY_KEY] = dbc_health_gather_no_pk,
    [DBC_HC_UNINDEXED_FOREIGN_KEYS] = gather_unindexed_fk,
    [DBC_HC_DUPLICATE_INDEXES] = gather_duplicate_indexes,
    [DBC_HC_FRAGMENTATION] = gather_fragmentation,
    [DBC_HC_STATISTICS] = gather_statistics,
    [DBC_HC_SLOW_QUERIES] = sqldbc_monitor_fact,
    [DBC_HC_SEQUENCE_EXHAUSTION] = gather_autoincrement,
    [DBC_HC_JOURNAL_MODE] = gather_journal_mode,
    [DBC_HC_BACKUPS] = gather_backups,
    [DBC_HC_AUDIT] = sqldbc_audit_health,
    [DBC_HC_POINT_IN_TIME_LOG] = sqldbc_pitr_health,
};

/* Fills eng for a call on conn. */
static void fill_for_conn(dbc_health_hooks *eng, sqldbc_conn *conn)
{
	memset(eng, 0, sizeof(*eng));
	eng->engine_version = sqlite3_libversion();
	/* The file's name labels the report and its metrics, so a collector
	 * serving several files tells them apart (health.database_label
	 * overrides it); an in-memory or temporary database is "main". */
	const char *file = sqlite3_db_filename(conn->db, "main");
	const char *slash = file ? strrchr(file, '/') : NULL;
	eng->database = file && *file ? (slash && slash[1] ? slash + 1 : file) : "main";
	eng->state = conn;
	eng->gatherers = gatherers;
	eng->metrics = metrics;
	eng->table_sizes = table_sizes;
	eng->query_stats = sqldbc_monitor_query_stats;
	eng->retain = sqldbc_retain_hooks();
}

static void fill_hooks(dbc_ctx *ctx, dbc_health_hooks *eng)
{
	fill_for_conn(eng, sqldbc_call_conn(ctx));
}

void sqldbc_health_register(dbc_api_hooks *api)
{
	api->health = fill_hooks;
}
