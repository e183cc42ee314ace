#!/usr/bin/env bash
# dbcheck_constraints against SQLite's own foreign key rule: many parent and
# child column shapes (affinities, collations, rowid / WITHOUT ROWID / UNIQUE
# index parents, empty parents, NULL and composite keys) filled with awkward
# values; every child's violation count and sample must be what PRAGMA
# foreign_key_check reports for the same rows.
set -euo pipefail
module=${DBCARE_SQLITE_MODULE:?}
work=$(mktemp -d)
trap '[ -n "${KEEP_WORK:-}" ] && cp "$work/fk.db" "$work/cases.sql" "$KEEP_WORK"/; rm -rf "$work"' EXIT
db="$work/fk.db"

if [ "$(sqlite3 -batch -cmd ".load $module" "$db" \
        "SELECT count(*) FROM pragma_module_list WHERE name = 'dbcheck_constraints'")" = 0 ]; then
  echo "FAIL: the module has no dbcheck_constraints: this test cannot run"
  exit 1
fi

/usr/bin/python3 - "$work/cases.sql" <<'PY'
import sys

# Values a key column may hold once its own affinity has had its say.
single = ["NULL", "1", "2", "3", "'1'", "' 1'", "'1 '", "'1.0'", "1.0", "1.5", "'1.5'",
          "x'31'", "x''", "''", "'abc'", "'ABC'", "'abc '", "'01'", "'+1'", "'1e0'",
          "9223372036854775807", "'9223372036854775807'", "-0.0", "'x'"]
pair_parts = ["NULL", "1", "'1'", "1.0", "2", "'a'", "'A'", "'a '", "x'61'"]

# name: (parent DDL, parent rows, referenced column list or "")
parents = {
    "p_ipk": ("CREATE TABLE p_ipk (k INTEGER PRIMARY KEY, v)", ["1", "3"], "(k)"),
    "p_ipk_implicit": ("CREATE TABLE p_ipk_implicit (k INTEGER PRIMARY KEY, v)", ["1", "3"], ""),
    "p_int": ("CREATE TABLE p_int (k INT PRIMARY KEY)", ["1", "3", "'abc'"], "(k)"),
    "p_ipk_desc": ("CREATE TABLE p_ipk_desc (k INTEGER PRIMARY KEY DESC)", ["1", "3"], "(k)"),
    "p_text": ("CREATE TABLE p_text (k TEXT PRIMARY KEY)", ["'1'", "'abc'", "'01'", "'1.0'", "' 1'"], "(k)"),
    "p_text_implicit": ("CREATE TABLE p_text_implicit (k TEXT PRIMARY KEY)", ["'1'", "'abc'"], ""),
    "p_nocase": ("CREATE TABLE p_nocase (k TEXT COLLATE NOCASE UNIQUE)", ["'abc'", "'1'", "NULL", "NULL"], "(k)"),
    "p_rtrim_idx": ("CREATE TABLE p_rtrim_idx (k TEXT COLLATE RTRIM); "
                    "CREATE UNIQUE INDEX p_rtrim_idx_k ON p_rtrim_idx (k)", ["'abc'", "'1'"], "(k)"),
    "p_blob": ("CREATE TABLE p_blob (k UNIQUE)", ["1", "'1.0'", "x'31'", "'abc'", "1.5"], "(k)"),
    "p_real": ("CREATE TABLE p_real (k REAL UNIQUE)", ["1", "1.5", "'abc'"], "(k)"),
    "p_numeric": ("CREATE TABLE p_numeric (k NUMERIC PRIMARY KEY)", ["'1'", "'abc'", "'1.5'"], "(k)"),
    "p_uidx": ("CREATE TABLE p_uidx (id INTEGER PRIMARY KEY, k INTEGER); "
               "CREATE UNIQUE INDEX p_uidx_k ON p_uidx (k)", ["(1, 1)", "(2, 3)", "(3, NULL)"], "(k)"),
    "p_wr_text": ("CREATE TABLE p_wr_text (k TEXT PRIMARY KEY) WITHOUT ROWID", ["'1'", "'abc '"], "(k)"),
    "p_wr_int": ("CREATE TABLE p_wr_int (k INTEGER PRIMARY KEY) WITHOUT ROWID", ["1", "3"], "(k)"),
    "p_wr_nocase": ("CREATE TABLE p_wr_nocase (k TEXT COLLATE NOCASE PRIMARY KEY) WITHOUT ROWID",
                    ["'ABC'", "'1'"], "(k)"),
    # Names that need quoting, with a comma and a space in the key column.
    "p_odd": ('CREATE TABLE "p odd" ("k, 1 x" TEXT COLLATE NOCASE UNIQUE, k)', ["'abc'", "'1'"],
              '("k, 1 x")', '"p odd"', '"k, 1 x"'),
    # Table and column named in another case than declared.
    "p_case": ("CREATE TABLE p_case (K TEXT COLLATE NOCASE PRIMARY KEY, k2)", ["'abc'", "'1'"], "(k)", "P_CASE", "K"),
    # Two unique indexes over the key that disagree on collation.
    "p_two": ("CREATE TABLE p_two (k TEXT PRIMARY KEY); "
              "CREATE UNIQUE INDEX p_two_nocase ON p_two (k COLLATE NOCASE)", ["'abc'", "'1'"], "(k)"),
    "p_empty_ipk": ("CREATE TABLE p_empty_ipk (k INTEGER PRIMARY KEY)", [], "(k)"),
    "p_empty_text": ("CREATE TABLE p_empty_text (k TEXT UNIQUE)", [], "(k)"),
    "p_nulls_only": ("CREATE TABLE p_nulls_only (k TEXT UNIQUE)", ["NULL", "NULL"], "(k)"),
}
child_types = {"none": "", "text": " TEXT", "int": " INTEGER", "real": " REAL", "blob": " BLOB",
               "num": " NUMERIC", "nocase": " TEXT COLLATE NOCASE", "rtrim": " COLLATE RTRIM"}

