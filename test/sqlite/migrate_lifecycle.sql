-- dbmigrate_*: rollback, verify, out-of-order, drift, repair and baseline.
.headers on
.mode list

SELECT dbmigrate_add('1', 'create products', 'CREATE TABLE products (id INTEGER PRIMARY KEY, sku TEXT NOT NULL);',
                     'DROP TABLE products;') IS NOT NULL AS ok;
SELECT dbmigrate_add('2', 'add price', 'ALTER TABLE products ADD COLUMN price_cents INTEGER;',
                     'ALTER TABLE products DROP COLUMN price_cents;') IS NOT NULL AS ok;
SELECT dbmigrate_add('3', 'index sku', 'CREATE UNIQUE INDEX products_sku ON products (sku);') IS NOT NULL AS ok;

-- verify proves up -> down -> up for each pending migration and keeps nothing.
CREATE TEMP TABLE fp0 AS SELECT dbschema_fingerprint() AS fp;
SELECT * FROM dbmigrate_verify('2');
SELECT dbschema_fingerprint() = fp AS schema_unchanged, (SELECT count(*) FROM dbmigrate_history) AS events FROM fp0;
-- SQLite cannot DROP TABLE while a SELECT reads the database, and the table
-- form is such a SELECT: dbmigrate_verify_json() gives the same rows as JSON.
SELECT * FROM dbmigrate_verify WHERE version = '1';
SELECT dbmigrate_verify_json() AS proof;
SELECT dbschema_fingerprint() = fp AS schema_unchanged, (SELECT count(*) FROM dbmigrate_history) AS events FROM fp0;

SELECT dbmigrate_apply() AS applied;

-- Rollback checks every down script it needs before running any: 3 has none.
SELECT dbmigrate_rollback();
SELECT dbmigrate_rollback('1');
SELECT dbmigrate_current() AS current;
-- Give 3 a down script (it is applied, so its up checksum must stay the same).
SELECT dbmigrate_add('3', 'index sku', 'CREATE UNIQUE INDEX products_sku ON products (sku);',
                     'DROP INDEX products_sku;') IS NOT NULL AS ok;
SELECT version, state FROM dbmigrate_status;
SELECT dbmigrate_rollback() AS rolled_back;
SELECT dbmigrate_current() AS current;
SELECT dbmigrate_rollback('1') AS rolled_back;
SELECT dbmigrate_current() AS current;
SELECT id, version, direction FROM dbmigrate_history;
SELECT name FROM pragma_table_info('products');
SELECT dbmigrate_apply() AS applied;

-- Out of order: 2.5 is older than the current version 3.
SELECT dbmigrate_add('2.5', 'add stock', 'ALTER TABLE products ADD COLUMN stock INTEGER NOT NULL DEFAULT 0;') IS NOT NULL AS ok;
SELECT version, state FROM dbmigrate_status WHERE version = '2.5';
SELECT * FROM dbmigrate_validate;
SELECT dbmigrate_apply();
SELECT dbcare_set('migrate.out_of_order', 'allow') AS previous;
SELECT count(*) AS problems FROM dbmigrate_validate;
SELECT dbmigrate_apply() AS applied;
SELECT dbcare_set('migrate.out_of_order', 'refuse') AS previous;

-- Drift: a change by hand after the last migration.
ALTER TABLE products ADD COLUMN colour TEXT;
CREATE TABLE scratch (x);
SELECT version, name, problem, detail FROM dbmigrate_validate;

-- An applied script edited afterwards shows as changed and blocks apply and assert;
-- whitespace-only differences (CRLF, trailing blanks) do not count.
SELECT dbmigrate_add('1', 'create products', 'CREATE TABLE products (id INTEGER PRIMARY KEY, sku TEXT NOT NULL);' || char(13) || char(10) || '   ',
                     'DROP TABLE products;') IS NOT NULL AS ok;
SELECT version, state FROM dbmigrate_status WHERE version = '1';
SELECT dbmigrate_add('1', 'create products', 'CREATE TABLE products (id INTEGER PRIMARY KEY, sku TEXT);',
                     'DROP TABLE products;') IS NOT NULL AS ok;
SELECT version, state FROM dbmigrate_status WHERE version = '1';
SELECT dbmigrate_assert('3');
SELECT version, problem FROM dbmigrate_validate;

-- repair accepts the current checksums and the current schema.
SELECT dbmigrate_repair() AS repaired;
SELECT count(*) AS problems FROM dbmigrate_validate;
SELECT dbmigrate_assert('3') AS ok;
SELECT dbmigrate_repair() AS repaired_again;
SELECT kind, direction, name FROM dbmigrate_history WHERE kind = 'repair';

-- Baseline adopts an existing database, but only one dbcare never migrated.
SELECT dbmigrate_baseline('1');
