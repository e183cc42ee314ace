#!/usr/bin/env bash
# dbmigrate_generate over Kamailio's SQLite schema (Debian's
# kamailio-sqlite-modules, fetched at test time by lib/histories.sh, never
# committed), walked as kamdbctl makes a database: its standard modules'
# tables in its order, then presence's, then the extra modules', one file
# each (46 files, each making its tables and writing its rows of the
# `version` table). Every consecutive pair, forward and back (the back
# pairs drop tables: fair refusals), is generated, applied and compared
# with the state (lib/sqlite_history.py), and the test fails below issue
# 52's target: 95 % of the pairs reach their state, none differs.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/histories.sh"
k=$(history_dir kamailio-sqlite-modules)/usr/share/kamailio/db_sqlite
# kamdbctl.base's STANDARD_MODULES, PRESENCE_MODULES and EXTRA_MODULES
order="standard acc lcr domain group permissions registrar usrloc msilo alias_db uri_db speeddial
avpops auth_db pdt dialog dispatcher dialplan topos presence rls imc cpl siptrace domainpolicy
carrierroute drouting userblocklist htable purple uac pipelimit mtree sca mohqueue rtpproxy
rtpengine secfilter"
files=""
for m in $order; do
  [ -f "$k/$m-create.sql" ] || fail "kamailio-sqlite-modules has no $m-create.sql"
  files="$files${files:+, }\"$k/$m-create.sql\""
done
# the modules kamdbctl does not make (uid_*, ...) after its own, by name
for f in "$k"/*-create.sql; do
  m=$(basename "$f" -create.sql)
  case " $(echo $order) " in *" $m "*) ;; *) files="$files, \"$f\"" ;; esac
done
"$py" "$(dirname "$0")/lib/sqlite_history.py" "$module" "$work" "[[\"kamailio\", [$files]]]"
echo ok
