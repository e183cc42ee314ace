#!/usr/bin/env bash
# The shell completions (cli/share/dbcare.bash, cli/share/_dbcare) are
# written by hand but for bash's options, which `dbcare options COMMAND`
# prints from the table; the command line is declared once, in
# cli/options_list.h (options) and cli/cmd_table.c (commands). This check
# fails when a completion differs from the tables:
#   1. each completion offers exactly the table's commands (with the aliases
#      up and down, and help, version and options); zsh exactly the table's options
#      (names and aliases);
#   2. an option that takes a value (any type but FLAG and SWITCH) is one in
#      the completions too (bash: skipped as a value when finding the
#      command; zsh: its spec ends with =), a flag is not (--version:
#      either, dbcare's own flag but after lint); one whose value is
#      optional (.value_optional: --NAME or --NAME=V) is never skipped in
#      bash, and its zsh spec ends with =- (the value only after =);
#   3. an option with a list of choices (a|b|c) offers exactly those;
#   4. bash, running the completion: `dbcare health --fail-on <TAB>` offers
#      the choices, `dbcare --fail<TAB>` the option, `dbcare hea<TAB>` health;
#   5. bash, running the completion with the built command
#      (build/cli/dbcare, which must be built): `dbcare COMMAND --<TAB>`
#      offers exactly the options the table gives COMMAND (its own and the
#      common ones), for every command and alias, and `dbcare --<TAB>` every
#      option.
# Usage: core_completions.sh [ROOT] (default: this tree).
set -eu
root=$(cd "${1:-"$(dirname "$0")/../.."}" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$root" "$work/expected" <<'PY'
import os, re, sys

os.chdir(sys.argv[1])
expected_file = sys.argv[2]
fails = []


def fail(msg):
    fails.append(msg)


table = open("cli/options_list.h", encoding="utf-8").read()
table = table[table.index("#define CLI_OPTIONS("):]
# one entry a row: VALUE(type, field, .name = ...) or OTHER(.name = ...),
# its lines joined (a backslash ends each)
table = re.sub(r"\\\n\s*", " ", table)
options = {}  # name -> (takes a value, choices or None)
taken = {}  # name -> the commands that list it, None: every command
for row in re.split(r"\.name = ", table)[1:]:
    row = re.split(r"\b(?:VALUE|OTHER)\(", row)[0]
    name = re.match(r'"([a-z-]+)"', row)
    if not name:  # the sentinel, .name = NULL
        continue
    name = name.group(1)
    kind = re.search(r"\.type = CLI_OPT_([A-Z]+)", row).group(1)
    choices = re.search(r'\.choices = "([a-z|]+)"', row)
    value = kind not in ("FLAG", "SWITCH")
    if ".value_optional = true" in row:
        value = "optional"
    entry = (value, set(choices.group(1).split("|")) if choices and "|" in choices.group(1)
             else None)
    options[name] = entry
    listed = re.search(r'\.commands\s*=\s*((?:"[^"]*"\s*)+)', row)
    taken[name] = set("".join(re.findall(r'"([^"]*)"', listed.group(1))).split()) if listed else None
    alias = re.search(r'\.alias = "([a-z-]+)"', row)
    if alias:
        options[alias.group(1)] = entry
        taken[alias.group(1)] = taken[name]
if len(options) < 40:
    fail(f"only {len(options)} options read from cli/options_list.h: its shape changed?")
# --format's values are read by main.c (the command decides prometheus)
main = open("cli/main.c", encoding="utf-8").read()
formats = set(re.findall(r'strcmp\(f, "([a-z]+)"\) == 0', main))
if "format" in options and formats:
    options["format"] = (True, formats)

cmds = open("cli/cmd_table.c", encoding="utf-8").read()
commands = set(re.findall(r'^\s*\{"([a-z-]+)",', cmds, re.M))
commands |= set(re.findall(r'\{"([a-z]+)", "[a-z]+"\}', cmds)) | {"help", "version", "options"}
if len(commands) < 30:
    fail(f"only {len(commands)} commands read from cli/cmd_table.c")

# ---- bash
bash = open("cli/share/dbcare.bash", encoding="utf-8").read()
def bash_words(var):
    m = re.search(r'local %s="([^"]*)"' % var, bash)
    return set(m.group(1).split()) if m else set()
got = bash_words("commands")
for c in sorted(commands ^ got):
    fail(f"dbcare.bash: command {c}: " +
         ("not offered" if c in commands else "offered, but no such command"))
skip = re.search(r"case \$\{COMP_WORDS\[i-1\]\} in\s*(.*?)\) ;;", bash, re.S)
skip = {w[2:] for w in re.split(r"[|\\\s]+", skip.group(1)) if w.startswith("--")} if skip else set()
for name, (value, _) in sorted(options.items()):
    if (value is True) != (name in skip):
        fail(f"dbcare.bash: --{name} " + ("takes a value: its value is read as the command"
                                          if value else "takes no value, yet is skipped with one"))
for name, (_, choices) in sorted(options.items()):
    if not choices:
        continue
    m = re.search(r"\n\s*--%s\)\s*\n\s*COMPREPLY=\(\$\(compgen -W \"([^\"]*)\"" % name, bash)
    if not m or set(m.group(1).split()) != choices:
        fail(f"dbcare.bash: --{name} offers {m.group(1) if m else 'nothing'}, "
             f"the table: {'|'.join(sorted(choices))}")

# ---- zsh
zsh = open("cli/share/_dbcare", encoding="utf-8").read()
specs = {}
for m in re.finditer(r"'(?:\([^)]*\))?\*?--([a-z-]+)(=?-?)\[[^\]]*\]([^']*)'", zsh):
    specs[m.group(1)] = ({"": False, "=": True, "=-": "optional"}.get(m.group(2)), m.group(3))
for m in re.finditer(r"\{([-a-z,]+)\}'(=?)\[[^\]]*\]([^']*)'", zsh):
    for w in m.group(1).split(","):
        if w.startswith("--"):
            specs[w[2:]] = (m.group(2) == "=", m.group(3))
for name in sorted(set(options) ^ set(specs)):
    fail(f"_dbcare: --{name}: " + ("not offered" if name in options
                                   else "offered, but cli/options_list.h has no such option"))
for name in sorted(set(options) & set(specs)):
    value, choices = options[name]
    # --version is dbcare's own flag but after lint (lint --version V: main.c)
    if specs[name][0] != value and name != "version":
        fail(f"_dbcare: --{name} " + ("takes a value after = alone (its spec needs =-)"
                                      if value == "optional" else
                                      "takes a value (its spec needs =)" if value
                                      else "takes no value (its spec has =)"))
    m = re.search(r":\(([^)]*)\)$", specs[name][1])
    if choices and (not m or set(m.group(1).split()) != choices):
        fail(f"_dbcare: --{name} offers {m.group(1) if m else 'nothing'}, "
             f"the table: {'|'.join(sorted(choices))}")
got = set(re.findall(r"^\s*'([a-z-]+):", zsh, re.M))
for c in sorted(commands ^ got):
    fail(f"_dbcare: command {c}: " +
         ("not offered" if c in commands else "offered, but no such command"))

# 5.'s expectations: a line per command, "COMMAND --option ...", sorted
# (each alias as its command; "-" for no command: every option)
aliases = dict(re.findall(r'\{"([a-z]+)", "([a-z]+)"\}', cmds))
with open(expected_file, "w") as f:
    for c in sorted(commands - {"help", "version", "options"}) + ["-"]:
        real = aliases.get(c, c)
        offered = sorted("--" + o for o in options
                         if c == "-" or taken[o] is None or real in taken[o])
        f.write(c + " " + " ".join(offered) + "\n")

for f in fails:
    print("FAIL: " + f)
sys.exit(1 if fails else 0)
PY
# 4. the bash completion, run (the dbcare it runs for the options: the built one)
export LC_ALL=C PATH="$root/build/cli:$PATH"
complete_line() { # WORDS...: what dbcare's completion offers for the last word
  bash --norc --noprofile -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
    _dbcare; printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "' _ "$root/cli/share/dbcare.bash" "$@"
}
want() { # WANT WORDS...
  local w=$1 got
  shift
  got=$(complete_line "$@")
  [ "$got" = "$w" ] || { echo "FAIL: bash completion of '$*': '$got', want '$w'"; exit 1; }
}
want "critical warning " dbcare health --fail-on ""
want "--fail-on " dbcare --fail-o
want "health " dbcare hea
want "quick " dbcare health --mode q
# 5. each command's options, from the built command
dbcare="$root/build/cli/dbcare"
[ -x "$dbcare" ] || { echo "FAIL: $dbcare is not built (make cli)"; exit 1; }
checked=0
while read -r command options; do
  words=("$dbcare"); [ "$command" = - ] || words+=("$command")
  got=$(complete_line "${words[@]}" --)
  [ "$got" = "$options " ] ||
    { echo "FAIL: bash completion of 'dbcare ${words[*]:1} --': '$got', want '$options '"; exit 1; }
  checked=$((checked + 1))
done < "$work/expected"
[ "$checked" -ge 30 ] || { echo "FAIL: only $checked commands' options checked"; exit 1; }
echo "ok: the bash completion offers each of $checked commands its own options"
