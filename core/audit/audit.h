/*
 * audit.h — the row-level audit trail (docs/audit.md): which tables are
 * audited and how (the bookkeeping table <prefix>audit_tables), and reading
 * the log (<prefix>audit_log). What records the changes is the engine's: a C
 * trigger on PostgreSQL, generated SQL triggers on SQLite; each glue fills
 * dbc_audit_hooks with what only it can do.
 */
#ifndef DBC_AUDIT_H
#define DBC_AUDIT_H

#include "base/dbc.h"
#include "base/sha256.h"
#include "health/health.h"
#include "schema/schema.h"

/* What a name resolved to, as far as auditing cares: the engine reads it
 * from its catalog, the core refuses all but a table and words why. */
typedef enum dbc_audit_relkind {
	DBC_AUDIT_TABLE,     /* a permanent table of the database's own: audited */
	DBC_AUDIT_TEMPORARY, /* a temporary table or view */
	DBC_AUDIT_VIEW,
	DBC_AUDIT_MATVIEW,
	DBC_AUDIT_FOREIGN,
	DBC_AUDIT_VIRTUAL,
	DBC_AUDIT_INTERNAL, /* a table of dbcare's or of the engine's own */
	DBC_AUDIT_OTHER,    /* any other relation (a sequence, an index, ...) */
} dbc_audit_relkind;

/* A table as the engine resolved the name a caller gave. */
typedef struct dbc_audit_target {
	dbc_audit_relkind kind;
	/* The name the log stores: PostgreSQL's quoted, qualified form
	 * (public.orders, public."my table"), SQLite's table name as created;
	 * never an OID, so it survives a dump and restore. */
	const char *name;
	const char *display;     /* the name in messages: quoted (set by the core) */
	dbc_strlist columns;     /* in table order */
	dbc_strlist primary_key; /* empty when the table has none */
	/* Where the engine's triggers follow renamed columns (PostgreSQL, by
	 * attribute number): the option names the table's current triggers
	 * follow and, in the same order, the engine's id of each. Stored options
	 * may name these though no column has the name any more (dbaudit_refresh
	 * after a rename); the engine keeps their ids. Empty elsewhere. */
	dbc_strlist followed;
	dbc_strlist followed_ids;
	/* SQLite: the column that is the table's rowid (an INTEGER PRIMARY
	 * KEY), whose values are always integers; NULL when none. Elsewhere
	 * NULL. */
	const char *rowid_column;
} dbc_audit_target;

/* The options of dbaudit_enable, checked against the table. */
typedef struct dbc_audit_options {
	dbc_strlist columns; /* only these (empty: every column) */
	dbc_strlist exclude; /* never these */
	dbc_strlist key;     /* the key of an entry: the primary key unless named */
	bool full_updates;   /* updates = full: whole rows; changed: the changed columns */
	bool baseline;       /* log every existing row once as a snapshot entry */
	bool hash_chain;     /* entries carry the hash chain (default: audit.hash_chain) */
	bool wal;            /* mode "wal": decoded from the WAL by a worker (PostgreSQL),
	                      * not written by triggers (mode "trigger", the default) */
} dbc_audit_options;

/* Whether a column's values are recorded under these options. */
bool dbc_audit_records(const dbc_audit_options *o, const char *column);

/* One audited table as stored. */
typedef struct dbc_audit_table {
	char *name;
	char *enabled_at;
	char *options;   /* JSON */
	char *columns;   /* the columns the triggers were made for, JSON array (SQLite) */
	int64_t entries; /* counted only by dbc_audit_load_counted */
} dbc_audit_table;

/* What the engine's catalog says records an audited table's changes now
 * (dbc_audit_hooks.recording); the core words it (dbc_audit_problem). The
 * operations are "insert", "update", "delete" and, where the engine records
 * it, "truncate". */
typedef struct dbc_audit_recording {
	bool exists;          /* false: the table was dropped (nothing else is read) */
	dbc_strlist missing;  /* operations no audit trigger of the table fires for */
	dbc_strlist disabled; /* operations whose audit triggers are all disabled */
	dbc_strlist replica;  /* operations whose audit triggers fire only under
	                       * session_replication_role = replica (PostgreSQL) */
	const char *stale;    /* the triggers miss changes for an engine's own reason
	                       * (columns added since; a partition tree joined), or NULL */
	int operations;       /* how many operations the engine records (3 or 4) */
	/* the table's name now when it was renamed since it was enabled (its
	 * triggers followed it and record it under the stored name), or NULL */
	const char *renamed_to;
} dbc_audit_recording;

