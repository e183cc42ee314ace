#!/usr/bin/env bash
# Installs s3rver, the S3 emulator the object-store tests
# (test/script/sqlite_store_s3.sh, ...) run on loopback, once into
# build/s3rver (later runs reuse it), and prints its executable. A failed
# install exits non-zero with the end of npm's log on stderr. Run through
# test/harness/build_step.sh (one install at a time).
set -eu
cd "$(dirname "$0")/../.."
version=3.7.1
app="$(pwd)/build/s3rver/s3rver-$version"
if [ ! -f "$app/done" ]; then
  rm -rf "$app" && mkdir -p "$app"
  echo '{"name": "dbcare-s3-test", "private": true}' > "$app/package.json"
  (cd "$app" && npm install --silent --no-audit --no-fund "s3rver@$version" \
     > install.log 2>&1) || { tail -20 "$app/install.log" >&2; exit 1; }
  touch "$app/done"
fi
echo "$app/node_modules/.bin/s3rver"
