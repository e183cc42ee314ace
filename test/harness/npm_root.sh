#!/usr/bin/env bash
# Makes, once, the clean root test/script/sqlite_npm_package.sh installs the
# npm package into, and prints its path: Debian 12 made by `debootstrap
# --variant=minbase` (the essential packages and apt, no library of dbcare's
# but those the clients pull in), then, by apt inside it, the clients the
# test loads the module from: python3 (its sqlite3 module, Debian's SQLite)
# and nodejs with node-sqlite3 (the `sqlite3` binding, built against
# Debian's SQLite). node-sqlite3 comes from Debian, not npm: better-sqlite3's
# prebuilt addons are downloaded from GitHub and otherwise compiled by
# node-gyp, which would put a compiler and the Node headers into the root.
# Kept in build/npm-root (about 400 MB; the first run downloads about
# 100 MB and takes a few minutes, later runs reuse it). Root only (chroot).
# Run through test/harness/build_step.sh (one build at a time).
#
#   test/harness/npm_root.sh    (DBC_DEBIAN_MIRROR: the mirror, default deb.debian.org)
set -eu
cd "$(dirname "$0")/../.."
rootfs="$(pwd)/build/npm-root/bookworm"
mirror=${DBC_DEBIAN_MIRROR:-http://deb.debian.org/debian}
clients="python3 nodejs node-sqlite3"
if [ ! -f "$rootfs.done" ] || [ "$(cat "$rootfs.done")" != "$clients" ]; then
  [ "$(id -u)" -eq 0 ] || { echo "npm_root.sh: debootstrap and chroot need root" >&2; exit 1; }
  command -v debootstrap >/dev/null ||
    { echo "npm_root.sh: debootstrap is missing (test/harness/packages.txt)" >&2; exit 1; }
  rm -rf "$rootfs" "$rootfs.done"
  mkdir -p "$rootfs"
  log="$rootfs.log"
  debootstrap --variant=minbase bookworm "$rootfs" "$mirror" > "$log" 2>&1 ||
    { tail -20 "$log" >&2; echo "npm_root.sh: debootstrap failed ($log)" >&2; exit 1; }
  # shellcheck disable=SC2086 # the list is words
  chroot "$rootfs" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
    sh -c "apt-get update -q && apt-get install -y -q --no-install-recommends $clients && apt-get clean" \
    >> "$log" 2>&1 ||
    { tail -20 "$log" >&2; echo "npm_root.sh: apt-get install $clients failed in the root ($log)" >&2; exit 1; }
  echo "$clients" > "$rootfs.done"
fi
echo "$rootfs"
