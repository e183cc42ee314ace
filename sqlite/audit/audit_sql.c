/*
 * audit_sql.c — the SQL of SQLite's audit triggers (docs/audit.md). Each
 * audited table gets three AFTER triggers (insert, update, delete) that
 * write dbcare_audit_log. They are shared by every connection to the file,
 * with dbcare loaded or not, so they call only SQLite's built-in functions
 * (strftime, typeof, quote, hex: usable with trusted_schema = OFF): each
 * inserts the row into its operation's pending view, whose INSTEAD OF
 * trigger writes a pending entry (txid 0, or -1 for a hash-chained table)
 * whose key and values are in the pending form of audit_json.c. A
 * connection with dbcare completes it within the same statement
 * (audit_pending.c: its TEMP trigger on SQLDBC_AUDIT_WRITTEN); one without
 * leaves it for the next connection with dbcare. The triggers list the table's columns: a column
 * added later is not recorded until dbaudit_refresh (the health check "audit" reports such tables).
 * The baseline, which only dbcare runs, writes finished entries with dbcare's JSON builders.
 */
#include "audit_sql.h"

#include <stdlib.h>
#include <string.h>

/* Pairs (triples) per call of dbaudit_json (dbaudit_json_changed): within
 * SQLite's default limit of 127 arguments; wider rows nest calls. */
#define PAIRS_PER_CALL   60
#define TRIPLES_PER_CALL 40

/* The columns of cols as a JSON object of row's values; with other, only
 * those whose value differs from other's (row's side: new_side). With
 * hash_table (a table's literal; other NULL), the row hash of that table
 * and that object as a key instead (dbaudit_row_hash's pairs form: the key
 * is not built twice). */
static char *object_of_(dbc_ctx *ctx, const dbc_strlist *cols, const char *row, const char *other,
                        bool new_side, const char *hash_table)
{
	const dbc_host *h = ctx->host;
	int per_call = other ? TRIPLES_PER_CALL : PAIRS_PER_CALL;
	char *sql = dbc_strdup(ctx, "NULL");
	if (hash_table && cols->n == 0)
		return dbc_printf(ctx, "dbaudit_row_hash(%s, dbaudit_json(NULL))", hash_table);
	for (int start = 0; sql && (start == 0 || start < cols->n); start += per_call) {
		dbc_buf b;
		dbc_buf_init(&b, ctx);
		if (other)
			dbc_buf_appendf(&b, "dbaudit_json_changed(%s, %d", sql, new_side ? 1 : 0);
		else if (hash_table && start + per_call >= cols->n)
			dbc_buf_appendf(&b, "dbaudit_row_hash(%s, %s", hash_table, sql);
		else
			dbc_buf_appendf(&b, "dbaudit_json(%s", sql);
		for (int i = start; i < cols->n && i < start + per_call; i++) {
			char *name = h->quote_literal(ctx, cols->items[i]);
			char *q = h->quote_ident(ctx, cols->items[i]);
			if (!name || !q)
				return NULL;
			if (other)
				dbc_buf_appendf(&b, ", %s, %s.%s, %s.%s", name, new_side ? other : row, q,
				                new_side ? row : other, q);
			else
				dbc_buf_appendf(&b, ", %s, %s.%s", name, row, q);
		}
		dbc_buf_append(&b, ")");
		sql = dbc_buf_finish(&b);
	}
	return sql;
}

static char *object_of(dbc_ctx *ctx, const dbc_strlist *cols, const char *row, const char *other,
                       bool new_side)
{
	return object_of_(ctx, cols, row, other, new_side, NULL);
}

/* The statement building both sides' objects of the changed columns of
 * cols in one call, each kept for the dbaudit_json_kept(side) of
 * old_values and new_values in the INSERT after it (audit_json.c; at most
 * TRIPLES_PER_CALL columns). */
static char *changes_of(dbc_ctx *ctx, const dbc_strlist *cols)
{
	const dbc_host *h = ctx->host;
	dbc_buf b;
	dbc_buf_init(&b, ctx);
	dbc_buf_append(&b, " SELECT dbaudit_json_changes(");
	for (int i = 0; i < cols->n; i++) {
		char *name = h->quote_literal(ctx, cols->items[i]);
		char *q = h->quote_ident(ctx, cols->items[i]);
		if (!name || !q)
			return NULL;
		dbc_buf_appendf(&b, "%s%s, OLD.%s, NEW.%s", i ? ", " : "", name, q, q);
	}
	dbc_buf_append(&b, ");");
	return dbc_buf_finish(&b);
}

/* Columns per printf() call of a pending object: within SQLite's default
 * limit of 127 arguments to a function (two a column, and the format). */
#define PENDING_PER_GROUP 100
#define PENDING_PER_CALL  60

