/*
 * schema.h — the engine-neutral schema model. Each engine's catalog reader
 * fills it; the core turns it into the canonical snapshot, the fingerprint and
 * the diff, and plans constraint checks and health checks from it.
 * Everything lives in the ctx arena. Names are stored unquoted.
 */
#ifndef DBC_SCHEMA_H
#define DBC_SCHEMA_H

#include "base/dbc.h"

typedef struct dbc_strlist {
	char **items;
	int n;
	int cap;
} dbc_strlist;

int dbc_strlist_add(dbc_ctx *ctx, dbc_strlist *l, const char *s);
/* Splits "a, b,c" on commas, trimming blanks; empty items are kept as "". */
int dbc_strlist_split(dbc_ctx *ctx, dbc_strlist *l, const char *csv);
int dbc_strlist_find(const dbc_strlist *l, const char *s);
char *dbc_strlist_join(dbc_ctx *ctx, const dbc_strlist *l, const char *sep);

typedef struct dbc_column {
	char *name;
	char *type;
	bool not_null;
	char *default_expr;         /* NULL when none */
	char *generated;            /* generation expression, NULL when not generated */
	char *collation;            /* NULL for the default */
	char *not_null_on_conflict; /* SQLite NOT NULL ON CONFLICT resolution, NULL for abort */
	bool hidden;                /* SQLite hidden column of a virtual table */
} dbc_column;

typedef enum {
	DBC_CON_PRIMARY_KEY,
	DBC_CON_UNIQUE,
	DBC_CON_FOREIGN_KEY,
	DBC_CON_CHECK,
	DBC_CON_NOT_NULL,
	DBC_CON_EXCLUDE,
} dbc_constraint_kind;

const char *dbc_constraint_kind_name(dbc_constraint_kind kind);

typedef struct dbc_constraint {
	char *name;
	bool generated_name; /* the schema left it unnamed; name is dbcare's stable one */
	dbc_constraint_kind kind;
	dbc_strlist columns; /* key columns (NOT NULL: the one column) */
	char *ref_schema;    /* foreign key target */
	char *ref_table;
	dbc_strlist ref_columns; /* empty when the FK names the parent's primary key implicitly */
	char *match;             /* "simple" | "full" | "partial" */
	char *on_update;         /* "no action", "cascade", ... */
	char *on_delete;
	char *expr;        /* CHECK expression (and EXCLUDE definition) */
	char *on_conflict; /* SQLite PRIMARY KEY / UNIQUE ON CONFLICT resolution, NULL for abort */
	bool deferrable;
	bool initially_deferred;
	bool validated; /* false for PostgreSQL NOT VALID */
	bool enforced;  /* false when the engine does not enforce it now (disabled trigger,
	                   SQLite foreign_keys off, ignore_check_constraints on) */
	bool declared;  /* a relation of dbcheck_add_relation seen as a foreign key */
	/* A foreign key's number in the engine's own check of the table
	 * (SQLite: its id in pragma_foreign_key_list and fkid in
	 * pragma_foreign_key_check), when engine_fk_known. */
	bool engine_fk_known;
	int engine_fk_id;
	/* UNIQUE: the unique index no constraint owns (SQLite CREATE UNIQUE
	 * INDEX) this transient constraint of the checker stands for, giving
	 * its collations and WHERE. Never set in a schema model. */
	const struct dbc_index *from_index;
} dbc_constraint;

typedef struct dbc_table {
	char *schema; /* NULL in SQLite's main */
	char *name;
	char *kind;         /* "table", "partitioned table", "foreign table", "virtual table" */
	char *partition_of; /* qualified parent for a partition, else NULL */
	char *options;      /* engine-specific: "without rowid", "strict", "unlogged", ... */
	dbc_column *columns;
	int ncolumns;
	int capcolumns;
	dbc_constraint *constraints;
	int nconstraints;
	int capconstraints;
} dbc_table;

