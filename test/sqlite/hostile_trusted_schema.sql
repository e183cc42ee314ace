-- A hostile database file: its views, triggers, CHECK constraints, defaults
-- and indexes try to reach dbcare's functions behind the user's back (a view
-- the user merely reads, a trigger fired by an ordinary INSERT). Every
-- function with a side effect or that reads the database, and every
-- table-valued function, is DIRECTONLY: SQLite refuses it in schema objects
-- read from a file ("unsafe use"). Pure functions such as dbcare_version stay
-- usable, also with PRAGMA trusted_schema = OFF.
.headers on
.mode list
PRAGMA trusted_schema = OFF;

-- Someone else prepares hostile.db (here: attached, filled, detached).
ATTACH 'hostile.db' AS h;
CREATE TABLE h.victim (id INTEGER PRIMARY KEY, note TEXT);
CREATE TABLE h.victim2 (id INTEGER PRIMARY KEY, note TEXT);
CREATE TABLE h.harmless (id INTEGER PRIMARY KEY, note TEXT);
CREATE TABLE h.audit (what TEXT);
CREATE VIEW h.v_version AS SELECT dbcare_version() AS version;
CREATE VIEW h.v_set AS SELECT dbcare_set('migrate.out_of_order', 'allow') AS previous;
CREATE VIEW h.v_get AS SELECT dbcare_get('migrate.out_of_order') AS value;
CREATE VIEW h.v_snapshot AS SELECT dbschema_snapshot() AS s;
CREATE VIEW h.v_fingerprint AS SELECT dbschema_fingerprint() AS f;
CREATE VIEW h.v_settings AS SELECT key FROM dbcare_settings;
CREATE VIEW h.v_diff AS SELECT * FROM dbschema_diff('{"format":1}', '{"format":1}');
CREATE VIEW h.v_add AS SELECT dbcheck_add_relation('r', 'victim', 'id', 'audit', 'what') AS r;
CREATE VIEW h.v_drop AS SELECT dbcheck_drop_relation('r') AS r;
CREATE VIEW h.v_cleanup AS SELECT dbcheck_cleanup_orphans(0) AS n;
CREATE VIEW h.v_constraints AS SELECT * FROM dbcheck_constraints;
CREATE VIEW h.v_relations AS SELECT * FROM dbcheck_relations;
CREATE VIEW h.v_orphans AS SELECT * FROM dbcheck_orphans;
CREATE VIEW h.v_report AS SELECT dbhealth_report('quick') AS r;
CREATE VIEW h.v_hsnap AS SELECT dbhealth_snapshot() AS r;
CREATE VIEW h.v_monitor AS SELECT dbmonitor_start(0) AS r;
CREATE VIEW h.v_checks AS SELECT * FROM dbhealth_checks;
CREATE TRIGGER h.t_set AFTER INSERT ON victim
BEGIN
  INSERT INTO audit VALUES (dbcare_set('migrate.out_of_order', 'allow'));
END;
CREATE TRIGGER h.t_settings AFTER INSERT ON victim2
BEGIN
  INSERT INTO audit SELECT key FROM dbcare_settings;
END;
CREATE TRIGGER h.t_version AFTER INSERT ON harmless
BEGIN
  INSERT INTO audit VALUES (dbcare_version());
END;
CREATE TABLE h.c_default (x TEXT DEFAULT (dbcare_get('migrate.out_of_order')));
CREATE TABLE h.c_index (x TEXT);
DETACH h;

-- The victim opens it.
ATTACH 'hostile.db' AS h;

-- The pure function works through a view and a trigger.
SELECT length(version) > 0 AS pure_ok FROM h.v_version;
INSERT INTO h.harmless (note) VALUES ('version');
SELECT count(*) AS audited_versions FROM h.audit;

-- Everything else is refused there.
SELECT * FROM h.v_set;
SELECT * FROM h.v_get;
SELECT * FROM h.v_snapshot;
SELECT * FROM h.v_fingerprint;
SELECT * FROM h.v_settings;
SELECT * FROM h.v_diff;
SELECT * FROM h.v_add;
SELECT * FROM h.v_drop;
SELECT * FROM h.v_cleanup;
SELECT * FROM h.v_constraints;
SELECT * FROM h.v_relations;
SELECT * FROM h.v_orphans;
SELECT * FROM h.v_report;
SELECT * FROM h.v_hsnap;
SELECT * FROM h.v_monitor;
SELECT * FROM h.v_checks;
INSERT INTO h.victim (note) VALUES ('set');
INSERT INTO h.victim2 (note) VALUES ('settings');
INSERT INTO h.c_default DEFAULT VALUES;

-- Generated columns and partial indexes cannot even be declared with them
-- (they are not deterministic).
CREATE TABLE c_generated (x TEXT, y TEXT AS (dbschema_fingerprint()));
CREATE TABLE c_index (x TEXT);
CREATE INDEX c_index_fp ON c_index (x) WHERE dbschema_fingerprint() IS NOT NULL;

-- None of it changed anything: the setting still has its default and only
-- the row of the pure trigger is there.
SELECT dbcare_get('migrate.out_of_order') AS out_of_order;
SELECT count(*) AS relations FROM dbcheck_relations;
SELECT (SELECT count(*) FROM h.victim) + (SELECT count(*) FROM h.victim2)
     + (SELECT count(*) FROM h.c_default) AS hostile_rows;

-- Called directly by the user, the same functions work.
SELECT dbcare_get('migrate.out_of_order') AS direct_get;
SELECT count(*) > 0 AS direct_settings FROM dbcare_settings;
SELECT length(dbschema_fingerprint()) AS direct_fingerprint;

-- With trusted_schema ON (SQLite's default), DIRECTONLY still holds.
PRAGMA trusted_schema = ON;
SELECT * FROM h.v_set;
SELECT * FROM h.v_settings;
INSERT INTO h.victim (note) VALUES ('set');
SELECT dbcare_get('migrate.out_of_order') AS still_default;

-- Known limit of SQLite 3.40: DIRECTONLY is not applied to a CHECK
-- constraint, even one read from a file (docs/security.md). dbcare cannot see
-- where a call comes from, so a hostile CHECK can call dbcare_set; open
-- untrusted files read-only or inspect their schema first.
ATTACH 'hostile2.db' AS h2;
CREATE TABLE h2.c_check (x TEXT CHECK (dbcare_set('health.ignore', 'planted') IS NOT NULL));
DETACH h2;
ATTACH 'hostile2.db' AS h2;
INSERT INTO h2.c_check VALUES ('x');
SELECT dbcare_get('health.ignore') AS set_by_check;
