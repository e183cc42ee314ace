#!/usr/bin/env bash
# The SQLite catalog reader reads columns and index keys from the CREATE texts
# where it fully understands them (schema.catalog_reader = auto) and through
# SQLite's pragmas otherwise. Both ways must give the same model: the same
# snapshot, the same health report and the same constraint checks, on a schema
# of edge cases (test/script/data/catalog_edge_cases.sql), on the same schema
# with a virtual table in it (which sends everything to the pragmas), and on
# generated variations of column and index definitions.
set -euo pipefail
module=${DBCARE_SQLITE_MODULE:?}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# What the model decides, one line each: snapshot, quick report without its
# timing fields, constraint check counts.
model_of() { # db mode
  sqlite3 -batch -cmd ".load $module" "$1" \
    "SELECT dbcare_set('schema.catalog_reader', '$2') IS NULL;" \
    "SELECT dbschema_snapshot();" \
    "SELECT json_remove(dbhealth_report('quick'), '\$.checked_at', '\$.duration_ms');" \
    "SELECT group_concat(table_name || '.' || constraint_name || '=' || violations, ' ')
       FROM (SELECT * FROM dbcheck_constraints() ORDER BY 1, 2);"
}

compare() { # description db
  model_of "$2" pragma > "$work/pragma.out"
  model_of "$2" auto > "$work/auto.out"
  if ! cmp -s "$work/pragma.out" "$work/auto.out"; then
    echo "FAIL: $1: the text reader and the pragmas disagree"
    diff <(tr ',' '\n' < "$work/pragma.out") <(tr ',' '\n' < "$work/auto.out") | head -20
    exit 1
  fi
  [ "$(wc -l < "$work/auto.out")" -eq 4 ] || { echo "FAIL: $1: no model"; cat "$work/auto.out"; exit 1; }
  echo "ok: $1 ($(wc -c < "$work/auto.out") bytes of model agree)"
}

sqlite3 "$work/edge.db" < "$here/data/catalog_edge_cases.sql"
sqlite3 "$work/edge.db" "INSERT INTO plain VALUES (1, 'a', 1), (2, 'b', NULL);
                         INSERT INTO fks (id, p, q, r) VALUES (1, 1, NULL, NULL), (2, 99, NULL, NULL);"
compare "edge cases" "$work/edge.db"

cp "$work/edge.db" "$work/virtual.db"
sqlite3 "$work/virtual.db" "CREATE VIRTUAL TABLE docs USING fts5 (title, body);"
compare "edge cases beside a virtual table" "$work/virtual.db"

# Generated variations: each column definition and index key form alone and
# combined, so a difference points at one form.
python3 - "$work/gen.sql" <<'PY'
import itertools, sys
names = ['a', '"B b"', '[c]', '`d`', "'e'"]
types = ['', ' INTEGER', ' text(3)', ' "quoted"', ' DOUBLE PRECISION']
extras = ['', ' NOT NULL', " DEFAULT 'x, (y)'", ' DEFAULT (1 + 2)', ' DEFAULT -1.5',
          ' COLLATE NOCASE', ' AS (1) STORED', ' GENERATED ALWAYS AS (2)', ' UNIQUE',
          ' CHECK (1 > 0)', ' CONSTRAINT n DEFAULT 0 NOT NULL', ' REFERENCES p ON DELETE SET DEFAULT']
out = ['CREATE TABLE p (id INTEGER PRIMARY KEY);']
n = 0
for ty, ex in itertools.product(types, extras):
    n += 1
    cols = ', '.join(f'{nm}{ty}{ex if i == n % len(names) else ""}' for i, nm in enumerate(names))
    opts = ['', ' WITHOUT ROWID', ' STRICT'][n % 3]
    if opts == ' WITHOUT ROWID':
        cols += ', PRIMARY KEY (a)'
    if opts == ' STRICT' and ty in ('', ' text(3)', ' "quoted"', ' DOUBLE PRECISION'):
        opts = ''
    out.append(f'CREATE TABLE g{n} ({cols}){opts};')
    keys = ['a', '"B b" DESC', '[c] COLLATE RTRIM', 'd ASC, a']
    k = keys[n % len(keys)]
    out.append(f'CREATE {"UNIQUE " if n % 5 == 0 else ""}INDEX g{n}_ix ON g{n} ({k})'
               f'{" WHERE a IS NOT NULL" if n % 7 == 0 else ""};')
open(sys.argv[1], 'w').write('\n'.join(out) + '\n')
PY
# (a few combinations are not valid SQLite, e.g. a generated primary key: skipped)
sqlite3 "$work/gen.db" < "$work/gen.sql" 2> /dev/null || true
tables=$(sqlite3 "$work/gen.db" "SELECT count(*) FROM sqlite_schema WHERE type = 'table'")
[ "$tables" -gt 50 ] || { echo "FAIL: only $tables generated tables were created"; exit 1; }
compare "generated definitions ($tables tables)" "$work/gen.db"

# The setting is validated like every other.
if sqlite3 -batch -cmd ".load $module" "$work/gen.db" \
     "SELECT dbcare_set('schema.catalog_reader', 'fast');" 2> "$work/err"; then
  echo "FAIL: a bad schema.catalog_reader value was accepted"; exit 1
fi
grep -q "dbcare:" "$work/err" || { echo "FAIL: no dbcare error for a bad value"; cat "$work/err"; exit 1; }
echo "ok: a bad value is refused"
