# alerts.sh — what the alert rules, dashboard and HTML page tests share
# (sourced after lib/cli.sh, which gives root, cli, work, py and fail).
#   check_names EXPOSITION   every metric name the rules and the dashboard
#                            read is a family of EXPOSITION (the text of
#                            dbhealth_metrics) or one dbcare serve adds
#                            (or, on PostgreSQL, one only SQLite renders)
#   check_page HTML NAME...  headless Chromium loads the page HTML: its DOM
#                            has the score, a finding and the tables NAME,
#                            and nothing the database held ran; the
#                            screenshot is kept after the test, in
#                            build/screenshots/TEST-PAGE.png;
#                            with growing=NAME in the environment, NAME
#                            heads the fastest-growing tables, with its chart
rules="$root/deploy/prometheus/dbcare.rules.yml"
dashboard="$root/deploy/grafana/dbcare.json"
# The series `dbcare serve` adds to the exposition of the SQL function.
server_names="dbcare_up dbcare_metric_age_seconds"
# The families only SQLite renders, where it stages backups (backup.dir a
# store's URL, backup.stage_dir set): PostgreSQL's exposition never has them.
sqlite_only_names="dbcare_backups_waiting_oldest_seconds"

# PromQL of the rules and of every dashboard panel, one expression a line.
exprs() {
  "$py" - "$rules" "$dashboard" <<'PY'
import json, sys, yaml
for r in yaml.safe_load(open(sys.argv[1]))["groups"][0]["rules"]:
    print(r["expr"])
d = json.load(open(sys.argv[2]))
for p in d["panels"]:
    for t in p["targets"]:
        print(t["expr"])
for v in d["templating"]["list"]:
    print(v["query"])
PY
}

check_names() {
  local have
  have=$(sed -n 's/^# TYPE \([a-zA-Z_:][a-zA-Z0-9_:]*\) .*/\1/p' "$1" | sort -u)
  [ -n "$have" ] || fail "no metric family in $1"
  exprs > "$work/exprs"
  for name in $(grep -o 'dbcare_[a-z_]*' "$work/exprs" | sort -u); do
    grep -qx "$name" <<<"$have" || grep -qw "$name" <<<"$server_names" ||
      { grep -qw "$name" <<<"$sqlite_only_names" && grep -q 'engine="postgresql"' "$1"; } ||
      fail "$name is read by the rules or the dashboard but the exposition has no such family"
  done
}

chromium_bin=$(command -v chromium || command -v chromium-browser || true)
[ -n "$chromium_bin" ] || fail "chromium is not installed (test/harness/packages.txt)"
chrome() {
  # root needs --no-sandbox; a profile of its own so parallel tests never share one
  timeout 50 "$chromium_bin" --headless --no-sandbox --disable-gpu --no-first-run \
    --user-data-dir="$work/chrome-profile" "$@" 2>/dev/null
}

check_page() {
  local html=$1; shift
  # one browser run: the DOM after load, and the screenshot
  rm -f "$work/page.png"
  chrome --screenshot="$work/page.png" --window-size=1200,1800 --dump-dom "file://$html" \
    > "$work/dom.html" || fail "chromium could not load $html"
  "$py" - "$work/dom.html" "$@" <<'PY' || fail "the page's DOM: see above"
import html.parser, os, sys
dom = open(sys.argv[1]).read()
class P(html.parser.HTMLParser):
    def __init__(s):
        super().__init__(); s.stack = []; s.score = None; s.findings = []; s.tables = []
        s.scripts = 0; s.attrs = []; s.growing = []; s.charts = {}; s.caption = None
    def handle_starttag(s, tag, attrs):
        a = dict(attrs); s.attrs.append((tag, a))
        if tag == "script": s.scripts += 1
        if "data-score" in a: s.score = a["data-score"]
        if tag == "polyline" and s.caption: s.charts[s.caption] = a.get("points", "").count(",")
        s.stack.append((tag, a.get("class", "")))
    def handle_endtag(s, tag):
        while s.stack and s.stack.pop()[0] != tag: pass
    def handle_data(s, d):
        cls = " ".join(c for _, c in s.stack)
        if "findings" in cls and s.stack and s.stack[-1][0] == "td": s.findings.append(d)
        if "table-name" in cls: s.tables.append(d)
        if "growing" in cls and "table-name" in cls: s.growing.append(d)
        if "table-growth" in cls and s.stack and s.stack[-1][0] == "figcaption": s.caption = d
p = P(); p.feed(dom)
err = []
if p.score is None or not p.score.isdigit(): err.append("no score in the DOM")
elif dom.count('<span class="value">%s</span>' % p.score) < 1: err.append("the score is not shown")
if "tables_without_primary_key" not in p.findings: err.append("the finding is missing: %r" % p.findings[:6])
for t in sys.argv[2:]:
    if t not in p.tables: err.append("table %r missing from %r" % (t, p.tables))
g = os.environ.get("growing")
if g and (not p.growing or p.growing[0] != g): err.append("%r does not head the fastest-growing %r" % (g, p.growing))
if g and p.charts.get(g, 0) < 2: err.append("no growth chart of %r with 2 points or more: %r" % (g, p.charts))
if p.scripts: err.append("the DOM has %d script element(s)" % p.scripts)
for tag, a in p.attrs:
    if "data-pwned" in a or any(k.startswith("on") for k in a): err.append("markup from the database: <%s %r>" % (tag, a))
for e in err: print("FAIL: " + e)
print("score", p.score, "findings", len(p.findings), "tables", p.tables, "growing", p.growing)
sys.exit(1 if err else 0)
PY
  [ -s "$work/page.png" ] || fail "chromium took no screenshot"
  # kept past the test (the work directory is removed): one per test and page
  mkdir -p "$root/build/screenshots"
  cp "$work/page.png" "$root/build/screenshots/$(basename "$0" .sh)-$(basename "$html" .html).png"
}
