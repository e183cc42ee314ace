-- Restore drills (dbbackup_drill, docs/backups.md "Restore drills"), run
-- under the sanitizers and valgrind too: a full copy, an incremental chain
-- with a sealed link, each restored into a scratch file, checked and
-- compared; a drill that finds orphaned rows fails and is recorded; the
-- check and the gauges follow the newest drill. The script tests cover the
-- command, keys and changed files (test/script/sqlite_backup_drill.sh).
CREATE TABLE p (id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE c (id INTEGER PRIMARY KEY, p_id INTEGER REFERENCES p (id), v TEXT);
WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < 200)
INSERT INTO p SELECT i, 'p' || i FROM g;
INSERT INTO c SELECT id, id, 'v' || id FROM p;
SELECT dbbackup_drill();
SELECT json_extract(dbbackup_create('drill-full.db'), '$.verified');
SELECT json_extract(d, '$.ok'), json_extract(d, '$.method'), json_extract(d, '$.mismatches'),
       json_extract(d, '$.detail')
  FROM (SELECT dbbackup_drill() AS d);
UPDATE c SET v = 'changed' WHERE id = 7;
SELECT json_extract(dbbackup_create('drill-incr.db', 'incremental+zstd'), '$.verified');
SELECT json_extract(d, '$.ok'), json_extract(d, '$.method'), json_extract(d, '$.backup_id')
  FROM (SELECT dbbackup_drill() AS d);
-- foreign_keys off (SQLite's default; said, since some builds turn it on):
-- parents deleted under their children
PRAGMA foreign_keys = OFF;
DELETE FROM p WHERE id <= 2;
SELECT json_extract(dbbackup_create('drill-orphans.db'), '$.verified');
SELECT json_extract(d, '$.ok'), json_extract(d, '$.detail')
  FROM (SELECT dbbackup_drill('drill-orphans.db') AS d);
SELECT backup_id, method, tables > 0, rows_compared > 0, mismatches, status FROM dbcare_backup_drills
 ORDER BY id;
SELECT status, substr(message, 1, 30) FROM dbhealth_checks WHERE name = 'backup_drills';
SELECT substr(s, 1, instr(s, char(10)) - 1)
  FROM (SELECT substr(m, instr(m, char(10) || 'dbcare_backup_last_drill_success{') + 1) AS s
          FROM (SELECT dbhealth_metrics() AS m));
SELECT dbbackup_drill('drill-full.db', '{"ok": true}');
SELECT dbbackup_drill('no-such.db');
