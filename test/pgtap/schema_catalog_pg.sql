-- schema_catalog_pg: the PostgreSQL catalog reader builds plain index
-- definitions and names index and constraint key columns itself (from the
-- columns it has read, for speed); both must match what PostgreSQL deparses
-- and stores, over every kind of index and key.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
BEGIN;
CREATE EXTENSION IF NOT EXISTS dbcare;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
RESET client_min_messages;

SELECT plan(10);

CREATE SCHEMA "Tap Cat";
CREATE TABLE "Tap Cat"."Mixed Case" ("Id" int PRIMARY KEY, "select" text, v varchar(20),
    c text COLLATE "C", d text, e int, f jsonb, g int4range, arr int[], gone int, h tsvector);
ALTER TABLE "Tap Cat"."Mixed Case" DROP COLUMN gone;
CREATE UNIQUE INDEX "Idx Upper" ON "Tap Cat"."Mixed Case" ("select", "Id" DESC);
CREATE INDEX ix_nulls ON "Tap Cat"."Mixed Case" (e DESC NULLS LAST, d NULLS FIRST, "Id" ASC NULLS LAST);
CREATE INDEX ix_desc_first ON "Tap Cat"."Mixed Case" (e DESC NULLS FIRST);
CREATE INDEX ix_partial ON "Tap Cat"."Mixed Case" (e) WHERE e > 0;
CREATE INDEX ix_expr ON "Tap Cat"."Mixed Case" (lower(d));
CREATE INDEX ix_mixed ON "Tap Cat"."Mixed Case" (e, (e + 1), d);
CREATE INDEX ix_include ON "Tap Cat"."Mixed Case" (e) INCLUDE (d, "select");
CREATE INDEX ix_opclass ON "Tap Cat"."Mixed Case" (d text_pattern_ops);
CREATE INDEX ix_varchar ON "Tap Cat"."Mixed Case" (v);
CREATE INDEX ix_varchar_opc ON "Tap Cat"."Mixed Case" (v varchar_pattern_ops);
CREATE INDEX ix_coll ON "Tap Cat"."Mixed Case" (d COLLATE "C");
CREATE INDEX ix_coll_same ON "Tap Cat"."Mixed Case" (c COLLATE "C");
CREATE INDEX ix_coll_posix ON "Tap Cat"."Mixed Case" (c COLLATE "POSIX");
CREATE INDEX ix_hash ON "Tap Cat"."Mixed Case" USING hash (d);
CREATE INDEX ix_gin ON "Tap Cat"."Mixed Case" USING gin (f);
CREATE INDEX ix_gin_path ON "Tap Cat"."Mixed Case" USING gin (f jsonb_path_ops);
CREATE INDEX ix_gin_arr ON "Tap Cat"."Mixed Case" USING gin (arr);
CREATE INDEX ix_trgm_opts ON "Tap Cat"."Mixed Case" USING gist (d gist_trgm_ops (siglen = 32));
-- tsvector_ops is gist's default for tsvector and takes options: with them
-- the definition must name them, without them it is plain
CREATE INDEX ix_tsv_opts ON "Tap Cat"."Mixed Case" USING gist (h tsvector_ops (siglen = 100));
CREATE INDEX ix_tsv ON "Tap Cat"."Mixed Case" USING gist (h);
CREATE INDEX ix_brin ON "Tap Cat"."Mixed Case" USING brin (e);
CREATE INDEX ix_brin_opts ON "Tap Cat"."Mixed Case" USING brin (e) WITH (pages_per_range = 16);
CREATE INDEX ix_gist ON "Tap Cat"."Mixed Case" USING gist (g);
CREATE INDEX ix_spgist ON "Tap Cat"."Mixed Case" USING spgist (g);
CREATE INDEX ix_fill ON "Tap Cat"."Mixed Case" (e) WITH (fillfactor = 70);
CREATE UNIQUE INDEX ix_nnd ON "Tap Cat"."Mixed Case" (e, d) NULLS NOT DISTINCT;
CREATE INDEX "ix""quote" ON "Tap Cat"."Mixed Case" ("Id", "select");
CREATE TABLE "Tap Cat"."user" ("order" int, b int, c int, d int, tid int);
ALTER TABLE "Tap Cat"."user" DROP COLUMN b;
ALTER TABLE "Tap Cat"."user" ADD PRIMARY KEY (d, c);
CREATE INDEX "index" ON "Tap Cat"."user" ("order");
CREATE TABLE "Tap Cat".ref (x int, y int, z int,
    FOREIGN KEY (y, x) REFERENCES "Tap Cat"."user" (d, c) ON DELETE CASCADE,
    CHECK (tableoid::regclass::text <> 'x' AND z > 0));
CREATE TABLE "Tap Cat".part (id int, k int, PRIMARY KEY (id, k)) PARTITION BY RANGE (k);
CREATE TABLE "Tap Cat".part1 PARTITION OF "Tap Cat".part FOR VALUES FROM (0) TO (10);
CREATE INDEX part_k ON "Tap Cat".part (k);
CREATE MATERIALIZED VIEW "Tap Cat".mv AS SELECT 1 AS x;
CREATE INDEX mv_x ON "Tap Cat".mv (x);
CREATE DOMAIN "Tap Cat".posint AS int;
CREATE TABLE "Tap Cat".dom (x "Tap Cat".posint, y "char", z name, u uuid,
    t timestamptz DEFAULT now(), s serial, n numeric DEFAULT -(2.5), w text DEFAULT 'x''y');
