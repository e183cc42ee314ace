#!/usr/bin/env bash
# A sequence near its limit on a Pagila-shaped schema: the plan's
# widen_column step widens actor.actor_id together with every column whose
# foreign key references it, through any depth (film_actor.actor_id, and
# film_actor_note.actor_id, which references film_actor), and the serial
# sequence of a referencing column; the run leaves them all bigint with every
# foreign key valid, and a key past 2^31-1 goes in everywhere.
set -eu
db=dbcare_maintain_widen_refs
. "$(dirname "$0")/lib/pg.sh"
fresh_db
t0=$(date +%s)

q -c "CREATE TABLE actor (actor_id serial PRIMARY KEY, name text NOT NULL)" \
  -c "CREATE TABLE film (film_id serial PRIMARY KEY, title text NOT NULL)" \
  -c "CREATE TABLE film_actor (actor_id int NOT NULL REFERENCES actor, film_id int NOT NULL REFERENCES film,
        PRIMARY KEY (actor_id, film_id))" \
  -c "CREATE INDEX ON film_actor (film_id)" \
  -c "CREATE TABLE film_actor_note (note_id serial PRIMARY KEY, actor_id int NOT NULL, film_id int NOT NULL,
        FOREIGN KEY (actor_id, film_id) REFERENCES film_actor)" \
  -c "CREATE INDEX ON film_actor_note (actor_id, film_id)" \
  -c "CREATE TABLE fan (fan_id serial PRIMARY KEY, actor_id int REFERENCES actor)" \
  -c "CREATE INDEX ON fan (actor_id)" \
  -c "CREATE TABLE actor_detail (actor_id serial PRIMARY KEY REFERENCES actor, bio text)" \
  -c "INSERT INTO actor (name) SELECT 'actor ' || i FROM generate_series(1, 200) i" \
  -c "INSERT INTO film (title) SELECT 'film ' || i FROM generate_series(1, 100) i" \
  -c "INSERT INTO film_actor SELECT 1 + i % 200, 1 + i % 100 FROM generate_series(1, 1000) i ON CONFLICT DO NOTHING" \
  -c "INSERT INTO film_actor_note (actor_id, film_id) SELECT actor_id, film_id FROM film_actor LIMIT 50" \
  -c "INSERT INTO fan (actor_id) SELECT 1 + i % 200 FROM generate_series(1, 30) i" \
  -c "ANALYZE" \
  -c "SELECT setval('actor_actor_id_seq', 2000000000)" >/dev/null

plan=$(q -c "SELECT action || ' | ' || statement FROM dbmaintain_plan('quick') WHERE action LIKE 'widen%' ORDER BY action")
echo "$plan"
want="widen_column | ALTER TABLE public.actor ALTER COLUMN actor_id TYPE bigint; ALTER TABLE public.actor_detail ALTER COLUMN actor_id TYPE bigint; ALTER SEQUENCE public.actor_detail_actor_id_seq AS bigint; ALTER TABLE public.fan ALTER COLUMN actor_id TYPE bigint; ALTER TABLE public.film_actor ALTER COLUMN actor_id TYPE bigint; ALTER TABLE public.film_actor_note ALTER COLUMN actor_id TYPE bigint"
printf '%s\n' "$plan" | grep -qxF -- "$want" || fail "the plan does not widen the referencing columns with actor.actor_id"
printf '%s\n' "$plan" | grep -qxF -- "widen_sequence | ALTER SEQUENCE public.actor_actor_id_seq AS bigint" \
  || fail "the sequence is not widened"
[ "$(printf '%s\n' "$plan" | wc -l)" = 2 ] || fail "one widen_column step expected: $plan"
echo "ok: one step widens actor.actor_id and every column referencing it"

q -c "SELECT action || ' ' || status FROM dbmaintain_run('quick', 'locking') WHERE action LIKE 'widen%'" >/dev/null
types=$(q -c "SELECT string_agg(attrelid::regclass || '.' || attname || ' ' || format_type(atttypid, NULL), ', ' ORDER BY attrelid::regclass::text)
              FROM pg_attribute WHERE attname = 'actor_id' AND attrelid IN ('actor'::regclass, 'film_actor'::regclass,
              'film_actor_note'::regclass, 'fan'::regclass, 'actor_detail'::regclass)")
echo "$types"
[ "$types" = "actor.actor_id bigint, actor_detail.actor_id bigint, fan.actor_id bigint, film_actor.actor_id bigint, film_actor_note.actor_id bigint" ] \
  || fail "types after the run: $types"
[ "$(q -c "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND NOT convalidated")" = 0 ] || fail "a foreign key is not valid"
q -c "INSERT INTO actor VALUES (3000000000, 'past int')" \
  -c "INSERT INTO film_actor VALUES (3000000000, 1)" \
  -c "INSERT INTO film_actor_note (actor_id, film_id) VALUES (3000000000, 1)" \
  -c "INSERT INTO fan (actor_id) VALUES (3000000000)" \
  -c "INSERT INTO actor_detail VALUES (3000000000, 'bio')" >/dev/null
[ "$(q -c "SELECT data_type FROM pg_sequences WHERE sequencename = 'actor_detail_actor_id_seq'")" = bigint ] \
  || fail "the referencing serial's sequence is not bigint"
if q -c "INSERT INTO film_actor VALUES (3000000001, 1)" >/dev/null 2>&1; then fail "the foreign key no longer holds"; fi
echo "ok: every column is bigint, the foreign keys are valid and enforced, a key past 2^31-1 fits"
[ -z "$(q -c "SELECT action FROM dbmaintain_plan('quick') WHERE action LIKE 'widen%'")" ] || fail "still widening"
echo "ok: nothing left to widen"
echo "took $(( $(date +%s) - t0 )) s"
