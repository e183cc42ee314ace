#!/usr/bin/env bash
# dbmigrate_generate on PostgreSQL against failure kinds real histories
# showed (issue 52): each plan generated (its proof runs the down back to
# the live schema, then the up) and applied reaches the desired schema.
set -eu
db=dbcare_generate_kinds
. "$(dirname "$0")/lib/pg.sh"
. "$(dirname "$0")/lib/pg_generate.sh"
# case_ NAME LIVE DESIRED: the plan from LIVE to DESIRED (drops allowed),
# applied, compared with DESIRED's fingerprint
case_() { generate_case "$@"; }
# kind 8: a dropped table with an identity column: its down made it with
# "DEFAULT generated always as identity", which does not parse
case_ identity_dropped \
  "CREATE TABLE tasks (id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text); CREATE TABLE keep (id int);" \
  "CREATE TABLE keep (id int);"
# kind 4: a table renamed without a mark is a drop and a create; the new
# table has the old one's constraint names (pg_dump keeps tasks_pkey), so
# the old goes first and the down drops the new before making it again
case_ unmarked_rename \
  "CREATE TABLE tasks (id int, name text NOT NULL); ALTER TABLE tasks ADD CONSTRAINT tasks_pkey PRIMARY KEY (id); CREATE INDEX tasks_name ON tasks (name);" \
  "CREATE TABLE _private_tasks (id int, name text NOT NULL); ALTER TABLE _private_tasks ADD CONSTRAINT tasks_pkey PRIMARY KEY (id); CREATE INDEX tasks_name ON _private_tasks (name);"
# kind 2: objects made and dropped in the order of what they need (the
# engine's dependencies): a new schema before its objects (and dropped
# after them in the down), a type before the function taking it
case_ new_schema_first \
  "CREATE TABLE keep (id int);" \
  "CREATE TABLE keep (id int); CREATE SCHEMA app; CREATE SEQUENCE app.ids; CREATE FUNCTION app.next_id() RETURNS bigint LANGUAGE sql AS 'SELECT 1::bigint'; CREATE TABLE app.items (id bigint DEFAULT nextval('app.ids'));"
case_ type_before_function \
  "CREATE TABLE keep (id int);" \
  "CREATE TABLE keep (id int); CREATE TYPE zz_state AS ENUM ('new', 'done'); CREATE FUNCTION aa_is_done(s zz_state) RETURNS boolean LANGUAGE sql AS \$\$SELECT s = 'done'\$\$;"
# kind 2: a composite type that changes is dropped and made again, and so
# is an unchanged function whose arguments use it (graphile-worker's
# job_spec and add_jobs): "cannot drop type ... other objects depend on it"
case_ type_remade_with_its_function \
  "CREATE TYPE job_spec AS (name text, priority int); CREATE FUNCTION add_jobs(specs job_spec[]) RETURNS int LANGUAGE sql AS 'SELECT 1';" \
  "CREATE TYPE job_spec AS (name text, priority smallint); CREATE FUNCTION add_jobs(specs job_spec[]) RETURNS int LANGUAGE sql AS 'SELECT 1';"
# a changed trigger function goes after the trigger firing it, which comes
# back after it
case_ trigger_function_changed \
  "CREATE TABLE t (id int, at timestamptz); CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS \$\$BEGIN new.at = now(); RETURN new; END\$\$; CREATE TRIGGER t_touch BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION touch();" \
  "CREATE TABLE t (id int, at timestamptz); CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS \$\$BEGIN new.at = clock_timestamp(); RETURN new; END\$\$; CREATE TRIGGER t_touch BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION touch();"
# row level security, which pg_dump writes as ALTER TABLE after the table:
# on a new table, and turned on and forced on a kept one
case_ row_level_security \
  "CREATE TABLE kept (id int);" \
  "CREATE TABLE kept (id int); ALTER TABLE kept ENABLE ROW LEVEL SECURITY; ALTER TABLE kept FORCE ROW LEVEL SECURITY; CREATE TABLE queues (id int); ALTER TABLE queues ENABLE ROW LEVEL SECURITY;"
# a new LANGUAGE sql function reading a column the plan adds comes after
# the column (its body is checked when it is made): graphile-worker's
# remove_job and jobs.key
case_ sql_function_after_new_column \
  "CREATE TABLE jobs (id int);" \
  "CREATE TABLE jobs (id int, key text); CREATE FUNCTION remove_job(job_key text) RETURNS SETOF jobs LANGUAGE sql AS \$\$DELETE FROM jobs WHERE key = job_key RETURNING *\$\$;"
# identity columns (graphile-worker 000011, 000016): a serial column
# becoming an identity (its sequence goes with its default; the down
# makes both again), an identity added the way pg_dump writes it (ALTER
# TABLE ... ADD GENERATED after the table), and a dropped table whose
# identity sequence has a name of its own, which its down keeps
case_ serial_to_identity \
  "CREATE TABLE jobs (id bigserial PRIMARY KEY, name text);" \
  "CREATE TABLE jobs (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text);"
