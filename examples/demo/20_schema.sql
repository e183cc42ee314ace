-- A schema snapshot and its fingerprint (built by hand here; the migrations step does it properly)
CREATE TABLE IF NOT EXISTS demo_notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL CHECK (body <> ''));
SELECT key AS table_name, json_array_length(value, '$.columns') AS columns
  FROM json_each(dbschema_snapshot(), '$.table');
SELECT dbschema_fingerprint() AS fingerprint;
DROP TABLE demo_notes;