/* What differs between the engines. */
typedef struct dbc_audit_hooks {
	/* Resolves a caller's table name: out->name and out->kind, and for a
	 * DBC_AUDIT_TABLE its columns and primary key (dbc_audit_resolve refuses
	 * every other kind). *found false (no error) when no such relation
	 * exists. */
	int (*resolve)(dbc_ctx *ctx, const char *table, dbc_audit_target *out, bool *found);
	/* Whether the engine records in mode "wal" (docs/audit.md). */
	bool wal_mode;
	/* Before a read of the log: waits until the changes committed so far
	 * are in it, or fails saying they are not (NULL: they always are). */
	int (*complete)(dbc_ctx *ctx);
	/* Makes the triggers that record changes of the table. */
	int (*install)(dbc_ctx *ctx, const dbc_audit_target *t, const dbc_audit_options *o);
	/* Drops them; the table may be gone (then nothing to do). */
	int (*uninstall)(dbc_ctx *ctx, const char *name);
	/* Logs every row of the table once as a "snapshot" entry. */
	int (*baseline)(dbc_ctx *ctx, const dbc_audit_target *t, const dbc_audit_options *o);
	/* Fills *out (zeroed by the caller) for one audited table: whether it
	 * exists and which of its operations no enabled audit trigger fires for. */
	int (*recording)(dbc_ctx *ctx, const dbc_audit_table *row, dbc_audit_recording *out);
	/* Whether the audit tables exist (NULL: always, PostgreSQL); where they
	 * do not, reads see no audited table and an empty log. */
	int (*tables_exist)(dbc_ctx *ctx, bool *exists);
	/* A stored name as messages show it (quoted), in the arena. */
	char *(*display)(dbc_ctx *ctx, const char *name);
	/* Which heads the chains have (DBC_AUDIT_HEADS_*), read now (a log
	 * whose bookkeeping a newer build has not upgraded yet); NULL: one per
	 * chain. The core reads the chains and their heads itself, with the
	 * dialect's audit_link_columns (core/audit/audit_chain.c). */
	int (*head_layout)(dbc_ctx *ctx, int *layout);
	/* Runs each over the chains' heads: dbc_audit_heads, the core's one
	 * reader, which each glue names here so that a lower part (a backup's
	 * restore point) reads the heads through the hooks; NULL: none. */
	int (*heads)(dbc_ctx *ctx, const struct dbc_audit_hooks *e, dbc_row_fn each, void *arg);
	/* The engine's row index on a hash (NULL: none): a condition
	 * followed by " AND " ("": no index to use) that narrows the
	 * log to one row's entries (table_sql the table's SQL, key_sql the
	 * key's, "NULL" for the table's entries without a key), in the arena
	 * (NULL: out of memory). The exact test of table_name and key follows
	 * it, so hash collisions only cost a visit. */
	char *(*row_range)(dbc_ctx *ctx, const char *table_sql, const char *key_sql);
	/* The same for all of one table's entries. */
	char *(*table_range)(dbc_ctx *ctx, const char *table_sql);
} dbc_audit_hooks;

/* Parses and checks the options (JSON object text, NULL for none) against
 * the table: unknown keys, unknown columns and a missing key are errors. */
int dbc_audit_parse_options(dbc_ctx *ctx, const dbc_audit_target *t, const char *json,
                            dbc_audit_options *out);
/* dbaudit_enable's argument mode (NULL: none) put into its options (JSON
 * object text, NULL for none; *options replaced when mode is given), and
 * whether they ask for mode "wal" (before they are checked: the engine may
 * need to prepare before anything is written). */
int dbc_audit_options_mode(dbc_ctx *ctx, const char **options, const char *mode, bool *wal);
/* The options as stored (canonical JSON, the key always named). */
char *dbc_audit_options_json(dbc_ctx *ctx, const dbc_audit_options *o);

/* e->resolve, with target->display set; a dbcare: error unless the name is
 * a table that can be audited (not a view, a temporary table, ...). */
int dbc_audit_resolve(dbc_ctx *ctx, const dbc_audit_hooks *e, const char *table,
                      dbc_audit_target *out, bool *found);

/* dbaudit_enable: *name_out is the stored table name. */
int dbc_audit_enable(dbc_ctx *ctx, const dbc_audit_hooks *e, const char *table, const char *options,
                     char **name_out);
/* dbaudit_disable: an error when the table was never enabled. */
int dbc_audit_disable(dbc_ctx *ctx, const dbc_audit_hooks *e, const char *table);
/* dbaudit_refresh: remakes the triggers of one table (NULL: every audited
 * table that still exists); *count how many. */
int dbc_audit_refresh(dbc_ctx *ctx, const dbc_audit_hooks *e, const char *table, int *count);

/* The stored name of a table a caller named: the engine's canonical name
 * when it exists, else the name as given (a dropped table's log stays
 * readable by the name it was stored under). */
int dbc_audit_stored_name(dbc_ctx *ctx, const dbc_audit_hooks *e, const char *table, char **out);

