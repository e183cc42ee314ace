#!/usr/bin/env bash
# make install puts the command, the SQLite module, the manual page and the
# bash and zsh completions under $(DESTDIR)$(PREFIX) (bin/dbcare,
# lib/dbcare.so, share/man/man1/dbcare.1, share/bash-completion/completions/
# dbcare, share/zsh/site-functions/_dbcare); the installed command
# finds its module beside itself, with no option or environment.
# With a wrong PG_CONFIG, `make install` fails before installing anything (as a
# PGXS Makefile does) unless the SQLite part alone is asked for.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
root="$(cd "$(dirname "$0")/../.." && pwd)"
make -s --no-print-directory -C "$root" install-cli DESTDIR="$work/root" >"$work/make.log" 2>&1 ||
  { cat "$work/make.log"; fail "make install-cli"; }
[ -x "$work/root/usr/local/bin/dbcare" ] || fail "no /usr/local/bin/dbcare under DESTDIR"
[ -f "$work/root/usr/local/lib/dbcare.so" ] || fail "no /usr/local/lib/dbcare.so under DESTDIR"
make -s --no-print-directory -C "$root" install-cli DESTDIR="$work/root" PREFIX=/opt/dbc >"$work/make.log" 2>&1 ||
  { cat "$work/make.log"; fail "make install-cli PREFIX=/opt/dbc"; }
[ -x "$work/root/opt/dbc/bin/dbcare" ] && [ -f "$work/root/opt/dbc/lib/dbcare.so" ] || fail "PREFIX not followed"
# the manual page and the completions, under DESTDIR and PREFIX
share="$work/root/opt/dbc/share"
[ -f "$share/man/man1/dbcare.1" ] || fail "no share/man/man1/dbcare.1 under PREFIX"
[ -f "$share/bash-completion/completions/dbcare" ] || fail "no bash completion under PREFIX"
[ -f "$share/zsh/site-functions/_dbcare" ] || fail "no zsh completion under PREFIX"
man -l "$share/man/man1/dbcare.1" 2>/dev/null | grep -q 'dbcare - migrations' || fail "the manual page does not render"
! groff -man -Tutf8 -ww "$share/man/man1/dbcare.1" 2>&1 >/dev/null | grep . || fail "groff warns on dbcare.1"
# bash completion lists every command --help lists, and help's topics
"$work/root/opt/dbc/bin/dbcare" --help >"$work/help.txt"
cmds=$(sed -n 's/^  \([a-z]*\)[ ,].*/\1/p' "$work/help.txt")
[ "$(echo "$cmds" | wc -w)" -ge 20 ] || fail "no command list in --help: $(cat "$work/help.txt")"
got=$(bash -c '. "$1"; COMP_WORDS=(dbcare ""); COMP_CWORD=1; _dbcare; echo "${COMPREPLY[*]}"' _ \
  "$share/bash-completion/completions/dbcare")
for c in $cmds up down; do
  echo " $got " | grep -q " $c " || fail "bash completion lacks $c: $got"
done
# (a command's options are the ones the installed dbcare, on PATH, prints)
export PATH="$work/root/opt/dbc/bin:$PATH"
got=$(bash -c '. "$1"; COMP_WORDS=(dbcare --db x.db health --fail); COMP_CWORD=4; _dbcare; echo "${COMPREPLY[*]}"' _ \
  "$share/bash-completion/completions/dbcare")
[ "$got" = --fail-on ] || fail "bash completion of an option: $got"
# zsh completion: every command (zsh itself may be absent)
for c in $cmds; do grep -q "'$c:" "$share/zsh/site-functions/_dbcare" || fail "zsh completion lacks $c"; done
! command -v zsh >/dev/null || zsh -n "$share/zsh/site-functions/_dbcare" || fail "zsh completion syntax"
# every option the helps name (the option table's rows) is completed by
# both, and bash never takes an option's value for the command (--from V
# config: the command is config); dbcare itself says which take a value
bin="$work/root/opt/dbc/bin/dbcare"
opts=$({ cat "$work/help.txt"; for c in $cmds; do "$bin" "$c" --help; done; } | grep -o -- '--[a-z][a-z-]*' | sort -u)
[ "$(echo "$opts" | wc -w)" -ge 40 ] || fail "few options in the helps: $opts"
valued=$(for o in $opts; do "$bin" lint "$o" 2>&1 | grep -q 'needs a value' && echo "$o"; done || true)
[ "$(echo "$valued" | wc -w)" -ge 20 ] || fail "few options with a value: $valued"
for o in $opts; do grep -q -- "$o[]=[' ,}]" "$share/zsh/site-functions/_dbcare" || fail "zsh completion lacks $o"; done
bad=$(bash -c '. "$1"; shift; o=$1; shift
  for x in $o; do COMP_WORDS=(dbcare --); COMP_CWORD=1; _dbcare
    [[ " ${COMPREPLY[*]} " == *" $x "* ]] || echo "lacks $x"; done
  for x in "$@"; do COMP_WORDS=(dbcare "$x" v config ""); COMP_CWORD=4; _dbcare
    [[ " ${COMPREPLY[*]} " == *" list "* ]] || echo "takes the value of $x for the command"; done' _ \
  "$share/bash-completion/completions/dbcare" "$opts" $valued)
[ -z "$bad" ] || fail "bash completion: $(echo $bad)"
# the license META.json names, in the repository and in no doubt
grep -q '"license": "postgresql"' "$root/META.json" && grep -q '^PostgreSQL License' "$root/LICENSE" &&
  grep -q 'dbcare contributors' "$root/LICENSE" || fail "LICENSE does not match META.json"
set +e
make -s --no-print-directory -C "$root" install PG_CONFIG=/wrong/pg_config DESTDIR="$work/nopg" >"$work/make.log" 2>&1
rc=$?
set -e
[ "$rc" != 0 ] || fail "make install with a wrong PG_CONFIG exited 0"
[ ! -e "$work/nopg" ] || fail "make install with a wrong PG_CONFIG installed: $(find "$work/nopg" -type f)"
grep -q "dbcare: cannot install the PostgreSQL extension" "$work/make.log" || { cat "$work/make.log"; fail "no clear error"; }
for how in "install-sqlite" "install DBC_SQLITE_ONLY=1"; do
  rm -rf "$work/nopg"
  # shellcheck disable=SC2086
  make -s --no-print-directory -C "$root" $how PG_CONFIG=/wrong/pg_config DESTDIR="$work/nopg" >"$work/make.log" 2>&1 ||
    { cat "$work/make.log"; fail "make $how"; }
  [ -x "$work/nopg/usr/local/bin/dbcare" ] && [ -f "$work/nopg/usr/local/lib/dbcare.so" ] || fail "make $how installed nothing"
done
unset DBCARE_MODULE
mkdir "$work/migrations"   # the default --dir
echo 'CREATE TABLE t (a INTEGER PRIMARY KEY);' >"$work/migrations/V1__t.sql"
cd "$work"
"$work/root/opt/dbc/bin/dbcare" migrate --db sqlite:app.db --json >out 2>err || { cat err; fail "installed dbcare"; }
db=$work/app.db
[ "$(q "SELECT group_concat(version || state) FROM dbmigrate_status")" = 1applied ] || fail "not migrated"
echo ok
