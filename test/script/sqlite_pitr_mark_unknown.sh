#!/usr/bin/env bash
# restore --to-mark of a label no restore point has (docs/cli.md): '', '%'
# (in the pages of commits that made no mark, and of images whose dbcare
# bookkeeping is not whole yet) and an unknown one each fail with
# `dbcare: no restore point named "…" in the log`, leaving no file.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/built_cli.sh"
. "$(dirname "$0")/lib/pitr.sh"
cd "$work"
sqlite3 a.db "PRAGMA journal_mode = wal; CREATE TABLE t (v TEXT)" >/dev/null
mkdir lg
"$cli" log lg --db sqlite:a.db --module "$module" --sleep-ms 20 2>capture.err &
pid=$!
pitr_wait_started capture.err 1
# the bookkeeping comes in while the log runs (a mark that fails: no backup.dir)
sqlite3 -cmd ".load $module" a.db "SELECT dbbackup_mark('m1')" >/dev/null 2>&1 || true
sqlite3 a.db "INSERT INTO t VALUES ('50%'), ('hello')"
pitr_wait_vouched lg "$(pitr_now)"
kill -TERM "$pid"
wait "$pid" || fail "the capture failed: $(cat capture.err)"
for label in '' '%' 'nope'; do
  set +e
  out=$("$cli" restore --to-mark "$label" lg --db sqlite:q.db --module "$module" 2>&1)
  rc=$?
  set -e
  [ "$rc" = 1 ] && grep -qF "dbcare: no restore point named \"$label\" in the log lg" <<<"$out" ||
    fail "--to-mark '$label': rc $rc, $out"
  grep -q 'no such table\|incomplete' <<<"$out" && fail "--to-mark '$label': $out"
  rm -f q.db
  ls | grep -q 'pitr-' && fail "--to-mark '$label' left a scratch image"
done
echo "ok: unknown labels, '' and '%' fail as no restore point of that name"