int dbc_audit_load_tables(dbc_ctx *ctx, const dbc_audit_hooks *e, const char *only,
                          dbc_audit_table **out, int *n);
/* The same with each table's log entries counted (an index range each). */
int dbc_audit_load_counted(dbc_ctx *ctx, const dbc_audit_hooks *e, dbc_audit_table **out, int *n);

/* A column list as stored in <prefix>audit_tables.columns (canonical JSON). */
char *dbc_audit_columns_json(dbc_ctx *ctx, const dbc_strlist *columns);

/* Whether every change of an audited table is recorded (audit_problem.c):
 * *problem NULL when it is, else why, in the same words on both engines. */
int dbc_audit_problem(dbc_ctx *ctx, const dbc_audit_hooks *e, const dbc_audit_table *row,
                      char **problem);
/* The health check "audit": one object per audited table with a problem. */
int dbc_audit_health(dbc_ctx *ctx, const dbc_audit_hooks *e, dbc_health_fact *fact);
/* Its full-mode part (audit_chain.c): the hash chains verified as
 * dbaudit_verify() does (e: the hooks that call uses); any break makes the
 * check critical and its message names the count and the first. */
int dbc_audit_health_chain(dbc_ctx *ctx, const dbc_audit_hooks *e, dbc_health_fact *fact);

/* dbaudit_tables: table, enabled_at, options, entries, recording, problem. */
#define DBC_AUDIT_TABLES_NCOLS 6
int dbc_audit_tables(dbc_ctx *ctx, const dbc_audit_hooks *e, dbc_rows *out);
/* Whether the log can be read: the bookkeeping and the audit tables exist. */
int dbc_audit_readable(dbc_ctx *ctx, const dbc_audit_hooks *e, bool *readable);

/* dbaudit_history: the entries of one row, oldest first. Columns: id, at,
 * txid, db_user, actor, operation, old_values, new_values. */
#define DBC_AUDIT_HISTORY_NCOLS 8
int dbc_audit_history(dbc_ctx *ctx, const dbc_audit_hooks *e, const char *table, const char *key,
                      dbc_rows *out);
/* dbaudit_log: entries (of one table, since a time), oldest first. Columns:
 * id, at, txid, db_user, actor, operation, table_name, key, old_values,
 * new_values. */
#define DBC_AUDIT_LOG_NCOLS 10
int dbc_audit_log(dbc_ctx *ctx, const dbc_audit_hooks *e, const char *table, const char *since,
                  dbc_rows *out);
/* dbaudit_row_at: the row as it was at a time, JSON text; NULL when it did
 * not exist then. An error when the log does not reach back to the row's
 * insert or a baseline snapshot. */
int dbc_audit_row_at(dbc_ctx *ctx, const dbc_audit_hooks *e, const char *table, const char *key,
                     const char *at, char **json_out);

/* ---------------------------------------------------------------- row hash */

/* The row hash (audit_row_hash.c; docs/audit.md, "The row hash"): the high
 * 32 bits FNV-1a of the table's stored name, the low 32 bits FNV-1a of the
 * key's members in the engine's canonical order, each member hashed as its
 * name, a 0 byte, a tag (s string, n number, t true, f false, z null,
 * c object or array), the value's bytes (a string's UTF-8, a number's
 * shortest decimal without trailing zeros; none for the others), a 0 byte.
 * No key: the low half is 0, so a table's entries are the range
 * [row_hash(table, none), that + 2^32 - 1]. */
#define DBC_AUDIT_HASH_INIT 2166136261u
uint32_t dbc_audit_hash_bytes(uint32_t h, const void *bytes, size_t n);
uint32_t dbc_audit_hash_member(uint32_t h, const char *name, size_t name_len, char tag,
                               const char *value, size_t value_len);
int64_t dbc_audit_row_hash(const char *table, size_t table_len, bool has_key, uint32_t key_hash);

/* ---------------------------------------------------------------- chain */

/* An entry's fields in the hash, as text: at (PostgreSQL: microseconds
 * since 1970; SQLite: the stored text), txid, db_user, actor, operation,
 * table_name, key, old_values, new_values (JSON as stored); NULL allowed. */
#define DBC_AUDIT_LINK_FIELDS 9
#define DBC_AUDIT_HASH_LEN    64
/* SHA-256 (hex) of the previous entry's hash (NULL: none) and the fields:
 * an entry of the log chain (format v1). */
int dbc_audit_link(dbc_ctx *ctx, const char *prev, const char *const fields[DBC_AUDIT_LINK_FIELDS],
                   char hex[DBC_AUDIT_HASH_LEN + 1]);
/* dbc_audit_link hashed on h (dbc_sha256_begin's, kept for many entries:
 * no lookup of the implementation per entry); h NULL: dbc_audit_link. */
