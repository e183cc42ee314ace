#!/usr/bin/env bash
# A document's regular expression work is bounded as a whole on PostgreSQL
# (issue 64, item 8; docs/json.md, Limits): one INSERT of a document with
# 20,000 strings that each take a pattern near the per-match limit ran for
# seconds; now the document's matches longer than 1,000 steps share a
# budget of 10,000,000 steps, and the INSERT is refused with an error
# naming the pattern's schema location and the budget, through the jsonb
# and the text overloads and patternProperties. The budget is counted in
# steps, so where it falls is checked in steps, not seconds: a near-limit
# match counts 136,000 (its tries of 8,000 and 64,000, and the 64,000 the
# last one needed at least), so 73 of them reach the budget: 80 among
# 20,000 cheap strings are refused, 40 are stored, and so is a document of
# 20,000 cheap matches. The refusal of 20,000 near-limit keys comes within
# 10 s: matching them all takes minutes.
set -eu
db=dbcare_json_hostile_regex
. "$(dirname "$0")/lib/pg.sh"
fresh_db
pat='^((a|aa)+c|.*)$' # 24 a's: the first branch backtracks near the per-match limit, the second matches
q -c "CREATE TABLE j (doc jsonb CHECK (dbjson_valid(doc, '{\"items\": {\"type\": \"string\", \"pattern\": \"$pat\"}}')))" \
  -c "CREATE TABLE t (doc text CHECK (dbjson_valid(doc, '{\"patternProperties\": {\"$pat\": true}}')))"
for case in "j;SELECT jsonb_agg(CASE WHEN g <= 80 THEN repeat('a', 24) ELSE 'aaaa' END) FROM generate_series(1, 20000) g;#/items/pattern" \
            "t;SELECT json_object_agg(repeat('a', 24) || g, 1)::text FROM generate_series(1, 20000) g;#/patternProperties/$pat"; do
  IFS=';' read -r table doc where <<<"$case"
  start=$(date +%s%N)
  out=$(q -c "INSERT INTO $table $doc" 2>&1) && fail "$table: the near-limit matches were run to the end"
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  grep -qF "dbcare: the regular expressions of the schema took more than 10000000 steps on one document (the pattern at $where was running)" <<<"$out" ||
    fail "$table: not the document budget's error: $out"
  grep -q "HINT:" <<<"$out" || fail "$table: no hint: $out"
  [ "$ms" -lt 10000 ] || fail "$table: the refusal took $ms ms"
  echo "$table: refused in $ms ms"
done
q -c "INSERT INTO j SELECT jsonb_agg(text 'aaaa') FROM generate_series(1, 20000)" \
  -c "INSERT INTO j SELECT jsonb_agg(repeat('a', 24)) FROM generate_series(1, 40)" ||
  fail "cheap matches, or a few near-limit ones, were refused"
echo ok
