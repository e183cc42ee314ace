#!/usr/bin/env bash
# The hash chain on SQLite (issue 36, items 2, 3a and 3c): 8 writer processes
# (separate connections, WAL, a busy timeout) of single-row inserts and
# updates on a chained table, and 2 on another audited table, at once.
# Afterwards dbaudit_verify is clean and the log has exactly one entry per
# statement the writers committed. A changed entry in the middle and a later
# deleted one are both named; deleting the newest entries, and deleting every
# entry, is reported (the chain head is compared); an edited baseline
# snapshot is reported, and dbaudit_row_at refuses to fold it.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
db="$work/chain.db"
start=$(date +%s)
q "PRAGMA journal_mode = WAL;
   SELECT dbcare_set('audit.hash_chain', 'on');
   CREATE TABLE hc (id INTEGER PRIMARY KEY, v INTEGER NOT NULL);
   CREATE TABLE other (id INTEGER PRIMARY KEY, v INTEGER NOT NULL);
   INSERT INTO hc (v) SELECT 0 FROM generate_series(1, 50);
   SELECT dbaudit_enable('hc', '{\"baseline\": true}');
   SELECT dbaudit_enable('other', '{\"hash_chain\": false}');" > /dev/null
[ "$(q "SELECT count(*) FROM dbcare_audit_log WHERE operation = 'snapshot' AND length(hash) = 64")" = 50 ] ||
  fail "the baseline's snapshots are not chained"

# each writer: 60 statements, each its own transaction; prints one line per
# committed statement (the CLI stops at none: .bail off, busy waits 20 s)
writer() { # n table
  awk -v seed="$1" -v t="$2" 'BEGIN {
    srand(seed); print ".timeout 20000";
    for (i = 0; i < 60; i++) {
      if (t == "hc" && rand() < 0.3)
        print "UPDATE hc SET v = v + 1 WHERE id = " (1 + int(rand() * 50)) " RETURNING 1;";
      else
        print "INSERT INTO " t " (v) VALUES (1) RETURNING 1;";
    }
  }' > "$work/w$1.sql"
  sqlite3 -batch -cmd ".load $module" "$db" < "$work/w$1.sql" > "$work/w$1.out" 2> "$work/w$1.err"
}
wp=()
for n in $(seq 1 8); do writer "$n" hc & wp+=($!); done
for n in 9 10; do writer "$n" other & wp+=($!); done
for p in "${wp[@]}"; do wait "$p"; done
cat "$work"/w*.err >&2 || true
done_hc=$(cat "$work"/w[1-8].out | wc -l)
done_other=$(cat "$work"/w9.out "$work"/w10.out | wc -l)
echo "statements done: hc $done_hc, other $done_other"
[ "$done_hc" -ge 400 ] || fail "too few statements done: $done_hc"

verify() { q "SELECT coalesce(broken_id, '-') || ' ' || coalesce(problem, '-') FROM dbaudit_verify"; }
[ "$(verify)" = "- -" ] || fail "verify after concurrent writers: $(verify | head -5)"
[ "$(q "SELECT count(*) FROM dbcare_audit_log WHERE table_name = 'hc' AND operation <> 'snapshot'")" = "$done_hc" ] ||
  fail "hc entries <> $done_hc statements"
[ "$(q "SELECT count(*) FROM dbcare_audit_log WHERE table_name = 'other'")" = "$done_other" ] ||
  fail "other entries <> $done_other statements"

# an edited baseline snapshot: verify names it, dbaudit_row_at refuses it
snap=$(q "SELECT id FROM dbcare_audit_log WHERE operation = 'snapshot' AND key = '{\"id\":7}'")
q "UPDATE hc SET v = 1000 WHERE id = 7" > /dev/null
q "UPDATE dbcare_audit_log SET new_values = '{\"id\":7,\"v\":555}' WHERE id = $snap" > /dev/null
[ "$(verify)" = "$snap its hash does not match its content: the entry was changed" ] ||
  fail "verify after editing a snapshot: $(verify)"
out=$(q "SELECT dbaudit_row_at('hc', '{\"id\": 7}', '2999-01-01')" 2>&1 || true)
case "$out" in
  *"dbcare: entry $snap of this row's history does not match its hash"*) ;;
  *) fail "row_at of a forged snapshot: $out" ;;
esac

# a changed entry in the middle and a deleted later one: both named
n=$(q "SELECT count(*) FROM dbcare_audit_log WHERE hash IS NOT NULL")
mid=$(q "SELECT id FROM dbcare_audit_log WHERE hash IS NOT NULL ORDER BY id LIMIT 1 OFFSET $((n / 2))")
late=$(q "SELECT id FROM dbcare_audit_log WHERE hash IS NOT NULL ORDER BY id LIMIT 1 OFFSET $((3 * n / 4))")
after_late=$(q "SELECT min(id) FROM dbcare_audit_log WHERE hash IS NOT NULL AND id > $late")
q "UPDATE dbcare_audit_log SET actor = 'mallory' WHERE id = $mid; DELETE FROM dbcare_audit_log WHERE id = $late" > /dev/null
got=$(verify)
want="$snap its hash does not match its content: the entry was changed
$mid its hash does not match its content: the entry was changed
$after_late it does not link to the chained entry before it: an entry between them was deleted or inserted, or its link was changed"
[ "$got" = "$want" ] || fail "verify after three changes: $got"

# the newest 5 chained entries deleted: the head names a missing entry, and
# the next entry links to it, not to the newest one left
last=$(q "SELECT max(id) FROM dbcare_audit_log WHERE hash IS NOT NULL")
kept=$(q "SELECT id FROM dbcare_audit_log WHERE hash IS NOT NULL ORDER BY id DESC LIMIT 1 OFFSET 5")
q "DELETE FROM dbcare_audit_log WHERE id IN (SELECT id FROM dbcare_audit_log WHERE hash IS NOT NULL ORDER BY id DESC LIMIT 5)" > /dev/null
[ "$(verify | tail -1)" = "$last the newest entries of the log's chain were deleted: the log ends at entry $kept, its head names entry $last" ] ||
  fail "verify after deleting the newest entries: $(verify | tail -1)"
q "INSERT INTO hc (v) VALUES (2)" > /dev/null
next=$(q "SELECT max(id) FROM dbcare_audit_log")
verify | grep -qx "$next it does not link to the chained entry before it: .*" ||
  fail "an entry after deleted newest ones links on: $(verify)"
# every entry deleted: the head names a missing entry
q "DELETE FROM dbcare_audit_log" > /dev/null
# (ids are never reused: the head names the newest entry ever linked)
[ "$(verify)" = "$next no entry of the log's chain is left, though its head names entry $next: its entries were deleted or the log was emptied" ] ||
  fail "verify after deleting every entry: $(verify)"
echo "ok ($(($(date +%s) - start)) s)"
