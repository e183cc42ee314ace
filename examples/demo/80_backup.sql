-- A verified backup of the demo database, the catalog, and a retention dry run
-- backup.dir is an absolute path (docs/backups.md): test/harness/demo.sh binds
-- @backup_dir to build/demo/backups under the repository root.
SELECT dbcare_set('backup.dir', @backup_dir);
SELECT json_extract(b, '$.path') AS backup, json_extract(b, '$.bytes') AS bytes,
       json_extract(b, '$.rows') AS rows, json_extract(b, '$.verified') AS verified
  FROM (SELECT dbbackup_create() AS b);
SELECT id, path, status, "exists" FROM dbbackup_list;
SELECT dbbackup_prune(7) AS prune_dry_run;
