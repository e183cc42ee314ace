"""retain_fk_oracle.py — what a retention policy may remove from a table
whose foreign key references the table itself, computed apart from dbcare.

Reads "id|parent|due" lines (parent empty: none; due 1 or 0) on stdin and
prints the ids that must be left, one a line, sorted:

  at-end    the key is checked at the end of the statement (NO ACTION, and
            PostgreSQL's RESTRICT): a due row stays only when a row that
            stays references it (a row not due, or a due row kept itself);
            every other due row goes in one DELETE, cycles included.
  per-row   the key is checked as each row goes (SQLite's RESTRICT): rows
            go leaves first, a row once no other row references it; a row
            on a cycle of two or more rows, and what it references, stays.
"""
import sys
from collections import defaultdict

mode = sys.argv[1]
parent, due = {}, {}
for line in sys.stdin:
    i, p, d = line.rstrip("\n").split("|")
    parent[int(i)] = int(p) if p else None
    due[int(i)] = d == "1"
children = defaultdict(list)
for i, p in parent.items():
    if p is not None and p in parent:
        children[p].append(i)

if mode == "at-end":
    kept = set()
    todo = [i for i in parent if not due[i]]
    while todo:
        i = todo.pop()
        p = parent[i]
        if p is not None and p in parent and due[p] and p not in kept:
            kept.add(p)
            todo.append(p)
    left = [i for i in parent if not due[i] or i in kept]
elif mode == "per-row":
    refs = {i: sum(1 for c in children[i] if c != i) for i in parent}
    gone = set()
    todo = [i for i in parent if due[i] and refs[i] == 0]
    while todo:
        i = todo.pop()
        gone.add(i)
        p = parent[i]
        if p is not None and p in parent and p != i:
            refs[p] -= 1
            if refs[p] == 0 and due[p]:
                todo.append(p)
    left = [i for i in parent if i not in gone]
else:
    sys.exit("mode: at-end or per-row")
for i in sorted(left):
    print(i)
