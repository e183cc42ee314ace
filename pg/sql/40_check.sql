-- dbcare extension script, part 40: constraint checks, declared relations,
-- orphans. Reading functions run with the caller's rights on the checked
-- tables; the ones that change data or bookkeeping are not for PUBLIC.

CREATE TABLE dbcare.relations (
    name           text CONSTRAINT dbcare_relations_pkey PRIMARY KEY,
    child_schema   text,
    child_table    text NOT NULL,
    child_columns  text NOT NULL,
    parent_schema  text,
    parent_table   text NOT NULL,
    parent_columns text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE dbcare.relations IS 'relations declared with dbcheck_add_relation (logical foreign keys)';
SELECT pg_catalog.pg_extension_config_dump('dbcare.relations', '');
GRANT SELECT ON dbcare.relations TO pg_monitor;

-- The functions: generated at build time from the API table
-- (core/api/functions.h) by pg/gen/api_sql.c in place of the next line.
-- dbcare:api check

-- The API's "table dbcheck_relations": SELECT * FROM dbcheck_relations works too.
CREATE VIEW dbcheck_relations AS SELECT * FROM dbcheck_relations();
COMMENT ON VIEW dbcheck_relations IS 'relations declared with dbcheck_add_relation';
GRANT SELECT ON dbcheck_relations TO pg_monitor;

