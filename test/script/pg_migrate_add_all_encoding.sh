#!/usr/bin/env bash
# dbmigrate_add_all in a database whose encoding is not UTF-8: the list's
# text is in the server's encoding, while a \u escape names a character by
# its code point. The same character, escaped or written as it is, through
# the text or the jsonb signature, registers the same bytes; a character
# the encoding lacks is an error, and nothing is registered.
set -eu
db=dbc_add_all_enc
. "$(dirname "$0")/lib/pg.sh"
"$B/psql" -X -q -d postgres -c "CREATE DATABASE $db ENCODING 'LATIN1' TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C'"
q -c "SET client_min_messages = warning" -c "CREATE EXTENSION dbcare"
# psql sends UTF-8; the server converts the literal's é to LATIN1
export PGCLIENTENCODING=UTF8
q -c "SELECT dbmigrate_add_all('[{\"version\":\"1\",\"name\":\"caf\\u00e9\",\"up\":\"SELECT 1;\"}]'::text)" >/dev/null
q -c "SELECT dbmigrate_add_all('[{\"version\":\"2\",\"name\":\"caf\\u00e9\",\"up\":\"SELECT 1;\"}]'::jsonb)" >/dev/null
q -c "SELECT dbmigrate_add_all('[{\"version\":\"3\",\"name\":\"café\",\"up\":\"SELECT 1;\"}]'::text)" >/dev/null
got=$(q -c "SELECT string_agg(version || '=' || encode(convert_to(name, 'LATIN1'), 'hex'), ' ' ORDER BY version) FROM dbmigrate_status()")
want="1=636166e9 2=636166e9 3=636166e9"
[ "$got" = "$want" ] || fail "names as LATIN1 bytes: $got (want $want)"
# Ā (U+0100) has no LATIN1 form: refused, nothing registered
if out=$(q -c "SELECT dbmigrate_add_all('[{\"version\":\"4\",\"name\":\"x\",\"up\":\"SELECT 1;\"},{\"version\":\"5\",\"name\":\"x\\u0100y\",\"up\":\"SELECT 1;\"}]'::text)" 2>&1); then
  fail "a character LATIN1 lacks was registered: $out"
fi
case $out in *"no equivalent in encoding"*) ;; *) fail "unexpected error: $out" ;; esac
n=$(q -c "SELECT count(*) FROM dbmigrate_status() WHERE version IN ('4', '5')")
[ "$n" = 0 ] || fail "$n migrations of a refused list registered"
echo "ok: pg_migrate_add_all_encoding"
