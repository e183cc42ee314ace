#!/usr/bin/env python3
"""json_suite.py — the JSON-Schema-Test-Suite through an engine's
dbjson_valid: every required test of the five drafts must give the suite's
answer; optional and format tests are counted. Drafts 4, 6 and 7 come from
Debian's json-schema-test-suite package (installed); 2019-09 and 2020-12 from
the copy of the upstream suite in Debian's libtest-json-schema-acceptance-perl,
unpacked (not installed) into the folder named by DBC_JS_SUITE_NEW
(test/script/lib/json_suites.sh fetches it).

    json_suite.py sqlite MODULE      the SQLite module, through Python's sqlite3
    json_suite.py pg PSQL DBNAME     PostgreSQL, one psql run per draft
    json_suite.py pg PSQL DBNAME jsonb   the same through the jsonb overload

The suite's remote documents (its remotes/ folder, which its tests refer to
as http://localhost:1234/...) are registered first with dbjson_register
under those URIs, so the tests that refer to them run like any other (no
network). Prints one summary line per draft and exits non-zero when a
required test fails.
"""
import glob
import json
import os
import re
import subprocess
import sys

SUITE = os.environ.get("DBC_JS_SUITE", "/usr/share/json-schema-test-suite")
SUITE_NEW = os.environ.get("DBC_JS_SUITE_NEW")
# (suite folder, draft folder, the draft's meta-schema URI)
DRAFTS = [(SUITE, "draft4", "http://json-schema.org/draft-04/schema#"),
          (SUITE, "draft6", "http://json-schema.org/draft-06/schema#"),
          (SUITE, "draft7", "http://json-schema.org/draft-07/schema#"),
          (SUITE_NEW, "draft2019-09", "https://json-schema.org/draft/2019-09/schema"),
          (SUITE_NEW, "draft2020-12", "https://json-schema.org/draft/2020-12/schema")]
# Required tests whose answer dbcare refuses to give by design: custom
# meta-schemas that switch vocabularies off, where an unknown $schema is an
# error (docs/json.md, "Drafts"). Counted apart, never as passes.
BY_DESIGN = {("draft2019-09", "vocabulary.json"), ("draft2020-12", "vocabulary.json")}


REMOTE_BASE = "http://localhost:1234/"


def remotes(suite):
    """(uri, text) of every document of a suite's remotes/ folder."""
    root = os.path.join(suite, "remotes")
    for dirpath, _, files in sorted(os.walk(root)):
        if os.path.relpath(dirpath, root).split(os.sep)[0] == "draft-next":
            continue  # the next draft's, which dbcare does not read
        for name in sorted(files):
            if name.endswith(".json"):
                path = os.path.join(dirpath, name)
                with open(path, encoding="utf-8") as f:
                    yield REMOTE_BASE + os.path.relpath(path, root), f.read()


def remote_name(uri):
    """The registry name of a remote document: a name is never a URI
    (letters, digits, "_", "." and "-"), so its path with the rest as "_"."""
    return "remote_" + re.sub(r"[^A-Za-z0-9_.-]", "_", uri[len(REMOTE_BASE):])


def cases(path, draft_uri):
    """(schema text, document text, expected, description) of one file."""
    with open(path, encoding="utf-8") as f:
        groups = json.load(f)
    for g in groups:
        schema = g["schema"]
        if isinstance(schema, dict) and "$schema" not in schema:
            schema = dict(schema, **{"$schema": draft_uri})
        text = json.dumps(schema)
        for t in g["tests"]:
            yield text, json.dumps(t["data"]), t["valid"], g["description"] + " / " + t["description"]


class Sqlite:
    def __init__(self, module):
        import sqlite3
        self.db = sqlite3.connect(":memory:")
        self.db.enable_load_extension(True)
        self.db.load_extension(module)

    def register(self, suite):
        for uri, text in remotes(suite):
            self.db.execute("SELECT dbjson_register(?, ?, ?)", (remote_name(uri), text, uri))

    def run(self, batch, format_assertion):
        out = []
        for schema, doc, _, _ in batch:
            try:
                row = self.db.execute("SELECT dbjson_valid(?, ?, ?)",
                                      (doc, schema, 1 if format_assertion else 0)).fetchone()
                out.append(bool(row[0]))
            except Exception as e:  # an error is a wrong answer, reported
                out.append("error: %s" % e)
        return out

    def run_many(self, batches):
        return [self.run(batch, fa) for batch, fa in batches]


def jsonb_can_hold(text):
    """Whether jsonb holds this JSON text as it is: no duplicate keys (jsonb
    keeps the last), no NUL and no lone surrogate in a string (refused)."""
    def pairs(items):
        keys = [k for k, _ in items]
        if len(set(keys)) != len(keys):
            raise ValueError("duplicate key")
        return dict(items)
    try:
        json.dumps(json.loads(text, object_pairs_hook=pairs), ensure_ascii=False).encode("utf-8")
    except (ValueError, UnicodeEncodeError):
        return False
    return "\\u0000" not in text and "\0" not in text


def lit(s):
    return "'" + s.replace("'", "''") + "'"


