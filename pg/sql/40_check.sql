-- dbcare extension script, part 40: constraint checks, declared relations,
-- orphans. Reading functions run with the caller's rights on the checked
-- tables; the ones that change data or bookkeeping are not for PUBLIC.

-- dbcare:book relations

-- The functions: generated at build time from the API table
-- (core/api/functions.h) by pg/gen/api_sql.c in place of the next line.
-- dbcare:api check

-- The API's "table dbcheck_relations": SELECT * FROM dbcheck_relations works too.
CREATE VIEW dbcheck_relations AS SELECT * FROM dbcheck_relations();
COMMENT ON VIEW dbcheck_relations IS 'relations declared with dbcheck_add_relation';
GRANT SELECT ON dbcheck_relations TO pg_monitor;

