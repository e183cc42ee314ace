#!/usr/bin/env bash
# Installs the peer tools the benchmarks compare dbcare with: dbmate (npm
# package, which ships its binary, into build/bench/node_modules), migra's
# TypeScript port @pgkit/migra (npm, the same place), Sqitch and
# postgres_exporter (Debian packages). Nothing installed here is committed or used by `make test`.
set -u
cd "$(dirname "$0")/../.."
bench_dir=build/bench
mkdir -p "$bench_dir"

if [ ! -x "$bench_dir/node_modules/.bin/dbmate" ]; then
  if command -v npm >/dev/null 2>&1; then
    echo "setup: installing dbmate with npm into $bench_dir" >&2
    npm install --silent --no-audit --no-fund --prefix "$bench_dir" dbmate >/dev/null 2>&1 ||
      echo "setup: dbmate could not be installed; its rows are skipped" >&2
  else
    echo "setup: npm not found; dbmate rows are skipped" >&2
  fi
fi

# migra's TypeScript port, the anchor of the generate bench (a schema diff
# of two PostgreSQL databases), pure JavaScript from npm like dbmate
if [ ! -x "$bench_dir/node_modules/.bin/migra" ] && command -v npm >/dev/null 2>&1; then
  echo "setup: installing @pgkit/migra with npm into $bench_dir" >&2
  npm install --silent --no-audit --no-fund --prefix "$bench_dir" @pgkit/migra >/dev/null 2>&1 ||
    echo "setup: @pgkit/migra could not be installed; its row is skipped" >&2
fi

sqitch_pkgs=(sqitch libdbd-sqlite3-perl libdbd-pg-perl)
missing=()
for p in "${sqitch_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "setup: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >/dev/null 2>&1 ||
      echo "setup: Sqitch could not be installed; its rows are skipped" >&2
  else
    echo "setup: Sqitch needs: sudo apt-get install ${missing[*]}; its rows are skipped" >&2
  fi
fi
# postgres_exporter, the anchor of dbcare serve's figures (serve_exporter.sh)
if ! command -v prometheus-postgres-exporter >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "setup: installing prometheus-postgres-exporter" >&2
    export DEBIAN_FRONTEND=noninteractive
    { apt-get update -qq && apt-get install -y -qq --no-install-recommends prometheus-postgres-exporter; } >/dev/null 2>&1 ||
      echo "setup: prometheus-postgres-exporter could not be installed; its rows are skipped" >&2
  else
    echo "setup: postgres_exporter needs: sudo apt-get install prometheus-postgres-exporter; its rows are skipped" >&2
  fi
fi
exit 0