/* One value in the pending form (audit_json.c): the first letter of its
 * type (i, r, t, b, n), which the printf format takes from typeof() with
 * %.1s, and quote() of it (the integer, the exact real, NULL), or the hex
 * of a text or a blob (quote() stops at a NUL byte, hex keeps a UTF-16
 * file's text as it is, and a blob's bare hex is the form every older
 * dbcare reads: one loaded again on the file completes these entries, and
 * read X'hex' as that text). Kept small: SQLite compiles the pending view's
 * trigger into every statement writing the table, even on a connection
 * with dbcare that never runs it, copying each expression node with an
 * allocation of its own, so its nodes are paid at each prepare (the sqlite3
 * shell prepares every statement it runs). "Text or blob" is the value
 * compared with '' (bookkeeping 23): SQLite orders every NULL, number,
 * text and blob in that order, and the view's columns have no affinity or
 * collation to convert the value, so it holds for exactly the texts and
 * blobs (NULL gives NULL: quote()); five nodes where typeof() IN ('text',
 * 'blob') took nine. */
#define PENDING_FORMAT ":%.1s%s"
#define PENDING_VALUE  "typeof(%1$s), CASE WHEN %1$s >= '' THEN hex(%1$s) ELSE quote(%1$s) END"
/* The same of the rowid's column, which holds integers only: the same text,
 * one operand. */
#define PENDING_ROWID_FORMAT ":i%s"
#define PENDING_ROWID        "%1$s"

/* Whether column is the table's rowid column (rowid: its name, or NULL). */
static bool is_rowid(const char *column, const char *rowid)
{
	return rowid && sqlite3_stricmp(column, rowid) == 0;
}

/* Where a pending view's trigger reads a recorded column: its row's NEW.n3
 * (the written row's side) or NEW.o3 (the old side), numbered by the
 * column's place among the recorded ones (full). */
typedef struct view_side {
	const dbc_strlist *full;
	char side; /* 'n' or 'o' */
} view_side;

static char *view_ref(dbc_ctx *ctx, const view_side *v, const char *column)
{
	int i = dbc_strlist_find(v->full, column);
	return i >= 0 ? dbc_printf(ctx, "NEW.%c%d", v->side, i + 1) : NULL;
}

/* The columns of cols of one side of the pending view's row in the
 * pending form; mode 'P' every column, 'C' every column to be kept where
 * it differs from the other side's. The object is one printf() per PENDING_PER_CALL columns, whose
 * format holds the names: SQLite copies each operand of || into a new
 * string, so a chain of || per column copied the object over and over (a
 * fifth of an audited INSERT's instructions, docs/benchmarks.md); printf
 * writes it once. The text is the same either way. */
static char *pending_of(dbc_ctx *ctx, const dbc_strlist *cols, const view_side *row, char mode,
                        const char *rowid)
{
	dbc_buf b;
	dbc_buf_init(&b, ctx);
	if (cols->n == 0)
		dbc_buf_appendf(&b, "'%c{}'", mode);
	for (int start = 0; start < cols->n; start += PENDING_PER_CALL) {
		dbc_buf fmt, args;
		dbc_buf_init(&fmt, ctx);
		dbc_buf_init(&args, ctx);
		if (start == 0)
			dbc_buf_appendf(&fmt, "%c{", mode);
		for (int i = start; i < cols->n && i < start + PENDING_PER_CALL; i++) {
			char *json = sqldbc_audit_json_name(cols->items[i]);
			if (!json)
				return NULL;
			if (i)
				dbc_buf_append(&fmt, ",");
			for (const char *c = json; *c; c++) /* printf's format: % doubled */
				dbc_buf_append(&fmt, *c == '%' ? "%%" : (char[]){*c, 0});
			sqlite3_free(json);
			bool rowid_col = is_rowid(cols->items[i], rowid);
			dbc_buf_append(&fmt, rowid_col ? PENDING_ROWID_FORMAT : PENDING_FORMAT);
			char *ref = view_ref(ctx, row, cols->items[i]);
			if (!ref)
				return NULL;
			dbc_buf_append(&args, ", ");
			dbc_buf_appendf(&args, rowid_col ? PENDING_ROWID : PENDING_VALUE, ref);
		}
		if (start + PENDING_PER_CALL >= cols->n)
			dbc_buf_append(&fmt, "}");
		char *f = dbc_buf_finish(&fmt), *a = dbc_buf_finish(&args);
		char *lit = f ? ctx->host->quote_literal(ctx, f) : NULL;
		if (!lit || !a)
			return NULL;
		dbc_buf_appendf(&b, "%sprintf(%s%s)", start ? " || " : "", lit, a);
	}
	return dbc_buf_finish(&b);
}

