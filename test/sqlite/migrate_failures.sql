-- dbmigrate_*: what goes wrong, and that nothing changes when it does.
.headers on
.mode list

SELECT dbmigrate_add('1', 'create accounts',
  'CREATE TABLE accounts (id INTEGER PRIMARY KEY, owner TEXT NOT NULL, balance INTEGER NOT NULL CHECK (balance >= 0));') IS NOT NULL AS ok;
SELECT dbmigrate_apply() AS applied;
CREATE TEMP TABLE before AS
  SELECT dbschema_fingerprint() AS fp, (SELECT count(*) FROM dbmigrate_history) AS events;

-- The third of five statements fails (a CHECK violation): the first two are
-- undone, nothing is recorded, and the error names version, name and line.
SELECT dbmigrate_add('2', 'seed accounts',
  'CREATE TABLE audit (id INTEGER PRIMARY KEY, note TEXT);
INSERT INTO accounts (owner, balance) VALUES (''ada'', 10);
INSERT INTO accounts (owner, balance) VALUES (''bob'', -5);
INSERT INTO audit (note) VALUES (''seeded'');
CREATE INDEX accounts_owner ON accounts (owner);') IS NOT NULL AS ok;
SELECT dbmigrate_apply();
SELECT dbschema_fingerprint() = fp AS schema_unchanged,
       (SELECT count(*) FROM dbmigrate_history) = events AS history_unchanged,
       (SELECT count(*) FROM accounts) AS accounts
  FROM before;
SELECT version, state FROM dbmigrate_status;

-- A syntax error and a missing table fail the same way.
SELECT dbmigrate_add('2', 'seed accounts', 'CREATE TABLE audit (id INTEGER PRIMARY KEY);
CREATE TABEL oops (x);') IS NOT NULL AS replaced;
SELECT dbmigrate_apply();
SELECT dbmigrate_add('2', 'seed accounts', 'CREATE TABLE audit (id INTEGER PRIMARY KEY);

INSERT INTO nowhere VALUES (1);') IS NOT NULL AS replaced;
SELECT dbmigrate_apply();
SELECT dbschema_fingerprint() = fp AS schema_unchanged FROM before;

-- Transaction control inside a migration is refused when it is registered...
SELECT dbmigrate_add('3', 'sneaky commit', 'INSERT INTO accounts (owner, balance) VALUES (''eve'', 1);
COMMIT;');
SELECT dbmigrate_add('3', 'sneaky release', 'RELEASE dbcare_sp_1;');
SELECT dbmigrate_add('3', 'sneaky begin', 'BEGIN; CREATE TABLE x (y);');
-- ...but a trigger body (BEGIN ... END) and the script's own savepoints are fine.
SELECT dbmigrate_add('2', 'seed accounts',
  'CREATE TABLE audit (id INTEGER PRIMARY KEY, note TEXT);
CREATE TRIGGER accounts_audit AFTER INSERT ON accounts BEGIN
  INSERT INTO audit (note) VALUES (CASE WHEN new.balance > 0 THEN ''credit'' ELSE ''empty'' END);
END;
SAVEPOINT seed;
INSERT INTO accounts (owner, balance) VALUES (''ada'', 10);
ROLLBACK TO seed;
RELEASE seed;
INSERT INTO accounts (owner, balance) VALUES (''bob'', 0);') IS NOT NULL AS ok;
SELECT dbmigrate_apply() AS applied;
SELECT owner FROM accounts;
SELECT note FROM audit;

-- VACUUM cannot run in a transaction: it needs -- dbcare:no-transaction and dbmigrate_script().
SELECT dbmigrate_add('3', 'compact', 'VACUUM;');
SELECT dbmigrate_add('3', 'compact', '-- dbcare:no-transaction
VACUUM;') IS NOT NULL AS ok;
SELECT dbmigrate_apply();
SELECT * FROM dbmigrate_plan;

-- Bad arguments: NULLs, empty and non-numeric versions, 1 vs 1.0, empty scripts.
SELECT dbmigrate_add(NULL, 'x', 'SELECT 1');
SELECT dbmigrate_add('4', NULL, 'SELECT 1');
SELECT dbmigrate_add('4', 'x', NULL);
SELECT dbmigrate_add('', 'x', 'SELECT 1');
SELECT dbmigrate_add('4a', 'x', 'SELECT 1');
SELECT dbmigrate_add('1.0', 'x', 'SELECT 1');
SELECT dbmigrate_add('4', 'x', '  ');
SELECT dbmigrate_add('4', 'x', 'SELECT 1', '');
SELECT dbmigrate_add('4', '', 'SELECT 1');
SELECT dbmigrate_add_repeatable(NULL, 'SELECT 1');
SELECT dbmigrate_apply('x');
SELECT dbmigrate_assert(NULL);
SELECT dbmigrate_baseline(NULL);

-- A migration may not call dbmigrate_apply (or any changing dbmigrate_ function).
SELECT dbmigrate_add('3', 'compact', 'SELECT dbmigrate_apply();') IS NOT NULL AS replaced;
SELECT dbmigrate_apply();
-- Nor drop dbcare's own tables.
SELECT dbmigrate_add('3', 'compact', 'DROP TABLE dbcare_migrations_history;') IS NOT NULL AS replaced;
SELECT dbmigrate_apply();
SELECT count(*) > 0 AS history_kept FROM dbmigrate_history;

-- Inside the caller's own transaction, apply is part of it: ROLLBACK undoes it.
SELECT dbmigrate_add('3', 'more accounts', 'INSERT INTO accounts (owner, balance) VALUES (''cy'', 3);') IS NOT NULL AS replaced;
BEGIN;
SELECT dbmigrate_apply() AS applied;
SELECT dbmigrate_current() AS inside;
ROLLBACK;
SELECT dbmigrate_current() AS after_rollback, (SELECT count(*) FROM accounts) AS accounts;