typedef struct dbc_index {
	char *schema;
	char *name;
	char *table; /* table name in the same schema */
	bool unique;
	bool primary;    /* the index behind a PRIMARY KEY */
	bool constraint; /* owned by a constraint (UNIQUE / PRIMARY KEY / EXCLUDE) */
	bool valid;      /* false for PostgreSQL indexes not valid or not maintained (indisready) */
	/* PostgreSQL: every key is a column compared by value by a built-in
	 * operator class (integers, dates, uuid, enums...): no collation orders
	 * it, so no libc or ICU upgrade can reorder the index under its rows.
	 * Not part of the snapshot. */
	bool order_fixed;
	char *method;     /* "btree", ... */
	dbc_strlist keys; /* column names, or expression text for expression keys */
	char *predicate;  /* partial index WHERE, NULL when none */
	bool partial;     /* has a WHERE (even when predicate could not be read) */
	/* Keys with direction and collation ("a 0 BINARY,b 1 NOCASE"), for
	 * finding duplicates; NULL when unknown or when a key is an expression.
	 * Not part of the snapshot. */
	char *key_detail;
	char *definition; /* engine's own canonical definition text */
} dbc_index;

/* Views, triggers, sequences, functions, types, schemas, extensions: objects the
 * model only compares, described by their engine's canonical definition. */
typedef struct dbc_object {
	char *type; /* "view", "materialized view", "trigger", "sequence", "function", ... */
	char *schema;
	char *name;  /* functions include their argument types */
	char *table; /* triggers: the table */
	char *definition;
	bool enabled; /* triggers: false when disabled */
} dbc_object;

/* A model cached across calls by its reader (per connection in SQLite, per
 * backend in PostgreSQL) carries the snapshot text and fingerprint made from
 * it, so they are computed once per schema change. Text lives in the memo's
 * own arena; a NULL member is computed on demand into that arena (the
 * PostgreSQL cache hands out the fingerprint and lets each call build the
 * snapshot text, which it does not keep). */
typedef struct dbc_schema_memo {
	dbc_ctx *ctx;
	char *snapshot;
	char *fingerprint;
	void *host_entry; /* the reader's own record of the cached model, opaque to the core */
} dbc_schema_memo;

typedef struct dbc_schema {
	dbc_ctx *ctx;
	dbc_schema_memo *memo; /* NULL: not cached */
	const char *engine;    /* the dialect's name, the snapshot's "engine" */
	dbc_table *tables;
	int ntables;
	int captables;
	dbc_index *indexes;
	int nindexes;
	int capindexes;
	dbc_object *objects;
	int nobjects;
	int capobjects;
	/* dbc_schema_index_tables's map, for the tables array it was made of
	 * (NULL: none; a model with another array or count scans) */
	const struct dbc_table_map *table_map;
} dbc_schema;

/* An empty model of the ctx's engine (its dialect names it). */
void dbc_schema_init(dbc_schema *s, dbc_ctx *ctx);
dbc_table *dbc_schema_add_table(dbc_schema *s, const char *schema, const char *name);
dbc_column *dbc_table_add_column(dbc_ctx *ctx, dbc_table *t, const char *name);
dbc_constraint *dbc_table_add_constraint(dbc_ctx *ctx, dbc_table *t, dbc_constraint_kind kind,
                                         const char *name);
dbc_index *dbc_schema_add_index(dbc_schema *s, const char *schema, const char *name);
dbc_object *dbc_schema_add_object(dbc_schema *s, const char *type, const char *schema,
                                  const char *name);
/* A deep copy of a model into another arena (for a cache that outlives the
 * arena the model was read into). The copy has no memo. */
int dbc_schema_copy(dbc_ctx *to, const dbc_schema *from, dbc_schema *out);
/* Lookup by (schema, name); schema NULL matches a NULL schema. Through the
 * model's table map when it has one for its tables (a cached model read
 * once and handed out many times), else by a scan. */