/* A key: when every value is an integer (an INTEGER PRIMARY KEY always is),
 * the final JSON dbaudit_json writes, so a reader of a read-only file finds
 * the entry by its key while it is pending; else the pending form. The
 * rowid's column needs no test (a key of it alone is that JSON outright:
 * the shared trigger's body is compiled into every statement writing the
 * table, audit_sql.c's PENDING_VALUE). */
static char *pending_key(dbc_ctx *ctx, const dbc_strlist *cols, const view_side *row,
                         const char *rowid)
{
	const dbc_host *h = ctx->host;
	char *pending = pending_of(ctx, cols, row, 'P', rowid);
	if (!pending || cols->n == 0 || cols->n > PENDING_PER_GROUP)
		return pending;
	dbc_buf when, fmt, args;
	dbc_buf_init(&when, ctx);
	dbc_buf_init(&fmt, ctx);
	dbc_buf_init(&args, ctx);
	dbc_buf_append(&fmt, "{");
	for (int i = 0; i < cols->n; i++) {
		char *name = sqldbc_audit_json_name(cols->items[i]);
		char *ref = view_ref(ctx, row, cols->items[i]);
		if (!name || !ref) {
			sqlite3_free(name);
			return NULL;
		}
		if (i)
			dbc_buf_append(&fmt, ",");
		for (const char *c = name; *c; c++) /* printf's format: % doubled */
			dbc_buf_append(&fmt, *c == '%' ? "%%" : (char[]){*c, 0});
		sqlite3_free(name);
		dbc_buf_append(&fmt, ":%s");
		if (!is_rowid(cols->items[i], rowid))
			dbc_buf_appendf(&when, "%stypeof(%s) = 'integer'", when.len ? " AND " : "", ref);
		dbc_buf_appendf(&args, ", %s", ref);
	}
	dbc_buf_append(&fmt, "}");
	bool tested = when.len > 0;
	char *w = dbc_buf_finish(&when), *f = dbc_buf_finish(&fmt), *a = dbc_buf_finish(&args);
	char *lit = f ? h->quote_literal(ctx, f) : NULL;
	/* every value an integer: printf's %s writes its decimal, as dbaudit_json does */
	char *j = lit && a ? dbc_printf(ctx, "printf(%s%s)", lit, a) : NULL;
	if (w && j && !tested)
		return j;
	return w && j ? dbc_printf(ctx, "CASE WHEN %s THEN %s ELSE %s END", w, j, pending) : NULL;
}

/* The recorded columns, in table order (full: with the key columns). */
static int recorded(dbc_ctx *ctx, const dbc_audit_target *t, const dbc_audit_options *o,
                    bool with_key, dbc_strlist *out)
{
	memset(out, 0, sizeof(*out));
	for (int i = 0; i < t->columns.n; i++) {
		const char *c = t->columns.items[i];
		if ((dbc_audit_records(o, c) || (with_key && dbc_strlist_find(&o->key, c) >= 0)) &&
		    dbc_strlist_add(ctx, out, c) != DBC_OK)
			return DBC_ERROR;
	}
	return DBC_OK;
}

/* A chained entry's hash, set once the entry is complete: the previous
 * hash is the chain head's (dbcare_audit_chain, which the log's own trigger
 * moves when an entry gets its hash: sqlite/book/bookkeeping.c). SQLite has one
 * writer at a time, and pending entries are completed in id order before
 * any later one (audit_pending.c), so entries link in id order. Linking to
 * the head, not to the newest entry left, keeps deleted newest entries
 * visible: the next entry links to a hash no entry has any more. */
#define HEAD_HASH "(SELECT c.last_hash FROM main.dbcare_audit_chain AS c WHERE c.chain = '')"
#define LINK_SET                                                                                   \
	"UPDATE main.dbcare_audit_log SET prev_hash = " HEAD_HASH ", hash = dbaudit_hash(" HEAD_HASH   \
	", at, txid, db_user, actor, operation, table_name, key, old_values, new_values)"

const char *sqldbc_audit_link_sql(void)
{
	return LINK_SET " WHERE id = $1";
}

/* The pending entry: the time as dbaudit_now() writes it (SQLite's 'now'
 * is the same for every row of a statement), no transaction id or actor
 * yet. */
static char *insert_entry(dbc_ctx *ctx, const dbc_audit_options *o, const char *table_lit,
                          const char *op, const char *key, const char *old, const char *new)
{
	return dbc_printf(
	    ctx,
	    "INSERT INTO dbcare_audit_log (at, txid, operation, table_name, key,"
	    " old_values, new_values) VALUES (strftime('%%Y-%%m-%%dT%%H:%%M:%%fZ', 'now'),"
	    " %d, '%s', %s, %s, %s, %s)",
	    o->hash_chain ? SQLDBC_AUDIT_PENDING_CHAINED : SQLDBC_AUDIT_PENDING, op, table_lit, key,
	    old ? old : "NULL", new ? new : "NULL");
}

