-- A verified backup of the demo database, the catalog, and a retention dry run
SELECT dbcare_set('backup.dir', 'build/demo/backups');
SELECT json_extract(b, '$.path') AS backup, json_extract(b, '$.bytes') AS bytes,
       json_extract(b, '$.rows') AS rows, json_extract(b, '$.verified') AS verified
  FROM (SELECT dbbackup_create() AS b);
SELECT id, path, status, "exists" FROM dbbackup_list;
SELECT dbbackup_prune(7) AS prune_dry_run;
