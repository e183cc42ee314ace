-- dbcare extension script, part 60: soft delete and retention policies (docs/retention.md).
-- The functions are declared in the API table; the build writes their
-- statements at the marker below.

-- dbcare:book softdelete

-- dbcare:book retain_policies

-- Archives in another database (docs/retention.md, "Archives in another
-- database"). In the source: each batch of a policy archiving into
-- another database, its stage (picked, verified, done), count and content
-- hash, and the identities of its rows until it is done.
-- dbcare:book retain_batches
-- dbcare:book retain_batch_rows
-- In the archive database: each batch stored, keyed by its batch key.
-- dbcare:book retain_archive

-- dbcare:api retain

-- The API's "table dbsoftdelete_tables": SELECT * FROM dbsoftdelete_tables works too.
CREATE VIEW dbsoftdelete_tables AS SELECT * FROM dbsoftdelete_tables();
COMMENT ON VIEW dbsoftdelete_tables IS 'the soft-delete tables and their deleted rows now';

-- The API's "table dbretain_policies".
CREATE VIEW dbretain_policies AS SELECT * FROM dbretain_policies();
COMMENT ON VIEW dbretain_policies IS 'the retention policies and what they moved so far';
