# histories.sh — real projects' migration histories, fetched at test time
# from the package registries (never committed) and cached under build/
# (sourced, not run). history_dir NAME prints the folder that holds NAME's
# unpacked package, fetching it on first use; it fails (and the test with
# it) when the registry cannot be reached: a history that cannot be read
# is no pass.
history_cache=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)/build/histories
history_dir() { # NAME: graphile-worker, local-mcp-database, prisma-db, umami,
  # fiberplane-studio, workflow-world-postgres or a Debian package name
  local name=$1 dir="$history_cache/$1" tmp
  if [ ! -e "$dir/.done" ]; then
    mkdir -p "$history_cache"
    tmp=$(mktemp -d "$history_cache/.fetch.XXXXXX")
    case $name in
    graphile-worker)
      # pinned: its sql/ folder is the whole PostgreSQL history, 000001.sql...
      (cd "$tmp" && npm pack --silent graphile-worker@0.17.3 >/dev/null 2>&1 &&
        mkdir x && tar -xzf graphile-worker-*.tgz -C x) ;;
    local-mcp-database)
      # pinned: a Prisma history as Prisma keeps it (PostgreSQL),
      # package/prisma/migrations/<timestamp>_<name>/migration.sql
      (cd "$tmp" && npm pack --silent @dxheroes/local-mcp-database@0.7.2 >/dev/null 2>&1 &&
        mkdir x && tar -xzf dxheroes-local-mcp-database-*.tgz -C x) ;;
    prisma-db)
      # pinned: a longer Prisma history (PostgreSQL, 51 migrations)
      (cd "$tmp" && npm pack --silent @danielcok17/prisma-db@1.20.36 >/dev/null 2>&1 &&
        mkdir x && tar -xzf danielcok17-prisma-db-*.tgz -C x) ;;
    umami)
      # pinned: Umami's PostgreSQL history as Prisma keeps it,
      # package/db/postgresql/migrations/<nn>_<name>/migration.sql
      (cd "$tmp" && npm pack --silent umami@2.10.0 >/dev/null 2>&1 &&
        mkdir x && tar -xzf umami-*.tgz -C x) ;;
    fiberplane-studio)
      # pinned: a drizzle-kit SQLite history, package/drizzle/<nnnn>_<name>.sql
      # in its meta/_journal.json's order
      (cd "$tmp" && npm pack --silent @fiberplane/studio@0.14.0 >/dev/null 2>&1 &&
        mkdir x && tar -xzf fiberplane-studio-*.tgz -C x) ;;
    workflow-world-postgres)
      # pinned: a drizzle-kit PostgreSQL history,
      # package/src/drizzle/migrations/<nnnn>_<name>.sql in its journal's order
      (cd "$tmp" && npm pack --silent @workflow/world-postgres@4.3.7 >/dev/null 2>&1 &&
        mkdir x && tar -xzf workflow-world-postgres-*.tgz -C x) ;;
    *)
      # the archive's candidate; unpacked, never installed
      (cd "$tmp" && apt-get download "$name" >/dev/null 2>&1 &&
        dpkg-deb -x "$name"_*.deb x) ;;
    esac || { rm -rf "$tmp"; echo "cannot fetch $name from its registry" >&2; return 1; }
    # only the SQL (and drizzle's journal, its order) is kept (mediawiki
    # unpacks to 300 MB)
    find "$tmp/x" -type f ! -name '*.sql' ! -name _journal.json -delete
    rm -rf "$dir"
    mv "$tmp/x" "$dir" && rm -rf "$tmp" && touch "$dir/.done"
  fi
  echo "$dir"
}
# drizzle_files DIR: a drizzle-kit history's files, DIR/<tag>.sql, in the
# order its DIR/meta/_journal.json lists them (the order drizzle applies
# them; each file's "--> statement-breakpoint" lines are SQL comments)
drizzle_files() {
  local tag
  for tag in $(sed -n 's/^.*"tag": *"\([^"]*\)".*$/\1/p' "$1/meta/_journal.json"); do
    [ -f "$1/$tag.sql" ] || { echo "drizzle history $1 has no $tag.sql" >&2; return 1; }
    echo "$1/$tag.sql"
  done
}