char *sqldbc_audit_trigger_name(dbc_ctx *ctx, const char *table, const char *op)
{
	char *name = dbc_printf(ctx, "dbcare_audit_%s_%s", op, table);
	return name ? ctx->host->quote_ident(ctx, name) : NULL;
}

/* The pending view of a table's operation op: what its shared trigger
 * inserts the row into (quoted; the view's INSTEAD OF trigger has its
 * name). */
char *sqldbc_audit_pending_view(dbc_ctx *ctx, const char *table, const char *op)
{
	char *name = dbc_printf(ctx, SQLDBC_AUDIT_PENDING_VIEW "%s_%s", op, table);
	return name ? ctx->host->quote_ident(ctx, name) : NULL;
}

/* One operation's triggers: the shared one writing a pending entry and the
 * TEMP one of a connection with dbcare writing the same entry finished
 * (audit_direct.c). */
typedef struct audit_op {
	const char *op, *event;
	const char *sides;     /* the pending view's sides: "n" new, "o" old, "on" both */
	char *cond;            /* an update's "a recorded column changed"; NULL: none */
	char *pending;         /* the pending view's INSERT of the pending entry */
	char *key, *old, *new; /* the finished entry's JSON expressions ("NULL": none) */
	char *row_hash;        /* the finished entry's row hash expression (dbaudit_row_hash) */
	char *ahead;           /* a statement the TEMP trigger runs before its INSERT; NULL: none */
} audit_op;

/* The pending view of one operation and its INSTEAD OF trigger, which
 * writes the pending entry. The shared trigger on the table only inserts
 * the row's recorded columns into the view (n1.. of the new side, o1..
 * of the old): SQLite allocates and clears the registers of a trigger
 * program that fires (at each execution of the writing statement) before
 * it tests the trigger's WHEN, and those of a nested program only when it
 * runs, so a connection with dbcare, whose TEMP trigger writes the row and
 * whose shared trigger skips it, pays for the small outer program alone,
 * not for the pending entry's expressions (the commit that made the views
 * has the figures). Once
 * written, the entry's id goes into SQLDBC_AUDIT_WRITTEN, where a
 * connection with dbcare completes it (audit_pending.c). The view holds
 * no row; its name is the table's name as the triggers were made for, so
 * a renamed table's triggers keep finding it. */
static char *pending_view(dbc_ctx *ctx, const char *table, const dbc_strlist *full,
                          const audit_op *p)
{
	char *view = sqldbc_audit_pending_view(ctx, table, p->op);
	if (!view)
		return NULL;
	dbc_buf cols, nulls;
	dbc_buf_init(&cols, ctx);
	dbc_buf_init(&nulls, ctx);
	for (const char *side = p->sides; *side; side++)
		for (int i = 0; i < full->n; i++) {
			dbc_buf_appendf(&cols, "%s%c%d", cols.len ? ", " : "", *side, i + 1);
			dbc_buf_append(&nulls, nulls.len ? ", NULL" : "NULL");
		}
	char *c = dbc_buf_finish(&cols), *n = dbc_buf_finish(&nulls);
	return c && n ? dbc_printf(ctx,
	                           "DROP VIEW IF EXISTS main.%1$s;"
	                           " CREATE VIEW main.%1$s (%2$s) AS SELECT %3$s WHERE 0;"
	                           " CREATE TRIGGER main.%1$s INSTEAD OF INSERT ON %1$s BEGIN %4$s;"
	                           " INSERT INTO " SQLDBC_AUDIT_WRITTEN
	                           " (id) VALUES (last_insert_rowid()); END;",
	                           view, c, n, p->pending)
	              : NULL;
}

/* The shared trigger's body: the row's recorded columns into the pending
 * view, in the view's order. */
static char *pending_insert(dbc_ctx *ctx, const char *table, const dbc_strlist *full,
                            const audit_op *p)
{
	char *view = sqldbc_audit_pending_view(ctx, table, p->op);
	if (!view)
		return NULL;
	dbc_buf b;
	dbc_buf_init(&b, ctx);
	dbc_buf_appendf(&b, "INSERT INTO %s VALUES (", view);
	bool first = true;
	for (const char *side = p->sides; *side; side++)
		for (int i = 0; i < full->n; i++) {
			char *q = ctx->host->quote_ident(ctx, full->items[i]);
			if (!q)
				return NULL;
			dbc_buf_appendf(&b, "%s%s.%s", first ? "" : ", ", *side == 'o' ? "OLD" : "NEW", q);
			first = false;
		}
	dbc_buf_append(&b, ")");
	return dbc_buf_finish(&b);
}