class Postgres:
    """type "text": documents and schemas through the text overload (parsed
    by jansson); "jsonb": through the jsonb overload (the document walked as
    a tree, pg/json/json_doc.c), cases jsonb cannot hold answered "skip"; each
    case's dbjson_errors (or its error) is also compared between the two
    readers of jsonb, the stored layout (pg/json/json_doc_layout.c) and the
    public iterator (dbcare.jsonb_layout off): any difference fails."""
    SAME = """CREATE OR REPLACE FUNCTION layout_same(d jsonb, s jsonb, fa boolean) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE r text[];
BEGIN
  FOR i IN 1..2 LOOP
    PERFORM set_config('dbcare.jsonb_layout', CASE i WHEN 1 THEN 'on' ELSE 'off' END, true);
    BEGIN
      r[i] := (SELECT coalesce(string_agg(concat_ws('|', instance_path, schema_path, keyword,
                                                    message), ';'), '')
               FROM dbjson_errors(d, s, fa));
    EXCEPTION WHEN OTHERS THEN
      r[i] := 'ERR ' || SQLSTATE || ' ' || SQLERRM;
    END;
  END LOOP;
  RETURN r[1] = r[2];
END $$;"""

    def __init__(self, psql, dbname, type_="text"):
        self.psql, self.dbname, self.type = psql, dbname, type_
        self.differ = 0

    def register(self, suite):
        lines = ["SELECT dbjson_register(%s, %s, %s);" % (lit(remote_name(u)), lit(t), lit(u))
                 for u, t in remotes(suite)]
        subprocess.run([self.psql, "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d", self.dbname],
                       input="\n".join(lines), check=True, capture_output=True, text=True)

    def run_many(self, batches):
        """The answers of several (batch, format_assertion), in one psql
        session (a psql and a backend started per file cost more than the
        file's cases: the sessions' cache of compiled schemas is then used
        across files too, as the SQLite engine's one connection uses it)."""
        lines = []
        skipped = set()
        for j, (batch, format_assertion) in enumerate(batches):
            for i, (schema, doc, _, _) in enumerate(batch):
                if self.type == "jsonb" and not (jsonb_can_hold(doc) and jsonb_can_hold(schema)):
                    skipped.add((j, i))
                    continue
                fa = "true" if format_assertion else "false"
                same = (", layout_same(%s, %s, %s)" % (lit(doc), lit(schema), fa)
                        if self.type == "jsonb" else "")
                lines.append("SELECT %d, %d, dbjson_valid(%s::%s, %s::%s, %s)%s;"
                             % (j, i, lit(doc), self.type, lit(schema), self.type, fa, same))
        if self.type == "jsonb":
            lines.insert(0, self.SAME)
        res = subprocess.run([self.psql, "-X", "-q", "-At", "-v", "ON_ERROR_STOP=0",
                              "-d", self.dbname], input="\n".join(lines), capture_output=True,
                             text=True)
        answers = {}
        for line in res.stdout.splitlines():
            j, i, v, same = (line.split("|") + [""])[:4]
            j, i = int(j), int(i)
            answers[(j, i)] = v == "t"
            if self.type == "jsonb" and same != "t":
                self.differ += 1
                print(f"DIFF: the layout reader and the iterator disagree: {batches[j][0][i][1][:80]}"
                      f" | {batches[j][0][i][0][:80]}")
        return [["skip" if (j, i) in skipped else answers.get((j, i), "error") for i in range(len(batch))]
                for j, (batch, _) in enumerate(batches)]


def main():
    engine = (Sqlite(sys.argv[2]) if sys.argv[1] == "sqlite"
              else Postgres(sys.argv[2], sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else "text"))
    if not SUITE_NEW or not os.path.isdir(os.path.join(SUITE_NEW, "tests", "draft2020-12")):
        print("FAIL: DBC_JS_SUITE_NEW names no suite with drafts 2019-09 and 2020-12")
        sys.exit(1)
    failed_required = 0
    registered = None
    for suite, draft, uri in DRAFTS:
        if registered != suite:  # each suite's own remotes, under the same URIs
            engine.register(suite)
            registered = suite
        tallies = {}
        files = sorted(glob.glob(f"{suite}/tests/{draft}/*.json"))
        files += sorted(glob.glob(f"{suite}/tests/{draft}/optional/*.json"))
        files += sorted(glob.glob(f"{suite}/tests/{draft}/optional/format/*.json"))
        if not files:
            print(f"FAIL: no tests of {draft} in {suite}")
            sys.exit(1)
        runs = []  # (path, kind, batch) of each file of the draft
        for path in files:
            kind = ("format" if "format" in os.path.basename(path) or "/format/" in path
                    else "optional" if "/optional/" in path else "required")
            if kind == "required" and (draft, os.path.basename(path)) in BY_DESIGN:
                kind = "by design"
            runs.append((path, kind, list(cases(path, uri))))
        answers = engine.run_many([(batch, kind != "required") for _, kind, batch in runs])
        for (path, kind, batch), got in zip(runs, answers):
            tallies["remote"] = tallies.get("remote", 0) + sum(REMOTE_BASE in c[0] for c in batch)
            for (schema, doc, want, what), answer in zip(batch, got):
                if answer == "skip":
                    tallies["skip"] = tallies.get("skip", 0) + 1
                    continue
                p, t = tallies.get(kind, (0, 0))
                ok = answer is want
                tallies[kind] = (p + ok, t + 1)
                if not ok and kind == "required":
                    failed_required += 1
                    print(f"FAIL {path}: {what}: want {want}, got {answer}")
        r, o, f, d = (tallies.get(k, (0, 0)) for k in ("required", "optional", "format", "by design"))
        print(f"{draft}: required {r[0]}/{r[1]}, optional {o[0]}/{o[1]}, format {f[0]}/{f[1]}, "
              f"of which through registered remotes {tallies.get('remote', 0)}"
              + (f", refused by design {d[1] - d[0]}/{d[1]}" if d[1] else "")
              + (f", not held by jsonb {tallies['skip']}" if "skip" in tallies else ""))
    if isinstance(engine, Postgres) and engine.type == "jsonb":
        print(f"jsonb read from its stored layout and by the iterator: {engine.differ} cases differ")
    sys.exit(1 if failed_required or getattr(engine, "differ", 0) else 0)


if __name__ == "__main__":
    main()
