#!/usr/bin/env bash
# Installs better-sqlite3, the Node client test/script/sqlite_clients.sh
# (and sqlite_migrate_fk_clients.sh) runs, once into build/sqlite-clients (its native addon compiled by
# node-gyp when no prebuilt one downloads: the first run takes minutes,
# later runs reuse it), and prints its node_modules directory. A failed
# install exits non-zero with the end of npm's log on stderr. Run through
# test/harness/build_step.sh (one install at a time), by the test and by
# run_tests.sh, which installs it ahead while the first suites run.
set -eu
cd "$(dirname "$0")/../.."
# The newest release whose engines include Node 20 (13.x needs Node 22).
bsq_version=12.11.1
app="$(pwd)/build/sqlite-clients/better-sqlite3-$bsq_version"
if [ ! -f "$app/done" ]; then
  rm -rf "$app" && mkdir -p "$app"
  echo '{"name": "dbcare-client-test", "private": true}' > "$app/package.json"
  # Its addon is compiled with -O0, as the SQLite matrix compiles its
  # builds: the tests run a few statements through it, and node-gyp's -O3
  # (which CFLAGS and CXXFLAGS, given after it, override) spends about 90
  # CPU seconds on SQLite's amalgamation, -O0 about 10.
  (cd "$app" && CFLAGS=-O0 CXXFLAGS=-O0 npm install --silent --no-audit --no-fund \
     "better-sqlite3@$bsq_version" > install.log 2>&1) || { tail -20 "$app/install.log" >&2; exit 1; }
  touch "$app/done"
fi
echo "$app/node_modules"
