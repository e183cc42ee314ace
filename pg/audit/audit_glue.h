/*
 * pg/audit/audit_glue.h — between pg/audit/fn_audit.c and pg/audit/audit_trigger.c.
 */
#ifndef PGDBC_AUDIT_GLUE_H
#define PGDBC_AUDIT_GLUE_H

/* Defines dbcare.actor (from _PG_init; pg/audit/audit_write.c). */
void pgdbc_define_audit_settings(void);
/* Defines the wal mode's settings (from _PG_init; pg/audit/audit_wal.c). */
void pgdbc_define_audit_wal_settings(void);
/* dbcare.actor as the transaction set it (NULL or "" when unset). */
const char *pgdbc_audit_actor(void);
/* Logs the context of a statement on a table audited in wal mode: the
 * current user, dbcare.actor, application_name (pg/audit/audit_write.c). */
void pgdbc_audit_wal_context(void);

#include "access/transam.h"
#include "datatype/timestamp.h"
#include "executor/execdesc.h"
#include "executor/spi.h"
#include "utils/relcache.h"
#include "utils/reltrigger.h"
#include "executor/tuptable.h"

/* Writes entries into dbcare.audit_log (pg/audit/audit_write.c): open, add each
 * entry, close — within one call of the trigger function. */
#define PGDBC_AUDIT_LOG_COLUMNS 13
/* The plain path's entries per INSERT statement. */
#define BATCH_ENTRIES 1000
/* The direct path's entries per multi-insert, and the bytes of their JSON
 * (COPY buffers as many rows, and 64kB). */
#define MULTI_ENTRIES 1000
#define MULTI_BYTES   65536
typedef struct pgdbc_audit_writer {
	MemoryContext cxt; /* the writer's, deleted at close */
	Relation log;      /* the direct path's (the plain path's SPI opens its own) */
	EState *estate;
	ResultRelInfo *rri;
	TupleTableSlot **slots; /* the direct path's entries not yet inserted (MULTI_ENTRIES) */
	int nslots;             /* the slots made: made as entries need them */
	int nbuffered;
	Datum text[PGDBC_AUDIT_LOG_COLUMNS]; /* text columns' last values (writer_text) */
	Size buffered_bytes;
	struct BulkInsertStateData *bistate;
	int attno[PGDBC_AUDIT_LOG_COLUMNS]; /* the log's columns by name: 0-based positions (-1: absent)
	                                     */
	Oid seq;                            /* the identity's sequence */
	Oid owner;                          /* the log's writer: the trigger function's owner */
	int path_nest; /* the pinned search_path's GUC level while the entries need it; -1: none */
	CommandId cid;
	TimestampTz at; /* the transaction's start */
	FullTransactionId txid;
	bool chain;        /* entries carry the hash chain */
	bool chain_locked; /* the table's chain head row is locked; prev_hash read */
	bool chain_moved;  /* an entry was linked: the head moves at close (in memory) */
	char *chain_table; /* the chain locked: the table's stored name ("" when legacy) */
	bool chain_legacy; /* the log not yet upgraded to 0.3.3: its one chain (v1) */
	int64 last_id;     /* the id of the entry prev_hash is the hash of */
	char prev_hash[65];
	/* the plain path's batch: entries not yet inserted, by column */
	int batch_n;
	Datum *batch_values[PGDBC_AUDIT_LOG_COLUMNS];
	bool *batch_nulls[PGDBC_AUDIT_LOG_COLUMNS];
	MemoryContext batch_cxt; /* their values; reset after each INSERT */
	int64 written;           /* entries added: counted at close (pg/audit/audit_pending.c) */
	/* the direct path's indexes (pg/audit/audit_write_index.c): rri's first
	 * ri_NumIndices at once, the nsummary BRIN indexes after them, then the
	 * nsorted sorted ones, sorted_n entries gathered */
	int nindexes;
	int nsummary; /* the BRIN indexes, after the first ri_NumIndices */
	struct pgdbc_audit_summary *summary;
	int nsorted;
	struct Tuplesortstate **sorted;
	int sorted_n;
	/* entries decoded from the WAL (pg/audit/audit_wal_worker.c): the change's
	 * transaction wrote them, not this one. The decoder sets at and txid
	 * after open, and these in place of current_user and dbcare.actor. */
	bool decoded;
	const char *decoded_user;
	const char *decoded_actor; /* NULL: none */
} pgdbc_audit_writer;

void pgdbc_audit_writer_open(pgdbc_audit_writer *w, Oid owner, bool chain);
/* key/old/new: jsonb, (Datum)0 for NULL. Values are copied into the log's
 * tuple; the caller frees them. */
void pgdbc_audit_writer_add(pgdbc_audit_writer *w, const char *table, const char *op, Datum key,
                            Datum old, Datum new);
void pgdbc_audit_writer_close(pgdbc_audit_writer *w);
/* The direct path's index entries (PostgreSQL 15; pg/audit/audit_write_index.c):
 * after ExecOpenIndices, after each tuple inserted from a slot (unsorted:
 * into every index at once), and before the executor state is freed. */