dbc_table *dbc_schema_find_table(const dbc_schema *s, const char *schema, const char *name);
/* A map of the model's tables by name, in s->ctx, for dbc_schema_find_table:
 * made by a reader once the model is complete and before it is only read
 * (renaming a table in place afterwards is a caller's bug the lookup still
 * survives: a hit is checked, a miss scans). */
int dbc_schema_index_tables(dbc_schema *s);
/* The key of a name in a schema for a map of names: "length:schema.name",
 * or "-.name" for no schema (the length keeps a dot inside a name from
 * meeting another schema's). Written into buf as snprintf writes; returns
 * the key's length. */
int dbc_schema_name_key(char *buf, size_t cap, const char *schema, const char *name);
dbc_column *dbc_table_find_column(const dbc_table *t, const char *name);
/* Whether t->options (the catalog's options, "; " between them) hold
 * option exactly. */
bool dbc_table_has_option(const dbc_table *t, const char *option);
/* "schema.name" or "name" — the display name used in snapshots and reports. */
char *dbc_qualified_name(dbc_ctx *ctx, const char *schema, const char *name);
/* The same, each part quoted by the host: safe to paste into SQL. */
char *dbc_quoted_name(dbc_ctx *ctx, const char *schema, const char *name);

/* A relation's options by meaning (options_meaning.c): text (a table's
 * options, a view's definition) with the boolean options of the option list
 * ending it (the dialect's boolean_options) valued "true" or "false"
 * however they were spelled; text itself when nothing is spelled otherwise,
 * NULL out of memory. */
char *dbc_options_by_meaning(dbc_ctx *ctx, const char *text);
/* A recorded snapshot with the same rule applied to its tables' options and
 * its views' definitions: *out is json itself when nothing changed, else a
 * canonical text in the arena (what today's reader records for that schema). */
int dbc_snapshot_by_meaning(dbc_ctx *ctx, const char *json, char **out);
/* The same over a parsed snapshot, in place: the number of texts
 * rewritten, -1 out of memory (an error set). */
struct json_t;
int dbc_snapshot_tree_by_meaning(dbc_ctx *ctx, struct json_t *snapshot);

/* Canonical snapshot: sorted keys, sorted objects, no OIDs, compact. */
int dbc_schema_snapshot_json(dbc_schema *s, char **out);
/* SHA-256 (64 lowercase hex) of the canonical snapshot text. */
int dbc_schema_fingerprint_of(dbc_ctx *ctx, const char *snapshot_json, char **out);
/* The fingerprint of a model (through its memo when it has one). */
int dbc_schema_fingerprint_model(dbc_schema *s, char **hex_out);

/* Reads the live schema through the host (each engine provides this). */
typedef int (*dbc_schema_reader)(dbc_ctx *ctx, dbc_schema *out);

/* The whole pipeline for the SQL functions. */
int dbc_schema_snapshot(dbc_ctx *ctx, dbc_schema_reader reader, char **json_out);
int dbc_schema_fingerprint(dbc_ctx *ctx, dbc_schema_reader reader, char **hex_out);
/* Both from one read, the text built and hashed at most once. */
int dbc_schema_snapshot_fingerprinted(dbc_ctx *ctx, dbc_schema_reader reader, char **json_out,
                                      char **hex_out);

/* One difference between two snapshots. */
typedef struct dbc_schema_change {
	const char *object_type; /* the snapshot's section: "tables", "indexes", ... */
	const char *object_name;
	const char *change; /* "added" | "removed" | "changed" */
	const char *detail; /* changed: what changed inside, in words; else NULL */
} dbc_schema_change;

typedef struct dbc_schema_changes {
	dbc_schema_change *items;
	int n;
	int cap;
} dbc_schema_changes;

/* Diff of two snapshots, by section then object name (out zero-initialised
 * by the caller). */
int dbc_schema_changes_of(dbc_ctx *ctx, const char *from_json, const char *to_json,
                          dbc_schema_changes *out);
/* The same as rows (object_type, object_name, change, detail), for the glue. */
int dbc_schema_diff(dbc_ctx *ctx, const char *from_json, const char *to_json, dbc_rows *out);

#endif
