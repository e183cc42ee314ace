# pg_backup_origin.sh — the attack pg_backup_sealed_identity.sh and
# pg_backup_plain_identity.sh share (sourced after lib/pg.sh and
# lib/cli.sh; needs db and other, two databases, ida and idb, their
# identities, and pq and url_of of the test).
#   dump_swap_refused KIND  the other's dump is at this database's
#       catalogued path shared/app.dump, and the other's row's columns
#       over this database's row: verify refuses it naming both (KIND:
#       "dump" or "sealed dump", as the error says it), the row is failed,
#       the drill refuses it and the database is unchanged. Sets row, the
#       query of a catalog row's columns, and saved, this database's row's
#       columns as they were.
dump_swap_refused() {
  local kind=$1
  row="SELECT format('bytes = %s, fingerprint = %L, sha256 = %L, content = %L', bytes, fingerprint, sha256, content)
    FROM dbcare.backups WHERE path = '$work/shared/app.dump' ORDER BY id DESC LIMIT 1"
  saved=$(q -c "$row")
  q -c "UPDATE dbcare.backups SET $(pq "$other" -c "$row") WHERE path = '$work/shared/app.dump'" >/dev/null
  run 1 verify shared/app.dump --db "$(url_of "$db")"
  has "it is the $kind of database $other (identity $idb), not of this database $db (identity $ida) that catalogues it" err
  [ "$(q -c "SELECT status FROM dbcare.backups WHERE path = '$work/shared/app.dump'")" = failed ] ||
    fail "the row is not failed"
  run 1 backup drill shared/app.dump --db "$(url_of "$db")" --json
  grep -qF "(identity $idb), not of this database $db (identity $ida)" out err ||
    fail "the drill does not refuse the other's dump: $(cat out err)"
  [ "$(q -c "SELECT count(*) FROM t WHERE who = 'alice'")" = 100 ] || fail "the database changed"
}
