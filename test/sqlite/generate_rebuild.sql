-- dbmigrate_generate on a table SQLite must rebuild (docs/schema-as-code.md):
-- its CHECK constraints (a column's, a named one, the table's) come back
-- where they were in the rebuild back, and columns left behind are named in
-- the hazard with their counts. Run under the sanitizers too (asan suite).
.headers on
.mode list
CREATE TABLE item (id INTEGER PRIMARY KEY, sku TEXT, note TEXT,
  qty INTEGER CONSTRAINT qty_positive CHECK (qty >= 0), price INTEGER CHECK (price < 1000),
  CHECK (price > qty));
INSERT INTO item VALUES (1, 's1', 'n', 1, 5), (2, 's2', NULL, 2, 50);
-- a type change and a changed CHECK: one rebuild step
SELECT step, hazard, rows_affected FROM dbmigrate_generate('CREATE TABLE item (id INTEGER PRIMARY KEY, sku TEXT, note TEXT,
  qty INTEGER CONSTRAINT qty_positive CHECK (qty >= 0), price BIGINT CHECK (price < 5000),
  CHECK (price > qty));');
-- its way back writes the live CHECKs on their columns
SELECT substr(reverse, instr(reverse, 'CREATE TABLE "item"'),
              instr(reverse, 'INSERT INTO "item"') - instr(reverse, 'CREATE TABLE "item"')) AS back
FROM dbmigrate_generate('CREATE TABLE item (id INTEGER PRIMARY KEY, sku TEXT, note TEXT,
  qty INTEGER CONSTRAINT qty_positive CHECK (qty >= 0), price BIGINT CHECK (price < 5000),
  CHECK (price > qty));');
-- columns dropped from the middle: refused, then named with their counts
SELECT count(*) FROM dbmigrate_generate('CREATE TABLE item (id INTEGER PRIMARY KEY,
  qty INTEGER CONSTRAINT qty_positive CHECK (qty >= 0), price INTEGER CHECK (price < 1000),
  CHECK (price > qty));');
SELECT step, hazard FROM dbmigrate_generate('CREATE TABLE item (id INTEGER PRIMARY KEY,
  qty INTEGER CONSTRAINT qty_positive CHECK (qty >= 0), price INTEGER CHECK (price < 1000),
  CHECK (price > qty));', '{"allow_drop": true}');
-- a JSON Schema CHECK, as docs/json.md recommends, live and desired: the
-- scratch places know dbcare's pure functions (dbjson_valid), no other
CREATE TABLE doc (id INTEGER PRIMARY KEY, body TEXT CHECK (dbjson_valid(body, '{"type": "object"}')));
SELECT step, hazard FROM dbmigrate_generate('CREATE TABLE item (id INTEGER PRIMARY KEY, sku TEXT, note TEXT,
  qty INTEGER CONSTRAINT qty_positive CHECK (qty >= 0), price INTEGER CHECK (price < 1000),
  CHECK (price > qty));
CREATE TABLE doc (id INTEGER PRIMARY KEY, body TEXT CHECK (dbjson_valid(body, ''{"type": "array"}'')));');
SELECT count(*) FROM dbmigrate_generate('CREATE TABLE item (id INTEGER PRIMARY KEY, sku TEXT, note TEXT,
  qty INTEGER CONSTRAINT qty_positive CHECK (qty >= 0), price INTEGER CHECK (price < 1000),
  CHECK (price > qty));
CREATE TABLE doc (id INTEGER PRIMARY KEY, body TEXT CHECK (dbmigrate_apply() > 0));');
-- a rebuilt table's new and changed indexes and triggers come with the
-- rebuild alone (each once), its gone ones go with it: the proof's up and
-- down both run
CREATE TABLE tag (id INTEGER PRIMARY KEY, a TEXT, b TEXT);
CREATE INDEX tag_b ON tag (b);
CREATE INDEX tag_a ON tag (a);
CREATE TRIGGER tag_ins AFTER INSERT ON tag BEGIN SELECT 0; END;
CREATE TRIGGER tag_del AFTER DELETE ON tag BEGIN SELECT 0; END;
INSERT INTO tag VALUES (1, 'a', 'b');
SELECT step, hazard FROM dbmigrate_generate('CREATE TABLE item (id INTEGER PRIMARY KEY, sku TEXT, note TEXT,
  qty INTEGER CONSTRAINT qty_positive CHECK (qty >= 0), price INTEGER CHECK (price < 1000),
  CHECK (price > qty));
CREATE TABLE doc (id INTEGER PRIMARY KEY, body TEXT CHECK (dbjson_valid(body, ''{"type": "object"}'')));
CREATE TABLE tag (id INTEGER PRIMARY KEY, a TEXT CHECK (a <> ''x''), b TEXT);
CREATE INDEX tag_b ON tag (b);
CREATE INDEX tag_a ON tag (a, b);
CREATE INDEX tag_ba ON tag (b, a);
CREATE TRIGGER tag_ins AFTER INSERT ON tag BEGIN SELECT 2; END;
CREATE TRIGGER tag_upd AFTER UPDATE ON tag BEGIN SELECT 1; END;', '{"allow_drop": true}');
