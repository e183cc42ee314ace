#!/usr/bin/env bash
# dbcare report --html on SQLite: one self-contained page (no external
# resource, no script) that headless Chromium loads, with the score, a
# finding with its fix, the largest tables (a table named like markup among
# them, shown as text and never run), the snapshot history and the
# fastest-growing tables with their charts (the growth history); a fleet
# writes one page with a summary row and a section per database, an
# unreachable one included.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/sqlite.sh"
. "$here/lib/cli.sh"
. "$here/lib/alerts.sh"

db="$work/app.db"
q "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT);
   CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers(id), note TEXT);
   CREATE INDEX orders_note ON orders(note);
   CREATE TABLE \"<script>alert(1)</script>\" (x);
   CREATE TABLE \"<img src=x onerror=document.documentElement.setAttribute('data-pwned',1)>\" (y);
   WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 50000)
   INSERT INTO orders SELECT i, NULL, hex(randomblob(16)) FROM c;
   INSERT INTO customers SELECT id, 'c' || id FROM orders;
   SELECT dbhealth_snapshot();
   INSERT INTO orders SELECT id + 50000, NULL, note FROM orders;
   SELECT dbhealth_snapshot();
   UPDATE dbcare_health_snapshots SET taken_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-2 days'),
     size_bytes = size_bytes / 2 WHERE id = 1;" >/dev/null

run 0 report --html "$work/page.html" --db "$db" --module "$module"
[ ! -e "$work/page.html.tmp" ] || fail "the temporary file was left"
page="$work/page.html"
# self-contained: nothing loaded from elsewhere, no script at all
! grep -Eiq '<(script|link|img|iframe|object|embed)|@import|url\(|https?:' "$page" ||
  fail "the page loads or runs something: $(grep -Eio '<(script|link|img|iframe|object|embed)|@import|url\(|https?:' "$page" | head -3)"
grep -qF '&lt;script&gt;alert(1)&lt;/script&gt;' "$page" || fail "the markup table name is not escaped"
# what the extension says of the database is on the page: the score of
# `dbcare health` (the report of the file, not of a shell's connection)
run 0 health --db "$db" --module "$module" --json
score=$(json "d['score']")
grep -qF "data-score=\"$score\"" "$page" || fail "score $score is not on the page"
grep -qF 'unindexed_foreign_keys' "$page" || fail "the finding is missing"
plan=$(q "SELECT statement FROM dbmaintain_plan() WHERE action = 'create_index'")
[ -n "$plan" ] && grep -qF "$(sed 's/&/\&amp;/g; s/</\&lt;/g; s/>/\&gt;/g; s/"/\&quot;/g' <<<"$plan")" "$page" || fail "the fix from dbmaintain_plan is missing: $plan"
grep -q '2 snapshot(s)' "$page" || fail "the snapshot history is missing"
[ "$(sed '/Fastest-growing/q' "$page" | grep -o '<polyline' | wc -l)" = 2 ] || fail "the size and score charts are missing"
grep -q '<rect' "$page" || fail "the largest tables' chart is missing"

# a real browser: the DOM has the score, a finding, the tables; nothing ran
# orders doubled between the snapshots, customers stayed: orders grows fastest
growing=orders check_page "$page" orders '<script>alert(1)</script>'
cp "$work/page.png" "$work/sqlite-page.png"   # kept beside the page while the test runs

# --- a fleet: one page, a summary row and a section each; an unreachable one
mkdir "$work/fleet"
cp "$db" "$work/fleet/a.db"
sqlite3 "$work/fleet/b.db" "CREATE TABLE t (id INTEGER PRIMARY KEY)"
run 1 report --html "$work/fleet.html" --db "$work/fleet/*.db" --db "$work/fleet/missing.db" --module "$module"
"$py" - "$work/fleet.html" <<'PY' || fail "the fleet page"
import re, sys
s = open(sys.argv[1]).read()
rows = re.findall(r'<tr class="(\w+)"><td><a href="#db-(\d)">([^<]*)</a>', s)
print(rows)
assert [r[2].rsplit("/", 1)[-1] for r in rows] == ["a.db", "b.db", "missing.db"], rows
assert rows[2][0] == "unreachable", rows
assert all('id="db-%s"' % r[1] in s for r in rows)
assert s.count('<section class="db"') == 2 and s.count('class="db unreachable"') == 1
assert s.count("<html") == 1 and s.count("</html>") == 1
PY
has 'missing.db' err
# - is stdout; no --html is a usage error
run 0 report --html - --db "$db" --module "$module"
grep -q '^<!DOCTYPE html>' "$work/out" || fail "report --html - does not print the page"
run 2 report --db "$db" --module "$module"
has 'usage: dbcare report --html FILE' err
echo "ok: report --html"
