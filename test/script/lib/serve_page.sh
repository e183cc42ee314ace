# serve_page.sh — the live page of `dbcare serve` in headless Chromium, for
# the serve page tests (sourced after lib/serve.sh; needs py, work, root):
#   page_in_chromium URL NAME  loads URL with 20 s of virtual time (the page's
#                              15 s refresh of its live panels runs once),
#                              writes the DOM to $work/NAME.dom and the
#                              console to $work/NAME.console; fails on any
#                              console message (an error or a warning of the
#                              page's script); the screenshot goes to the
#                              test's output, build/screenshots/
#   page_views NAME PY         the DOM parsed (panels by data-panel, rows,
#                              scripts), then the assertions PY over `p`
chromium_bin=$(command -v chromium || command -v chromium-browser || true)
[ -n "$chromium_bin" ] || fail "chromium is not installed (test/harness/packages.txt)"

page_in_chromium() {
  local url=$1 name=$2
  rm -f "$work/$name.png"
  # root needs --no-sandbox; a profile of its own so parallel tests never
  # share one; the console is logged at INFO on stderr
  timeout 90 "$chromium_bin" --headless --no-sandbox --disable-gpu --no-first-run \
    --user-data-dir="$work/chrome-$name" --enable-logging=stderr --v=0 \
    --virtual-time-budget=20000 --window-size=1400,2400 --screenshot="$work/$name.png" \
    --dump-dom "$url" >"$work/$name.dom" 2>"$work/$name.stderr" ||
    { tail -5 "$work/$name.stderr"; fail "chromium could not load $url"; }
  grep -F ':CONSOLE' "$work/$name.stderr" >"$work/$name.console" || true
  [ ! -s "$work/$name.console" ] || { cat "$work/$name.console"; fail "the page logged to the console"; }
  [ -s "$work/$name.png" ] || fail "chromium took no screenshot of $url"
  mkdir -p "$root/build/screenshots"
  cp "$work/$name.png" "$root/build/screenshots/$(basename "$0" .sh)-$name.png"
}

page_views() {
  local name=$1 checks=$2
  "$py" - "$work/$name.dom" "$checks" <<'PY' || fail "the page's views ($name): see above"
import html.parser, sys
dom = open(sys.argv[1]).read()
class Page(html.parser.HTMLParser):
    def __init__(s):
        super().__init__(); s.stack = []; s.panels = {}; s.scripts = []; s.attrs = []
        s.panel = None; s.row = None; s.cell = None; s.heads = {}; s.body = {}
        s.in_script = False; s.texts = {}
    def handle_starttag(s, tag, attrs):
        a = dict(attrs); s.attrs.append((tag, a))
        if tag == "body": s.body = a
        if tag == "script": s.in_script = True; s.scripts.append("")
        if "data-panel" in a:
            s.panel = a["data-panel"]; s.panels.setdefault(s.panel, []); s.heads.setdefault(s.panel, [])
            s.texts.setdefault(s.panel, "")
        if tag == "tr" and s.panel: s.row = {"cells": [], "attrs": a, "buttons": []}
        if tag in ("td", "th") and s.row is not None: s.cell = ""
        if tag == "button" and s.row is not None: s.row["buttons"].append((a.get("data-action"), a.get("data-pid")))
        if tag not in ("input", "br", "img", "meta", "link"): s.stack.append((tag, a))
    def handle_endtag(s, tag):
        if tag == "script": s.in_script = False
        if tag in ("td", "th") and s.row is not None and s.cell is not None:
            s.row["cells"].append(s.cell.strip()); s.row["th"] = tag == "th"; s.cell = None
        if tag == "tr" and s.row is not None:
            (s.heads if s.row.get("th") else s.panels)[s.panel].append(
                s.row["cells"] if s.row.get("th") else s.row)
            s.row = None
        while s.stack:
            t, a = s.stack.pop()
            if "data-panel" in a: s.panel = None
            if t == tag: break
    def handle_data(s, d):
        if s.in_script: s.scripts[-1] += d
        if s.cell is not None: s.cell += d
        if s.panel: s.texts[s.panel] += d
p = Page(); p.feed(dom)
def rows(panel): return p.panels.get(panel, [])
def col(panel, name):
    h = p.heads[panel][0]; i = h.index(name)
    return [r["cells"][i] for r in rows(panel)]
err = []
def need(ok, what):
    if not ok: err.append(what)
# markup from the database never becomes markup
for tag, a in p.attrs:
    need(not ("data-pwned" in a or any(k.startswith("on") for k in a)), "markup from the database: <%s %r>" % (tag, a))
need(len(p.scripts) == 1 and "section.live" in p.scripts[0], "scripts: the page's own only, got %d" % len(p.scripts))
need("pwned" not in str(p.body), "a script of the database ran: %r" % p.body)
exec(sys.argv[2])
for e in err: print("FAIL: " + e)
print({k: len(v) for k, v in p.panels.items()}, "refreshes", p.body.get("data-live-refreshes"))
sys.exit(1 if err else 0)
PY
}
