#!/usr/bin/env bash
# `dbcare log --help` names every subcommand of log with its options
# (status, prune with --keep and --keep-for), lists those options, and
# shows where the log's drill is (an example: backup drill --log); the bash completion
# (cli/share/dbcare.bash) offers log's and backup's subcommands.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/built_cli.sh"
help=$("$cli" log --help)
usage=$(printf '%s\n' "$help" | sed -n '1,/^$/p')
for want in "status DIR" "prune DIR --keep N | --keep-for SPAN [--apply]" \
  "--segment-interval T" "--run-for T" "--encrypt-key-file F"; do
  printf '%s\n' "$usage" | grep -qF -- "$want" || fail "log --help's usage lacks \"$want\": $usage"
done
printf '%s\n' "$help" | grep -q -- "^  dbcare backup drill --log .*# the log's restore drill" ||
  fail "log --help does not say where the log's drill is: $help"
for opt in --keep --keep-for --apply --sleep-ms --segment-bytes --base-interval --base-bytes --compress; do
  printf '%s\n' "$help" | grep -q -- "^  $opt " || fail "log --help lists no $opt: $help"
done
printf '%s\n' "$help" | grep -q -- "^  --keep N .*log prune" || fail "--keep's help says nothing of log prune"
complete() { bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _dbcare; echo " ${COMPREPLY[*]} "' _ \
  "$root/cli/share/dbcare.bash" "$@"; }
got=$(complete dbcare log "")
for s in status prune; do echo "$got" | grep -q " $s " || fail "bash completion of log lacks $s: $got"; done
got=$(complete dbcare --db x.db backup dr)
[ "$got" = " drill " ] || fail "bash completion of backup dr: $got"
echo "ok: log --help names status, prune (--keep, --keep-for) and the drill; bash completes them"
