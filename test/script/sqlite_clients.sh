#!/usr/bin/env bash
# Real clients run the start-up journey (test/clients/journey.*): Python's
# sqlite3 (Debian's python3) and Node's better-sqlite3, whose SQLite is built
# with SQLITE_OMIT_PROGRESS_CALLBACK (the health report and the backup killed
# the process before the module looked its routines up). Node loads the
# module twice: by path, and through the npm package (packaging/npm, packed
# with pack.sh, installed from its tarball into a throwaway app, loaded
# through getLoadablePath(): the npm build of the module, build/npm/dbcare.so;
# sqlite_npm_package.sh loads it in a clean root).
#
# better-sqlite3 is installed at test time into build/sqlite-clients by
# test/harness/sqlite_clients_install.sh (its native addon compiled by
# node-gyp when no prebuilt one downloads; the first run takes minutes, later
# runs reuse it; run_tests.sh may have installed it ahead). A failed install
# fails.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)

mkdir -p "$work/py"
"$py" "$root/test/clients/journey.py" "$module" "$work/py" || fail "the Python journey failed"

NODE_PATH=$("$root/test/harness/build_step.sh" sqlite-clients "$root/test/harness/sqlite_clients_install.sh") ||
  fail "npm install better-sqlite3 failed"
export NODE_PATH
mkdir -p "$work/node"
node "$root/test/clients/journey.js" "$module" "$work/node" || fail "the Node journey failed"

# The npm package, from its tarball, in an app of its own.
tarball=$("$root/packaging/npm/pack.sh" "$work/pack") || fail "pack.sh failed"
tar -tzf "$tarball" | grep -qx 'package/lib/dbcare.so' || fail "the package holds no lib/dbcare.so"
mkdir -p "$work/app" "$work/pkg"
echo '{"name": "dbcare-package-test", "private": true}' > "$work/app/package.json"
(cd "$work/app" && npm install --silent --no-audit --no-fund --offline "$tarball" > install.log 2>&1) ||
  { cat "$work/app/install.log"; fail "the package does not install from its tarball"; }
loadable=$(cd "$work/app" && node -e "process.stdout.write(require('dbcare').getLoadablePath())")
[ "$loadable" = "$work/app/node_modules/dbcare/lib/dbcare.so" ] ||
  fail "getLoadablePath() gave $loadable"
cmp -s "$loadable" "$root/build/npm/dbcare.so" || fail "the package's library is not the npm module (make npm-module)"
cp "$root/test/clients/journey.js" "$work/app/"
(cd "$work/app" && NODE_PATH="$work/app/node_modules:$NODE_PATH" node journey.js package "$work/pkg") ||
  fail "the Node journey through the npm package failed"
echo "ok"
