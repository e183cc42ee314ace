#!/usr/bin/env python3
"""json_oracle.py — dbjson_valid against Python's jsonschema (Debian
python3-jsonschema) as an oracle, on schemas and documents drawn from a
small grammar with a fixed seed: the two must agree on every pair.
unevaluatedProperties is left out: this oracle takes the member names of an
additionalProperties subschema for the properties it evaluated, and so
disagrees with the specification (and the test suite) there.

    json_oracle.py MODULE [COUNT]
"""
import json
import random
import sqlite3
import sys

import jsonschema

rng = random.Random(20261122)
TYPES = ["null", "boolean", "integer", "number", "string", "array", "object"]
KEYS = ["a", "b", "c", "ab", "x1"]


def value(depth=0):
    kind = rng.choice(["null", "bool", "int", "real", "str", "arr", "obj"] if depth < 3
                      else ["null", "bool", "int", "real", "str"])
    if kind == "null":
        return None
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "int":
        return rng.randint(-5, 12)
    if kind == "real":
        return rng.choice([0.5, 1.0, 2.5, -3.25, 10.0, 1e3])
    if kind == "str":
        return rng.choice(["", "a", "ab", "abc", "x1", "é", "2024-01-01", "A-1"])
    if kind == "arr":
        return [value(depth + 1) for _ in range(rng.randint(0, 4))]
    return {rng.choice(KEYS): value(depth + 1) for _ in range(rng.randint(0, 4))}


def schema(depth=0):
    if depth > 2 or rng.random() < 0.15:
        return rng.choice([True, False, {}])
    s = {}
    for _ in range(rng.randint(1, 3)):
        k = rng.choice(["type", "enum", "const", "minimum", "maximum", "exclusiveMinimum",
                        "multipleOf", "minLength", "maxLength", "pattern", "items", "prefixItems",
                        "contains", "minItems", "maxItems", "uniqueItems", "properties",
                        "required", "additionalProperties", "patternProperties",
                        "propertyNames", "minProperties", "allOf", "anyOf", "oneOf", "not",
                        "if", "dependentRequired", "unevaluatedItems"])
        if k == "type":
            s[k] = rng.choice(TYPES) if rng.random() < 0.7 else rng.sample(TYPES, 2)
        elif k == "enum":
            s[k] = [value(2) for _ in range(rng.randint(1, 3))]
        elif k == "const":
            s[k] = value(2)
        elif k in ("minimum", "maximum", "exclusiveMinimum"):
            s[k] = rng.choice([0, 1, 2.5, -1, 10])
        elif k == "multipleOf":
            s[k] = rng.choice([1, 2, 0.5, 3])
        elif k in ("minLength", "maxLength", "minItems", "maxItems", "minProperties"):
            s[k] = rng.randint(0, 3)
        elif k == "pattern":
            s[k] = rng.choice(["^a", "b$", "^[a-z]+$", "\\d", "^.$"])
        elif k in ("items", "contains", "additionalProperties", "propertyNames", "not", "if",
                   "unevaluatedItems"):
            s[k] = schema(depth + 1)
            if k == "if":
                s["then"] = schema(depth + 1)
                s["else"] = schema(depth + 1)
        elif k == "prefixItems":
            s[k] = [schema(depth + 1) for _ in range(rng.randint(1, 2))]
        elif k == "uniqueItems":
            s[k] = rng.random() < 0.7
        elif k == "properties":
            s[k] = {rng.choice(KEYS): schema(depth + 1) for _ in range(rng.randint(1, 2))}
        elif k == "patternProperties":
            s[k] = {rng.choice(["^a", "1$", "b"]): schema(depth + 1)}
        elif k == "required":
            s[k] = rng.sample(KEYS, rng.randint(1, 2))
        elif k in ("allOf", "anyOf", "oneOf"):
            s[k] = [schema(depth + 1) for _ in range(rng.randint(1, 3))]
        elif k == "dependentRequired":
            s[k] = {rng.choice(KEYS): rng.sample(KEYS, 1)}
    return s


def main():
    db = sqlite3.connect(":memory:")
    db.enable_load_extension(True)
    db.load_extension(sys.argv[1])
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 3000
    disagreements = skipped = 0
    for i in range(count):
        s, v = schema(), value()
        try:
            want = jsonschema.Draft202012Validator(s).is_valid(v)
        except TypeError:
            # the oracle fails while wording an unevaluatedItems error (it
            # sorts items of mixed types), also inside a branch that does
            # not decide the answer: no verdict to compare with
            skipped += 1
            continue
        got = db.execute("SELECT dbjson_valid(?, ?)", (json.dumps(v), json.dumps(s))).fetchone()[0]
        if bool(got) != want:
            disagreements += 1
            if disagreements <= 10:
                print(f"disagree #{i}: schema {json.dumps(s)} document {json.dumps(v)}: "
                      f"oracle {want}, dbjson_valid {bool(got)}")
    print(f"{count} pairs, {disagreements} disagreements, {skipped} without an oracle verdict")
    sys.exit(1 if disagreements else 0)


if __name__ == "__main__":
    main()
