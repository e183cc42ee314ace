#!/usr/bin/env bash
# Engine internals only through public APIs (docs/postgresql.md, "Engine
# internals"). A source check, no cluster needed:
# 1. the speed-only mechanisms removed for reading PostgreSQL's private
#    structures or keeping OS watches inside a backend do not come back: no
#    inotify, no PGPROC fast-path lock bits, no visibility-map reads, in any
#    C source of core/, pg/ or sqlite/;
# 2. a header exposing PostgreSQL's private structures is included only by
#    a file listed below with its reason; each file that goes below the
#    public interfaces for speed or a caller's setting (the gated list) does
#    so only inside its version gate (#if PG_VERSION_NUM ... &&
#    !defined(DBC_PLAIN_PG_PATHS)), with the plain path in the #else, and
#    docs/postgresql.md lists every file of both lists
#    (test/script/pg_plain_paths.sh runs the plain build);
# 3. of SQLite, the glue includes only the public sqlite3ext.h / sqlite3.h.
set -eu
cd "$(dirname "$0")/../.."
fail() { echo "FAIL: $*"; exit 1; }

sources=(core/*/*.[ch] pg/*/*.[ch] sqlite/*/*.[ch])
[ "${#sources[@]}" -gt 20 ] || fail "no sources found (test premise)"

# 1. removed mechanisms
for marker in inotify fpLockBits fpRelId fpInfoLock FP_LOCK_SLOTS visibilitymap HEAPBLOCKS_PER_PAGE; do
  if hits=$(grep -n "$marker" "${sources[@]}"); then
    fail "$marker is back:
$hits"
  fi
done
echo "ok: no inotify watches, fast-path lock bits or visibility-map reads"

# 2. private PostgreSQL headers: FILE:HEADER pairs allowed, with the reason
private='storage/proc\.h|storage/procarray\.h|storage/bufmgr\.h|storage/bufpage\.h|storage/buf_internals\.h|storage/lwlock\.h|access/visibilitymap\.h|utils/guc_tables\.h|sys/inotify\.h|_internals\.h|_private\.h|_int\.h'
allowed=(
  # the schema cache's key (catalog pages, settings array): version-gated
  "pg/catalog/schema_cache.c:storage/bufmgr.h"
  "pg/catalog/schema_cache.c:utils/guc_tables.h"
  # the caller's search_path, saved by the function's own SET, resolves an
  # unqualified table name as PostgreSQL would: version-gated, correctness
  "pg/host/name_path.c:utils/guc_tables.h"
  # MyProc->lxid names the transaction a constraint-check scope belongs to;
  # correctness, not speed
  "pg/check/check_scope.c:storage/proc.h"
  # a reader waiting for wal mode's worker sets its latch: version-gated, speed
  "pg/audit/audit_wal.c:storage/proc.h"
  "pg/audit/audit_wal.c:storage/procarray.h"
)
while IFS= read -r line; do
  file=${line%%:*}
  header=$(sed -E 's/.*#include *[<"]([^>"]+)[>"].*/\1/' <<<"$line")
  ok=
  for a in "${allowed[@]}"; do [ "$a" = "$file:$header" ] && ok=1; done
  [ -n "$ok" ] || fail "$file includes the private header $header"
done < <(grep -HE "^[[:space:]]*#[[:space:]]*include[[:space:]]*[<\"]($private)" "${sources[@]}" | sed -E 's/^([^:]+):/\1:/')
echo "ok: private headers only where listed"

# ... and the gated files' internals only inside their gates:
# FILE:MACRO:what must stay inside `#ifdef MACRO` (an ERE)
gated=(
  'pg/catalog/schema_cache.c:SCHEMA_CACHE_BUILT:#include "(storage/bufmgr|utils/guc_tables|access/heapam)\.h"|ReadBuffer|HeapTupleHeader'
  'pg/host/name_path.c:CALLER_PATH_READ:#include "utils/guc_tables\.h"|get_guc_variables|GucStack'
  'pg/audit/audit_wal.c:WORKER_WAKE:#include "storage/(proc|procarray)\.h"|BackendPidGetProc|procLatch'
  'pg/json/json_doc_layout.c:LAYOUT_READ:JENTRY_|JBE_|getJsonbOffset|->children|JB_CMASK|JB_FOBJECT|JsonContainerIsScalar'
  'pg/audit/audit_row_image.c:LAYOUT_WRITE:JENTRY_|JB_OFFSET_STRIDE|JB_FOBJECT'
  'pg/audit/audit_written_row.c:DIRECT_COUNT:#include "(access/tableam|access/genam)\.h"|table_tuple_update|index_insert|index_beginscan'
  'pg/audit/audit_write.c:DIRECT_WRITE:#include "(executor/executor|access/tableam|access/genam)\.h"|ExecInsertIndexTuples|table_tuple_insert|ExecConstraints|InitResultRelInfo|ExecOpenIndices'
)
for g in "${gated[@]}"; do
  file=${g%%:*}; rest=${g#*:}; macro=${rest%%:*}; pattern=${rest#*:}
  grep -qE "$pattern" "$file" || fail "$file: nothing matches $pattern (test premise)"
  awk -v M="$macro" -v pat="$pattern" '
    /^#if PG_VERSION_NUM >= [0-9]+ && PG_VERSION_NUM < [0-9]+ && !defined\(DBC_PLAIN_PG_PATHS\)$/ {
      depth++; version_if = depth; next }
    version_if && $0 == "#define " M " 1" { gate_defined = 1 }
    /^#[ \t]*if/ { depth++; if ($0 == "#ifdef " M) { gated = 1; gdepth = depth }; next }
    /^#[ \t]*else/ { if (gated && depth == gdepth) gated = 0; next }
    /^#[ \t]*endif/ { if (depth == gdepth) { gated = 0; gdepth = 0 }
                       if (depth == version_if) version_if = 0; depth--; next }
    /^[ \t]*(\/\*|\*)/ { next }  # comments may name what the gate holds
    $0 ~ pat && !gated { print FILENAME ":" FNR ": outside #ifdef " M ": " $0; bad = 1 }
    END {
      if (!gate_defined) { print M " is not defined under a PG_VERSION_NUM range without DBC_PLAIN_PG_PATHS"; bad = 1 }
      exit bad
    }' "$file" || fail "$file reaches internals outside its version gate"
done
grep -q '"dbcare.schema_cache"' pg/catalog/schema_cache.c || fail "the schema cache has no setting to turn it off"
grep -q '"dbcare.jsonb_layout"' pg/json/json_doc_layout.c || fail "the jsonb layout reader has no setting to turn it off"
echo "ok: the gated files reach internals only inside their version gates"

# ... and docs/postgresql.md lists every file of both lists
section=$(sed -n '/^### Engine internals/,/^## /p' docs/postgresql.md)
for f in $(printf '%s\n' "${allowed[@]}" "${gated[@]}" | cut -d: -f1 | sort -u); do
  grep -qF "\`$f\`" <<<"$section" || fail "docs/postgresql.md, Engine internals, does not list $f"
done
echo "ok: docs/postgresql.md lists every file that goes below the public interfaces"

# 3. SQLite: public headers only
if hits=$(grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"](sqliteInt|vdbeInt|btreeInt|pager|btree|vdbe|os_common|sqliteLimit)\.h' "${sources[@]}"); then
  fail "SQLite's private headers are included:
$hits"
fi
echo "ok: SQLite only through sqlite3ext.h"
echo "engine internals are reached through public APIs, or gated"