int dbc_audit_link_on(dbc_ctx *ctx, dbc_sha256 *h, const char *prev,
                      const char *const fields[DBC_AUDIT_LINK_FIELDS],
                      char hex[DBC_AUDIT_HASH_LEN + 1]);
/* The same for an entry of its table's own chain (format v2). */
int dbc_audit_link_table(dbc_ctx *ctx, const char *prev,
                         const char *const fields[DBC_AUDIT_LINK_FIELDS],
                         char hex[DBC_AUDIT_HASH_LEN + 1]);
/* The heads a log keeps (dbc_audit_hooks.head_layout): one per chain
 * (chain, last_hash, last_id); the one head of the log chain (PostgreSQL's
 * layout before 0.3.3: its last hash alone); none (a SQLite file whose
 * bookkeeping predates the heads: a read upgrades nothing). */
enum { DBC_AUDIT_HEADS_CHAINS, DBC_AUDIT_HEADS_LOG, DBC_AUDIT_HEADS_NONE };
/* Runs each over the chains' heads as the layout says: chain ("" the log
 * chain, else the table's stored name), last_hash, last_id (NULL where the
 * layout keeps none). */
int dbc_audit_heads(dbc_ctx *ctx, const dbc_audit_hooks *e, dbc_row_fn each, void *arg);
/* dbaudit_verify: rows (checked, broken_id, problem): how many hashed
 * entries were checked, and every break found, in id order (one row with
 * NULLs: none). A chain whose head names a missing entry is a break too. */
#define DBC_AUDIT_VERIFY_NCOLS 3
int dbc_audit_verify(dbc_ctx *ctx, const dbc_audit_hooks *e, dbc_rows *out);
/* Whether a chained entry's stored hash is the hash of its content (either
 * format): c is hash, prev_hash, then the DBC_AUDIT_LINK_FIELDS fields. */
int dbc_audit_entry_intact(dbc_ctx *ctx, const dbc_value *c, bool *intact);

/* The context message of wal-mode auditing
 * (docs/audit.md, "What the actor message proves"): the statement trigger
 * of a table audited in wal mode logs the role, dbcare.actor and
 * application_name of the change as a transactional logical message
 * (prefix dbcare.actor), which anyone may also emit
 * (pg_logical_emit_message is PUBLIC). So the trigger signs it: an
 * HMAC-SHA-256 with a key no SQL role reads, over the database and the
 * top-level transaction it belongs to and its fields. The decoder accepts
 * only a message whose MAC is right; this is its one parser, strict about
 * every byte (it reads what any session could have written).
 *
 * The body: user \0 actor \0 application \0 mac (mac_len bytes: 32 as
 * logged by the trigger, 0 as the decoder hands it on to the worker).
 */
#define DBC_AUDIT_ACTOR_MAC_LEN 32
#define DBC_AUDIT_ACTOR_KEY_LEN 32
/* A role's and an application's name: PostgreSQL's NAMEDATALEN - 1 (63)
 * in a stock build; 255 leaves room for a build with a larger one. */
#define DBC_AUDIT_ACTOR_NAME_MAX 255
/* dbcare.actor: the trigger refuses to log a longer one. */
#define DBC_AUDIT_ACTOR_MAX 8192

typedef struct dbc_audit_actor_fields {
	const char *user, *actor, *app; /* each NUL-terminated, inside the body */
	size_t user_len, actor_len, app_len;
	size_t signed_len;        /* the bytes the MAC covers: the three fields */
	const unsigned char *mac; /* mac_len bytes after them */
} dbc_audit_actor_fields;

/* Parses a body of len bytes ending with exactly mac_len bytes of MAC:
 * three NUL-terminated fields, the user not empty, each within its bound.
 * NULL when it is one, else why not (a static string); *out is then
 * untouched. Encodings are the caller's to check (the database's). */
const char *dbc_audit_actor_parse(const void *body, size_t len, size_t mac_len,
                                  dbc_audit_actor_fields *out);

/* The MAC of a message's fields (signed_len bytes at fields) for database
 * db and top-level transaction xid: HMAC-SHA-256 with key over
 * "dbcare.actor 1", db and xid (4 bytes each, little-endian) and the
 * fields. false when libcrypto fails. */
bool dbc_audit_actor_mac(const unsigned char key[DBC_AUDIT_ACTOR_KEY_LEN], uint32_t db,
                         uint32_t xid, const void *fields, size_t signed_len,
                         unsigned char mac[DBC_AUDIT_ACTOR_MAC_LEN]);

/* Whether a message's MAC is the one expected, in constant time. */
bool dbc_audit_actor_mac_equal(const unsigned char *a, const unsigned char *b);

#endif