/* The shared trigger of one operation with its pending view, and its
 * token. Its WHEN lets a connection with dbcare skip it:
 * sqlite_compileoption_used is a built-in (allowed with trusted_schema =
 * OFF) which such a connection overrides (audit_direct.c). The token is
 * the 64-bit FNV-1a hash of the trigger's and the view's text without it,
 * in hex: the TEMP trigger made from the same table and options carries
 * the same token, one made from anything else (other options, columns
 * changed since, another dbcare) does not. Not a cryptographic hash:
 * whoever can write the file can drop the trigger anyway; every connection
 * computes it when it loads dbcare, cheaply. A SQLite built without its
 * compile-option functions gets no WHEN and no token. An update's "a
 * recorded column changed" comes after the skip, in the shared trigger and
 * its TEMP twin alike (direct_trigger): the twin counts every row it is
 * asked about and the shared trigger takes that count at once, whether or
 * not a column changed, so a connection with dbcare never compares the
 * columns a second time (each comparison copies both sides' values out of
 * the row's trigger frame). */
static char *shared_trigger(dbc_ctx *ctx, const char *table, const char *qtable,
                            const dbc_strlist *full, const audit_op *p,
                            char token[SQLDBC_AUDIT_TOKEN_LEN + 1])
{
	char *name = sqldbc_audit_trigger_name(ctx, table, p->op);
	char *view = pending_view(ctx, table, full, p);
	char *body = pending_insert(ctx, table, full, p);
	if (!name || !view || !body)
		return NULL;
	token[0] = 0;
	if (!sqldbc_audit_can_skip())
		return dbc_printf(ctx, "%s CREATE TRIGGER main.%s AFTER %s ON %s%s%s BEGIN %s; END;", view,
		                  name, p->event, qtable, p->cond ? " WHEN " : "", p->cond ? p->cond : "",
		                  body);
	const char *fmt = "%s CREATE TRIGGER main.%s AFTER %s ON %s WHEN"
	                  " NOT sqlite_compileoption_used('" SQLDBC_AUDIT_DIRECT_PREFIX "%s')%s%s"
	                  " BEGIN %s; END;";
	const char *cond = p->cond ? p->cond : "", *and = p->cond ? " AND " : "";
	char *bare = dbc_printf(ctx, fmt, view, name, p->event, qtable, "", and, cond, body);
	if (!bare)
		return NULL;
	uint64_t h = 14695981039346656037u; /* FNV-1a, 64 bits */
	for (const unsigned char *c = (const unsigned char *)bare; *c; c++)
		h = (h ^ *c) * 1099511628211u;
	sqlite3_snprintf(SQLDBC_AUDIT_TOKEN_LEN + 1, token, "%016llx", (unsigned long long)h);
	return dbc_printf(ctx, fmt, view, name, p->event, qtable, token, and, cond, body);
}

/* The link of the entry the TEMP trigger just inserted, with the same head
 * and hashes as LINK_SET. A trigger that runs under a foreign-key action
 * (ON DELETE SET NULL or CASCADE into an audited table, with foreign_keys
 * on) runs every statement below it with ABORT for conflicts, so the head
 * trigger's INSERT OR REPLACE would fail on the head row: the link is set
 * in two steps around taking that row away (when it is not ahead of this
 * entry), and the head trigger then inserts it anew. Within a trigger,
 * last_insert_rowid() is the row the trigger inserted last (the chain
 * head's trigger inserts within its own, which gives it back). */
#define LINK_LAST                                                                                  \
	" UPDATE dbcare_audit_log SET prev_hash = " HEAD_HASH " WHERE id = last_insert_rowid();"       \
	" DELETE FROM dbcare_audit_chain WHERE chain = ''"                                             \
	"  AND coalesce(last_id, 0) <= last_insert_rowid();"                                           \
	" UPDATE dbcare_audit_log SET hash = dbaudit_hash(prev_hash, at, txid, db_user, actor,"        \
	"  operation, table_name, key, old_values, new_values) WHERE id = last_insert_rowid();"

/* The TEMP trigger of one operation: fires when dbaudit_direct() finds the
 * token among the shared triggers (and counts it, so the shared trigger
 * skips the row), which first completes what connections without dbcare
 * left pending (entries keep the order of the writes; it looks for them
 * only when some may have appeared: audit_direct.c), then writes the
 * finished entry (and links it, chained); an update's changed columns
 * in one call are built by a statement of their own ahead of the INSERT
 * (p->ahead), which then takes each side in whatever order it computes its
 * values (audit_json.c). */