# Composite keys: (parent DDL, rows, referenced columns)
pairs = {
    "q_pk": ("CREATE TABLE q_pk (a INTEGER, b TEXT COLLATE NOCASE, PRIMARY KEY (a, b))",
             ["(1, 'a')", "(2, '1')", "(1, x'61')"], "(a, b)"),
    "q_wr": ("CREATE TABLE q_wr (a TEXT, b INTEGER, PRIMARY KEY (a, b)) WITHOUT ROWID",
             ["('1', 1)", "('a', 2)", "('A', 1)"], "(a, b)"),
    "q_idx_swapped": ("CREATE TABLE q_idx_swapped (a INTEGER, b TEXT); "
                      "CREATE UNIQUE INDEX q_idx_swapped_ba ON q_idx_swapped (b, a)",
                      ["(1, 'a')", "(2, 'A')", "(NULL, 'a')", "(1, NULL)"], "(a, b)"),
    "q_blob": ("CREATE TABLE q_blob (a, b, UNIQUE (a, b))", ["(1, 'a')", "('1', 'A')", "(1.0, 2)"], "(a, b)"),
    "q_empty": ("CREATE TABLE q_empty (a INTEGER, b TEXT, PRIMARY KEY (a, b))", [], "(a, b)"),
}
pair_child_types = {"none": ("", ""), "text": (" TEXT", " TEXT"), "int": (" INTEGER", " INTEGER"),
                    "mixed": (" NUMERIC", " TEXT COLLATE NOCASE"), "binary": (" TEXT", " TEXT COLLATE BINARY")}