CREATE INDEX dom_x ON "Tap Cat".dom (x);
CREATE INDEX dom_all ON "Tap Cat".dom (y, z, u);
CREATE TABLE "Tap Cat".p1 (a int);
CREATE TABLE public.p2 (b int);
CREATE TABLE "Tap Cat".kid (c int) INHERITS (public.p2, "Tap Cat".p1) WITH (fillfactor = 80);

CREATE TEMP TABLE snap AS SELECT dbschema_snapshot()::jsonb AS s;

-- dbcare's functions run with search_path = pg_catalog, pg_temp: what
-- pg_get_indexdef writes there (an opclass of another schema gets qualified).
SET LOCAL search_path = pg_catalog, pg_temp;
CREATE TEMP TABLE want AS
    SELECT n.nspname || '.' || c.relname AS key, pg_get_indexdef(i.indexrelid) AS def,
           EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid) AS owned
      FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'Tap Cat';
RESET search_path;

SELECT is((SELECT count(*) FROM snap, jsonb_each(s -> 'index') i WHERE i.key LIKE 'Tap Cat.%'),
          (SELECT count(*) FROM want WHERE NOT owned),
          'every index not backing a constraint is in the snapshot');

SELECT is_empty($$
    SELECT i.key, i.value ->> 'definition', w.def
      FROM snap, jsonb_each(s -> 'index') i LEFT JOIN want w ON w.key = i.key
     WHERE i.key LIKE 'Tap Cat.%' AND i.value ->> 'definition' IS DISTINCT FROM w.def$$,
    'every index definition is byte-identical to pg_get_indexdef');

SELECT is((SELECT s -> 'index' -> 'Tap Cat.ix_mixed' -> 'keys' FROM snap),
          '["e", "(e + 1)", "d"]'::jsonb, 'index keys: columns and expressions in order');

SELECT is((SELECT s -> 'table' -> 'Tap Cat.ref' -> 'constraints' -> 'ref_y_x_fkey' FROM snap)
            - 'on_update' - 'match' - 'deferrable' - 'initially_deferred',
          (SELECT s -> 'table' -> 'Tap Cat.ref' -> 'constraints' -> 'ref_y_x_fkey' FROM snap)
            - 'on_update' - 'match' - 'deferrable' - 'initially_deferred'
            || jsonb_build_object('columns', '["y", "x"]'::jsonb, 'ref_columns', '["d", "c"]'::jsonb),
          'foreign key columns and referenced columns in key order, past a dropped column');

SELECT is((SELECT s -> 'index' -> 'Tap Cat.mv_x' -> 'keys' FROM snap), '["x"]'::jsonb,
          'a materialized view''s index names its column (not among the tables'' columns read)');

-- every constraint's key and referenced columns, named as pg_attribute has
-- them for conkey / confkey, in key order
SELECT is_empty($$
    SELECT t.key, c.key
      FROM snap CROSS JOIN LATERAL jsonb_each(s -> 'table') t
      CROSS JOIN LATERAL jsonb_each(t.value -> 'constraints') c
      LEFT JOIN (SELECT n.nspname || '.' || r.relname AS tkey, k.conname,
                        to_jsonb(ARRAY(SELECT a.attname::text FROM unnest(k.conkey) WITH ORDINALITY u(n, o)
                          JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.n ORDER BY u.o)) AS cols,
                        to_jsonb(ARRAY(SELECT a.attname::text FROM unnest(k.confkey) WITH ORDINALITY u(n, o)
                          JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.n ORDER BY u.o)) AS refs
                   FROM pg_constraint k JOIN pg_class r ON r.oid = k.conrelid
                   JOIN pg_namespace n ON n.oid = r.relnamespace) w
        ON w.tkey = t.key AND w.conname = c.key
     WHERE t.key LIKE 'Tap Cat.%'
       AND (c.value -> 'columns' IS DISTINCT FROM w.cols
            OR (c.value ->> 'kind' = 'foreign_key' AND c.value -> 'ref_columns' IS DISTINCT FROM w.refs))$$,
    'constraint key and referenced columns match pg_attribute, in key order');

SELECT is((SELECT s -> 'table' -> 'Tap Cat.ref' -> 'constraints' -> 'ref_check' -> 'columns' FROM snap),
          '["tableoid", "z"]'::jsonb, 'a CHECK naming the system column tableoid');

SELECT is((SELECT jsonb_agg(c -> 'default' ORDER BY c ->> 'name') FROM snap,
                  jsonb_array_elements(s -> 'table' -> 'Tap Cat.dom' -> 'columns') c),
          (SELECT jsonb_agg(to_jsonb(pg_get_expr(d.adbin, d.adrelid)) ORDER BY a.attname)
             FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
            WHERE a.attrelid = '"Tap Cat".dom'::regclass AND a.attnum > 0 AND NOT a.attisdropped),
          'column defaults as pg_get_expr deparses them with the table');

SELECT is((SELECT s -> 'table' -> 'Tap Cat.kid' ->> 'options' FROM snap),
          'inherits public.p2, Tap Cat.p1; with (fillfactor=80)',
          'several parents in inheritance order, then the storage options');

SELECT is((SELECT (s -> 'table' -> 'Tap Cat.part1' ->> 'partition_of') || ' | ' ||
                  (s -> 'table' -> 'Tap Cat.part1' ->> 'options') FROM snap),
          'Tap Cat.part | partition FOR VALUES FROM (0) TO (10)',
          'a partition names its parent once, not as inheritance');

SELECT * FROM finish();
ROLLBACK;