case_ identity_added_as_pg_dump_writes_it \
  "CREATE TABLE queues (name text);" \
  "CREATE TABLE queues (name text, id integer NOT NULL); ALTER TABLE queues ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (SEQUENCE NAME queue_ids);"
case_ identity_sequence_named \
  "CREATE TABLE jobs (id int GENERATED ALWAYS AS IDENTITY (SEQUENCE NAME job_ids) PRIMARY KEY, name text); CREATE TABLE keep (id int);" \
  "CREATE TABLE keep (id int);"
# kind 3: an enum that gains a label under generated columns: the down
# makes the type again and converts its columns, which the engine refuses
# for a generated column ("cannot specify USING when altering type of
# generated column") and for a column one reads; those are dropped around
# the change and added back (after the table's other columns)
case_ enum_under_generated_columns \
  "CREATE TYPE job_state AS ENUM ('new', 'done'); CREATE TABLE jobs (id int, state job_state, finished boolean GENERATED ALWAYS AS (state = 'done') STORED, last_state job_state GENERATED ALWAYS AS (state) STORED);" \
  "CREATE TYPE job_state AS ENUM ('new', 'running', 'done'); CREATE TABLE jobs (id int, state job_state, finished boolean GENERATED ALWAYS AS (state = 'done') STORED, last_state job_state GENERATED ALWAYS AS (state) STORED);"
# kind 6: extensions installed in public (ltree, pg_trgm): the desired
# schema uses their types, functions and operator classes, which are
# shared with the scratch place, not mapped into it
case_ extension_in_public \
  "CREATE EXTENSION ltree; CREATE EXTENSION pg_trgm; CREATE TABLE pages (id int, title text);" \
  "CREATE EXTENSION ltree; CREATE EXTENSION pg_trgm; CREATE TABLE pages (id int, title text, path public.ltree); CREATE INDEX pages_path ON pages USING gist (path gist_ltree_ops); CREATE INDEX pages_title_trgm ON public.pages USING gin (title public.gin_trgm_ops); CREATE INDEX pages_title_sim ON pages (public.similarity(title, 'x'));"
# an index on a column the plan drops goes before the column (the engine
# drops it with the column; the down makes it once the column is back):
# MediaWiki's text search column walked back
case_ index_on_dropped_column \
  "CREATE TABLE docs (id int, body text, vec tsvector); CREATE INDEX docs_vec ON docs USING gin (vec);" \
  "CREATE TABLE docs (id int, body text);"
# graphile-worker walked back (its 000002 and 000011): each down failed
# its proof. A LANGUAGE sql function the plan drops, reading a column the
# plan drops: its down made the function before the column was back
case_ gone_function_reading_gone_column \
  "CREATE TABLE jobs (id int, key text); CREATE FUNCTION remove_job(k text) RETURNS SETOF jobs LANGUAGE sql AS \$\$DELETE FROM jobs WHERE key = k RETURNING *\$\$;" \
  "CREATE TABLE jobs (id int);"
# a generated column the plan drops reads a column whose type changes:
# "cannot alter type of a column used by a generated column"
case_ type_change_under_gone_generated_column \
  "CREATE TABLE jobs (id int, attempts smallint, max_attempts smallint, is_available boolean GENERATED ALWAYS AS (attempts < max_attempts) STORED);" \
  "CREATE TABLE jobs (id int, attempts int, max_attempts int);"
# an identity becoming a serial again, its sequence made by the file as
# pg_dump writes it: the sequence was made twice
case_ identity_back_to_serial_as_pg_dump_writes_it \
  "CREATE TABLE jobs (id bigint GENERATED ALWAYS AS IDENTITY (SEQUENCE NAME jobs_id_seq1), name text);" \
  "CREATE TABLE jobs (id bigint NOT NULL, name text); CREATE SEQUENCE jobs_id_seq START WITH 1 INCREMENT BY 1 NO MINVALUE NO MAXVALUE CACHE 1; ALTER SEQUENCE jobs_id_seq OWNED BY jobs.id; ALTER TABLE ONLY jobs ALTER COLUMN id SET DEFAULT nextval('jobs_id_seq'::regclass);"
