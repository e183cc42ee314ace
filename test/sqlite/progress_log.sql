-- The progress of a long step goes to SQLite's error log only where the
-- connection asked for it (dbcare_internal_state('progress'), which the
-- dbcare command calls to draw it): an application with a log callback of
-- its own (here the shell's .log) sees no "dbcare progress:" line otherwise.
.headers on
.mode list
.log stdout
CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);
INSERT INTO t (v) VALUES ('a'), ('b');
SELECT json_extract(dbbackup_create('quiet.db'), '$.verified') AS verified;
SELECT dbcare_internal_state('progress') AS asked;
SELECT json_extract(dbbackup_create('drawn.db'), '$.verified') AS verified;
.log off
SELECT dbcare_internal_state('colour');
