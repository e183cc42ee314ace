#!/usr/bin/env bash
# The harness's shares of a suite (test/harness/select.sh) on planted test
# names: three shares on one pool (the third joining late), each test taking
# its own time, run every test exactly once between them, the first from
# the front of the order and the others from the back; the later shares'
# DBC_SHARE_IN keeps them to the script tests; a caller's DBC_ONLY applies within both; without a
# pool a share runs all of its tests.
set -eu
cd "$(dirname "$0")/../.."
# the run this test is part of may have set a filter or a share of its own
unset DBC_ONLY DBC_SHARE_IN DBC_SHARE_OUT DBC_SHARE_POOL DBC_SHARE_FROM_END
fail() { echo "FAIL: $*"; exit 1; }
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
names=(sqlite/golden_a script/t01 script/t02 script/t03 script/t04 script/t05 script/t06
  script/t07 script/t08 script/t09 script/t10 script/t11 script/t12 matrix/m1)

# one share: walks the names in its order, records what it ran and when
share() { # out
  (
    . test/harness/select.sh
    for name in $(share_order "${names[@]}"); do
      in_run "$name" || continue
      echo "$name" >>"$1"
      sleep "0.0$((RANDOM % 5))"
    done
  )
}
for round in 1 2 3; do
  rm -rf "$t/pool" "$t"/share*
  DBC_SHARE_POOL=$t/pool share "$t/share1" &
  DBC_SHARE_POOL=$t/pool DBC_SHARE_IN='^script/' DBC_SHARE_FROM_END=1 share "$t/share2" &
  # a third share comes late and takes what is left, from the back too
  (sleep 0.1 && DBC_SHARE_POOL=$t/pool DBC_SHARE_IN='^script/' DBC_SHARE_FROM_END=1 share "$t/share3") &
  wait
  touch "$t/share3"
  ran=$(sort "$t/share1" "$t/share2" "$t/share3")
  [ "$ran" = "$(printf '%s\n' "${names[@]}" | sort)" ] ||
    fail "round $round: not every test exactly once: $(echo $ran)"
  [ "$(head -1 "$t/share1")" = sqlite/golden_a ] || fail "the first share did not start at the front"
  [ "$(head -1 "$t/share2")" = script/t12 ] || fail "the second share did not start at the back"
  grep -qv '^script/' "$t/share2" && fail "the second share ran a test that is not a script test"
  grep -qx matrix/m1 "$t/share1" || fail "the first share did not run its own last test"
  # each share's run is a run of the order: ascending in the first, descending in the second
  [ "$(sort "$t/share1" | grep '^script/')" = "$(grep '^script/' "$t/share1")" ] || fail "first share out of order"
  [ "$(sort -r "$t/share2")" = "$(cat "$t/share2")" ] || fail "second share out of order"
  [ "$(sort -r "$t/share3")" = "$(cat "$t/share3")" ] || fail "third share out of order"
  grep -qv '^script/' "$t/share3" && fail "the third share ran a test that is not a script test"
done

# DBC_ONLY within both shares: each matched test once
rm -rf "$t/pool" "$t"/share*
DBC_ONLY='t0[35]' DBC_SHARE_POOL=$t/pool share "$t/share1" &
DBC_ONLY='t0[35]' DBC_SHARE_POOL=$t/pool DBC_SHARE_IN='^script/' DBC_SHARE_FROM_END=1 share "$t/share2" &
wait
# a share that found both already taken ran nothing and wrote no file
touch "$t/share1" "$t/share2"
[ "$(sort "$t/share1" "$t/share2" | paste -sd' ')" = 'script/t03 script/t05' ] ||
  fail "DBC_ONLY across the shares: $(cat "$t"/share*)"

# no pool: the whole suite, in order
rm -f "$t"/share*
share "$t/share1"
[ "$(paste -sd' ' "$t/share1")" = "${names[*]}" ] || fail "without a pool: $(cat "$t/share1")"
echo "ok: the shares of one pool run each test once"