# issue 66: a partial index whose predicate PostgreSQL writes as a text
# that parses back to another (v IN ('a','b') on a varchar column), and
# the desired file the database's own dump: the index is the same, the
# plan empty (its down failed to return to the live text)
generate_fresh_db
q -c "CREATE TABLE t (v varchar); CREATE INDEX i ON t (v) WHERE v IN ('a', 'b');" >/dev/null
dumped="CREATE TABLE public.t (v character varying); $(q -c "SELECT pg_get_indexdef('i'::regclass)");"
steps=$(q -v "desired=$dumped" 2>&1 <<'SQL'
SELECT count(*) FROM dbmigrate_generate(:'desired', '{}');
SQL
) || fail "index_predicate_round_trip: $steps"
[ "$steps" = 0 ] || fail "index_predicate_round_trip: $steps steps for the same index"
# issue 66, the workflow world's partial index walked both ways: a text
# PostgreSQL reads back as another index (above) is made from one that
# gives it (the array's own cast kept, ARRAY[...]::character
# varying[]). Dropped, its down made it from its text, another index
# (the proof failed); added by a dump, the up made the dump's text,
# another index than the dumped one; added as a user writes it, the up
# made the text the engine gives it, another index (the proof failed)
partial="CREATE TABLE t (v varchar); CREATE INDEX i ON t (v) WHERE v IN ('a', 'b');"
case_ index_predicate_dropped "$partial" "CREATE TABLE t (v varchar);"
case_ index_predicate_added_by_dump "CREATE TABLE t (v varchar);" "$dumped" "$partial"
case_ index_predicate_added_as_written "CREATE TABLE t (v varchar);" "$partial"
# issue 66: a CHECK with the same IN (...) on a varchar column, whose
# text PostgreSQL parses back as another check as it does the index's:
# the same check in the database's own dump plans nothing (it dropped and
# made it again, the down failing its proof); dropped, added as a user
# writes it, or changed, the down or the up made another check (the proof
# failed); added by a dump, the up made the dump's text, another check
# than the dumped one (the result differed)
check="CREATE TABLE t (v varchar, CONSTRAINT c CHECK (v IN ('a', 'b')));"
generate_fresh_db
q -c "$check" >/dev/null
checkdef=$(q -c "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'c'")
dumped_check="CREATE TABLE public.t (v character varying, CONSTRAINT c $checkdef);"
steps=$(q -v "desired=$dumped_check" 2>&1 <<'SQL'
SELECT count(*) FROM dbmigrate_generate(:'desired', '{}');
SQL
) || fail "check_round_trip: $steps"
[ "$steps" = 0 ] || fail "check_round_trip: $steps steps for the same check"
case_ check_dropped "$check" "CREATE TABLE t (v varchar);"
case_ check_added_as_written "CREATE TABLE t (v varchar);" "$check"
case_ check_added_by_dump "CREATE TABLE t (v varchar);" "$dumped_check" "$check"
case_ check_changed "$check" "CREATE TABLE t (v varchar, CONSTRAINT c CHECK (v IN ('a', 'b', 'c')));"
# the check's column changes type (varchar to varchar(8)): PostgreSQL
# makes the check again from its text, which parses as another check
case_ check_column_retyped "$check" "CREATE TABLE t (v varchar(8), CONSTRAINT c CHECK (v IN ('a', 'b')));"
# the check's text (its engine text, as a table statement writes it) in
# a new function's body: only a step that makes the check is respelled
# (every step's text was: the body changed, and the proof failed)
case_ check_text_in_a_function "$check" "$check CREATE FUNCTION c_ddl() RETURNS text LANGUAGE sql AS \$f\$SELECT \$q\$ALTER TABLE t ADD CONSTRAINT c $checkdef\$q\$\$f\$;"
# issue 66: a live schema the desired file neither makes nor uses, empty
# once its table goes (the desired file an empty database's dump): the
# plan drops it too (it stayed, as every live schema is copied for the
# desired side)
case_ empty_schema_left_behind \
  "CREATE SCHEMA w2; CREATE TABLE w2.y (id int);" \
  "SELECT pg_catalog.set_config('search_path', '', false);"
plan_has empty_schema_left_behind "DROP SCHEMA"
# ejabberd's multi-host schema back to its first (issue 66): an index
# kept under its name loses a column the table drops; the engine drops it
# with the column, so the plan drops it before the column goes and makes
# it again after (its down: the column back, then the old index)
case_ index_loses_dropped_column \
  "CREATE TABLE m (u text, h text, c text); CREATE INDEX m_us ON m (u, h); CREATE UNIQUE INDEX m_a ON m (u, h, c);" \
  "CREATE TABLE m (u text, c text); CREATE INDEX m_us ON m (u); CREATE UNIQUE INDEX m_a ON m (u, c);"
# a table renamed without a mark (a drop and a create) with a partial
# index written "v IN (...)" on a varchar column, whose text PostgreSQL
# reads back as another index: the down made the dropped table's index
# from that text (no spelling was tried, the desired place has no such
# table); it is now tried on the table made there first
case_ index_respelled_on_unmarked_rename \
  "CREATE TABLE t (v varchar); CREATE INDEX t_v ON t (v) WHERE v IN ('a', 'b');" \
  "CREATE TABLE u (v varchar); CREATE INDEX u_v ON u (v) WHERE v IN ('a', 'b');"
echo ok
