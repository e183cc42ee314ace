#!/usr/bin/env bash
# Installs what building and testing dbcare needs, on Debian 12. As root it
# installs the missing packages; otherwise it names them and stops.
#
#   bootstrap.sh                   install (or name) the missing packages
#   bootstrap.sh --build-packages  print the build's packages, one line
set -euo pipefail

# What `make` needs: the compiler and every library and header the modules
# and the command are built with. The one list: README.md and docs/cli.md
# show it and debian/control's Build-Depends hold it (without make and gcc,
# which Debian's build-essential gives), and test/script/core_build_deps.sh
# fails when one of them differs or the Makefile links a library no package
# of it holds.
build_packages=(
  make gcc
  libsqlite3-dev libjansson-dev libpcre2-dev libssl-dev libzstd-dev libsodium-dev
  libpq-dev libmicrohttpd-dev libcurl4-openssl-dev postgresql-server-dev-15
)
if [ "${1:-}" = --build-packages ]; then
  echo "${build_packages[*]}"
  exit 0
fi

# What the tests need beyond the build.
packages=(
  "${build_packages[@]}"
  pkg-config python3 sqlite3
  postgresql-15 postgresql-15-pgtap
  libtap-parser-sourcehandler-pgtap-perl
)
# Extra packages that features add (one per line) live beside this script.
extra_file="$(dirname "$0")/packages.txt"
if [ -f "$extra_file" ]; then
  while read -r p; do
    case "$p" in ''|'#'*) ;; *) packages+=("$p") ;; esac
  done < "$extra_file"
fi

# npm fetches real histories and clients at test time. Node's own packages
# (NodeSource's nodejs) carry npm and conflict with Debian's: ask for
# Debian's only where no npm is on PATH.
command -v npm >/dev/null 2>&1 || packages+=(npm)

# One dpkg-query for all of them (each call reads dpkg's whole database).
declare -A installed=()
while read -r name status; do
  [ "$status" = "install ok installed" ] && installed[$name]=1
done < <(dpkg-query -W -f='${Package} ${Status}\n' "${packages[@]}" 2>/dev/null || true)
missing=()
for p in "${packages[@]}"; do
  [ -n "${installed[$p]:-}" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "dbcare: missing Debian packages: ${missing[*]}" >&2
  echo "dbcare: install them with: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi

echo "bootstrap: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
