-- The same schema built in two different orders has the
.headers on
-- same fingerprint, whatever the order; dbcare's own tables never count.
CREATE TABLE a (id INTEGER PRIMARY KEY, b_id INTEGER REFERENCES b(id), note TEXT CHECK (note <> ''));
CREATE TABLE b (id INTEGER PRIMARY KEY, name TEXT UNIQUE);
CREATE INDEX a_note ON a (note);
CREATE TRIGGER a_touch AFTER UPDATE ON a BEGIN SELECT 1; END;
CREATE TEMP TABLE result AS SELECT dbschema_fingerprint() AS first;

-- dbcare's bookkeeping (made by dbcare_set) is not part of the user schema.
SELECT dbcare_set('health.ignore', 'a') AS previous;
SELECT dbschema_fingerprint() = first AS same_after_bookkeeping FROM result;

-- Rebuild in reverse order, with other objects created and dropped in
-- between, and with different white space and comments in the DDL.
DROP TRIGGER a_touch; DROP INDEX a_note; DROP TABLE a; DROP TABLE b;
CREATE TABLE scratch (x); DROP TABLE scratch;
CREATE TABLE b (id INTEGER PRIMARY KEY,   name TEXT UNIQUE);
CREATE TABLE a (
  id INTEGER PRIMARY KEY, -- the key
  b_id INTEGER REFERENCES b(id),
  note TEXT CHECK (note <> '')
);
CREATE TRIGGER a_touch AFTER UPDATE ON a BEGIN SELECT 1; END;
CREATE INDEX a_note ON a (note);
SELECT dbschema_fingerprint() = first AS same_in_other_order FROM result;

-- Renaming a column is a change.
ALTER TABLE b RENAME COLUMN name TO title;
SELECT dbschema_fingerprint() = first AS same_after_rename FROM result;
