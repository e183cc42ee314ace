#!/usr/bin/env bash
# The build's Debian packages are one list (test/harness/bootstrap.sh
# --build-packages), and what users read agrees with it and with the build:
#   1. every `apt-get install` command of README.md and docs/cli.md names
#      exactly that list (docs/cli.md's, for dpkg-buildpackage, with
#      debhelper), and each document has one;
#   2. debian/control's Build-Depends are that list without make and gcc
#      (build-essential), with debhelper-compat;
#   3. every library the Makefile links (-lNAME: its .so link and .a
#      archive, where they exist) and the server headers PGXS builds with
#      (postgres.h) are files of a package of the list (dpkg -S); libc's own
#      (libc6-dev: libm, libdl, libpthread) come with gcc.
# Usage: core_build_deps.sh [ROOT] (default: this tree).
set -euo pipefail
root=${1:-"$(dirname "$0")/../.."}
cd "$root"
fail() { echo "FAIL: $*"; exit 1; }
build=$(test/harness/bootstrap.sh --build-packages)
[ -n "$build" ] || fail "bootstrap.sh --build-packages printed nothing"
sorted() { tr ' ' '\n' | sed '/^$/d' | sort -u | tr '\n' ' '; }
want=$(echo "$build" | sorted)

# 1. The documents' install commands (a command's continued lines joined).
for doc in README.md docs/cli.md; do
  extra=; [ "$doc" = docs/cli.md ] && extra=debhelper
  expected=$(echo "$build $extra" | sorted)
  commands=$(sed -e ':a' -e '/\\$/{N;s/\\\n//;ba' -e '}' "$doc" | grep 'apt-get install' || true)
  [ -n "$commands" ] || fail "$doc shows no apt-get install command for the build"
  while IFS= read -r line; do
    got=$(echo "$line" | sed 's/.*apt-get install//; s/#.*//' | sorted)
    [ "$got" = "$expected" ] ||
      fail "$doc installs [$got], the build needs [$expected] (test/harness/bootstrap.sh)"
  done <<< "$commands"
done

# 2. debian/control.
deps=$(sed -n '/^Build-Depends:/,/^[A-Z]/p' debian/control | sed '1s/^Build-Depends://; $d' |
  tr ',' '\n' | sed 's/(.*)//; s/[[:space:]]//g' | sorted)
expected=$(echo "$build" | tr ' ' '\n' | grep -vxE 'make|gcc' | { cat; echo debhelper-compat; } | sorted)
[ "$deps" = "$expected" ] || fail "debian/control Build-Depends [$deps], the build needs [$expected]"

# 3. What the Makefile links, and the server headers.
libs=$(grep -v '^[[:space:]]*#' Makefile | grep -oE '(^|[[:space:]])-l[A-Za-z0-9_+.-]+' | sed 's/.*-l//' | sort -u)
[ -n "$libs" ] || fail "read no -l flag from the Makefile (test premise)"
files="$(pg_config --includedir-server)/postgres.h"
for lib in $libs; do
  for kind in so a; do
    file=$(gcc -print-file-name="lib$lib.$kind")
    [ "$file" = "lib$lib.$kind" ] || files="$files $(realpath -s "$file")"
  done
done
checked=0
for file in $files; do
  package=$(dpkg -S "$file" 2>/dev/null | head -n 1 | sed 's/:.*//') || true
  [ -n "$package" ] || fail "the build links $file, which no Debian package holds"
  [ "$package" = libc6-dev ] && continue
  case " $want " in *" $package "*) checked=$((checked + 1)) ;;
    *) fail "the build uses $file of $package, which bootstrap.sh's build_packages lacks" ;; esac
done
[ "$checked" -ge 8 ] || fail "only $checked of the build's files checked (test premise)"
echo "ok: $(echo "$want" | wc -w) build packages, $checked linked files in them"
