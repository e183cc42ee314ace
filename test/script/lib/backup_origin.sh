# backup_origin.sh — the journey sqlite_backup_sealed_origin.sh and
# sqlite_backup_plain_origin.sh share (sourced after lib/sqlite.sh and
# lib/built_cli.sh; needs work, module, a and b, the two databases, and
# ida and idb, their identities).
#   loose_restore_refused LOOSE KIND  LOOSE, b's backup that no catalog
#       names (KIND: "sealed backup" or "backup", as the errors say it),
#       restored over a (another identity): refused naming both, a
#       unchanged and no safety backup taken; over a copy of b (the same
#       identity, another file): refused unless b is named as the origin
#       (--allow-origin), then restored
loose_restore_refused() {
  local loose=$1 kind=$2 before
  before=$(sqlite3 "$a" "SELECT group_concat(who) FROM t")
  "$cli" restore "$loose" --db "sqlite:$a" --module "$module" >"$work/out" 2>&1 &&
    fail "another database's uncatalogued $kind restored over a: $(cat "$work/out")"
  grep -qF "$loose is the $kind of database $b (identity $idb), not of this database $a (identity $ida)" "$work/out" ||
    fail "restore over another database: $(cat "$work/out")"
  [ "$(sqlite3 "$a" "SELECT group_concat(who) FROM t")" = "$before" ] || fail "the database changed"
  ! ls "$work" | grep -q "a.db.before-restore" || fail "a safety backup was taken before the refusal"
  cp "$b" "$work/bcopy.db"
  sqlite3 "$work/bcopy.db" "DELETE FROM dbcare_backups"
  "$cli" restore "$loose" --db "sqlite:$work/bcopy.db" --module "$module" >"$work/out" 2>&1 &&
    fail "b's $kind restored over a copy of b unasked: $(cat "$work/out")"
  grep -qF "$loose is the $kind of database $b, not of this database $work/bcopy.db (a copy" "$work/out" ||
    fail "restore over a copy: $(cat "$work/out")"
  "$cli" restore "$loose" --db "sqlite:$work/bcopy.db" --module "$module" --allow-origin "$b" >"$work/out" 2>&1 ||
    fail "b's $kind did not restore into a copy of b: $(cat "$work/out")"
}
