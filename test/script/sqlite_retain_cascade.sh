#!/usr/bin/env bash
# SQLite cascades with foreign_keys = ON: an archive policy whose batches
# would delete ON DELETE CASCADE children's rows without archiving them is
# refused (dbretain_add and dbretain_apply, whatever the pragma says), nothing moves, and dbretain_plan names every table
# the policy's deletes change. An invoice/line schema of a few thousand rows.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
db="$work/c.db"
f() { q -cmd "PRAGMA foreign_keys = ON" "$@"; }
q "ATTACH '$work/archive.db' AS archive;
   CREATE TABLE archive.invoice (invoice_id INTEGER, invoice_date TEXT, total NUMERIC, archived_at TEXT NOT NULL);
   CREATE TABLE invoice (invoice_id INTEGER PRIMARY KEY, invoice_date TEXT NOT NULL, total NUMERIC);
   CREATE INDEX invoice_date_ix ON invoice (invoice_date);
   -- added before the CASCADE key exists: dbretain_add refuses it after,
   -- whatever PRAGMA foreign_keys says
   SELECT dbretain_add('invoices', 'invoice', 'invoice_date', '100 days', 'archive', 'archive.invoice');
   CREATE TABLE invoice_line (invoice_line_id INTEGER PRIMARY KEY,
     invoice_id INTEGER NOT NULL REFERENCES invoice ON DELETE CASCADE, qty INTEGER);
   CREATE TABLE payment (id INTEGER PRIMARY KEY, invoice_id INTEGER REFERENCES invoice ON DELETE SET NULL);
   WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < 412)
   INSERT INTO invoice SELECT i, datetime('now', '-' || (i % 400) || ' days'), i FROM g;
   WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < 2060)
   INSERT INTO invoice_line SELECT i, (i - 1) / 5 + 1, 1 FROM g;
   INSERT INTO payment SELECT invoice_id, invoice_id FROM invoice;
   SELECT dbcare_set('retain.batch_size', '50');" >/dev/null
counts() { q "ATTACH '$work/archive.db' AS archive;
  SELECT (SELECT count(*) FROM invoice) || ' ' || (SELECT count(*) FROM invoice_line) || ' '
  || (SELECT count(*) FROM archive.invoice) || ' ' || (SELECT count(*) FROM payment WHERE invoice_id IS NULL);"; }
[ "$(counts)" = "412 2060 0 0" ] || fail "fixture: $(counts)"
msg='dbcare: retention policy "invoices": archiving table invoice would delete rows of table invoice_line without archiving them (foreign key'
out=$(f "ATTACH '$work/archive.db' AS archive; SELECT * FROM dbretain_apply('invoices', 1000);" 2>&1) &&
  fail "dbretain_apply archived with a CASCADE child: $out"
case "$out" in *"$msg"*"is ON DELETE CASCADE)"*) ;; *) fail "apply: $out" ;; esac
[ "$(counts)" = "412 2060 0 0" ] || fail "rows moved: $(counts)"
plan=$(f "ATTACH '$work/archive.db' AS archive; SELECT blockers FROM dbretain_plan('invoices');")
echo "$plan" | grep -q '"kind": \?"cascade".*"table": \?"invoice_line".*dbretain_apply refuses the policy' ||
  fail "the plan does not name the cascade: $plan"
echo "$plan" | grep -q '"kind": \?"set null".*"table": \?"payment"' || fail "the plan does not name payment: $plan"
out=$(f "ATTACH '$work/archive.db' AS archive; SELECT dbretain_drop('invoices');
  SELECT dbretain_add('invoices', 'invoice', 'invoice_date', '100 days', 'archive', 'archive.invoice');" 2>&1) &&
  fail "dbretain_add accepted an archive with a CASCADE child: $out"
case "$out" in *"$msg"*) ;; *) fail "add: $out" ;; esac
# and so does a connection with foreign keys off (SQLite's default): the key
# is declared, and the policy would run where it is enforced
out=$(q "ATTACH '$work/archive.db' AS archive;
  SELECT dbretain_add('invoices', 'invoice', 'invoice_date', '100 days', 'archive', 'archive.invoice');" 2>&1) &&
  fail "dbretain_add accepted an archive with a CASCADE child, foreign keys off: $out"
case "$out" in *"$msg"*) ;; *) fail "add, foreign keys off: $out" ;; esac
# a delete policy may cascade, and the plan names both children
plan=$(f "SELECT dbretain_add('old', 'invoice', 'invoice_date', '100 days', 'delete');
  SELECT blockers FROM dbretain_plan('old');")
for t in invoice_line payment; do
  echo "$plan" | grep -q "\"table\": \\?\"$t\"" || fail "the delete plan does not name $t: $plan"
done
echo "ok: SQLite refuses an archive with an ON DELETE CASCADE child; the plan names the tables deletes change"