static char *direct_trigger(dbc_ctx *ctx, const char *table, const char *qtable, const char *lit,
                            const dbc_audit_options *o, const audit_op *p, const char *when)
{
	char *raw = dbc_printf(ctx, "dbcare_direct_%s_%s", p->op, table);
	char *name = raw ? ctx->host->quote_ident(ctx, raw) : NULL;
	if (!name)
		return NULL;
	return dbc_printf(
	    ctx,
	    "CREATE TEMP TRIGGER %s AFTER %s ON main.%s WHEN %s%s%s BEGIN"
	    "%s INSERT INTO dbcare_audit_log (at, txid, actor, operation, table_name, key, old_values,"
	    "  new_values, row_hash) VALUES (dbaudit_now(), dbaudit_txid(), dbaudit_actor(), '%s',"
	    "  %s, %s, %s, %s, %s);%s END;",
	    name, p->event, qtable, when, p->cond ? " AND " : "", p->cond ? p->cond : "",
	    p->ahead ? p->ahead : "", p->op, lit, p->key, p->old, p->new, p->row_hash,
	    o->hash_chain ? LINK_LAST : "");
}

/* The names of cols as JSON with their colon ("id":), in one text (*text,
 * dbc_printf'd: each name ends in a NUL), and the bytes of all with their
 * NULs (*bytes); false when out of memory. */
static bool json_names(dbc_ctx *ctx, const dbc_strlist *cols, char **text, size_t *bytes)
{
	dbc_buf b;
	dbc_buf_init(&b, ctx);
	for (int i = 0; i < cols->n; i++) {
		char *json = sqldbc_audit_json_name(cols->items[i]);
		if (!json)
			return false;
		dbc_buf_appendf(&b, "%s:", json);
		dbc_buf_appendn(&b, "", 1);
		sqlite3_free(json);
	}
	*bytes = b.len;
	*text = dbc_buf_finish(&b);
	return *text != NULL;
}

/* The entry of an insert's or delete's TEMP trigger (audit_sql.h,
 * sqldbc_audit_entry) for the shared trigger of token: the row's recorded
 * columns full, the key o->key among them, in one sqlite3_malloc'd
 * allocation. NULL: out of memory, or a key column not among them. */
static sqldbc_audit_entry *entry_of(dbc_ctx *ctx, const char *table, const dbc_strlist *full,
                                    const dbc_strlist *key, uint64_t token)
{
	size_t table_len = strlen(table), names_len;
	char *names;
	if (!json_names(ctx, full, &names, &names_len))
		return NULL;
	size_t size = sizeof(sqldbc_audit_entry) + sizeof(char *) * (size_t)full->n +
	              sizeof(uint32_t) * (size_t)full->n + sizeof(int) * (size_t)key->n + names_len +
	              table_len + 1;
	sqldbc_audit_entry *e = sqlite3_malloc64(size);
	if (!e)
		return NULL;
	const char **name_at = (const char **)(void *)(e + 1);
	uint32_t *name_len = (uint32_t *)(void *)(name_at + full->n);
	int *key_at = (int *)(void *)(name_len + full->n);
	char *text = (char *)(key_at + key->n);
	*e = (sqldbc_audit_entry){.token = token,
	                          .table = text,
	                          .table_len = (uint32_t)table_len,
	                          .n = full->n,
	                          .nkey = key->n,
	                          .names = name_at,
	                          .name_len = name_len,
	                          .key_at = key_at};
	memcpy(text, table, table_len + 1);
	text += table_len + 1;
	memcpy(text, names, names_len);
	for (int i = 0; i < full->n; i++) {
		name_at[i] = text;
		name_len[i] = (uint32_t)strlen(text);
		text += name_len[i] + 1;
	}
	for (int k = 0; k < key->n; k++) {
		if ((key_at[k] = dbc_strlist_find(full, key->items[k])) < 0) {
			sqlite3_free(e);
			return NULL;
		}
	}
	return e;
}

/* An insert's or delete's TEMP trigger in the entry's form (audit_sql.h,
 * sqldbc_audit_entry): its WHEN (*when) the trigger's own
 * dbcare_direct_TOKEN(value, ...), made on the connection, which builds
 * the entry from the row's recorded columns when the trigger writes the
 * row, and *p's key, values and row hash the calls handing them out. The
 * row is passed once, not to three builders each with its names as
 * constants, so the trigger program holds only the registers its INSERT
 * needs and the row's values (the commit that made this form has the
 * figures). False: the trigger keeps dbaudit_direct and dbaudit_json (a
 * row wider than one call takes, or the function could not be made). */
