#!/usr/bin/env bash
# A database whose last migration was recorded by 0.3.8 reports no drift
# after the update, though its tables' and views' boolean options were
# spelled on/off. PostgreSQL keeps each reloption as written
# ("autovacuum_enabled=off"); 0.3.8 recorded the schema snapshot with that
# text and its fingerprint (the SHA-256 of the snapshot); today's model has
# a boolean option by meaning ("autovacuum_enabled=false"), so the recorded
# fingerprint differs and the recorded snapshot must be read by the same
# rule. The 0.3.8 record is made here from the catalog: the migration is
# applied, then its stored snapshot gets each option as pg_class.reloptions
# holds it (what 0.3.8's reader, string_agg of the raw reloptions, wrote)
# and the fingerprint of that text. A database spelled true/false and one
# with no options keep their 0.3.8 fingerprint byte for byte. Real changes
# are still drift, and their details name no option that only changed
# spelling.
set -eu
db=dbcare_drift_options
. "$(dirname "$0")/lib/pg.sh"
fresh_db

drift() { q -c "SELECT problem || ': ' || detail FROM dbmigrate_validate() WHERE problem = 'drift'"; }
health_drift() {
  q -c "SELECT status || '|' || message FROM dbhealth_checks('standard') WHERE name = 'schema_drift'"
}
# the recorded snapshot as 0.3.8 wrote it: each table's and view's options
# as the catalog keeps them, the fingerprint the SHA-256 of that text
record_as_038() {
  q <<'SQL'
UPDATE dbcare.migrations_history h SET snapshot = s.old
  FROM (SELECT id, replace(replace(snapshot, 'autovacuum_enabled=false', 'autovacuum_enabled=off'),
                           'security_invoker=true', 'security_invoker=on') AS old
          FROM dbcare.migrations_history WHERE id = (SELECT max(id) FROM dbcare.migrations_history)) s
 WHERE h.id = s.id;
UPDATE dbcare.migrations_history SET fingerprint = encode(sha256(convert_to(snapshot, 'UTF8')), 'hex')
 WHERE id = (SELECT max(id) FROM dbcare.migrations_history);
SQL
}
recorded() { q -c "SELECT fingerprint FROM dbcare.migrations_history ORDER BY id DESC LIMIT 1"; }
snapshot() { q -c "SELECT snapshot FROM dbcare.migrations_history ORDER BY id DESC LIMIT 1"; }

# -- no options at all, and options spelled true/false: the fingerprint is
# the SHA-256 of the recorded text (as 0.3.8 computed it), and the model
# writes those schemas exactly as 0.3.8 did
q -c "SELECT dbmigrate_add('1', 'plain', 'CREATE TABLE plain (id int PRIMARY KEY)')" >/dev/null
q -c "SELECT dbmigrate_apply()" >/dev/null
[ "$(recorded)" = "$(q -c "SELECT encode(sha256(convert_to(snapshot, 'UTF8')), 'hex')
  FROM dbcare.migrations_history ORDER BY id DESC LIMIT 1")" ] ||
  fail "the recorded fingerprint is not the SHA-256 of the recorded snapshot"
snapshot | grep -q '"options"' && fail "a schema without options records options: $(snapshot)"
[ "$(q -c "SELECT dbschema_fingerprint()")" = "$(recorded)" ] || fail "no options: the fingerprint moved"
q -c "SELECT dbmigrate_add('2', 'spelled true', 'CREATE TABLE t2 (id int) WITH (autovacuum_enabled = false);
  CREATE VIEW v2 WITH (security_invoker = true) AS SELECT * FROM t2')" >/dev/null
q -c "SELECT dbmigrate_apply()" >/dev/null
snapshot | grep -q '"options":"with (autovacuum_enabled=false)"' || fail "t2's options: $(snapshot)"
snapshot | grep -q ' WITH (security_invoker=true)"' || fail "v2's options: $(snapshot)"
# 0.3.8 wrote the catalog's text, which is today's
[ "$(q -c "SELECT 'with (' || string_agg(o, ', ' ORDER BY o) || ')' FROM pg_class, unnest(reloptions) o
  WHERE oid = 't2'::regclass")" = "with (autovacuum_enabled=false)" ] || fail "t2's reloptions"
