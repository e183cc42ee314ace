#!/usr/bin/env bash
# Engine internals only through public APIs (docs/postgresql.md, "Engine
# internals"). A source check, no cluster needed:
# 1. the speed-only mechanisms removed for reading PostgreSQL's private
#    structures or keeping OS watches inside a backend do not come back: no
#    inotify, no PGPROC fast-path lock bits, no visibility-map reads, in any
#    C source of core/, pg/ or sqlite/;
# 2. a header exposing PostgreSQL's private structures is included only by
#    a file listed below with its reason, and the schema cache's only inside
#    its version gate (PG_VERSION_NUM), where the setting dbcare.schema_cache
#    can turn it off (test/script/pg_schema_cache.sh compares both paths);
# 3. of SQLite, the glue includes only the public sqlite3ext.h / sqlite3.h.
set -eu
cd "$(dirname "$0")/../.."
fail() { echo "FAIL: $*"; exit 1; }

sources=(core/*/*.[ch] pg/*.[ch] sqlite/*.[ch])
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
  "pg/schema_cache.c:storage/bufmgr.h"
  "pg/schema_cache.c:utils/guc_tables.h"
  # the caller's search_path, saved by the function's own SET, resolves an
  # unqualified table name as PostgreSQL would: version-gated, correctness
  "pg/name_path.c:utils/guc_tables.h"
  # MyProc->lxid names the transaction a constraint-check scope belongs to;
  # correctness, not speed
  "pg/check_scope.c:storage/proc.h"
)
while IFS= read -r line; do
  file=${line%%:*}
  header=$(sed -E 's/.*#include *[<"]([^>"]+)[>"].*/\1/' <<<"$line")
  ok=
  for a in "${allowed[@]}"; do [ "$a" = "$file:$header" ] && ok=1; done
  [ -n "$ok" ] || fail "$file includes the private header $header"
done < <(grep -HE "^[[:space:]]*#[[:space:]]*include[[:space:]]*[<\"]($private)" "${sources[@]}" | sed -E 's/^([^:]+):/\1:/')
echo "ok: private headers only where listed"

# ... and the schema cache's only inside its version gate
awk '
  /^#if PG_VERSION_NUM >= [0-9]+ && PG_VERSION_NUM < [0-9]+$/ { version_if = 1; next }
  version_if && /^#define SCHEMA_CACHE_BUILT 1$/ { gate_defined = 1 }
  version_if && /^#endif/ { version_if = 0 }
  /^#ifdef SCHEMA_CACHE_BUILT$/ { gated = 1; next }
  gated && /^#endif/ { gated = 0 }
  /^#include "(storage\/bufmgr|utils\/guc_tables|access\/heapam)\.h"/ && !gated {
    print "ungated: " $0; bad = 1
  }
  END {
    if (!gate_defined) { print "SCHEMA_CACHE_BUILT is not defined under a PG_VERSION_NUM range"; bad = 1 }
    exit bad
  }' pg/schema_cache.c || fail "pg/schema_cache.c reads private structures outside its version gate"
grep -q '"dbcare.schema_cache"' pg/schema_cache.c || fail "the schema cache has no setting to turn it off"
echo "ok: the schema cache's private reads are version-gated and can be turned off"

# 3. SQLite: public headers only
if hits=$(grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"](sqliteInt|vdbeInt|btreeInt|pager|btree|vdbe|os_common|sqliteLimit)\.h' "${sources[@]}"); then
  fail "SQLite's private headers are included:
$hits"
fi
echo "ok: SQLite only through sqlite3ext.h"
echo "engine internals are reached through public APIs, or gated"
