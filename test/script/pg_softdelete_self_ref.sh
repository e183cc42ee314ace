#!/usr/bin/env bash
# A table whose key references the table itself (comments and their
# replies), with its key enforced and with its RI triggers disabled (the
# key then is the purge's to keep). PostgreSQL checks a key without ON
# DELETE action at the end of the statement: a row referenced only by rows
# the same delete takes goes with them. dbcare decides as the engine would:
#  1. dbsoftdelete_purge of a whole soft-deleted thread purges it; one a
#     kept row still references is refused, nothing purged.
#  2. a retention delete policy over a chain of due rows takes the whole
#     chain in one run and counts the chain a newer row holds as blocked;
#     so does dbretain_run, committing after each batch.
set -eu
db=dbcare_softdelete_self_ref
. "$(dirname "$0")/lib/pg.sh"
fresh_db
left() { q -c "SELECT coalesce(string_agg(id::text, ',' ORDER BY id), '-') FROM c"; }
orphans() {
  n=$(q -c "SELECT count(*) FROM c r WHERE r.parent IS NOT NULL AND NOT EXISTS (SELECT 1 FROM c p WHERE p.id = r.parent)")
  [ "$n" = 0 ] || fail "$1: $n orphans"
}
# comments: 1 <- 2 <- 3 (a thread), 4 alone, 10 <- 11 (a thread); keys:
# enforced, or with the RI triggers disabled (the user's own stay enabled)
fixture() {
  q <<SQL >/dev/null
SET client_min_messages = warning;
DROP TABLE IF EXISTS c;
SELECT dbretain_drop(name) FROM dbretain_policies();
CREATE TABLE c (id int PRIMARY KEY, parent int REFERENCES c (id), at timestamptz NOT NULL);
CREATE INDEX c_parent ON c (parent);
INSERT INTO c VALUES (1, NULL, now() - interval '30 days'), (2, 1, now() - interval '20 days'),
  (3, 2, now() - interval '10 days'), (4, NULL, now() - interval '10 days'),
  (10, NULL, now() - interval '30 days'), (11, 10, now());
SQL
  [ "$1" = enforced ] || q -c "ALTER TABLE c DISABLE TRIGGER ALL" -c "ALTER TABLE c ENABLE TRIGGER USER" >/dev/null
}

for keys in disabled enforced; do
  # ---- 1. soft-delete purge
  fixture $keys
  q -c "SELECT dbsoftdelete_enable('c')" -c "DELETE FROM c WHERE id <= 4" >/dev/null
  got=$(q -c "SELECT dbsoftdelete_purge('c')" 2>&1) || fail "$keys: purge of a soft-deleted thread: $got"
  [ "$got" = 4 ] && [ "$(left)" = "10,11" ] || fail "$keys: purge of a thread: $got, left $(left)"
  orphans "purge, $keys"
  out=$(q -c "DELETE FROM c WHERE id = 10" -c "SELECT dbsoftdelete_purge('c')" 2>&1) &&
    fail "$keys: purged a row a kept row references: $out"
  case "$out" in *"dbsoftdelete_purge: 1 soft-deleted row(s) of table public.c are still referenced by table public.c (parent)"*|*"violates foreign key constraint"*) ;;
    *) fail "$keys: refused purge: $out" ;; esac
  [ "$(left)" = "10,11" ] || fail "$keys: the refused purge deleted: $(left)"
  q -c "SELECT dbsoftdelete_disable('c')" >/dev/null
  # ---- 2. retention
  fixture $keys
  got=$(q -c "SELECT dbretain_add('old', 'public.c', 'at', '7 days', 'delete')" \
    -c "SELECT deleted || ' ' || blocked || ' ' || remaining FROM dbretain_apply('old')" | tail -1)
  [ "$got" = "4 1 0" ] || fail "$keys: delete policy deleted/blocked/remaining: $got"
  [ "$(left)" = "10,11" ] || fail "$keys: left after the delete policy: $(left)"
  orphans "delete policy, $keys"
  # dbretain_run commits after each batch (of 2 rows here) and goes on
  # from where the last one ended: the chain goes in one call too
  fixture $keys
  q -c "SELECT dbretain_add('old', 'public.c', 'at', '7 days', 'delete')" \
    -c "SELECT dbcare_set('retain.batch_size', '2')" >/dev/null
  q -c "CALL dbretain_run('old')" >/dev/null
  [ "$(left)" = "10,11" ] || fail "$keys: left after dbretain_run: $(left)"
  orphans "dbretain_run, $keys"
  q -c "SELECT dbcare_set('retain.batch_size', '1000')" >/dev/null
done
echo "ok: a self-referencing key keeps only what PostgreSQL would keep, enforced or not"
