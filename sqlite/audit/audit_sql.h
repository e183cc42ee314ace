/*
 * sqlite/audit/audit_sql.h — the generated SQL of SQLite's audit triggers
 * (audit_sql.c), for fn_audit.c.
 */
#ifndef SQLDBC_AUDIT_SQL_H
#define SQLDBC_AUDIT_SQL_H

#include "audit/audit.h"
#include "sqlite/host/glue.h"

/* The txid of a pending entry (written without dbcare's functions) of a
 * table without and with the hash chain; completed entries have txid > 0. */
#define SQLDBC_AUDIT_PENDING         0
#define SQLDBC_AUDIT_PENDING_CHAINED (-1)

/* The pending views (audit_sql.c): a table's shared trigger of an
 * operation inserts the row into SQLDBC_AUDIT_PENDING_VIEW<op>_<table>,
 * whose INSTEAD OF trigger writes the pending entry, then inserts its id
 * into SQLDBC_AUDIT_WRITTEN (bookkeeping 22). That view's own trigger does
 * nothing; a connection with dbcare completes the entry there through a
 * TEMP trigger of its own (audit_pending.c), so no trigger of a connection
 * fires for the entries it writes finished. */
#define SQLDBC_AUDIT_PENDING_VIEW "dbcare_audit_pending_"
#define SQLDBC_AUDIT_WRITTEN      "dbcare_audit_written"
#define SQLDBC_AUDIT_WRITTEN_SQL                                                                   \
	"CREATE VIEW IF NOT EXISTS main." SQLDBC_AUDIT_WRITTEN " (id) AS SELECT NULL WHERE 0;"         \
	" CREATE TRIGGER IF NOT EXISTS main." SQLDBC_AUDIT_WRITTEN " INSTEAD OF INSERT"                \
	" ON " SQLDBC_AUDIT_WRITTEN " BEGIN SELECT NULL WHERE 0; END"

/* A shared trigger's token (audit_direct.c): 16 hex digits after the
 * prefix, in its WHEN's sqlite_compileoption_used('dbcare-direct:TOKEN'). */
#define SQLDBC_AUDIT_TOKEN_LEN     16
#define SQLDBC_AUDIT_DIRECT_PREFIX "dbcare-direct:"

/* Whether this SQLite has sqlite_compileoption_used, which the shared
 * triggers' WHEN calls (audit_sql.c). */
bool sqldbc_audit_can_skip(void);
/* What table names on this connection (audit_target.c): *found false when
 * nothing of that name exists; out's kind says whether it can be audited. */
int sqldbc_audit_resolve(dbc_ctx *ctx, const char *table, dbc_audit_target *out, bool *found);
/* This connection's TEMP triggers writing the table's entries finished
 * (audit_sql.c; empty when the shared ones cannot be skipped); an insert's
 * and a delete's entry made on the connection by make
 * (sqldbc_audit_entry_register's form, which audit_direct.c hands in). */
typedef struct sqldbc_audit_entry sqldbc_audit_entry;
typedef bool (*sqldbc_audit_entry_maker)(sqldbc_conn *conn, sqldbc_audit_entry *e, char *name);
int sqldbc_audit_direct_sql(dbc_ctx *ctx, const dbc_audit_target *t, const dbc_audit_options *o,
                            sqldbc_audit_entry_maker make, char **out);
/* Makes this connection's TEMP triggers anew for every audited table (a
 * failure leaves those made: each is safe alone), and has the next row
 * read the shared triggers' tokens again. */
int sqldbc_audit_direct_install(dbc_ctx *ctx);
/* Whether the file's log has its row hash (bookkeeping 17: core/book/tables.c);
 * an older one is written and read without it until a dbcare call upgrades it. */
bool sqldbc_audit_has_row_hash(sqlite3 *db);
/* audit_direct.c: the TEMP triggers of every audited table (as above). */
int sqldbc_audit_direct_tables(dbc_ctx *ctx);
/* The shared triggers changed on this connection: read their tokens anew. */
void sqldbc_audit_direct_forget(sqldbc_conn *conn);
/* Main's data version (SQLITE_FCNTL_DATA_VERSION: it changes with every
 * commit, this connection's or another's); false when it cannot be read. */
