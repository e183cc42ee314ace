#!/usr/bin/env bash
# An archive policy's batches delete the archived rows; an ON DELETE
# CASCADE child loses its rows with them, and they were never archived
# (invoices archived, their lines gone). dbretain_add refuses such a policy
# naming the child, dbretain_apply and dbretain_run refuse one whose key
# became CASCADE later (nothing moves), and dbretain_plan names every table
# a policy's deletes change: CASCADE children (and theirs), SET NULL ones.
# An invoice/line schema of a few thousand rows.
set -eu
db=dbcare_retain_cascade
. "$(dirname "$0")/lib/pg.sh"
fresh_db
q <<'SQL' >/dev/null
CREATE SCHEMA archive;
CREATE TABLE archive.invoice (invoice_id int, invoice_date timestamp, total numeric,
  archived_at timestamptz NOT NULL);
CREATE TABLE invoice (invoice_id int PRIMARY KEY, invoice_date timestamp NOT NULL, total numeric);
CREATE INDEX invoice_date_ix ON invoice (invoice_date);
CREATE TABLE invoice_line (invoice_line_id int PRIMARY KEY, invoice_id int NOT NULL, qty int);
CREATE TABLE line_note (id int PRIMARY KEY,
  invoice_line_id int REFERENCES invoice_line ON DELETE CASCADE, note text);
CREATE TABLE payment (id int PRIMARY KEY, invoice_id int REFERENCES invoice ON DELETE SET NULL);
INSERT INTO invoice SELECT i, localtimestamp - (i % 400) * interval '1 day', i FROM generate_series(1, 412) i;
INSERT INTO invoice_line SELECT i, (i - 1) / 5 + 1, 1 FROM generate_series(1, 2060) i;
INSERT INTO line_note SELECT i, i, 'n' FROM generate_series(1, 100) i;
INSERT INTO payment SELECT i, i FROM generate_series(1, 412) i;
-- a policy added while the lines had no foreign key
SELECT dbretain_add('invoices', 'public.invoice', 'invoice_date', '100 days', 'archive', 'archive.invoice');
ALTER TABLE invoice_line ADD FOREIGN KEY (invoice_id) REFERENCES invoice ON DELETE CASCADE;
SELECT dbcare_set('retain.batch_size', '50');
SQL
counts() { q -c "SELECT (SELECT count(*) FROM invoice) || ' ' || (SELECT count(*) FROM invoice_line) || ' '
  || (SELECT count(*) FROM line_note) || ' ' || coalesce((SELECT count(*) FROM archive.invoice), 0)"; }
before=$(counts)
[ "$before" = "412 2060 100 0" ] || fail "fixture: $before"
msg='dbcare: retention policy "invoices": archiving table public.invoice would delete rows of table public.invoice_line without archiving them (foreign key invoice_line_invoice_id_fkey is ON DELETE CASCADE)'
out=$(q -c "SELECT * FROM dbretain_apply('invoices')" 2>&1) && fail "dbretain_apply archived with a CASCADE child: $out"
case "$out" in *"$msg"*) ;; *) fail "apply: $out" ;; esac
out=$(q -c "CALL dbretain_run('invoices')" 2>&1) && fail "dbretain_run archived with a CASCADE child: $out"
case "$out" in *"$msg"*) ;; *) fail "run: $out" ;; esac
[ "$(counts)" = "$before" ] || fail "rows moved: $(counts)"
# the plan says why, and names each table the policy's deletes change
plan=$(q -c "SELECT blockers FROM dbretain_plan('invoices')")
echo "$plan" | grep -q '"kind": \?"cascade".*"table": \?"public.invoice_line".*dbretain_apply refuses the policy' ||
  fail "the plan does not name the cascade: $plan"
echo "$plan" | grep -q '"kind": \?"set null".*"table": \?"public.payment"' || fail "the plan does not name payment: $plan"
q -c "SELECT dbretain_drop('invoices')" >/dev/null
out=$(q -c "SELECT dbretain_add('invoices', 'public.invoice', 'invoice_date', '100 days', 'archive', 'archive.invoice')" 2>&1) &&
  fail "dbretain_add accepted an archive with a CASCADE child: $out"
case "$out" in *"archiving table public.invoice would delete rows of table public.invoice_line"*) ;; *) fail "add: $out" ;; esac
# a delete policy may cascade: the plan names the lines, their notes (a
# cascade of the cascade) and the payments it updates
q -c "SELECT dbretain_add('old', 'public.invoice', 'invoice_date', '100 days', 'delete')" >/dev/null
plan=$(q -c "SELECT blockers FROM dbretain_plan('old')")
for t in public.invoice_line public.line_note public.payment; do
  echo "$plan" | grep -q "\"table\": \\?\"$t\"" || fail "the delete plan does not name $t: $plan"
done
# the policy the hint suggests works: lines archived first, key NO ACTION
q <<'SQL' >/dev/null
SELECT dbretain_drop('old');
ALTER TABLE invoice_line DROP CONSTRAINT invoice_line_invoice_id_fkey;
ALTER TABLE invoice_line ADD FOREIGN KEY (invoice_id) REFERENCES invoice;
ALTER TABLE invoice_line ADD COLUMN invoice_date timestamp;
UPDATE invoice_line l SET invoice_date = i.invoice_date FROM invoice i WHERE i.invoice_id = l.invoice_id;
ALTER TABLE invoice_line ALTER COLUMN invoice_date SET NOT NULL;
ALTER TABLE line_note DROP CONSTRAINT line_note_invoice_line_id_fkey;
SELECT dbretain_add('a_lines', 'public.invoice_line', 'invoice_date', '100 days', 'archive', 'archive.invoice_line');
SELECT dbretain_add('invoices', 'public.invoice', 'invoice_date', '100 days', 'archive', 'archive.invoice');
SQL
q -c "CALL dbretain_run()" >/dev/null 2>&1
due=$(q -c "SELECT count(*) FROM invoice WHERE invoice_date < localtimestamp - interval '100 days'")
[ "$due" = 0 ] || fail "$due invoices stayed due"
got=$(q -c "SELECT (SELECT count(*) FROM invoice) + (SELECT count(*) FROM archive.invoice) || ' '
  || (SELECT count(*) FROM invoice_line) + (SELECT count(*) FROM archive.invoice_line) || ' '
  || (SELECT count(*) FROM archive.invoice) * 5 - (SELECT count(*) FROM archive.invoice_line)")
[ "$got" = "412 2060 0" ] || fail "invoices, lines, lines of archived invoices not archived: $got"
echo "ok: an archive with an ON DELETE CASCADE child is refused; the plan names the tables deletes change"
