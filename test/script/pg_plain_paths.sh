#!/usr/bin/env bash
# The plain paths beside the code below PostgreSQL's public interfaces
# (docs/postgresql.md, "Engine internals"). `make` also builds the module
# with -DDBC_PLAIN_PG_PATHS (build/pg/plain/dbcare.so): the audit writer
# through SPI and the executor, no schema cache key, no read of the
# caller's saved search_path, jsonb read by its iterator. This test checks that build has none of the
# gated code (and the normal one has it), then runs the audit writer's tests
# against it in a throwaway cluster of its own (test/harness/pg_suite.sh
# with DBC_PG_MODULE), so the plain path gives the answers the direct one
# gives.
set -eu
cd "$(dirname "$0")/../.."
fail() { echo "FAIL: $*"; exit 1; }
start=$(date +%s)
plain=build/pg/plain/dbcare.so
[ -f "$plain" ] && [ -f dbcare.so ] || fail "the modules are not built (make)"

# 1. what each build calls of PostgreSQL's internals
for sym in ExecInsertIndexTuples get_guc_variables getJsonbOffset index_insert; do
  nm -D --undefined-only dbcare.so | grep -qw "$sym" ||
    fail "the normal build does not call $sym (test premise: the gate is open on this version)"
  if nm -D --undefined-only "$plain" | grep -qw "$sym"; then
    fail "the plain build still calls $sym"
  fi
done
echo "ok: the plain build calls no gated internal (ExecInsertIndexTuples, get_guc_variables, getJsonbOffset, index_insert)"

# 2. the audit writer's tests against the plain build; beside them a script
# that fails, so the run also shows a failure's reason reaching the summary
# (pg_suite indents it: run_tests.sh repeats indented lines under a FAIL)
results=$(mktemp)
scripts=$(mktemp -d)
trap 'rm -rf "$results" "$scripts"' EXIT
ln -s "$PWD/test/script/lib" "$scripts/lib"
for t in batches statement log_indexes chain; do ln -s "$PWD/test/script/pg_audit_$t.sh" "$scripts/"; done
printf '#!/usr/bin/env bash\necho "the reason it failed"\nexit 1\n' >"$scripts/pg_zz_fails.sh"
chmod +x "$scripts/pg_zz_fails.sh"
out=$(DBC_PG_TAG=plain/ DBC_PG_MODULE=$plain DBC_PG_PLAIN_BUILD=1 DBC_PG_SCRIPTS_FROM=$scripts DBC_RESULTS=$results \
  DBC_PG_FILTER= DBC_PG_EXCLUDE= DBC_SHARE_IN= DBC_SHARE_OUT= DBC_SHARE_POOL= DBC_SHARE_FROM_END= \
  DBC_ONLY='^plain/pg_(audit_(batches|statement|log_indexes|chain)|zz_fails)$' \
  bash test/harness/pg_suite.sh 2>&1) && fail "the suite passed with a failing script: $out"
[ "$(grep -c '^PASS plain/pg_audit_' "$results")" = 4 ] ||
  fail "an audit test failed against the plain build: $(cat "$results") $out"
grep -A1 '^FAIL plain/pg_zz_fails' <<<"$out" | grep -qx '    the reason it failed' ||
  fail "a failing script's reason is not indented under its FAIL line: $out"
echo "ok: the audit tests pass against the plain build"
echo "pg_plain_paths: $(($(date +%s) - start)) s"
