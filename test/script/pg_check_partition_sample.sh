#!/usr/bin/env bash
# dbcheck_constraints' sample on a partitioned table without primary key:
# each partition numbers its rows' ctids from (0,1), so a ctid alone names
# one row per partition. The sample must name each offending row once (its
# partition, schema-qualified, with the ctid), and fetch exactly that row
# as constraints.md shows.
set -eu
db=dbcare_partition_sample
. "$(dirname "$0")/lib/pg.sh"
fresh_db

q -c "CREATE TABLE reading (sensor int, v int) PARTITION BY RANGE (sensor)" \
  -c "CREATE TABLE reading_low PARTITION OF reading FOR VALUES FROM (0) TO (10)" \
  -c "CREATE TABLE \"reading high\" PARTITION OF reading FOR VALUES FROM (10) TO (20)" \
  -c "INSERT INTO reading VALUES (1, -1), (2, 5), (11, -2), (12, 7)" \
  -c "ALTER TABLE reading ADD CONSTRAINT reading_v_positive CHECK (v > 0) NOT VALID"

sample=$(q -c "SELECT sample::text FROM dbcheck_constraints('reading')
               WHERE constraint_name = 'reading_v_positive'")
echo "sample: $sample"
distinct=$(q -c "SELECT count(DISTINCT e) FROM dbcheck_constraints('reading') c,
                 jsonb_array_elements_text(c.sample::jsonb) e
                 WHERE c.constraint_name = 'reading_v_positive'")
[ "$distinct" = 2 ] || fail "the sample names $distinct distinct rows, want 2: $sample"
found=$(q -c "SELECT string_agg(r.sensor || ':' || r.v, ',' ORDER BY r.sensor)
              FROM reading r
              JOIN pg_class c ON c.oid = r.tableoid
              JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE format('%I.%I', n.nspname, c.relname) || ' ' || r.ctid IN
                (SELECT jsonb_array_elements_text(c.sample::jsonb)
                   FROM dbcheck_constraints('reading') c
                  WHERE c.constraint_name = 'reading_v_positive')")
[ "$found" = "1:-1,11:-2" ] || fail "the sample fetches '$found', want '1:-1,11:-2'"
echo "ok: the sample names the two offending rows, each in its partition"
