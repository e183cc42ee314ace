/*
 * pg/audit/audit_wal.h — wal mode of the audit trail (docs/audit.md): the decoder
 * (pg/audit/audit_decode.c), its worker (pg/audit/audit_wal_worker.c) and what
 * dbaudit_enable and the readers ask of them (pg/audit/audit_wal.c).
 */
#ifndef PGDBC_AUDIT_WAL_H
#define PGDBC_AUDIT_WAL_H

#include "access/xlogdefs.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "replication/output_plugin.h"

#include "audit/audit.h"

/* The trigger (BEFORE each statement) whose arguments configure a table audited in wal
 * mode (its mode argument holds "+wal"). */
#define PGDBC_AUDIT_WAL_TRIGGER "dbcare_audit_wal"
/* The prefix of the transactional message that carries dbcare.actor. */
#define PGDBC_AUDIT_ACTOR_PREFIX "dbcare.actor"
/* db_user of an entry whose change no valid context message named the role
 * of (the table's trigger disabled, or not fired): longer than any role
 * name may be, so no role is ever recorded as it. */
#define PGDBC_AUDIT_UNKNOWN_USER                                                                   \
	"(unknown: no signed context message of the audit trigger named the role)"
/* The worker's type in pg_stat_activity.backend_type. */
#define PGDBC_AUDIT_WAL_WORKER "dbcare audit wal"

/* The context message's MAC (pg/audit/audit_actor_key.c, with the key of the
 * data directory): sign appends it to body (the three fields) for this
 * transaction; check verifies a decoded message of top-level transaction
 * xid, parse checks a body's form and encoding (mac_len bytes of MAC
 * after the fields). Both NULL when good (*out filled), else why not. */
void pgdbc_audit_actor_sign(StringInfo body);
const char *pgdbc_audit_actor_check(TransactionId xid, const char *body, Size size,
                                    dbc_audit_actor_fields *out);
const char *pgdbc_audit_actor_parse(const char *body, Size size, Size mac_len,
                                    dbc_audit_actor_fields *out);

/* The replication slot of this database's wal-mode audit: dbcare_audit_
 * and the database's OID (slot names are the cluster's). */
void pgdbc_audit_wal_slot_name(char *out, size_t size);

/* dbaudit_enable in wal mode, before anything is written: a clear error
 * unless wal_level is logical and the caller may create the slot; makes
 * the slot when it is missing (which needs a transaction that wrote
 * nothing yet). */
void pgdbc_audit_wal_prepare(void);
/* Starts this database's worker unless it runs. */
void pgdbc_audit_wal_start_worker(void);
/* The same once per session (the first statement on a table audited in
 * wal mode): after a restart of the server, the first writer starts it. */
void pgdbc_audit_wal_ensure_worker(void);
/* The readers' wait: when a table is audited in wal mode, until every
 * change committed before the call is in the log (dbcare.audit_wal_wait),
 * else a dbcare: error saying how far the log is behind. */
void pgdbc_audit_wal_wait(void);
/* dbcare.audit_wal_max_retained, in bytes. */
int64 pgdbc_audit_wal_max_retained(void);
/* PostgreSQL's entry points into the module: the output plugin that
 * decodes the slot (pg/audit/audit_decode.c) and the worker's main
 * (pg/audit/audit_wal_worker.c), found by name. */
PGDLLEXPORT void _PG_output_plugin_init(OutputPluginCallbacks *cb);
PGDLLEXPORT void dbcare_audit_wal_main(Datum arg);

#endif