out = ["PRAGMA foreign_keys = OFF;"]
children = []
for p, (ddl, rows, cols, *names) in parents.items():
    pname, kname = names if names else (p, "k")
    out.append(ddl + ";")
    for r in rows:
        out.append(f"INSERT INTO {pname} ({kname}) VALUES ({r});" if not r.startswith("(")
                   else f"INSERT INTO {pname} VALUES {r};")
    for ct, decl in child_types.items():
        c = f"c_{p}_{ct}"
        out.append(f"CREATE TABLE {c} (id INTEGER PRIMARY KEY, x{decl} REFERENCES {pname}{cols});")
        out.append(f"INSERT INTO {c} (x) VALUES " + ", ".join(f"({v})" for v in single) + ";")
        children.append(c)
for p, (ddl, rows, cols) in pairs.items():
    out.append(ddl + ";")
    for r in rows:
        out.append(f"INSERT INTO {p} VALUES {r};")
    for ct, (da, db) in pair_child_types.items():
        c = f"c_{p}_{ct}"
        out.append(f"CREATE TABLE {c} (id INTEGER PRIMARY KEY, x{da}, y{db}, "
                   f"FOREIGN KEY (x, y) REFERENCES {p}{cols});")
        out.append(f"INSERT INTO {c} (x, y) VALUES " +
                   ", ".join(f"({a}, {b})" for a in pair_parts for b in pair_parts) + ";")
        children.append(c)
# A child that is itself WITHOUT ROWID (the sample is its primary key).
out.append("CREATE TABLE c_wr_child (id INTEGER PRIMARY KEY, x TEXT REFERENCES p_text (k)) WITHOUT ROWID;")
out.append("INSERT INTO c_wr_child VALUES " + ", ".join(f"({i}, {v})" for i, v in enumerate(single, 1)) + ";")
# A self reference.
out.append("CREATE TABLE c_self (id INTEGER PRIMARY KEY, x TEXT REFERENCES c_self (id));")
out.append("INSERT INTO c_self (x) VALUES " + ", ".join(f"({v})" for v in single) + ";")
children += ["c_wr_child", "c_self"]

out.append("CREATE TEMP TABLE result (child TEXT, pragma_n INT, dbcare_n INT, sample_ok INT, orphans_n INT);")
for c in children:
    # The pragma names offending rowids (NULL for WITHOUT ROWID children, whose
    # sample is the id primary key: the same value here).
    out.append(f"""INSERT INTO result
SELECT '{c}', (SELECT count(*) FROM pragma_foreign_key_check('{c}')), d.violations,
       json_array_length(d.sample) = min(5, d.violations)
       AND NOT EXISTS (SELECT 1 FROM json_each(d.sample) j
                       WHERE j.value NOT IN (SELECT coalesce(f.rowid, t.id)
                                             FROM pragma_foreign_key_check('{c}') f
                                             LEFT JOIN {c} t ON f.rowid IS NULL)),
       NULL
FROM dbcheck_constraints('{c}') d WHERE d.kind = 'foreign_key';""")
out.append("SELECT 'cases ' || count(*) FROM result;")
out.append("SELECT 'violations ' || sum(pragma_n) FROM result;")
out.append("SELECT 'DIFF ' || child || ': pragma ' || pragma_n || ', dbcheck ' || dbcare_n || ', sample ok ' || sample_ok "
           "FROM result WHERE pragma_n IS NOT dbcare_n OR NOT sample_ok;")
open(sys.argv[1], "w").write("\n".join(out) + "\n")
PY

out=$(sqlite3 -batch -bail -cmd ".load $module" "$db" < "$work/cases.sql")
echo "$out"
cases=$(echo "$out" | sed -n 's/^cases //p')
if [ "${cases:-0}" -lt 190 ]; then echo "FAIL: only ${cases:-0} cases ran"; exit 1; fi
if grep -q '^DIFF' <<<"$out"; then echo "FAIL: dbcheck_constraints differs from PRAGMA foreign_key_check"; exit 1; fi

echo "ok: $cases children agree with PRAGMA foreign_key_check"