bool sqldbc_audit_data_version(sqlite3 *db, unsigned *out);
/* Completes every pending entry, in the statement of the dbaudit_direct
 * (or dbcare_direct_TOKEN) call c on conn (audit_pending.c); false when
 * that failed, the error set on c. */
bool sqldbc_audit_complete_due(sqlite3_context *c, sqldbc_conn *conn);
/* Frees the connection's state (on close). */
void sqldbc_audit_direct_free(sqldbc_conn *conn);

/* audit_json.c: frees what its functions keep on the connection (on
 * close): dbaudit_hash's SHA-256 context, dbaudit_json_changes' two sides. */
void sqldbc_audit_json_free(sqldbc_conn *conn);
/* Registers dbaudit_direct's partner, the override of
 * sqlite_compileoption_used (SQLite's result code). */
int sqldbc_audit_direct_register(sqlite3 *db, sqldbc_conn *conn);

/* The entry a connection's TEMP insert or delete trigger writes, built by
 * its WHEN from the row's values alone, so that the trigger's program
 * holds no register that the entry's SQL does not need: SQLite gives the
 * arguments of each call its own registers when one of them is constant
 * (a trigger's NEW and OLD values are), and allocates and clears all of a
 * trigger program's registers at each execution of the writing statement.
 * The row's recorded columns, the key's among them, in the pending views'
 * order (n, each name as JSON with its colon: "id":), where the key's
 * columns are among them (key_at, in the key's order), the table's stored
 * name (the row hash's high half) and the token of the shared trigger
 * whose row the TEMP trigger writes. One allocation; the connection's from
 * its registration until it closes. */
struct sqldbc_audit_entry {
	uint64_t token;
	const char *table;
	uint32_t table_len;
	int n, nkey;
	const char **names;
	const uint32_t *name_len;
	const int *key_at;
};

/* Makes e's WHEN function on the connection (audit_direct.c):
 * dbcare_direct_TOKEN(value, ...) of the row's n values, named in name
 * (room for SQLDBC_AUDIT_ENTRY_FN_LEN + 1), which answers as
 * dbaudit_direct(TOKEN) and, when its trigger writes the row, builds the
 * entry that its body's dbaudit_entry_key(), dbaudit_entry_values() and
 * dbaudit_entry_row_hash() then hand out (audit_json.c). A token made once
 * on the connection is not made again (e is freed: its entry is the same).
 * False, e freed: the function could not be made, and the trigger is
 * written with dbaudit_direct and dbaudit_json (audit_sql.c). */
#define SQLDBC_AUDIT_ENTRY_FN     "dbcare_direct_"
#define SQLDBC_AUDIT_ENTRY_FN_LEN (sizeof(SQLDBC_AUDIT_ENTRY_FN) - 1 + SQLDBC_AUDIT_TOKEN_LEN)
bool sqldbc_audit_entry_register(sqldbc_conn *conn, sqldbc_audit_entry *e, char *name);
/* Builds e's key, values and row hash from the row's values (argv, e->n
 * of them) and keeps them on the connection for the three calls above
 * (audit_json.c); false when out of memory, the error set on c. */
bool sqldbc_audit_entry_build(sqlite3_context *c, sqldbc_conn *conn, const sqldbc_audit_entry *e,
                              sqlite3_value **argv);

/* Links one entry ($1 its id) into the hash chain after the head. */
const char *sqldbc_audit_link_sql(void);
/* A column name as a JSON string (sqlite3_malloc'd; NULL: out of memory). */
char *sqldbc_audit_json_name(const char *name);
/* The quoted name of a table's audit trigger for op (insert, update, delete). */
char *sqldbc_audit_trigger_name(dbc_ctx *ctx, const char *table, const char *op);
/* The quoted name of a table's pending view for op, and of its trigger. */
char *sqldbc_audit_pending_view(dbc_ctx *ctx, const char *table, const char *op);
/* CREATE TRIGGER statements recording the table's changes as o says. */
int sqldbc_audit_triggers_sql(dbc_ctx *ctx, const dbc_audit_target *t, const dbc_audit_options *o,
                              char **out);
/* The INSERT ... SELECT logging every row of the table as a snapshot. */
int sqldbc_audit_baseline_sql(dbc_ctx *ctx, const dbc_audit_target *t, const dbc_audit_options *o,
                              char **out);

#endif
