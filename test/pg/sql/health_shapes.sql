-- dbhealth_* on the shapes of real databases: serials of upgraded databases,
-- foreign keys switched off without being disabled, indexes covered by wider
-- ones, partitioned tables, same-named triggers, a missing bookkeeping table.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dbcare;
RESET client_min_messages;
CREATE SCHEMA shapes;
SET search_path = shapes, public;
CREATE VIEW quick AS SELECT * FROM dbhealth_checks('quick');

-- value and threshold are numbers: comparisons and sums work on them.
SELECT pg_typeof(value) AS value_type, pg_typeof(threshold) AS threshold_type
  FROM quick WHERE name = 'sequence_exhaustion';

-- A serial column of integer fed by a bigint sequence (every serial of a
-- database upgraded from 9.x): graded against the column's range. At
-- 2,000,000,000 it is 93 % of integer's, 0 % of bigint's.
CREATE TABLE film (film_id integer NOT NULL PRIMARY KEY, title text);
CREATE SEQUENCE film_film_id_seq AS bigint OWNED BY film.film_id;
ALTER TABLE film ALTER film_id SET DEFAULT nextval('film_film_id_seq');
SELECT setval('film_film_id_seq', 2000000000) IS NOT NULL AS set;
-- a sequence only named in a smallint column's default, not owned by it
CREATE SEQUENCE ticket_seq;
CREATE TABLE ticket (id smallint PRIMARY KEY DEFAULT nextval('ticket_seq'));
SELECT setval('ticket_seq', 20000) IS NOT NULL AS set;
SELECT status, value > 0 AS graded, threshold, message FROM quick WHERE name = 'sequence_exhaustion';
SELECT value > 10 AS over_ten FROM quick WHERE name = 'sequence_exhaustion';
ALTER TABLE film ALTER film_id TYPE bigint;
ALTER TABLE ticket ALTER id TYPE bigint;
-- An ok check says it is ok: no "near their limit" for sequences far from it.
SELECT status, message FROM quick WHERE name = 'sequence_exhaustion';

-- Foreign keys whose triggers fire only under session_replication_role =
-- replica are not enforced: an orphan goes in.
CREATE TABLE actor (actor_id int PRIMARY KEY);
CREATE TABLE film_actor (actor_id int NOT NULL REFERENCES actor, film_id int NOT NULL REFERENCES film,
                         PRIMARY KEY (actor_id, film_id));
CREATE INDEX film_actor_film ON film_actor (film_id);
SELECT name, status, message FROM quick
 WHERE name IN ('foreign_keys_enforced', 'disabled_triggers') ORDER BY name;
CREATE PROCEDURE set_fk_triggers(how text) LANGUAGE plpgsql AS $$
DECLARE tg name;
BEGIN
  FOR tg IN SELECT tgname FROM pg_trigger WHERE tgrelid = 'film_actor'::regclass AND tgisinternal LOOP
    EXECUTE format('ALTER TABLE film_actor ENABLE %s TRIGGER %I', how, tg);
  END LOOP;
END $$;
CALL set_fk_triggers('REPLICA');
INSERT INTO film_actor VALUES (99, 99);
SELECT name, status, message FROM quick
 WHERE name IN ('foreign_keys_enforced', 'disabled_triggers') ORDER BY name;
DELETE FROM film_actor;
-- ENABLE ALWAYS fires in every session: enforced.
CALL set_fk_triggers('ALWAYS');
SELECT name, status FROM quick
 WHERE name IN ('foreign_keys_enforced', 'disabled_triggers') ORDER BY name;
ALTER TABLE film_actor ENABLE TRIGGER ALL;
-- session_replication_role = replica set for the database or a role: every
-- ordinary foreign key is off in those sessions.
DO $$ BEGIN
  EXECUTE format('ALTER DATABASE %I SET session_replication_role = replica', current_database());
END $$;
SELECT name, status, message FROM quick
 WHERE name IN ('foreign_keys_enforced', 'disabled_triggers') ORDER BY name;
DO $$ BEGIN
  EXECUTE format('ALTER DATABASE %I RESET session_replication_role', current_database());
END $$;
CREATE ROLE regress_dbcare_loader;
ALTER ROLE regress_dbcare_loader SET session_replication_role = replica;
SELECT name, status, message FROM quick
 WHERE name IN ('foreign_keys_enforced', 'disabled_triggers') ORDER BY name;
DROP ROLE regress_dbcare_loader;
SELECT name, status FROM quick
 WHERE name IN ('foreign_keys_enforced', 'disabled_triggers') ORDER BY name;

-- Triggers named the same on several tables (Sakila: last_updated on 9
-- tables) are told apart by their table.
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER last_updated BEFORE UPDATE ON actor FOR EACH ROW EXECUTE FUNCTION touch();
CREATE TRIGGER last_updated BEFORE UPDATE ON film FOR EACH ROW EXECUTE FUNCTION touch();
ALTER TABLE actor DISABLE TRIGGER last_updated;
ALTER TABLE film DISABLE TRIGGER last_updated;
SELECT status, message FROM quick WHERE name = 'disabled_triggers';
ALTER TABLE actor ENABLE TRIGGER last_updated;
ALTER TABLE film ENABLE TRIGGER last_updated;

