#!/usr/bin/env bash
# Makes the npm package of the SQLite module: this directory and the
# module built for it (build/npm/dbcare.so, `make npm-module`, part of
# `make` on x86-64: it needs only glibc 2.28) staged in a scratch copy, packed
# with `npm pack` into OUT_DIR. Prints the tarball's path.
#
#   packaging/npm/pack.sh OUT_DIR
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=$(mkdir -p "$1" && cd "$1" && pwd)
lib="$root/build/npm/dbcare.so"
[ -f "$lib" ] || { echo "pack.sh: $lib is not built (make npm-module)" >&2; exit 1; }
version=$(sed -n 's/^ *"version": "\([^"]*\)",$/\1/p' "$root/META.json" | head -1)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
cp "$here/package.json" "$here/index.js" "$here/index.d.ts" "$here/README.md" "$stage/"
grep -q "\"version\": \"$version\"" "$stage/package.json" ||
  { echo "pack.sh: package.json's version is not META.json's $version" >&2; exit 1; }
mkdir "$stage/lib" && cp "$lib" "$stage/lib/dbcare.so"
cp "$root/LICENSE" "$stage/"
(cd "$stage" && npm pack --silent --pack-destination "$out" > /dev/null)
echo "$out/dbcare-$version.tgz"
