-- dbcare extension script, part 70: the row-level audit trail (docs/audit.md).
-- The functions are declared in the API table; the build writes their
-- statements at the marker below.
--
-- The log names tables by their quoted, qualified name (never an OID, which a
-- dump and restore changes), and is kept by pg_dump. The audited roles get no
-- privilege on it: the trigger writes it as the log's owner
-- (pg/audit_trigger.c), and PUBLIC reads nothing of schema dbcare.

CREATE TABLE dbcare.audit_log (
    id         bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT dbcare_audit_log_pkey PRIMARY KEY,
    -- the start of the transaction that made the change (now())
    at         timestamptz NOT NULL,
    txid       xid8 NOT NULL,
    -- current_user of the change; actor: SET LOCAL dbcare.actor, if set
    db_user    text NOT NULL,
    actor      text,
    -- insert, update, delete, truncate or snapshot (written by dbcare only;
    -- no CHECK: every audited change would pay for evaluating it)
    operation  text NOT NULL,
    table_name text NOT NULL,
    key        jsonb,
    old_values jsonb,
    new_values jsonb,
    -- tables audited with hash_chain: the hash of the chained entry before
    -- this one, and SHA-256 (hex) over that and this entry
    prev_hash  text,
    hash       text
);
-- The row index (row_hash, id) is made below, after its hash function.
-- dbaudit_log(table, since) and retention by age: BRIN, since at grows with
-- id, and a BRIN entry costs a writer next to nothing.
CREATE INDEX dbcare_audit_log_at ON dbcare.audit_log USING brin (at);
COMMENT ON TABLE dbcare.audit_log IS 'dbcare: the audit trail of the audited tables (dbaudit_enable)';

CREATE TABLE dbcare.audit_tables (
    table_name text CONSTRAINT dbcare_audit_tables_pkey PRIMARY KEY,
    enabled_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    options    jsonb NOT NULL,
    -- the table's columns when its triggers were made
    columns    jsonb NOT NULL
);
COMMENT ON TABLE dbcare.audit_tables IS 'dbcare: the audited tables and their options (dbaudit_tables)';
-- The health check audit reads which tables are audited (not the log).
GRANT SELECT ON dbcare.audit_tables TO pg_monitor;

-- The hash chains' heads (docs/audit.md, "Hash chain"): one row per chain,
-- the table's stored name, or '' for the one chain of every table's entries
-- written before 0.3.3; its last entry's hash and id. A writer of a chained
-- table locks its table's row before it draws its entries' ids, so a chain's
-- entries link in id order and writers of different tables never wait for
-- each other (tables without hash_chain never touch this table). The first
-- chained write of a table makes its row, so a restored dump (which has it)
-- does not meet one the extension script made.
CREATE TABLE dbcare.audit_chain (
    chain     text CONSTRAINT dbcare_audit_chain_pkey PRIMARY KEY,
    last_hash text,
    last_id   bigint
);
COMMENT ON TABLE dbcare.audit_chain IS 'dbcare: the head of each hash chain of the audit log';

-- How many entries committed transactions wrote (dbcare_audit_entries_written):
-- each statement's writer adds its count to its backend's row (slot: the
-- backend id), so a rolled-back transaction adds nothing, deleted entries
-- still count, concurrent writers never wait on one row, and reading the
-- sum reads at most one row per backend slot.
CREATE TABLE dbcare.audit_written (
    slot    integer CONSTRAINT dbcare_audit_written_pkey PRIMARY KEY,
    entries bigint NOT NULL
);
COMMENT ON TABLE dbcare.audit_written IS 'dbcare: the audit entries written, per backend slot';
GRANT SELECT ON dbcare.audit_written TO pg_monitor;
SELECT pg_catalog.pg_extension_config_dump('dbcare.audit_written', '');

SELECT pg_catalog.pg_extension_config_dump('dbcare.audit_log', '');
SELECT pg_catalog.pg_extension_config_dump('dbcare.audit_chain', '');
SELECT pg_catalog.pg_extension_config_dump('dbcare.audit_tables', '');
SELECT pg_catalog.pg_extension_config_dump('dbcare.audit_log_id_seq', '');

-- dbcare:api audit

-- The row index (docs/audit.md, "The row hash"). row_hash is a portable
-- 64-bit hash of table_name (high half) and key (low half): an entry's row
-- is found by one bigint comparison per index level, where an index on
-- (table_name, key) compared jsonb keys, the larger part of an entry's cost.
-- The trigger's writer stores the value itself (no call per entry); a row the
-- executor writes, a restored dump's among them, gets it from the expression.
-- Readers re-check table_name and key: collisions cost a visit, not a wrong
-- answer. A table's entries are one range of row_hash (its high half).
ALTER TABLE dbcare.audit_log ADD COLUMN row_hash bigint
    GENERATED ALWAYS AS (dbcare.audit_row_hash(table_name, key)) STORED;
CREATE INDEX dbcare_audit_log_row ON dbcare.audit_log (row_hash, id);

-- Wal mode (docs/audit.md): how far the worker has written the decoded
-- changes into the log (pg/audit_wal_worker.c). decoded_lsn is the end of
-- the last transaction written, moved in the same transaction as its
-- entries: a transaction decoded again after a crash (the slot advances
-- only after that commit) is skipped, not written twice. One row; not
-- dumped (a restored database makes a new slot, which resets it).
CREATE TABLE dbcare.audit_wal_state (
    one         boolean CONSTRAINT dbcare_audit_wal_state_pkey PRIMARY KEY DEFAULT true
        CONSTRAINT dbcare_audit_wal_state_one CHECK (one),
    decoded_lsn pg_lsn NOT NULL,
    decoded_at  timestamptz
);
INSERT INTO dbcare.audit_wal_state (decoded_lsn) VALUES ('0/0');
COMMENT ON TABLE dbcare.audit_wal_state IS 'dbcare: how far the wal-mode worker has written the log';
GRANT SELECT ON dbcare.audit_wal_state TO pg_monitor;
