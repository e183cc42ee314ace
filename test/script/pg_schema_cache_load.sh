#!/usr/bin/env bash
# The rows kept with the per-backend schema model are never stale under
# load: writers create and drop duplicate indexes and NOT VALID constraints
# while long-lived readers, each in a REPEATABLE READ transaction, compare the
# report's duplicate_indexes and not_valid_constraints counts with the
# catalogs read directly under the same snapshot.
set -eu
db=dbcare_schema_cache_load
. "$(dirname "$0")/lib/pg.sh"
fresh_db

for i in 1 2 3 4 5; do
  q -c "CREATE TABLE d$i (id int PRIMARY KEY, a int)" -c "CREATE INDEX d${i}_a ON d$i (a)"
done

# One writer (two could race each other to the same ADD CONSTRAINT, and a
# failed statement ends a pgbench client): each transaction one random change.
cat > "$work/write.sql" <<'SQL'
\set n random(1, 5)
\set k random(1, 4)
SELECT CASE :k
  WHEN 1 THEN format('CREATE INDEX IF NOT EXISTS d%s_dup ON d%s (a)', :n, :n)
  WHEN 2 THEN format('DROP INDEX IF EXISTS d%s_dup', :n)
  WHEN 3 THEN CASE WHEN EXISTS (SELECT 1 FROM pg_constraint WHERE conname = format('d%s_pos', :n))
              THEN 'SELECT 1'
              ELSE format('ALTER TABLE d%s ADD CONSTRAINT d%s_pos CHECK (a > 0) NOT VALID', :n, :n) END
  ELSE format('ALTER TABLE d%s DROP CONSTRAINT IF EXISTS d%s_pos', :n, :n) END AS ddl \gset
:ddl;
SQL
cat > "$work/read.sql" <<'SQL'
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT CASE WHEN r.dups = c.dups AND r.nv = c.nv THEN 1
            ELSE ('stale: report ' || r.dups || '/' || r.nv || ', catalogs ' || c.dups || '/' || c.nv)::int END
  FROM (SELECT max(value) FILTER (WHERE name = 'duplicate_indexes')::int AS dups,
               max(value) FILTER (WHERE name = 'not_valid_constraints')::int AS nv
          FROM dbhealth_checks('quick')) r,
       (SELECT (SELECT count(*) FROM pg_class WHERE relkind = 'i' AND relname ~ '^d[0-9]_dup$')::int AS dups,
               (SELECT count(*) FROM pg_constraint WHERE NOT convalidated AND conname ~ '^d[0-9]_pos$')::int AS nv) c;
COMMIT;
SQL

"$B/pgbench" -n -T 12 -R 40 -c 1 -f "$work/write.sql" "$db" > "$work/write.out" 2>&1 &
writers=$!
pids+=($writers)
if ! "$B/pgbench" -n -T 10 -R 40 -c 3 -f "$work/read.sql" "$db" > "$work/read.out" 2>&1; then
  fail "a reader saw the report disagree with the catalogs: $(grep -m1 -o 'stale[^"]*' "$work/read.out" || tail -5 "$work/read.out")"
fi
wait "$writers" || fail "the writer failed: $(tail -5 "$work/write.out")"
reads=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$work/read.out")
writes=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$work/write.out")
[ "${reads:-0}" -ge 20 ] || fail "only ${reads:-0} reader transactions ran (test premise)"
[ "${writes:-0}" -ge 20 ] || fail "only ${writes:-0} changes were made (test premise)"
echo "ok: $reads reader transactions agreed with the catalogs during $writes changes"
