#!/usr/bin/env bash
# The bookkeeping tables are declared once (core/book/tables.c) with what
# differs between the engines; this checks that every such difference is an
# intended one. It makes both (a fresh
# CREATE EXTENSION; a SQLite file after every part's first writing call) and
# compares them table by table, column by column: the column's type by the
# SQLite affinity it stands for, its nullability, and the keys (primary key,
# unique constraints and whole-table unique indexes). Every difference must
# be one of the intended ones listed below, each with its reason; a listed
# difference that no longer exists fails too, so the list stays true.
set -eu
db=book_parity
. "$(dirname "$0")/lib/pg.sh"
module="$PWD/build/sqlite/dbcare.so"
[ -f "$module" ] || fail "no SQLite module at build/sqlite/dbcare.so (make)"
fresh_db

# ---- PostgreSQL: table|column|class|notnull and table|key|columns.
# A type's class is the SQLite affinity a column of the same values takes
# there. Rules every table follows (so not listed per column below):
#   boolean                     -> integer (SQLite has no boolean: 0 or 1)
#   timestamptz, timestamp      -> text    (ISO-8601 text, as the core writes it)
#   json, jsonb                 -> text    (JSON text)
#   double precision, real      -> real
#   integer types               -> integer
#   text, varchar, char         -> text
pg_columns=$(q <<'SQL'
SELECT c.relname || '|' || a.attname || '|' ||
       CASE WHEN t.typname IN ('int2', 'int4', 'int8', 'bool') THEN 'integer'
            WHEN t.typname IN ('text', 'varchar', 'bpchar', 'name', 'timestamptz', 'timestamp',
                               'json', 'jsonb') THEN 'text'
            WHEN t.typname IN ('float4', 'float8') THEN 'real'
            WHEN t.typname = 'bytea' THEN 'blob'
            ELSE 'pg:' || pg_catalog.format_type(a.atttypid, a.atttypmod) END || '|' ||
       CASE WHEN a.attnotnull THEN 'not null' ELSE 'null' END
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
WHERE n.nspname = 'dbcare' AND c.relkind IN ('r', 'p')
ORDER BY 1
SQL
)
pg_keys=$(q <<'SQL'
SELECT c.relname || '|' || CASE WHEN i.indisprimary THEN 'primary key' ELSE 'unique' END || '|' ||
       (SELECT pg_catalog.string_agg(a.attname, ',' ORDER BY k.n)
        FROM pg_catalog.unnest(i.indkey) WITH ORDINALITY k(attnum, n)
        JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum)
FROM pg_catalog.pg_index i
JOIN pg_catalog.pg_class c ON c.oid = i.indrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'dbcare' AND c.relkind IN ('r', 'p') AND i.indisunique
  AND i.indpred IS NULL AND i.indexprs IS NULL
ORDER BY 1
SQL
)

# ---- SQLite: every table made (the shared ones by a changing call, each
# part's by its first writing call), read the same way; the dbcare_ prefix
# becomes the schema.
sq="$work/book.db"
. "$(dirname "$0")/lib/book_sqlite.sh"
book_sqlite_file "$sq" "$module" "$work"
tables=$(sqlite3 "$sq" "SELECT name FROM sqlite_schema WHERE type = 'table'
                         AND name LIKE 'dbcare\_%' ESCAPE '\' ORDER BY name")
# SQLite's affinity rules (datatype3.html, 3.1), in their order; a column
# that is the table's INTEGER PRIMARY KEY is the rowid, never NULL.
sq_columns=$(for t in $tables; do
  sqlite3 "$sq" "SELECT substr('$t', 8) || '|' || name || '|' ||
    CASE WHEN instr(upper(type), 'INT') THEN 'integer'
         WHEN instr(upper(type), 'CHAR') OR instr(upper(type), 'CLOB')
           OR instr(upper(type), 'TEXT') THEN 'text'
         WHEN instr(upper(type), 'BLOB') OR type = '' THEN 'blob'
         WHEN instr(upper(type), 'REAL') OR instr(upper(type), 'FLOA')
           OR instr(upper(type), 'DOUB') THEN 'real'
         ELSE 'numeric' END || '|' ||
    CASE WHEN \"notnull\" OR (pk = 1 AND upper(type) = 'INTEGER'
                             AND (SELECT count(*) FROM pragma_table_info('$t') WHERE pk > 0) = 1)
         THEN 'not null' ELSE 'null' END
    FROM pragma_table_info('$t')"
done | LC_ALL=C sort)
sq_keys=$(for t in $tables; do
  sqlite3 "$sq" "SELECT substr('$t', 8) || '|primary key|' || group_concat(name, ',')
                 FROM (SELECT name FROM pragma_table_info('$t') WHERE pk > 0 ORDER BY pk)
                 HAVING count(*) > 0;
                 SELECT substr('$t', 8) || '|unique|' ||
                        (SELECT group_concat(name, ',') FROM
                          (SELECT name FROM pragma_index_info(l.name) ORDER BY seqno))
                 FROM pragma_index_list('$t') l WHERE l.\"unique\" AND l.origin <> 'pk'
                   AND NOT l.partial"
done | LC_ALL=C sort)
pg_columns=$(LC_ALL=C sort <<<"$pg_columns")
pg_keys=$(LC_ALL=C sort <<<"$pg_keys")