[ "$(q -c "SELECT dbschema_fingerprint()")" = "$(recorded)" ] || fail "options spelled true/false: the fingerprint moved"
[ -z "$(drift)" ] || fail "options spelled true/false report drift: $(drift)"

# -- options spelled on/off, recorded by 0.3.8
# (t2 and v2 go, so that the only options below are those spelled on/off)
q -c "SELECT dbmigrate_add('3', 'spelled on', 'DROP VIEW v2; DROP TABLE t2;
  CREATE TABLE t (id int) WITH (fillfactor = 70, autovacuum_enabled = off);
  CREATE VIEW v WITH (security_invoker = on) AS SELECT * FROM t;
  CREATE MATERIALIZED VIEW mv WITH (autovacuum_enabled = off) AS SELECT * FROM t')" >/dev/null
q -c "SELECT dbmigrate_apply()" >/dev/null
# the catalog keeps them as written: what 0.3.8's reader wrote
[ "$(q -c "SELECT 'with (' || string_agg(o, ', ' ORDER BY o) || ')' FROM pg_class, unnest(reloptions) o
  WHERE oid = 't'::regclass")" = "with (autovacuum_enabled=off, fillfactor=70)" ] || fail "t's reloptions"
[ "$(q -c "SELECT reloptions::text FROM pg_class WHERE oid = 'v'::regclass")" = "{security_invoker=on}" ] ||
  fail "v's reloptions"
record_as_038
snapshot | grep -q '"options":"with (autovacuum_enabled=off, fillfactor=70)"' || fail "the 0.3.8 record of t: $(snapshot)"
snapshot | grep -q ' WITH (security_invoker=on)"' || fail "the 0.3.8 record of v: $(snapshot)"
snapshot | grep -q ' WITH (autovacuum_enabled=off)"' || fail "the 0.3.8 record of mv: $(snapshot)"
[ "$(q -c "SELECT dbschema_fingerprint()")" != "$(recorded)" ] || fail "the simulated 0.3.8 record is today's"
[ -z "$(drift)" ] || fail "options spelled on/off recorded by 0.3.8 report drift: $(drift)"
case "$(health_drift)" in ok\|*) ;; *) fail "health's schema_drift: $(health_drift)" ;; esac
# and dbschema_diff of a snapshot kept from 0.3.8 with today's
old_diff="SELECT object_name || ' ' || coalesce(detail, '') FROM dbschema_diff(
  (SELECT snapshot::jsonb FROM dbcare.migrations_history ORDER BY id DESC LIMIT 1), dbschema_snapshot())"
[ -z "$(q -c "$old_diff")" ] || fail "dbschema_diff of the 0.3.8 snapshot: $(q -c "$old_diff")"
q -c "SELECT dbmigrate_assert('3')" >/dev/null

# -- a spelling that changed since (no to off) is no change either; a real
# change is drift, its details without the options that only changed
# spelling
q -c "ALTER TABLE t SET (autovacuum_enabled = no)" >/dev/null
[ -z "$(drift)" ] || fail "autovacuum_enabled off -> no reports drift: $(drift)"
q -c "ALTER TABLE t SET (fillfactor = 80)" >/dev/null
got=$(drift)
[ "$got" = 'drift: table public.t changed: options: "with (autovacuum_enabled=false, fillfactor=70)" -> "with (autovacuum_enabled=false, fillfactor=80)"' ] ||
  fail "a real change of options: $got"
case "$(health_drift)" in warning\|*) ;; *) fail "health misses the drift: $(health_drift)" ;; esac
q -c "ALTER VIEW v SET (security_invoker = off)" -c "ALTER TABLE t SET (fillfactor = 70)" >/dev/null
got=$(drift)
case "$got" in *"view public.v changed: definition:"*"WITH (security_invoker=true)"*"WITH (security_invoker=false)"*) ;;
  *) fail "security_invoker turned off: $got" ;; esac
echo "ok"
