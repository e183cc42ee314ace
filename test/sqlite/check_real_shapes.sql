-- dbcheck_constraints on shapes real SQLite files have (a Chinook-like music
-- store): NOT NULL columns that hold NULLs because the schema text was edited
-- or another tool wrote the file, unique indexes made with CREATE UNIQUE
-- INDEX, and a foreign key whose parent key is not unique.
.headers on
.mode list
PRAGMA foreign_keys = OFF;

CREATE TABLE artist (ArtistId INTEGER PRIMARY KEY, Name TEXT);
CREATE TABLE album (
  AlbumId INTEGER PRIMARY KEY,
  Title TEXT,
  ArtistId INTEGER NOT NULL REFERENCES artist (ArtistId)
);
CREATE TABLE genre (GenreId INTEGER PRIMARY KEY, Name TEXT);
CREATE TABLE track (
  TrackId INTEGER PRIMARY KEY,
  Name TEXT,
  AlbumId INTEGER REFERENCES album (AlbumId),
  GenreCode TEXT REFERENCES genre (Name),     -- genre.Name is not unique
  Milliseconds INTEGER,
  Composer TEXT
);
CREATE TABLE customer (CustomerId INTEGER PRIMARY KEY, Email TEXT, Country TEXT, City TEXT,
                       Code TEXT);
-- plain indexes here: the schema text makes them unique below
CREATE INDEX customer_email ON customer (Email COLLATE NOCASE);
CREATE INDEX customer_place ON customer (Country, City) WHERE Code IS NOT NULL;
CREATE INDEX customer_code_lower ON customer (lower(Code));

INSERT INTO artist VALUES (1, 'AC/DC'), (2, 'Accept'), (3, NULL);
INSERT INTO album VALUES (1, 'For Those About To Rock', 1), (2, 'Balls to the Wall', 2);
INSERT INTO genre VALUES (1, 'Rock'), (2, 'Jazz');
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
INSERT INTO track SELECT i, 'Track ' || i, 1 + i % 2, 'Rock',
                         CASE WHEN i % 3 = 0 THEN NULL ELSE 200000 + i END,
                         CASE WHEN i % 7 = 0 THEN NULL ELSE 'Angus Young' END FROM n;
INSERT INTO customer VALUES (1, 'luis@example.org', 'Brazil', 'Rio', 'a'),
                            (2, 'leonie@example.org', 'Germany', 'Berlin', 'b'),
                            (3, 'francois@example.org', 'Canada', 'Montreal', 'c'),
                            (4, 'bjorn@example.org', 'Norway', 'Oslo', 'd');

-- Another tool wrote the file: the schema text now declares NOT NULL columns
-- that hold NULLs (666 and 285 of them), and unique indexes over duplicates.
PRAGMA writable_schema = ON;
UPDATE sqlite_schema SET sql = replace(replace(sql, 'Milliseconds INTEGER',
                                               'Milliseconds INTEGER NOT NULL'),
                                       'Composer TEXT', 'Composer TEXT NOT NULL')
 WHERE name = 'track';
UPDATE sqlite_schema SET sql = replace(sql, 'Name TEXT', 'Name TEXT NOT NULL')
 WHERE name = 'artist';
PRAGMA writable_schema = RESET;
INSERT INTO customer VALUES (5, 'LUIS@example.org', 'Brazil', 'Rio', NULL),
                            (6, 'eve@example.org', 'Norway', 'Oslo', 'e'),
                            (7, 'eve2@example.org', 'Norway', 'Oslo', 'E');
PRAGMA writable_schema = ON;
UPDATE sqlite_schema SET sql = replace(sql, 'CREATE INDEX', 'CREATE UNIQUE INDEX')
 WHERE tbl_name = 'customer' AND type = 'index';
PRAGMA writable_schema = RESET;

-- NOT NULL: every NULL counted (SQLite folds "x IS NULL" to false for a
-- NOT NULL column, so the check must read the rows).
SELECT table_name, constraint_name, kind, violations, sample FROM dbcheck_constraints
 WHERE kind = 'not_null' ORDER BY 1, 2;

-- Unique indexes made with CREATE UNIQUE INDEX are checked as kind unique,
-- named by the index: by the index's collation (LUIS = luis under NOCASE),
-- only over the rows of a partial index's WHERE (customer 5 has no Code), and
-- an index on expressions is reported as not checked, with the reason.
SELECT table_name, constraint_name, kind, violations, sample FROM dbcheck_constraints('customer')
 WHERE kind = 'unique' ORDER BY 2;

-- A foreign key whose parent key is not unique (genre.Name) is a broken
-- declaration: SQLite reports "foreign key mismatch" and refuses every write
-- to track once foreign keys are on. It is not checked, and says why.
SELECT constraint_name, kind, violations, sample FROM dbcheck_constraints('track')
 WHERE kind = 'foreign_key' ORDER BY 1;
SELECT name, status, message, hint FROM dbhealth_checks('standard')
 WHERE name IN ('foreign_keys_enforced', 'foreign_key_violations');

-- Health on the same file. The integrity check lists one problem per line
-- (no "*** in database main ***" header glued to the first), and its hint
-- finds the duplicates and the NULLs instead of saying REINDEX, which fails
-- on duplicates and cannot help NULLs.
SELECT name, status, message, hint FROM dbhealth_checks('full') WHERE name = 'integrity';
-- The foreign-key hint does not say to turn foreign keys on while a
-- declaration is broken: every write to track would then fail.
SELECT name, hint FROM dbhealth_checks('quick') WHERE name = 'foreign_keys_enforced';

-- statistics: an empty indexed table has no sqlite_stat1 row even right after
-- ANALYZE; it needs none. Tables with rows do.
CREATE TABLE playlist (PlaylistId INTEGER PRIMARY KEY, Name TEXT UNIQUE);
SELECT name, status, message FROM dbhealth_checks('standard') WHERE name = 'statistics';
ANALYZE;
SELECT name, status, message FROM dbhealth_checks('standard') WHERE name = 'statistics';
INSERT INTO playlist VALUES (1, 'Music');
SELECT name, status, message FROM dbhealth_checks('standard') WHERE name = 'statistics';

-- A partial unique index's WHERE is schema code: evaluated only under the
-- rule for CHECK expressions (SQLite built-ins without side effects). One
-- calling sqlite_log(), which writes to the application's error log, is not
-- evaluated, and says so.
CREATE UNIQUE INDEX genre_logged ON genre (Name) WHERE sqlite_log(1, Name) IS NULL;
CREATE UNIQUE INDEX genre_long ON genre (Name) WHERE length(Name) > 3;
SELECT constraint_name, kind, violations, sample FROM dbcheck_constraints('genre') ORDER BY 1;
