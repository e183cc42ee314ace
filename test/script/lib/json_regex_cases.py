#!/usr/bin/env python3
"""json_regex_cases.py — Unicode property escapes (\\p{...}, \\P{...}) in
"pattern" and "patternProperties", as ECMA-262 reads them with the u flag:
general categories by short name, long name, alias and General_Category= /
gc= prefix, scripts (Script=, sc=, Script_Extensions=, scx=), binary
properties, negation, inside a class. Written for dbcare (not taken from
any suite). Prints one line per case: schema TAB document TAB expected
(1 valid, 0 invalid, E a refused schema).
"""
import json

CASES = [
    # (pattern, string, valid)
    (r"^\p{L}+$", "ŝtelo", 1), (r"^\p{L}+$", "a1", 0),
    (r"^\p{Letter}+$", "Ελλάδα", 1), (r"^\p{Letter}+$", "-", 0),
    (r"^\p{Lu}\p{Ll}+$", "Émile", 1), (r"^\p{Lu}\p{Ll}+$", "émile", 0),
    (r"^\p{Uppercase_Letter}$", "Ж", 1), (r"^\p{Cased_Letter}+$", "aB", 1),
    (r"^\p{digit}+$", "42", 1), (r"^\p{digit}+$", "\u09ea\u09e8", 1), (r"^\p{digit}+$", "4a", 0),
    (r"^\p{Nd}+$", "\u0663", 1), (r"^\p{Decimal_Number}+$", "x", 0),
    (r"^\p{General_Category=Letter}+$", "abc", 1), (r"^\p{General_Category=Letter}+$", "1", 0),
    (r"^\p{gc=Lu}$", "Q", 1), (r"^\p{gc=Lu}$", "q", 0),
    (r"^\p{gc=Decimal_Number}$", "7", 1),
    (r"^\p{Script=Greek}+$", "αβγ", 1), (r"^\p{Script=Greek}+$", "abc", 0),
    (r"^\p{sc=Cyrillic}+$", "мир", 1), (r"^\p{Script_Extensions=Latin}+$", "abc", 1),
    (r"^\p{scx=Grek}+$", "Ω", 1),
    (r"^\P{L}+$", "123 !", 1), (r"^\P{L}+$", "12a", 0),
    (r"^[\p{L}\p{Nd}_]+$", "añ_9", 1), (r"^[^\p{L}]+$", "99", 1), (r"^[^\p{L}]+$", "9é", 0),
    (r"^\p{Punctuation}+$", "!?", 1), (r"^\p{Other_Punctuation}$", "¡", 1),
    (r"^\p{Math_Symbol}$", "∑", 1), (r"^\p{Currency_Symbol}$", "€", 1),
    (r"^\p{Space_Separator}$", "\u3000", 1), (r"^\p{Alphabetic}+$", "Ωa", 1),
    (r"^\p{ASCII}+$", "plain", 1), (r"^\p{ASCII}+$", "naïve", 0),
    (r"^\p{White_Space}+$", "\u2003 ", 1),
    (r"\p{Bogus}", "x", "E"), (r"\p{gc=Bogus}", "x", "E"),
]


def main():
    for pattern, s, valid in CASES:
        print("%s\t%s\t%s" % (json.dumps({"pattern": pattern}), json.dumps(s), valid))
    # patternProperties: the member names are matched with the same rules
    pp = {"patternProperties": {r"^\p{Lu}": {"type": "integer"}, r"^\p{Script=Greek}": {"type": "string"}},
          "additionalProperties": False}
    for doc, valid in (({"Émile": 1, "λόγος": "x"}, 1), ({"émile": 1}, 0), ({"Émile": "one"}, 0),
                       ({"λόγος": 3}, 0)):
        print("%s\t%s\t%s" % (json.dumps(pp), json.dumps(doc), valid))


if __name__ == "__main__":
    main()
