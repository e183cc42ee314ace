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
  # Application Insights (azurite's telemetry: two thirds of the files an
  # install writes, @opentelemetry's 200 MB among them, and about 60 % of its
  # CPU) is never used with the telemetry off: lib/azurite.js puts a
  # stand-in that throws on any use in its place. An empty package of the
  # same name is installed instead (npm's overrides), its dependencies not
  # at all.
  mkdir "$app/no-insights"
  echo '{"name": "applicationinsights", "version": "0.0.0", "main": "index.js"}' > "$app/no-insights/package.json"
  echo 'module.exports = {};' > "$app/no-insights/index.js"
  echo '{"name": "dbcare-azure-test", "private": true,
  "overrides": {"applicationinsights": "file:./no-insights"}}' > "$app/package.json"
  (cd "$app" && npm install --silent --no-audit --no-fund "azurite@$version" \
     > install.log 2>&1) || { tail -20 "$app/install.log" >&2; exit 1; }
  touch "$app/done"
fi
echo "$app/node_modules"
