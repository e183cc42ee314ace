-- Sealed backups (zstd: no key needed), a sealed mark, and retention into
-- an ATTACHed archive, run under the sanitizers and valgrind too (the
-- script tests cover kills, keys and the file system). A sealed backup's
-- plain copy and the copies sealed files are opened into are scratch
-- files without a name, read and written through the module's own VFS.
CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT, at TEXT);
WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < 300)
INSERT INTO t (v, at) SELECT 'row ' || i, '2001-01-01T00:00:00Z' FROM g;
SELECT json_extract(b, '$.verified'), json_extract(b, '$.method'), json_extract(b, '$.compression'),
       json_extract(b, '$.encrypted'), json_extract(b, '$.rows')
  FROM (SELECT dbbackup_create('sealed.db', 'full+zstd') AS b);
UPDATE t SET v = 'changed' WHERE id = 7;
SELECT json_extract(b, '$.method'), json_extract(b, '$.compression'), json_extract(b, '$.base_id')
  FROM (SELECT dbbackup_create('sealed-incr.db', 'incremental+zstd') AS b);
SELECT json_extract(b, '$.verified'), json_extract(b, '$.sealed'), json_extract(b, '$.rows')
  FROM (SELECT dbbackup_verify('sealed-incr.db') AS b);
SELECT json_extract(b, '$.verified'), json_extract(b, '$.sealed')
  FROM (SELECT dbbackup_verify('sealed.db') AS b);
-- a mark's backup sealed like any; refused seals take nothing
SELECT dbcare_set('backup.dir', (SELECT substr(file, 1, length(file) - 8) FROM pragma_database_list WHERE name = 'main'));
SELECT json_extract(m, '$.label'), json_extract(m, '$.backup.method'),
       json_extract(m, '$.backup.compression')
  FROM (SELECT dbbackup_mark('sealed mark', 'zstd') AS m);
SELECT dbbackup_mark('refused', 'lz4');
SELECT dbbackup_mark('refused', 'zstd+key=0123456789abcdef0123456789abcdef');
SELECT id, method, status FROM dbcare_backups ORDER BY id;
SELECT label, backup_id FROM dbcare_backup_marks;
-- an archive-db policy moved into an ATTACHed file, one stage per call
SELECT dbretain_add('old_t', 't', 'at', '30 days', 'archive', 'archive-db:t');
ATTACH 'cold.db' AS cold;
SELECT dbretain_archive_attached('old_t', 'cold');
SELECT dbretain_archive_attached('old_t', 'cold');
SELECT dbretain_archive_attached('old_t', 'cold');
SELECT dbretain_archive_attached('old_t', 'cold');
SELECT count(*) FROM t;
SELECT count(*), sum(row_count), min(codec) FROM cold.dbcare_retain_archive;
SELECT stage, row_count FROM dbcare_retain_batches;
SELECT dbretain_archive_attached('old_t', 'nowhere');
SELECT dbretain_archive_attached('old_t', 'main');
BEGIN;
SELECT dbretain_archive_attached('old_t', 'cold');
ROLLBACK;
