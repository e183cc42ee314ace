-- Hostile input to the core functions: NULLs, empty strings, invalid UTF-8,
-- 1 MB strings, NUL bytes. Each call gives a clear "dbcare:" error or a
-- correct result; nothing crashes and nothing else in the database changes.
.headers on
.mode list
CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);
INSERT INTO t (v) VALUES ('keep me');

-- NULL in every argument.
SELECT dbcare_get(NULL);
SELECT dbcare_set(NULL, 'allow');
SELECT dbcare_set('migrate.out_of_order', NULL);
SELECT dbcare_set(NULL, NULL);
SELECT * FROM dbschema_diff(NULL, NULL);
SELECT * FROM dbschema_diff(dbschema_snapshot(), NULL);
SELECT * FROM dbschema_diff(NULL, dbschema_snapshot());

-- Empty strings.
SELECT dbcare_get('');
SELECT dbcare_set('', '');
SELECT dbcare_set('migrate.out_of_order', '');
SELECT dbcare_set('migrate.lock_timeout_ms', '');
SELECT dbcare_set('health.ignore', '') AS previous;
SELECT dbcare_get('health.ignore') = '' AS empty_list_ok;
SELECT * FROM dbschema_diff('', '');

-- Wrong types are read as text, then validated.
SELECT dbcare_set('migrate.lock_timeout_ms', 2.5);
SELECT dbcare_set('migrate.lock_timeout_ms', x'3130') AS previous;
SELECT dbcare_get('migrate.lock_timeout_ms') AS blob_as_text;
SELECT dbcare_set('migrate.lock_timeout_ms', -1);
SELECT dbcare_set('migrate.lock_timeout_ms', '99999999999999999999999');
SELECT dbcare_set('migrate.lock_timeout_ms', ' 10000 ') AS previous;
SELECT dbcare_get('migrate.lock_timeout_ms') AS trimmed;

-- Invalid UTF-8 and NUL bytes.
SELECT dbcare_get(CAST(x'ff' AS TEXT));
SELECT dbcare_set('health.ignore', CAST(x'ff' AS TEXT)) AS previous;
-- (stored as given: names are compared byte for byte)
SELECT hex(dbcare_get('health.ignore')) AS stored_bytes;
SELECT hex(dbcare_set('health.ignore', '')) AS previous_hex;
SELECT dbcare_get(CAST(x'6d00' AS TEXT));
SELECT dbcare_set('migrate.out_of_order', CAST(x'616c6c6f7700' AS TEXT));
SELECT * FROM dbschema_diff(CAST(x'7bff' AS TEXT), '{}');
SELECT * FROM dbschema_diff('{"format":1,"table":{"' || CAST(x'c0af' AS TEXT) || '":{}}}',
                            '{"format":1,"table":{}}');

-- 1 MB strings: refused with a short message, or stored whole.
SELECT length(dbcare_get(printf('%.*c', 1000000, 'x')));
SELECT dbcare_set('migrate.out_of_order', printf('%.*c', 1000000, 'x'));
SELECT dbcare_set('health.ignore', printf('%.*c', 1000000, 'x')) AS previous;
SELECT length(dbcare_get('health.ignore')) AS stored_length;
SELECT length(dbcare_set('health.ignore', '')) AS previous_length;
SELECT count(*) AS rows FROM dbschema_diff(printf('%.*c', 1000000, '['), '{}');
SELECT count(*) AS rows FROM dbschema_diff(
  '{"format":1,"table":{"' || printf('%.*c', 1000000, 'x') || '":{}}}', '{"format":1}');

-- Deeply nested JSON is refused by the parser, not by the stack.
SELECT count(*) FROM dbschema_diff(printf('%.*c', 100000, '[') || printf('%.*c', 100000, ']'), '{}');

-- Nothing above touched the user's data or schema.
SELECT * FROM t;
SELECT name FROM sqlite_schema WHERE tbl_name NOT GLOB 'dbcare_*' AND name NOT GLOB 'sqlite_*' ORDER BY name;