static bool entry_form(dbc_ctx *ctx, const dbc_audit_target *t, const dbc_audit_options *o,
                       const dbc_strlist *full, const char *token, sqldbc_audit_entry_maker make,
                       audit_op *p, char **when)
{
	sqldbc_conn *conn = sqldbc_call_conn(ctx);
	bool insert = strcmp(p->op, "insert") == 0;
	if ((!insert && strcmp(p->op, "delete") != 0) || !conn || !make ||
	    full->n > sqlite3_limit(conn->db, SQLITE_LIMIT_FUNCTION_ARG, -1))
		return false;
	dbc_buf args;
	dbc_buf_init(&args, ctx);
	for (int i = 0; i < full->n; i++) {
		char *q = ctx->host->quote_ident(ctx, full->items[i]);
		if (!q)
			return false;
		dbc_buf_appendf(&args, "%s%s.%s", i ? ", " : "", insert ? "NEW" : "OLD", q);
	}
	char *a = dbc_buf_finish(&args);
	sqldbc_audit_entry *e =
	    a ? entry_of(ctx, t->name, full, &o->key, strtoull(token, NULL, 16)) : NULL;
	char name[SQLDBC_AUDIT_ENTRY_FN_LEN + 1];
	if (!e || !make(conn, e, name) || !(*when = dbc_printf(ctx, "%s(%s)", name, a)))
		return false;
	p->key = "dbaudit_entry_key()";
	p->row_hash = "dbaudit_entry_row_hash()";
	p->new = insert ? "dbaudit_entry_values()" : "NULL";
	p->old = insert ? "NULL" : "dbaudit_entry_values()";
	return true;
}

/* The operations the table's triggers record as o says (*n of them), and
 * the recorded columns (*full: the pending views' columns). */
static int audit_ops(dbc_ctx *ctx, const dbc_audit_target *t, const dbc_audit_options *o,
                     const char *lit, audit_op ops[3], int *n, dbc_strlist *full_out)
{
	const dbc_host *h = ctx->host;
	dbc_strlist full, changed;
	if (recorded(ctx, t, o, true, &full) != DBC_OK ||
	    recorded(ctx, t, o, false, &changed) != DBC_OK)
		return DBC_ERROR;
	*full_out = full;
	/* the pending view's row: the written row's side and the old one */
	const view_side new_side = {full_out, 'n'}, old_side = {full_out, 'o'};
	char *key_new = pending_key(ctx, &o->key, &new_side, t->rowid_column);
	char *key_old = pending_key(ctx, &o->key, &old_side, t->rowid_column);
	char *row_new = pending_of(ctx, full_out, &new_side, 'P', t->rowid_column);
	char *hash_new = object_of_(ctx, &o->key, "NEW", NULL, true, lit);
	char *hash_old = object_of_(ctx, &o->key, "OLD", NULL, true, lit);
	char *row_old = pending_of(ctx, full_out, &old_side, 'P', t->rowid_column);
	if (!key_new || !key_old || !row_new || !row_old || !hash_new || !hash_old)
		return DBC_ERROR;
	*n = 0;
	ops[(*n)++] = (audit_op){"insert",
	                         "INSERT",
	                         "n",
	                         NULL,
	                         insert_entry(ctx, o, lit, "insert", key_new, NULL, row_new),
	                         object_of(ctx, &o->key, "NEW", NULL, true),
	                         "NULL",
	                         object_of(ctx, &full, "NEW", NULL, true),
	                         hash_new,
	                         NULL};
	if (o->full_updates) {
		ops[(*n)++] = (audit_op){"update",
		                         "UPDATE",
		                         "on",
		                         NULL,
		                         insert_entry(ctx, o, lit, "update", key_new, row_old, row_new),
		                         object_of(ctx, &o->key, "NEW", NULL, true),
		                         object_of(ctx, &full, "OLD", NULL, true),
		                         object_of(ctx, &full, "NEW", NULL, true),
		                         hash_new,
		                         NULL};
	} else if (changed.n > 0) {
		/* only when a recorded column changed; only the changed ones (the
		 * pending form keeps them all, completion drops the equal ones) */
		char *old_vals = pending_of(ctx, &changed, &old_side, 'C', t->rowid_column);
		char *new_vals = pending_of(ctx, &changed, &new_side, 'C', t->rowid_column);
		if (!old_vals || !new_vals)
			return DBC_ERROR;
		dbc_buf cond;
		dbc_buf_init(&cond, ctx);
		dbc_buf_append(&cond, "(");
		for (int i = 0; i < changed.n; i++) {
			char *q = h->quote_ident(ctx, changed.items[i]);
			if (!q)
				return DBC_ERROR;
			dbc_buf_appendf(&cond, "%sOLD.%s IS NOT NEW.%s", i ? " OR " : "", q, q);
		}
		dbc_buf_append(&cond, ")");
		bool one_call = changed.n <= TRIPLES_PER_CALL;
		/* in one call: built ahead of the INSERT, which then takes each
		 * side whatever order it computes its values in (audit_json.c) */
		ops[(*n)++] = (audit_op){"update",
		                         "UPDATE",
		                         "on",
		                         dbc_buf_finish(&cond),
		                         insert_entry(ctx, o, lit, "update", key_new, old_vals, new_vals),
		                         object_of(ctx, &o->key, "NEW", NULL, true),
		                         one_call ? dbc_strdup(ctx, "dbaudit_json_kept(0)")
		                                  : object_of(ctx, &changed, "OLD", "NEW", false),
		                         one_call ? dbc_strdup(ctx, "dbaudit_json_kept(1)")
		                                  : object_of(ctx, &changed, "NEW", "OLD", true),
		                         hash_new,
		                         one_call ? changes_of(ctx, &changed) : NULL};
		if (!ops[*n - 1].cond || (one_call && !ops[*n - 1].ahead))
			return DBC_ERROR;
	}
	ops[(*n)++] = (audit_op){"delete",
	                         "DELETE",
	                         "o",
	                         NULL,
	                         insert_entry(ctx, o, lit, "delete", key_old, row_old, NULL),
	                         object_of(ctx, &o->key, "OLD", NULL, true),
	                         object_of(ctx, &full, "OLD", NULL, true),
	                         "NULL",
	                         hash_old,
	                         NULL};
	for (int i = 0; i < *n; i++)
		if (!ops[i].pending || !ops[i].key || !ops[i].old || !ops[i].new || !ops[i].row_hash)
			return DBC_ERROR;
	return DBC_OK;
}

