#!/usr/bin/env bash
# dbcare migrate --online on SQLite (issue 70): a plain-SQL table rebuild
# (CREATE TABLE new, INSERT INTO new (...) SELECT ... FROM old, DROP TABLE
# old, ALTER TABLE new RENAME TO old, the index made again) carried out as
# triggers + a copy in batches + one short swap (docs/migrations.md,
# "Online"), with a view reading the table and a trigger of the user's on
# it (dropped first and made again, as SQLite's procedure does: both work
# through the whole copy, and the swap drops and makes them again).
#   0. The forms users write go online (dry run): the copy with a WHERE
#      does not; the no-transaction form (PRAGMA foreign_keys = OFF, BEGIN,
#      ..., COMMIT, as dbmigrate_rebuild_script writes it) and drizzle's
#      (quoted names, a PRAGMA between the RENAME and the index) do, the
#      index made again in the swap.
#      dbmigrate_apply(NULL, 1) is refused, naming dbcare migrate --online;
#      a rebuild of a parent is refused while a no-transaction migration
#      left foreign keys enforced.
#   1. With a writer process inserting, updating and deleting rows all
#      through the run: the rows are those of the same writes replayed after
#      the plain migration (content equal), the schema is the plain
#      migration's (fingerprint equal), no leftover.
#   2. The no-transaction form, killed (SIGKILL) before its k-th statement,
#      for a few k: the old table still takes writes (its trigger fires, the
#      view reads it); then resumed (the schema and rows of plain
#      migrate, with that write) or rolled back (the old schema and rows,
#      pending), with 0 leftovers either way.
#   3. Under a writer that holds the write lock half the time (10 ms on,
#      10 ms off), each of a series of migrate --online runs waits for
#      the lock rather than failing with "database is locked" once the
#      migration has applied: every transaction the command opens to write
#      takes the lock first (BEGIN IMMEDIATE), so its busy timeout applies.
#   4. Eight writers inserting into the table all through an online
#      rebuild: every row each wrote is in the new table, none got an
#      error, the copy finished; a writer holding the lock past
#      --lock-timeout mid-copy: the batch waits and is tried again.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/cli.sh"
N=20000
db="$work/tpl.db"
sqlite3 -batch "$db" >/dev/null <<SQL
PRAGMA journal_mode = wal;
CREATE TABLE customers (id INTEGER PRIMARY KEY);
CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers (id),
  amount TEXT, note TEXT);
CREATE TABLE lines (id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL REFERENCES orders (id));
WITH RECURSIVE g(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM g WHERE i < 99)
INSERT INTO customers SELECT i FROM g;
WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < $N)
INSERT INTO orders SELECT i, i % 100, CAST(i % 97 AS TEXT), 'n' || i FROM g;
INSERT INTO lines SELECT id, id FROM orders WHERE id <= 500;
CREATE INDEX orders_note ON orders (note);
CREATE VIEW big_orders AS SELECT id, amount FROM orders WHERE id > 10;
CREATE TABLE touched (order_id INTEGER, note TEXT);
CREATE TRIGGER orders_touched AFTER UPDATE OF note ON orders BEGIN
  INSERT INTO touched VALUES (NEW.id, NEW.note); END;
SQL
mkdir m
cat >m/V1__amount_integer.sql <<'SQL'
DROP VIEW big_orders;
DROP TRIGGER orders_touched;
CREATE TABLE orders_new (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers (id),
  amount INTEGER NOT NULL CHECK (amount >= 0), note TEXT);
INSERT INTO orders_new (id, customer_id, amount, note)
  SELECT id, customer_id, CAST(amount AS INTEGER), note FROM orders;
DROP TABLE orders;
ALTER TABLE orders_new RENAME TO orders;
CREATE INDEX orders_note ON orders (note);
CREATE TRIGGER orders_touched AFTER UPDATE OF note ON orders BEGIN
  INSERT INTO touched VALUES (NEW.id, NEW.note); END;
CREATE VIEW big_orders AS SELECT id, amount FROM orders WHERE id > 10;
SQL
# the same rebuild as a no-transaction migration, as SQLite's procedure
# (and dbmigrate_rebuild_script) writes it
mkdir mnt
{ printf -- '-- dbcare:no-transaction\nPRAGMA foreign_keys = OFF;\nBEGIN IMMEDIATE;\n'
  cat m/V1__amount_integer.sql
  printf 'PRAGMA foreign_key_check;\nCOMMIT;\nPRAGMA foreign_keys = ON;\n'; } >mnt/V1__amount_integer.sql
