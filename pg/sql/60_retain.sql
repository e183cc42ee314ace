-- dbcare extension script, part 60: soft delete and retention policies (docs/retention.md).
-- The functions are declared in the API table; the build writes their
-- statements at the marker below.

CREATE TABLE dbcare.softdelete (
    table_name     text CONSTRAINT dbcare_softdelete_pkey PRIMARY KEY,
    table_schema   text,
    relation_name  text NOT NULL,
    column_name    text NOT NULL,
    enabled_at     timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE dbcare.softdelete IS 'tables whose DELETE sets a column (dbsoftdelete_enable)';
SELECT pg_catalog.pg_extension_config_dump('dbcare.softdelete', '');
GRANT SELECT ON dbcare.softdelete TO pg_monitor;

CREATE TABLE dbcare.retain_policies (
    name           text CONSTRAINT dbcare_retain_policies_pkey PRIMARY KEY,
    table_schema   text,
    table_name     text NOT NULL,
    column_name    text NOT NULL,
    keep           text NOT NULL,
    action         text NOT NULL CONSTRAINT dbcare_retain_policies_action
                        CHECK (action IN ('delete', 'archive', 'purge')),
    target_schema  text,
    target_name    text,
    archived_rows  bigint NOT NULL DEFAULT 0,
    deleted_rows   bigint NOT NULL DEFAULT 0,
    created_at     timestamptz NOT NULL DEFAULT pg_catalog.now(),
    last_run_at    timestamptz
);
COMMENT ON TABLE dbcare.retain_policies IS 'retention policies (dbretain_add) and the rows each moved';
SELECT pg_catalog.pg_extension_config_dump('dbcare.retain_policies', '');
GRANT SELECT ON dbcare.retain_policies TO pg_monitor;

-- dbcare:api retain

-- The API's "table dbsoftdelete_tables": SELECT * FROM dbsoftdelete_tables works too.
CREATE VIEW dbsoftdelete_tables AS SELECT * FROM dbsoftdelete_tables();
COMMENT ON VIEW dbsoftdelete_tables IS 'the soft-delete tables and their deleted rows now';

-- The API's "table dbretain_policies".
CREATE VIEW dbretain_policies AS SELECT * FROM dbretain_policies();
COMMENT ON VIEW dbretain_policies IS 'the retention policies and what they moved so far';