/* The table's shared triggers (direct false) or this connection's TEMP
 * ones (direct true: none on a SQLite that cannot skip the shared ones). */
static int triggers_sql(dbc_ctx *ctx, const dbc_audit_target *t, const dbc_audit_options *o,
                        bool direct, sqldbc_audit_entry_maker make, char **out)
{
	char *qtable = ctx->host->quote_ident(ctx, t->name);
	char *lit = ctx->host->quote_literal(ctx, t->name);
	audit_op ops[3];
	dbc_strlist full;
	int n;
	if (!qtable || !lit || audit_ops(ctx, t, o, lit, ops, &n, &full) != DBC_OK)
		return DBC_ERROR;
	dbc_buf b;
	dbc_buf_init(&b, ctx);
	if (!direct)
		dbc_buf_append(&b, SQLDBC_AUDIT_WRITTEN_SQL ";");
	for (int i = 0; i < n; i++) {
		char token[SQLDBC_AUDIT_TOKEN_LEN + 1];
		char *shared = shared_trigger(ctx, t->name, qtable, &full, &ops[i], token);
		if (!shared)
			return DBC_ERROR;
		if (!direct) {
			dbc_buf_append(&b, shared);
		} else if (token[0]) {
			char *when = NULL;
			if (!entry_form(ctx, t, o, &full, token, make, &ops[i], &when))
				when = dbc_printf(ctx, "dbaudit_direct('%s')", token);
			char *temp = when ? direct_trigger(ctx, t->name, qtable, lit, o, &ops[i], when) : NULL;
			if (!temp)
				return DBC_ERROR;
			dbc_buf_append(&b, temp);
		}
	}
	*out = dbc_buf_finish(&b);
	return *out ? DBC_OK : DBC_ERROR;
}

int sqldbc_audit_triggers_sql(dbc_ctx *ctx, const dbc_audit_target *t, const dbc_audit_options *o,
                              char **out)
{
	return triggers_sql(ctx, t, o, false, NULL, out);
}

int sqldbc_audit_direct_sql(dbc_ctx *ctx, const dbc_audit_target *t, const dbc_audit_options *o,
                            sqldbc_audit_entry_maker make, char **out)
{
	return triggers_sql(ctx, t, o, true, make, out);
}

int sqldbc_audit_baseline_sql(dbc_ctx *ctx, const dbc_audit_target *t, const dbc_audit_options *o,
                              char **out)
{
	dbc_strlist full;
	if (recorded(ctx, t, o, true, &full) != DBC_OK)
		return DBC_ERROR;
	char *qtable = ctx->host->quote_ident(ctx, t->name);
	char *lit = ctx->host->quote_literal(ctx, t->name);
	char *key = object_of(ctx, &o->key, "r", NULL, true);
	char *row = object_of(ctx, &full, "r", NULL, true);
	if (!qtable || !lit || !key || !row)
		return DBC_ERROR;
	*out = dbc_printf(ctx,
	                  "INSERT INTO main.dbcare_audit_log (at, txid, actor, operation, table_name,"
	                  " key, new_values, row_hash) SELECT dbaudit_now(), dbaudit_txid(),"
	                  " dbaudit_actor(), 'snapshot', %1$s, %2$s, %3$s, dbaudit_row_hash(%1$s, %2$s)"
	                  " FROM main.%4$s AS r",
	                  lit, key, row, qtable);
	return *out ? DBC_OK : DBC_ERROR;
}

bool sqldbc_audit_can_skip(void)
{
	return sqlite3_api->compileoption_used != NULL;
}
