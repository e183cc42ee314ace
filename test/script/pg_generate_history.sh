#!/usr/bin/env bash
# dbcare-test-timeout: 900
# dbmigrate_generate over real projects' PostgreSQL histories (issue 52),
# fetched from their registries at test time (lib/histories.sh): state N is
# a fresh database after migrations 1..N; for every consecutive pair, the
# plan generated in a copy of state N toward state N+1's schema, given as
# `pg_dump --schema-only` writes it (its \restrict line, SET lines and
# comments included), is applied at top level and the result compared with
# state N+1 (pg_dump text and fingerprint). Per project it prints the
# pairs that are identical, fair refusals (a drop refused without
# allow_drop, identical with it: one call tells them, see pair), errors,
# different and unparsable plans, and fails unless issue 52's target is
# met: at least 95 % of the pairs reach their state (identical or fair
# refusals: no hand edit), none different, no plan the engine cannot
# parse. A project docs/schema-as-code.md lists as not yet meeting the
# target is held to its measured counts instead (never fewer reaching,
# never more different), and the test says so on every run.
set -eu
db=dbcare_genhist
. "$(dirname "$0")/lib/pg.sh"
. "$(dirname "$0")/lib/histories.sh"

psql_() { "$B/psql" -X -q -At -v ON_ERROR_STOP=1 "$@"; }
dropdb_() { psql_ -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $1" >/dev/null; }
# dropdbs DB...: all of them dropped in one session (a walk makes 50
# and more: a psql, its connection and its backend each, before)
dropdbs() {
  local d drops=()
  for d; do drops+=(-c "DROP DATABASE IF EXISTS $d"); done
  psql_ -d postgres -c "SET client_min_messages = warning" "${drops[@]}" >/dev/null
}
dbs=() # the states not dropped yet, dropped on exit with the work copy
cleanup_dbs() { dropdbs "${dbs[@]}" ${db}_w 2>/dev/null || true; }
trap 'cleanup_dbs; cleanup' EXIT
# dump DB SCHEMAS: the schemas' pg_dump (SCHEMAS: one or more names)
dump() { "$B/pg_dump" -s --no-owner --no-privileges $(only "$2") -d "$1" | grep -v '^\\\(un\)\?restrict '; }
only() { local s; for s in $1; do echo "-n $s"; done; }
fp() { psql_ -d "$1" -c "SELECT dbschema_fingerprint()"; }

# pair PROJECT LABEL FROM K [in-place]: the plan generated in a copy of
# database FROM (in FROM itself with in-place, when it is needed no more)
# toward state K's schema (its pg_dump, $work/desired.K), applied and
# compared with state K (its dump and fingerprint, $work/want.K, fp.K);
# counts its verdict: identical, refused (a drop refused without
# allow_drop, reached with it), error, different; an unparsable plan also
# counts as such.
#
# One generate, with allow_drop, answers for the two calls a refusal and
# its retry would make: the engine reads allow_drop at four places only,
# each refusing a drop without it (dbc_gen_refuse_drop, add_extensions)
# and making that drop's step with it: a hazard "drops table ...",
# "drops column ...", a rebuild's "...; drops column ...", or a DROP
# EXTENSION statement. Up to the first of them both calls run the same
# code on the same database: a plan without such a step is the one {}
# returns, one with it is what {} refuses and its retry returns, and an
# error is the same error (before the refusal, or in the retry after it).
# The scratch build of the desired schema, most of a call's time, is then
# made once a pair.
pair() {
  local project=$1 label=$2 from=$3 k=$4 verdict="" w=${db}_w
  pairs=$((pairs + 1))
  # every copy here is STRATEGY FILE_COPY: the files copied, not each
  # block written to the WAL (WAL_LOG's CPU is twice as much on these
  # databases)
  if [ "${5:-}" = in-place ]; then
    w=$from
  else
    psql_ -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $w" \
      -c "CREATE DATABASE $w TEMPLATE $from STRATEGY FILE_COPY" >/dev/null
  fi
  # the file is read by psql: a long schema is past a shell argument's
  # limit. \gexec runs each step, then (its second column) a SELECT
  # printing "guarded drop" after a step {} refuses; the same session
  # then writes the result's fingerprint
  rm -f "$work/gen.fp"
  if psql_ -d $w -v "desired_file=$work/desired.$k" -v "fp_file=$work/gen.fp" \
    > "$work/gen.out" 2>&1 <<'SQL'
\set desired `cat :'desired_file'`
SELECT statement, CASE WHEN hazard LIKE 'drops table %' OR hazard LIKE 'drops column %'
    OR hazard LIKE '%; drops column %' OR statement LIKE 'DROP EXTENSION %'
  THEN 'SELECT ''guarded drop''' END
FROM dbmigrate_generate(:'desired', '{"allow_drop": true}') ORDER BY step \gexec
\o :fp_file
SELECT dbschema_fingerprint();
SQL
  then
    if cmp -s "$work/gen.fp" "$work/fp.$k" && dump $w "$schema" | cmp -s - "$work/want.$k"; then
      if grep -qx 'guarded drop' "$work/gen.out"; then verdict=refused; else verdict=identical; fi
    else
      verdict=different
      echo "  $project $label: the plan does not reach the state:"
      dump $w "$schema" | diff - "$work/want.$k" | head -8 | sed 's/^/    /'
    fi
  else
    verdict=error
    grep -q 'syntax error' "$work/gen.out" && unparsable=$((unparsable + 1))
    echo "  $project $label: $(grep -m1 ERROR "$work/gen.out")"
  fi
  case $verdict in
  identical) identical=$((identical + 1)) ;; refused) refused=$((refused + 1)) ;;
  different) different=$((different + 1)) ;; *) errors=$((errors + 1)) ;;
  esac
}

