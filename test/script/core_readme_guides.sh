#!/usr/bin/env bash
# README.md's list of guides ("Each part has its own guide ...", up to the
# next blank line) names each guide once, and every guide under docs/ is
# linked from README.md somewhere: a new user finds each page, once.
# Usage: core_readme_guides.sh [ROOT] (default: this tree).
set -eu
root=${1:-"$(dirname "$0")/../.."}
cd "$root"
list=$(awk '/^Each part has its own guide/ {on = 1} on && /^$/ {exit} on' README.md)
[ -n "$list" ] || { echo "FAIL: README.md has no paragraph 'Each part has its own guide'"; exit 1; }
twice=$(grep -o '](docs/[^)]*)' <<<"$list" | sort | uniq -d)
[ -z "$twice" ] || { echo "FAIL: README.md's list of guides names these more than once: $twice"; exit 1; }
for f in docs/*.md; do
  grep -qF "]($f)" README.md || { echo "FAIL: README.md links no $f"; exit 1; }
done
echo "ok: README.md lists each guide once and links all $(ls docs/*.md | wc -l) of docs/"
