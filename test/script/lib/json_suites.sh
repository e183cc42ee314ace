# json_suites.sh — the copy of the upstream JSON-Schema-Test-Suite (drafts
# 2019-09 and 2020-12 and their remotes) that Debian ships in
# libtest-json-schema-acceptance-perl, fetched at test time with apt-get
# download and unpacked (never installed) under build/; sourced, not run.
# Exports DBC_JS_SUITE_NEW, or fails (and the test with it) when the archive
# cannot be reached: a suite that cannot be read is no pass.
json_suite_cache=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)/build/json-suites
json_suite_new() {
  local pkg=libtest-json-schema-acceptance-perl dir="$json_suite_cache/acceptance" tmp
  if [ ! -e "$dir/.done" ]; then
    mkdir -p "$json_suite_cache"
    tmp=$(mktemp -d "$json_suite_cache/.fetch.XXXXXX")
    (cd "$tmp" && apt-get download "$pkg" >/dev/null 2>&1 && dpkg-deb -x "$pkg"_*.deb x) ||
      { rm -rf "$tmp"; echo "cannot fetch $pkg from the Debian archive" >&2; return 1; }
    rm -rf "$dir"
    mv "$tmp/x/usr/share/perl5/auto/share/dist/Test-JSON-Schema-Acceptance" "$dir" &&
      rm -rf "$tmp" && touch "$dir/.done"
  fi
  export DBC_JS_SUITE_NEW=$dir
}
json_suite_new