# label FILE: its name, with its folder's for a Prisma migration.sql
label() { case $1 in */migration.sql) echo "$(basename "$(dirname "$1")")/migration.sql" ;; *) basename "$1" ;; esac; }

# state DB K: what pair compares with. The desired file is the schema's
# pg_dump, or with GENHIST=raw the whole database's raw `pg_dump
# --schema-only` as a user makes it (extensions with their comments,
# dbcare's own included, owners, rights)
state() {
  if [ "${GENHIST:-}" = raw ]; then
    dump "$1" "$schema" > "$work/want.$2"
    "$B/pg_dump" -s -d "$1" > "$work/desired.$2"
  else
    # the schema's dump is the desired file; what pair compares with is
    # that text without its \restrict lines (one pg_dump, not two)
    "$B/pg_dump" -s --no-owner --no-privileges $(only "$schema") -d "$1" > "$work/desired.$2"
    grep -v '^\\\(un\)\?restrict ' "$work/desired.$2" > "$work/want.$2" || true
  fi
  [ -s "$work/fp.$2" ] || fp "$1" > "$work/fp.$2" # state 0's
}

# judge PROJECT SCHEMA [BELOW FLOOR MAX_DIFFERENT] -- FILE...: state 0 is
# a database with the extension (and PRE_EXT's, which the project has an
# administrator install beforehand) and the (empty) schema, state k is built
# from state k-1 (a template copy) and file k. SCHEMA may be a quoted list
# ("public workflow"): all are dumped and compared, the first is made
# beforehand, the project's files make the others.
# Each pair is walked forward (state k-1 to k) and back (k to k-1, as a
# rollback generates: its drops are fair refusals).
# WALK_PAIRS="K...", where set: only the pairs of files K (1-based) are
# walked, forward and back, a sample of a long history (every state is
# made).
# WHOLE=1, where set: each file is a whole schema of its version, not a
# migration (state k is made from state 0 and file k alone).
# "BELOW FLOOR MAX_DIFFERENT": the project does not meet the target yet
# (docs/schema-as-code.md says so and why): held to its measured counts.
walked() { [ -z "${WALK_PAIRS:-}" ] || case " $WALK_PAIRS " in *" $1 "*) true ;; *) false ;; esac; }
judge() {
  local project=$1 floor="" max_diff=0 k=0 f cur base
  schema=$2
  shift 2
  if [ "$1" = BELOW ]; then floor=$2 max_diff=$3; shift 3; fi
  shift # --
  identical=0 refused=0 errors=0 different=0 unparsable=0 pairs=0
  local states=(${db}_s0)
  rm -f "$work"/fp.* # each state's, written as it is made
  dropdb_ ${db}_s0; psql_ -d postgres -c "CREATE DATABASE ${db}_s0" >/dev/null; dbs+=(${db}_s0)
  psql_ -d ${db}_s0 -c "SET client_min_messages = warning" -c "CREATE EXTENSION dbcare" \
    -c "CREATE SCHEMA IF NOT EXISTS ${schema%% *}" >/dev/null
  for f in ${PRE_EXT:-}; do psql_ -d ${db}_s0 -c "CREATE EXTENSION $f" >/dev/null; done
  state ${db}_s0 0
  for f in "$@"; do
    k=$((k + 1)) cur=${db}_s$k base=$((k - 1))
    [ -z "${WHOLE:-}" ] || base=0
    psql_ -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $cur" \
      -c "CREATE DATABASE $cur TEMPLATE ${states[base]} STRATEGY FILE_COPY" >/dev/null
    dbs+=("$cur")
    # the same session writes the state's fingerprint (state reads it)
    { echo "SET client_min_messages = warning; CREATE SCHEMA IF NOT EXISTS ${schema%% *};"
      sed "s/:GRAPHILE_WORKER_SCHEMA/${schema%% *}/g" "$f"
      printf '\n;\n\\o %s\nSELECT dbschema_fingerprint();\n' "$work/fp.$k"
    } | psql_ -1 -d "$cur" >/dev/null
    states+=("$cur")
    # a state is dumped where a walked pair goes to it (file k's forward
    # pair, file k+1's back pair)
    if walked $k || walked $((k + 1)); then state "$cur" $k; fi
    if walked $k; then pair "$project" "$(label "$f")" "${states[k - 1]}" $k; fi
  done
  # back, each state's own database once no pair copies it any more
  for ((k = $#; k > 0; k--)); do
    if walked $k; then pair "$project" "back from $(label "${!k}")" "${states[k]}" $((k - 1)) in-place; fi
  done
  dropdbs "${states[@]}"
  dbs=()
  local reach=$((identical + refused)) target=$(((pairs * 95 + 99) / 100))
  echo "$project: $pairs pairs: $identical identical, $refused fair refusals, $errors errors, $different different, $unparsable unparsable ($((reach * 100 / pairs)) % reach their state)"
  [ "$unparsable" = 0 ] || { failed=1; echo "FAIL: $project: a plan the engine cannot parse"; }
  if [ -z "$floor" ]; then
    [ "$reach" -ge "$target" ] || { failed=1; echo "FAIL: $project: $reach of $pairs pairs reach their state, below issue 52's 95 % ($target)"; }
    [ "$different" = 0 ] || { failed=1; echo "FAIL: $project: $different pairs differ"; }
    return
  fi
  echo "  $project does NOT YET MEET issue 52's target (95 %, 0 different): held to its measured $floor reaching, $max_diff different (docs/schema-as-code.md)"
  [ "$reach" -ge "$floor" ] || { failed=1; echo "FAIL: $project: fewer than $floor pairs reach their state"; }
  [ "$different" -le "$max_diff" ] || { failed=1; echo "FAIL: $project: more than $max_diff pairs differ"; }
  [ "$reach" -lt "$target" ] || [ "$different" -gt 0 ] ||
    { failed=1; echo "FAIL: $project meets the target now: drop its BELOW counts here and in the docs"; }
}

# GENHIST=prisma-db: the long Prisma history alone, the walk of
# pg_generate_history_prisma.sh (its 102 pairs take 3 minutes: a test of
# its own)
if [ "${GENHIST:-}" = prisma-db ]; then
  prisma=$(history_dir prisma-db)/package/prisma/migrations
  judge prisma-db public -- $(cd "$prisma" && LC_ALL=C ls -d 2*_*/migration.sql | sed "s|^|$prisma/|")
  dropdb_ ${db}_w
  [ -z "${failed:-}" ] || fail "prisma-db is below its documented counts"
  echo ok
  exit 0
fi
# GENHIST=raw: histories walked with the whole database's raw dump as the
# desired file, pg_generate_history_raw.sh
if [ "${GENHIST:-}" = raw ]; then
  umami=$(history_dir umami)/package/db/postgresql/migrations
  # its first migration makes pgcrypto: planned, made first (and dropped
  # last back, with allow_drop)
  judge umami public -- $(cd "$umami" && LC_ALL=C ls -d [0-9]*_*/migration.sql | sed "s|^|$umami/|")
  # Icinga DB ships its current schema only (domains, enums, PL/pgSQL
  # functions, an operator, columns' storage, 61 tables): one pair, a new
  # database where the administrator installed citext beforehand, as its
  # file says
  PRE_EXT=citext judge icingadb public -- "$(history_dir icingadb)/usr/share/icingadb/schema/pgsql/schema.sql"
  # Icinga 2's IDO schema (Debian icinga2-ido-pgsql): its current
  # pgsql.sql only (its upgrade scripts start from versions it does not
  # ship): SQL and PL/pgSQL functions, 61 tables, a row of its version
  judge icinga2-ido public -- "$(history_dir icinga2-ido-pgsql)/usr/share/icinga2-ido-pgsql/schema/pgsql.sql"
  # a drizzle-kit history (issue 66): Vercel's workflow world 4.3.7 (npm),
  # 12 files in its meta/_journal.json's order, its tables in schema
  # "workflow", its enums in public until its last file moves them. Its
  # file 11 adds a partial index written "type IN (...)" on a varchar
  # column, whose text PostgreSQL reads back as another index: made from
  # a text that gives it (generate_index_texts.c), both ways.
  # Sampled: the pairs of its files 1, 2, 5, 6, 8, 11 and 12 (its schema,
  # enum changes, a new table, the partial index, the enums moved), 14 of
  # its 24 pairs; the other five add columns or change nothing
  # ejabberd 23.01 (Debian) ships two whole schemas, pg.sql and its
  # multi-host pg.new.sql (a server_host column in most tables, their keys
  # and indexes made again with it), whose upgrade ejabberd runs itself:
  # each state is a new database with its file alone (WHOLE). Back from
  # pg.new.sql drops the columns its kept indexes name
  ej=$(history_dir ejabberd)/usr/share/ejabberd/sql
  WHOLE=1 judge ejabberd public -- "$ej/pg.sql" "$ej/pg.new.sql"
  WALK_PAIRS="1 2 5 6 8 11 12" judge workflow-world-postgres "public workflow" -- \
    $(drizzle_files "$(history_dir workflow-world-postgres)/package/src/drizzle/migrations")
  dropdb_ ${db}_w
  [ -z "${failed:-}" ] || fail "a project is below issue 52's target or its documented counts"
  echo ok
  exit 0
fi
# GENHIST=kamailio: Kamailio's tables (Debian kamailio-postgres-modules),
# walked as kamdbctl makes a database, pg_generate_history_kamailio.sh
if [ "${GENHIST:-}" = kamailio ]; then
  k=$(history_dir kamailio-postgres-modules)/usr/share/kamailio/postgres
  files=()
  for m in ${KAMAILIO_MODULES:?}; do files+=("$k/$m-create.sql"); done
  judge kamailio public -- "${files[@]}"
  dropdb_ ${db}_w
  [ -z "${failed:-}" ] || fail "kamailio is below issue 52's target"
  echo ok
  exit 0
fi
gw=$(history_dir graphile-worker)
judge graphile-worker graphile_worker -- "$gw"/package/sql/0*.sql
# these ship their current schema only (their upgrade scripts start from
# versions whose schema they do not ship): one pair each, a new database
pdns=$(history_dir pdns-backend-pgsql)/usr/share/pdns-backend-pgsql/schema
judge pdns-backend-pgsql public -- "$pdns/schema.pgsql.sql"
rc=$(history_dir roundcube-core)/usr/share/roundcube/SQL
judge roundcube-core public -- "$rc/postgres.initial.sql"
mw=$(history_dir mediawiki)/usr/share/mediawiki
# MediaWiki: as its installer makes a PostgreSQL database, the core tables,
# then its text search columns, triggers and indexes, then each bundled
# extension's tables
judge mediawiki public -- "$mw/maintenance/postgres/tables-generated.sql" \
  "$mw/maintenance/postgres/tables.sql" \
  "$mw/extensions-core/OATHAuth/sql/postgres/tables-generated.sql" \
  "$mw/extensions-core/Math/sql/postgres/mathoid.sql" \
  "$mw/extensions-core/Math/sql/postgres/mathlatexml.sql" \
  "$mw/extensions-core/AbuseFilter/db_patches/postgres/tables-generated.sql"
# a Prisma history as Prisma keeps it (issue 66): each
# <timestamp>_<name>/migration.sql, in Prisma's folder name order
prisma=$(history_dir local-mcp-database)/package/prisma/migrations
judge local-mcp-database public -- $(cd "$prisma" && LC_ALL=C ls -d 2*_*/migration.sql | sed "s|^|$prisma/|")
dropdb_ ${db}_w
[ -z "${failed:-}" ] || fail "a project is below issue 52's target or its documented counts"
echo ok