-- A partitioned table's NOT VALID constraint is one constraint, listed
-- once (not once per partition), with its table.
CREATE TABLE payment (payment_id int, actor_id int, amount numeric, paid date,
                      PRIMARY KEY (payment_id, paid)) PARTITION BY RANGE (paid);
CREATE TABLE payment_2025 PARTITION OF payment FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE payment_2026 PARTITION OF payment FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE INDEX payment_actor ON payment (actor_id);
ALTER TABLE payment ADD CONSTRAINT payment_amount CHECK (amount >= 0) NOT VALID;
SELECT status, message FROM quick WHERE name = 'not_valid_constraints';
ALTER TABLE payment VALIDATE CONSTRAINT payment_amount;
-- A domain's constraint added NOT VALID is not validated either.
CREATE DOMAIN year AS integer;
CREATE TABLE release (film_id int PRIMARY KEY, released year);
INSERT INTO release VALUES (1, 1850);
ALTER DOMAIN year ADD CONSTRAINT year_check CHECK (VALUE >= 1901) NOT VALID;
SELECT status, message FROM quick WHERE name = 'not_valid_constraints';
DELETE FROM release;
ALTER DOMAIN year VALIDATE CONSTRAINT year_check;
SELECT status FROM quick WHERE name = 'not_valid_constraints';

-- Indexes: a leading prefix of another index is redundant; the unique one,
-- the constraint's, the partial one and another operator class are not.
CREATE TABLE rental (rental_id int PRIMARY KEY, inventory_id int, customer_id int, staff_id int,
                     code text);
CREATE INDEX rental_inventory ON rental (inventory_id);
CREATE INDEX rental_inventory_customer ON rental (inventory_id, customer_id);
CREATE UNIQUE INDEX rental_customer_u ON rental (customer_id);
CREATE INDEX rental_customer_staff ON rental (customer_id, staff_id);
CREATE INDEX rental_id_staff ON rental (rental_id, staff_id);
CREATE INDEX rental_staff_recent ON rental (staff_id) WHERE rental_id > 1000;
CREATE INDEX rental_staff_customer ON rental (staff_id, customer_id);
CREATE INDEX rental_code_pattern ON rental (code text_pattern_ops);
CREATE INDEX rental_code_staff ON rental (code, staff_id);
SELECT status, message FROM quick WHERE name = 'duplicate_indexes';
DROP INDEX rental_inventory;
-- A partition's index that its parent's index requires is never the one to
-- drop (DROP INDEX refuses it); the duplicate on the parent is.
CREATE INDEX payment_actor_again ON payment (actor_id);
SELECT status, message FROM quick WHERE name = 'duplicate_indexes';
DROP INDEX payment_actor_again;
CREATE INDEX payment_2026_actor ON payment_2026 (actor_id);
SELECT status, message FROM quick WHERE name = 'duplicate_indexes';
DROP INDEX payment_2026_actor;
SELECT status FROM quick WHERE name = 'duplicate_indexes';

-- The cache hit ratio is that of user tables and their indexes
-- (pg_statio_user_tables), not the whole database's catalog reads.
CREATE TABLE cached AS SELECT g AS id, repeat('x', 500) AS pad FROM generate_series(1, 2000) g;
DO $$ BEGIN
  FOR i IN 1..150 LOOP PERFORM count(*) FROM cached; END LOOP;
END $$;
SELECT pg_stat_force_next_flush();
SELECT pg_sleep(0.1);
SELECT abs(c.value - (SELECT 100.0 * sum(s.heap_blks_hit + coalesce(s.idx_blks_hit, 0))
                       / sum(s.heap_blks_hit + s.heap_blks_read + coalesce(s.idx_blks_hit, 0)
                             + coalesce(s.idx_blks_read, 0))
                       FROM pg_statio_user_tables s)) < 0.001 AS user_tables_ratio,
       c.message LIKE '%of user tables%' AS says_user_tables
  FROM dbhealth_checks('quick') c WHERE c.name = 'cache_hit_ratio';

-- A missing bookkeeping table fails the checks that read it, not the
-- report: without dbcare.config the settings are their defaults (backups,
-- which reads its own settings there, is an error row), without
-- dbcare.migrations_history migrations is an error row (no summary is
-- stored: a report derives it, and stores none).
BEGIN;
ALTER TABLE dbcare.config RENAME TO config_away;
ALTER TABLE dbcare.migrations_history RENAME TO migrations_history_away;
SELECT name, status, message FROM quick WHERE status = 'error' ORDER BY name;
SELECT dbhealth_score('quick') BETWEEN 0 AND 100 AS score;
SELECT line FROM regexp_split_to_table(dbhealth_metrics('quick'), E'\n') line
 WHERE line LIKE 'dbcare_health_check_errors%schema_drift%';
ROLLBACK;

RESET search_path;
SET client_min_messages = warning;
DROP SCHEMA shapes CASCADE;
