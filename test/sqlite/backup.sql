-- dbbackup_* on SQLite, run under the sanitizers and valgrind too (the
-- script tests test/script/sqlite_backup*.sh cover the file system cases:
-- permissions, a full disk, writers). Paths are relative to the working
-- directory of the test, which holds the database; the catalog records them
-- resolved (absolute), shown here relative again through temp.here.
CREATE TEMP VIEW here AS
  SELECT substr(file, 1, length(file) - length('/test.db')) AS dir
    FROM pragma_database_list WHERE name = 'main';
CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);
CREATE TABLE u (a, b);
CREATE INDEX u_a ON u (a);
INSERT INTO t (v) VALUES ('a'), ('b'), ('c');
INSERT INTO u VALUES (1, 2);
-- nothing recorded yet: the list is empty, the check is skipped
SELECT count(*) FROM dbbackup_list;
SELECT status, message FROM dbhealth_checks('quick') WHERE name = 'backups';
SELECT replace(json_extract(b, '$.path'), (SELECT dir FROM temp.here), '.'),
       json_extract(b, '$.rows'), json_extract(b, '$.tables'),
       json_extract(b, '$.check'), json_extract(b, '$.verified'), json_extract(b, '$.id')
  FROM (SELECT dbbackup_create('one.db') AS b);
SELECT json_extract(b, '$.verified'), json_extract(b, '$.catalogued'), json_extract(b, '$.rows')
  FROM (SELECT dbbackup_verify('one.db') AS b);
SELECT id, kind, replace(path, (SELECT dir FROM temp.here), '.'), status, "exists", verified_at >= created_at,
       length(fingerprint) FROM dbbackup_list;
SELECT status FROM dbhealth_checks('quick') WHERE name = 'backups';
-- bad input: nothing recorded
SELECT dbbackup_create('one.db');
SELECT dbbackup_create('.');
SELECT dbbackup_create('');
SELECT dbbackup_create('missing/x.db');
SELECT dbbackup_create();
SELECT dbbackup_verify('absent.db');
SELECT dbbackup_prune();
SELECT dbbackup_prune(-1);
BEGIN;
SELECT dbbackup_create('in-transaction.db');
COMMIT;
SELECT count(*) FROM dbbackup_list;
-- the default name, then retention
SELECT dbcare_set('backup.dir', (SELECT dir FROM temp.here));
SELECT dbcare_set('backup.verify', 'full');
SELECT json_extract(dbbackup_create(), '$.path') LIKE (SELECT dir FROM temp.here) || '/test-%Z.db';
SELECT json_extract(dbbackup_create('two.db'), '$.verified');
SELECT json_array_length(dbbackup_prune(1), '$.would_delete'), json_extract(dbbackup_prune(1), '$.kept');
SELECT dbbackup_prune(NULL, 30);
SELECT replace(json_extract(dbbackup_prune(1, NULL, 0), '$.deleted[#-1].path'),
               (SELECT dir FROM temp.here), '.');
SELECT replace(path, (SELECT dir FROM temp.here), '.'), "exists" FROM dbbackup_list ORDER BY id;
SELECT dbbackup_verify('one.db');
-- a backup's copy in a store (the command's, once whole there): a row of
-- its own of kind file_copy through the same dbbackup_record as
-- PostgreSQL's, read back by dbbackup_entry, marked by dbbackup_verified;
-- never one of the module's files (no prune, no exists); this catalog
-- keeps no label or WAL range
SELECT dbbackup_record('file_copy', 's3://b/p/two.db', 10, 'fp', true, NULL, printf('%064d', 0),
                       '{"t": {"rows": 3, "hash": "h"}}', NULL, NULL, NULL, 2.5);
SELECT json_extract(e, '$.kind'), json_extract(e, '$.path'), json_extract(e, '$.bytes'),
       json_extract(e, '$.sha256') = printf('%064d', 0), json_extract(e, '$.content.t.rows'),
       json_extract(e, '$.label') IS NULL, json_extract(e, '$.duration_ms'), json_extract(e, '$.status')
  FROM (SELECT dbbackup_entry(NULL, 's3://b/p/two.db') AS e);
SELECT dbbackup_verified(json_extract(dbbackup_entry(NULL, 's3://b/p/two.db'), '$.id'), 'gone');
SELECT kind, status, detail FROM dbcare_backups WHERE path = 's3://b/p/two.db';
SELECT kind, "exists" IS NULL FROM dbbackup_list WHERE kind = 'file_copy';
SELECT count(*) FROM json_each(dbbackup_prune(1), '$.would_delete')
  WHERE json_extract(value, '$.path') LIKE 's3:%';
SELECT dbbackup_record('file_copy', 's3://b/p/x.db', NULL, NULL, true, NULL, NULL, NULL, 'L');
SELECT count(*) FROM dbcare_backups WHERE kind = 'file_copy';