void pgdbc_audit_index_open(pgdbc_audit_writer *w);
void pgdbc_audit_index_add(pgdbc_audit_writer *w, TupleTableSlot *slot, bool unsorted);
/* Entries of a writer's only flush that go into every index at once. */
#define UNSORTED_ENTRIES 64
void pgdbc_audit_index_close(pgdbc_audit_writer *w);
/* A prepared statement kept for the session, made on first use
 * (audit_plan.c). */
SPIPlanPtr pgdbc_audit_keep_plan(SPIPlanPtr *slot, const char *sql, int nargs, Oid *types);

/* The transaction's chain heads and entry count, written to
 * dbcare.audit_chain and dbcare.audit_written before it commits
 * (pg/audit/audit_pending.c). pending_head: whether this transaction holds
 * the chain's row lock, and then its head; pending_locked: the chain's first
 * writer locked and read the row; pending_move: a writer linked entries. */
bool pgdbc_audit_pending_head(const char *chain, bool *legacy, char *hash, int64 *last_id);
void pgdbc_audit_pending_locked(const char *chain, bool legacy, const char *hash, int64 last_id);
void pgdbc_audit_pending_move(const char *chain, Oid owner, const char *hash, int64 last_id);
void pgdbc_audit_pending_count(Oid owner, int64 entries);
/* Writes them now: before a reader of those rows in this transaction
 * (arg unused: for pgdbc_guarded). */
void pgdbc_audit_pending_flush(void *unused);
/* Adds entries to slot's row of dbcare.audit_written (relid) as an UPDATE
 * would; false when it left the row alone (pg/audit/audit_written_row.c). */
bool pgdbc_audit_written_add(Oid relid, int32 slot, int64 entries);

/* Whether dbcare.audit_chain has a head per chain (0.3.3), not one row. */
bool pgdbc_audit_chain_per_table(void);

/* What is kept between statements (pg/audit/audit_cache.c): the generation
 * a fact read from the catalog may be used in; the memory of facts kept
 * for the current one; dbcare's table of that name (InvalidOid: none). */
uint64 pgdbc_audit_cache_generation(void);
MemoryContext pgdbc_audit_cache_cxt(void);
Oid pgdbc_audit_table_oid(const char *name);

/* The row hash of an entry of this table and key (jsonb, (Datum)0 for none):
 * pg/audit/audit_row_hash.c, core/audit/audit_row_hash.c. */
int64 pgdbc_audit_row_hash(const char *table, size_t table_len, Datum key);

/* The baseline of dbaudit_enable: every row of table `name` logged as a
 * snapshot entry, written as the trigger with these arguments writes. */
typedef struct pgdbc_audit_snapshot_args {
	const char *name;
	Oid relid;    /* the table: the arguments' attribute numbers are its own */
	Oid function; /* dbcare.audit_trigger: its owner writes the log */
	int nargs;
	char **args;
} pgdbc_audit_snapshot_args;

/* For pgdbc_guarded: arg is a pgdbc_audit_snapshot_args. */
void pgdbc_audit_snapshot(void *arg);

/* One change of an audited table as the audit trigger records it
 * (pg/audit/audit_trigger.c), for the WAL decoder (pg/audit/audit_decode.c): the
 * configuration of a table's trigger (NULL: it records another table than
 * relid, and the decoder records nothing of it), and the entry of one row
 * change. */
typedef struct audit_cfg pgdbc_audit_cfg;
pgdbc_audit_cfg *pgdbc_audit_cfg_of(MemoryContext cxt, const Trigger *tg, Oid relid,
                                    TupleDesc desc);
const char *pgdbc_audit_cfg_table(const pgdbc_audit_cfg *c);
bool pgdbc_audit_cfg_chain(const pgdbc_audit_cfg *c);
/* false: an update that changed no recorded column (no entry); key, old,
 * new: jsonb, (Datum)0 for NULL. */
bool pgdbc_audit_entry(const pgdbc_audit_cfg *c, TupleDesc desc, TupleTableSlot *oldslot,
                       TupleTableSlot *newslot, Datum *key, Datum *old, Datum *new);

/* Whether jsonb can hold a json value's text and it is nested at most
 * 1,000 levels deep (pg/audit/audit_json.c); any other value is recorded as its
 * text. */
bool pgdbc_audit_json_fits_jsonb(const char *json);

/* The columns a table's own audit trigger follows by attribute number
 * (pg/audit/audit_followed.c): for each key and column argument that carries a
 * number, its name as given to dbaudit_enable and that number. Nothing for a
 * table without such a trigger (or with one made before 0.3.0). */
typedef struct pgdbc_audit_followed_args {
	Oid relid;
	int n;          /* out */
	char **names;   /* out, palloc'd */
	char **numbers; /* out, palloc'd */
} pgdbc_audit_followed_args;

/* For pgdbc_guarded: arg is a pgdbc_audit_followed_args. */
void pgdbc_audit_followed(void *arg);

#endif