# ---- the intended differences: "<  line" PostgreSQL only, ">  line" SQLite
# only, then the reason. Whole tables on one engine only are listed by their
# columns' lines.
intended=$(sed -e 's/[[:space:]]*#.*$//' -e '/^$/d' <<'LIST'
# Roles: only PostgreSQL has them, so only it records who did a thing.
< migrations|registered_by|text|null          # the registrant whose rights registered SQL runs with
< migrations_renames|registered_by|text|null  # the role that wrote a rename log row, whose rows the generator trusts
< backups|recorded_by|text|not null           # who recorded a backup (DEFAULT CURRENT_USER)
< migrations_history|applied_by|text|not null # DEFAULT CURRENT_USER; SQLite has no user to name
< json_schema_changes|changed_by|text|not null # who changed the JSON Schema registry (DEFAULT CURRENT_USER)
< json_schemas|owner|text|not null # the role a registered name belongs to (no roles on SQLite: its writers are one principal)
> migrations_history|applied_by|text|null     # (the column exists for one history layout, NULL)
< audit_log|db_user|text|not null             # session_user of the change
> audit_log|db_user|text|null                 # SQLite has no user: always NULL
# Transaction ids: xid8 on PostgreSQL; SQLite's dbaudit_txid() counter is an integer.
< audit_log|txid|pg:xid8|not null
> audit_log|txid|integer|not null
# The log's row index: PostgreSQL's primary key (one B-tree entry per entry,
# issue 63); SQLite's key is id, its rowid, and row_hash NULL while pending.
< audit_log|primary key|row_hash,id
< audit_log|row_hash|integer|not null
> audit_log|primary key|id
> audit_log|row_hash|integer|null
# The audit entries written (dbcare_audit_entries_written): PostgreSQL counts
# them per backend (identity values of rolled-back entries leave gaps);
# SQLite's AUTOINCREMENT counter of the log is that count.
< audit_written|entries|integer|not null
< audit_written|primary key|slot
< audit_written|slot|integer|not null
# The database's identity, named by sealed backups: a table of its own on
# PostgreSQL (pg_dump carries it, and the dumped row replaces the one a
# restore's CREATE EXTENSION makes); SQLite keeps it in dbcare_bookkeeping's
# one row (database_id), which copies of the file keep.
< database_identity|identity|text|not null
< database_identity|made_at|text|not null
< database_identity|one|integer|not null
< database_identity|primary key|one
# The wal-mode audit worker's progress and what it rejected: PostgreSQL's
# logical decoding (docs/audit.md, "Wal mode"); SQLite has no such mode.
< audit_wal_state|decoded_at|text|null
< audit_wal_state|decoded_lsn|pg:pg_lsn|not null
< audit_wal_state|last_rejected_at|text|null
< audit_wal_state|one|integer|not null
< audit_wal_state|rejected_messages|integer|not null
< audit_wal_state|unknown_user_entries|integer|not null
< audit_wal_state|primary key|one
# The migration summary is kept true by a generation counter on PostgreSQL
# (a writer's DELETE would not see a row committed after its snapshot): one
# row always there, NULL counts meaning nothing stored; SQLite's triggers
# delete the row instead, so a stored row is whole.
< migrations_generation|id|integer|not null
< migrations_generation|n|integer|not null
< migrations_generation|primary key|id
< migrations_summary|generation|integer|null
< migrations_summary|pending|integer|null
> migrations_summary|pending|integer|not null
< migrations_summary|changed|integer|null
> migrations_summary|changed|integer|not null
< migrations_summary|missing|integer|null
> migrations_summary|missing|integer|not null
< migrations_summary|failed|integer|null
> migrations_summary|failed|integer|not null
< migrations_summary|applied|integer|null
> migrations_summary|applied|integer|not null
# pgBackRest's backups (PostgreSQL only): its label and the WAL range.
< backups|label|text|null
< backups|wal_start|text|null
< backups|wal_stop|text|null
# Incremental SQLite backups: full or incremental, the base, page hashes.
> backups|method|text|null
> backups|base_id|integer|null
> backups|page_hashes|blob|null
# SQLite's bookkeeping layout version (sqlite/book/bookkeeping.c, BOOK_VERSION);
# PostgreSQL's is the extension's version.
> bookkeeping|id|integer|not null
> bookkeeping|version|integer|not null
# SQLite's database identity, named by sealed backups' headers (a copy of
# the file keeps it); PostgreSQL compares no identity yet.
> bookkeeping|database_id|text|null
> bookkeeping|primary key|id
LIST
)

actual=$(diff <(echo "$pg_columns"; echo "$pg_keys") <(echo "$sq_columns"; echo "$sq_keys") |
         sed -n 's/^\([<>]\) /\1 /p' | LC_ALL=C sort)
if [ "$actual" != "$(LC_ALL=C sort <<<"$intended")" ]; then
  echo "differences between the engines' bookkeeping tables that are not listed (+),"
  echo "or listed ones that are gone (-); < PostgreSQL only, > SQLite only:"
  diff <(LC_ALL=C sort <<<"$intended") <(echo "$actual") | sed -n 's/^</-/p; s/^>/+/p'
  fail "the bookkeeping tables differ between the engines"
fi
echo "ok: $(wc -l <<<"$pg_columns") PostgreSQL columns and $(wc -l <<<"$sq_columns") SQLite ones agree but for $(grep -c . <<<"$intended" || true) listed differences"
