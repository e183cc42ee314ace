#!/usr/bin/env bash
# Installs azurite, Microsoft's Azure Storage emulator the Azure object
# store tests (test/script/sqlite_backup_azure.sh, ...) run on loopback,
# once into build/azurite (later runs reuse it), and prints the folder of
# its node_modules. A failed install exits non-zero with the end of npm's
# log on stderr. Run through test/harness/build_step.sh (one install at a
# time).
set -eu
cd "$(dirname "$0")/../.."
version=3.37.0
app="$(pwd)/build/azurite/azurite-$version"
if [ ! -f "$app/done" ]; then
  rm -rf "$app" && mkdir -p "$app"
  echo '{"name": "dbcare-azure-test", "private": true}' > "$app/package.json"
  (cd "$app" && npm install --silent --no-audit --no-fund "azurite@$version" \
     > install.log 2>&1) || { tail -20 "$app/install.log" >&2; exit 1; }
  touch "$app/done"
fi
echo "$app/node_modules"