# the step records' table made (empty), so that one query reads all
db=$db q "SELECT dbmigrate_online_record('0', 1, 'x'); DELETE FROM dbcare_migrations_online_steps;" >/dev/null
fp() { db=$1 q "SELECT dbschema_fingerprint()"; }
rows() { db=$1 q "SELECT count(*), r FROM (SELECT group_concat(id || ':' || quote(customer_id) || ':' || quote(amount) || ':' || quote(note), ',') AS r FROM (SELECT * FROM orders ORDER BY id));
  SELECT count(*), sum(order_id), group_concat(note) FROM touched"; }
leftovers() {
  db=$1 q "SELECT (SELECT count(*) FROM sqlite_schema WHERE name LIKE '%dbcare_online%' OR name = 'orders_new')
    + (SELECT count(*) FROM dbcare_migrations_online_steps)"
}
# fingerprint, rows and leftovers in one call
state() {
  db=$1 q "SELECT dbschema_fingerprint();
    SELECT count(*), r FROM (SELECT group_concat(id || ':' || quote(customer_id) || ':' || quote(amount) || ':' || quote(note), ',') AS r FROM (SELECT * FROM orders ORDER BY id));
    SELECT count(*), sum(order_id), group_concat(note) FROM touched;
    SELECT (SELECT count(*) FROM sqlite_schema WHERE name LIKE '%dbcare_online%' OR name = 'orders_new')
      + (SELECT count(*) FROM dbcare_migrations_online_steps)"
}
# the form carried is planned as batches; a copy with a WHERE runs as written
cp "$db" dry.db
run 0 migrate --db sqlite:dry.db --dir m --online --dry-run
has "batches" out
mkdir m2
sed 's/ FROM orders;/ FROM orders WHERE id > 0;/' m/V1__amount_integer.sql >m2/V1__amount_integer.sql
run 0 migrate --db sqlite:dry.db --dir m2 --online --dry-run
! grep -qF "batches" out || fail "a copy with a WHERE was rewritten"
# in SQL the migration cannot run online: refused before anything runs
! db=dry.db q "SELECT dbmigrate_apply(NULL, 1)" 2>err || fail "dbmigrate_apply(NULL, 1) ran"
has "dbcare: dbmigrate_apply cannot run a migration online: a function call runs in one transaction" err
has "Run dbcare migrate --online" err
# the unit of the first step whose statement starts with $1, in out
unit_of() { awk -v w="$1" 'index($0, w) { print $3; exit }' out; }
run 0 migrate --db sqlite:dry.db --dir mnt --online --dry-run
has "batches" out
[ -z "$(awk '$5 == "BEGIN" || $5 == "COMMIT"' out)" ] || fail "the no-transaction form's BEGIN or COMMIT was planned"
[ "$(unit_of "DROP VIEW big_orders")" = "$(unit_of "ALTER TABLE orders_new")" ] ||
  fail "the view dropped first is not dropped in the swap"
mkdir md
cat >md/V1__amount_integer.sql <<'SQL'
-- dbcare:no-transaction
PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_orders` (`id` integer PRIMARY KEY, `customer_id` integer, `amount` integer NOT NULL, `note` text);--> statement-breakpoint
INSERT INTO `__new_orders`("id", "customer_id", "amount", "note") SELECT "id", "customer_id", "amount", "note" FROM `orders`;--> statement-breakpoint
DROP TABLE `orders`;--> statement-breakpoint
ALTER TABLE `__new_orders` RENAME TO `orders`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE INDEX `orders_note` ON `orders` (`note`);
SQL
run 0 migrate --db sqlite:dry.db --dir md --online --dry-run
has "batches" out
[ "$(unit_of "CREATE INDEX \`orders_note\`")" = "$(unit_of "ALTER TABLE \`__new_orders\`")" ] ||
  fail "drizzle's index made again is not in the swap"
[ "$(unit_of "PRAGMA foreign_keys=ON")" -gt "$(unit_of "ALTER TABLE \`__new_orders\`")" ] ||
  fail "drizzle's PRAGMA foreign_keys=ON is not after the swap"
# A no-transaction migration's PRAGMA foreign_keys = ON holds for the rest
# of the command's connection: a later rebuild is refused before it starts
# (its DROP TABLE would delete the children's rows first)
sqlite3 -batch fk.db "CREATE TABLE p (id INTEGER PRIMARY KEY, v TEXT);
  CREATE TABLE c (id INTEGER PRIMARY KEY, p_id INTEGER REFERENCES p (id) ON DELETE CASCADE);
  WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < 50)
  INSERT INTO p SELECT i, i FROM g; INSERT INTO c SELECT id, id FROM p;"
mkdir mk
printf -- '-- dbcare:no-transaction\nPRAGMA foreign_keys = ON;\n' >mk/V1__keys_on.sql
cat >mk/V2__p_integer.sql <<'SQL'
CREATE TABLE p_new (id INTEGER PRIMARY KEY, v INTEGER);
INSERT INTO p_new (id, v) SELECT id, CAST(v AS INTEGER) FROM p;
DROP TABLE p;
ALTER TABLE p_new RENAME TO p;
SQL
run 1 migrate --db sqlite:fk.db --dir mk --online
has "DROP TABLE p would delete or change the rows of c (ON DELETE CASCADE)" err
[ "$(db=fk.db q "SELECT count(*) FROM c; SELECT count(*) FROM sqlite_schema WHERE name = 'p_new'")" = "$(printf '50\n0')" ] ||
  fail "the rebuild of a parent ran while foreign keys were enforced"
old_fp=$(fp "$db")
old_rows=$(rows "$db")
cp "$db" plain.db
run 0 migrate --db sqlite:plain.db --dir m
new_fp=$(fp plain.db)
cp "$db" plainnt.db
run 0 migrate --db sqlite:plainnt.db --dir mnt
[ "$(fp plainnt.db)" = "$new_fp" ] || fail "the two forms' plain runs differ"

# The writer: op i of a fixed sequence, each in a write transaction of its
# own, until the file stop exists; the count done in the file count.
cat >writer.py <<'PY'
import os, sqlite3, sys, time
db, n, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
c = sqlite3.connect(db, timeout=10, isolation_level=None)
def op(i):
    c.execute("BEGIN IMMEDIATE")
    if i % 3 == 0:
        c.execute("INSERT INTO orders (id, customer_id, amount, note) VALUES (?, ?, ?, ?)",
                  (100000 + i, i % 100, str(i % 50), "w%d" % i))
    elif i % 3 == 1:
        c.execute("UPDATE orders SET note = ?, amount = ? WHERE id = ?",
                  ("u%d" % i, str(i % 40), (i * 7) % n + 1))
    else:
        c.execute("DELETE FROM orders WHERE id = ?", (1000 + (i * 13) % (n - 1000) + 1,))
    c.execute("COMMIT")
if mode == "replay":
    for i in range(1, int(sys.argv[4]) + 1):
        op(i)
    sys.exit(0)
i = 0
while not os.path.exists("stop"):
    i += 1
    op(i)
    with open("count.tmp", "w") as f:
        f.write(str(i))
    os.replace("count.tmp", "count")
    time.sleep(0.001)
PY
count() { cat count 2>/dev/null || echo 0; }
cp "$db" live.db
"$py" writer.py live.db $N run &
writer=$!
trap 'kill $writer 2>/dev/null || true; rm -rf "$work"' EXIT
while [ "$(count)" -lt 20 ]; do sleep 0.01; done
c0=$(count)
run 0 migrate --db sqlite:live.db --dir m --online
has "row(s) filled in batches" err
c1=$(count)
touch stop
wait $writer
n=$(count)
[ "$c1" -gt "$c0" ] || fail "the writer wrote nothing during the run ($c0, $c1)"
cp plain.db ref.db
"$py" writer.py ref.db $N replay "$n"
[ "$(fp live.db)" = "$new_fp" ] || fail "with a writer: not the schema of plain migrate"
[ "$(rows live.db)" = "$(rows ref.db)" ] || fail "with a writer: the rows differ from the same $n writes after plain migrate"
[ "$(leftovers live.db)" = 0 ] || fail "with a writer: leftovers"
echo "writer: $n writes, $((c1 - c0)) during the run"

# Killed before statement k: a write to the old table, then resume or rollback.
write="UPDATE orders SET note = 'killed' WHERE id = 4242"
cp plain.db ref.db
db=ref.db q "$write"
ref_rows=$(rows ref.db)
cp "$db" refold.db
db=refold.db q "$write"
refold_rows=$(rows refold.db)
# kill points: in the first unit, 15 spread through the copy's passes,
# then each of the last statements (the swap, its records, the end)
resume() {
  run 0 migrate --db sqlite:k.db --dir mnt --online
  [ "$(state k.db)" = "$(printf '%s\n%s\n0' "$new_fp" "$ref_rows")" ] ||
    fail "kill point $k: resumed, not the schema and rows of plain migrate, or leftovers"
}
# the statements a whole run sends
cp "$db" k.db
(DBCARE_TEST_ONLINE_KILL_AT=100000 exec "$cli" migrate --db sqlite:k.db --dir mnt --online >out 2>err)
total=$(sed -n 's/^dbcare: test: \([0-9]*\) statement(s) sent$/\1/p' err)
[ -n "$total" ] || { cat out err; fail "the run did not say how many statements it sent"; }
i=0 swapped=0
for k in $({ for j in $(seq 1 15); do echo $(((j * total + 15) / 16)); done
  echo 2 5 9 $((total - 30)) $((total - 20)) $((total - 12)) $((total - 6)) $((total - 2)) $total; } |
  sort -nu); do
  cp "$db" k.db
  rm -f k.db-wal k.db-shm
  set +e
  (DBCARE_TEST_ONLINE_KILL_AT=$k exec "$cli" migrate --db sqlite:k.db --dir mnt --online >out 2>err)
  rc=$?
  set -e
  [ $rc = 137 ] || { cat out err; fail "kill point $k: exit $rc, not killed"; }
  i=$((i + 1))
  db=k.db q "$write" || fail "kill point $k: the table takes no write"
  [ "$(db=k.db q "SELECT count(*) FROM big_orders WHERE id = 4242")" = 1 ] ||
    fail "kill point $k: the view does not read the table"
  # swapped: the table has the new type (a rollback is refused then)
  swap=$(db=k.db q "SELECT type FROM pragma_table_info('orders') WHERE name = 'amount'")
  if [ $((i % 2)) = 1 ] && [ "$swap" = TEXT ]; then
    resume
  else
    set +e
    "$cli" rollback --db sqlite:k.db >out 2>err
    rc=$?
    set -e
    if [ $rc != 0 ] && grep -qF "cannot be undone" err; then
      # killed after the swap committed: only a resumed run finishes
      swapped=$((swapped + 1))
      resume
    else
      [ $rc = 0 ] && grep -qF "half-done online run undone" err || { cat out err; fail "kill point $k: rollback"; }
      [ "$(state k.db)" = "$(printf '%s\n%s\n0' "$old_fp" "$refold_rows")" ] ||
        fail "kill point $k: rolled back, not the old schema and rows, or leftovers"
      [ "$(db=k.db q "SELECT state FROM dbmigrate_status() WHERE version = '1'")" = pending ] ||
        fail "kill point $k: rolled back, not pending"
    fi
  fi
done
[ $i -ge 20 ] && [ $swapped -ge 1 ] || fail "too few kill points: $i, $swapped after the swap"
echo "ok: rebuild online with a writer and at $i kill points ($swapped after the swap)"

# A writer holding the write lock 10 ms on, 10 ms off: a transaction that
# read first and wrote later (a deferred BEGIN) would fail at once, unwaited
# (before the fix, about one run in three did); one that takes the lock
# first waits for a gap (the gaps are long enough for its busy timeout's
# polls to find one well within its 2 s).
sqlite3 -batch busy.db "PRAGMA journal_mode = wal; CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);" >/dev/null
mkdir mb
cat >holder.py <<'PY'
import os, sqlite3, time
c = sqlite3.connect("busy.db", timeout=10, isolation_level=None)
i = 0
while not os.path.exists("stop_holder"):
    i += 1
    c.execute("BEGIN IMMEDIATE")
    c.execute("INSERT INTO t VALUES (?, 'h')", (i,))
    if i == 1:
        open("holding", "w").close()
    time.sleep(0.01)
    c.execute("COMMIT")
    time.sleep(0.01)
PY
"$py" holder.py &
holder=$!
trap 'touch "$work/stop_holder"; kill $holder 2>/dev/null || true; rm -rf "$work"' EXIT
while [ ! -e holding ]; do sleep 0.01; done
for v in $(seq 1 14); do
  printf 'CREATE INDEX t_v%s ON t (v);\n' "$v" >"mb/V${v}__index.sql"
  run 0 migrate --db sqlite:busy.db --dir mb --online
done
touch stop_holder
wait $holder
[ "$(db=busy.db q "SELECT count(*) FROM dbmigrate_status() WHERE state = 'applied'")" = 14 ] ||
  fail "under a writer holding the lock: not every migration applied"
echo "ok: 14 runs of migrate --online under a writer holding the write lock"

# Eight writers inserting into the table under an online rebuild, each in
# transactions of its own under the busy timeout it configured (5 s): the
# copy's batches take the write lock in turn with them. A batch whose
# BEGIN IMMEDIATE finds the database busy past --lock-timeout waits and
# tries that batch again (below), and
# after each batch the copier leaves the lock free as long as it held it,
# so a writer polling in its busy handler finds a window. Every writer's
# rows are in the new table, no writer got an error, the copy finished.
cp "$db" w8.db
cat >w8.py <<'PY'
import os, sqlite3, sys, time
w = int(sys.argv[1])
c = sqlite3.connect("w8.db", timeout=5, isolation_level=None)
i = 0
while not os.path.exists("w8_stop") or i < 20:
    i += 1
    try:
        c.execute("BEGIN IMMEDIATE")
        c.execute("INSERT INTO orders (id, customer_id, amount, note) VALUES (?, ?, ?, ?)",
                  (1000000 * (w + 1) + i, i % 100, str(i % 50), "w%d" % w))
        c.execute("COMMIT")
    except sqlite3.Error as e:
        print("writer %d, insert %d: %s" % (w, i, e), file=sys.stderr)
        sys.exit(1)
    with open("w8_%d.tmp" % w, "w") as f:
        f.write(str(i))
    os.replace("w8_%d.tmp" % w, "w8_%d" % w)
    time.sleep(0.02)
PY
w8=()
for w in 0 1 2 3 4 5 6 7; do "$py" w8.py $w 2>>w8.err & w8+=($!); done
trap 'touch "$work/w8_stop"; kill "${w8[@]}" 2>/dev/null || true; rm -rf "$work"' EXIT
for w in 0 1 2 3 4 5 6 7; do while [ ! -e w8_$w ]; do sleep 0.01; done; done
w8_sum() { local s=0 f; for f in w8_?; do s=$((s + $(cat "$f"))); done; echo $s; }
before=$(w8_sum)
run 0 migrate --db sqlite:w8.db --dir m --online
during=$(( $(w8_sum) - before ))
[ "$during" -gt 0 ] || fail "the writers wrote nothing during the rebuild"
touch w8_stop
for p in "${w8[@]}"; do wait "$p" || { cat w8.err; fail "a writer failed during the rebuild"; }; done
[ ! -s w8.err ] || { cat w8.err; fail "a writer got an error"; }
for w in 0 1 2 3 4 5 6 7; do
  [ "$(db=w8.db q "SELECT count(*) FROM orders WHERE note = 'w$w'")" = "$(cat w8_$w)" ] ||
    fail "writer $w: $(cat w8_$w) rows inserted, not all in the new table"
done
[ "$(fp w8.db)" = "$new_fp" ] && [ "$(leftovers w8.db)" = 0 ] ||
  fail "eight writers: not the plain migration's schema, or leftovers"
echo "ok: a rebuild online beside 8 writers ($during rows inserted during it)"

# A writer holding the lock past --lock-timeout once the copy is under way:
# the batch whose BEGIN IMMEDIATE found the database busy waits and is
# tried again, said as a batch that waited for a lock (before the fix its
# failure restarted the whole unit, the copy from its first row, unsaid).
cp "$db" hold.db
cat >hold.py <<'PY'
import sqlite3, sys, time
c = sqlite3.connect("hold.db", timeout=10, isolation_level=None)
deadline = time.time() + 20
while True:
    if time.time() > deadline:
        sys.exit("the copy was never seen under way")
    try:
        if c.execute("SELECT count(*) FROM orders_new").fetchone()[0] > 0:
            break
    except sqlite3.Error:
        pass
    time.sleep(0.001)
c.execute("BEGIN IMMEDIATE")
c.execute("CREATE TABLE held (x)")
time.sleep(0.6)
c.execute("COMMIT")
PY
"$py" hold.py &
hold=$!
run 0 migrate --db sqlite:hold.db --dir m --online --lock-timeout 200ms
wait $hold || fail "the holder failed"
grep -q "batch [0-9]* waited for a lock [1-9][0-9]* time(s)" err ||
  { cat err; fail "the batch whose BEGIN found the database busy was not tried again"; }
[ "$(fp hold.db)" != "" ] && [ "$(leftovers hold.db)" = 0 ] || fail "held: leftovers"
echo "ok: a busy BEGIN of a batch waited for and tried again"
